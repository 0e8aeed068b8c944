/**
 * A tiny CBOR subset (RFC 8949) for SMP payloads: unsigned and negative integers up to
 * 2^53, byte strings, text strings (ASCII on our side), definite arrays and maps with text
 * or unsigned keys, false/true/null. Indefinite lengths, floats, tags and other simple
 * values are refused. This is what MCUmgr/SMP clients send, so a stock client can talk to
 * the loader; see flash/serial/README.md for the exact bytes.
 *
 * The writer works in a caller-sized buffer and flags overflow instead of growing. The
 * reader never throws and never reads out of bounds: every length is checked against the
 * bytes left before it is used (a count of items cannot exceed the bytes left, so a
 * hostile count cannot make it loop or allocate), nesting is capped, duplicate keys are
 * refused, and byte strings come back as views into the input (no copy).
 */
import { ok, fail } from '../../lib/result';
import type { Result, ErrorCode } from '../../lib/result';

export type CborValue = number | string | boolean | null | Uint8Array | CborValue[] | CborMap;
export interface CborMap { [key: string]: CborValue }

const MAJOR_UINT = 0;
const MAJOR_NINT = 1;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;
const MAJOR_SIMPLE = 7;
const SIMPLE_FALSE = 20;
const SIMPLE_TRUE = 21;
const SIMPLE_NULL = 22;
const MAX_DEPTH = 6;
const TWO32 = 4294967296;

/** Appends CBOR items to `buf` from `pos`; `overflow` turns true instead of writing past the end. */
export class CborWriter {
  buf: Uint8Array;
  pos: number;
  overflow: boolean;

  constructor(buf: Uint8Array, offset?: number) {
    this.buf = buf;
    this.pos = offset === undefined ? 0 : offset;
    this.overflow = false;
  }

  private room(n: number): boolean {
    if (this.pos + n > this.buf.length) {
      this.overflow = true;
      return false;
    }
    return true;
  }

  /** Major type + argument in the shortest form (RFC 8949 4.2.1 preferred serialization). */
  head(major: number, n: number): void {
    const b = this.buf;
    const m = major << 5;
    if (n < 24) {
      if (this.room(1)) b[this.pos++] = m | n;
    } else if (n < 0x100) {
      if (this.room(2)) { b[this.pos++] = m | 24; b[this.pos++] = n; }
    } else if (n < 0x10000) {
      if (this.room(3)) { b[this.pos++] = m | 25; b[this.pos++] = n >> 8; b[this.pos++] = n & 255; }
    } else if (n < TWO32) {
      if (this.room(5)) {
        b[this.pos++] = m | 26;
        b[this.pos++] = (n >>> 24) & 255; b[this.pos++] = (n >>> 16) & 255;
        b[this.pos++] = (n >>> 8) & 255; b[this.pos++] = n & 255;
      }
    } else if (this.room(9)) {
      const hi = Math.floor(n / TWO32);
      const lo = n - hi * TWO32;
      b[this.pos++] = m | 27;
      b[this.pos++] = (hi >>> 24) & 255; b[this.pos++] = (hi >>> 16) & 255;
      b[this.pos++] = (hi >>> 8) & 255; b[this.pos++] = hi & 255;
      b[this.pos++] = (lo >>> 24) & 255; b[this.pos++] = (lo >>> 16) & 255;
      b[this.pos++] = (lo >>> 8) & 255; b[this.pos++] = lo & 255;
    }
  }

  /** An integer (negative ones as major type 1). */
  int(n: number): void {
    if (n < 0) this.head(MAJOR_NINT, -1 - n);
    else this.head(MAJOR_UINT, n);
  }

  bytes(src: Uint8Array, start?: number, end?: number): void {
    const s = start === undefined ? 0 : start;
    const e = end === undefined ? src.length : end;
    this.head(MAJOR_BYTES, e - s);
    if (this.room(e - s)) {
      this.buf.set(src.subarray(s, e), this.pos);
      this.pos += e - s;
    }
  }

  /** A text string; characters above 0x7f are written as '?' (our strings are ASCII). */
  text(s: string): void {
    this.head(MAJOR_TEXT, s.length);
    if (this.room(s.length)) {
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        this.buf[this.pos++] = c < 128 ? c : 63;
      }
    }
  }

  bool(v: boolean): void {
    if (this.room(1)) this.buf[this.pos++] = (MAJOR_SIMPLE << 5) | (v ? SIMPLE_TRUE : SIMPLE_FALSE);
  }

  array(count: number): void {
    this.head(MAJOR_ARRAY, count);
  }

  map(count: number): void {
    this.head(MAJOR_MAP, count);
  }
}

/** Decoder state: the input and a cursor. */
interface Cursor {
  buf: Uint8Array;
  pos: number;
  end: number;
  error: ErrorCode;
}

/** Reads an item head; returns the argument, or -1 with `error` set. `major` comes back in out[0]. */
function readHead(c: Cursor, out: number[]): number {
  if (c.pos >= c.end) { c.error = 'truncated'; return -1; }
  const ib = c.buf[c.pos++];
  const major = ib >> 5;
  const info = ib & 31;
  out[0] = major;
  if (info < 24) return info;
  let n = 0;
  if (info === 24) n = 1;
  else if (info === 25) n = 2;
  else if (info === 26) n = 4;
  else if (info === 27) n = 8;
  else { c.error = 'unsupported'; return -1; } // 28-30 reserved, 31 indefinite
  if (c.end - c.pos < n) { c.error = 'truncated'; return -1; }
  let v = 0;
  for (let i = 0; i < n; i++) {
    // An 8-byte argument whose top 4 bytes exceed 2^21 - 1 is above 2^53 (not exact in a number).
    if (n === 8 && i === 4 && v >= 2097152) { c.error = 'too-large'; return -1; }
    v = v * 256 + c.buf[c.pos++];
  }
  return v;
}

function readItem(c: Cursor, depth: number): CborValue | undefined {
  const mt = [0];
  const arg = readHead(c, mt);
  if (arg < 0) return undefined;
  const major = mt[0];
  if (major === MAJOR_UINT) return arg;
  if (major === MAJOR_NINT) return -1 - arg;
  if (major === MAJOR_BYTES || major === MAJOR_TEXT) {
    if (c.end - c.pos < arg) { c.error = 'truncated'; return undefined; }
    const start = c.pos;
    c.pos += arg;
    if (major === MAJOR_BYTES) return c.buf.subarray(start, start + arg);
    let s = '';
    for (let i = start; i < start + arg; i++) s += String.fromCharCode(c.buf[i]);
    return s;
  }
  if (major === MAJOR_ARRAY || major === MAJOR_MAP) {
    if (depth >= MAX_DEPTH) { c.error = 'too-large'; return undefined; }
    // Every item takes at least one byte: a count above the bytes left is a lie.
    if (arg > c.end - c.pos) { c.error = 'truncated'; return undefined; }
    if (major === MAJOR_ARRAY) {
      const arr: CborValue[] = [];
      for (let i = 0; i < arg; i++) {
        const v = readItem(c, depth + 1);
        if (v === undefined) return undefined;
        arr.push(v);
      }
      return arr;
    }
    const map = Object.create(null) as CborMap;
    for (let j = 0; j < arg; j++) {
      const k = readItem(c, depth + 1);
      if (k === undefined) return undefined;
      if (typeof k !== 'string' && typeof k !== 'number') { c.error = 'malformed'; return undefined; }
      const key = '' + k;
      // The map has no prototype and no value is undefined: a defined entry is a duplicate.
      if (key === '__proto__' || map[key] !== undefined) {
        c.error = 'malformed';
        return undefined;
      }
      const val = readItem(c, depth + 1);
      if (val === undefined) return undefined;
      map[key] = val;
    }
    return map;
  }
  if (major === MAJOR_SIMPLE) {
    if (arg === SIMPLE_FALSE) return false;
    if (arg === SIMPLE_TRUE) return true;
    if (arg === SIMPLE_NULL) return null;
  }
  c.error = 'unsupported'; // tags (6), floats and other simple values
  return undefined;
}

/** Decode exactly one item spanning buf[start, end). Never throws. */
export function cborDecode(buf: Uint8Array, start: number, end: number): Result<CborValue> {
  const c: Cursor = { buf: buf, pos: start, end: end, error: 'malformed' };
  const v = readItem(c, 0);
  if (v === undefined) return fail(c.error, 'CBOR item at byte ' + (c.pos - start));
  if (c.pos !== end) return fail('malformed', 'CBOR: ' + (end - c.pos) + ' bytes after the item');
  return ok(v);
}

/** A map's field as a number (undefined when absent or another type). */
export function fieldNumber(m: CborMap, key: string): number | undefined {
  const v = m[key];
  return typeof v === 'number' ? v : undefined;
}

export function fieldBytes(m: CborMap, key: string): Uint8Array | undefined {
  const v = m[key];
  return v instanceof Uint8Array ? v : undefined;
}

export function fieldString(m: CborMap, key: string): string | undefined {
  const v = m[key];
  return typeof v === 'string' ? v : undefined;
}

export function fieldBool(m: CborMap, key: string): boolean | undefined {
  const v = m[key];
  return typeof v === 'boolean' ? v : undefined;
}

/** True for a decoded map (not an array, not a byte string). */
export function isMap(v: CborValue): v is CborMap {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !(v instanceof Array);
}
