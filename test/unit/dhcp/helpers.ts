/**
 * Helpers for the DHCP tests: the reference fixtures, a minimal pcap reader that pulls
 * UDP payloads out of Ethernet (optionally 802.1Q-tagged) IPv4 frames, and reply builders.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseIp } from '../../../firmware/util/bytes';
import * as dhcp from '../../../firmware/dhcp/wire';

export const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/', import.meta.url));
export const HAVE_FIXTURES = existsSync(FIXTURES + 'generated__dhcp_phone_opt150_synthetic.pcap');

export function ip(text: string): number {
  const v = parseIp(text);
  if (v === null) throw new Error('bad ip ' + text);
  return v;
}

export interface PcapRecord {
  frame: Uint8Array;
  timeUs: number;
}

export function readPcap(bytes: Uint8Array): PcapRecord[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = v.getUint32(0, true);
  const le = magic === 0xa1b2c3d4;
  if (!le && v.getUint32(0, false) !== 0xa1b2c3d4) throw new Error('not a classic pcap');
  const out: PcapRecord[] = [];
  let at = 24;
  while (at + 16 <= bytes.length) {
    const sec = v.getUint32(at, le);
    const usec = v.getUint32(at + 4, le);
    const caplen = v.getUint32(at + 8, le);
    out.push({ frame: bytes.subarray(at + 16, at + 16 + caplen), timeUs: sec * 1e6 + usec });
    at += 16 + caplen;
  }
  return out;
}

export interface UdpInFrame {
  vlan: number | null;
  pcp: number;
  srcMac: Uint8Array;
  dstMac: Uint8Array;
  srcIp: number;
  dstIp: number;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** The UDP datagram in an Ethernet frame, or null. */
export function udpOf(frame: Uint8Array): UdpInFrame | null {
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  let at = 12;
  let vlan: number | null = null;
  let pcp = 0;
  if (v.getUint16(at) === 0x8100) {
    vlan = v.getUint16(at + 2) & 0xfff;
    pcp = v.getUint16(at + 2) >> 13;
    at += 4;
  }
  if (v.getUint16(at) !== 0x0800) return null;
  at += 2;
  const ihl = (frame[at] & 15) * 4;
  if (frame[at + 9] !== 17) return null;
  const total = v.getUint16(at + 2);
  const u = at + ihl;
  const ulen = v.getUint16(u + 4);
  if (ulen < 8 || u + ulen > frame.length || at + total > frame.length) return null;
  return {
    vlan, pcp,
    dstMac: frame.subarray(0, 6), srcMac: frame.subarray(6, 12),
    srcIp: v.getUint32(at + 12), dstIp: v.getUint32(at + 16),
    srcPort: v.getUint16(u), dstPort: v.getUint16(u + 2),
    payload: frame.subarray(u + 8, u + ulen),
  };
}

export function fixtureDhcp(): dhcp.DhcpRepr[] {
  const recs = readPcap(new Uint8Array(readFileSync(FIXTURES + 'generated__dhcp_phone_opt150_synthetic.pcap')));
  return recs.map((r) => {
    const u = udpOf(r.frame);
    if (!u) throw new Error('fixture frame without UDP');
    const p = dhcp.parse(u.payload);
    if (!p.ok) throw new Error('fixture does not parse: ' + p.detail);
    return p.value;
  });
}

export function fixtureDhcpPayloads(): Uint8Array[] {
  const recs = readPcap(new Uint8Array(readFileSync(FIXTURES + 'generated__dhcp_phone_opt150_synthetic.pcap')));
  return recs.map((r) => udpOf(r.frame)!.payload.slice());
}

export interface ReplyOpts {
  yiaddr?: number;
  serverId?: number | null;
  leaseTime?: number | null;
  mask?: number;
  routers?: number[];
  dns?: number[];
  domain?: string;
  tftp150?: number[];
  tftp66?: string;
  t1?: number;
  t2?: number;
  message?: string;
  xid?: number;
  chaddr?: Uint8Array;
}

/** A server reply (OFFER/ACK/NAK) as bytes. */
export function reply(type: number, xid: number, chaddr: Uint8Array, o: ReplyOpts = {}): Uint8Array {
  const r = dhcp.emptyRepr(dhcp.OP_BOOTREPLY, type, o.xid ?? xid, o.chaddr ?? chaddr);
  r.broadcast = true;
  r.serverId = o.serverId === undefined ? ip('10.0.0.1') : o.serverId;
  if (type !== dhcp.DHCPNAK) {
    r.yiaddr = o.yiaddr ?? ip('10.0.0.50');
    r.leaseTime = o.leaseTime === undefined ? 3600 : o.leaseTime;
    r.subnetMask = o.mask ?? ip('255.255.255.0');
    r.routers = o.routers ?? [ip('10.0.0.254')];
    r.dnsServers = o.dns ?? [];
    r.domainName = o.domain ?? null;
    r.tftpServers = o.tftp150 ?? [];
    r.tftpServerName = o.tftp66 ?? null;
    if (o.t1 !== undefined) r.renewalTime = o.t1;
    if (o.t2 !== undefined) r.rebindingTime = o.t2;
  } else if (o.message) {
    r.message = o.message;
  }
  return dhcp.encode(r);
}
