/**
 * CDP, the Cisco Discovery Protocol, version 2: the codec both the phone and the lab's switch
 * port use (facts: reference/cisco_protocols.md section 1; Wireshark packet-cdp.c; lldpd cdp.c).
 *
 * Frame (802.3 with a length field, then LLC/SNAP):
 *   0..6    dst 01:00:0c:cc:cc:cc        6..12  src MAC       12..14 length (LLC..end of CDP)
 *   14..17  LLC: DSAP 0xAA, SSAP 0xAA, control 0x03
 *   17..22  SNAP: OUI 00:00:0C, protocol id 0x2000
 *   22..    CDP PDU:
 *     0 version u8 (2)   1 TTL u8 (seconds)   2..4 checksum u16 BE   4.. TLVs
 *     TLV: type u16 BE | length u16 BE (includes the 4-byte TLV header) | value
 * The frame is padded to 60 bytes; the pad is outside the 802.3 length and outside the PDU.
 *
 * Checksum: RFC 1071 over the whole PDU with the checksum field zero, except that Cisco sums
 * an odd last byte b as the word 0x00bb when b < 0x80 and 0xFF00 + b - 1 when b >= 0x80
 * (a sign-extension bug kept for compatibility; Wireshark checks it that way). Deviation on
 * receive: a frame whose checksum only matches the plain RFC 1071 padding (last byte as
 * 0xbb00) is accepted too, so non-Cisco senders that got the quirk "right" still interoperate.
 *
 * parse never throws and never reads out of bounds. Every TLV length is attacker controlled:
 * each is checked against the PDU end before its value is read, known TLVs must have the
 * length their layout needs (else 'malformed'), tables are capped (addresses, power levels,
 * unknown TLVs) and strings are bounded by the frame. Unknown TLVs are kept raw (up to
 * MAX_OTHER) so a frame re-emits byte for byte.
 */
import { type Result, ok, fail } from '../../lib/result';
import { asciiBytes, bytesToAscii, copyBytes, readU16, readU32, writeU16, writeU32 } from '../../lib/bytes';
import { sum16, fold, internetChecksum } from '../../lib/checksum';
import * as ethernet from '../net/wire/ethernet';

export const MULTICAST_MAC = new Uint8Array([0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc]);
export const VERSION = 2;
/** Holdtime the phone advertises, seconds. */
export const DEFAULT_TTL = 180;

// Frame offsets (untagged).
export const LLC = 14;
export const SNAP_OUI = 17;
export const SNAP_PID = 20;
export const PDU = 22;
export const LLC_SNAP_LEN = 8;
export const SNAP_PROTOCOL_CDP = 0x2000;

// PDU offsets.
export const PDU_VERSION = 0;
export const PDU_TTL = 1;
export const PDU_CHECKSUM = 2;
export const PDU_HEADER_LEN = 4;
export const TLV_HEADER_LEN = 4;

// TLV types (Wireshark / lldpd numbering).
export const TLV_DEVICE_ID = 0x0001;
export const TLV_ADDRESSES = 0x0002;
export const TLV_PORT_ID = 0x0003;
export const TLV_CAPABILITIES = 0x0004;
export const TLV_SOFTWARE_VERSION = 0x0005;
export const TLV_PLATFORM = 0x0006;
export const TLV_VTP_DOMAIN = 0x0009;
export const TLV_NATIVE_VLAN = 0x000a;
export const TLV_DUPLEX = 0x000b;
export const TLV_VOIP_VLAN_REPLY = 0x000e;
export const TLV_VOIP_VLAN_QUERY = 0x000f;
export const TLV_POWER = 0x0010;
export const TLV_MTU = 0x0011;
export const TLV_TRUST_BITMAP = 0x0012;
export const TLV_UNTRUSTED_COS = 0x0013;
export const TLV_SYSTEM_NAME = 0x0014;
export const TLV_MANAGEMENT_ADDRESSES = 0x0016;
export const TLV_POWER_REQUESTED = 0x0019;
export const TLV_POWER_AVAILABLE = 0x001a;

// Capability bits.
export const CAP_ROUTER = 0x01;
export const CAP_SWITCH = 0x08;
export const CAP_HOST = 0x10;
export const CAP_IGMP = 0x20;
export const CAP_PHONE = 0x80;
export const CAP_REMOTELY_MANAGED = 0x100;
export const CAP_TWO_PORT_MAC_RELAY = 0x400;
/** What a 79xx/88xx phone advertises: Host + Phone + Two-port MAC relay. */
export const PHONE_CAPABILITIES = CAP_HOST | CAP_PHONE | CAP_TWO_PORT_MAC_RELAY;
/** An access switch: Switch + IGMP. */
export const SWITCH_CAPABILITIES = CAP_SWITCH | CAP_IGMP;

/** The VoIP VLAN Query value 7960/7971 phones send (copied verbatim; semantics unknown). */
export const PHONE_VLAN_QUERY = new Uint8Array([0x20, 0x02, 0x00, 0x01]);
/** Power Available "management power level" meaning "no preference". */
export const NO_PREFERENCE = 0xffffffff;

// Bounds this implementation sets.
export const MAX_ADDRESSES = 8;
export const MAX_POWER_LEVELS = 8;
export const MAX_OTHER = 16;

const NLPID = 1;
const NLPID_IP = 0xcc;

export interface PowerRequested {
  /** Request id; the switch echoes it in Power Available. Never 0 from a PD. */
  requestId: number;
  managementId: number;
  /** Requested levels in mW, most wanted first (at least one, at most MAX_POWER_LEVELS). */
  levelsMw: number[];
}

export interface PowerAvailable {
  /** The request id echoed from the last Power Requested (0 when none since link-up). */
  requestId: number;
  managementId: number;
  /** Power the switch allocates to the port, mW (at the PSE output). */
  availableMw: number;
  /** The switch's wish for the PD's consumption, mW; NO_PREFERENCE when it has none. */
  managementLevelMw: number;
}

export interface VoipVlanReply {
  /** Appliance id / data byte (switches send 1). */
  data: number;
  vlan: number;
}

/** An unknown TLV kept as it came. */
export interface RawTlv {
  type: number;
  value: Uint8Array;
}

/** One CDP PDU. Absent TLVs are undefined; emit writes the present ones in canonical order. */
export interface Repr {
  version: number;
  /** Seconds. */
  ttl: number;
  deviceId?: string;
  /** IPv4 addresses (host-order unsigned); other protocols are skipped on parse. */
  addresses?: number[];
  portId?: string;
  capabilities?: number;
  softwareVersion?: string;
  platform?: string;
  vtpDomain?: string;
  nativeVlan?: number;
  /** 1 full, 0 half. */
  duplex?: number;
  voipVlanReply?: VoipVlanReply;
  /** Raw value of the VoIP VLAN Query TLV (PHONE_VLAN_QUERY from a phone). */
  voipVlanQuery?: Uint8Array;
  /** Power consumption, mW. */
  powerMw?: number;
  mtu?: number;
  trustBitmap?: number;
  untrustedCos?: number;
  systemName?: string;
  managementAddresses?: number[];
  powerRequested?: PowerRequested;
  powerAvailable?: PowerAvailable;
  /** Unknown TLVs, in arrival order. */
  others?: RawTlv[];
}

/** A parsed CDP frame: the sender and the PDU. */
export interface Frame {
  src: Uint8Array;
  repr: Repr;
}

/**
 * The CDP checksum of bytes[start, end) (checksum field zeroed by the caller, or included
 * when verifying: a correct PDU then gives 0).
 */
export function checksum(bytes: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if ((len & 1) === 0) return fold(sum16(bytes, start, end, 0));
  let sum = sum16(bytes, start, end - 1, 0);
  const last = bytes[end - 1];
  sum += last < 0x80 ? last : 0xff00 + last - 1;
  return fold(sum);
}






/** Addresses TLV value: u32 count, then per address type u8, len u8, proto, addr len u16, addr. */
function parseAddresses(b: Uint8Array, start: number, end: number): Result<number[]> {
  if (end - start < 4) return fail('malformed', 'CDP addresses TLV shorter than its count');
  const count = readU32(b, start);
  const out: number[] = [];
  let at = start + 4;
  for (let i = 0; i < count; i++) {
    if (at + 2 > end) return fail('malformed', 'CDP address ' + i + ' of ' + count + ' runs past the TLV');
    const ptype = b[at];
    const plen = b[at + 1];
    if (at + 2 + plen + 2 > end) return fail('malformed', 'CDP address protocol runs past the TLV');
    const alen = readU16(b, at + 2 + plen);
    const addrAt = at + 4 + plen;
    if (addrAt + alen > end) return fail('malformed', 'CDP address runs past the TLV');
    if (ptype === NLPID && plen === 1 && b[at + 2] === NLPID_IP && alen === 4) {
      if (out.length >= MAX_ADDRESSES) return fail('too-large', 'more than ' + MAX_ADDRESSES + ' CDP addresses');
      out.push(readU32(b, addrAt));
    }
    at = addrAt + alen;
  }
  return ok(out);
}

function addressesLen(list: number[]): number {
  return 4 + list.length * 9;
}

function emitAddresses(list: number[], b: Uint8Array, at: number): void {
  writeU32(b, at, list.length);
  let p = at + 4;
  for (let i = 0; i < list.length; i++) {
    b[p] = NLPID;
    b[p + 1] = 1;
    b[p + 2] = NLPID_IP;
    writeU16(b, p + 3, 4);
    writeU32(b, p + 5, list[i]);
    p += 9;
  }
}

function badLen(name: string, got: number): Result<Repr> {
  return fail('malformed', 'CDP ' + name + ' TLV value has ' + got + ' bytes');
}

/** Parse one CDP PDU (version byte to end; no padding). */
export function parse(pdu: Uint8Array): Result<Repr> {
  const n = pdu.length;
  if (n < PDU_HEADER_LEN) return fail('truncated', 'CDP header needs 4 bytes, got ' + n);
  const version = pdu[PDU_VERSION];
  if (version !== 1 && version !== 2) return fail('unsupported', 'CDP version ' + version);
  // Besides Cisco's odd-length rule, the plain RFC 1071 sum (odd byte as the high half) is accepted.
  if (checksum(pdu, 0, n) !== 0 && ((n & 1) === 0 || internetChecksum(pdu, 0, n) !== 0)) {
    return fail('checksum', 'CDP checksum 0x' + readU16(pdu, PDU_CHECKSUM).toString(16) + ' does not match');
  }
  const repr: Repr = { version: version, ttl: pdu[PDU_TTL] };
  let at = PDU_HEADER_LEN;
  while (at < n) {
    if (at + TLV_HEADER_LEN > n) return fail('truncated', 'CDP TLV header at ' + at + ' runs past the PDU');
    const type = readU16(pdu, at);
    const tlvLen = readU16(pdu, at + 2);
    if (tlvLen < TLV_HEADER_LEN) return fail('malformed', 'CDP TLV 0x' + type.toString(16) + ' length ' + tlvLen);
    if (at + tlvLen > n) return fail('truncated', 'CDP TLV 0x' + type.toString(16) + ' runs past the PDU');
    const v = at + TLV_HEADER_LEN;
    const end = at + tlvLen;
    const vlen = tlvLen - TLV_HEADER_LEN;
    switch (type) {
      case TLV_DEVICE_ID: repr.deviceId = bytesToAscii(pdu, v, end); break;
      case TLV_PORT_ID: repr.portId = bytesToAscii(pdu, v, end); break;
      case TLV_SOFTWARE_VERSION: repr.softwareVersion = bytesToAscii(pdu, v, end); break;
      case TLV_PLATFORM: repr.platform = bytesToAscii(pdu, v, end); break;
      case TLV_VTP_DOMAIN: repr.vtpDomain = bytesToAscii(pdu, v, end); break;
      case TLV_SYSTEM_NAME: repr.systemName = bytesToAscii(pdu, v, end); break;
      case TLV_ADDRESSES:
      case TLV_MANAGEMENT_ADDRESSES: {
        const a = parseAddresses(pdu, v, end);
        if (!a.ok) return a;
        if (type === TLV_ADDRESSES) repr.addresses = a.value;
        else repr.managementAddresses = a.value;
        break;
      }
      case TLV_CAPABILITIES:
        if (vlen !== 4) return badLen('capabilities', vlen);
        repr.capabilities = readU32(pdu, v);
        break;
      case TLV_NATIVE_VLAN:
        if (vlen !== 2) return badLen('native VLAN', vlen);
        repr.nativeVlan = readU16(pdu, v);
        break;
      case TLV_DUPLEX:
        if (vlen !== 1) return badLen('duplex', vlen);
        repr.duplex = pdu[v];
        break;
      case TLV_VOIP_VLAN_REPLY:
        // 3 bytes (data + VLAN); some captures carry only the VLAN (2 bytes).
        if (vlen === 2) repr.voipVlanReply = { data: 1, vlan: readU16(pdu, v) };
        else if (vlen >= 3 && vlen <= 4) repr.voipVlanReply = { data: pdu[v], vlan: readU16(pdu, v + 1) };
        else return badLen('VoIP VLAN reply', vlen);
        break;
      case TLV_VOIP_VLAN_QUERY:
        if (vlen < 1 || vlen > 8) return badLen('VoIP VLAN query', vlen);
        repr.voipVlanQuery = copyBytes(pdu, v, end);
        break;
      case TLV_POWER:
        if (vlen !== 2) return badLen('power', vlen);
        repr.powerMw = readU16(pdu, v);
        break;
      case TLV_MTU:
        if (vlen !== 4) return badLen('MTU', vlen);
        repr.mtu = readU32(pdu, v);
        break;
      case TLV_TRUST_BITMAP:
        if (vlen !== 1) return badLen('trust bitmap', vlen);
        repr.trustBitmap = pdu[v];
        break;
      case TLV_UNTRUSTED_COS:
        if (vlen !== 1) return badLen('untrusted CoS', vlen);
        repr.untrustedCos = pdu[v];
        break;
      case TLV_POWER_REQUESTED: {
        if (vlen < 8 || (vlen & 3) !== 0) return badLen('power requested', vlen);
        const count = (vlen - 4) / 4;
        if (count > MAX_POWER_LEVELS) return fail('too-large', 'CDP power requested has ' + count + ' levels');
        const levels: number[] = [];
        for (let i = 0; i < count; i++) levels.push(readU32(pdu, v + 4 + 4 * i));
        repr.powerRequested = { requestId: readU16(pdu, v), managementId: readU16(pdu, v + 2), levelsMw: levels };
        break;
      }
      case TLV_POWER_AVAILABLE:
        if (vlen !== 8 && vlen !== 12) return badLen('power available', vlen);
        repr.powerAvailable = {
          requestId: readU16(pdu, v),
          managementId: readU16(pdu, v + 2),
          availableMw: readU32(pdu, v + 4),
          managementLevelMw: vlen === 12 ? readU32(pdu, v + 8) : NO_PREFERENCE,
        };
        break;
      default: {
        if (repr.others === undefined) repr.others = [];
        if (repr.others.length >= MAX_OTHER) return fail('too-large', 'more than ' + MAX_OTHER + ' unknown CDP TLVs');
        repr.others.push({ type: type, value: copyBytes(pdu, v, end) });
      }
    }
    at = end;
  }
  return ok(repr);
}

/**
 * The order TLVs are written in: the order Cisco phones and switches send them (device id,
 * addresses, port, capabilities, software, platform, ..., query before duplex), so the
 * reference captures re-emit byte for byte. Unknown TLVs go before the first known TLV with
 * a higher type number.
 */
const ORDER = [
  TLV_DEVICE_ID, TLV_ADDRESSES, TLV_PORT_ID, TLV_CAPABILITIES, TLV_SOFTWARE_VERSION, TLV_PLATFORM,
  TLV_VTP_DOMAIN, TLV_NATIVE_VLAN, TLV_VOIP_VLAN_QUERY, TLV_DUPLEX, TLV_VOIP_VLAN_REPLY, TLV_POWER,
  TLV_MTU, TLV_TRUST_BITMAP, TLV_UNTRUSTED_COS, TLV_SYSTEM_NAME, TLV_MANAGEMENT_ADDRESSES,
  TLV_POWER_REQUESTED, TLV_POWER_AVAILABLE,
];

/** Value length of a known TLV in repr, or -1 when absent. */
function valueLen(repr: Repr, type: number): number {
  switch (type) {
    case TLV_DEVICE_ID: return repr.deviceId === undefined ? -1 : repr.deviceId.length;
    case TLV_ADDRESSES: return repr.addresses === undefined ? -1 : addressesLen(repr.addresses);
    case TLV_PORT_ID: return repr.portId === undefined ? -1 : repr.portId.length;
    case TLV_CAPABILITIES: return repr.capabilities === undefined ? -1 : 4;
    case TLV_SOFTWARE_VERSION: return repr.softwareVersion === undefined ? -1 : repr.softwareVersion.length;
    case TLV_PLATFORM: return repr.platform === undefined ? -1 : repr.platform.length;
    case TLV_VTP_DOMAIN: return repr.vtpDomain === undefined ? -1 : repr.vtpDomain.length;
    case TLV_NATIVE_VLAN: return repr.nativeVlan === undefined ? -1 : 2;
    case TLV_VOIP_VLAN_QUERY: return repr.voipVlanQuery === undefined ? -1 : repr.voipVlanQuery.length;
    case TLV_DUPLEX: return repr.duplex === undefined ? -1 : 1;
    case TLV_VOIP_VLAN_REPLY: return repr.voipVlanReply === undefined ? -1 : 3;
    case TLV_POWER: return repr.powerMw === undefined ? -1 : 2;
    case TLV_MTU: return repr.mtu === undefined ? -1 : 4;
    case TLV_TRUST_BITMAP: return repr.trustBitmap === undefined ? -1 : 1;
    case TLV_UNTRUSTED_COS: return repr.untrustedCos === undefined ? -1 : 1;
    case TLV_SYSTEM_NAME: return repr.systemName === undefined ? -1 : repr.systemName.length;
    case TLV_MANAGEMENT_ADDRESSES:
      return repr.managementAddresses === undefined ? -1 : addressesLen(repr.managementAddresses);
    case TLV_POWER_REQUESTED:
      return repr.powerRequested === undefined ? -1 : 4 + 4 * repr.powerRequested.levelsMw.length;
    case TLV_POWER_AVAILABLE: return repr.powerAvailable === undefined ? -1 : 12;
    default: return -1;
  }
}

function emitValue(repr: Repr, type: number, b: Uint8Array, v: number): void {
  switch (type) {
    case TLV_DEVICE_ID: b.set(asciiBytes(repr.deviceId as string), v); break;
    case TLV_ADDRESSES: emitAddresses(repr.addresses as number[], b, v); break;
    case TLV_PORT_ID: b.set(asciiBytes(repr.portId as string), v); break;
    case TLV_CAPABILITIES: writeU32(b, v, repr.capabilities as number); break;
    case TLV_SOFTWARE_VERSION: b.set(asciiBytes(repr.softwareVersion as string), v); break;
    case TLV_PLATFORM: b.set(asciiBytes(repr.platform as string), v); break;
    case TLV_VTP_DOMAIN: b.set(asciiBytes(repr.vtpDomain as string), v); break;
    case TLV_NATIVE_VLAN: writeU16(b, v, repr.nativeVlan as number); break;
    case TLV_VOIP_VLAN_QUERY: b.set(repr.voipVlanQuery as Uint8Array, v); break;
    case TLV_DUPLEX: b[v] = (repr.duplex as number) & 255; break;
    case TLV_VOIP_VLAN_REPLY: {
      const r = repr.voipVlanReply as VoipVlanReply;
      b[v] = r.data & 255;
      writeU16(b, v + 1, r.vlan);
      break;
    }
    case TLV_POWER: writeU16(b, v, repr.powerMw as number); break;
    case TLV_MTU: writeU32(b, v, repr.mtu as number); break;
    case TLV_TRUST_BITMAP: b[v] = (repr.trustBitmap as number) & 255; break;
    case TLV_UNTRUSTED_COS: b[v] = (repr.untrustedCos as number) & 255; break;
    case TLV_SYSTEM_NAME: b.set(asciiBytes(repr.systemName as string), v); break;
    case TLV_MANAGEMENT_ADDRESSES: emitAddresses(repr.managementAddresses as number[], b, v); break;
    case TLV_POWER_REQUESTED: {
      const p = repr.powerRequested as PowerRequested;
      writeU16(b, v, p.requestId);
      writeU16(b, v + 2, p.managementId);
      for (let i = 0; i < p.levelsMw.length; i++) writeU32(b, v + 4 + 4 * i, p.levelsMw[i]);
      break;
    }
    case TLV_POWER_AVAILABLE: {
      const p = repr.powerAvailable as PowerAvailable;
      writeU16(b, v, p.requestId);
      writeU16(b, v + 2, p.managementId);
      writeU32(b, v + 4, p.availableMw);
      writeU32(b, v + 8, p.managementLevelMw);
      break;
    }
    default: break;
  }
}

/** PDU length of repr (version byte to end). */
export function bufferLen(repr: Repr): number {
  let len = PDU_HEADER_LEN;
  for (let i = 0; i < ORDER.length; i++) {
    const l = valueLen(repr, ORDER[i]);
    if (l >= 0) len += TLV_HEADER_LEN + l;
  }
  const others = repr.others;
  if (others !== undefined) for (let i = 0; i < others.length; i++) len += TLV_HEADER_LEN + others[i].value.length;
  return len;
}

function checkRepr(repr: Repr): void {
  const p = repr.powerRequested;
  if (p !== undefined && (p.levelsMw.length < 1 || p.levelsMw.length > MAX_POWER_LEVELS)) {
    throw new TypeError('cdp.emit: powerRequested needs 1..' + MAX_POWER_LEVELS + ' levels');
  }
  const q = repr.voipVlanQuery;
  if (q !== undefined && (q.length < 1 || q.length > 8)) throw new TypeError('cdp.emit: voipVlanQuery needs 1..8 bytes');
}

/**
 * Write the PDU (checksum filled in) at buf[offset..]; returns its length. Throws TypeError
 * when the buffer is too small or a TLV cannot be represented (programmer errors).
 */
export function emit(repr: Repr, buf: Uint8Array, offset: number): number {
  checkRepr(repr);
  const len = bufferLen(repr);
  if (offset < 0 || offset + len > buf.length) throw new TypeError('cdp.emit: buffer too small');
  if (len > 0xffff) throw new TypeError('cdp.emit: PDU longer than 65535 bytes');
  buf[offset + PDU_VERSION] = repr.version & 255;
  buf[offset + PDU_TTL] = repr.ttl & 255;
  writeU16(buf, offset + PDU_CHECKSUM, 0);
  let at = offset + PDU_HEADER_LEN;
  const others = repr.others;
  let nextOther = 0;
  for (let i = 0; i < ORDER.length; i++) {
    const type = ORDER[i];
    const l = valueLen(repr, type);
    if (l < 0) continue;
    while (others !== undefined && nextOther < others.length && others[nextOther].type < type) {
      at = emitRaw(others[nextOther], buf, at);
      nextOther++;
    }
    writeU16(buf, at, type);
    writeU16(buf, at + 2, TLV_HEADER_LEN + l);
    emitValue(repr, type, buf, at + TLV_HEADER_LEN);
    at += TLV_HEADER_LEN + l;
  }
  while (others !== undefined && nextOther < others.length) {
    at = emitRaw(others[nextOther], buf, at);
    nextOther++;
  }
  writeU16(buf, offset + PDU_CHECKSUM, checksum(buf, offset, offset + len));
  return len;
}

function emitRaw(t: RawTlv, buf: Uint8Array, at: number): number {
  writeU16(buf, at, t.type);
  writeU16(buf, at + 2, TLV_HEADER_LEN + t.value.length);
  buf.set(t.value, at + TLV_HEADER_LEN);
  return at + TLV_HEADER_LEN + t.value.length;
}

/** True when a frame is addressed to CDP (multicast MAC + LLC/SNAP 00000C/2000), tagged or not. */
export function isCdpFrame(frame: Uint8Array): boolean {
  const e = ethernet.parse(frame);
  if (!e.ok) return false;
  const d = e.value.dst;
  for (let i = 0; i < 6; i++) if (d[i] !== MULTICAST_MAC[i]) return false;
  const p = e.value.payload;
  return ethernet.isLength(e.value.ethertype) && p.length >= LLC_SNAP_LEN &&
    p[0] === 0xaa && p[1] === 0xaa && p[2] === 0x03 && p[3] === 0 && p[4] === 0 && p[5] === 0x0c &&
    p[6] === (SNAP_PROTOCOL_CDP >> 8) && p[7] === 0;
}

/**
 * Parse a whole Ethernet frame carrying CDP. 'unsupported' when the frame is not CDP at all
 * (callers count only the other errors as malformed CDP).
 */
export function parseFrame(frame: Uint8Array): Result<Frame> {
  if (!isCdpFrame(frame)) return fail('unsupported', 'not a CDP frame');
  const e = ethernet.parse(frame);
  if (!e.ok) return e;
  const length = e.value.ethertype;
  const payload = e.value.payload;
  if (length < LLC_SNAP_LEN + PDU_HEADER_LEN) return fail('malformed', '802.3 length ' + length + ' too short for CDP');
  if (length > payload.length) return fail('truncated', '802.3 length ' + length + ' beyond the frame');
  const r = parse(payload.subarray(LLC_SNAP_LEN, length));
  if (!r.ok) return r;
  return ok({ src: copyBytes(e.value.src, 0, 6), repr: r.value });
}

/** Length of the frame emitFrame writes (padding included). */
export function frameLen(repr: Repr): number {
  const n = PDU + bufferLen(repr);
  return n < ethernet.MIN_FRAME ? ethernet.MIN_FRAME : n;
}

/** Write a whole untagged CDP frame from `src`; returns the frame length (padded to 60). */
export function emitFrame(repr: Repr, src: Uint8Array, buf: Uint8Array, offset: number): number {
  const total = frameLen(repr);
  if (offset < 0 || offset + total > buf.length) throw new TypeError('cdp.emitFrame: buffer too small');
  const pduLen = bufferLen(repr);
  if (LLC_SNAP_LEN + pduLen > 1500) throw new TypeError('cdp.emitFrame: PDU does not fit one frame');
  ethernet.emitHeader({ dst: MULTICAST_MAC, src: src, ethertype: LLC_SNAP_LEN + pduLen, tag: null }, buf, offset);
  buf[offset + LLC] = 0xaa;
  buf[offset + LLC + 1] = 0xaa;
  buf[offset + LLC + 2] = 0x03;
  buf[offset + SNAP_OUI] = 0;
  buf[offset + SNAP_OUI + 1] = 0;
  buf[offset + SNAP_OUI + 2] = 0x0c;
  writeU16(buf, offset + SNAP_PID, SNAP_PROTOCOL_CDP);
  emit(repr, buf, offset + PDU);
  return ethernet.padFrame(buf, offset, PDU + pduLen);
}

/** A fresh frame for repr (convenience for agents that send rarely). */
export function buildFrame(repr: Repr, src: Uint8Array): Uint8Array {
  const buf = new Uint8Array(frameLen(repr));
  emitFrame(repr, src, buf, 0);
  return buf;
}
