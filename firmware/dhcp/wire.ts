/**
 * DHCP wire codec (RFC 2131 message, RFC 2132 options), shared by the phone's client
 * (firmware/dhcp/client.ts) and the lab's server (tools/lab/dhcp-server.ts).
 *
 * Contract (DESIGN.md section 4, the smoltcp way):
 * - `parse(bytes)` never throws and never reads out of bounds. It returns the typed
 *   `DhcpRepr` or a typed error (`truncated`, `malformed`, `unsupported`).
 * - `emit(repr, buf, offset)` writes `bufferLen(repr)` bytes and returns that length.
 *   A buffer that is too small is a programmer error (TypeError).
 *
 * Layout (RFC 2131 section 2, figure 1): a 236-byte BOOTP header, the magic cookie
 * 99.130.83.99, then options as TLVs (pad 0 and end 255 are single bytes).
 *
 * Options, parse side:
 * - Every attacker-controlled length is checked against the end of its field before use.
 * - Options are collected into a bounded table first (at most MAX_OPTIONS distinct codes,
 *   at most MAX_OPTION_BYTES each); repeated codes are concatenated (RFC 3396), then the
 *   known codes are decoded with per-option length checks (lwIP dhcp_parse_reply style).
 *   A known option with an impossible length makes the whole message `malformed`.
 * - Option overload (52, RFC 2132 9.3): the `file` field, then the `sname` field, are
 *   scanned for more options after the options field. An overload option found inside an
 *   overloaded field is ignored (no recursion); overloaded fields give no sname/file text.
 * - Address lists (3, 6, 42, 150) keep at most MAX_ADDRESSES entries; the rest is ignored.
 * - Text options (12, 15, 56, 66) lose trailing NULs: dnsmasq sends option 66 as
 *   "10.77.0.1\0" (reference/interop.md section 2). One left empty (all NULs) is absent
 *   (null): an empty text would re-emit as a zero-length option, which parse rejects.
 *   Option 60 is kept as sent (a Cisco phone's vendor class ends in a NUL, and the server
 *   side matches on it).
 * - A missing end option is accepted when the last TLV ends exactly at the end of its
 *   field (some servers omit it); a TLV running past the end is `truncated`.
 * - Unknown options are data, not errors: kept raw in `extra` (capped at MAX_EXTRA).
 *
 * Emit side: option 53 first, then the known options in a fixed order, `extra`, end, and
 * zero padding up to MIN_MESSAGE_LEN (300 bytes, the BOOTP minimum that relay agents and
 * old servers expect, RFC 1542 section 2.1). Long options are split into 255-byte pieces
 * (RFC 3396). An empty text option ('' in 12, 15, 56, 60, 66) is not emitted: a zero-length
 * text option is malformed (RFC 2132 says length 1 minimum), so '' is written as absent.
 */
import { ok, fail, Result } from '../../lib/result';
import { viewOf, asciiBytes, bytesToAscii, readU32 } from '../../lib/bytes';

export const SERVER_PORT = 67;
export const CLIENT_PORT = 68;
export const MAGIC_COOKIE = 0x63825363;

/** Field offsets of the fixed header (RFC 2131 figure 1). */
export const F_OP = 0;
export const F_HTYPE = 1;
export const F_HLEN = 2;
export const F_HOPS = 3;
export const F_XID = 4;
export const F_SECS = 8;
export const F_FLAGS = 10;
export const F_CIADDR = 12;
export const F_YIADDR = 16;
export const F_SIADDR = 20;
export const F_GIADDR = 24;
export const F_CHADDR = 28;   // 16 bytes
export const F_SNAME = 44;    // 64 bytes
export const F_FILE = 108;    // 128 bytes
export const F_COOKIE = 236;
export const F_OPTIONS = 240;
export const SNAME_LEN = 64;
export const FILE_LEN = 128;
export const HEADER_LEN = F_OPTIONS;
export const MIN_MESSAGE_LEN = 300;
/** The largest message either side handles (a 1500-byte MTU minus IP and UDP headers). */
export const MAX_MESSAGE_LEN = 1472;

export const OP_BOOTREQUEST = 1;
export const OP_BOOTREPLY = 2;
export const HTYPE_ETHERNET = 1;
export const FLAG_BROADCAST = 0x8000;

/** Bounds: what parse keeps at most. */
export const MAX_OPTIONS = 64;
export const MAX_OPTION_BYTES = 1024;
export const MAX_ADDRESSES = 8;
export const MAX_EXTRA = 16;
export const MAX_PRL = 64;
export const MAX_TEXT = 255;

/** DHCP message types (option 53, RFC 2132 9.6). */
export const DHCPDISCOVER = 1;
export const DHCPOFFER = 2;
export const DHCPREQUEST = 3;
export const DHCPDECLINE = 4;
export const DHCPACK = 5;
export const DHCPNAK = 6;
export const DHCPRELEASE = 7;
export const DHCPINFORM = 8;

const TYPE_NAMES = ['', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM'];

/** "OFFER", or "type 42" for one this codec has no name for. */
export function messageTypeName(t: number): string {
  if (t >= 1 && t < TYPE_NAMES.length) return TYPE_NAMES[t];
  return 'type ' + t;
}

/** Option codes (RFC 2132 unless noted). */
export const OPT_PAD = 0;
export const OPT_SUBNET_MASK = 1;
export const OPT_ROUTER = 3;
export const OPT_DNS = 6;
export const OPT_HOST_NAME = 12;
export const OPT_DOMAIN_NAME = 15;
export const OPT_ARP_CACHE_TIMEOUT = 35;
export const OPT_NTP = 42;
export const OPT_REQUESTED_IP = 50;
export const OPT_LEASE_TIME = 51;
export const OPT_OVERLOAD = 52;
export const OPT_MESSAGE_TYPE = 53;
export const OPT_SERVER_ID = 54;
export const OPT_PARAMETER_LIST = 55;
export const OPT_MESSAGE = 56;
export const OPT_MAX_MESSAGE_SIZE = 57;
export const OPT_RENEWAL_TIME = 58;
export const OPT_REBINDING_TIME = 59;
export const OPT_VENDOR_CLASS = 60;
export const OPT_CLIENT_ID = 61;
export const OPT_TFTP_SERVER_NAME = 66;
export const OPT_BOOTFILE_NAME = 67;
/** Cisco "TFTP server address": a list of IPv4 addresses in preference order. */
export const OPT_CISCO_TFTP = 150;
export const OPT_END = 255;

/** An option this codec does not decode, kept as bytes. */
export interface RawOption {
  code: number;
  data: Uint8Array;
}

/**
 * One DHCP message. Addresses are unsigned 32-bit numbers in host order, 0 = absent.
 * Optional options are null (single values) or empty (lists) when absent.
 */
export interface DhcpRepr {
  op: number;
  /** Relay hop count. */
  hops: number;
  xid: number;
  /** Seconds since the client began acquiring or renewing. */
  secs: number;
  broadcast: boolean;
  ciaddr: number;
  yiaddr: number;
  siaddr: number;
  giaddr: number;
  /** Client hardware address (6 bytes, Ethernet). */
  chaddr: Uint8Array;
  /** Server host name and boot file name from the fixed fields ('' when overloaded). */
  sname: string;
  file: string;
  /** Option 53; 0 when absent (a plain BOOTP message). */
  messageType: number;
  subnetMask: number | null;
  routers: number[];
  dnsServers: number[];
  hostName: string | null;
  domainName: string | null;
  ntpServers: number[];
  requestedIp: number | null;
  /** Seconds; 0xffffffff = infinite (RFC 2132 9.2). */
  leaseTime: number | null;
  serverId: number | null;
  parameterRequestList: number[] | null;
  message: string | null;
  maxMessageSize: number | null;
  renewalTime: number | null;
  rebindingTime: number | null;
  /** Option 60 exactly as sent (a Cisco phone's ends in a NUL). */
  vendorClass: string | null;
  /** Option 61 (type byte + identifier). */
  clientId: Uint8Array | null;
  /** Option 66, trailing NULs stripped. */
  tftpServerName: string | null;
  /** Option 150. */
  tftpServers: number[];
  /** Other options, raw, in the order first seen. */
  extra: RawOption[];
}

/** A request/reply with every option absent: fill in what you need, then emit. */
export function emptyRepr(op: number, messageType: number, xid: number, chaddr: Uint8Array): DhcpRepr {
  return {
    op: op, hops: 0, xid: xid >>> 0, secs: 0, broadcast: false,
    ciaddr: 0, yiaddr: 0, siaddr: 0, giaddr: 0, chaddr: chaddr, sname: '', file: '',
    messageType: messageType,
    subnetMask: null, routers: [], dnsServers: [], hostName: null, domainName: null,
    ntpServers: [], requestedIp: null, leaseTime: null, serverId: null,
    parameterRequestList: null, message: null, maxMessageSize: null,
    renewalTime: null, rebindingTime: null, vendorClass: null, clientId: null,
    tftpServerName: null, tftpServers: [], extra: [],
  };
}

// ---------------------------------------------------------------------------------------
// Parse

/** Options gathered from the TLV scan, before decoding: code -> concatenated bytes. */
interface OptionTable {
  codes: number[];
  parts: Uint8Array[][];
  sizes: number[];
  overload: number;
}

/**
 * Scan TLVs in bytes[start, end) into `table`. Returns null on success or the failure.
 * `allowOverload` is true only for the options field proper.
 */
function scanOptions(bytes: Uint8Array, start: number, end: number, table: OptionTable,
  allowOverload: boolean): Result<boolean> | null {
  let i = start;
  while (i < end) {
    const code = bytes[i];
    if (code === OPT_PAD) { i++; continue; }
    if (code === OPT_END) return null;
    if (i + 1 >= end) return fail('truncated', 'option ' + code + ' has no length byte');
    const len = bytes[i + 1];
    if (i + 2 + len > end) return fail('truncated', 'option ' + code + ' length ' + len + ' runs past its field');
    if (code === OPT_OVERLOAD) {
      if (allowOverload) {
        if (len !== 1 || bytes[i + 2] < 1 || bytes[i + 2] > 3) return fail('malformed', 'option 52 must be one byte 1..3');
        table.overload = bytes[i + 2];
      }
      // An overload option inside sname/file is ignored (no nesting).
    } else {
      let slot = -1;
      for (let k = 0; k < table.codes.length; k++) if (table.codes[k] === code) { slot = k; break; }
      if (slot < 0) {
        if (table.codes.length >= MAX_OPTIONS) return fail('too-large', 'more than ' + MAX_OPTIONS + ' distinct options');
        table.codes.push(code);
        table.parts.push([]);
        table.sizes.push(0);
        slot = table.codes.length - 1;
      }
      if (table.sizes[slot] + len > MAX_OPTION_BYTES) return fail('too-large', 'option ' + code + ' over ' + MAX_OPTION_BYTES + ' bytes');
      table.parts[slot].push(bytes.subarray(i + 2, i + 2 + len));
      table.sizes[slot] += len;
    }
    i += 2 + len;
  }
  return null;
}

function joined(table: OptionTable, slot: number): Uint8Array {
  const parts = table.parts[slot];
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(table.sizes[slot]);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    out.set(parts[i], at);
    at += parts[i].length;
  }
  return out;
}


/** A text field: stops at the first NUL (C string), latin-1. */
function cString(bytes: Uint8Array, start: number, len: number): string {
  let end = start;
  while (end < start + len && bytes[end] !== 0) end++;
  return bytesToAscii(bytes, start, end);
}

/** Text option: capped at MAX_TEXT, then trailing NULs removed (dnsmasq's option 66); null when nothing is left. */
function textOption(d: Uint8Array): string | null {
  // Cap before stripping, so a cut that ends in a NUL does not re-parse shorter.
  let end = d.length > MAX_TEXT ? MAX_TEXT : d.length;
  while (end > 0 && d[end - 1] === 0) end--;
  if (end === 0) return null;
  return bytesToAscii(d, 0, end);
}

function addressList(d: Uint8Array): number[] {
  const out: number[] = [];
  for (let at = 0; at + 4 <= d.length && out.length < MAX_ADDRESSES; at += 4) out.push(readU32(d, at));
  return out;
}

/** Decode one known option into `r`; returns a failure for an impossible length. */
function decodeOption(r: DhcpRepr, code: number, d: Uint8Array): Result<boolean> | null {
  const n = d.length;
  switch (code) {
    case OPT_MESSAGE_TYPE:
      if (n !== 1) return fail('malformed', 'option 53 length ' + n);
      r.messageType = d[0];
      return null;
    case OPT_SUBNET_MASK:
    case OPT_REQUESTED_IP:
    case OPT_SERVER_ID:
    case OPT_LEASE_TIME:
    case OPT_RENEWAL_TIME:
    case OPT_REBINDING_TIME: {
      if (n !== 4) return fail('malformed', 'option ' + code + ' length ' + n + ', want 4');
      const v = readU32(d, 0);
      if (code === OPT_SUBNET_MASK) r.subnetMask = v;
      else if (code === OPT_REQUESTED_IP) r.requestedIp = v;
      else if (code === OPT_SERVER_ID) r.serverId = v;
      else if (code === OPT_LEASE_TIME) r.leaseTime = v;
      else if (code === OPT_RENEWAL_TIME) r.renewalTime = v;
      else r.rebindingTime = v;
      return null;
    }
    case OPT_ROUTER:
    case OPT_DNS:
    case OPT_NTP:
    case OPT_CISCO_TFTP: {
      if (n === 0 || n % 4 !== 0) return fail('malformed', 'option ' + code + ' length ' + n + ', want 4n');
      const list = addressList(d);
      if (code === OPT_ROUTER) r.routers = list;
      else if (code === OPT_DNS) r.dnsServers = list;
      else if (code === OPT_NTP) r.ntpServers = list;
      else r.tftpServers = list;
      return null;
    }
    case OPT_MAX_MESSAGE_SIZE:
      if (n !== 2) return fail('malformed', 'option 57 length ' + n);
      r.maxMessageSize = (d[0] << 8) | d[1];
      return null;
    case OPT_HOST_NAME:
    case OPT_DOMAIN_NAME:
    case OPT_MESSAGE:
    case OPT_TFTP_SERVER_NAME: {
      if (n === 0) return fail('malformed', 'option ' + code + ' is empty');
      const t = textOption(d);
      if (code === OPT_HOST_NAME) r.hostName = t;
      else if (code === OPT_DOMAIN_NAME) r.domainName = t;
      else if (code === OPT_MESSAGE) r.message = t;
      else r.tftpServerName = t;
      return null;
    }
    case OPT_VENDOR_CLASS:
      if (n === 0) return fail('malformed', 'option 60 is empty');
      r.vendorClass = bytesToAscii(d, 0, n > MAX_TEXT ? MAX_TEXT : n);
      return null;
    case OPT_CLIENT_ID: {
      if (n < 2) return fail('malformed', 'option 61 length ' + n + ', want >= 2');
      const id = new Uint8Array(n);
      id.set(d);
      r.clientId = id;
      return null;
    }
    case OPT_PARAMETER_LIST: {
      if (n === 0) return fail('malformed', 'option 55 is empty');
      const prl: number[] = [];
      for (let i = 0; i < n && i < MAX_PRL; i++) prl.push(d[i]);
      r.parameterRequestList = prl;
      return null;
    }
    default:
      if (r.extra.length < MAX_EXTRA) {
        const copy = new Uint8Array(n);
        copy.set(d);
        r.extra.push({ code: code, data: copy });
      }
      return null;
  }
}

/**
 * Parse one DHCP message (the UDP payload). Requires the magic cookie (plain BOOTP is
 * `unsupported`), Ethernet hardware type with a 6-byte address, and a known op.
 */
export function parse(bytes: Uint8Array): Result<DhcpRepr> {
  if (bytes.length < HEADER_LEN) return fail('truncated', 'DHCP message needs ' + HEADER_LEN + ' bytes, got ' + bytes.length);
  const v = viewOf(bytes);
  const op = bytes[F_OP];
  if (op !== OP_BOOTREQUEST && op !== OP_BOOTREPLY) return fail('malformed', 'op ' + op);
  if (bytes[F_HTYPE] !== HTYPE_ETHERNET || bytes[F_HLEN] !== 6) {
    return fail('unsupported', 'hardware type ' + bytes[F_HTYPE] + ' length ' + bytes[F_HLEN]);
  }
  if (v.getUint32(F_COOKIE) !== MAGIC_COOKIE) return fail('unsupported', 'no DHCP magic cookie (plain BOOTP)');
  const chaddr = new Uint8Array(6);
  chaddr.set(bytes.subarray(F_CHADDR, F_CHADDR + 6));
  const r = emptyRepr(op, 0, v.getUint32(F_XID), chaddr);
  r.hops = bytes[F_HOPS];
  r.secs = v.getUint16(F_SECS);
  r.broadcast = (v.getUint16(F_FLAGS) & FLAG_BROADCAST) !== 0;
  r.ciaddr = v.getUint32(F_CIADDR);
  r.yiaddr = v.getUint32(F_YIADDR);
  r.siaddr = v.getUint32(F_SIADDR);
  r.giaddr = v.getUint32(F_GIADDR);

  const table: OptionTable = { codes: [], parts: [], sizes: [], overload: 0 };
  let err = scanOptions(bytes, F_OPTIONS, bytes.length, table, true);
  if (err) return err as Result<DhcpRepr>;
  // RFC 2131 4.1: options field, then 'file', then 'sname'.
  if ((table.overload & 1) !== 0) {
    err = scanOptions(bytes, F_FILE, F_FILE + FILE_LEN, table, false);
    if (err) return err as Result<DhcpRepr>;
  } else {
    r.file = cString(bytes, F_FILE, FILE_LEN);
  }
  if ((table.overload & 2) !== 0) {
    err = scanOptions(bytes, F_SNAME, F_SNAME + SNAME_LEN, table, false);
    if (err) return err as Result<DhcpRepr>;
  } else {
    r.sname = cString(bytes, F_SNAME, SNAME_LEN);
  }
  for (let k = 0; k < table.codes.length; k++) {
    const e = decodeOption(r, table.codes[k], joined(table, k));
    if (e) return e as Result<DhcpRepr>;
  }
  return ok(r);
}

// ---------------------------------------------------------------------------------------
// Emit

/** Length of one option's encoding, split into 255-byte pieces (RFC 3396). */
function tlvLen(n: number): number {
  if (n === 0) return 2;
  return n + 2 * Math.ceil(n / 255);
}

function addrBytes(list: number[]): Uint8Array {
  const out = new Uint8Array(list.length * 4);
  for (let i = 0; i < list.length; i++) {
    const a = list[i];
    out[4 * i] = (a >>> 24) & 255;
    out[4 * i + 1] = (a >>> 16) & 255;
    out[4 * i + 2] = (a >>> 8) & 255;
    out[4 * i + 3] = a & 255;
  }
  return out;
}

function u32Bytes(x: number): Uint8Array {
  return addrBytes([x]);
}

/** A text option to emit: '' is treated as absent (a zero-length text option is malformed). */
function hasText(t: string | null): boolean {
  return t !== null && t.length > 0;
}

/** The options of `r` in emit order, as (code, data) pairs. */
function optionsOf(r: DhcpRepr): RawOption[] {
  const out: RawOption[] = [];
  if (r.messageType !== 0) out.push({ code: OPT_MESSAGE_TYPE, data: new Uint8Array([r.messageType]) });
  if (r.serverId !== null) out.push({ code: OPT_SERVER_ID, data: u32Bytes(r.serverId) });
  if (r.requestedIp !== null) out.push({ code: OPT_REQUESTED_IP, data: u32Bytes(r.requestedIp) });
  if (r.maxMessageSize !== null) {
    out.push({ code: OPT_MAX_MESSAGE_SIZE, data: new Uint8Array([(r.maxMessageSize >> 8) & 255, r.maxMessageSize & 255]) });
  }
  if (r.clientId !== null) out.push({ code: OPT_CLIENT_ID, data: r.clientId });
  if (hasText(r.hostName)) out.push({ code: OPT_HOST_NAME, data: asciiBytes(r.hostName as string) });
  if (hasText(r.vendorClass)) out.push({ code: OPT_VENDOR_CLASS, data: asciiBytes(r.vendorClass as string) });
  if (r.parameterRequestList !== null) out.push({ code: OPT_PARAMETER_LIST, data: new Uint8Array(r.parameterRequestList) });
  if (r.leaseTime !== null) out.push({ code: OPT_LEASE_TIME, data: u32Bytes(r.leaseTime) });
  if (r.renewalTime !== null) out.push({ code: OPT_RENEWAL_TIME, data: u32Bytes(r.renewalTime) });
  if (r.rebindingTime !== null) out.push({ code: OPT_REBINDING_TIME, data: u32Bytes(r.rebindingTime) });
  if (r.subnetMask !== null) out.push({ code: OPT_SUBNET_MASK, data: u32Bytes(r.subnetMask) });
  if (r.routers.length > 0) out.push({ code: OPT_ROUTER, data: addrBytes(r.routers) });
  if (r.dnsServers.length > 0) out.push({ code: OPT_DNS, data: addrBytes(r.dnsServers) });
  if (hasText(r.domainName)) out.push({ code: OPT_DOMAIN_NAME, data: asciiBytes(r.domainName as string) });
  if (r.ntpServers.length > 0) out.push({ code: OPT_NTP, data: addrBytes(r.ntpServers) });
  if (r.tftpServers.length > 0) out.push({ code: OPT_CISCO_TFTP, data: addrBytes(r.tftpServers) });
  if (hasText(r.tftpServerName)) out.push({ code: OPT_TFTP_SERVER_NAME, data: asciiBytes(r.tftpServerName as string) });
  if (hasText(r.message)) out.push({ code: OPT_MESSAGE, data: asciiBytes(r.message as string) });
  for (let i = 0; i < r.extra.length; i++) out.push(r.extra[i]);
  return out;
}

/** Bytes `emit` writes for `r` (header, cookie, options, end, padding to 300). */
export function bufferLen(r: DhcpRepr): number {
  const opts = optionsOf(r);
  let n = HEADER_LEN;
  for (let i = 0; i < opts.length; i++) n += tlvLen(opts[i].data.length);
  n += 1;
  return n < MIN_MESSAGE_LEN ? MIN_MESSAGE_LEN : n;
}

function putText(buf: Uint8Array, at: number, max: number, text: string): void {
  // A full-length field carries no NUL (parse reads up to the field's end either way).
  const n = text.length < max ? text.length : max;
  for (let i = 0; i < n; i++) buf[at + i] = text.charCodeAt(i) & 255;
}

/** Write `r` at buf[offset...]; returns the length written (== bufferLen(r)). */
export function emit(r: DhcpRepr, buf: Uint8Array, offset: number): number {
  const total = bufferLen(r);
  if (offset < 0 || offset + total > buf.length) {
    throw new TypeError('dhcp.emit: need ' + total + ' bytes at offset ' + offset + ', buffer has ' + buf.length);
  }
  if (r.chaddr.length !== 6) throw new TypeError('dhcp.emit: chaddr must be 6 bytes');
  const out = buf.subarray(offset, offset + total);
  for (let i = 0; i < total; i++) out[i] = 0;
  const v = viewOf(out);
  out[F_OP] = r.op;
  out[F_HTYPE] = HTYPE_ETHERNET;
  out[F_HLEN] = 6;
  out[F_HOPS] = r.hops & 255;
  v.setUint32(F_XID, r.xid >>> 0);
  v.setUint16(F_SECS, r.secs > 0xffff ? 0xffff : r.secs);
  v.setUint16(F_FLAGS, r.broadcast ? FLAG_BROADCAST : 0);
  v.setUint32(F_CIADDR, r.ciaddr >>> 0);
  v.setUint32(F_YIADDR, r.yiaddr >>> 0);
  v.setUint32(F_SIADDR, r.siaddr >>> 0);
  v.setUint32(F_GIADDR, r.giaddr >>> 0);
  out.set(r.chaddr, F_CHADDR);
  putText(out, F_SNAME, SNAME_LEN, r.sname);
  putText(out, F_FILE, FILE_LEN, r.file);
  v.setUint32(F_COOKIE, MAGIC_COOKIE);
  let at = F_OPTIONS;
  const opts = optionsOf(r);
  for (let i = 0; i < opts.length; i++) {
    const d = opts[i].data;
    if (d.length === 0) {
      out[at] = opts[i].code;
      out[at + 1] = 0;
      at += 2;
      continue;
    }
    for (let done = 0; done < d.length; done += 255) {
      const n = d.length - done < 255 ? d.length - done : 255;
      out[at] = opts[i].code;
      out[at + 1] = n;
      out.set(d.subarray(done, done + n), at + 2);
      at += 2 + n;
    }
  }
  out[at] = OPT_END;
  return total;
}

/** A fresh buffer holding `r`. */
export function encode(r: DhcpRepr): Uint8Array {
  const buf = new Uint8Array(bufferLen(r));
  emit(r, buf, 0);
  return buf;
}

/** True when `a` and `b` hold the same 6-byte hardware address. */
export function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length < 6 || b.length < 6) return false;
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}
