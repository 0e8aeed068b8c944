import { describe, it, expect } from 'vitest';
import { Rig } from './rig';
import * as cdp from '../../../firmware/discovery/cdp';
import * as lldp from '../../../firmware/discovery/lldp';
import { haveTshark, tempCapture, tsharkReport, tsharkFields } from '../../tshark';

describe('discovery on the simulated switch', () => {
  it('CDP only: voice VLAN from VoIP VLAN Reply, power granted by Power Available', () => {
    const rig = new Rig({ voiceVlan: 110, switchAgent: { lldp: false } });
    rig.run(5_000);
    const vlans = rig.vlanEvents();
    expect(vlans).toHaveLength(1);
    expect(vlans[0]).toMatchObject({ vlan: 110, pcp: 5, source: 'cdp', changed: false });
    expect(vlans[0].t).toBeLessThan(100);
    const power = rig.powerEvents();
    expect(power[0]).toMatchObject({ source: 'class', allocatedMw: 15400, lowPower: false });
    expect(power[power.length - 1]).toMatchObject({ source: 'cdp', requestedMw: 12000, allocatedMw: 12000, lowPower: false });
    expect(rig.pd.applied).toEqual([12000]);
    expect(rig.pse.allocated(0)).toBe(12000);
    expect(rig.log.join('\n')).toContain('power: requested 12000 mW, allocated 12000 mW by cdp, full power');
    expect(rig.lines[0]).toBe('Voice VLAN 110');
    expect(rig.lines[3]).toBe('');
    expect(rig.events.some((e) => e.kind === 'trust')).toBe(true);
    expect(rig.service.agent.stats.lldpRx).toBe(0);
  });

  it('LLDP-MED only: voice VLAN, priority and DSCP from the network policy; power from extended power', () => {
    const rig = new Rig({ voiceVlan: 110, switchAgent: { cdp: false, voicePcp: 6, voiceDscp: 46 }, pdClass: 2, requiredMw: 12000 });
    rig.run(5_000);
    const vlans = rig.vlanEvents();
    expect(vlans).toHaveLength(1);
    expect(vlans[0]).toMatchObject({ vlan: 110, pcp: 6, dscp: 46, source: 'lldp' });
    // Class 2 boots on 7 W (low power); the LLDP-MED request of 12 W is granted.
    const power = rig.powerEvents();
    expect(power[0]).toMatchObject({ source: 'class', allocatedMw: 7000, lowPower: true });
    expect(power[power.length - 1]).toMatchObject({ source: 'lldp', allocatedMw: 12000, lowPower: false });
    expect(rig.pd.lowPower()).toBe(false);
    expect(rig.service.agent.stats.cdpRx).toBe(0);
  });

  it('neither: goes on untagged after the configured wait, stays at class power and shows low power', () => {
    const rig = new Rig({ switchAgent: null, pdClass: 2, requiredMw: 12000, phone: { vlanWaitMs: 15_000 } });
    rig.run(14_999);
    expect(rig.vlanEvents()).toHaveLength(0);
    expect(rig.lines[0]).toBe('Configuring VLAN');
    rig.run(2);
    const vlans = rig.vlanEvents();
    expect(vlans).toHaveLength(1);
    expect(vlans[0]).toMatchObject({ vlan: 0, source: 'none', t: 15_000 });
    expect(rig.lines[0]).toBe('VLAN: none (untagged)');
    expect(rig.lines[3]).toBe('Low power');
    expect(rig.pd.applied).toEqual([]);
    expect(rig.pd.lowPower()).toBe(true);
    expect(rig.log.join('\n')).toContain('power: requested 12000 mW, allocated 7000 mW (class power), low power');
  });

  it('power insufficient: the PSE grants less than asked, the phone stays in low power and says so', () => {
    // Budget 10 W: class 2 reserves 7 W, the 12 W request gets 10 W.
    const rig = new Rig({ voiceVlan: 110, budgetMw: 10_000, pdClass: 2, requiredMw: 12_000, switchAgent: { lldp: false } });
    rig.run(5_000);
    const last = rig.powerEvents().pop()!;
    expect(last).toMatchObject({ source: 'cdp', requestedMw: 12000, allocatedMw: 10000, lowPower: true });
    expect(rig.pd.lowPower()).toBe(true);
    expect(rig.lines[3]).toBe('Low power');
    expect(rig.log.join('\n')).toContain('power: requested 12000 mW, allocated 10000 mW by cdp, low power');
    // The phone reports its capped draw afterwards.
    const lastCdp = cdp.parseFrame(rig.sent.filter((f) => cdp.isCdpFrame(f)).pop()!);
    if (!lastCdp.ok) throw new Error(lastCdp.detail);
    expect(lastCdp.value.repr.powerMw).toBe(10000);
    expect(rig.vlanEvents()[0]).toMatchObject({ vlan: 110 });
  });

  it('admin VLAN overrides CDP and LLDP at once and stays', () => {
    const rig = new Rig({ voiceVlan: 110, phone: { adminVlan: 200 } });
    rig.run(200_000);
    const vlans = rig.vlanEvents();
    expect(vlans).toHaveLength(1);
    expect(vlans[0]).toMatchObject({ vlan: 200, source: 'admin', pcp: 5, t: 0 });
    expect(rig.service.agent.voiceVlan().vlan).toBe(200);
  });

  it('first answer wins when both protocols answer, and a change of that answer is reported', () => {
    const rig = new Rig({ voiceVlan: 110 });
    rig.run(5_000);
    const first = rig.vlanEvents();
    expect(first).toHaveLength(1);
    expect(first[0].source).toBe('cdp'); // the switch sends CDP before LLDP at start
    rig.agent!.setVoiceVlan(120);
    rig.run(1_000);
    const all = rig.vlanEvents();
    expect(all).toHaveLength(2);
    expect(all[1]).toMatchObject({ vlan: 120, source: 'cdp', changed: true });
  });

  it('an answer after the wait moves the phone from untagged to the voice VLAN', () => {
    const rig = new Rig({ voiceVlan: 110, switchAgentAtMs: 40_000, switchAgent: { lldp: false }, phone: { vlanWaitMs: 20_000 } });
    rig.run(60_000);
    const vlans = rig.vlanEvents();
    expect(vlans.map((e) => [e.vlan, e.source, e.changed])).toEqual([[0, 'none', false], [110, 'cdp', true]]);
    expect(vlans[1].t).toBeGreaterThanOrEqual(40_000);
  });

  it('re-advertises: fast start of 3 at 1 s, then CDP every 60 s (TTL 180) and LLDP every 30 s', () => {
    const rig = new Rig({ switchAgent: null, phone: { vlanWaitMs: 1000 } });
    rig.run(600_000 - 1);
    const s = rig.service.agent.stats;
    // CDP at 0, 1, 2 s, then 62 .. 542 s (9 more); LLDP at 0, 1, 2 s then every 30 s to 572 s (19 more).
    expect(s.cdpTx).toBe(3 + 9);
    expect(s.lldpTx).toBe(3 + 19);
    const f = cdp.parseFrame(rig.sent[0]);
    if (!f.ok) throw new Error(f.detail);
    expect(f.value.repr.ttl).toBe(180);
    expect(f.value.repr.deviceId).toBe('SEP001E4A123456');
    expect(f.value.repr.capabilities).toBe(0x490);
    expect(f.value.repr.powerRequested).toEqual({ requestId: 1, managementId: 1, levelsMw: [12000] });
  });

  it('renegotiates: a new request gets a new request id and the switch answers it', () => {
    const rig = new Rig({ voiceVlan: 110, switchAgent: { lldp: false } });
    rig.run(5_000);
    rig.service.setRequestMw(14_000);
    rig.run(1_000);
    const last = rig.powerEvents().pop()!;
    expect(last).toMatchObject({ source: 'cdp', requestedMw: 14000, allocatedMw: 14000 });
    expect(rig.agent!.cdpNeighbor!.requestId).toBe(2);
  });

  it('counts and ignores malformed CDP and LLDP frames, and still learns the VLAN', () => {
    const rig = new Rig({ voiceVlan: 110, switchAgent: null, phone: { vlanWaitMs: 60_000 } });
    const sw = { version: 2, ttl: 180, deviceId: 'x', voipVlanReply: { data: 1, vlan: 300 } };
    const good = cdp.buildFrame(sw, rig.sw.portMac(0));
    const badSum = good.slice();
    badSum[30] ^= 0xff;
    const truncated = good.slice(0, 30);
    const badLldp = lldp.buildFrame({ chassisIdSubtype: 4, chassisId: new Uint8Array(6), portIdSubtype: 5, portId: new Uint8Array([65]), ttl: 120 }, rig.sw.portMac(0));
    badLldp[14] = 0x06; // first TLV claims to be the TTL
    rig.sched.after(100, () => {
      rig.sw.sendControl(0, badSum);
      rig.sw.sendControl(0, truncated);
      rig.sw.sendControl(0, badLldp);
    });
    rig.sched.after(200, () => rig.sw.sendControl(0, good));
    rig.run(1_000);
    const s = rig.service.agent.stats;
    expect(s.cdpMalformed).toBe(2);
    expect(s.lldpMalformed).toBe(1);
    expect(rig.vlanEvents()[0]).toMatchObject({ vlan: 300, source: 'cdp' });
    expect(rig.log.join('\n')).toContain('dropped malformed CDP frame');
  });

  it('learns the VLAN and power through 40 % loss (periodic re-advertising)', () => {
    const rig = new Rig({ seed: 7, voiceVlan: 110, switchAgent: { lldp: false, cdpIntervalMs: 30_000 }, link: { loss: 0.4 },
      phone: { vlanWaitMs: 600_000 } });
    rig.run(600_000);
    expect(rig.vlanEvents()[0]).toMatchObject({ vlan: 110, source: 'cdp' });
    expect(rig.powerEvents().pop()).toMatchObject({ source: 'cdp', allocatedMw: 12000 });
  });

  it.skipIf(!haveTshark)('the whole exchange is clean in tshark', () => {
    const rig = new Rig({ voiceVlan: 110 });
    rig.run(120_000);
    const path = tempCapture('sim-discovery.pcap', rig.pcap);
    expect(tsharkReport(path).problems).toEqual([]);
    const rows = tsharkFields(path, ['eth.src', 'cdp.checksum.status', 'cdp.voice_vlan', 'cdp.power_available', 'cdp.power_requested'], 'cdp');
    expect(rows.length).toBeGreaterThan(4);
    for (const r of rows) expect(r[1]).toBe('1');
    expect(rows.some((r) => r[2] === '110' && r[3] === '12000,4294967295')).toBe(true);
    expect(rows.some((r) => r[0] === '00:1e:4a:12:34:56' && r[4] === '12000')).toBe(true);
    const med = tsharkFields(path, ['lldp.media.vlan_id', 'lldp.media.tag_flag'], 'lldp.media.vlan_id == 110');
    expect(med.length).toBeGreaterThan(0);
  });
});
