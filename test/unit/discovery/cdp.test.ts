import { describe, it, expect } from 'vitest';
import * as cdp from '../../../firmware/discovery/cdp';
import { fromHex, hex } from '../../../lib/bytes';
import { haveFixtures, fixtureFrames } from '../../fixtures';
import { haveTshark, tempCapture, tsharkReport, tsharkFields } from '../../tshark';

const PHONE_MAC = fromHex('001e4a123456')!;

/** The phone frame from generated__cdp_power_negotiation_synthetic.pcap, field by field. */
const PHONE_FRAME = fromHex(
  '01000ccccccc' + '001122334455' + '008e' +   // dst, src, 802.3 length 142
  'aaaa03' + '00000c' + '2000' +               // LLC, SNAP OUI Cisco, PID CDP
  '02' + 'b4' + '0a2f' +                       // version 2, TTL 180, checksum
  '0001' + '0013' + '534550303031313232333334343535' + // Device ID "SEP001122334455"
  '0002' + '0011' + '00000001' + '01' + '01' + 'cc' + '0004' + 'c0a80121' + // 1 address NLPID IP 192.168.1.33
  '0003' + '000a' + '506f72742031' +           // Port ID "Port 1"
  '0004' + '0008' + '00000490' +               // Capabilities host|phone|two-port relay
  '0005' + '0016' + '53434350343' + '22e392d342d325352312d3153' + // Software "SCCP42.9-4-2SR1-1S"
  '0006' + '0017' + '436973636f2049502050686f6e652037393432' + // Platform "Cisco IP Phone 7942"
  '000f' + '0008' + '20020001' +               // VoIP VLAN Query (verbatim)
  '000b' + '0005' + '01' +                     // Duplex full
  '0010' + '0006' + '189c' +                   // Power 6300 mW
  '0019' + '000c' + '0965' + '0003' + '0000189c', // Power Requested id 2405 mgmt 3, 6300 mW
)!;

function filled(n: number): Uint8Array {
  return new Uint8Array(n).fill(0xa5);
}

describe('cdp codec', () => {
  it('parses a field-commented phone frame', () => {
    const r = cdp.parseFrame(PHONE_FRAME);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const p = r.value.repr;
    expect(hex(r.value.src)).toBe('001122334455');
    expect(p.version).toBe(2);
    expect(p.ttl).toBe(180);
    expect(p.deviceId).toBe('SEP001122334455');
    expect(p.addresses).toEqual([0xc0a80121]);
    expect(p.portId).toBe('Port 1');
    expect(p.capabilities).toBe(0x490);
    expect(p.softwareVersion).toBe('SCCP42.9-4-2SR1-1S');
    expect(p.platform).toBe('Cisco IP Phone 7942');
    expect(hex(p.voipVlanQuery!)).toBe('20020001');
    expect(p.duplex).toBe(1);
    expect(p.powerMw).toBe(6300);
    expect(p.powerRequested).toEqual({ requestId: 2405, managementId: 3, levelsMw: [6300] });
  });

  it('re-emits the phone frame byte for byte into a 0xa5-filled buffer', () => {
    const r = cdp.parseFrame(PHONE_FRAME);
    if (!r.ok) throw new Error(r.detail);
    const buf = filled(PHONE_FRAME.length + 8);
    const n = cdp.emitFrame(r.value.repr, r.value.src, buf, 4);
    expect(n).toBe(PHONE_FRAME.length);
    expect(hex(buf.subarray(4, 4 + n))).toBe(hex(PHONE_FRAME));
    expect(buf[3]).toBe(0xa5);
    expect(buf[4 + n]).toBe(0xa5);
  });

  it('rejects a wrong checksum', () => {
    const bad = PHONE_FRAME.slice();
    bad[24] ^= 1;
    const r = cdp.parseFrame(bad);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toBe('checksum');
  });

  it("uses Cisco's odd-length rule (0x00bb below 0x80, 0xFF00+b-1 from 0x80)", () => {
    for (const last of [0x41, 0xc1, 0x80, 0x00, 0xff]) {
      const repr: cdp.Repr = { version: 2, ttl: 180, deviceId: 'SEPABCDE' + String.fromCharCode(last) };
      const pdu = new Uint8Array(cdp.bufferLen(repr));
      const n = cdp.emit(repr, pdu, 0);
      expect(n % 2).toBe(1);
      // Manual sum: words of the even part, then the odd last byte as Cisco sums it.
      const zeroed = pdu.slice();
      zeroed[2] = 0;
      zeroed[3] = 0;
      let s = 0;
      for (let i = 0; i + 1 < n; i += 2) s += (zeroed[i] << 8) | zeroed[i + 1];
      s += last < 0x80 ? last : 0xff00 + last - 1;
      while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
      expect((pdu[2] << 8) | pdu[3]).toBe(~s & 0xffff);
      expect(cdp.parse(pdu).ok).toBe(true);
    }
  });

  it('refuses truncated and malformed TLVs', () => {
    const cases: [string, string][] = [
      ['02b4', 'truncated'],
      ['03b40000', 'unsupported'],
      ['02b40000' + '0001' + '0002', 'malformed'],          // TLV length below 4
      ['02b40000' + '0001' + '0010' + '4142', 'truncated'], // runs past the PDU
      ['02b40000' + '000a' + '0005' + '01', 'malformed'],   // native VLAN of 1 byte
      ['02b40000' + '001a' + '0008' + '00010001', 'malformed'], // power available too short
      ['02b40000' + '0002' + '000c' + '00000002' + '0101cc00', 'malformed'], // address count lies
    ];
    for (const [h, code] of cases) {
      const pdu = fromHex(h)!;
      if (pdu.length >= 4) {
        pdu[2] = 0;
        pdu[3] = 0;
        const c = cdp.checksum(pdu, 0, pdu.length);
        pdu[2] = c >> 8;
        pdu[3] = c & 255;
      }
      const r = cdp.parse(pdu);
      expect(r.ok, h).toBe(false);
      if (!r.ok) expect(r.error, h).toBe(code);
    }
  });

  it('says unsupported (not malformed) for a frame that is not CDP', () => {
    const f = PHONE_FRAME.slice();
    f[0] = 0xff;
    const r = cdp.parseFrame(f);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toBe('unsupported');
    expect(cdp.isCdpFrame(PHONE_FRAME)).toBe(true);
  });

  it('throws TypeError on a short emit buffer', () => {
    const repr: cdp.Repr = { version: 2, ttl: 180, deviceId: 'x' };
    expect(() => cdp.emit(repr, new Uint8Array(5), 0)).toThrow(TypeError);
  });
});

describe.skipIf(!haveFixtures)('cdp reference captures (../shared/fixtures)', () => {
  it('power negotiation pair: phone request and switch reply', () => {
    const frames = fixtureFrames('generated__cdp_power_negotiation_synthetic.pcap');
    expect(frames.length).toBe(2);
    const phone = cdp.parseFrame(frames[0]);
    const sw = cdp.parseFrame(frames[1]);
    if (!phone.ok || !sw.ok) throw new Error('parse failed');
    expect(phone.value.repr.powerRequested).toEqual({ requestId: 2405, managementId: 3, levelsMw: [6300] });
    const s = sw.value.repr;
    expect(s.deviceId).toBe('SW1');
    expect(s.portId).toBe('GigabitEthernet1/0/45');
    expect(s.platform).toBe('cisco WS-C2960X-48FPS-L');
    expect(s.nativeVlan).toBe(10);
    expect(s.voipVlanReply).toEqual({ data: 1, vlan: 110 });
    expect(s.trustBitmap).toBe(0);
    expect(s.untrustedCos).toBe(0);
    expect(s.powerAvailable).toEqual({ requestId: 2405, managementId: 3, availableMw: 6300, managementLevelMw: 0xffffffff });
  });

  it('scapy vectors: C2950 switch with VoIP VLAN 10, 7960 phone', () => {
    const frames = fixtureFrames('generated__cdp_vectors_from_scapy_tests.pcap');
    const sw = cdp.parseFrame(frames[0]);
    const ph = cdp.parseFrame(frames[1]);
    if (!sw.ok || !ph.ok) throw new Error('parse failed');
    expect(sw.value.repr.deviceId).toBe('myswitch');
    expect(sw.value.repr.voipVlanReply!.vlan).toBe(10);
    expect(sw.value.repr.vtpDomain).toBe('MYDOMAIN');
    expect(sw.value.repr.managementAddresses).toEqual([0xc0a800fd]);
    expect(sw.value.repr.others!.map((t) => t.type)).toEqual([8]); // Protocol Hello kept raw
    expect(sw.value.repr.softwareVersion!.startsWith('Cisco Internetwork Operating System')).toBe(true);
    expect(ph.value.repr.deviceId).toBe('SIP001122334455');
    expect(ph.value.repr.platform).toBe('Cisco IP Phone 7960');
    expect(ph.value.repr.powerMw).toBe(6300);
  });

  it('every reference frame re-emits byte for byte', () => {
    for (const name of ['generated__cdp_power_negotiation_synthetic.pcap', 'generated__cdp_vectors_from_scapy_tests.pcap']) {
      for (const f of fixtureFrames(name)) {
        const r = cdp.parseFrame(f);
        if (!r.ok) throw new Error(r.detail);
        const out = cdp.buildFrame(r.value.repr, r.value.src);
        // The captures are not padded to 60; ours are, so compare the CDP part.
        expect(hex(out.subarray(0, f.length))).toBe(hex(f));
      }
    }
  });
});

describe.skipIf(!haveTshark)('cdp frames we emit, dissected by tshark', () => {
  it('phone and switch frames: checksum good, no malformed, fields match', () => {
    const phone: cdp.Repr = {
      version: 2, ttl: 180, deviceId: 'SEP001E4A123456', addresses: [0x0a4d6414], portId: 'Port 1',
      capabilities: cdp.PHONE_CAPABILITIES, softwareVersion: 'P00308020000', platform: 'Cisco IP Phone 7960',
      voipVlanQuery: cdp.PHONE_VLAN_QUERY, duplex: 1, powerMw: 12000,
      powerRequested: { requestId: 1, managementId: 1, levelsMw: [12000] },
    };
    const sw: cdp.Repr = {
      version: 2, ttl: 180, deviceId: 'lab-sw1', addresses: [0x0a4d0001], portId: 'FastEthernet0/1',
      capabilities: cdp.SWITCH_CAPABILITIES, softwareVersion: 'Dialtone lab switch', platform: 'cisco WS-C3560-24PS',
      nativeVlan: 1, duplex: 1, voipVlanReply: { data: 1, vlan: 110 }, trustBitmap: 0, untrustedCos: 0,
      powerAvailable: { requestId: 1, managementId: 1, availableMw: 15400, managementLevelMw: cdp.NO_PREFERENCE },
    };
    // Odd-length PDUs with a last byte below and above 0x80.
    const odd1: cdp.Repr = { version: 2, ttl: 180, deviceId: 'SEP001E4A12345', portId: 'Port 1A' };
    const odd2: cdp.Repr = { version: 2, ttl: 180, deviceId: 'SEP001E4A12345', portId: 'Port 1\xc1' };
    expect(cdp.bufferLen(odd1) % 2).toBe(1);
    expect(cdp.bufferLen(odd2) % 2).toBe(1);
    const frames = [phone, sw, odd1, odd2].map((r) => cdp.buildFrame(r, PHONE_MAC));
    const path = tempCapture('cdp-emit.pcap', frames);
    expect(tsharkReport(path).problems).toEqual([]);
    const rows = tsharkFields(path, ['cdp.checksum.status', 'cdp.deviceid', 'cdp.voice_vlan', 'cdp.power_requested',
      'cdp.power_available', 'cdp.power_consumption', 'cdp.capabilities', 'cdp.platform']);
    expect(rows.map((r) => r[0])).toEqual(['1', '1', '1', '1']); // checksum status Good
    expect(rows[0][1]).toBe('SEP001E4A123456');
    expect(rows[0][3]).toBe('12000');
    expect(rows[0][5]).toBe('12000');
    expect(rows[0][6]).toBe('0x00000490');
    expect(rows[0][7]).toBe('Cisco IP Phone 7960');
    expect(rows[1][2]).toBe('110');
    expect(rows[1][4]).toBe('15400,4294967295');
  });
});
