import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import * as cdp from '../../../firmware/discovery/cdp';
import * as lldp from '../../../firmware/discovery/lldp';
import { DiscoveryAgent } from '../../../firmware/discovery/agent';
import { fromHex } from '../../../lib/bytes';

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

/** A frame with a few random bytes overwritten, truncated or extended. */
function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    fc.integer({ min: 0, max: base.length + 8 })).map(([edits, len]) => {
    const f = new Uint8Array(len);
    f.set(base.subarray(0, Math.min(len, base.length)));
    for (const [at, v] of edits) if (at < len && at >= 14) f[at] = v;
    return f;
  });
}

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

describe('discovery parsers never throw', () => {
  it('cdp.parse on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
      const r = cdp.parse(b);
      expect(typeof r.ok).toBe('boolean');
    }), { numRuns: 3000 });
  });

  it('lldp.parse on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
      const r = lldp.parse(b);
      expect(typeof r.ok).toBe('boolean');
    }), { numRuns: 3000 });
  });

  it('parseFrame on mutated switch frames; what parses re-emits and parses to the same repr', () => {
    fc.assert(fc.property(fc.oneof(mutated(switchCdp), mutated(switchLldp)), (f) => {
      const c = cdp.parseFrame(f);
      if (c.ok) {
        const again = cdp.parseFrame(cdp.buildFrame(c.value.repr, c.value.src));
        expect(again.ok && again.value.repr).toEqual(c.value.repr);
      }
      const l = lldp.parseFrame(f);
      if (l.ok) {
        const again = lldp.parseFrame(lldp.buildFrame(l.value.repr, l.value.src));
        // emit writes unknown TLVs below 127 before the organisation ones: compare in that order.
        expect(again.ok && normal(again.value.repr)).toEqual(normal(l.value.repr));
      }
    }), { numRuns: 3000 });
  });

  it('the agent survives any mix of mutated and random frames', () => {
    fc.assert(fc.property(fc.array(fc.oneof(mutated(switchCdp), mutated(switchLldp), fc.uint8Array({ maxLength: 200 })), { maxLength: 30 }), (frames) => {
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
    }), { numRuns: 500 });
  });
});

describe('codec round trip of generated reprs', () => {
  it('cdp', () => {
    const text = fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x'));
    const arb = fc.record({
      version: fc.constant(2), ttl: fc.integer({ min: 0, max: 255 }), deviceId: text, portId: text,
      addresses: fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 4 }), capabilities: fc.nat({ max: 0xffffffff }),
      nativeVlan: fc.integer({ min: 0, max: 0xffff }), voipVlanReply: fc.record({ data: fc.integer({ min: 0, max: 255 }), vlan: fc.integer({ min: 0, max: 0xffff }) }),
      powerRequested: fc.record({ requestId: fc.integer({ min: 0, max: 0xffff }), managementId: fc.integer({ min: 0, max: 0xffff }),
        levelsMw: fc.array(fc.nat({ max: 0xffffffff }), { minLength: 1, maxLength: 4 }) }),
    });
    fc.assert(fc.property(arb, (repr) => {
      const f = cdp.buildFrame(repr, MAC);
      const r = cdp.parseFrame(f);
      expect(r.ok && r.value.repr).toEqual(repr);
    }), { numRuns: 1000 });
  });
});
