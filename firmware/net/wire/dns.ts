/**
 * DNS messages (RFC 1035 section 4), enough for a stub resolver asking for A records and
 * for the lab's tiny responder answering them.
 *
 *   0..2 ID   2..4 flags (QR, opcode, AA, TC, RD, RA, Z, RCODE)
 *   4..6 QDCOUNT   6..8 ANCOUNT   8..10 NSCOUNT   10..12 ARCOUNT
 *   12.. questions (name, type, class), then resource records (name, type, class, TTL,
 *        RDLENGTH, RDATA)
 *
 * Names: labels of 1..63 bytes, at most 255 bytes in all (RFC 1035 2.3.4), and message
 * compression pointers (4.1.4). Decompression is an iterative loop with at most
 * MAX_POINTER_JUMPS jumps, so a pointer loop (attacker-controlled) ends in 'malformed'
 * after bounded work, never in recursion or a hang. Names are returned as dotted text
 * (bytes as Latin-1; a label containing a '.' byte is 'unsupported' since the text form
 * could not round-trip). Label types 0x40/0x80 (RFC 6891 extended labels) are 'malformed'.
 *
 * Bounds: at most MAX_QUESTIONS questions and MAX_ANSWERS answer records are decoded (more
 * questions is 'too-large'; answers beyond the cap are ignored, as a stub needs only the
 * first few). The authority and additional sections are not decoded: their counts are
 * kept in the repr, and emit writes them as empty.
 * A record data: `address` (RDLENGTH must be 4). CNAME data: `target` (decompressed).
 * Emit compresses a record name equal to the first question's name into a pointer to
 * offset 12, as every server does; other names are written in full.
 */
import { readU16, writeU16 } from '../../../lib/bytes';
import { type Result, ok, fail } from '../../../lib/result';

export const ID = 0;
export const FLAGS = 2;
export const QDCOUNT = 4;
export const ANCOUNT = 6;
export const NSCOUNT = 8;
export const ARCOUNT = 10;
export const HEADER_LEN = 12;

export const MAX_NAME_LEN = 255;
export const MAX_LABEL_LEN = 63;
export const MAX_POINTER_JUMPS = 16;
export const MAX_QUESTIONS = 4;
export const MAX_ANSWERS = 16;
/** A classic UDP DNS message (RFC 1035 2.3.4); larger answers set TC. */
export const MAX_UDP_MESSAGE = 512;

export const FLAG_QR = 0x8000;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;
export const FLAG_RD = 0x0100;
export const FLAG_RA = 0x0080;
export const OPCODE_SHIFT = 11;
export const RCODE_MASK = 0x000f;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;
export const RCODE_REFUSED = 5;

export const TYPE_A = 1;
export const TYPE_NS = 2;
export const TYPE_CNAME = 5;
export const TYPE_PTR = 12;
export const TYPE_AAAA = 28;
export const CLASS_IN = 1;

export interface Question {
  name: string;
  type: number;
  klass: number;
}

export interface Record {
  name: string;
  type: number;
  klass: number;
  /** Seconds (unsigned 32-bit on the wire; RFC 2181 8 says values with the top bit set mean 0). */
  ttl: number;
  /** A: the address; 0 for other types. */
  address: number;
  /** CNAME/NS/PTR: the decompressed name; '' for other types. */
  target: string;
  /** The raw RDATA (a view into the parsed bytes; may hold compression pointers). */
  data: Uint8Array;
}

export interface Repr {
  id: number;
  /** The whole 16-bit flags word (FLAG_*, opcode, rcode). */
  flags: number;
  questions: Question[];
  answers: Record[];
  /** Answer records on the wire (answers holds at most MAX_ANSWERS of them). */
  answerCount: number;
  authorityCount: number;
  additionalCount: number;
}

export function rcode(repr: Repr): number {
  return repr.flags & RCODE_MASK;
}

export function isResponse(repr: Repr): boolean {
  return (repr.flags & FLAG_QR) !== 0;
}

interface NameRead {
  name: string;
  /** Offset just after the name where it started (after the first pointer, if any). */
  next: number;
}

/** Iterative decompression; see the module comment for the bounds. */
export function readName(bytes: Uint8Array, offset: number): Result<NameRead> {
  let pos = offset;
  let next = -1;
  let jumps = 0;
  let wireLen = 0;
  let name = '';
  for (;;) {
    if (pos >= bytes.length) return fail('truncated', 'DNS name runs past the message');
    const b = bytes[pos];
    if (b === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    const kind = b & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= bytes.length) return fail('truncated', 'DNS compression pointer cut');
      jumps++;
      if (jumps > MAX_POINTER_JUMPS) return fail('malformed', 'DNS name: more than ' + MAX_POINTER_JUMPS + ' pointers (loop?)');
      if (next < 0) next = pos + 2;
      pos = ((b & 0x3f) << 8) | bytes[pos + 1];
      continue;
    }
    if (kind !== 0) return fail('malformed', 'DNS label type 0x' + kind.toString(16));
    if (pos + 1 + b > bytes.length) return fail('truncated', 'DNS label runs past the message');
    wireLen += b + 1;
    if (wireLen + 1 > MAX_NAME_LEN) return fail('malformed', 'DNS name longer than 255 bytes');
    if (name.length > 0) name += '.';
    for (let i = pos + 1; i <= pos + b; i++) {
      if (bytes[i] === 0x2e) return fail('unsupported', 'DNS label contains a dot');
      name += String.fromCharCode(bytes[i]);
    }
    pos += 1 + b;
  }
  return ok({ name: name, next: next });
}


export function parse(bytes: Uint8Array): Result<Repr> {
  if (bytes.length < HEADER_LEN) return fail('truncated', 'DNS header needs 12 bytes, got ' + bytes.length);
  const qd = readU16(bytes, QDCOUNT);
  const an = readU16(bytes, ANCOUNT);
  if (qd > MAX_QUESTIONS) return fail('too-large', 'DNS message with ' + qd + ' questions');
  const questions: Question[] = [];
  let pos = HEADER_LEN;
  for (let q = 0; q < qd; q++) {
    const n = readName(bytes, pos);
    if (!n.ok) return n;
    pos = n.value.next;
    if (pos + 4 > bytes.length) return fail('truncated', 'DNS question type/class');
    questions.push({ name: n.value.name, type: readU16(bytes, pos), klass: readU16(bytes, pos + 2) });
    pos += 4;
  }
  const answers: Record[] = [];
  const take = an < MAX_ANSWERS ? an : MAX_ANSWERS;
  for (let a = 0; a < take; a++) {
    const n = readName(bytes, pos);
    if (!n.ok) return n;
    pos = n.value.next;
    if (pos + 10 > bytes.length) return fail('truncated', 'DNS record header');
    const type = readU16(bytes, pos);
    const klass = readU16(bytes, pos + 2);
    let ttl = ((bytes[pos + 4] << 24) | (bytes[pos + 5] << 16) | (bytes[pos + 6] << 8) | bytes[pos + 7]) >>> 0;
    if (ttl > 0x7fffffff) ttl = 0;
    const rdlen = readU16(bytes, pos + 8);
    pos += 10;
    if (pos + rdlen > bytes.length) return fail('truncated', 'DNS RDATA runs past the message');
    let address = 0;
    let target = '';
    if (type === TYPE_A && klass === CLASS_IN) {
      if (rdlen !== 4) return fail('malformed', 'DNS A record with RDLENGTH ' + rdlen);
      address = ((bytes[pos] << 24) | (bytes[pos + 1] << 16) | (bytes[pos + 2] << 8) | bytes[pos + 3]) >>> 0;
    } else if (type === TYPE_CNAME || type === TYPE_NS || type === TYPE_PTR) {
      // The name may point anywhere in the message, but must start inside RDATA.
      const t = readName(bytes.subarray(0, pos + rdlen), pos);
      if (!t.ok) return t;
      target = t.value.name;
    }
    answers.push({ name: n.value.name, type: type, klass: klass, ttl: ttl, address: address, target: target,
      data: bytes.subarray(pos, pos + rdlen) });
    pos += rdlen;
  }
  return ok({
    id: readU16(bytes, ID),
    flags: readU16(bytes, FLAGS),
    questions: questions,
    answers: answers,
    answerCount: an,
    authorityCount: readU16(bytes, NSCOUNT),
    additionalCount: readU16(bytes, ARCOUNT),
  });
}

/** Wire length of an uncompressed name; throws TypeError on an invalid name (programmer error). */
export function nameLen(name: string): number {
  if (name.length === 0) return 1;
  const labels = name.split('.');
  let n = 1;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i].length;
    if (l === 0 || l > MAX_LABEL_LEN) throw new TypeError('dns: bad label in "' + name + '"');
    n += l + 1;
  }
  if (n > MAX_NAME_LEN) throw new TypeError('dns: name longer than 255 bytes');
  return n;
}

function writeName(name: string, buf: Uint8Array, at: number): number {
  const len = nameLen(name);
  if (name.length === 0) {
    buf[at] = 0;
    return 1;
  }
  const labels = name.split('.');
  let p = at;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    buf[p++] = l.length;
    for (let k = 0; k < l.length; k++) buf[p++] = l.charCodeAt(k) & 255;
  }
  buf[p] = 0;
  return len;
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function compressible(repr: Repr, name: string): boolean {
  return repr.questions.length > 0 && name.length > 0 && sameName(name, repr.questions[0].name);
}

function rdataLen(r: Record): number {
  if (r.type === TYPE_A && r.klass === CLASS_IN) return 4;
  if (r.type === TYPE_CNAME || r.type === TYPE_NS || r.type === TYPE_PTR) return nameLen(r.target);
  return r.data.length;
}

export function bufferLen(repr: Repr): number {
  let n = HEADER_LEN;
  for (let i = 0; i < repr.questions.length; i++) n += nameLen(repr.questions[i].name) + 4;
  for (let i = 0; i < repr.answers.length; i++) {
    const r = repr.answers[i];
    n += (compressible(repr, r.name) ? 2 : nameLen(r.name)) + 10 + rdataLen(r);
  }
  return n;
}


/** Writes header, questions and answers (NSCOUNT and ARCOUNT 0). Returns the length. */
export function emit(repr: Repr, buf: Uint8Array, offset: number): number {
  const len = bufferLen(repr);
  if (offset < 0 || offset + len > buf.length) throw new TypeError('dns.emit: buffer too small');
  if (repr.questions.length > 0xffff || repr.answers.length > 0xffff) throw new TypeError('dns.emit: too many records');
  writeU16(buf, offset + ID, repr.id);
  writeU16(buf, offset + FLAGS, repr.flags);
  writeU16(buf, offset + QDCOUNT, repr.questions.length);
  writeU16(buf, offset + ANCOUNT, repr.answers.length);
  writeU16(buf, offset + NSCOUNT, 0);
  writeU16(buf, offset + ARCOUNT, 0);
  let p = offset + HEADER_LEN;
  for (let i = 0; i < repr.questions.length; i++) {
    const q = repr.questions[i];
    p += writeName(q.name, buf, p);
    writeU16(buf, p, q.type);
    writeU16(buf, p + 2, q.klass);
    p += 4;
  }
  for (let i = 0; i < repr.answers.length; i++) {
    const r = repr.answers[i];
    if (compressible(repr, r.name)) {
      buf[p] = 0xc0;
      buf[p + 1] = HEADER_LEN;
      p += 2;
    } else {
      p += writeName(r.name, buf, p);
    }
    writeU16(buf, p, r.type);
    writeU16(buf, p + 2, r.klass);
    const ttl = r.ttl >>> 0;
    buf[p + 4] = (ttl >>> 24) & 255;
    buf[p + 5] = (ttl >>> 16) & 255;
    buf[p + 6] = (ttl >>> 8) & 255;
    buf[p + 7] = ttl & 255;
    const rdlen = rdataLen(r);
    writeU16(buf, p + 8, rdlen);
    p += 10;
    if (r.type === TYPE_A && r.klass === CLASS_IN) {
      buf[p] = (r.address >>> 24) & 255;
      buf[p + 1] = (r.address >>> 16) & 255;
      buf[p + 2] = (r.address >>> 8) & 255;
      buf[p + 3] = r.address & 255;
    } else if (r.type === TYPE_CNAME || r.type === TYPE_NS || r.type === TYPE_PTR) {
      writeName(r.target, buf, p);
    } else {
      buf.set(r.data, p);
    }
    p += rdlen;
  }
  return p - offset;
}

/** A standard query for one name (RD set, as a stub resolver asks, RFC 1035 4.1.1). */
export function query(id: number, name: string, type: number): Repr {
  return {
    id: id & 0xffff, flags: FLAG_RD, questions: [{ name: name, type: type, klass: CLASS_IN }], answers: [],
    answerCount: 0, authorityCount: 0, additionalCount: 0,
  };
}
