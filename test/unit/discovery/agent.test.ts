/** The sans-IO core on its own: frames in, events and frames out, on fake time. */
import { describe, it, expect } from 'vitest';
import { DiscoveryAgent, type DiscoveryEvent } from '../../../firmware/discovery/agent';
import * as cdp from '../../../firmware/discovery/cdp';
import * as lldp from '../../../firmware/discovery/lldp';
import { fromHex } from '../../../lib/bytes';

const MAC = fromHex('001e4a123456')!;
const SW = fromHex('001b2baabb01')!;

function poe(classMw: number, required: number) {
  let budget = classMw;
  const applied: number[] = [];
  return {
    applied,
    poeClass: () => 2, classPowerMw: () => classMw, requiredMw: () => required,
    applyAllocation: (mw: number) => { applied.push(mw); budget = Math.max(classMw, mw); return budget; },
    lowPower: () => budget < required,
  };
}

function drain(a: DiscoveryAgent): DiscoveryEvent[] {
  const out: DiscoveryEvent[] = [];
  for (let e = a.poll(); e !== null; e = a.poll()) out.push(e);
  return out;
}

function swCdp(extra: Partial<cdp.Repr>): Uint8Array {
  return cdp.buildFrame({ version: 2, ttl: 180, deviceId: 'sw', ...extra }, SW);
}

function swLldp(extra: Partial<lldp.Repr>): Uint8Array {
  return lldp.buildFrame({ chassisIdSubtype: 4, chassisId: SW, portIdSubtype: 5, portId: new Uint8Array([65]), ttl: 120, ...extra }, SW);
}

describe('DiscoveryAgent', () => {
  it('ignores Power Available with a stale or zero request id, applies the matching one', () => {
    const p = poe(7000, 12000);
    const a = new DiscoveryAgent({ mac: MAC, loadId: 'L', platform: 'P', poe: p });
    a.start(0);
    a.dispatch(0, () => undefined); // the first advertisements
    drain(a);
    const pa = (requestId: number, mw: number) => swCdp({ powerAvailable: { requestId, managementId: 5, availableMw: mw, managementLevelMw: 0xffffffff } });
    expect(a.process(pa(0, 15400), 10)).toBe(true);
    expect(a.process(pa(9, 15400), 20)).toBe(true);
    expect(p.applied).toEqual([]);
    expect(a.stats.powerStale).toBe(1);
    a.process(pa(1, 15400), 30);
    expect(p.applied).toEqual([15400]);
    expect(drain(a)).toEqual([{ kind: 'power', requestedMw: 12000, allocatedMw: 15400, budgetMw: 15400, lowPower: false, source: 'cdp' }]);
    // The phone now echoes the switch's management id and advertises at once.
    expect(a.pollAt()).toBe(30);
    const sent: Uint8Array[] = [];
    a.dispatch(30, (f) => sent.push(f));
    const r = cdp.parseFrame(sent[0]);
    if (!r.ok) throw new Error(r.detail);
    expect(r.value.repr.powerRequested).toEqual({ requestId: 1, managementId: 5, levelsMw: [12000] });
  });

  it('CDP power wins over LLDP-MED power once CDP has answered', () => {
    const p = poe(7000, 12000);
    const a = new DiscoveryAgent({ mac: MAC, loadId: 'L', platform: 'P', poe: p });
    a.start(0);
    a.process(swLldp({ extendedPower: { powerType: 0, source: 1, priority: 2, powerMw: 9000 } }), 5);
    a.process(swCdp({ powerAvailable: { requestId: 1, managementId: 1, availableMw: 13000, managementLevelMw: 0xffffffff } }), 6);
    a.process(swLldp({ extendedPower: { powerType: 0, source: 1, priority: 2, powerMw: 9000 } }), 7);
    expect(p.applied).toEqual([9000, 13000]);
    expect(a.power()).toMatchObject({ allocatedMw: 13000, source: 'cdp', lowPower: false });
  });

  it('an untagged LLDP-MED voice policy means untagged with priority; "unknown" policies are ignored', () => {
    const a = new DiscoveryAgent({ mac: MAC, loadId: 'L', platform: 'P', poe: poe(15400, 6300) });
    a.start(0);
    a.process(swLldp({ policies: [{ appType: 1, unknown: true, tagged: true, vlan: 5, priority: 5, dscp: 46 }] }), 1);
    expect(a.voiceVlan().vlan).toBe(-1);
    a.process(swLldp({ policies: [{ appType: 1, unknown: false, tagged: false, vlan: 0, priority: 6, dscp: 46 }] }), 2);
    expect(a.voiceVlan()).toEqual({ vlan: 0, pcp: 6, source: 'lldp' });
  });

  it('ignores its own frames looped back and counts nothing for non-discovery frames', () => {
    const a = new DiscoveryAgent({ mac: MAC, loadId: 'L', platform: 'P', poe: poe(15400, 6300) });
    a.start(0);
    const own = cdp.buildFrame({ version: 2, ttl: 180, voipVlanReply: { data: 1, vlan: 77 } }, MAC);
    expect(a.process(own, 1)).toBe(true);
    expect(a.voiceVlan().vlan).toBe(-1);
    const arp = new Uint8Array(60);
    arp.fill(0xff, 0, 6);
    arp[12] = 0x08;
    arp[13] = 0x06;
    expect(a.process(arp, 2)).toBe(false);
    expect(a.stats.cdpRx + a.stats.cdpMalformed + a.stats.lldpMalformed).toBe(0);
  });

  it('rejects a bad admin VLAN and a short MAC at construction', () => {
    expect(() => new DiscoveryAgent({ mac: MAC, loadId: 'L', platform: 'P', poe: poe(1, 1), adminVlan: 4095 })).toThrow(TypeError);
    expect(() => new DiscoveryAgent({ mac: new Uint8Array(5), loadId: 'L', platform: 'P', poe: poe(1, 1) })).toThrow(TypeError);
  });
});
