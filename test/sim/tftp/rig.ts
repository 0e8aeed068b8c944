/**
 * A small lab for the TFTP sim tests, on virtual time with the real stack on both sides:
 *
 *   port 0..N-1: phones (access VLAN 1, voice VLAN 100, tagged, 10.1.100.50+)
 *   port N:      TFTP server A 10.1.100.1 (access VLAN 100)
 *   port N+1:    TFTP server B 10.1.100.2
 *
 * Each phone runs firmware/tftp's TftpService on its own NetInterface; the servers are
 * tools/lab/tftp-server.ts on LabHosts. The switch's pcap records every frame.
 */
import { Scheduler } from '../../../hal/sim/scheduler';
import { SimNic, type LinkOptions } from '../../../hal/sim/ether';
import { SimSwitch } from '../../../hal/sim/switch';
import { PcapWriter, attachPcap } from '../../../hal/sim/pcap';
import { simHostHal } from '../../../hal/sim/host';
import { NetInterface } from '../../../firmware/net/iface';
import { TftpService, type TftpServiceOptions } from '../../../firmware/tftp/service';
import type { FetchEvent, FetchFile } from '../../../firmware/tftp/fetch';
import type { TftpSink, TftpFailure } from '../../../firmware/tftp/client';
import { LabHost } from '../../../tools/lab/host';
import { pattern as filePattern } from '../../unit/tftp/helpers';
import { attachTftpServer, type LabTftpServer, type LabTftpOptions } from '../../../tools/lab/tftp-server';
import { parseIp } from '../../../lib/bytes';

export const VOICE = 100;
export const A = parseIp('10.1.100.1')!;
export const B = parseIp('10.1.100.2')!;
const MASK = parseIp('255.255.255.0')!;

export interface Phone {
  iface: NetInterface;
  tftp: TftpService;
  logs: string[];
  events: FetchEvent[];
  /** Bytes of each finished download, by file name. */
  got: Map<string, Uint8Array>;
  aborted: TftpFailure[];
  fetch(servers: number[], files: FetchFile[]): void;
  finished(): boolean;
}

export interface RigOptions {
  seed?: number;
  phones?: number;
  phoneCable?: LinkOptions;
  a?: Record<string, Uint8Array>;
  b?: Record<string, Uint8Array>;
  aKnobs?: LabTftpOptions;
  bKnobs?: LabTftpOptions;
  tftp?: TftpServiceOptions;
}

function collector(got: Map<string, Uint8Array>, aborted: TftpFailure[]) {
  return (name: string): TftpSink => {
    const parts: Uint8Array[] = [];
    return {
      write(d, off) {
        parts.push(d.slice());
        return off >= 0;
      },
      end() {
        const len = parts.reduce((n, p) => n + p.length, 0);
        const all = new Uint8Array(len);
        let at = 0;
        for (const p of parts) {
          all.set(p, at);
          at += p.length;
        }
        got.set(name, all);
      },
      abort(r) {
        aborted.push(r);
      },
    };
  };
}

export function makeRig(o: RigOptions = {}) {
  const n = o.phones ?? 1;
  const sched = new Scheduler(o.seed ?? 1);
  const sw = new SimSwitch(sched, { ports: n + 2, name: 'sw' });
  const pcap = new PcapWriter();
  attachPcap(sw, pcap);
  const phones: Phone[] = [];
  for (let i = 0; i < n; i++) {
    sw.setAccessVlan(i, 1);
    sw.setVoiceVlan(i, VOICE);
    const mac = new Uint8Array([0x00, 0x1e, 0x4a, 0x12, 0x34, 0x56 + i]);
    const nic = new SimNic(sched, mac);
    sw.connect(i, nic, o.phoneCable ?? {});
    const logs: string[] = [];
    const hal = simHostHal(sched, nic, { label: `phone${i}`, log: (_l, tag, m) => logs.push(`${tag}: ${m}`) });
    const iface = new NetInterface(hal);
    iface.setVlan(VOICE, 5);
    iface.setAddress(A + 49 + i, MASK, A);
    const tftp = new TftpService(iface, hal.clock, { ...o.tftp, log: (l) => logs.push(l) });
    const events: FetchEvent[] = [];
    const got = new Map<string, Uint8Array>();
    const aborted: TftpFailure[] = [];
    const sinkFor = collector(got, aborted);
    phones.push({
      iface, tftp, logs, events, got, aborted,
      fetch: (servers, files) => tftp.fetch(servers, files, sinkFor, (e) => events.push(e)),
      finished: () => events.some((e) => e.kind === 'done' || e.kind === 'absent' || e.kind === 'failed'),
    });
  }
  sw.setAccessVlan(n, VOICE);
  sw.setAccessVlan(n + 1, VOICE);
  const hostA = new LabHost(sched, sw, n, { name: 'tftp-a', mac: new Uint8Array([0x02, 0, 0, 0, 0, 1]), ip: A, mask: MASK });
  const hostB = new LabHost(sched, sw, n + 1, { name: 'tftp-b', mac: new Uint8Array([0x02, 0, 0, 0, 0, 2]), ip: B, mask: MASK });
  const logA: string[] = [];
  const logB: string[] = [];
  const serverA: LabTftpServer = attachTftpServer(hostA.iface, o.a ?? {}, { ...o.aKnobs, log: (l) => logA.push(l) });
  const serverB: LabTftpServer = attachTftpServer(hostB.iface, o.b ?? {}, { ...o.bKnobs, log: (l) => logB.push(l) });
  /** TFTP opcodes the phones sent (frames entering the switch from phone ports), by opcode. */
  const phoneOps = new Map<number, number>();
  sw.tap((frame, inPort, outPort) => {
    if (outPort !== null || inPort === null || inPort >= n) return;
    let at = 12;
    if (frame[12] === 0x81 && frame[13] === 0x00) at = 16;
    if (frame[at] !== 0x08 || frame[at + 1] !== 0x00 || frame[at + 2 + 9] !== 17) return;
    const u = at + 2 + (frame[at + 2] & 15) * 4;
    const op = (frame[u + 8] << 8) | frame[u + 9];
    phoneOps.set(op, (phoneOps.get(op) ?? 0) + 1);
  });
  /** Run until every phone's fetch ended (or `ms` of virtual time). */
  const runUntilDone = (ms: number): void => {
    sched.run(sched.now() + ms, () => phones.every((p) => p.finished()));
    sched.run(sched.now() + 50);   // the last ACKs reach the servers
  };
  return { sched, sw, pcap, phones, phone: phones[0], phoneOps, serverA, serverB, logA, logB, runUntilDone };
}

export function pattern(n: number, seed = 1): Uint8Array {
  return filePattern(n, seed);
}

export const names = (p: Phone): string[] => p.events.map((e) => {
  const who = (ip: number): string => (ip === A ? 'A' : ip === B ? 'B' : '?');
  switch (e.kind) {
    case 'trying': return `try ${who(e.server)} ${e.name}`;
    case 'missed': return `miss ${who(e.server)} ${e.name} ${e.failure.kind}`;
    case 'done': return `done ${who(e.server)} ${e.name}`;
    case 'absent': return 'absent';
    default: return `failed ${e.failure.kind}`;
  }
});
