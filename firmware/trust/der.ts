/**
 * A small DER reader (X.690) for what the phone needs out of an X.509 certificate
 * (RFC 5280 4.1): serial, issuer and subject as text, the subject public key (RSA modulus
 * and exponent; an EC or other key is noted by type). Untrusted input: every element's
 * header and length are checked against its parent's end before anything is read; the
 * path through the certificate is fixed (no recursion), so depth is bounded by the code.
 * Only definite lengths of at most 3 length bytes (16 MiB) and low tag numbers: DER
 * certificates never need more. Results are subarrays of the input (no copies).
 * The caller hashes the certificate (or its key) through HAL crypto.
 */
import { ok, fail } from '../../lib/result';
import type { Result } from '../../lib/result';
import { hex } from '../../lib/bytes';

export const KEY_OTHER = 0;
export const KEY_RSA = 1;
export const KEY_EC = 2;

export interface Cert {
  /** The serial's magnitude (a leading sign byte 00 removed). */
  serial: Uint8Array;
  /** "CN=x,O=y,OU=z" in certificate order (CN, O, OU, L, ST, C; other attributes left out). */
  issuer: string;
  subject: string;
  /** The subject's first CN, '' when none. */
  cn: string;
  keyType: number;
  /** The subjectPublicKey bits: RSAPublicKey DER (RFC 8017 A.1.1) or an EC point (X9.62). */
  key: Uint8Array;
  /** RSA only (empty otherwise): big-endian, leading zeros removed. */
  modulus: Uint8Array;
  exponent: Uint8Array;
}

/** One element: tag, content [at, end). `read` returns false when it does not fit. */
export class Der {
  tag = 0;
  at = 0;
  end = 0;
  readonly b: Uint8Array;

  constructor(b: Uint8Array) {
    this.b = b;
  }

  /** The element starting at `off`, which must end by `lim`; `want` >= 0 checks its tag. */
  read(off: number, lim: number, want: number): boolean {
    const b = this.b;
    if (lim > b.length || off + 2 > lim) return false;
    const tag = b[off];
    if ((tag & 0x1f) === 0x1f) return false;
    let len = b[off + 1];
    let p = off + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 3 || p + n > lim || b[p] === 0) return false;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[p + i];
      p += n;
      if (len < 128) return false; // DER: shortest length form
    }
    if (p + len > lim || (want >= 0 && tag !== want)) return false;
    this.tag = tag;
    this.at = p;
    this.end = p + len;
    return true;
  }
}

/** Big-endian magnitude: leading zero bytes removed (one kept for zero). */
export function magnitude(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

// Short names of the attributes 2.5.4.x the phone shows, by x.
const ATTR = ['', '', '', 'CN', '', '', 'C', 'L', 'ST', '', 'O', 'OU'];

/** A Name (RFC 5280 4.1.2.4) at [at, end) as text, or null when malformed. `cn` gets the first CN. */
function nameText(d: Der, at: number, end: number, cn: string[]): string | null {
  const b = d.b;
  let s = '';
  let p = at;
  while (p < end) {
    if (!d.read(p, end, 0x31)) return null; // RDN: SET
    const setEnd = d.end;
    p = setEnd;
    let q = d.at;
    while (q < setEnd) {
      if (!d.read(q, setEnd, 0x30)) return null; // AttributeTypeAndValue
      const atvEnd = d.end;
      q = atvEnd;
      if (!d.read(d.at, atvEnd, 0x06)) return null;
      const o = d.at;
      const oidLen = d.end - o;
      if (!d.read(d.end, atvEnd, -1) || d.end !== atvEnd) return null;
      const x = oidLen === 3 && b[o] === 0x55 && b[o + 1] === 4 ? b[o + 2] : 0;
      const key = x < ATTR.length ? ATTR[x] : '';
      if (key === '') continue;
      let v = '';
      for (let i = d.at; i < d.end; i++) v += String.fromCharCode(b[i]);
      if (key === 'CN' && cn[0] === '') cn[0] = v;
      s += (s.length > 0 ? ',' : '') + key + '=' + v;
    }
  }
  return s;
}

/** RSAPublicKey { modulus INTEGER, publicExponent INTEGER } (also the CTL record tag 7). */
export function parseRsaKey(b: Uint8Array): Result<Uint8Array[]> {
  const d = new Der(b);
  if (!d.read(0, b.length, 0x30) || d.end !== b.length || !d.read(d.at, b.length, 0x02)) return fail('malformed', 'RSA key');
  const n = magnitude(b.subarray(d.at, d.end));
  if (!d.read(d.end, b.length, 0x02) || d.end !== b.length) return fail('malformed', 'RSA key');
  return ok([n, magnitude(b.subarray(d.at, d.end))]);
}

// 1.2.840.113549.1.1.1 rsaEncryption and 1.2.840.10045.2.1 id-ecPublicKey, as OID content bytes.
const OID_RSA = '2a864886f70d010101';
const OID_EC = '2a8648ce3d0201';

/** The fields of a DER X.509 certificate; the whole input must be the certificate. */
export function parseCert(b: Uint8Array): Result<Cert> {
  const d = new Der(b);
  if (!d.read(0, b.length, 0x30) || d.end !== b.length || !d.read(d.at, d.end, 0x30)) return fail('malformed', 'cert');
  const tbsEnd = d.end;
  // [0] version (optional), serial
  if (!d.read(d.at, tbsEnd, -1) || (d.tag === 0xa0 && !d.read(d.end, tbsEnd, -1)) || d.tag !== 0x02 || d.end === d.at) {
    return fail('malformed', 'cert serial');
  }
  const serial = magnitude(b.subarray(d.at, d.end));
  // signature algorithm, issuer, validity, subject
  if (!d.read(d.end, tbsEnd, 0x30) || !d.read(d.end, tbsEnd, 0x30)) return fail('malformed', 'cert issuer');
  let p = d.end;
  const cn = [''];
  const issuer = nameText(d, d.at, p, ['']);
  if (issuer === null || !d.read(p, tbsEnd, 0x30) || !d.read(d.end, tbsEnd, 0x30)) return fail('malformed', 'cert issuer');
  p = d.end;
  const subject = nameText(d, d.at, p, cn);
  // subjectPublicKeyInfo { AlgorithmIdentifier { OID, params }, BIT STRING (no unused bits) }
  if (subject === null || !d.read(p, tbsEnd, 0x30)) return fail('malformed', 'cert subject');
  const spkiEnd = d.end;
  if (!d.read(d.at, spkiEnd, 0x30)) return fail('malformed', 'cert key');
  p = d.end;
  if (!d.read(d.at, p, 0x06)) return fail('malformed', 'cert key');
  const oid = hex(b.subarray(d.at, d.end));
  if (!d.read(p, spkiEnd, 0x03) || d.end !== spkiEnd || d.end === d.at || b[d.at] !== 0) return fail('malformed', 'cert key');
  const key = b.subarray(d.at + 1, d.end);
  const keyType = oid === OID_RSA ? KEY_RSA : oid === OID_EC ? KEY_EC : KEY_OTHER;
  let modulus = b.subarray(0, 0);
  let exponent = modulus;
  if (keyType === KEY_RSA) {
    const r = parseRsaKey(key);
    if (!r.ok) return r;
    modulus = r.value[0];
    exponent = r.value[1];
  }
  return ok({ serial: serial, issuer: issuer, subject: subject, cn: cn[0], keyType: keyType, key: key, modulus: modulus, exponent: exponent });
}
