/**
 * SIP messages (RFC 3261), the part a registering phone and the lab registrar read and
 * write: start line, Via (branch, received, rport of RFC 3581), From/To (tag), Call-ID,
 * CSeq, Contact (expires; `*`), Expires, Min-Expires, Max-Forwards, WWW-/Proxy-Authenticate
 * and Authorization / Proxy-Authorization (Digest, RFC 7616 / 2617), User-Agent or Server,
 * Content-Length and the body. Other headers are checked for a token name and skipped.
 *
 * parse(bytes) never throws: a message that breaks the RFC 3261 grammar of what is read is
 * 'malformed', one without the end of its header block or shorter than its Content-Length
 * is 'truncated', a SIP version other than 2.0 is 'unsupported', more than MAX_MSG bytes
 * or more than the list caps is 'too-large'. Strict where it matters: CRLF line ends only
 * (a bare CR or LF, or any control byte but HTAB, is malformed); Via, From, To, Call-ID and
 * CSeq are required and the singletons may not repeat; a request's CSeq method is its own.
 * Header names are case-insensitive, compact forms v f t i m l are read, folded lines
 * (CRLF then SP/HTAB) are joined with one SP. Bytes past Content-Length are ignored (18.3).
 *
 * Strings hold one byte per character (Latin-1 view of the wire; utf8() turns a JS string
 * into that form). The Repr keeps the values, not the spelling: emit(parse(x)) is not x,
 * but it parses to the same Repr, and emit is a fixed point after one pass. emit writes
 * every header in a fixed order with full names; bufferLen gives its exact length.
 *
 * Framer splits a TCP/TLS byte stream into messages by Content-Length (required there);
 * CRLFs between messages (RFC 5626 keep-alives) are skipped.
 *
 * Caps: MAX_MSG bytes per message, MAX_VIA Vias, MAX_CONTACTS contacts, MAX_CHALLENGES
 * Digest challenges; the Framer holds one MAX_MSG buffer.
 */
import { ok, fail } from '../../../lib/result';
import type { Result, Fail } from '../../../lib/result';
import { bytesToAscii } from '../../../lib/bytes';

export const MAX_MSG = 2048;
export const MAX_VIA = 8;
export const MAX_CONTACTS = 8;
export const MAX_CHALLENGES = 4;
export const PORT = 5060;
export const TLS_PORT = 5061;

export interface Via {
  /** UDP, TCP, TLS (as written). */
  transport: string;
  host: string;
  /** 0: absent. */
  port: number;
  branch: string;
  received: string;
  /** -1 absent, 0 present without a value, else the port. */
  rport: number;
}

export interface NameAddr { display: string; uri: string; tag: string }

/** uri '*' is the Contact: * of a remove-all REGISTER. expires -1: no parameter. */
export interface Contact { display: string; uri: string; expires: number }

export interface Challenge {
  /** Proxy-Authenticate (407) rather than WWW-Authenticate (401). */
  proxy: boolean;
  realm: string;
  nonce: string;
  opaque: string;
  /** '' when absent (MD5). */
  algorithm: string;
  /** qop-options joined by ',' ('' when absent: RFC 2069 response). */
  qop: string;
  stale: boolean;
}

export interface Credentials {
  proxy: boolean;
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: string;
  cnonce: string;
  opaque: string;
  qop: string;
  /** Nonce count; 0 when absent. */
  nc: number;
}

export interface SipMsg {
  /** Request: method and Request-URI (status 0). Response: status and reason (method ''). */
  method: string;
  uri: string;
  status: number;
  reason: string;
  via: Via[];
  from: NameAddr;
  to: NameAddr;
  callId: string;
  cseq: number;
  cseqMethod: string;
  contacts: Contact[];
  /** -1 when absent (also minExpires, maxForwards). */
  expires: number;
  minExpires: number;
  maxForwards: number;
  challenges: Challenge[];
  auth: Credentials | null;
  /** User-Agent (requests) or Server (responses). */
  agent: string;
  /** A view into the parsed bytes. */
  body: Uint8Array;
}

const CRLF = '\r\n';
const MAX_DELTA = 4294967295;
const TOKEN = "-.!%*_+`'~";
const WORD = TOKEN + '()<>:\\"/[]?{}';
const URIC = "-_.!~*'()/?:@&=+$,%[];";

// ---- characters and small lexers -----------------------------------------------------------

function alnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Every character alphanumeric or in `extra`, and at least one. */
function chars(s: string, extra: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    if (!alnum(s.charCodeAt(i)) && extra.indexOf(s.charAt(i)) < 0) return false;
  }
  return true;
}

function isToken(s: string): boolean {
  return chars(s, TOKEN);
}

function ws(c: string): boolean {
  return c === ' ' || c === '\t';
}

/** Trim SP and HTAB only (String.trim would eat 0xA0, a UTF-8 continuation byte). */
function trim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && ws(s.charAt(a))) a++;
  while (b > a && ws(s.charAt(b - 1))) b--;
  return s.substring(a, b);
}

/** Index of the last `c` in `s`, or -1 (String lastIndexOf is missing on Espruino). */
function last(s: string, c: string): number {
  for (let i = s.length - 1; i >= 0; i--) if (s.charAt(i) === c) return i;
  return -1;
}

/** Index of the quote closing the quoted string opened at `i`, or -1. */
function quoteEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charAt(j);
    if (c === '\\') j++;
    else if (c === '"') return j;
  }
  return -1;
}

/** The content of a whole quoted-string, or null. */
function unquote(s: string): string | null {
  if (s.charAt(0) !== '"' || quoteEnd(s, 0) !== s.length - 1) return null;
  let out = '';
  for (let j = 1; j < s.length - 1; j++) {
    if (s.charAt(j) === '\\') j++;
    out += s.charAt(j);
  }
  return out;
}

function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    out += (c === '"' || c === '\\' ? '\\' : '') + c;
  }
  return out + '"';
}

/** Split at `sep` outside quoted strings and <...>; null on an open quote or bracket. */
function split(s: string, sep: string): string[] | null {
  const out: string[] = [];
  let q = false;
  let a = false;
  let st = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (q) {
      if (c === '\\') i++;
      else if (c === '"') q = false;
    } else if (a) {
      if (c === '>') a = false;
    } else if (c === '"') q = true;
    else if (c === '<') a = true;
    else if (c === sep) {
      out.push(s.substring(st, i));
      st = i + 1;
    }
  }
  if (q || a) return null;
  out.push(s.substring(st));
  return out;
}

/** delta-seconds and the like: digits, capped at `max` (RFC 3261 20.19), -1 when not digits. */
function num(s: string, max: number): number {
  if (s.length === 0) return -1;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    if (v <= max) v = v * 10 + c;
  }
  return v > max ? max : v;
}

interface Param { n: string; v: string | null }

/** name [= token / quoted-string], the name lower-cased; null when malformed. */
function param(p: string): Param | null {
  const t = trim(p);
  const e = t.indexOf('=');
  const n = trim(e < 0 ? t : t.substring(0, e));
  if (!isToken(n)) return null;
  if (e < 0) return { n: n.toLowerCase(), v: null };
  const r = trim(t.substring(e + 1));
  const v = r.charAt(0) === '"' ? unquote(r) : chars(r, TOKEN + ':[]') ? r : null;
  return v === null ? null : { n: n.toLowerCase(), v: v };
}

/** The parameters after a value (`;a=b;c`), null when one is malformed. */
function params(list: string[], from: number): Param[] | null {
  const out: Param[] = [];
  for (let i = from; i < list.length; i++) {
    const p = param(list[i]);
    if (p === null) return null;
    out.push(p);
  }
  return out;
}

function isHost(h: string): boolean {
  if (h.charAt(0) === '[') return h.charAt(h.length - 1) === ']' && chars(h.substring(1, h.length - 1), ':.');
  return chars(h, '-.');
}

/** scheme ":" then URI characters (RFC 3986 2.2-2.3 and '%'); the scheme starts with a letter. */
function isUri(u: string): boolean {
  const c = u.indexOf(':');
  const f = u.charCodeAt(0) | 32;
  return c > 0 && f >= 97 && f <= 122 && chars(u.substring(0, c), '+-.') && chars(u.substring(c + 1), URIC);
}

// ---- header values ---------------------------------------------------------------------------

function via(p: string): Via | null {
  const ps = split(p, ';');
  if (ps === null) return null;
  const f = trim(ps[0]);
  const s1 = f.indexOf('/');
  const s2 = f.indexOf('/', s1 + 1);
  if (s1 < 0 || s2 < 0) return null;
  if (trim(f.substring(0, s1)).toUpperCase() !== 'SIP' || trim(f.substring(s1 + 1, s2)) !== '2.0') return null;
  const r = trim(f.substring(s2 + 1));
  let i = 0;
  while (i < r.length && !ws(r.charAt(i))) i++;
  const v: Via = { transport: r.substring(0, i), host: trim(r.substring(i)), port: 0, branch: '', received: '', rport: -1 };
  if (!isToken(v.transport) || i === r.length) return null;
  // sent-by: host [":" port]; an IPv6 reference keeps its brackets.
  const h = v.host;
  const c = last(h, ':');
  if (c > last(h, ']')) {
    v.port = num(trim(h.substring(c + 1)), 65535);
    v.host = trim(h.substring(0, c));
    if (v.port <= 0) return null;
  }
  if (!isHost(v.host)) return null;
  const list = params(ps, 1);
  if (list === null) return null;
  for (let k = 0; k < list.length; k++) {
    const x = list[k];
    if (x.n === 'branch') {
      if (x.v === null || !isToken(x.v)) return null;
      v.branch = x.v;
    } else if (x.n === 'received') {
      // An IPv4 or IPv6 address, the latter without brackets here.
      if (x.v === null || !(isHost(x.v) || chars(x.v, ':.'))) return null;
      v.received = x.v;
    } else if (x.n === 'rport') {
      v.rport = x.v === null ? 0 : num(x.v, 65535);
      if (v.rport <= 0 && x.v !== null) return null;
    }
  }
  return v;
}

interface Addr { display: string; uri: string; tag: string; expires: number }

/** name-addr or addr-spec, then ;params (tag and expires kept). */
function addr(p: string): Addr | null {
  const t = trim(p);
  let display = '';
  let r = t;
  if (t.charAt(0) === '"') {
    const e = quoteEnd(t, 0);
    const d = e < 0 ? null : unquote(t.substring(0, e + 1));
    if (d === null) return null;
    display = d;
    r = trim(t.substring(e + 1));
    if (r.charAt(0) !== '<') return null;
  } else {
    const lt = t.indexOf('<');
    if (lt >= 0) {
      // *(token LWS): tokens and blanks.
      display = trim(t.substring(0, lt));
      if (display !== '' && !chars(display, TOKEN + ' \t')) return null;
      r = t.substring(lt);
    }
  }
  let uri: string;
  let rest: string;
  if (r.charAt(0) === '<') {
    const gt = r.indexOf('>');
    if (gt < 0) return null;
    uri = r.substring(1, gt);
    rest = trim(r.substring(gt + 1));
  } else {
    const semi = r.indexOf(';');
    uri = trim(semi < 0 ? r : r.substring(0, semi));
    rest = semi < 0 ? '' : r.substring(semi);
    if (uri.indexOf('?') >= 0) return null;
  }
  if (!isUri(uri) || (rest !== '' && rest.charAt(0) !== ';')) return null;
  const ps = split(rest, ';');
  const list = ps === null ? null : params(ps, 1);
  if (list === null) return null;
  const a: Addr = { display: display, uri: uri, tag: '', expires: -1 };
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (x.n === 'tag') {
      if (x.v === null || !isToken(x.v)) return null;
      a.tag = x.v;
    } else if (x.n === 'expires') {
      a.expires = x.v === null ? -1 : num(x.v, MAX_DELTA);
      if (a.expires < 0) return null;
    }
  }
  return a;
}

/**
 * The Digest parameters kept, in emit order; a leading '"' marks a quoted-string. Others
 * are skipped. Challenges: RFC 7616 3.3; credentials: 3.4 (qop and nc unquoted).
 */
const CH_KEYS = ['"realm', '"nonce', '"opaque', 'algorithm', '"qop', 'stale'];
const CR_KEYS = ['"username', '"realm', '"nonce', '"uri', '"response', 'algorithm', '"cnonce', '"opaque', 'qop', 'nc'];

/** A kept parameter's value checked and typed; null when malformed. */
function digestValue(n: string, v: string): string | number | boolean | null {
  if (n === 'algorithm') return isToken(v) ? v : null;
  if (n === 'stale') {
    const t = v.toLowerCase();
    return t === 'true' ? true : t === 'false' ? false : null;
  }
  if (n === 'nc') {
    const x = parseInt(v, 16);
    return v.length === 8 && chars(v, '') && x >= 0 ? x : null;
  }
  if (n === 'qop') {
    const q = v.split(',');
    for (let j = 0; j < q.length; j++) {
      q[j] = trim(q[j]);
      if (!isToken(q[j])) return null;
    }
    return q.join(',');
  }
  return v;
}

function kept(keys: string[], n: string): boolean {
  for (let i = 0; i < keys.length; i++) if (keys[i] === n || keys[i] === '"' + n) return true;
  return false;
}

/**
 * The Digest challenges (`cr` null) or the first Digest credentials (`cr` given) of one
 * header value: schemes may repeat within it (RFC 7235 4.1); other schemes are skipped.
 */
function digest(v: string, proxy: boolean, out: Array<Challenge | Credentials>, cred: boolean): ErrorCodeOrNull {
  const parts = split(v, ',');
  if (parts === null) return 'malformed';
  const keys = cred ? CR_KEYS : CH_KEYS;
  let cur: Record<string, unknown> | null = null;
  let other = false;
  for (let k = 0; k < parts.length; k++) {
    let t = trim(parts[k]);
    let i = 0;
    while (i < t.length && !ws(t.charAt(i)) && t.charAt(i) !== '=') i++;
    const rest = trim(t.substring(i));
    if (i > 0 && rest.charAt(0) !== '=') {
      // A new scheme ("Digest realm=...").
      if (!isToken(t.substring(0, i))) return 'malformed';
      other = t.substring(0, i).toLowerCase() !== 'digest';
      cur = null;
      if (!other) {
        if (out.length >= MAX_CHALLENGES) return 'too-large';
        cur = !cred ? { proxy: proxy, realm: '', nonce: '', opaque: '', algorithm: '', qop: '', stale: false }
          : { proxy: proxy, username: '', realm: '', nonce: '', uri: '', response: '', algorithm: '', cnonce: '', opaque: '', qop: '', nc: 0 };
        out.push(cur as unknown as Challenge | Credentials);
      }
      t = rest;
    }
    if (t === '' || other) continue;
    const x = param(t);
    if (x === null || x.v === null || cur === null) return 'malformed';
    if (!kept(keys, x.n)) continue;
    const val = digestValue(x.n, x.v);
    if (val === null || (cred && x.n === 'qop' && x.v.indexOf(',') >= 0)) return 'malformed';
    cur[x.n] = val;
  }
  return null;
}

type ErrorCodeOrNull = 'malformed' | 'too-large' | null;

// ---- the message -------------------------------------------------------------------------------

/** Index of the CRLFCRLF ending the header block in b[0..n), or -1. */
export function headEnd(b: Uint8Array, n: number): number {
  for (let i = 0; i + 3 < n; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

/** The unfolded lines of b[0..end); null on a bare CR/LF, a control byte or a fold at the start. */
function lines(b: Uint8Array, end: number): string[] | null {
  const out: string[] = [];
  let st = 0;
  for (let i = 0; i <= end; i++) {
    const c = i < end ? b[i] : 13;
    if (c === 13) {
      if (i < end && b[i + 1] !== 10) return null;
      const l = bytesToAscii(b, st, i);
      if (l.length > 0 && ws(l.charAt(0))) {
        if (out.length === 0) return null;
        out[out.length - 1] = trim(out[out.length - 1]) + ' ' + trim(l);
      } else {
        out.push(l);
      }
      i++;
      st = i + 1;
    } else if ((c < 32 && c !== 9) || c === 127) {
      return null;
    }
  }
  return out;
}

const SINGLE = ['from', 'to', 'call-id', 'cseq', 'expires', 'min-expires', 'max-forwards', 'content-length'];
const AUTH = ' www-authenticate proxy-authenticate authorization proxy-authorization ';
const COMPACT = 'v:via f:from t:to i:call-id m:contact l:content-length ';

/** A message with every field empty or absent (the senders fill what they use). */
export function newMsg(): SipMsg {
  return {
    method: '', uri: '', status: 0, reason: '', via: [], from: { display: '', uri: '', tag: '' },
    to: { display: '', uri: '', tag: '' }, callId: '', cseq: 0, cseqMethod: '', contacts: [], expires: -1, minExpires: -1,
    maxForwards: -1, challenges: [], auth: null, agent: '', body: new Uint8Array(0),
  };
}

function startLine(l: string, m: SipMsg): Fail | null {
  if (l.substring(0, 4).toUpperCase() === 'SIP/') {
    if (l.substring(0, 8).toUpperCase() !== 'SIP/2.0 ') return fail(l.charAt(7) === ' ' ? 'unsupported' : 'malformed', 'version');
    m.status = num(l.substring(8, 11), 999);
    if (m.status < 100 || m.status > 699 || (l.length > 11 && l.charAt(11) !== ' ')) return fail('malformed', 'status');
    m.reason = l.substring(12);
    return null;
  }
  const a = l.indexOf(' ');
  const b = l.indexOf(' ', a + 1);
  if (a < 0 || b < 0) return fail('malformed', 'start line');
  m.method = l.substring(0, a);
  m.uri = l.substring(a + 1, b);
  const v = l.substring(b + 1).toUpperCase();
  if (!isToken(m.method) || !isUri(m.uri)) return fail('malformed', 'request line');
  if (v !== 'SIP/2.0') return fail(v.substring(0, 4) === 'SIP/' ? 'unsupported' : 'malformed', 'version');
  return null;
}

/** One header into `m`; `seen` collects singleton names. The error, or null. */
function header(name: string, v: string, m: SipMsg, seen: string[]): ErrorCodeOrNull {
  if (SINGLE.indexOf(name) >= 0) {
    if (seen.indexOf(name) >= 0) return 'malformed';
    seen.push(name);
  }
  if (name === 'via' || name === 'contact') {
    const list = split(v, ',');
    if (list === null) return 'malformed';
    for (let i = 0; i < list.length; i++) {
      const s = trim(list[i]);
      if (name === 'via') {
        const x = via(s);
        if (x === null) return 'malformed';
        if (m.via.length >= MAX_VIA) return 'too-large';
        m.via.push(x);
      } else {
        const c = s === '*' ? { display: '', uri: '*', tag: '', expires: -1 } : addr(s);
        if (c === null) return 'malformed';
        if (m.contacts.length >= MAX_CONTACTS) return 'too-large';
        m.contacts.push({ display: c.display, uri: c.uri, expires: c.expires });
      }
    }
  } else if (name === 'from' || name === 'to') {
    const a = addr(v);
    if (a === null) return 'malformed';
    const n: NameAddr = { display: a.display, uri: a.uri, tag: a.tag };
    if (name === 'from') m.from = n;
    else m.to = n;
  } else if (name === 'call-id') {
    const at = v.indexOf('@');
    if (!chars(at < 0 ? v : v.substring(0, at), WORD) || (at >= 0 && !chars(v.substring(at + 1), WORD))) return 'malformed';
    m.callId = v;
  } else if (name === 'cseq') {
    let i = 0;
    while (i < v.length && !ws(v.charAt(i))) i++;
    m.cseq = num(v.substring(0, i), 0x80000000);
    m.cseqMethod = trim(v.substring(i));
    if (m.cseq < 0 || m.cseq >= 0x80000000 || !isToken(m.cseqMethod)) return 'malformed';
  } else if (name === 'expires' || name === 'min-expires' || name === 'max-forwards') {
    const n = num(v, name === 'max-forwards' ? 255 : MAX_DELTA);
    if (n < 0) return 'malformed';
    if (name === 'expires') m.expires = n;
    else if (name === 'min-expires') m.minExpires = n;
    else m.maxForwards = n;
  } else if (AUTH.indexOf(' ' + name + ' ') >= 0) {
    const cred = name.charAt(name.length - 1) === 'n';
    const a: Array<Challenge | Credentials> = cred ? [] : m.challenges;
    const e = digest(v, name.charAt(0) === 'p', a, cred);
    if (e !== null) return e;
    if (cred && a.length > 0 && m.auth === null) m.auth = a[0] as Credentials;
  } else if ((name === 'user-agent' || name === 'server') && m.agent === '') {
    m.agent = v;
  }
  return null;
}

export function parse(b: Uint8Array): Result<SipMsg> {
  if (b.length > MAX_MSG) return fail('too-large', 'message');
  const h = headEnd(b, b.length);
  if (h < 0) return fail('truncated', 'no end of headers');
  const ls = lines(b, h);
  if (ls === null || ls.length === 0) return fail('malformed', 'line');
  const m = newMsg();
  const e = startLine(ls[0], m);
  if (e !== null) return e;
  const seen: string[] = [];
  let cl = -1;
  for (let i = 1; i < ls.length; i++) {
    const l = ls[i];
    const c = l.indexOf(':');
    let name = c < 0 ? '' : trim(l.substring(0, c)).toLowerCase();
    if (!isToken(name)) return fail('malformed', 'header name');
    if (name.length === 1) {
      const k = COMPACT.indexOf(name + ':');
      if (k >= 0) name = COMPACT.substring(k + 2, COMPACT.indexOf(' ', k));
    }
    const v = trim(l.substring(c + 1));
    if (name === 'content-length') {
      cl = num(v, MAX_MSG + 1);
      if (cl < 0) return fail('malformed', 'content-length');
    }
    const r = header(name, v, m, seen);
    if (r !== null) return fail(r, name);
  }
  if (m.via.length === 0 || seen.indexOf('cseq') < 0 || seen.indexOf('call-id') < 0 ||
      seen.indexOf('from') < 0 || seen.indexOf('to') < 0) {
    return fail('malformed', 'missing header');
  }
  if (m.status === 0 && m.cseqMethod !== m.method) return fail('malformed', 'cseq method');
  const body = h + 4;
  if (cl < 0) cl = b.length - body;
  if (body + cl > b.length) return fail('truncated', 'body');
  m.body = b.subarray(body, body + cl);
  return ok(m);
}

// ---- emit --------------------------------------------------------------------------------------

function pv(name: string, v: string): string {
  return v === '' ? '' : ';' + name + '=' + v;
}

function naddr(display: string, uri: string): string {
  return (display !== '' ? quote(display) + ' ' : '') + (uri === '*' ? '*' : '<' + uri + '>');
}

/** A nonce count as 8 lowercase hex digits. */
export function ncText(n: number): string {
  let s = (n >>> 0).toString(16);
  while (s.length < 8) s = '0' + s;
  return s;
}

/** " k=v" / ", k=v" for each non-empty kept Digest parameter (see CH_KEYS). */
function dparams(o: Challenge | Credentials, keys: string[]): string {
  const r = o as unknown as Record<string, string | number | boolean>;
  let s = '';
  for (let i = 0; i < keys.length; i++) {
    const q = keys[i].charAt(0) === '"';
    const k = q ? keys[i].substring(1) : keys[i];
    const v = r[k];
    if (v === '' || v === 0 || v === false) continue;
    s += (s === '' ? ' ' : ', ') + k + '=' + (k === 'nc' ? ncText(v as number) : q ? quote(v as string) : String(v));
  }
  return s;
}

/** The message as text (one byte per character), without the body. */
function text(m: SipMsg): string {
  let s = m.status > 0 ? 'SIP/2.0 ' + m.status + ' ' + m.reason : m.method + ' ' + m.uri + ' SIP/2.0';
  s += CRLF;
  for (let i = 0; i < m.via.length; i++) {
    const v = m.via[i];
    s += 'Via: SIP/2.0/' + v.transport + ' ' + v.host + (v.port > 0 ? ':' + v.port : '') + pv('branch', v.branch) +
      pv('received', v.received) + (v.rport > 0 ? ';rport=' + v.rport : v.rport === 0 ? ';rport' : '') + CRLF;
  }
  if (m.maxForwards >= 0) s += 'Max-Forwards: ' + m.maxForwards + CRLF;
  s += 'From: ' + naddr(m.from.display, m.from.uri) + pv('tag', m.from.tag) + CRLF;
  s += 'To: ' + naddr(m.to.display, m.to.uri) + pv('tag', m.to.tag) + CRLF;
  s += 'Call-ID: ' + m.callId + CRLF + 'CSeq: ' + m.cseq + ' ' + m.cseqMethod + CRLF;
  for (let i = 0; i < m.contacts.length; i++) {
    const c = m.contacts[i];
    s += 'Contact: ' + naddr(c.display, c.uri) + (c.expires >= 0 ? ';expires=' + c.expires : '') + CRLF;
  }
  if (m.expires >= 0) s += 'Expires: ' + m.expires + CRLF;
  if (m.minExpires >= 0) s += 'Min-Expires: ' + m.minExpires + CRLF;
  for (let i = 0; i < m.challenges.length; i++) {
    const c = m.challenges[i];
    s += (c.proxy ? 'Proxy' : 'WWW') + '-Authenticate: Digest' + dparams(c, CH_KEYS) + CRLF;
  }
  const a = m.auth;
  if (a !== null) s += (a.proxy ? 'Proxy-' : '') + 'Authorization: Digest' + dparams(a, CR_KEYS) + CRLF;
  if (m.agent !== '') s += (m.status > 0 ? 'Server: ' : 'User-Agent: ') + m.agent + CRLF;
  return s + 'Content-Length: ' + m.body.length + CRLF + CRLF;
}

export function bufferLen(m: SipMsg): number {
  return text(m).length + m.body.length;
}

export function emit(m: SipMsg, buf: Uint8Array, offset: number): number {
  const s = text(m);
  const n = s.length + m.body.length;
  if (offset + n > buf.length) throw new TypeError('sip emit: buffer too small');
  for (let i = 0; i < s.length; i++) buf[offset + i] = s.charCodeAt(i) & 255;
  buf.set(m.body, offset + s.length);
  return n;
}

/** A JS string as UTF-8, one byte per character (the form every string here has). */
export function utf8(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) out += String.fromCharCode(c);
    else if (c < 0x800) out += String.fromCharCode(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out += String.fromCharCode(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out += String.fromCharCode(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

/** The user part of a sip:/sips: URI ('' when none). */
export function uriUser(uri: string): string {
  const c = uri.indexOf(':');
  const at = uri.indexOf('@');
  return at > c ? uri.substring(c + 1, at) : '';
}

// ---- stream framing ----------------------------------------------------------------------------

/** Content-Length of the header block b[0..end) scanned byte by byte; -1 absent, -2 malformed. */
function lengthOf(b: Uint8Array, end: number): number {
  for (let i = 0; i < end; i++) {
    // A header line starts after an LF, not with a blank (that is a folded line).
    if (b[i] !== 10 || b[i + 1] === 32 || b[i + 1] === 9) continue;
    let j = i + 1;
    let name = '';
    while (j < end && b[j] !== 58 && b[j] !== 13 && name.length < 16) name += String.fromCharCode(b[j++] | 32);
    name = trim(name);
    if (b[j] !== 58 || (name !== 'content-length' && name !== 'l')) continue;
    let k = j + 1;
    while (k < end && b[k] !== 13) k++;
    const n = num(trim(bytesToAscii(b, j + 1, k)), MAX_MSG + 1);
    return n < 0 ? -2 : n;
  }
  return -1;
}

/** Splits a byte stream into whole SIP messages (by Content-Length). */
export class Framer {
  private readonly buf: Uint8Array;
  private n = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }

  /**
   * Feed stream bytes (any chunking); each whole message goes to `onMsg` (a view valid
   * during the call). A Fail when the stream cannot be framed any more: a message over the
   * buffer, or a header block without a usable Content-Length. The caller closes.
   */
  push(bytes: Uint8Array, onMsg: (m: Uint8Array) => void): Fail | null {
    let off = 0;
    const b = this.buf;
    while (off < bytes.length || this.n > 0) {
      const take = Math.min(b.length - this.n, bytes.length - off);
      b.set(bytes.subarray(off, off + take), this.n);
      this.n += take;
      off += take;
      let skip = 0;
      while (skip < this.n && (b[skip] === 13 || b[skip] === 10)) skip++;
      this.shift(skip);
      const h = headEnd(b, this.n);
      if (h < 0) {
        if (this.n === b.length) return fail('too-large', 'message');
        if (off >= bytes.length) return null;
        continue;
      }
      const cl = lengthOf(b, h);
      if (cl < 0) return fail('malformed', 'content-length');
      const total = h + 4 + cl;
      if (total > b.length) return fail('too-large', 'message');
      if (this.n < total) {
        if (off >= bytes.length) return null;
        continue;
      }
      onMsg(b.subarray(0, total));
      this.shift(total);
    }
    return null;
  }

  private shift(k: number): void {
    if (k === 0) return;
    const b = this.buf;
    // copyWithin is missing on Espruino.
    for (let i = k; i < this.n; i++) b[i - k] = b[i];
    this.n -= k;
  }
}
