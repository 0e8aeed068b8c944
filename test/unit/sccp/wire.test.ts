// SCCP codec: field-commented vectors (from the real nDPI capture), the two fixture captures
// re-emitted byte for byte, typed errors, optional tails, list padding, the stream reader.
import { describe, it, expect } from 'vitest';
import * as w from '../../../firmware/callmanager/sccp/wire';
import { hex } from '../../../lib/bytes';
import { h, filled } from '../net/capture';
import { fixtureFrames, haveFixtures } from '../../fixtures';
import { sccpFrames } from './streams';

function bytesOf(m: w.SccpMsg): Uint8Array {
  const b = new Uint8Array(w.bufferLen(m));
  expect(w.emit(m, b, 0)).toBe(b.length);
  return b;
}

function parsed(b: Uint8Array): w.SccpMsg {
  const r = w.parse(b);
  if (!r.ok) throw new Error(`${r.error}: ${r.detail}`);
  return r.value;
}

// RegisterAck of the real capture (frame 8).
const REGISTER_ACK = h(`
  18 00 00 00                    // length 24 = id + 20-byte body
  00 00 00 00                    // header version 0 (basic)
  81 00 00 00                    // RegisterAck
  1e 00 00 00                    // keepAliveInterval 30 s
  55 6e 75 73 65 64 00 00        // dateTemplate "Unused" + NUL + pad
  3c 00 00 00                    // secondaryKeepAliveInterval 60 s
  12                             // protocol version 18
  00 80 28                       // features
`);

// Register of the real capture (frame 4): a conference bridge, 124-byte body.
const REGISTER = h(`
  80 00 00 00  00 00 00 00  01 00 00 00                      // length 128, version 0, Register
  4e 4f 4e 53 45 43 55 52 45 5f 43 4f 4e 46 00 00            // name "NONSECURE_CONF"
  00 00 00 00  01 00 00 00                                   // userId 0, instance 1
  ac 12 6e 3a                                                // station IP 172.18.110.58 (network order)
  34 00 00 00                                                // device type 52
  08 00 00 00  00 00 00 00                                   // max streams 8, active 0
  12  02 01 00                                               // protocol 18, features
  80 00 7f 3a  55 59 81 c0                                   // max/active conferences (stack bytes)
  00 00 00 00 00 00 00 00 00 00 00 00                        // MAC (12)
  02 00 00 00  00 66 16 f9                                   // ipv4 scope 2, max lines
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00            // IPv6
  00 00 00 00                                                // IPv6 scope
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00            // load info ""
`);

describe('sccp wire: vectors', () => {
  it('RegisterAck of the real capture', () => {
    const m = parsed(REGISTER_ACK);
    expect(m).toEqual({ id: w.REGISTER_ACK, ver: 0, keepAlive: 30, dateTemplate: 'Unused', secondaryKeepAlive: 60, protocolVersion: 18, features: 0x288000 });
    expect(hex(bytesOf(m))).toBe(hex(REGISTER_ACK));
  });

  it('Register of the real capture: the 124-byte body field by field', () => {
    const m = parsed(REGISTER);
    if (m.id !== w.REGISTER) throw new Error('not a Register');
    expect(m.name).toBe('NONSECURE_CONF');
    expect(m.instance).toBe(1);
    expect(m.ip).toBe(0xac126e3a);
    expect(m.deviceType).toBe(52);
    expect(m.maxStreams).toBe(8);
    expect(m.protocolVersion).toBe(18);
    expect(m.features).toBe(0x000102);
    expect(m.ipv4Scope).toBe(2);
    expect(m.loadInfo).toBe('');
    expect(m.mac.length).toBe(12);
    expect(w.bufferLen(m)).toBe(136);
    expect(hex(bytesOf(m))).toBe(hex(REGISTER));
  });

  it('a phone Register: SEP name, MAC in the first 6 of 12 bytes, load in char[32]', () => {
    const mac = new Uint8Array(12);
    mac.set([0x00, 0x1e, 0x4a, 0x12, 0x34, 0x56]);
    const m: w.SccpMsg = {
      id: w.REGISTER, ver: 0, name: 'SEP001E4A123456', userId: 0, instance: 1, ip: 0x0a016464, deviceType: 434,
      maxStreams: 5, activeStreams: 0, protocolVersion: 17, features: 0x857200, maxConferences: 0, activeConferences: 0,
      mac, ipv4Scope: 0, maxLines: 2, ipv6: new Uint8Array(16), ipv6Scope: 0, loadInfo: 'SCCP42.9-3-1SR1-1S',
    };
    const b = bytesOf(m);
    expect(b.length).toBe(136);
    expect(hex(b.subarray(0, 12))).toBe('800000000000000001000000');
    expect(hex(b.subarray(12, 28))).toBe(hex(new TextEncoder().encode('SEP001E4A123456\0')));
    expect(hex(b.subarray(36, 40))).toBe('0a016464'); // network order
    expect(hex(b.subarray(40, 44))).toBe('b2010000'); // 434
    expect(hex(b.subarray(52, 56))).toBe('11007285'); // v17 + features 00 72 85 (a 7941)
    expect(hex(b.subarray(64, 76))).toBe('001e4a123456000000000000');
    expect(parsed(b)).toEqual(m);
  });

  it('simple bodies: IpPort, LineStatReq, Reset, UnregisterAck, Version, RegisterReject', () => {
    expect(hex(bytesOf({ id: w.IP_PORT, ver: 0, port: 0 }))).toBe('08000000' + '00000000' + '02000000' + '00000000');
    expect(hex(bytesOf({ id: w.LINE_STAT_REQ, ver: 17, line: 2 }))).toBe('08000000' + '11000000' + '0b000000' + '02000000');
    expect(hex(bytesOf({ id: w.RESET, ver: 0, type: w.RESET_RESTART }))).toBe('08000000000000009f00000002000000');
    expect(hex(bytesOf({ id: w.KEEPALIVE, ver: 0 }))).toBe('040000000000000000000000');
    const v = bytesOf({ id: w.VERSION, ver: 0, loadId: 'P00308010200' });
    expect(v.length).toBe(12 + 16);
    expect(parsed(v)).toEqual({ id: w.VERSION, ver: 0, loadId: 'P00308010200' });
    const rej = bytesOf({ id: w.REGISTER_REJECT, ver: 0, text: 'Device Unknown' });
    expect(rej.length).toBe(12 + 32);
    expect(parsed(rej)).toEqual({ id: w.REGISTER_REJECT, ver: 0, text: 'Device Unknown' });
  });

  it('strings longer than their field are cut to it; a full field has no NUL and reads back whole', () => {
    const b = bytesOf({ id: w.VERSION, ver: 0, loadId: 'ABCDEFGHIJKLMNOPQRS' });
    expect(b.length).toBe(28);
    expect(parsed(b)).toEqual({ id: w.VERSION, ver: 0, loadId: 'ABCDEFGHIJKLMNOP' });
  });

  it('optional tails: Unregister with and without a reason, a 16-byte RegisterAck', () => {
    expect(w.bufferLen({ id: w.UNREGISTER, ver: 0 })).toBe(12);
    expect(parsed(bytesOf({ id: w.UNREGISTER, ver: 0, reason: 3 }))).toEqual({ id: w.UNREGISTER, ver: 0, reason: 3 });
    expect(parsed(h('04000000 00000000 27000000'))).toEqual({ id: w.UNREGISTER, ver: 0 });
    const old = REGISTER_ACK.slice(0, 12 + 16);
    old[0] = 20;
    expect(parsed(old)).toEqual({ id: w.REGISTER_ACK, ver: 0, keepAlive: 30, dateTemplate: 'Unused', secondaryKeepAlive: 60 });
    expect(hex(bytesOf(parsed(old)))).toBe(hex(old));
  });

  it('lists pad to their slot count with zeros when no rest is given; count is items.length', () => {
    const buf = filled(200);
    const m: w.SccpMsg = { id: w.BUTTON_TEMPLATE, ver: 0, offset: 0, total: 2, count: 99, items: [{ instance: 1, type: 9 }, { instance: 2, type: 9 }] };
    const n = w.emit(m, buf, 10);
    expect(n).toBe(12 + 12 + 42 * 2);
    expect(hex(buf.subarray(10, 34))).toBe('64000000' + '00000000' + '97000000' + '00000000' + '02000000' + '02000000');
    expect(hex(buf.subarray(34, 38))).toBe('01090209');
    expect(buf.subarray(38, 10 + n).every((x) => x === 0)).toBe(true);
    expect(buf[10 + n]).toBe(0xa5);
    expect(buf[9]).toBe(0xa5);
    const back = parsed(buf.subarray(10, 10 + n));
    if (back.id !== w.BUTTON_TEMPLATE) throw new Error('type');
    expect(back.items).toEqual(m.items);
    expect(back.count).toBe(2);
    expect(back.rest!.length).toBe(40 * 2);
    expect(w.bufferLen({ id: w.SOFTKEY_TEMPLATE_RES, ver: 0, offset: 0, total: 0, items: [] })).toBe(12 + 12 + 32 * 20);
    expect(w.bufferLen({ id: w.SOFTKEY_SET_RES, ver: 0, offset: 0, total: 0, items: [] })).toBe(12 + 12 + 16 * 48);
    expect(w.bufferLen({ id: w.CAPABILITIES_RES, ver: 0, items: [] })).toBe(12 + 4 + 18 * 16);
  });

  it('unknown ids keep their id, version and body', () => {
    const b = h('14000000 12000000 2c000000 34000000 08000000 08000000 00000000');
    const m = parsed(b);
    expect(m.id).toBe(w.UNKNOWN);
    if (m.id !== w.UNKNOWN) return;
    expect(m.msgId).toBe(0x2c);
    expect(m.ver).toBe(18);
    expect(m.body.length).toBe(16);
    expect(w.wireId(m)).toBe(0x2c);
    expect(hex(bytesOf(m))).toBe(hex(b));
  });

  it('typed errors, never a throw', () => {
    expect(w.parse(new Uint8Array(0))).toMatchObject({ ok: false, error: 'truncated' });
    expect(w.parse(h('03000000 00000000 00000000'))).toMatchObject({ ok: false, error: 'malformed' });
    expect(w.parse(h('08000000 00000000 02000000 0000'))).toMatchObject({ ok: false, error: 'truncated' });
    // IpPort whose body is 2 bytes: the required port does not fit.
    expect(w.parse(h('06000000 00000000 02000000 0000'))).toMatchObject({ ok: false, error: 'truncated' });
    // Register cut at 100 bytes of body.
    const short = REGISTER.slice(0, 112);
    short[0] = 104;
    expect(w.parse(short)).toMatchObject({ ok: false, error: 'truncated' });
    // CapabilitiesRes claiming 19 entries (cap 18), and one claiming 2 with room for 1.
    expect(w.parse(h('08000000 00000000 10000000 13000000'))).toMatchObject({ ok: false, error: 'malformed' });
    expect(w.parse(h('18000000 00000000 10000000 02000000 04000000 28000000 00000000 00000000'))).toMatchObject({ ok: false, error: 'truncated' });
  });

  it('emit refuses a buffer too small (a programmer error)', () => {
    expect(() => w.emit({ id: w.KEEPALIVE, ver: 0 }, new Uint8Array(11), 0)).toThrow(TypeError);
  });

  it('frameLen reads the length field', () => {
    expect(w.frameLen(REGISTER_ACK)).toBe(32);
    expect(w.frameLen(REGISTER_ACK.subarray(0, 7))).toBe(-1);
  });
});

describe.skipIf(!haveFixtures)('sccp wire: the fixture captures', () => {
  for (const [name, count] of [['nDPI__sccp_hw_conf_register.pcapng', 8], ['generated__sccp_register_synthetic.pcap', 14]] as const) {
    it(`${name}: every message parses and re-emits byte for byte`, () => {
      const frames = sccpFrames(fixtureFrames(name));
      expect(frames.length).toBe(count);
      for (const f of frames) {
        const m = parsed(f.bytes);
        expect(hex(bytesOf(m)), `frame ${f.frame} id 0x${w.wireId(m).toString(16)}`).toBe(hex(f.bytes));
      }
    });
  }

  it('the real capture: what it holds', () => {
    const ms = sccpFrames(fixtureFrames('nDPI__sccp_hw_conf_register.pcapng')).map((f) => ({ toCm: f.toCm, m: parsed(f.bytes) }));
    expect(ms.map((x) => (x.toCm ? '>' : '<') + w.wireId(x.m).toString(16))).toEqual(['>1', '>2', '<81', '<9b', '>2c', '>f', '>10', '<98']);
    const caps = ms[6].m;
    if (caps.id !== w.CAPABILITIES_RES) throw new Error('type');
    expect(caps.ver).toBe(18);
    expect(caps.items.map((c) => c.codec)).toEqual([4, 2, 12, 16, 11, 15, 0x101, 0x103, 0x105]);
    // The unused 9 slots hold non-zero stack bytes; `rest` keeps them.
    expect(caps.rest!.length).toBe(9 * 16);
    expect(caps.rest!.some((x) => x !== 0)).toBe(true);
  });
});

describe('sccp wire: FrameReader', () => {
  const stream = new Uint8Array([...REGISTER, ...REGISTER_ACK, ...h('040000000000000000000000')]);

  it('byte at a time and all at once give the same frames', () => {
    for (const step of [1, 3, 7, stream.length]) {
      const r = new w.FrameReader();
      const got: string[] = [];
      for (let i = 0; i < stream.length; i += step) {
        expect(r.push(stream.subarray(i, i + step), (f) => got.push(hex(f)))).toBeNull();
      }
      expect(got).toEqual([hex(REGISTER), hex(REGISTER_ACK), '040000000000000000000000']);
      expect(r.pending()).toBe(0);
    }
  });

  it('a frame over the buffer is too-large, and the reader stays failed', () => {
    const r = new w.FrameReader(64);
    const got: Uint8Array[] = [];
    const e = r.push(REGISTER, (f) => got.push(f));
    expect(e).toMatchObject({ error: 'too-large' });
    expect(r.push(REGISTER_ACK, (f) => got.push(f))).toMatchObject({ error: 'too-large' });
    expect(got.length).toBe(0);
    const big = new w.FrameReader();
    expect(big.push(h('f9070000 00000000'), () => undefined)).toMatchObject({ error: 'too-large' }); // 2041 + 8 > 2048
    expect(new w.FrameReader().push(h('f8070000 00000000'), () => undefined)).toBeNull(); // exactly 2048
  });

  it('a length under 4 is malformed', () => {
    expect(new w.FrameReader().push(h('02000000 00000000 0000'), () => undefined)).toMatchObject({ error: 'malformed' });
  });
});
