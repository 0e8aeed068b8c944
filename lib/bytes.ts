/**
 * Byte helpers shared by every codec: MAC and IPv4 text forms, ASCII conversion, comparing
 * and joining. Addresses are kept as numbers (IPv4, host order, unsigned) or 6-byte arrays (MAC).
 */
export const HEX = '0123456789abcdef';

export function hex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX.charAt(bytes[i] >> 4) + HEX.charAt(bytes[i] & 15);
  return s;
}

/** Bytes from a hex string ("0a1B..." ; spaces and colons ignored); null when malformed. */
export function fromHex(text: string): Uint8Array | null {
  let clean = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c !== ' ' && c !== ':' && c !== '\n') clean += c.toLowerCase();
  }
  if (clean.length % 2 !== 0) return null;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = HEX.indexOf(clean.charAt(2 * i));
    const lo = HEX.indexOf(clean.charAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** "00:1e:4a:12:34:56" */
export function macToString(mac: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 6; i++) {
    if (i > 0) s += ':';
    s += HEX.charAt(mac[i] >> 4) + HEX.charAt(mac[i] & 15);
  }
  return s;
}

/** "001E4A123456", the form in SEP<MAC> device names. */
export function macToDeviceId(mac: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += HEX.charAt(mac[i] >> 4) + HEX.charAt(mac[i] & 15);
  return s.toUpperCase();
}

/** Parse "aa:bb:cc:dd:ee:ff" / "aa-bb-..." / "aabbccddeeff"; null when malformed. */
export function parseMac(text: string): Uint8Array | null {
  let clean = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c !== ':' && c !== '-' && c !== '.') clean += c;
  }
  if (clean.length !== 12) return null;
  return fromHex(clean);
}

export function ipToString(ip: number): string {
  return ((ip >>> 24) & 255) + '.' + ((ip >>> 16) & 255) + '.' + ((ip >>> 8) & 255) + '.' + (ip & 255);
}

/** Dotted quad to an unsigned 32-bit number; null when malformed. */
export function parseIp(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let ip = 0;
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (p.length === 0 || p.length > 3) return null;
    let v = 0;
    for (let j = 0; j < p.length; j++) {
      const d = p.charCodeAt(j) - 48;
      if (d < 0 || d > 9) return null;
      v = v * 10 + d;
    }
    if (v > 255) return null;
    ip = ip * 256 + v;
  }
  return ip >>> 0;
}

/** Latin-1 / ASCII string to bytes (protocol strings are ASCII; see DESIGN.md section 3). */
export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 255;
  return out;
}

/** Bytes to a Latin-1 string (in chunks, so no call has a huge argument list). */
export function bytesToAscii(bytes: Uint8Array, start?: number, end?: number): string {
  const s = start === undefined ? 0 : start;
  const e = end === undefined ? bytes.length : end;
  let out = '';
  for (let i = s; i < e; i++) out += String.fromCharCode(bytes[i]);
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (let i = 0; i < parts.length; i++) n += parts[i].length;
  const out = new Uint8Array(n);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    out.set(parts[i], at);
    at += parts[i].length;
  }
  return out;
}

/**
 * A copy that owns its bytes, of all of `src` or of `src[start..end)`. Never `src.slice()`:
 * Espruino's typed-array slice returns a plain Array (the target lib has no such member).
 */
export function copyBytes(src: Uint8Array, start?: number, end?: number): Uint8Array {
  const from = start === undefined ? src : src.subarray(start, end === undefined ? src.length : end);
  const out = new Uint8Array(from.length);
  out.set(from);
  return out;
}

/** A DataView over exactly the bytes of `u8` (which may be a subarray). */
export function viewOf(u8: Uint8Array): DataView {
  return new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
}

/** Big-endian unsigned 16-bit read (no DataView needed for one field). */
export function readU16(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

/** Big-endian 16-bit write. */
export function writeU16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 255;
  b[at + 1] = v & 255;
}

/** Big-endian unsigned 32-bit read. */
export function readU32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/** Big-endian 32-bit write. */
export function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 24) & 255;
  b[at + 1] = (v >>> 16) & 255;
  b[at + 2] = (v >>> 8) & 255;
  b[at + 3] = v & 255;
}
