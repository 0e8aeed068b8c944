/**
 * HTTP Digest responses for SIP (RFC 7616 section 3.4, RFC 2617 section 3.2.2, RFC 3261
 * 22.4) through HAL crypto: MD5, MD5-sess, SHA-256, SHA-256-sess; qop=auth (with cnonce and
 * the nonce count) or no qop (the RFC 2069 form). auth-int, SHA-512-256 and userhash are
 * not offered: `supported` says false and the caller picks another challenge or fails.
 *
 * Strings are one byte per character (wire.ts utf8 for what comes from the configuration),
 * hashed as those bytes.
 */
import type { Crypto, Sha256 } from '../../../hal/crypto';
import { hex } from '../../../lib/bytes';
import { ncText } from './wire';

export { ncText };

export interface DigestInput {
  /** The challenge's algorithm token ('' = MD5). */
  algorithm: string;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  /** '' (no qop) or 'auth'. */
  qop: string;
  cnonce: string;
  nc: number;
}

/** True for the algorithm tokens answered here. */
export function supported(algorithm: string): boolean {
  const a = algorithm.toUpperCase();
  return a === '' || a === 'MD5' || a === 'MD5-SESS' || a === 'SHA-256' || a === 'SHA-256-SESS';
}

/** hex(H(parts joined by ':')). */
function h(crypto: Crypto, algorithm: string, parts: string[]): string {
  const x: Sha256 = algorithm.toUpperCase().indexOf('SHA') === 0 ? crypto.sha256() : crypto.md5();
  const s = parts.join(':');
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 255;
  x.update(b);
  return hex(x.digest());
}

/** The request-digest (lowercase hex), or null for an algorithm not supported. */
export function digestResponse(crypto: Crypto, d: DigestInput): string | null {
  if (!supported(d.algorithm)) return null;
  const a = d.algorithm;
  let ha1 = h(crypto, a, [d.username, d.realm, d.password]);
  if (a.toUpperCase().indexOf('-SESS') > 0) ha1 = h(crypto, a, [ha1, d.nonce, d.cnonce]);
  const ha2 = h(crypto, a, [d.method, d.uri]);
  if (d.qop === '') return h(crypto, a, [ha1, d.nonce, ha2]);
  return h(crypto, a, [ha1, d.nonce, ncText(d.nc), d.cnonce, d.qop, ha2]);
}
