/**
 * ICMPv4 (RFC 792). Echo request/reply are decoded fully; every other type keeps its
 * 4-byte "rest of header" as a number and its body, so destination-unreachable and the
 * like can be counted or logged without a dedicated codec.
 *
 *   0 type   1 code   2..4 checksum (RFC 1071 over the whole ICMP message)
 *   4..8 rest of header: for echo, 4..6 identifier and 6..8 sequence number
 *   8..  data
 */
import { type Result, ok, fail } from '../../../lib/result';
import { internetChecksum } from '../../../lib/checksum';

export const TYPE = 0;
export const CODE = 1;
export const CHECKSUM = 2;
export const REST = 4;
export const HEADER_LEN = 8;

export const TYPE_ECHO_REPLY = 0;
export const TYPE_DEST_UNREACHABLE = 3;
export const TYPE_ECHO_REQUEST = 8;
export const TYPE_TIME_EXCEEDED = 11;

export interface Repr {
  type: number;
  code: number;
  /** Echo: identifier (the top 16 bits of `rest`). */
  ident: number;
  /** Echo: sequence number (the low 16 bits of `rest`). */
  seq: number;
  /** The 4 bytes after the checksum as an unsigned number (ident << 16 | seq for echo). */
  rest: number;
  /** Bytes after the 8-byte header (a view into the parsed bytes). */
  payload: Uint8Array;
}

export function parse(bytes: Uint8Array): Result<Repr> {
  if (bytes.length < HEADER_LEN) return fail('truncated', 'ICMP header needs 8 bytes, got ' + bytes.length);
  if (internetChecksum(bytes, 0, bytes.length) !== 0) return fail('checksum', 'ICMP checksum');
  const rest = ((bytes[REST] << 24) | (bytes[REST + 1] << 16) | (bytes[REST + 2] << 8) | bytes[REST + 3]) >>> 0;
  return ok({
    type: bytes[TYPE],
    code: bytes[CODE],
    ident: rest >>> 16,
    seq: rest & 0xffff,
    rest: rest,
    payload: bytes.subarray(HEADER_LEN),
  });
}

export function bufferLen(repr: Repr): number {
  return HEADER_LEN + repr.payload.length;
}

/** For echo types the rest field is built from ident and seq; otherwise `rest` is written. */
export function emit(repr: Repr, buf: Uint8Array, offset: number): number {
  const len = HEADER_LEN + repr.payload.length;
  if (offset < 0 || offset + len > buf.length) throw new TypeError('icmp.emit: buffer too small');
  const isEcho = repr.type === TYPE_ECHO_REQUEST || repr.type === TYPE_ECHO_REPLY;
  const rest = isEcho ? (((repr.ident & 0xffff) << 16) | (repr.seq & 0xffff)) >>> 0 : repr.rest >>> 0;
  buf[offset + TYPE] = repr.type & 255;
  buf[offset + CODE] = repr.code & 255;
  buf[offset + CHECKSUM] = 0;
  buf[offset + CHECKSUM + 1] = 0;
  buf[offset + REST] = (rest >>> 24) & 255;
  buf[offset + REST + 1] = (rest >>> 16) & 255;
  buf[offset + REST + 2] = (rest >>> 8) & 255;
  buf[offset + REST + 3] = rest & 255;
  buf.set(repr.payload, offset + HEADER_LEN);
  const c = internetChecksum(buf, offset, offset + len);
  buf[offset + CHECKSUM] = c >> 8;
  buf[offset + CHECKSUM + 1] = c & 255;
  return len;
}
