import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../../hal/sim/scheduler';
import { SimNic } from '../../../hal/sim/ether';
import { SimSwitch, CDP_MULTICAST, LLDP_MULTICAST } from '../../../hal/sim/switch';
import { BROADCAST, frame, mac, seqOf, tagged, vlanOf } from './frames';

/** A switch with `n` hosts, host i (MAC ..:i+1) on port i; rx[i] collects what host i receives. */
function lab(n: number, seed = 1) {
  const sched = new Scheduler(seed);
  const sw = new SimSwitch(sched, { ports: n + 1, name: 'sw1' });
  const nics: SimNic[] = [];
  const rx: Uint8Array[][] = [];
  for (let i = 0; i < n; i++) {
    const nic = new SimNic(sched, mac(i + 1));
    const got: Uint8Array[] = [];
    nic.onReceive((f) => got.push(f.slice()));
    sw.connect(i, nic);
    nics.push(nic);
    rx.push(got);
  }
  return { sched, sw, nics, rx };
}

describe('SimSwitch forwarding', () => {
  it('floods unknown unicast and broadcast, then forwards learned unicast to one port', () => {
    const { sched, sw, nics, rx } = lab(3);
    nics[0].send(frame(mac(2), mac(1), 1)); // unknown: flooded to 1 and 2
    sched.run();
    expect(rx.map((r) => r.length)).toEqual([0, 1, 1]);
    nics[1].send(frame(mac(1), mac(2), 2)); // mac(1) learned on port 0: only there
    sched.run();
    expect(rx.map((r) => r.length)).toEqual([1, 1, 1]);
    nics[0].send(frame(mac(2), mac(1), 3)); // mac(2) learned now
    sched.run();
    expect(rx.map((r) => r.length)).toEqual([1, 2, 1]);
    nics[2].send(frame(BROADCAST, mac(3), 4));
    sched.run();
    expect(rx.map((r) => r.length)).toEqual([2, 3, 1]);
    expect(sw.macTable().map((e) => [e.vid, e.mac, e.port])).toEqual([
      [1, '001e4a000001', 0], [1, '001e4a000002', 1], [1, '001e4a000003', 2],
    ]);
    expect(sw.counters(0).rxFrames).toBe(2);
    expect(sw.counters(1).txFrames).toBe(3);
  });

  it('ages MAC entries out, then floods again', () => {
    const sched = new Scheduler(1);
    const sw = new SimSwitch(sched, { ports: 3, agingMs: 1000 });
    const nics = [1, 2, 3].map((i) => new SimNic(sched, mac(i)));
    const counts = [0, 0, 0];
    nics.forEach((n, i) => { n.onReceive(() => counts[i]++); sw.connect(i, n); });
    nics[1].send(frame(BROADCAST, mac(2)));
    sched.run();
    nics[0].send(frame(mac(2), mac(1)));
    sched.run();
    expect(counts).toEqual([1, 1, 1]); // known: port 2 did not get it
    sched.runFor(2000);
    expect(sw.macTable().length).toBe(0); // both entries older than 1 s
    nics[0].send(frame(mac(2), mac(1)));
    sched.run();
    expect(counts).toEqual([1, 2, 2]); // aged: flooded
  });

  it('isolates VLANs', () => {
    const { sched, sw, nics, rx } = lab(4);
    sw.setAccessVlan(2, 20);
    sw.setAccessVlan(3, 20);
    nics[0].send(frame(BROADCAST, mac(1), 1));
    nics[2].send(frame(BROADCAST, mac(3), 2));
    sched.run();
    expect(rx.map((r) => r.map(seqOf))).toEqual([[], [1], [], [2]]);
    // Unicast to a MAC that lives in another VLAN is flooded in the sender's VLAN only.
    nics[0].send(frame(mac(3), mac(1), 3));
    sched.run();
    expect(rx[2].length).toBe(0);
    expect(rx[1].map(seqOf)).toEqual([1, 3]);
  });

  it('access + voice VLAN: untagged in/out on access, tagged in/out on voice, other tags dropped', () => {
    const { sched, sw, nics, rx } = lab(3);
    // port 0: the phone, access 10 + voice 100; port 1: a PC on VLAN 10; port 2: call manager on VLAN 100
    sw.setAccessVlan(0, 10);
    sw.setVoiceVlan(0, 100);
    sw.setAccessVlan(1, 10);
    sw.setAccessVlan(2, 100);
    nics[0].send(tagged(BROADCAST, mac(1), 100, 1)); // voice: reaches CM untagged
    nics[0].send(frame(BROADCAST, mac(1), 2)); // data: reaches the PC untagged
    nics[0].send(tagged(BROADCAST, mac(1), 0, 3)); // priority-tagged: access VLAN
    nics[0].send(tagged(BROADCAST, mac(1), 55, 4)); // foreign VID: dropped
    sched.run();
    expect(rx[2].map(seqOf)).toEqual([1]);
    expect(vlanOf(rx[2][0])).toBe(null);
    expect(rx[1].map(seqOf)).toEqual([2, 3]);
    expect(rx[1].map(vlanOf)).toEqual([null, null]);
    expect(sw.counters(0).rxDropped).toBe(1);
    nics[2].send(frame(mac(1), mac(3), 5)); // CM -> phone: leaves tagged 100, PCP 0
    nics[1].send(frame(mac(1), mac(2), 6)); // PC -> phone: untagged
    sched.run();
    expect(rx[0].map(seqOf)).toEqual([5, 6]);
    expect(rx[0].map(vlanOf)).toEqual([100, null]);
    expect(rx[0][0][14] >> 5).toBe(0);
    expect(rx[0][0].length).toBe(68);
  });

  it('keeps the priority bits of a tagged frame across a trunk', () => {
    const { sched, sw, nics, rx } = lab(2);
    sw.setAccessVlan(0, 10);
    sw.setVoiceVlan(0, 100);
    sw.setTrunk(1, [10, 100], 1);
    nics[0].send(tagged(BROADCAST, mac(1), 100, 1, 5));
    sched.run();
    expect(vlanOf(rx[1][0])).toBe(100);
    expect(rx[1][0][14] >> 5).toBe(5);
  });

  it('trunk: tagged allowed VLANs, untagged native, others dropped', () => {
    const { sched, sw, nics, rx } = lab(4);
    sw.setTrunk(0, [10, 100], 1);
    sw.setAccessVlan(1, 10);
    sw.setAccessVlan(2, 100);
    sw.setAccessVlan(3, 1);
    nics[0].send(tagged(BROADCAST, mac(1), 10, 1));
    nics[0].send(tagged(BROADCAST, mac(1), 100, 2));
    nics[0].send(frame(BROADCAST, mac(1), 3));
    nics[0].send(tagged(BROADCAST, mac(1), 200, 4));
    sched.run();
    expect(rx.slice(1).map((r) => r.map(seqOf))).toEqual([[1], [2], [3]]);
    expect(rx.slice(1).map((r) => vlanOf(r[0]))).toEqual([null, null, null]);
    nics[1].send(frame(BROADCAST, mac(2), 5));
    nics[2].send(frame(BROADCAST, mac(3), 6));
    nics[3].send(frame(BROADCAST, mac(4), 7));
    sched.run();
    expect(rx[0].map(seqOf)).toEqual([5, 6, 7]);
    expect(rx[0].map(vlanOf)).toEqual([10, 100, null]);
    expect(sw.portVlans(0)).toEqual({ mode: 'trunk', accessVid: 1, voiceVid: 0, nativeVid: 1, allowed: [10, 100] });
  });

  it('link down: no frames out of the port, the NIC sees it, learned MACs flushed', () => {
    const { sched, sw, nics, rx } = lab(3);
    const events: [number, boolean][] = [];
    sw.onPortLink((p, up) => events.push([p, up]));
    nics[1].send(frame(BROADCAST, mac(2), 1));
    sched.run();
    sw.setPortEnabled(1, false);
    expect(nics[1].linkUp()).toBe(false);
    expect(events).toEqual([[1, false]]);
    expect(sw.macTable().some((e) => e.port === 1)).toBe(false);
    nics[0].send(frame(mac(2), mac(1), 2));
    sched.run();
    expect(rx[1].length).toBe(0);
    expect(rx[2].map(seqOf)).toEqual([1, 2]);
    expect(nics[1].send(frame(BROADCAST, mac(2), 3))).toBe(false);
    sw.setPortEnabled(1, true);
    nics[0].send(frame(mac(2), mac(1), 4));
    sched.run();
    expect(rx[1].map(seqOf)).toEqual([4]);
    sw.disconnect(1);
    expect(nics[1].linkUp()).toBe(false);
    expect(sw.nicAt(1)).toBe(null);
    expect(events).toEqual([[1, false], [1, true], [1, false]]);
  });

  it('CDP and LLDP go to the port control plane, never forwarded; sendControl goes out of one port', () => {
    const { sched, sw, nics, rx } = lab(3);
    const ctl: [number, number][] = [];
    sw.onControlFrame(0, (f) => ctl.push([0, f[5]]));
    sw.onControlFrame(1, (f) => ctl.push([1, f[5]]));
    nics[0].send(frame(CDP_MULTICAST, mac(1), 1, 0x00aa));
    nics[1].send(frame(LLDP_MULTICAST, mac(2), 2, 0x88cc));
    nics[2].send(frame(new Uint8Array([0x01, 0x80, 0xc2, 0, 0, 0]), mac(3), 3, 0x0026)); // STP: link-local, no handler
    sched.run();
    expect(ctl).toEqual([[0, 0xcc], [1, 0x0e]]);
    expect(rx.every((r) => r.length === 0)).toBe(true);
    expect(sw.counters(2).controlRx).toBe(1);
    const reply = frame(CDP_MULTICAST, sw.portMac(0), 9, 0x00aa);
    expect(sw.sendControl(0, reply)).toBe(true);
    sched.run();
    expect(rx[0].map(seqOf)).toEqual([9]);
    expect(rx[1].length + rx[2].length).toBe(0);
    expect(Buffer.from(sw.portMac(0)).toString('hex')).toBe('001b54c00001');
  });

  it('tap sees ingress, each egress copy and switch-originated frames', () => {
    const { sched, sw, nics } = lab(3);
    const seen: string[] = [];
    sw.tap((f, i, o) => seen.push(`${i}->${o}:${seqOf(f)}`));
    nics[0].send(frame(BROADCAST, mac(1), 1));
    sched.run();
    sw.sendControl(2, frame(CDP_MULTICAST, sw.portMac(2), 2, 0x00aa));
    sched.run();
    expect(seen).toEqual(['0->null:1', '0->1:1', '0->2:1', 'null->2:2']);
  });

  it('per-port faults drop frames reproducibly', () => {
    const run = (seed: number) => {
      const { sched, sw, nics, rx } = lab(2, seed);
      sw.setFaults(1, { loss: 0.5 });
      for (let i = 0; i < 200; i++) sched.at(i, () => nics[0].send(frame(BROADCAST, mac(1), i)));
      sched.run();
      return rx[1].map(seqOf);
    };
    const a = run(1);
    expect(a.length).toBeGreaterThan(50);
    expect(a.length).toBeLessThan(150);
    expect(run(1)).toEqual(a);
    expect(run(2)).not.toEqual(a);
  });

  it('rejects bad ports and VLAN ids', () => {
    const { sw } = lab(1);
    expect(() => sw.setAccessVlan(5, 10)).toThrow(RangeError);
    expect(() => sw.setAccessVlan(0, 4095)).toThrow(RangeError);
    expect(() => sw.setTrunk(0, [0], 1)).toThrow(RangeError);
  });
});
