import { describe, it, expect } from 'vitest';
import * as tcp from '../../../firmware/net/wire/tcp';
import * as ipv4 from '../../../firmware/net/wire/ipv4';
import * as ethernet from '../../../firmware/net/wire/ethernet';
import { h, filled } from './capture';
import { fixtureFrames } from '../../fixtures';

// The SYN of a real Cisco phone's SCCP connection (nDPI test capture, frame 1).
const SYN_FRAME = h(`
  00 50 56 ea da 92  b8 38 61 88 75 c4  08 00          // Ethernet: to the CUCM, from the phone, IPv4
  45 60 00 2c 38 c4 00 00 ff 06 90 d5                  // IPv4: DSCP CS3, len 44, TTL 255, TCP, checksum
  0a b4 6e 3a  0a b4 6e 30                             // 10.180.110.58 -> 10.180.110.48
  b5 7d 07 d0                                          // TCP: port 46461 -> 2000
  60 53 7f 01                                          // seq
  00 00 00 00                                          // ack
  60 02                                                // data offset 6 (24 bytes), SYN
  10 20                                                // window 4128
  f9 91                                                // checksum
  00 00                                                // urgent
  02 04 05 b4                                          // option MSS 1460
`);

function tcpOf(frame: Uint8Array): { seg: Uint8Array; src: number; dst: number } {
  const e = ethernet.parse(frame);
  if (!e.ok) throw new Error(e.detail);
  const ip = ipv4.parse(e.value.payload);
  if (!ip.ok) throw new Error(ip.detail);
  return { seg: ip.value.payload, src: ip.value.src, dst: ip.value.dst };
}

describe('tcp', () => {
  it('parses a real SYN with MSS', () => {
    const t = tcpOf(SYN_FRAME);
    const r = tcp.parse(t.seg, t.src, t.dst);
    if (!r.ok) throw new Error(r.detail);
    expect(r.value.srcPort).toBe(46461);
    expect(r.value.dstPort).toBe(2000);
    expect(r.value.seq).toBe(0x60537f01);
    expect(r.value.flags).toBe(tcp.FLAG_SYN);
    expect(r.value.window).toBe(4128);
    expect(r.value.mss).toBe(1460);
    expect(r.value.windowScale).toBe(-1);
    expect(tcp.segLen(r.value)).toBe(1);
    const buf = filled(t.seg.length);
    expect(tcp.emit(r.value, buf, 0, t.src, t.dst)).toBe(24);
    expect(buf).toEqual(t.seg);
  });

  it('every TCP segment of the real capture verifies and re-emits byte for byte', () => {
    const frames = fixtureFrames('nDPI__sccp_hw_conf_register.pcapng');
    expect(frames.length).toBe(17);
    for (const f of frames) {
      const t = tcpOf(f);
      const r = tcp.parse(t.seg, t.src, t.dst);
      if (!r.ok) throw new Error(r.detail);
      const buf = filled(t.seg.length);
      tcp.emit(r.value, buf, 0, t.src, t.dst);
      expect(buf).toEqual(t.seg);
    }
  });

  it('window scale with NOP padding; clamps shifts above 14 (RFC 7323 2.3)', () => {
    const repr = { srcPort: 1, dstPort: 2, seq: 0xfffffff0, ack: 5, flags: tcp.FLAG_SYN | tcp.FLAG_ACK, window: 65535,
      urgent: 0, mss: 536, windowScale: 7, payload: new Uint8Array(0) };
    const buf = filled(28);
    expect(tcp.emit(repr, buf, 0, 1, 2)).toBe(28);
    expect(Array.from(buf.subarray(20, 28))).toEqual([2, 4, 2, 0x18, 1, 3, 3, 7]);
    const r = tcp.parse(buf, 1, 2);
    expect(r.ok && r.value).toEqual(repr);
    // Shift 20 on the wire (checksum adjusted: the option byte moved by +13 in a low byte).
    buf[27] = 20;
    const r2 = tcp.parse(buf, 1, 2);
    expect(r2.ok ? '' : r2.error).toBe('checksum');
    let c = ((buf[16] << 8) | buf[17]) ^ 0xffff;
    c += 13; // the sum grows by 13
    while (c > 0xffff) c = (c & 0xffff) + (c >>> 16);
    c ^= 0xffff;
    buf[16] = c >> 8;
    buf[17] = c & 255;
    const r3 = tcp.parse(buf, 1, 2);
    expect(r3.ok && r3.value.windowScale).toBe(14);
  });

  it('malformed options and lengths', () => {
    const t = tcpOf(SYN_FRAME);
    const bad = t.seg.slice();
    bad[21] = 9; // MSS option claims 9 bytes, header has 4 left
    const r = tcp.parse(bad, t.src, t.dst);
    expect(r.ok).toBe(false);
    const short = t.seg.slice();
    short[12] = 0x40; // data offset 4 words
    const r2 = tcp.parse(short, t.src, t.dst);
    expect(r2.ok ? '' : r2.error).toBe('malformed');
    expect(tcp.parse(t.seg.subarray(0, 19), t.src, t.dst).ok).toBe(false);
    const flipped = t.seg.slice();
    flipped[4] ^= 0x80;
    const r3 = tcp.parse(flipped, t.src, t.dst);
    expect(r3.ok ? '' : r3.error).toBe('checksum');
  });
});
