// Two (or more) simulated hosts running firmware/net on SimNics, for the stack's sim tests.
import { Scheduler } from '../../../hal/sim/scheduler';
import { SimNic } from '../../../hal/sim/ether';
import { simHostHal } from '../../../hal/sim/host';
import { NetInterface } from '../../../firmware/net/iface';
import type { NetOptions } from '../../../firmware/net/options';
import { parseIp } from '../../../lib/bytes';

export function ip(text: string): number {
  const v = parseIp(text);
  if (v === null) throw new Error('bad ip ' + text);
  return v;
}

export interface Host {
  nic: SimNic;
  net: NetInterface;
  log: string[];
}

export function makeHost(sched: Scheduler, macLast: number, options?: NetOptions): Host {
  const mac = new Uint8Array([0x02, 0x00, 0x00, 0x00, 0x00, macLast]);
  const nic = new SimNic(sched, mac);
  const log: string[] = [];
  const hal = simHostHal(sched, nic, { label: 'host' + macLast, bootAtMs: sched.now(), log: (_level, tag, message) => { log.push(tag + ': ' + message); } });
  const net = new NetInterface(hal, options);
  return { nic, net, log };
}
