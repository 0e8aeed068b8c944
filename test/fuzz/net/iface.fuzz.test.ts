// The whole receive path of NetInterface under random and mutated frames: it never throws,
// every frame is counted, and tables stay within their caps.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Scheduler } from '../../../hal/sim/scheduler';
import { SimNic, connectNics } from '../../../hal/sim/ether';
import { makeHost, ip } from '../../sim/net/harness';
import { fixtureFrames } from '../../fixtures';
import { assertSeeded, fuzzRuns, mutated } from '../property';

const CORPUS: Uint8Array[] = [];
for (const f of ['nDPI__sccp_hw_conf_register.pcapng', 'generated__dhcp_phone_opt150_synthetic.pcap',
  'generated__lldp_med_phone_switch_synthetic.pcap', 'generated__cdp_power_negotiation_synthetic.pcap']) {
  for (const fr of fixtureFrames(f)) CORPUS.push(fr);
}

describe('NetInterface receive fuzz', () => {
  it(`random and mutated frames: no throw, all counted, tables bounded (seed 77, ${fuzzRuns()} runs)`, async () => {
    const sched = new Scheduler(77);
    // The phone of the SCCP capture (10.180.110.58), so its frames reach the sockets.
    const h = makeHost(sched, 0x01, { arpEntries: 4, tcpSockets: 3, arpQueuePackets: 2 });
    const peer = new SimNic(sched, new Uint8Array([2, 0, 0, 0, 0, 2]));
    connectNics(sched, h.nic, peer);
    h.net.setAddress(ip('10.180.110.58'), ip('255.255.255.0'), ip('10.180.110.1'));
    h.net.udpOpen(68, () => {});
    h.net.udpOpen(53, () => {});
    h.net.tcpListen(2000, () => ({ onConnected: () => {}, onData: () => {}, onClose: () => {} }));
    h.net.tcpConnect(ip('10.180.110.48'), 2000, { onConnected: () => {}, onData: () => {}, onClose: () => {} });
    h.net.onFrame(() => {});
    const mac = h.net.mac;
    let delivered = 0;
    // Corpus frames, mutated by the shared operators; half of them addressed to us first,
    // so they reach the sockets rather than stopping at the MAC filter.
    const toUs = CORPUS.map((f) => {
      const g = f.slice();
      g.set(mac, 0);
      return g;
    });
    const frameArb = fc.oneof(fc.uint8Array({ maxLength: 1522 }), mutated(CORPUS, 1522), mutated(toUs, 1522));
    const runs = fuzzRuns();
    await assertSeeded('NetInterface receive', fc.property(frameArb, (f) => {
      h.nic.deliver(f);
      delivered++;
      sched.runFor(50);
    }), 77, runs);
    expect(h.net.counters.rxFrames).toBe(delivered);
    expect(h.net.arpEntries().length).toBeLessThanOrEqual(4);
    expect(h.net.tcpSocketCount()).toBeLessThanOrEqual(3);
    const c = h.net.counters;
    // Something got through every stage, and the drops were counted by reason.
    expect(c.rxIp).toBeGreaterThan(0);
    expect(c.rxBadChecksum + c.rxMalformed).toBeGreaterThan(0);
    expect(c.rxRunt).toBeGreaterThan(0);
    expect(c.rxTcp + c.rxUdp).toBeGreaterThan(0);
  });
});
