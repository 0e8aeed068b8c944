/**
 * ARP for IPv4 over Ethernet (RFC 826). Only hardware type 1 (Ethernet, 6-byte addresses)
 * with protocol type 0x0800 (4-byte addresses) is supported; anything else parses to an
 * 'unsupported' error and is dropped.
 *
 *   0..2   hardware type (1)        2..4   protocol type (0x0800)
 *   4      hardware length (6)      5      protocol length (4)
 *   6..8   operation (1 request, 2 reply)
 *   8..14  sender hardware address  14..18 sender protocol address
 *   18..24 target hardware address 24..28 target protocol address
 * A probe (RFC 5227 2.1.1) is a request with sender IP 0; an announcement (2.3) a request
 * with sender IP == target IP.
 */
import { copyBytes, readU32, writeU32 } from '../../../lib/bytes';
import { type Result, ok, fail } from '../../../lib/result';

export const HTYPE = 0;
export const PTYPE = 2;
export const HLEN = 4;
export const PLEN = 5;
export const OPER = 6;
export const SHA = 8;
export const SPA = 14;
export const THA = 18;
export const TPA = 24;
export const PACKET_LEN = 28;

export const OP_REQUEST = 1;
export const OP_REPLY = 2;

export interface Repr {
  op: number;
  senderMac: Uint8Array;
  senderIp: number;
  targetMac: Uint8Array;
  targetIp: number;
}



/** Bytes beyond 28 (Ethernet padding) are ignored. MACs are copied out (the repr outlives the frame). */
export function parse(bytes: Uint8Array): Result<Repr> {
  if (bytes.length < PACKET_LEN) return fail('truncated', 'ARP needs 28 bytes, got ' + bytes.length);
  const htype = (bytes[HTYPE] << 8) | bytes[HTYPE + 1];
  const ptype = (bytes[PTYPE] << 8) | bytes[PTYPE + 1];
  if (htype !== 1 || ptype !== 0x0800 || bytes[HLEN] !== 6 || bytes[PLEN] !== 4) {
    return fail('unsupported', 'ARP htype ' + htype + ' ptype 0x' + ptype.toString(16));
  }
  const op = (bytes[OPER] << 8) | bytes[OPER + 1];
  if (op !== OP_REQUEST && op !== OP_REPLY) return fail('unsupported', 'ARP operation ' + op);
  return ok({
    op: op,
    senderMac: copyBytes(bytes, SHA, SHA + 6),
    senderIp: readU32(bytes, SPA),
    targetMac: copyBytes(bytes, THA, THA + 6),
    targetIp: readU32(bytes, TPA),
  });
}

export function bufferLen(): number {
  return PACKET_LEN;
}

export function emit(repr: Repr, buf: Uint8Array, offset: number): number {
  if (offset < 0 || offset + PACKET_LEN > buf.length) throw new TypeError('arp.emit: buffer too small');
  buf[offset + HTYPE] = 0;
  buf[offset + HTYPE + 1] = 1;
  buf[offset + PTYPE] = 0x08;
  buf[offset + PTYPE + 1] = 0x00;
  buf[offset + HLEN] = 6;
  buf[offset + PLEN] = 4;
  buf[offset + OPER] = (repr.op >> 8) & 255;
  buf[offset + OPER + 1] = repr.op & 255;
  buf.set(repr.senderMac.subarray(0, 6), offset + SHA);
  writeU32(buf, offset + SPA, repr.senderIp);
  buf.set(repr.targetMac.subarray(0, 6), offset + THA);
  writeU32(buf, offset + TPA, repr.targetIp);
  return PACKET_LEN;
}
