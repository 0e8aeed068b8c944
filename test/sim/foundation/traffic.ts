/**
 * A small random traffic scenario on the simulated switch, for the pcap and determinism
 * tests: ARP requests, IPv4/UDP datagrams (valid header checksum, UDP checksum 0 = none)
 * and voice-VLAN-tagged frames, with link faults, all driven by the scheduler's seed.
 */
import { Scheduler } from '../../../hal/sim/scheduler';
import { SimNic } from '../../../hal/sim/ether';
import { SimSwitch } from '../../../hal/sim/switch';
import { PcapWriter, attachPcap } from '../../../hal/sim/pcap';
import { internetChecksum } from '../../../lib/checksum';

const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

function hostMac(i: number): Uint8Array {
  return new Uint8Array([0x00, 0x1e, 0x4a, 0x10, 0x00, i]);
}

function hostIp(i: number): number {
  return (10 << 24) | (1 << 16) | (0 << 8) | (10 + i);
}

function arpRequest(src: number, target: number): Uint8Array {
  const f = new Uint8Array(42);
  f.set(BROADCAST, 0);
  f.set(hostMac(src), 6);
  f.set([0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01], 12);
  f.set(hostMac(src), 22);
  new DataView(f.buffer).setUint32(28, hostIp(src));
  new DataView(f.buffer).setUint32(38, hostIp(target));
  return f;
}

function udp(src: number, dst: number, payloadLen: number, vid: number, fill: number): Uint8Array {
  const off = vid ? 18 : 14;
  const f = new Uint8Array(off + 20 + 8 + payloadLen);
  const v = new DataView(f.buffer);
  f.set(hostMac(dst), 0);
  f.set(hostMac(src), 6);
  if (vid) {
    v.setUint16(12, 0x8100);
    v.setUint16(14, (5 << 13) | vid);
  }
  v.setUint16(off - 2, 0x0800);
  f[off] = 0x45;
  v.setUint16(off + 2, 20 + 8 + payloadLen);
  v.setUint16(off + 4, fill & 0xffff); // identification
  f[off + 8] = 64;
  f[off + 9] = 17;
  v.setUint32(off + 12, hostIp(src));
  v.setUint32(off + 16, hostIp(dst));
  v.setUint16(off + 10, internetChecksum(f, off, off + 20));
  v.setUint16(off + 20, 40000 + src);
  v.setUint16(off + 22, 9);
  v.setUint16(off + 24, 8 + payloadLen);
  for (let i = 0; i < payloadLen; i++) f[off + 28 + i] = (fill + i) & 0xff;
  return f;
}

/** Run the scenario; returns the pcap bytes. */
export function runScenario(seed: number, frames = 200): { pcap: Uint8Array; count: number } {
  const sched = new Scheduler(seed);
  const sw = new SimSwitch(sched, { ports: 4, name: 'traffic' });
  const writer = new PcapWriter();
  attachPcap(sw, writer);
  const nics: SimNic[] = [];
  for (let i = 0; i < 4; i++) {
    const nic = new SimNic(sched, hostMac(i));
    nics.push(nic);
    sw.connect(i, nic, { loss: 0.05, jitterMs: 0.5, reorder: 0.05 });
    sw.setAccessVlan(i, 10);
  }
  sw.setVoiceVlan(0, 100);
  sw.setVoiceVlan(1, 100);
  const rng = sched.rng.fork('traffic');
  for (let n = 0; n < frames; n++) {
    const at = rng.int(0, 5000) / 10;
    const src = rng.int(0, 3);
    const dst = (src + rng.int(1, 3)) % 4;
    const kind = rng.int(0, 2);
    const len = rng.int(0, 1400);
    const fill = rng.u32();
    sched.at(at, () => {
      if (kind === 0) nics[src].send(arpRequest(src, dst));
      else if (kind === 1 || src > 1) nics[src].send(udp(src, dst, len, 0, fill));
      else nics[src].send(udp(src, dst < 2 ? dst : 1 - src, len, 100, fill));
    });
  }
  sched.run();
  return { pcap: writer.toBytes(), count: writer.count };
}
