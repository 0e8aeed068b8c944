/**
 * IPv4 header (RFC 791 section 3.1).
 *
 *   0      version (4) | IHL (header length in 32-bit words, >= 5)
 *   1      DSCP (6 bits) | ECN (2 bits)      (RFC 2474, RFC 3168)
 *   2..4   total length                       4..6  identification
 *   6..8   flags (reserved, DF, MF) | fragment offset (13 bits, units of 8 bytes)
 *   8      TTL                                9     protocol
 *   10..12 header checksum (RFC 1071 over the header, options included)
 *   12..16 source address                     16..20 destination address
 *   20..   options (IHL > 5), then the payload
 *
 * parse: checks version, IHL, total length against the bytes given, and the header
 * checksum (typed 'checksum' error). Options are skipped without being interpreted (the
 * IHL bounds them, and it is checked against total length first). Bytes past the total
 * length (Ethernet padding) are cut off. Fragments are reported, not reassembled: the repr
 * carries `moreFragments` and `fragmentOffset`, and the interface drops them with a
 * counter (a phone's traffic never needs fragmenting; a deviation from RFC 1122 3.3.2,
 * which asks hosts to reassemble).
 * emit: a 20-byte header without options, checksum computed.
 */
import { readU32 } from '../../../lib/bytes';
import { type Result, ok, fail } from '../../../lib/result';
import { internetChecksum } from '../../../lib/checksum';

export const VER_IHL = 0;
export const DSCP_ECN = 1;
export const LENGTH = 2;
export const IDENT = 4;
export const FLG_OFF = 6;
export const TTL = 8;
export const PROTOCOL = 9;
export const CHECKSUM = 10;
export const SRC_ADDR = 12;
export const DST_ADDR = 16;
export const HEADER_LEN = 20;

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

export const BROADCAST = 0xffffffff;
export const DEFAULT_TTL = 64;

export interface Repr {
  src: number;
  dst: number;
  protocol: number;
  ttl: number;
  /** DSCP << 2 | ECN (the old TOS byte). Voice media uses DSCP EF (46), signalling CS3 (24). */
  tos: number;
  ident: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In bytes (the wire field is in units of 8). */
  fragmentOffset: number;
  /** The payload, cut at the total length (a view into the parsed bytes). */
  payload: Uint8Array;
}


export function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 24) & 255;
  b[at + 1] = (v >>> 16) & 255;
  b[at + 2] = (v >>> 8) & 255;
  b[at + 3] = v & 255;
}

export function isFragment(repr: Repr): boolean {
  return repr.moreFragments || repr.fragmentOffset !== 0;
}

export function parse(bytes: Uint8Array): Result<Repr> {
  if (bytes.length < HEADER_LEN) return fail('truncated', 'IPv4 header needs 20 bytes, got ' + bytes.length);
  const version = bytes[VER_IHL] >> 4;
  if (version !== 4) return fail('unsupported', 'IP version ' + version);
  const ihl = (bytes[VER_IHL] & 15) * 4;
  if (ihl < HEADER_LEN) return fail('malformed', 'IPv4 IHL ' + ihl + ' bytes');
  const total = (bytes[LENGTH] << 8) | bytes[LENGTH + 1];
  if (total < ihl) return fail('malformed', 'IPv4 total length ' + total + ' < header ' + ihl);
  if (total > bytes.length) return fail('truncated', 'IPv4 total length ' + total + ', got ' + bytes.length);
  if (internetChecksum(bytes, 0, ihl) !== 0) return fail('checksum', 'IPv4 header checksum');
  const fo = (bytes[FLG_OFF] << 8) | bytes[FLG_OFF + 1];
  return ok({
    src: readU32(bytes, SRC_ADDR),
    dst: readU32(bytes, DST_ADDR),
    protocol: bytes[PROTOCOL],
    ttl: bytes[TTL],
    tos: bytes[DSCP_ECN],
    ident: (bytes[IDENT] << 8) | bytes[IDENT + 1],
    dontFragment: (fo & 0x4000) !== 0,
    moreFragments: (fo & 0x2000) !== 0,
    fragmentOffset: (fo & 0x1fff) * 8,
    payload: bytes.subarray(ihl, total),
  });
}

export function bufferLen(repr: Repr): number {
  return HEADER_LEN + repr.payload.length;
}

/**
 * Write the 20-byte header for a payload of `payloadLen` bytes (the payload itself is
 * written by the caller, usually in place after the header). Returns HEADER_LEN.
 */
export function emitHeader(repr: { src: number; dst: number; protocol: number; ttl: number; tos: number; ident: number;
  dontFragment: boolean; moreFragments: boolean; fragmentOffset: number }, payloadLen: number, buf: Uint8Array, offset: number): number {
  if (offset < 0 || offset + HEADER_LEN > buf.length) throw new TypeError('ipv4.emitHeader: buffer too small');
  const total = HEADER_LEN + payloadLen;
  if (total > 0xffff) throw new TypeError('ipv4.emitHeader: payload too large');
  buf[offset + VER_IHL] = 0x45;
  buf[offset + DSCP_ECN] = repr.tos & 255;
  buf[offset + LENGTH] = total >> 8;
  buf[offset + LENGTH + 1] = total & 255;
  buf[offset + IDENT] = (repr.ident >> 8) & 255;
  buf[offset + IDENT + 1] = repr.ident & 255;
  const fo = (repr.dontFragment ? 0x4000 : 0) | (repr.moreFragments ? 0x2000 : 0) | ((repr.fragmentOffset >> 3) & 0x1fff);
  buf[offset + FLG_OFF] = fo >> 8;
  buf[offset + FLG_OFF + 1] = fo & 255;
  buf[offset + TTL] = repr.ttl & 255;
  buf[offset + PROTOCOL] = repr.protocol & 255;
  buf[offset + CHECKSUM] = 0;
  buf[offset + CHECKSUM + 1] = 0;
  writeU32(buf, offset + SRC_ADDR, repr.src);
  writeU32(buf, offset + DST_ADDR, repr.dst);
  const c = internetChecksum(buf, offset, offset + HEADER_LEN);
  buf[offset + CHECKSUM] = c >> 8;
  buf[offset + CHECKSUM + 1] = c & 255;
  return HEADER_LEN;
}

export function emit(repr: Repr, buf: Uint8Array, offset: number): number {
  if (offset + HEADER_LEN + repr.payload.length > buf.length) throw new TypeError('ipv4.emit: buffer too small');
  emitHeader(repr, repr.payload.length, buf, offset);
  buf.set(repr.payload, offset + HEADER_LEN);
  return HEADER_LEN + repr.payload.length;
}

/**
 * The unfolded sum of the TCP/UDP pseudo header (RFC 768; RFC 9293 3.1): source,
 * destination, zero + protocol, and the transport length.
 */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  // Word by word, without a scratch buffer; sum16/fold finish the carry.
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + (protocol & 255) + (length & 0xffff);
}
