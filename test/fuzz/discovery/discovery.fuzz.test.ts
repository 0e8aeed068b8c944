/**
 * CDP and LLDP (firmware/discovery) under the shared property (test/fuzz/property.ts), at
 * the PDU and at the frame level: parse never throws on arbitrary bytes or on mutations of
 * the reference captures and of a switch's frames, a failure is a typed error, a success
 * re-emits to the same Repr, and generated Reprs emit and parse back. Then the agent (the
 * sans-IO machine) under any mix of mutated and random frames.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import * as cdp from '../../../firmware/discovery/cdp';
import * as lldp from '../../../firmware/discovery/lldp';
import * as ethernet from '../../../firmware/net/wire/ethernet';
import { DiscoveryAgent } from '../../../firmware/discovery/agent';
import { fromHex } from '../../../lib/bytes';
import { fixtureFrames, haveFixtures } from '../../fixtures';
import { fuzzCodec, emitter, assertSeeded, fuzzRuns, mutated, type Codec } from '../property';

const MAC = fromHex('001e4a123456')!;

const switchCdp = cdp.buildFrame({
  version: 2, ttl: 180, deviceId: 'SW1', addresses: [0x0a000001], portId: 'Gi1/0/1', capabilities: 0x28, platform: 'cisco',
  nativeVlan: 10, duplex: 1, voipVlanReply: { data: 1, vlan: 110 }, trustBitmap: 0, untrustedCos: 0,
  powerAvailable: { requestId: 1, managementId: 1, availableMw: 15400, managementLevelMw: 0xffffffff },
}, fromHex('001b2baabb01')!);
const switchLldp = lldp.buildFrame({
  chassisIdSubtype: 4, chassisId: fromHex('001b2baabb01')!, portIdSubtype: 5, portId: new Uint8Array([71, 105]), ttl: 120,
  systemName: 'sw', capabilities: 4, med: { capabilities: 0x0f, deviceClass: 4 },
  policies: [{ appType: 1, unknown: false, tagged: true, vlan: 110, priority: 5, dscp: 46 }],
  extendedPower: { powerType: 0, source: 1, priority: 2, powerMw: 15400 },
  inventory: [{ subtype: 7, text: 'x' }],
}, fromHex('001b2baabb01')!);

function normal(r: lldp.Repr): lldp.Repr {
  if (!r.others) return r;
  const others = r.others.filter((t) => t.type !== 127).concat(r.others.filter((t) => t.type === 127));
  return { ...r, others };
}

function fakePoe() {
  let budget = 7000;
  return {
    poeClass: () => 2, classPowerMw: () => 7000, requiredMw: () => 12000,
    applyAllocation: (mw: number) => (budget = Math.max(7000, mw)), lowPower: () => budget < 12000,
  };
}

const CAPTURES = haveFixtures ? ['generated__cdp_power_negotiation_synthetic.pcap', 'generated__cdp_vectors_from_scapy_tests.pcap',
  'generated__lldp_med_phone_switch_synthetic.pcap'].flatMap((f) => fixtureFrames(f)) : [];
const CDP_FRAMES = [switchCdp, ...CAPTURES.filter(cdp.isCdpFrame)];
const LLDP_FRAMES = [switchLldp, ...CAPTURES.filter(lldp.isLldpFrame)];

/** The CDP PDU of a frame (802.3 length bounds it; the pad is not part of it). */
function cdpPdu(frame: Uint8Array): Uint8Array {
  const len = (frame[12] << 8) | frame[13];
  return frame.slice(cdp.PDU, ethernet.HEADER_LEN + len);
}

/** A right checksum for a mutated PDU, so the TLV walk sees the mutation. */
function repairCdpPdu(pdu: Uint8Array): void {
  if (pdu.length < cdp.PDU_HEADER_LEN) return;
  pdu[2] = 0;
  pdu[3] = 0;
  const c = cdp.checksum(pdu, 0, pdu.length);
  pdu[2] = c >> 8;
  pdu[3] = c & 255;
}

function repairCdpFrame(f: Uint8Array): void {
  if (f.length < cdp.PDU + cdp.PDU_HEADER_LEN) return;
  const end = ethernet.HEADER_LEN + ((f[12] << 8) | f[13]);
  if (end > f.length || end < cdp.PDU + cdp.PDU_HEADER_LEN) return;
  const pdu = f.subarray(cdp.PDU, end);
  repairCdpPdu(pdu);
}

const text = fc.string({ maxLength: 40, unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.nat({ max: 0xffffffff });
const cdpRepr: fc.Arbitrary<cdp.Repr> = fc.record({
  version: fc.constant(2), ttl: fc.integer({ min: 0, max: 255 }), deviceId: text, portId: text,
  addresses: fc.array(u32, { maxLength: 4 }), capabilities: u32, softwareVersion: text, platform: text,
  nativeVlan: u16, duplex: fc.constantFrom(0, 1), voipVlanReply: fc.record({ data: fc.integer({ min: 0, max: 255 }), vlan: u16 }),
  powerMw: u16, trustBitmap: fc.integer({ min: 0, max: 255 }), untrustedCos: fc.integer({ min: 0, max: 255 }),
  powerRequested: fc.record({ requestId: u16, managementId: u16, levelsMw: fc.array(u32, { minLength: 1, maxLength: 4 }) }),
  powerAvailable: fc.record({ requestId: u16, managementId: u16, availableMw: u32, managementLevelMw: u32 }),
}, { requiredKeys: ['version', 'ttl'] });

const lldpRepr: fc.Arbitrary<lldp.Repr> = fc.record({
  chassisIdSubtype: fc.integer({ min: 1, max: 7 }), chassisId: fc.uint8Array({ minLength: 1, maxLength: 20 }),
  portIdSubtype: fc.integer({ min: 1, max: 7 }), portId: fc.uint8Array({ minLength: 1, maxLength: 20 }), ttl: u16,
  portDescription: text.filter((t) => t.length > 0), systemName: text.filter((t) => t.length > 0),
  med: fc.record({ capabilities: u16, deviceClass: fc.integer({ min: 0, max: 255 }) }),
  policies: fc.array(fc.record({ appType: fc.integer({ min: 1, max: 255 }), unknown: fc.boolean(), tagged: fc.boolean(),
    vlan: fc.nat(4095), priority: fc.nat(7), dscp: fc.nat(63) }), { minLength: 1, maxLength: 3 }),
  extendedPower: fc.record({ powerType: fc.nat(3), source: fc.nat(3), priority: fc.nat(15), powerMw: fc.nat(0xffff).map((x) => x * 100) }),
  inventory: fc.array(fc.record({ subtype: fc.integer({ min: 5, max: 11 }), text: text.filter((t) => t.length > 0) }), { minLength: 1, maxLength: 3 }),
}, { requiredKeys: ['chassisIdSubtype', 'chassisId', 'portIdSubtype', 'portId', 'ttl'] });

const CDP_ERRORS = ['truncated', 'malformed', 'checksum', 'unsupported', 'too-large'];
const LLDP_ERRORS = ['truncated', 'malformed', 'unsupported', 'too-large'];

const cdpPduCodec: Codec<cdp.Repr> = {
  name: 'cdp pdu', parse: cdp.parse, errors: CDP_ERRORS, emit: emitter(cdp.bufferLen, cdp.emit),
  seeds: CDP_FRAMES.map(cdpPdu), repair: repairCdpPdu, maxLength: 600, reprs: cdpRepr,
};

const cdpFrameCodec: Codec<cdp.Frame> = {
  name: 'cdp frame', parse: cdp.parseFrame, errors: CDP_ERRORS, emit: (f) => cdp.buildFrame(f.repr, f.src),
  seeds: CDP_FRAMES, repair: repairCdpFrame, maxLength: 600,
};

const lldpPduCodec: Codec<lldp.Repr> = {
  name: 'lldp pdu', parse: lldp.parse, errors: LLDP_ERRORS, emit: emitter(lldp.bufferLen, lldp.emit), same: normal,
  seeds: LLDP_FRAMES.map((f) => f.slice(ethernet.HEADER_LEN)), maxLength: 600, reprs: lldpRepr,
};

const lldpFrameCodec: Codec<lldp.Frame> = {
  name: 'lldp frame', parse: lldp.parseFrame, errors: LLDP_ERRORS, emit: (f) => lldp.buildFrame(f.repr, f.src),
  same: (f) => ({ src: f.src, repr: normal(f.repr) }), seeds: LLDP_FRAMES, maxLength: 600,
};

fuzzCodec(cdpPduCodec, 0xcd90);
fuzzCodec(cdpFrameCodec, 0xcda0);
fuzzCodec(lldpPduCodec, 0x11d0);
fuzzCodec(lldpFrameCodec, 0x11e0);

describe('the discovery agent under hostile frames', () => {
  const runs = fuzzRuns();
  it(`survives any mix of mutated and random frames (seed 0xa9e7, ${runs} runs of up to 30 frames)`, () => {
    const frame = fc.oneof(mutated(CDP_FRAMES, 600, repairCdpFrame), mutated(LLDP_FRAMES, 600), fc.uint8Array({ maxLength: 200 }));
    return assertSeeded('discovery agent', fc.property(fc.array(frame, { maxLength: 30 }), (frames) => {
      const a = new DiscoveryAgent({ mac: MAC, loadId: 'L', platform: 'P', poe: fakePoe(), vlanWaitMs: 100 });
      a.start(0);
      let t = 0;
      for (const f of frames) {
        t += 50;
        a.process(f, t);
        a.dispatch(t, () => undefined);
      }
      a.dispatch(t + 1000, () => undefined);
      const v = a.voiceVlan();
      expect(v.vlan).toBeGreaterThanOrEqual(0);
      expect(v.vlan).toBeLessThanOrEqual(4094);
      while (a.poll() !== null) { /* drain */ }
    }), 0xa9e7, runs);
  });
});
