/**
 * The Cisco trust-list format (CTLFile.tlv, ITLFile.tlv; the same signed header starts
 * .sgn and .loads files): TLVs of a 1-byte tag, a u16 big-endian length and the value;
 * strings NUL-terminated. Facts from usecallmanagernz/certutils `tlvfile`/`sgnfile`,
 * checked on a real signed ITL (test/unit/trust).
 *
 * Header: VERSION (1) and HEADER_LENGTH (2) first, then tags up to HEADER_LENGTH (which
 * counts the signature; records or content start there). SIGNER_ID (3), SIGNATURE_INFO (7)
 * and SIGNATURE_ALGORITHM_INFO (9) are containers whose children follow inline; PADDING
 * (13) is one byte with no length. Header tags allowed: 1-15 and 28 (SIGNER_VERSION).
 * The signature (PKCS#1 v1.5, digest by tag 8) covers the whole file without the
 * SIGNATURE TLV (its tag, length and value).
 *
 * Record: RECORD_LENGTH (1, u16 of the whole record) first, then tags 2-12: DNS name,
 * subject, role (u16), issuer, serial, public key, certificate signature, certificate
 * (X.509 DER), IPv4, certificate hash, hash algorithm.
 *
 * parse never throws and checks every TLV against the end of its header or record;
 * unknown tags are 'unsupported', repeated ones 'malformed'. emit writes the order of the
 * real ITL in ../shared/fixtures (certutils today writes SERIAL before CA name, and ROLE
 * before ISSUER; readers take any order), strings NUL-terminated, the header padded to 4.
 */
import { ok, fail } from '../../lib/result';
import type { Result } from '../../lib/result';
import { readU16, writeU16, readU32, writeU32 } from '../../lib/bytes';

export const ROLE_SAST = 0;
export const ROLE_CCM = 1;
export const ROLE_CCM_TFTP = 2;
export const ROLE_TFTP = 3;
export const ROLE_CAPF = 4;
export const ROLE_APP_SERVER = 7;
export const ROLE_TVS = 21;

export const DIGEST_SHA1 = 1;
export const DIGEST_SHA256 = 2;

/** Signature sizes by the SIGNATURE_MODULUS index (tag 11). */
const SIG_SIZES = [64, 128, 256, 512];

export function roleName(role: number): string {
  switch (role) {
    case ROLE_SAST: return 'SAST';
    case ROLE_CCM: return 'CCM';
    case ROLE_CCM_TFTP: return 'CCM+TFTP';
    case ROLE_TFTP: return 'TFTP';
    case ROLE_CAPF: return 'CAPF';
    case ROLE_APP_SERVER: return 'APP-SERVER';
    case ROLE_TVS: return 'TVS';
  }
  return 'role ' + role;
}

export interface Header {
  /** major << 8 | minor (1.2 from certutils, 1.1 in .loads files). */
  version: number;
  /** SIGNER_VERSION (tag 28) as major << 8 | minor, -1 when absent. */
  signerVersion: number;
  signerName: string;
  /** The signer's issuer (CA name, tag 6). */
  issuer: string;
  /** The signer certificate's serial, as written (big-endian bytes). */
  serial: Uint8Array;
  digest: number;
  signature: Uint8Array;
  filename: string;
  /** Unix time, -1 when absent. */
  timestamp: number;
  /** Parse output: HEADER_LENGTH, where records or content start. */
  length: number;
  /** Parse output: offset of the SIGNATURE TLV (its 3 + signature.length bytes are unsigned). */
  sigAt: number;
}

export interface TrustRecord {
  role: number;
  subject: string;
  issuer: string;
  dnsName: string;
  serial: Uint8Array;
  /** RSAPublicKey DER or an EC point; empty when absent. */
  publicKey: Uint8Array;
  certSig: Uint8Array;
  /** X.509 DER; empty when absent. */
  cert: Uint8Array;
  certHash: Uint8Array;
  /** IPv4 (host order), -1 when absent. */
  ip: number;
  /** Tag 12, -1 when absent. */
  hashAlg: number;
  /** Parse output: RECORD_LENGTH. */
  length: number;
}

function str(b: Uint8Array, at: number, end: number): string {
  let s = '';
  for (let i = at; i < end && b[i] !== 0; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** The header at the start of `b` (a whole file, or just its first HEADER_LENGTH bytes). */
export function parseHeader(b: Uint8Array): Result<Header> {
  if (b.length < 10) return fail('truncated', 'header');
  if (b[0] !== 1 || readU16(b, 1) !== 2 || b[5] !== 2 || readU16(b, 6) !== 2) return fail('malformed', 'header start');
  const len = readU16(b, 8);
  if (len > b.length) return fail('truncated', 'header');
  const h: Header = {
    version: readU16(b, 3), signerVersion: -1, signerName: '', issuer: '', serial: b.subarray(0, 0),
    digest: 0, signature: b.subarray(0, 0), filename: '', timestamp: -1, length: len, sigAt: -1,
  };
  let seen = 6;
  let mod = -1;
  let p = 10;
  while (p < len) {
    const t = b[p];
    if (t === 13) { p++; continue; }
    if (p + 3 > len) return fail('malformed', 'header TLV at ' + p);
    const l = readU16(b, p + 1);
    const v = p + 3;
    if (v + l > len) return fail('malformed', 'header TLV at ' + p);
    if (t === 3 || t === 7 || t === 9) { p = v; continue; }
    if (t < 1 || (t > 15 && t !== 28)) return fail('unsupported', 'header tag ' + t);
    if (seen & (1 << t)) return fail('malformed', 'header tag ' + t);
    seen |= 1 << t;
    const fixed = t === 8 || t === 10 || t === 11 ? 1 : t === 15 ? 4 : t === 28 ? 2 : -1;
    if (fixed >= 0 && l !== fixed) return fail('malformed', 'header tag ' + t);
    if (t === 4) h.signerName = str(b, v, v + l);
    else if (t === 5) h.serial = b.subarray(v, v + l);
    else if (t === 6) h.issuer = str(b, v, v + l);
    else if (t === 8) h.digest = b[v];
    else if (t === 10 && b[v] !== 0) return fail('unsupported', 'signature algorithm ' + b[v]);
    else if (t === 11) mod = b[v];
    else if (t === 12) { h.signature = b.subarray(v, v + l); h.sigAt = p; }
    else if (t === 14) h.filename = str(b, v, v + l);
    else if (t === 15) h.timestamp = readU32(b, v);
    else if (t === 28) h.signerVersion = readU16(b, v);
    p = v + l;
  }
  if (h.sigAt < 0 || h.serial.length === 0 || !(seen & (1 << 8))) return fail('malformed', 'header incomplete');
  const n = h.signature.length;
  if (SIG_SIZES.indexOf(n) < 0 || (mod >= 0 && SIG_SIZES[mod] !== n)) return fail('malformed', 'signature size');
  return ok(h);
}

function strLen(s: string): number {
  return 4 + s.length;
}

function putHead(buf: Uint8Array, p: number, tag: number, len: number): number {
  buf[p] = tag;
  writeU16(buf, p + 1, len);
  return p + 3;
}

function putStr(buf: Uint8Array, p: number, tag: number, s: string): number {
  putHead(buf, p, tag, s.length + 1);
  for (let i = 0; i < s.length; i++) buf[p + 3 + i] = s.charCodeAt(i) & 255;
  buf[p + 3 + s.length] = 0;
  return p + 4 + s.length;
}

function putBytes(buf: Uint8Array, p: number, tag: number, v: Uint8Array): number {
  buf.set(v, putHead(buf, p, tag, v.length));
  return p + 3 + v.length;
}

function putNum(buf: Uint8Array, p: number, tag: number, size: number, v: number): number {
  putHead(buf, p, tag, size);
  if (size === 1) buf[p + 3] = v;
  else if (size === 2) writeU16(buf, p + 3, v);
  else writeU32(buf, p + 3, v);
  return p + 3 + size;
}

function headerBody(h: Header): number {
  return 10 + (h.signerVersion >= 0 ? 5 : 0) + 3 + strLen(h.signerName) + 3 + h.serial.length + strLen(h.issuer) +
    18 + 3 + h.signature.length + strLen(h.filename) + (h.timestamp >= 0 ? 7 : 0);
}

export function headerLen(h: Header): number {
  return (headerBody(h) + 3) & ~3;
}

/** The header in canonical order; `length` and `sigAt` of the Repr are ignored. */
export function emitHeader(h: Header, buf: Uint8Array, offset: number): number {
  const total = headerLen(h);
  let p = putNum(buf, offset, 1, 2, h.version);
  p = putNum(buf, p, 2, 2, total);
  if (h.signerVersion >= 0) p = putNum(buf, p, 28, 2, h.signerVersion);
  p = putHead(buf, p, 3, strLen(h.signerName) + 3 + h.serial.length + strLen(h.issuer));
  p = putStr(buf, p, 4, h.signerName);
  p = putStr(buf, p, 6, h.issuer);
  p = putBytes(buf, p, 5, h.serial);
  p = putHead(buf, p, 7, 15);
  p = putNum(buf, p, 8, 1, h.digest);
  p = putHead(buf, p, 9, 8);
  p = putNum(buf, p, 10, 1, 0);
  p = putNum(buf, p, 11, 1, SIG_SIZES.indexOf(h.signature.length) & 255);
  p = putBytes(buf, p, 12, h.signature);
  p = putStr(buf, p, 14, h.filename);
  if (h.timestamp >= 0) p = putNum(buf, p, 15, 4, h.timestamp);
  while (p < offset + total) buf[p++] = 13;
  return total;
}

/** One record: `b` starts with its RECORD_LENGTH TLV and holds at least the whole record. */
export function parseRecord(b: Uint8Array): Result<TrustRecord> {
  if (b.length < 5) return fail('truncated', 'record');
  if (b[0] !== 1 || readU16(b, 1) !== 2) return fail('malformed', 'record start');
  const len = readU16(b, 3);
  if (len < 5) return fail('malformed', 'record length');
  if (len > b.length) return fail('truncated', 'record');
  const none = b.subarray(0, 0);
  const r: TrustRecord = {
    role: -1, subject: '', issuer: '', dnsName: '', serial: none, publicKey: none, certSig: none,
    cert: none, certHash: none, ip: -1, hashAlg: -1, length: len,
  };
  let seen = 0;
  let p = 5;
  while (p < len) {
    if (p + 3 > len) return fail('malformed', 'record TLV at ' + p);
    const t = b[p];
    const l = readU16(b, p + 1);
    const v = p + 3;
    if (v + l > len) return fail('malformed', 'record TLV at ' + p);
    if (t < 2 || t > 12) return fail('unsupported', 'record tag ' + t);
    if (seen & (1 << t)) return fail('malformed', 'record tag ' + t);
    seen |= 1 << t;
    const fixed = t === 4 ? 2 : t === 10 ? 4 : t === 12 ? 1 : -1;
    if (fixed >= 0 && l !== fixed) return fail('malformed', 'record tag ' + t);
    const val = b.subarray(v, v + l);
    if (t === 2) r.dnsName = str(b, v, v + l);
    else if (t === 3) r.subject = str(b, v, v + l);
    else if (t === 4) r.role = readU16(b, v);
    else if (t === 5) r.issuer = str(b, v, v + l);
    else if (t === 6) r.serial = val;
    else if (t === 7) r.publicKey = val;
    else if (t === 8) r.certSig = val;
    else if (t === 9) r.cert = val;
    else if (t === 10) r.ip = readU32(b, v);
    else if (t === 11) r.certHash = val;
    else r.hashAlg = b[v];
    p = v + l;
  }
  if (r.role < 0) return fail('malformed', 'record role');
  return ok(r);
}

export function recordLen(r: TrustRecord): number {
  return 10 + (r.dnsName.length > 0 ? strLen(r.dnsName) : 0) + (r.subject.length > 0 ? strLen(r.subject) : 0) +
    (r.issuer.length > 0 ? strLen(r.issuer) : 0) + (r.serial.length > 0 ? 3 + r.serial.length : 0) +
    (r.publicKey.length > 0 ? 3 + r.publicKey.length : 0) + (r.certSig.length > 0 ? 3 + r.certSig.length : 0) +
    (r.cert.length > 0 ? 3 + r.cert.length : 0) + (r.ip >= 0 ? 7 : 0) +
    (r.certHash.length > 0 ? 3 + r.certHash.length : 0) + (r.hashAlg >= 0 ? 4 : 0);
}

/** One record, fields in the real ITL's order; empty strings and byte fields, and -1 numbers, are left out. */
export function emitRecord(r: TrustRecord, buf: Uint8Array, offset: number): number {
  const total = recordLen(r);
  let p = putNum(buf, offset, 1, 2, total);
  if (r.dnsName.length > 0) p = putStr(buf, p, 2, r.dnsName);
  if (r.subject.length > 0) p = putStr(buf, p, 3, r.subject);
  if (r.issuer.length > 0) p = putStr(buf, p, 5, r.issuer);
  if (r.serial.length > 0) p = putBytes(buf, p, 6, r.serial);
  p = putNum(buf, p, 4, 2, r.role);
  if (r.publicKey.length > 0) p = putBytes(buf, p, 7, r.publicKey);
  if (r.certSig.length > 0) p = putBytes(buf, p, 8, r.certSig);
  if (r.cert.length > 0) p = putBytes(buf, p, 9, r.cert);
  if (r.ip >= 0) p = putNum(buf, p, 10, 4, r.ip);
  if (r.certHash.length > 0) p = putBytes(buf, p, 11, r.certHash);
  if (r.hashAlg >= 0) p = putNum(buf, p, 12, 1, r.hashAlg);
  return p - offset;
}
