/**
 * Ethernet II frames, with an optional IEEE 802.1Q tag (see vlan.ts).
 *
 * Layout (IEEE 802.3 clause 3, as handed over by the HAL: no preamble, no FCS):
 *   0..6   destination MAC
 *   6..12  source MAC
 *   12..14 EtherType, or 0x8100 then a 4-byte tag whose last 2 bytes are the EtherType
 * A type/length value below 0x0600 is an 802.3 length (CDP uses 802.3 + LLC/SNAP):
 * `Repr.ethertype` keeps the raw value and `isLength(ethertype)` tells them apart.
 * Only one tag is read; a second (QinQ) tag is left in the payload as EtherType 0x8100.
 *
 * parse never throws and never reads out of bounds; the payload is a view into the
 * caller's bytes (valid only as long as they are). emit pads nothing: short frames are
 * padded to ETH_MIN_FRAME by the interface (padFrame), which owns the transmit buffer.
 */
import { type Result, ok, fail } from '../../../lib/result';
import * as vlan from './vlan';

export const DST = 0;
export const SRC = 6;
export const TYPE = 12;
/** Untagged header. */
export const HEADER_LEN = 14;
/** Header with one 802.1Q tag. */
export const TAGGED_HEADER_LEN = 18;
/** Minimum frame without FCS (60 + 4 FCS = 64, IEEE 802.3 4.4.2). */
export const MIN_FRAME = 60;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_LLDP = 0x88cc;

export const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export interface Repr {
  dst: Uint8Array;
  src: Uint8Array;
  /** EtherType after any tag, or an 802.3 length (< 0x0600). */
  ethertype: number;
  /** The 802.1Q tag, or null when untagged. A priority tag has vid 0. */
  tag: vlan.Repr | null;
  /** Bytes after the header (including any padding the sender added). */
  payload: Uint8Array;
}

/** True when a type/length field is an 802.3 length rather than an EtherType. */
export function isLength(typeOrLength: number): boolean {
  return typeOrLength < 0x0600;
}

export function isBroadcast(mac: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (mac[i] !== 0xff) return false;
  return true;
}

/** Group bit (I/G) of the first octet: multicast or broadcast. */
export function isMulticast(mac: Uint8Array): boolean {
  return (mac[0] & 1) !== 0;
}

export function parse(bytes: Uint8Array): Result<Repr> {
  if (bytes.length < HEADER_LEN) return fail('truncated', 'Ethernet header needs 14 bytes, got ' + bytes.length);
  let type = (bytes[TYPE] << 8) | bytes[TYPE + 1];
  let tag: vlan.Repr | null = null;
  let off = HEADER_LEN;
  if (type === ETHERTYPE_VLAN) {
    if (bytes.length < TAGGED_HEADER_LEN) return fail('truncated', '802.1Q header needs 18 bytes, got ' + bytes.length);
    tag = vlan.parseTci((bytes[14] << 8) | bytes[15]);
    type = (bytes[16] << 8) | bytes[17];
    off = TAGGED_HEADER_LEN;
  }
  return ok({
    dst: bytes.subarray(DST, DST + 6),
    src: bytes.subarray(SRC, SRC + 6),
    ethertype: type,
    tag: tag,
    payload: bytes.subarray(off),
  });
}

/** Header length for a repr (payload excluded). */
export function headerLen(repr: { tag: vlan.Repr | null }): number {
  return repr.tag === null ? HEADER_LEN : TAGGED_HEADER_LEN;
}

export function bufferLen(repr: Repr): number {
  return headerLen(repr) + repr.payload.length;
}

/**
 * Write the header only (the caller writes the payload after it, usually in place).
 * Returns the header length. Throws TypeError when the buffer is too small (a programmer
 * error: the caller sized it).
 */
export function emitHeader(repr: { dst: Uint8Array; src: Uint8Array; ethertype: number; tag: vlan.Repr | null },
  buf: Uint8Array, offset: number): number {
  const len = headerLen(repr);
  if (offset < 0 || offset + len > buf.length) throw new TypeError('ethernet.emitHeader: buffer too small');
  buf.set(repr.dst.subarray(0, 6), offset + DST);
  buf.set(repr.src.subarray(0, 6), offset + SRC);
  let at = offset + TYPE;
  if (repr.tag !== null) {
    buf[at] = ETHERTYPE_VLAN >> 8;
    buf[at + 1] = ETHERTYPE_VLAN & 255;
    const tci = vlan.tci(repr.tag);
    buf[at + 2] = tci >> 8;
    buf[at + 3] = tci & 255;
    at += 4;
  }
  buf[at] = (repr.ethertype >> 8) & 255;
  buf[at + 1] = repr.ethertype & 255;
  return len;
}

/** Header and payload; returns the frame length. */
export function emit(repr: Repr, buf: Uint8Array, offset: number): number {
  const h = emitHeader(repr, buf, offset);
  if (offset + h + repr.payload.length > buf.length) throw new TypeError('ethernet.emit: buffer too small');
  buf.set(repr.payload, offset + h);
  return h + repr.payload.length;
}

/** Zero-pad buf[offset+len .. offset+MIN_FRAME) and return the padded length. */
export function padFrame(buf: Uint8Array, offset: number, len: number): number {
  if (len >= MIN_FRAME) return len;
  for (let i = offset + len; i < offset + MIN_FRAME; i++) buf[i] = 0;
  return MIN_FRAME;
}
