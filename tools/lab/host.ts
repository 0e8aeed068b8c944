/**
 * A lab host: a simulated machine on the lab switch that runs the firmware's own IP stack
 * (one codec per protocol, both sides). Servers (DHCP, later TFTP and CallManager) attach
 * to its NetInterface.
 */
import type { Scheduler } from '../../hal/sim/scheduler';
import type { SimSwitch } from '../../hal/sim/switch';
import { SimNic } from '../../hal/sim/ether';
import type { LogLevel } from '../../hal/system';
import { simHostHal } from '../../hal/sim/host';
import { NetInterface } from '../../firmware/net/iface';
import type { NetOptions } from '../../firmware/net/options';

export interface LabHostOptions {
  name: string;
  mac: Uint8Array;
  ip: number;
  mask: number;
  gateway?: number;
  /** Stack caps (a CallManager host serving many phones needs more TCP sockets). */
  net?: NetOptions;
  /** Log sink: (time ms, host, level, tag, message). */
  log?: (t: number, host: string, level: LogLevel, tag: string, message: string) => void;
}

export class LabHost {
  readonly name: string;
  readonly nic: SimNic;
  readonly iface: NetInterface;

  constructor(sched: Scheduler, sw: SimSwitch, port: number, options: LabHostOptions) {
    this.name = options.name;
    this.nic = new SimNic(sched, options.mac);
    sw.connect(port, this.nic);
    const log = options.log;
    this.iface = new NetInterface(simHostHal(sched, this.nic, {
      label: 'host:' + options.name,
      log: (level, tag, message) => { if (log) log(sched.now(), options.name, level, tag, message); },
    }), options.net);
    this.iface.setAddress(options.ip, options.mask, options.gateway ?? 0);
  }
}
