/**
 * LLDP (IEEE 802.1AB) with the LLDP-MED extensions (ANSI/TIA-1057) a phone and an access
 * switch exchange: the codec both the phone and the lab's switch port use (facts:
 * reference/cisco_protocols.md section 2; lldpd lldp.c; Wireshark packet-lldp.c).
 *
 * Frame: dst 01:80:c2:00:00:0e, EtherType 0x88cc, then TLVs:
 *   header u16 BE = type (7 bits) << 9 | length (9 bits); the length excludes the header.
 *   1 Chassis ID, 2 Port ID, 3 TTL must come first, in that order (802.1AB 8.2); 0 End.
 *   127 organisation specific: OUI (3) + subtype (1) + data. TIA (00-12-BB) subtypes:
 *     1 MED capabilities: u16 capability bits + u8 device class
 *     2 network policy: app u8 | U:1 T:1 X:1 VLAN:12 | prio:3 DSCP:6   (4 bytes)
 *     4 extended power-via-MDI: type:2 source:2 priority:4 | u16 power in 0.1 W
 *     5..11 inventory strings (HW, FW, SW revision, serial, manufacturer, model, asset)
 *   IEEE 802.3 (00-12-0F) subtype 2 power-via-MDI: the 802.3at form (12 bytes) carries the
 *     PSE allocated power (u16, 0.1 W) at data offset 6..8.
 *
 * parse never throws and never reads past the frame; every TLV length is attacker controlled
 * and checked before use; known TLVs with a wrong length are 'malformed'; tables are capped.
 * A missing End TLV is accepted (802.1AB-2009 made it optional); bytes after End are padding.
 * Deviation: duplicate chassis/port/TTL later in the PDU are kept as unknown TLVs rather
 * than refused.
 */
import { type Result, ok, fail } from '../../lib/result';
import { asciiBytes, bytesToAscii, copyBytes, readU16, writeU16 } from '../../lib/bytes';
import * as ethernet from '../net/wire/ethernet';

export const MULTICAST_MAC = new Uint8Array([0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e]);
export const ETHERTYPE = ethernet.ETHERTYPE_LLDP;

export const TLV_END = 0;
export const TLV_CHASSIS_ID = 1;
export const TLV_PORT_ID = 2;
export const TLV_TTL = 3;
export const TLV_PORT_DESCRIPTION = 4;
export const TLV_SYSTEM_NAME = 5;
export const TLV_SYSTEM_DESCRIPTION = 6;
export const TLV_CAPABILITIES = 7;
export const TLV_MANAGEMENT_ADDRESS = 8;
export const TLV_ORG = 127;
export const TLV_HEADER_LEN = 2;
export const MAX_TLV_VALUE = 511;

export const CHASSIS_MAC = 4;
export const CHASSIS_NETWORK_ADDRESS = 5;
export const PORT_INTERFACE_NAME = 5;
export const PORT_MAC = 3;
export const PORT_LOCAL = 7;

export const SYSCAP_BRIDGE = 0x04;
export const SYSCAP_ROUTER = 0x10;
export const SYSCAP_TELEPHONE = 0x20;

export const OUI_TIA = 0x0012bb;
export const OUI_IEEE_8023 = 0x00120f;
export const MED_CAPABILITIES = 1;
export const MED_NETWORK_POLICY = 2;
export const MED_EXTENDED_POWER = 4;
export const MED_INVENTORY_FIRST = 5;
export const MED_INVENTORY_LAST = 11;
export const MED_HARDWARE_REVISION = 5;
export const MED_FIRMWARE_REVISION = 6;
export const MED_SOFTWARE_REVISION = 7;
export const MED_SERIAL = 8;
export const MED_MANUFACTURER = 9;
export const MED_MODEL = 10;
export const MED_ASSET_ID = 11;
export const DOT3_POWER_VIA_MDI = 2;

export const MEDCAP_CAPABILITIES = 0x01;
export const MEDCAP_POLICY = 0x02;
export const MEDCAP_LOCATION = 0x04;
export const MEDCAP_PSE = 0x08;
export const MEDCAP_PD = 0x10;
export const MEDCAP_INVENTORY = 0x20;
export const MED_CLASS_ENDPOINT_3 = 3;
export const MED_CLASS_NETWORK = 4;

export const APP_VOICE = 1;
export const APP_VOICE_SIGNALING = 2;

export const POWER_TYPE_PSE = 0;
export const POWER_TYPE_PD = 1;
/** PD source "PSE" / PSE source "primary" (same code, read by power type). */
export const POWER_SOURCE_PSE = 1;
export const POWER_PRIORITY_UNKNOWN = 0;
export const POWER_PRIORITY_CRITICAL = 1;
export const POWER_PRIORITY_HIGH = 2;
export const POWER_PRIORITY_LOW = 3;

export const MAX_POLICIES = 8;
export const MAX_INVENTORY = 7;
export const MAX_OTHER = 16;

export interface MedCapabilities {
  capabilities: number;
  deviceClass: number;
}

export interface NetworkPolicy {
  appType: number;
  /** U: policy unknown (what a phone that has not learned one sends). */
  unknown: boolean;
  /** T: tagged; false means untagged on the native VLAN (priority-tagged if prio set). */
  tagged: boolean;
  vlan: number;
  priority: number;
  dscp: number;
}

export interface ExtendedPower {
  /** 0 PSE, 1 PD (2 bits). */
  powerType: number;
  source: number;
  priority: number;
  /** mW; the wire carries 0.1 W units, so emit rounds to a multiple of 100. */
  powerMw: number;
}

export interface InventoryItem {
  /** TIA subtype 5..11. */
  subtype: number;
  text: string;
}

/**
 * The 802.3 power-via-MDI TLV (only the figures a PD needs). Read-only: parse also keeps the
 * TLV's bytes in `others`, and emit writes it from there.
 */
export interface Dot3Power {
  /** MDI power support byte, PSE power pair, power class (raw, as sent). */
  support: number;
  pair: number;
  powerClass: number;
  /** 802.3at fields (present when the TLV has the 12-byte form). */
  requestedMw?: number;
  allocatedMw?: number;
  /** type/source/priority byte of the 802.3at form. */
  typeSourcePriority?: number;
}

export interface RawTlv {
  type: number;
  value: Uint8Array;
}

export interface Repr {
  chassisIdSubtype: number;
  chassisId: Uint8Array;
  portIdSubtype: number;
  portId: Uint8Array;
  /** Seconds; 0 means "forget me" (shutdown LLDPDU). */
  ttl: number;
  portDescription?: string;
  systemName?: string;
  systemDescription?: string;
  /** System capabilities and enabled capabilities (16-bit each). */
  capabilities?: number;
  enabledCapabilities?: number;
  dot3Power?: Dot3Power;
  med?: MedCapabilities;
  policies?: NetworkPolicy[];
  extendedPower?: ExtendedPower;
  inventory?: InventoryItem[];
  /** Other TLVs (type < 127, and organisation TLVs that are not handled), arrival order. */
  others?: RawTlv[];
  /** Set to leave out the End TLV on emit (parse never sets it: padding reads as End). */
  noEnd?: boolean;
}

export interface Frame {
  src: Uint8Array;
  repr: Repr;
}



function org(b: Uint8Array, at: number): number {
  return (b[at] << 16) | (b[at + 1] << 8) | b[at + 2];
}

function bad(what: string, got: number): Result<Repr> {
  return fail('malformed', 'LLDP ' + what + ' has ' + got + ' value bytes');
}

/** Parse an LLDPDU (the bytes after the EtherType, padding allowed after End). */
export function parse(pdu: Uint8Array): Result<Repr> {
  const n = pdu.length;
  const repr: Repr = {
    chassisIdSubtype: 0, chassisId: new Uint8Array(0), portIdSubtype: 0, portId: new Uint8Array(0), ttl: 0,
  };
  let at = 0;
  let index = 0;
  while (at < n) {
    if (at + TLV_HEADER_LEN > n) return fail('truncated', 'LLDP TLV header at ' + at + ' runs past the frame');
    const h = readU16(pdu, at);
    const type = h >>> 9;
    const len = h & 0x1ff;
    const v = at + TLV_HEADER_LEN;
    const end = v + len;
    if (end > n) return fail('truncated', 'LLDP TLV ' + type + ' runs past the frame');
    if (index < 3 && type !== index + 1) return fail('malformed', 'LLDP TLV ' + index + ' is type ' + type + ', wants ' + (index + 1));
    if (type === TLV_END) {
      if (len !== 0) return bad('End TLV', len);
      break;
    }
    if (index === 0) {
      if (len < 2 || len > 256) return bad('chassis id', len);
      repr.chassisIdSubtype = pdu[v];
      repr.chassisId = copyBytes(pdu, v + 1, end);
    } else if (index === 1) {
      if (len < 2 || len > 256) return bad('port id', len);
      repr.portIdSubtype = pdu[v];
      repr.portId = copyBytes(pdu, v + 1, end);
    } else if (index === 2) {
      if (len !== 2) return bad('TTL', len);
      repr.ttl = readU16(pdu, v);
    } else if (type === TLV_PORT_DESCRIPTION && repr.portDescription === undefined) {
      repr.portDescription = bytesToAscii(pdu, v, end);
    } else if (type === TLV_SYSTEM_NAME && repr.systemName === undefined) {
      repr.systemName = bytesToAscii(pdu, v, end);
    } else if (type === TLV_SYSTEM_DESCRIPTION && repr.systemDescription === undefined) {
      repr.systemDescription = bytesToAscii(pdu, v, end);
    } else if (type === TLV_CAPABILITIES && repr.capabilities === undefined) {
      if (len !== 4) return bad('capabilities', len);
      repr.capabilities = readU16(pdu, v);
      repr.enabledCapabilities = readU16(pdu, v + 2);
    } else if (type === TLV_ORG && len >= 4 && org(pdu, v) === OUI_TIA) {
      const r = parseMed(pdu, pdu[v + 3], v + 4, end, repr);
      if (r !== null) return r;
    } else if (type === TLV_ORG && len >= 4 && org(pdu, v) === OUI_IEEE_8023 && pdu[v + 3] === DOT3_POWER_VIA_MDI &&
      repr.dot3Power === undefined) {
      const d = len - 4;
      if (d !== 3 && d !== 8 && d !== 10 && d !== 11 && d !== 12 && d !== 25) return bad('802.3 power via MDI', len);
      const p: Dot3Power = { support: pdu[v + 4], pair: pdu[v + 5], powerClass: pdu[v + 6] };
      if (d >= 8) {
        p.typeSourcePriority = pdu[v + 7];
        p.requestedMw = readU16(pdu, v + 8) * 100;
        p.allocatedMw = readU16(pdu, v + 10) * 100;
      }
      repr.dot3Power = p;
      // Keep the full bytes too, so the frame re-emits unchanged.
      const r = pushOther(repr, type, copyBytes(pdu, v, end));
      if (r !== null) return r;
    } else {
      if (type === TLV_ORG && len < 4) return bad('organisation TLV', len);
      const r = pushOther(repr, type, copyBytes(pdu, v, end));
      if (r !== null) return r;
    }
    index++;
    at = end;
  }
  if (index < 3) return fail('truncated', 'LLDPDU lacks chassis id, port id or TTL');
  return ok(repr);
}

function pushOther(repr: Repr, type: number, value: Uint8Array): Result<Repr> | null {
  if (repr.others === undefined) repr.others = [];
  if (repr.others.length >= MAX_OTHER) return fail('too-large', 'more than ' + MAX_OTHER + ' unknown LLDP TLVs');
  repr.others.push({ type: type, value: value });
  return null;
}

/** One TIA TLV; data is pdu[v, end). Returns an error, or null when taken. */
function parseMed(pdu: Uint8Array, subtype: number, v: number, end: number, repr: Repr): Result<Repr> | null {
  const d = end - v;
  if (subtype === MED_CAPABILITIES) {
    if (d !== 3) return bad('MED capabilities', d + 4);
    repr.med = { capabilities: readU16(pdu, v), deviceClass: pdu[v + 2] };
    return null;
  }
  if (subtype === MED_NETWORK_POLICY) {
    if (d !== 4) return bad('MED network policy', d + 4);
    if (repr.policies === undefined) repr.policies = [];
    if (repr.policies.length >= MAX_POLICIES) return fail('too-large', 'more than ' + MAX_POLICIES + ' network policies');
    const w = readU16(pdu, v + 1);
    const x = readU16(pdu, v + 2);
    repr.policies.push({
      appType: pdu[v],
      unknown: (w & 0x8000) !== 0,
      tagged: (w & 0x4000) !== 0,
      vlan: (w >>> 1) & 0x0fff,
      priority: (x >>> 6) & 7,
      dscp: x & 0x3f,
    });
    return null;
  }
  if (subtype === MED_EXTENDED_POWER) {
    if (d !== 3) return bad('MED extended power', d + 4);
    const b = pdu[v];
    repr.extendedPower = { powerType: b >>> 6, source: (b >>> 4) & 3, priority: b & 15, powerMw: readU16(pdu, v + 1) * 100 };
    return null;
  }
  if (subtype >= MED_INVENTORY_FIRST && subtype <= MED_INVENTORY_LAST) {
    if (d > 32) return bad('MED inventory', d + 4);
    if (repr.inventory === undefined) repr.inventory = [];
    if (repr.inventory.length >= MAX_INVENTORY) return fail('too-large', 'more than ' + MAX_INVENTORY + ' inventory TLVs');
    repr.inventory.push({ subtype: subtype, text: bytesToAscii(pdu, v, end) });
    return null;
  }
  return pushOther(repr, TLV_ORG, copyBytes(pdu, v - 4, end));
}

function tlvLen(valueLen: number): number {
  if (valueLen > MAX_TLV_VALUE) throw new TypeError('lldp.emit: TLV value of ' + valueLen + ' bytes');
  return TLV_HEADER_LEN + valueLen;
}

/** Length of the LLDPDU emit writes. */
export function bufferLen(repr: Repr): number {
  let len = tlvLen(1 + repr.chassisId.length) + tlvLen(1 + repr.portId.length) + tlvLen(2);
  if (repr.portDescription !== undefined) len += tlvLen(repr.portDescription.length);
  if (repr.systemName !== undefined) len += tlvLen(repr.systemName.length);
  if (repr.systemDescription !== undefined) len += tlvLen(repr.systemDescription.length);
  if (repr.capabilities !== undefined) len += tlvLen(4);
  const others = repr.others;
  if (others !== undefined) for (let i = 0; i < others.length; i++) len += tlvLen(others[i].value.length);
  if (repr.med !== undefined) len += tlvLen(7);
  if (repr.policies !== undefined) len += repr.policies.length * tlvLen(8);
  if (repr.extendedPower !== undefined) len += tlvLen(7);
  const inv = repr.inventory;
  if (inv !== undefined) for (let i = 0; i < inv.length; i++) len += tlvLen(4 + inv[i].text.length);
  if (repr.noEnd !== true) len += TLV_HEADER_LEN;
  return len;
}

function header(buf: Uint8Array, at: number, type: number, len: number): number {
  writeU16(buf, at, (type << 9) | len);
  return at + TLV_HEADER_LEN;
}

function tia(buf: Uint8Array, at: number, subtype: number, dataLen: number): number {
  const v = header(buf, at, TLV_ORG, 4 + dataLen);
  buf[v] = 0x00;
  buf[v + 1] = 0x12;
  buf[v + 2] = 0xbb;
  buf[v + 3] = subtype;
  return v + 4;
}

/**
 * Write the LLDPDU at buf[offset..]; returns its length. Order: chassis, port, TTL, port
 * description, system name, system description, capabilities, other TLVs below 127, then
 * MED capabilities, network policies, extended power, inventory, other organisation TLVs,
 * End. Throws TypeError when the buffer is too small or a value does not fit.
 */
export function emit(repr: Repr, buf: Uint8Array, offset: number): number {
  const len = bufferLen(repr);
  if (offset < 0 || offset + len > buf.length) throw new TypeError('lldp.emit: buffer too small');
  if (repr.chassisId.length < 1 || repr.chassisId.length > 255) throw new TypeError('lldp.emit: chassis id of 1..255 bytes');
  if (repr.portId.length < 1 || repr.portId.length > 255) throw new TypeError('lldp.emit: port id of 1..255 bytes');
  let at = offset;
  let v = header(buf, at, TLV_CHASSIS_ID, 1 + repr.chassisId.length);
  buf[v] = repr.chassisIdSubtype;
  buf.set(repr.chassisId, v + 1);
  at = v + 1 + repr.chassisId.length;
  v = header(buf, at, TLV_PORT_ID, 1 + repr.portId.length);
  buf[v] = repr.portIdSubtype;
  buf.set(repr.portId, v + 1);
  at = v + 1 + repr.portId.length;
  v = header(buf, at, TLV_TTL, 2);
  writeU16(buf, v, repr.ttl);
  at = v + 2;
  at = emitText(buf, at, TLV_PORT_DESCRIPTION, repr.portDescription);
  at = emitText(buf, at, TLV_SYSTEM_NAME, repr.systemName);
  at = emitText(buf, at, TLV_SYSTEM_DESCRIPTION, repr.systemDescription);
  if (repr.capabilities !== undefined) {
    v = header(buf, at, TLV_CAPABILITIES, 4);
    writeU16(buf, v, repr.capabilities);
    writeU16(buf, v + 2, repr.enabledCapabilities === undefined ? repr.capabilities : repr.enabledCapabilities);
    at = v + 4;
  }
  const others = repr.others;
  if (others !== undefined) at = emitOthers(buf, at, others, false);
  if (repr.med !== undefined) {
    v = tia(buf, at, MED_CAPABILITIES, 3);
    writeU16(buf, v, repr.med.capabilities);
    buf[v + 2] = repr.med.deviceClass;
    at = v + 3;
  }
  const pol = repr.policies;
  if (pol !== undefined) {
    for (let i = 0; i < pol.length; i++) {
      const p = pol[i];
      v = tia(buf, at, MED_NETWORK_POLICY, 4);
      buf[v] = p.appType;
      const w = (p.unknown ? 0x800000 : 0) | (p.tagged ? 0x400000 : 0) | ((p.vlan & 0xfff) << 9) |
        ((p.priority & 7) << 6) | (p.dscp & 0x3f);
      buf[v + 1] = (w >>> 16) & 255;
      buf[v + 2] = (w >>> 8) & 255;
      buf[v + 3] = w & 255;
      at = v + 4;
    }
  }
  const ep = repr.extendedPower;
  if (ep !== undefined) {
    v = tia(buf, at, MED_EXTENDED_POWER, 3);
    buf[v] = ((ep.powerType & 3) << 6) | ((ep.source & 3) << 4) | (ep.priority & 15);
    const units = Math.round(ep.powerMw / 100);
    writeU16(buf, v + 1, units > 0xffff ? 0xffff : units);
    at = v + 3;
  }
  const inv = repr.inventory;
  if (inv !== undefined) {
    for (let i = 0; i < inv.length; i++) {
      v = tia(buf, at, inv[i].subtype, inv[i].text.length);
      buf.set(asciiBytes(inv[i].text), v);
      at = v + inv[i].text.length;
    }
  }
  if (others !== undefined) at = emitOthers(buf, at, others, true);
  if (repr.noEnd !== true) {
    writeU16(buf, at, 0);
    at += TLV_HEADER_LEN;
  }
  return at - offset;
}

function emitText(buf: Uint8Array, at: number, type: number, text: string | undefined): number {
  if (text === undefined) return at;
  const v = header(buf, at, type, text.length);
  buf.set(asciiBytes(text), v);
  return v + text.length;
}

function emitOthers(buf: Uint8Array, at: number, others: RawTlv[], orgOnes: boolean): number {
  let p = at;
  for (let i = 0; i < others.length; i++) {
    const t = others[i];
    if ((t.type === TLV_ORG) !== orgOnes) continue;
    const v = header(buf, p, t.type, t.value.length);
    buf.set(t.value, v);
    p = v + t.value.length;
  }
  return p;
}

/** True when the frame is an LLDP frame (nearest-bridge MAC + EtherType 0x88cc), tagged or not. */
export function isLldpFrame(frame: Uint8Array): boolean {
  const e = ethernet.parse(frame);
  if (!e.ok || e.value.ethertype !== ETHERTYPE) return false;
  const d = e.value.dst;
  for (let i = 0; i < 6; i++) if (d[i] !== MULTICAST_MAC[i]) return false;
  return true;
}

/** Parse a whole frame; 'unsupported' when it is not LLDP at all. */
export function parseFrame(frame: Uint8Array): Result<Frame> {
  if (!isLldpFrame(frame)) return fail('unsupported', 'not an LLDP frame');
  const e = ethernet.parse(frame);
  if (!e.ok) return e;
  const r = parse(e.value.payload);
  if (!r.ok) return r;
  return ok({ src: copyBytes(e.value.src, 0, 6), repr: r.value });
}

export function frameLen(repr: Repr): number {
  const n = ethernet.HEADER_LEN + bufferLen(repr);
  return n < ethernet.MIN_FRAME ? ethernet.MIN_FRAME : n;
}

/** Write a whole untagged LLDP frame from `src`; returns its length (padded to 60). */
export function emitFrame(repr: Repr, src: Uint8Array, buf: Uint8Array, offset: number): number {
  const total = frameLen(repr);
  if (offset < 0 || offset + total > buf.length) throw new TypeError('lldp.emitFrame: buffer too small');
  const h = ethernet.emitHeader({ dst: MULTICAST_MAC, src: src, ethertype: ETHERTYPE, tag: null }, buf, offset);
  const n = emit(repr, buf, offset + h);
  return ethernet.padFrame(buf, offset, h + n);
}

export function buildFrame(repr: Repr, src: Uint8Array): Uint8Array {
  const buf = new Uint8Array(frameLen(repr));
  emitFrame(repr, src, buf, 0);
  return buf;
}

/** The voice policy (app type 1) of a parsed frame, or null. */
export function voicePolicy(repr: Repr): NetworkPolicy | null {
  const p = repr.policies;
  if (p === undefined) return null;
  for (let i = 0; i < p.length; i++) if (p[i].appType === APP_VOICE) return p[i];
  return null;
}
