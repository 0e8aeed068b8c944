/**
 * Base64 (RFC 4648 section 4, standard alphabet, '=' padding) over Uint8Array, written out
 * because target engines differ on atob/btoa and neither handles binary in Uint8Array.
 * Both functions write into caller buffers (no allocation per line) and never throw:
 * the decoder returns -1 on any character outside the alphabet, a length that is not a
 * multiple of 4, padding anywhere but the end, or an output buffer too small.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PAD = 61; // '='

/** Characters needed for `n` bytes (with padding). */
export function base64Length(n: number): number {
  return ((n + 2) / 3 | 0) * 4;
}

/** Encode src[start, end) into out at `offset` as ASCII codes; returns the characters written. */
export function base64Encode(src: Uint8Array, start: number, end: number, out: Uint8Array, offset: number): number {
  let o = offset;
  let i = start;
  for (; i + 2 < end; i += 3) {
    const v = (src[i] << 16) | (src[i + 1] << 8) | src[i + 2];
    out[o++] = ALPHABET.charCodeAt(v >> 18);
    out[o++] = ALPHABET.charCodeAt((v >> 12) & 63);
    out[o++] = ALPHABET.charCodeAt((v >> 6) & 63);
    out[o++] = ALPHABET.charCodeAt(v & 63);
  }
  const rest = end - i;
  if (rest === 1) {
    const v1 = src[i] << 16;
    out[o++] = ALPHABET.charCodeAt(v1 >> 18);
    out[o++] = ALPHABET.charCodeAt((v1 >> 12) & 63);
    out[o++] = PAD;
    out[o++] = PAD;
  } else if (rest === 2) {
    const v2 = (src[i] << 16) | (src[i + 1] << 8);
    out[o++] = ALPHABET.charCodeAt(v2 >> 18);
    out[o++] = ALPHABET.charCodeAt((v2 >> 12) & 63);
    out[o++] = ALPHABET.charCodeAt((v2 >> 6) & 63);
    out[o++] = PAD;
  }
  return o - offset;
}

/** The 6-bit value of an ASCII code, or -1. */
function sextet(c: number): number {
  if (c >= 65 && c <= 90) return c - 65;      // A-Z
  if (c >= 97 && c <= 122) return c - 71;     // a-z
  if (c >= 48 && c <= 57) return c + 4;       // 0-9
  if (c === 43) return 62;                    // +
  if (c === 47) return 63;                    // /
  return -1;
}

/**
 * Decode the ASCII codes src[start, end) into out at `offset`, writing at most up to `limit`
 * (exclusive; out.length when omitted). Returns the bytes written, or -1 when malformed or
 * when the result would pass `limit`.
 */
export function base64Decode(src: Uint8Array, start: number, end: number, out: Uint8Array, offset: number,
                             limit?: number): number {
  const max = limit === undefined ? out.length : limit;
  const n = end - start;
  if (n < 0 || n % 4 !== 0) return -1;
  let o = offset;
  for (let i = start; i < end; i += 4) {
    const a = sextet(src[i]);
    const b = sextet(src[i + 1]);
    if (a < 0 || b < 0) return -1;
    const last = i + 4 === end;
    const c2 = src[i + 2];
    const c3 = src[i + 3];
    if (c2 === PAD) {
      // "xx==": one byte; padding only in the last quantum, and both pad characters.
      if (!last || c3 !== PAD || (b & 15) !== 0) return -1;
      if (o + 1 > max) return -1;
      out[o++] = (a << 2) | (b >> 4);
      break;
    }
    const c = sextet(c2);
    if (c < 0) return -1;
    if (c3 === PAD) {
      if (!last || (c & 3) !== 0) return -1;
      if (o + 2 > max) return -1;
      out[o++] = (a << 2) | (b >> 4);
      out[o++] = ((b & 15) << 4) | (c >> 2);
      break;
    }
    const d = sextet(c3);
    if (d < 0) return -1;
    if (o + 3 > max) return -1;
    out[o++] = (a << 2) | (b >> 4);
    out[o++] = ((b & 15) << 4) | (c >> 2);
    out[o++] = ((c & 3) << 6) | d;
  }
  return o - offset;
}
