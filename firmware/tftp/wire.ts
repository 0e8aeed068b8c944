/**
 * TFTP codec: RFC 1350 packets with the option extension (RFC 2347: RRQ/WRQ options and
 * OACK). Shared by the phone's client (client.ts) and the servers (tools/ota, tools/lab).
 *
 *   RRQ/WRQ  | 01/02 | filename | 0 | mode | 0 | [ opt | 0 | value | 0 ]*
 *   DATA     | 03 | block (u16) | 0..65464 bytes          (RFC 2348 caps blksize at 65464)
 *   ACK      | 04 | block (u16) |
 *   ERROR    | 05 | code (u16)  | message | 0
 *   OACK     | 06 | [ opt | 0 | value | 0 ]*
 *
 * `parse` never throws and never reads out of bounds: 'truncated' (a string without its
 * NUL, a header cut short), 'malformed' (empty filename or option name, a name without a
 * value), 'too-large' (over MAX_OPTIONS options, a string over MAX_STRING bytes, DATA over
 * MAX_BLKSIZE), 'unsupported' (an unknown opcode). Lenient where servers are: an ERROR
 * message without its NUL is taken to the end, bytes after an ACK are ignored. Strings are
 * Latin-1 (byte = char code), so any name round-trips. DATA's `data` is a view into the
 * parsed bytes (no copy). `emit` throws TypeError on a buffer too small (a programmer
 * error).
 */
import { ok, fail, Result } from '../../lib/result';
import { readU16, writeU16 } from '../../lib/bytes';

export const PORT = 69;
export const OP_RRQ = 1;
export const OP_WRQ = 2;
export const OP_DATA = 3;
export const OP_ACK = 4;
export const OP_ERROR = 5;
export const OP_OACK = 6;

/** ERROR codes (RFC 1350 appendix; 8 from RFC 2347). */
export const ERR_UNDEFINED = 0;
export const ERR_NOT_FOUND = 1;
export const ERR_ACCESS = 2;
export const ERR_DISK_FULL = 3;
export const ERR_ILLEGAL = 4;
export const ERR_UNKNOWN_TID = 5;
export const ERR_EXISTS = 6;
export const ERR_NO_USER = 7;
export const ERR_OPTIONS = 8;

export const HEADER_LEN = 4;
export const DEFAULT_BLKSIZE = 512;
export const MIN_BLKSIZE = 8;
export const MAX_BLKSIZE = 65464;
export const MAX_WINDOWSIZE = 65535;
/** Parse caps: options per packet, bytes per string. */
export const MAX_OPTIONS = 16;
export const MAX_STRING = 255;

export interface TftpOption {
  name: string;
  value: string;
}

export interface RequestRepr {
  op: typeof OP_RRQ | typeof OP_WRQ;
  filename: string;
  mode: string;
  options: TftpOption[];
}
export interface DataRepr { op: typeof OP_DATA; block: number; data: Uint8Array }
export interface AckRepr { op: typeof OP_ACK; block: number }
export interface ErrorRepr { op: typeof OP_ERROR; code: number; message: string }
export interface OackRepr { op: typeof OP_OACK; options: TftpOption[] }
export type TftpRepr = RequestRepr | DataRepr | AckRepr | ErrorRepr | OackRepr;

/** A NUL-terminated string at `at`: [text, index after the NUL], or a Fail. */
function cstr(b: Uint8Array, at: number, lenient: boolean): Result<[string, number]> {
  let s = '';
  for (let i = at; i < b.length; i++) {
    if (b[i] === 0) return ok([s, i + 1] as [string, number]);
    if (i - at >= MAX_STRING) return fail('too-large', 'string');
    s += String.fromCharCode(b[i]);
  }
  if (lenient) return ok([s, b.length] as [string, number]);
  return fail('truncated', 'no NUL');
}

function parseOptions(b: Uint8Array, at: number): Result<TftpOption[]> {
  const out: TftpOption[] = [];
  let i = at;
  while (i < b.length) {
    if (out.length >= MAX_OPTIONS) return fail('too-large', 'options');
    const n = cstr(b, i, false);
    if (!n.ok) return n;
    if (n.value[0] === '') return fail('malformed', 'empty option');
    if (n.value[1] >= b.length) return fail('malformed', 'option without value');
    const v = cstr(b, n.value[1], false);
    if (!v.ok) return v;
    out.push({ name: n.value[0], value: v.value[0] });
    i = v.value[1];
  }
  return ok(out);
}

export function parse(b: Uint8Array): Result<TftpRepr> {
  if (b.length < 2) return fail('truncated', 'opcode');
  const op = readU16(b, 0);
  if (op === OP_RRQ || op === OP_WRQ) {
    const f = cstr(b, 2, false);
    if (!f.ok) return f;
    if (f.value[0] === '') return fail('malformed', 'empty filename');
    const m = cstr(b, f.value[1], false);
    if (!m.ok) return m;
    const o = parseOptions(b, m.value[1]);
    if (!o.ok) return o;
    const r: RequestRepr = { op: op === OP_RRQ ? OP_RRQ : OP_WRQ, filename: f.value[0], mode: m.value[0], options: o.value };
    return ok(r);
  }
  if (op === OP_OACK) {
    const o = parseOptions(b, 2);
    if (!o.ok) return o;
    return ok({ op: OP_OACK, options: o.value } as TftpRepr);
  }
  if (op !== OP_DATA && op !== OP_ACK && op !== OP_ERROR) return fail('unsupported', 'opcode');
  if (b.length < HEADER_LEN) return fail('truncated', 'header');
  const n = readU16(b, 2);
  if (op === OP_DATA) {
    if (b.length - HEADER_LEN > MAX_BLKSIZE) return fail('too-large', 'data');
    return ok({ op: OP_DATA, block: n, data: b.subarray(HEADER_LEN) } as TftpRepr);
  }
  if (op === OP_ACK) return ok({ op: OP_ACK, block: n } as TftpRepr);
  const msg = cstr(b, HEADER_LEN, true);
  if (!msg.ok) return msg;
  return ok({ op: OP_ERROR, code: n, message: msg.value[0] } as TftpRepr);
}

function optionsLen(o: TftpOption[]): number {
  let n = 0;
  for (let i = 0; i < o.length; i++) n += o[i].name.length + o[i].value.length + 2;
  return n;
}

export function bufferLen(r: TftpRepr): number {
  switch (r.op) {
    case OP_RRQ:
    case OP_WRQ:
      return 2 + r.filename.length + r.mode.length + 2 + optionsLen(r.options);
    case OP_DATA:
      return HEADER_LEN + r.data.length;
    case OP_ACK:
      return HEADER_LEN;
    case OP_ERROR:
      return HEADER_LEN + r.message.length + 1;
    default:
      return 2 + optionsLen(r.options);
  }
}

function putStr(s: string, buf: Uint8Array, at: number): number {
  for (let i = 0; i < s.length; i++) buf[at + i] = s.charCodeAt(i) & 255;
  buf[at + s.length] = 0;
  return at + s.length + 1;
}

function putOptions(o: TftpOption[], buf: Uint8Array, at: number): number {
  let i = at;
  for (let k = 0; k < o.length; k++) {
    i = putStr(o[k].name, buf, i);
    i = putStr(o[k].value, buf, i);
  }
  return i;
}

/** Write `r` at `offset`; returns the length (bufferLen). */
export function emit(r: TftpRepr, buf: Uint8Array, offset: number): number {
  const len = bufferLen(r);
  if (offset + len > buf.length) throw new TypeError('tftp emit: buffer too small');
  writeU16(buf, offset, r.op);
  switch (r.op) {
    case OP_RRQ:
    case OP_WRQ:
      putOptions(r.options, buf, putStr(r.mode, buf, putStr(r.filename, buf, offset + 2)));
      break;
    case OP_DATA:
      writeU16(buf, offset + 2, r.block & 0xffff);
      buf.set(r.data, offset + HEADER_LEN);
      break;
    case OP_ACK:
      writeU16(buf, offset + 2, r.block & 0xffff);
      break;
    case OP_ERROR:
      writeU16(buf, offset + 2, r.code & 0xffff);
      putStr(r.message, buf, offset + HEADER_LEN);
      break;
    default:
      putOptions(r.options, buf, offset + 2);
  }
  return len;
}

/** ACK and DATA headers without a Repr (the per-block fast path of both sides). */
export function emitAck(block: number, buf: Uint8Array, offset: number): number {
  writeU16(buf, offset, OP_ACK);
  writeU16(buf, offset + 2, block & 0xffff);
  return HEADER_LEN;
}

export function emitDataHeader(block: number, buf: Uint8Array, offset: number): number {
  writeU16(buf, offset, OP_DATA);
  writeU16(buf, offset + 2, block & 0xffff);
  return HEADER_LEN;
}

/** Case-insensitive option lookup (RFC 2347: names are case-insensitive); null if absent. */
export function optionValue(o: TftpOption[], name: string): string | null {
  for (let i = 0; i < o.length; i++) {
    if (o[i].name.toLowerCase() === name) return o[i].value;
  }
  return null;
}

/** A decimal option value (digits only, at most 10); -1 when not one. */
export function optionNumber(v: string | null): number {
  if (v === null || v.length === 0 || v.length > 10) return -1;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}
