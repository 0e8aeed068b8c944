/**
 * TCP segment header (RFC 9293 section 3.1).
 *
 *   0..2 source port        2..4 destination port
 *   4..8 sequence number    8..12 acknowledgment number
 *   12   data offset (4 bits, 32-bit words, >= 5) | reserved
 *   13   flags: CWR ECE URG ACK PSH RST SYN FIN
 *   14..16 window           16..18 checksum (pseudo header + segment)   18..20 urgent pointer
 *   20..   options, then data
 *
 * Options understood (others skipped by their length): End of list (0), No-op (1),
 * MSS (2, length 4, RFC 9293 3.7.1), Window scale (3, length 3, RFC 7323 2.2; shifts
 * above 14 are clamped to 14 as 7323 says). An option whose length runs past the header,
 * or a length below 2, is 'malformed'. Sequence numbers are unsigned 32-bit numbers.
 */
import { readU32, writeU32 } from '../../../lib/bytes';
import { type Result, ok, fail } from '../../../lib/result';
import { sum16, fold } from '../../../lib/checksum';
import { pseudoHeaderSum, PROTO_TCP } from './ipv4';

export const SRC_PORT = 0;
export const DST_PORT = 2;
export const SEQ = 4;
export const ACK = 8;
export const DATA_OFF = 12;
export const FLAGS = 13;
export const WINDOW = 14;
export const CHECKSUM = 16;
export const URGENT = 18;
export const HEADER_LEN = 20;
/** Room for the options this stack emits (MSS 4 + NOP + WS 3 = 8). */
export const MAX_EMIT_OPTIONS = 8;

export const FLAG_FIN = 0x01;
export const FLAG_SYN = 0x02;
export const FLAG_RST = 0x04;
export const FLAG_PSH = 0x08;
export const FLAG_ACK = 0x10;
export const FLAG_URG = 0x20;
export const FLAG_ECE = 0x40;
export const FLAG_CWR = 0x80;

const OPT_END = 0;
const OPT_NOP = 1;
const OPT_MSS = 2;
const OPT_WS = 3;

export interface Repr {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** FLAG_* bits. */
  flags: number;
  /** As on the wire (unscaled). */
  window: number;
  urgent: number;
  /** MSS option value, or 0 when absent. */
  mss: number;
  /** Window scale shift 0..14, or -1 when absent. */
  windowScale: number;
  /** The data (a view into the parsed bytes). */
  payload: Uint8Array;
}



/** Sequence space length of a segment: data plus one each for SYN and FIN. */
export function segLen(repr: Repr): number {
  return repr.payload.length + ((repr.flags & FLAG_SYN) !== 0 ? 1 : 0) + ((repr.flags & FLAG_FIN) !== 0 ? 1 : 0);
}

/** `bytes` is the whole segment (IP payload, already cut to the IP total length). */
export function parse(bytes: Uint8Array, srcIp: number, dstIp: number): Result<Repr> {
  if (bytes.length < HEADER_LEN) return fail('truncated', 'TCP header needs 20 bytes, got ' + bytes.length);
  const hlen = (bytes[DATA_OFF] >> 4) * 4;
  if (hlen < HEADER_LEN) return fail('malformed', 'TCP data offset ' + hlen);
  if (hlen > bytes.length) return fail('truncated', 'TCP data offset ' + hlen + ', got ' + bytes.length);
  if (fold(sum16(bytes, 0, bytes.length, pseudoHeaderSum(srcIp, dstIp, PROTO_TCP, bytes.length))) !== 0) {
    return fail('checksum', 'TCP checksum');
  }
  let mss = 0;
  let ws = -1;
  let i = HEADER_LEN;
  while (i < hlen) {
    const kind = bytes[i];
    if (kind === OPT_END) break;
    if (kind === OPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= hlen) return fail('malformed', 'TCP option ' + kind + ' has no length');
    const olen = bytes[i + 1];
    if (olen < 2 || i + olen > hlen) return fail('malformed', 'TCP option ' + kind + ' length ' + olen);
    if (kind === OPT_MSS) {
      if (olen !== 4) return fail('malformed', 'TCP MSS option length ' + olen);
      mss = (bytes[i + 2] << 8) | bytes[i + 3];
    } else if (kind === OPT_WS) {
      if (olen !== 3) return fail('malformed', 'TCP window scale option length ' + olen);
      ws = bytes[i + 2] > 14 ? 14 : bytes[i + 2];
    }
    i += olen;
  }
  return ok({
    srcPort: (bytes[SRC_PORT] << 8) | bytes[SRC_PORT + 1],
    dstPort: (bytes[DST_PORT] << 8) | bytes[DST_PORT + 1],
    seq: readU32(bytes, SEQ),
    ack: readU32(bytes, ACK),
    flags: bytes[FLAGS],
    window: (bytes[WINDOW] << 8) | bytes[WINDOW + 1],
    urgent: (bytes[URGENT] << 8) | bytes[URGENT + 1],
    mss: mss,
    windowScale: ws,
    payload: bytes.subarray(hlen),
  });
}

/** Header length with the options this repr asks for (padded to a 32-bit multiple). */
export function headerLen(repr: { mss: number; windowScale: number }): number {
  let n = HEADER_LEN;
  if (repr.mss > 0) n += 4;
  if (repr.windowScale >= 0) n += 4; // NOP + 3-byte option keeps the header aligned
  return n;
}

export function bufferLen(repr: Repr): number {
  return headerLen(repr) + repr.payload.length;
}

/**
 * Write the header (with options) and fill the checksum over `payloadLen` data bytes that
 * the caller has already placed at offset + headerLen(repr). Returns the segment length.
 */
export function emitHeaderInPlace(repr: { srcPort: number; dstPort: number; seq: number; ack: number; flags: number;
  window: number; urgent: number; mss: number; windowScale: number }, payloadLen: number, buf: Uint8Array, offset: number,
  srcIp: number, dstIp: number): number {
  const hlen = headerLen(repr);
  const len = hlen + payloadLen;
  if (offset < 0 || offset + len > buf.length) throw new TypeError('tcp.emit: buffer too small');
  buf[offset + SRC_PORT] = (repr.srcPort >> 8) & 255;
  buf[offset + SRC_PORT + 1] = repr.srcPort & 255;
  buf[offset + DST_PORT] = (repr.dstPort >> 8) & 255;
  buf[offset + DST_PORT + 1] = repr.dstPort & 255;
  writeU32(buf, offset + SEQ, repr.seq);
  writeU32(buf, offset + ACK, repr.ack);
  buf[offset + DATA_OFF] = (hlen / 4) << 4;
  buf[offset + FLAGS] = repr.flags & 255;
  buf[offset + WINDOW] = (repr.window >> 8) & 255;
  buf[offset + WINDOW + 1] = repr.window & 255;
  buf[offset + CHECKSUM] = 0;
  buf[offset + CHECKSUM + 1] = 0;
  buf[offset + URGENT] = (repr.urgent >> 8) & 255;
  buf[offset + URGENT + 1] = repr.urgent & 255;
  let at = offset + HEADER_LEN;
  if (repr.mss > 0) {
    buf[at] = OPT_MSS;
    buf[at + 1] = 4;
    buf[at + 2] = (repr.mss >> 8) & 255;
    buf[at + 3] = repr.mss & 255;
    at += 4;
  }
  if (repr.windowScale >= 0) {
    buf[at] = OPT_NOP;
    buf[at + 1] = OPT_WS;
    buf[at + 2] = 3;
    buf[at + 3] = repr.windowScale & 255;
  }
  const c = fold(sum16(buf, offset, offset + len, pseudoHeaderSum(srcIp, dstIp, PROTO_TCP, len)));
  buf[offset + CHECKSUM] = c >> 8;
  buf[offset + CHECKSUM + 1] = c & 255;
  return len;
}

export function emit(repr: Repr, buf: Uint8Array, offset: number, srcIp: number, dstIp: number): number {
  const hlen = headerLen(repr);
  if (offset < 0 || offset + hlen + repr.payload.length > buf.length) throw new TypeError('tcp.emit: buffer too small');
  buf.set(repr.payload, offset + hlen);
  return emitHeaderInPlace(repr, repr.payload.length, buf, offset, srcIp, dstIp);
}
