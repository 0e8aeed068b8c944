import { describe, it, expect } from 'vitest';
import * as lldp from '../../../firmware/discovery/lldp';
import { asciiBytes, fromHex, hex } from '../../../lib/bytes';
import { haveFixtures, fixtureFrames } from '../../fixtures';
import { haveTshark, tempCapture, tsharkReport, tsharkFields } from '../../tshark';

/** The switch frame of generated__lldp_med_phone_switch_synthetic.pcap, TLV by TLV. */
const SWITCH_FRAME = fromHex(
  '0180c200000e' + '000bbe189a40' + '88cc' +     // dst nearest bridge, src, EtherType LLDP
  '0207' + '04' + '000bbe189a40' +               // Chassis ID, subtype MAC
  '0409' + '05' + '4769312f302f3435' +           // Port ID, interface name "Gi1/0/45"
  '0602' + '0078' +                              // TTL 120
  'fe07' + '0012bb' + '01' + '000f' + '04' +     // MED caps 0x000f, class 4 (network connectivity)
  'fe08' + '0012bb' + '02' + '01' + '40dd6e' +   // policy voice: tagged, VLAN 110, prio 5, DSCP 46
  'fe08' + '0012bb' + '02' + '02' + '40dcd8' +   // policy voice signaling: VLAN 110, prio 3, DSCP 24
  'fe07' + '0012bb' + '04' + '12' + '009a' +     // ext power: PSE, primary, high, 15.4 W
  '0000',                                        // End
)!;

describe('lldp codec', () => {
  it('parses a field-commented switch frame', () => {
    const r = lldp.parseFrame(SWITCH_FRAME);
    if (!r.ok) throw new Error(r.detail);
    const p = r.value.repr;
    expect(p.chassisIdSubtype).toBe(lldp.CHASSIS_MAC);
    expect(hex(p.chassisId)).toBe('000bbe189a40');
    expect(p.portIdSubtype).toBe(lldp.PORT_INTERFACE_NAME);
    expect(p.ttl).toBe(120);
    expect(p.med).toEqual({ capabilities: 0x0f, deviceClass: 4 });
    expect(p.policies).toEqual([
      { appType: 1, unknown: false, tagged: true, vlan: 110, priority: 5, dscp: 46 },
      { appType: 2, unknown: false, tagged: true, vlan: 110, priority: 3, dscp: 24 },
    ]);
    expect(p.extendedPower).toEqual({ powerType: 0, source: 1, priority: 2, powerMw: 15400 });
    expect(lldp.voicePolicy(p)!.vlan).toBe(110);
  });

  it('re-emits byte for byte (0xa5-filled buffer untouched around it)', () => {
    const r = lldp.parseFrame(SWITCH_FRAME);
    if (!r.ok) throw new Error(r.detail);
    const buf = new Uint8Array(SWITCH_FRAME.length + 10).fill(0xa5);
    const n = lldp.emitFrame(r.value.repr, r.value.src, buf, 5);
    expect(hex(buf.subarray(5, 5 + n))).toBe(hex(SWITCH_FRAME));
    expect(buf[4]).toBe(0xa5);
    expect(buf[5 + n]).toBe(0xa5);
  });

  it('refuses bad order, bad lengths and truncation', () => {
    const bad: [string, string][] = [
      ['0602' + '0078' + '0000', 'malformed'],                  // TTL first
      ['0207' + '04000bbe189a40', 'truncated'],                 // stops after chassis id
      ['0207' + '04000bbe18', 'truncated'],                     // chassis id runs past the end
      ['0201' + '04' + '0402' + '0541' + '0602' + '0078', 'malformed'], // chassis id 1 byte
      ['0202' + '0441' + '0402' + '0541' + '0603' + '007800', 'malformed'], // TTL 3 bytes
      ['0202' + '0441' + '0402' + '0541' + '0602' + '0078' + 'fe07' + '0012bb02010203', 'malformed'], // short policy
      ['0202' + '0441' + '0402' + '0541' + '0602' + '0078' + '0001' + '00', 'malformed'], // End with length 1
    ];
    for (const [h, code] of bad) {
      const r = lldp.parse(fromHex(h)!);
      expect(r.ok, h).toBe(false);
      if (!r.ok) expect(r.error, h).toBe(code);
    }
  });

  it('accepts a PDU without End and padding after End', () => {
    const noEnd = lldp.parse(fromHex('0202' + '0441' + '0402' + '0541' + '0602' + '0078')!);
    expect(noEnd.ok).toBe(true);
    const padded = lldp.parse(fromHex('0202' + '0441' + '0402' + '0541' + '0602' + '0078' + '0000' + '000000')!);
    expect(padded.ok).toBe(true);
  });
});

describe.skipIf(!haveFixtures)('lldp reference capture (../shared/fixtures)', () => {
  it('phone and switch frames parse with the expected values and re-emit', () => {
    const frames = fixtureFrames('generated__lldp_med_phone_switch_synthetic.pcap');
    expect(frames.length).toBe(2);
    const ph = lldp.parseFrame(frames[0]);
    const sw = lldp.parseFrame(frames[1]);
    if (!ph.ok || !sw.ok) throw new Error('parse failed');
    const p = ph.value.repr;
    expect(p.systemName).toBe('SEP001122334455');
    expect(p.med).toEqual({ capabilities: 0x33, deviceClass: 3 });
    expect(p.policies![0]).toEqual({ appType: 1, unknown: true, tagged: false, vlan: 0, priority: 4, dscp: 32 });
    expect(p.extendedPower).toEqual({ powerType: 1, source: 1, priority: 0, powerMw: 14900 });
    expect(lldp.voicePolicy(sw.value.repr)).toEqual({ appType: 1, unknown: false, tagged: true, vlan: 110, priority: 5, dscp: 46 });
    expect(hex(lldp.buildFrame(p, ph.value.src).subarray(0, frames[0].length))).toBe(hex(frames[0]));
    expect(hex(lldp.buildFrame(sw.value.repr, sw.value.src))).toBe(hex(frames[1]));
  });
});

describe.skipIf(!haveTshark)('lldp frames we emit, dissected by tshark', () => {
  it('phone and switch LLDP-MED frames: no malformed, fields match', () => {
    const mac = fromHex('001e4a123456')!;
    const phone: lldp.Repr = {
      chassisIdSubtype: lldp.CHASSIS_MAC, chassisId: mac, portIdSubtype: lldp.PORT_LOCAL,
      portId: asciiBytes('001E4A123456:P1'), ttl: 180, systemName: 'SEP001E4A123456',
      capabilities: lldp.SYSCAP_BRIDGE | lldp.SYSCAP_TELEPHONE,
      med: { capabilities: 0x33, deviceClass: 3 },
      policies: [{ appType: 1, unknown: true, tagged: false, vlan: 0, priority: 5, dscp: 46 }],
      extendedPower: { powerType: 1, source: 1, priority: 3, powerMw: 12000 },
      inventory: [{ subtype: lldp.MED_SOFTWARE_REVISION, text: 'P00308020000' }, { subtype: lldp.MED_MANUFACTURER, text: 'Cisco Systems, Inc.' }],
    };
    const sw: lldp.Repr = {
      chassisIdSubtype: lldp.CHASSIS_MAC, chassisId: fromHex('001b2baabb01')!, portIdSubtype: lldp.PORT_INTERFACE_NAME,
      portId: asciiBytes('Fa0/1'), ttl: 120, systemName: 'lab-sw1', capabilities: lldp.SYSCAP_BRIDGE,
      med: { capabilities: 0x0f, deviceClass: 4 },
      policies: [{ appType: 1, unknown: false, tagged: true, vlan: 110, priority: 5, dscp: 46 }],
      extendedPower: { powerType: 0, source: 1, priority: 2, powerMw: 15400 },
    };
    const path = tempCapture('lldp-emit.pcap', [lldp.buildFrame(phone, mac), lldp.buildFrame(sw, fromHex('001b2baabb01')!)]);
    expect(tsharkReport(path).problems).toEqual([]);
    const rows = tsharkFields(path, ['lldp.tlv.system.name', 'lldp.media.vlan_id', 'lldp.media.tag_flag', 'lldp.media.l2_prio',
      'lldp.media.dscp', 'lldp.media.power.type', 'lldp.media.power.value']);
    expect(rows[0][0]).toBe('SEP001E4A123456');
    expect(rows[0][6]).toBe('120'); // tshark shows 0.1 W units
    expect(rows[1][1]).toBe('110');
    expect(rows[1][2]).toBe('1');
    expect(rows[1][3]).toBe('5');
    expect(rows[1][4]).toBe('46');
    expect(rows[1][6]).toBe('154');
  });
});
