/**
 * UDP (RFC 768).
 *
 *   0..2 source port   2..4 destination port   4..6 length (header + data)   6..8 checksum
 *
 * The checksum covers the pseudo header (source and destination addresses, protocol 17,
 * UDP length), the header and the data, so parse and emit take the two IPv4 addresses.
 * From RFC 768: "An all zero transmitted checksum value means that the transmitter
 * generated no checksum", so 0 is accepted on receive without checking; a computed 0 is
 * sent as 0xffff (its one's-complement equivalent). The length field must fit the bytes
 * given; bytes after it (IP padding) are ignored.
 */
import { type Result, ok, fail } from '../../../lib/result';
import { sum16, fold } from '../../../lib/checksum';
import { pseudoHeaderSum, PROTO_UDP } from './ipv4';

export const SRC_PORT = 0;
export const DST_PORT = 2;
export const LENGTH = 4;
export const CHECKSUM = 6;
export const HEADER_LEN = 8;

export interface Repr {
  srcPort: number;
  dstPort: number;
  /** The data (a view into the parsed bytes). */
  payload: Uint8Array;
}

/** Header fields without touching the data: the interface uses it to find the socket. */
export function parse(bytes: Uint8Array, srcIp: number, dstIp: number): Result<Repr> {
  if (bytes.length < HEADER_LEN) return fail('truncated', 'UDP header needs 8 bytes, got ' + bytes.length);
  const len = (bytes[LENGTH] << 8) | bytes[LENGTH + 1];
  if (len < HEADER_LEN) return fail('malformed', 'UDP length ' + len);
  if (len > bytes.length) return fail('truncated', 'UDP length ' + len + ', got ' + bytes.length);
  const sent = (bytes[CHECKSUM] << 8) | bytes[CHECKSUM + 1];
  if (sent !== 0) {
    const c = fold(sum16(bytes, 0, len, pseudoHeaderSum(srcIp, dstIp, PROTO_UDP, len)));
    if (c !== 0) return fail('checksum', 'UDP checksum');
  }
  return ok({
    srcPort: (bytes[SRC_PORT] << 8) | bytes[SRC_PORT + 1],
    dstPort: (bytes[DST_PORT] << 8) | bytes[DST_PORT + 1],
    payload: bytes.subarray(HEADER_LEN, len),
  });
}

export function bufferLen(repr: Repr): number {
  return HEADER_LEN + repr.payload.length;
}

/**
 * Write the header and fill the checksum over `payloadLen` bytes that the caller has
 * already placed at offset + 8 (lets sockets build data in place, without a copy).
 */
export function emitHeaderInPlace(srcPort: number, dstPort: number, payloadLen: number, buf: Uint8Array, offset: number,
  srcIp: number, dstIp: number): number {
  const len = HEADER_LEN + payloadLen;
  if (offset < 0 || offset + len > buf.length || len > 0xffff) throw new TypeError('udp.emit: buffer too small');
  buf[offset + SRC_PORT] = (srcPort >> 8) & 255;
  buf[offset + SRC_PORT + 1] = srcPort & 255;
  buf[offset + DST_PORT] = (dstPort >> 8) & 255;
  buf[offset + DST_PORT + 1] = dstPort & 255;
  buf[offset + LENGTH] = len >> 8;
  buf[offset + LENGTH + 1] = len & 255;
  buf[offset + CHECKSUM] = 0;
  buf[offset + CHECKSUM + 1] = 0;
  let c = fold(sum16(buf, offset, offset + len, pseudoHeaderSum(srcIp, dstIp, PROTO_UDP, len)));
  if (c === 0) c = 0xffff;
  buf[offset + CHECKSUM] = c >> 8;
  buf[offset + CHECKSUM + 1] = c & 255;
  return len;
}

export function emit(repr: Repr, buf: Uint8Array, offset: number, srcIp: number, dstIp: number): number {
  const len = HEADER_LEN + repr.payload.length;
  if (offset < 0 || offset + len > buf.length) throw new TypeError('udp.emit: buffer too small');
  buf.set(repr.payload, offset + HEADER_LEN);
  return emitHeaderInPlace(repr.srcPort, repr.dstPort, repr.payload.length, buf, offset, srcIp, dstIp);
}
