/**
 * The IEEE 802.1Q tag control information (TCI): 3 bits priority (PCP), 1 bit drop
 * eligible (DEI, formerly CFI), 12 bits VLAN ID. VID 0 is a priority tag (802.1p, no VLAN);
 * VID 0xfff is reserved and is parsed as data, not refused. The tag's TPID (0x8100) and the
 * inner EtherType are handled by ethernet.ts.
 */
import { type Result, ok, fail } from '../../../lib/result';

export const TAG_LEN = 4;
export const VID_MAX = 4094;

export interface Repr {
  /** 0..7 (voice is 5 by Cisco's convention, signalling 3). */
  pcp: number;
  dei: number;
  /** 0..4095. */
  vid: number;
}

export function parseTci(tci: number): Repr {
  return { pcp: (tci >> 13) & 7, dei: (tci >> 12) & 1, vid: tci & 0x0fff };
}

export function tci(repr: Repr): number {
  return ((repr.pcp & 7) << 13) | ((repr.dei & 1) << 12) | (repr.vid & 0x0fff);
}

/** The 4-byte tag (TPID + TCI) at bytes[0..4]. */
export function parse(bytes: Uint8Array): Result<Repr> {
  if (bytes.length < TAG_LEN) return fail('truncated', '802.1Q tag needs 4 bytes, got ' + bytes.length);
  const tpid = (bytes[0] << 8) | bytes[1];
  if (tpid !== 0x8100) return fail('malformed', '802.1Q TPID 0x' + tpid.toString(16));
  return ok(parseTci((bytes[2] << 8) | bytes[3]));
}

export function emit(repr: Repr, buf: Uint8Array, offset: number): number {
  if (offset < 0 || offset + TAG_LEN > buf.length) throw new TypeError('vlan.emit: buffer too small');
  const t = tci(repr);
  buf[offset] = 0x81;
  buf[offset + 1] = 0x00;
  buf[offset + 2] = t >> 8;
  buf[offset + 3] = t & 255;
  return TAG_LEN;
}

export function bufferLen(): number {
  return TAG_LEN;
}
