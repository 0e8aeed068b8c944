import { describe, it, expect } from 'vitest';
import * as ethernet from '../../../firmware/net/wire/ethernet';
import * as vlan from '../../../firmware/net/wire/vlan';
import * as arp from '../../../firmware/net/wire/arp';
import { h, filled } from './capture';

// An ARP request, tagged for VLAN 100 with priority 5 (Cisco's voice CoS).
const TAGGED_ARP = h(`
  ff ff ff ff ff ff        // dst: broadcast
  00 11 22 33 44 55        // src
  81 00                    // TPID 802.1Q
  a0 64                    // TCI: PCP 5, DEI 0, VID 100
  08 06                    // EtherType ARP
  00 01 08 00 06 04        // htype 1, ptype IPv4, hlen 6, plen 4
  00 01                    // op request
  00 11 22 33 44 55        // sender MAC
  0a 00 00 32              // sender IP 10.0.0.50
  00 00 00 00 00 00        // target MAC (unknown)
  0a 00 00 01              // target IP 10.0.0.1
  00 00 00 00 00 00 00 00 00 00 00 00 00 00  // padding to 60 bytes
`);

describe('ethernet + 802.1Q', () => {
  it('parses a tagged frame', () => {
    const r = ethernet.parse(TAGGED_ARP);
    if (!r.ok) throw new Error(r.detail);
    expect(ethernet.isBroadcast(r.value.dst)).toBe(true);
    expect(Array.from(r.value.src)).toEqual([0, 0x11, 0x22, 0x33, 0x44, 0x55]);
    expect(r.value.tag).toEqual({ pcp: 5, dei: 0, vid: 100 });
    expect(r.value.ethertype).toBe(ethernet.ETHERTYPE_ARP);
    expect(r.value.payload.length).toBe(TAGGED_ARP.length - 18);
  });

  it('emits the same header into a 0xa5-filled buffer', () => {
    const r = ethernet.parse(TAGGED_ARP);
    if (!r.ok) throw new Error(r.detail);
    const buf = filled(TAGGED_ARP.length);
    expect(ethernet.emit(r.value, buf, 0)).toBe(TAGGED_ARP.length);
    expect(buf).toEqual(TAGGED_ARP);
  });

  it('untagged and 802.3 length frames', () => {
    const f = h('01 00 0c cc cc cc  00 11 22 33 44 55  00 20  aa aa 03 00 00 0c 20 00');
    const r = ethernet.parse(f);
    if (!r.ok) throw new Error(r.detail);
    expect(r.value.tag).toBeNull();
    expect(ethernet.isLength(r.value.ethertype)).toBe(true);
    expect(ethernet.isMulticast(r.value.dst)).toBe(true);
  });

  it('refuses short headers', () => {
    expect(ethernet.parse(new Uint8Array(13)).ok).toBe(false);
    const r = ethernet.parse(TAGGED_ARP.subarray(0, 16));
    expect(r.ok ? '' : r.error).toBe('truncated');
  });

  it('pads short frames with zeros', () => {
    const buf = filled(80);
    expect(ethernet.padFrame(buf, 10, 42)).toBe(60);
    expect(buf[10 + 41]).toBe(0xa5);
    expect(Array.from(buf.subarray(52, 70)).every((b) => b === 0)).toBe(true);
    expect(buf[70]).toBe(0xa5);
  });

  it('vlan tag codec', () => {
    const buf = filled(6);
    expect(vlan.emit({ pcp: 3, dei: 1, vid: 4094 }, buf, 1)).toBe(4);
    expect(Array.from(buf)).toEqual([0xa5, 0x81, 0x00, 0x7f, 0xfe, 0xa5]);
    const r = vlan.parse(buf.subarray(1));
    expect(r.ok && r.value).toEqual({ pcp: 3, dei: 1, vid: 4094 });
    expect(vlan.parse(h('88 a8 00 01')).ok).toBe(false);
  });
});

describe('arp', () => {
  it('parses and re-emits the request', () => {
    const body = TAGGED_ARP.subarray(18);
    const r = arp.parse(body);
    if (!r.ok) throw new Error(r.detail);
    expect(r.value.op).toBe(arp.OP_REQUEST);
    expect(r.value.senderIp).toBe(0x0a000032);
    expect(r.value.targetIp).toBe(0x0a000001);
    const buf = filled(28);
    expect(arp.emit(r.value, buf, 0)).toBe(28);
    expect(buf).toEqual(body.subarray(0, 28));
  });

  it('refuses non-Ethernet/IPv4 ARP and unknown operations', () => {
    const body = TAGGED_ARP.slice(18);
    body[1] = 6; // htype IEEE 802
    expect(arp.parse(body).ok).toBe(false);
    const body2 = TAGGED_ARP.slice(18);
    body2[7] = 9;
    const r = arp.parse(body2);
    expect(r.ok ? '' : r.error).toBe('unsupported');
    expect(arp.parse(body2.subarray(0, 27)).ok).toBe(false);
  });
});
