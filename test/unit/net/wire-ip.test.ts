import { describe, it, expect } from 'vitest';
import * as ipv4 from '../../../firmware/net/wire/ipv4';
import * as icmp from '../../../firmware/net/wire/icmp';
import * as udp from '../../../firmware/net/wire/udp';
import * as ethernet from '../../../firmware/net/wire/ethernet';
import { h, filled } from './capture';
import { fixtureFrames } from '../../fixtures';

// The header of RFC 1071-era textbooks (Wikipedia's "IPv4 header checksum" example).
const IP_HEADER = h(`
  45          // version 4, IHL 5
  00          // DSCP/ECN
  00 73       // total length 115
  00 00       // identification
  40 00       // DF, offset 0
  40          // TTL 64
  11          // protocol UDP
  b8 61       // header checksum
  c0 a8 00 01 // 192.168.0.1
  c0 a8 00 c7 // 192.168.0.199
`);

describe('ipv4', () => {
  it('parses the header and verifies its checksum', () => {
    const pkt = new Uint8Array(115);
    pkt.set(IP_HEADER);
    const r = ipv4.parse(pkt);
    if (!r.ok) throw new Error(r.detail);
    expect(r.value.src).toBe(0xc0a80001);
    expect(r.value.dst).toBe(0xc0a800c7);
    expect(r.value.protocol).toBe(ipv4.PROTO_UDP);
    expect(r.value.dontFragment).toBe(true);
    expect(ipv4.isFragment(r.value)).toBe(false);
    expect(r.value.payload.length).toBe(95);
  });

  it('emits the same bytes, checksum included', () => {
    const pkt = new Uint8Array(115);
    pkt.set(IP_HEADER);
    const r = ipv4.parse(pkt);
    if (!r.ok) throw new Error(r.detail);
    const buf = filled(20);
    ipv4.emitHeader(r.value, 95, buf, 0);
    expect(buf).toEqual(IP_HEADER);
  });

  it('typed errors: checksum, truncated, version, IHL', () => {
    const pkt = new Uint8Array(115);
    pkt.set(IP_HEADER);
    pkt[11] ^= 1;
    const bad = ipv4.parse(pkt);
    expect(bad.ok ? '' : bad.error).toBe('checksum');
    const short = ipv4.parse(IP_HEADER); // total length 115 > 20 bytes given
    expect(short.ok ? '' : short.error).toBe('truncated');
    const v6 = IP_HEADER.slice();
    v6[0] = 0x65;
    expect(ipv4.parse(v6).ok).toBe(false);
    const ihl = IP_HEADER.slice();
    ihl[0] = 0x44;
    const e = ipv4.parse(ihl);
    expect(e.ok ? '' : e.error).toBe('malformed');
  });

  it('skips options and cuts Ethernet padding', () => {
    // IHL 6: one 4-byte option (Router Alert, RFC 2113), 4 bytes of data, 6 of padding.
    const buf = new Uint8Array(34);
    buf.set(h('46 00 00 1c 12 34 00 00 01 01 0000 0a000001 0a000002 94 04 00 00 de ad be ef'));
    const c = internetChecksumOf(buf.subarray(0, 24));
    buf[10] = c >> 8;
    buf[11] = c & 255;
    const r = ipv4.parse(buf);
    if (!r.ok) throw new Error(r.detail);
    expect(Array.from(r.value.payload)).toEqual([0xde, 0xad, 0xbe, 0xef]);
  });

  it('reports fragments', () => {
    const buf = filled(40);
    ipv4.emitHeader({ src: 1, dst: 2, protocol: 17, ttl: 64, tos: 0, ident: 7, dontFragment: false, moreFragments: true,
      fragmentOffset: 0 }, 20, buf, 0);
    const r = ipv4.parse(buf);
    expect(r.ok && ipv4.isFragment(r.value)).toBe(true);
    ipv4.emitHeader({ src: 1, dst: 2, protocol: 17, ttl: 64, tos: 0, ident: 7, dontFragment: false, moreFragments: false,
      fragmentOffset: 1480 }, 20, buf, 0);
    const r2 = ipv4.parse(buf);
    expect(r2.ok && r2.value.fragmentOffset).toBe(1480);
  });
});

function internetChecksumOf(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

describe('udp', () => {
  // The DHCP DISCOVER of the fixture capture: 0.0.0.0:68 -> 255.255.255.255:67.
  const frames = fixtureFrames('generated__dhcp_phone_opt150_synthetic.pcap');

  it('parses a real DHCP DISCOVER (sent without a checksum) and emits one that verifies', () => {
    const e = ethernet.parse(frames[0]);
    if (!e.ok) throw new Error(e.detail);
    const ip = ipv4.parse(e.value.payload);
    if (!ip.ok) throw new Error(ip.detail);
    expect(ip.value.payload[6] | ip.value.payload[7]).toBe(0); // the capture's UDP checksum: none
    const u = udp.parse(ip.value.payload, ip.value.src, ip.value.dst);
    if (!u.ok) throw new Error(u.detail);
    expect(u.value.srcPort).toBe(68);
    expect(u.value.dstPort).toBe(67);
    // Re-emitting gives the same bytes except the checksum, which now verifies.
    const buf = filled(ip.value.payload.length);
    expect(udp.emit(u.value, buf, 0, ip.value.src, ip.value.dst)).toBe(buf.length);
    expect(buf.subarray(0, 6)).toEqual(ip.value.payload.subarray(0, 6));
    expect(buf.subarray(8)).toEqual(ip.value.payload.subarray(8));
    expect(buf[6] | buf[7]).not.toBe(0);
    expect(udp.parse(buf, ip.value.src, ip.value.dst).ok).toBe(true);
    // The pseudo header counts: the same datagram to another address fails.
    const wrongDst = udp.parse(buf, ip.value.src, 0x0a0000ff);
    expect(wrongDst.ok ? '' : wrongDst.error).toBe('checksum');
    // A flipped data bit is a checksum error; the same under a zero checksum is accepted.
    const bad = buf.slice();
    bad[20] ^= 4;
    const r = udp.parse(bad, ip.value.src, ip.value.dst);
    expect(r.ok ? '' : r.error).toBe('checksum');
    bad[6] = 0;
    bad[7] = 0;
    expect(udp.parse(bad, ip.value.src, ip.value.dst).ok).toBe(true);
  });

  it('sends a computed zero checksum as 0xffff', () => {
    // Find a 2-byte payload whose checksum computes to zero, then check the wire value.
    const buf = filled(10);
    let found = false;
    for (let v = 0; v < 0x10000 && !found; v++) {
      const n = udp.emit({ srcPort: 1, dstPort: 2, payload: new Uint8Array([v >> 8, v & 255]) }, buf, 0, 0x0a000001, 0x0a000002);
      if (n !== 10 || (buf[6] === 0 && buf[7] === 0)) throw new Error('emitted a zero checksum');
      if (buf[6] === 0xff && buf[7] === 0xff) found = true;
    }
    expect(found).toBe(true);
    expect(udp.parse(buf, 0x0a000001, 0x0a000002).ok).toBe(true);
  });

  it('length field bounds', () => {
    expect(udp.parse(h('0001 0002 0007 0000'), 0, 0).ok).toBe(false); // length < 8
    const r = udp.parse(h('0001 0002 000c 0000 aa'), 0, 0); // length 12 > 9 bytes
    expect(r.ok ? '' : r.error).toBe('truncated');
    const p = udp.parse(h('0001 0002 0009 0000 aa bb cc'), 0, 0); // padding ignored
    expect(p.ok && p.value.payload.length).toBe(1);
  });
});

describe('icmp', () => {
  const ECHO = h(`
    08 00        // type echo request, code 0
    f7 fc        // checksum
    00 01 00 02  // identifier 1, sequence 2
    00 00        // data
  `);
  it('parses and re-emits an echo request', () => {
    const r = icmp.parse(ECHO);
    if (!r.ok) throw new Error(r.detail);
    expect(r.value.type).toBe(icmp.TYPE_ECHO_REQUEST);
    expect(r.value.ident).toBe(1);
    expect(r.value.seq).toBe(2);
    const buf = filled(ECHO.length);
    icmp.emit(r.value, buf, 0);
    expect(buf).toEqual(ECHO);
  });
  it('checksum errors are typed', () => {
    const bad = ECHO.slice();
    bad[9] = 1;
    const r = icmp.parse(bad);
    expect(r.ok ? '' : r.error).toBe('checksum');
    expect(icmp.parse(ECHO.subarray(0, 7)).ok).toBe(false);
  });
});
