/**
 * The last good configuration in the preferences (Settings.getLastConfig/setLastConfig),
 * in a compact binary form rather than the file (a lab SEP file of 3 KB is ~150 bytes).
 * A stored copy that does not decode, or decodes to a Config that breaks a rule of
 * config.ts, reads as absent (null): the boot then has no fallback, as on a first boot.
 *
 * Encoding: u8 CONFIG_FORMAT, then the fields of CONFIG_DESC (config.ts) in its order,
 * big-endian: text as u16 byte length + UTF-8; integers in 1, 2 or 4 bytes by their
 * range (u8 up to 255, u16 up to 65535, else u32); booleans and enums (kind, protocol)
 * as a u8 (the enum's index); an array as its count (u8, u16 when its cap is over 255)
 * then the items; a tuple as its items; null-or-value as a u8 0 or 1 then the value.
 */
import type { Result } from '../../lib/result';
import type { Settings } from '../../flash/settings';
import { Config, validateConfig, CONFIG_DESC, INT_CODES, INT_HI, KINDS, PROTOCOLS } from './config';
import type { Desc } from './config';
import { Utf8, chr } from './xml';

export const CONFIG_FORMAT = 1;

/** Bytes for a value: 1, 2 or 4 by the integer code's range; 0 for other codes. */
function width(t: string): number {
  const i = INT_CODES.indexOf(t);
  return i < 0 ? 0 : INT_HI[i] < 256 ? 1 : INT_HI[i] < 65536 ? 2 : 4;
}

/** Two passes over the same code: with `b` null it only counts. */
class W {
  b: Uint8Array | null = null;
  n = 0;
  u8(v: number): void {
    if (this.b !== null) this.b[this.n] = v & 255;
    this.n++;
  }
  n8(v: number, bytes: number): void {
    for (let k = bytes - 1; k >= 0; k--) this.u8(Math.floor(v / Math.pow(256, k)));
  }
  s(t: string): void {
    const at = this.n;
    this.n8(0, 2);
    for (let i = 0; i < t.length; i++) {
      let c = t.charCodeAt(i);
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < t.length) c = 0x10000 + ((c - 0xd800) << 10) + (t.charCodeAt(++i) - 0xdc00);
      if (c < 0x80) this.u8(c);
      else {
        if (c < 0x800) this.u8(0xc0 | (c >> 6));
        else {
          if (c < 0x10000) this.u8(0xe0 | (c >> 12));
          else { this.u8(0xf0 | (c >> 18)); this.u8(0x80 | ((c >> 12) & 63)); }
          this.u8(0x80 | ((c >> 6) & 63));
        }
        this.u8(0x80 | (c & 63));
      }
    }
    if (this.b !== null) { const len = this.n - at - 2; this.b[at] = len >> 8; this.b[at + 1] = len & 255; }
  }
}

function put(w: W, t: Desc, v: unknown): void {
  if (typeof t === 'string') {
    const n = width(t);
    if (n > 0) w.n8(v as number, n);
    else if (t === 'B') w.u8(v ? 1 : 0);
    else if (t === 'k') w.u8(KINDS.indexOf(v as Config['kind']));
    else if (t === 'p') w.u8(PROTOCOLS.indexOf(v as Config['protocol']));
    else w.s(v as string);
    return;
  }
  const k = t[0];
  const a = v as unknown[];
  if (k === '?') { w.u8(v === null ? 0 : 1); if (v !== null) put(w, t[1] as Desc, v); }
  else if (k === '*') {
    w.n8(a.length, (t[1] as number) > 255 ? 2 : 1);
    for (let i = 0; i < a.length; i++) put(w, t[2] as Desc, a[i]);
  } else if (k === '(') for (let i = 1; i < t.length; i++) put(w, t[i] as Desc, a[i - 1]);
  else for (let i = 1; i < t.length; i += 2) put(w, t[i + 1] as Desc, (v as { [x: string]: unknown })[t[i] as string]);
}

/** The bytes of a valid Config (see the header). */
export function encodeConfig(c: Config): Uint8Array {
  const w = new W();
  w.u8(CONFIG_FORMAT);
  put(w, CONFIG_DESC, c);
  w.b = new Uint8Array(w.n);
  w.n = 0;
  w.u8(CONFIG_FORMAT);
  put(w, CONFIG_DESC, c);
  return w.b;
}

class R {
  b: Uint8Array;
  i = 0;
  bad = false;
  constructor(b: Uint8Array) {
    this.b = b;
  }
  n8(bytes: number): number {
    if (this.i + bytes > this.b.length) { this.bad = true; return 0; }
    let v = 0;
    for (let k = 0; k < bytes; k++) v = v * 256 + this.b[this.i++];
    return v;
  }
  s(): string {
    const n = this.n8(2);
    if (this.i + n > this.b.length) { this.bad = true; return ''; }
    const u = new Utf8();
    let t = '';
    for (let k = 0; k < n; k++) {
      const c = u.step(this.b[this.i++]);
      if (c === -2) this.bad = true;
      else if (c >= 0) t += chr(c);
    }
    if (u.need > 0) this.bad = true;
    return t;
  }
}

function get(r: R, t: Desc): unknown {
  if (typeof t === 'string') {
    const n = width(t);
    if (n > 0) return r.n8(n);
    if (t === 'B' || t === 'k' || t === 'p') {
      // An index past the list reads as undefined, which validateConfig refuses.
      const list: unknown[] = t === 'B' ? [false, true] : t === 'k' ? KINDS : PROTOCOLS;
      return list[r.n8(1)];
    }
    return r.s();
  }
  const k = t[0];
  if (k === '?') {
    const f = r.n8(1);
    if (f > 1) r.bad = true;
    return f === 0 ? null : get(r, t[1] as Desc);
  }
  if (k === '*') {
    const a: unknown[] = [];
    const max = t[1] as number;
    const n = r.n8(max > 255 ? 2 : 1);
    if (n > max) r.bad = true;
    for (let i = 0; i < n && !r.bad; i++) a.push(get(r, t[2] as Desc));
    return a;
  }
  if (k === '(') {
    const a: unknown[] = [];
    for (let i = 1; i < t.length; i++) a.push(get(r, t[i] as Desc));
    return a;
  }
  const o: { [x: string]: unknown } = {};
  for (let i = 1; i < t.length && !r.bad; i += 2) o[t[i] as string] = get(r, t[i + 1] as Desc);
  return o;
}

/** The Config of stored bytes, or null when they do not decode to a valid one. */
export function decodeConfig(b: Uint8Array | null): Config | null {
  if (b === null || b.length < 1 || b[0] !== CONFIG_FORMAT) return null;
  const r = new R(b);
  r.i = 1;
  const c = get(r, CONFIG_DESC) as Config;
  if (r.bad || r.i !== b.length) return null;
  return validateConfig(c).ok ? c : null;
}

export function saveLastConfig(s: Settings, c: Config): Result<boolean> {
  return s.setLastConfig(encodeConfig(c));
}

export function loadLastConfig(s: Settings): Config | null {
  return decodeConfig(s.getLastConfig());
}
