/**
 * A phone's discovery agent on a simulated switch port, with the lab's switch-side agent:
 * Scheduler + SimSwitch + SimNic + SimPse/SimPoweredDevice + DiscoveryService + SwitchPortAgent.
 * The phone is wired without the IP stack: frames from the NIC go to handleFrame, and the
 * service sends through the NIC, which is all discovery needs.
 */
import { Scheduler } from '../../../hal/sim/scheduler';
import { SimSwitch } from '../../../hal/sim/switch';
import { SimNic } from '../../../hal/sim/ether';
import type { LinkOptions } from '../../../hal/sim/ether';
import { SimPse, SimPoweredDevice } from '../../../hal/sim/poe';
import { PcapWriter, attachPcap } from '../../../hal/sim/pcap';
import { DiscoveryService } from '../../../firmware/discovery/agent';
import type { DiscoveryConfig, DiscoveryEvent, VoiceVlanEvent, PowerEvent } from '../../../firmware/discovery/agent';
import { SwitchPortAgent } from '../../../tools/lab/switchport';
import type { SwitchPortAgentOptions } from '../../../tools/lab/switchport';
import { fromHex } from '../../../lib/bytes';

export const PHONE_MAC = fromHex('001e4a123456')!;

export interface RigOptions {
  seed?: number;
  pdClass?: number;
  requiredMw?: number;
  budgetMw?: number;
  voiceVlan?: number;
  /** null = no switch-side agent at all. */
  switchAgent?: SwitchPortAgentOptions | null;
  /** Start the switch-side agent this late (ms). */
  switchAgentAtMs?: number;
  phone?: Partial<DiscoveryConfig>;
  link?: LinkOptions;
}

export class Rig {
  readonly sched: Scheduler;
  readonly sw: SimSwitch;
  readonly nic: SimNic;
  readonly pse: SimPse;
  readonly pd: SimPoweredDevice;
  readonly pcap = new PcapWriter();
  readonly service: DiscoveryService;
  readonly agent: SwitchPortAgent | null;
  readonly events: (DiscoveryEvent & { t: number })[] = [];
  readonly log: string[] = [];
  readonly lines: string[] = ['', '', '', ''];
  readonly sent: Uint8Array[] = [];

  constructor(o: RigOptions = {}) {
    this.sched = new Scheduler(o.seed ?? 1);
    this.sw = new SimSwitch(this.sched, { ports: 2, name: 'lab-sw1' });
    attachPcap(this.sw, this.pcap);
    this.sw.setAccessVlan(0, 10);
    if (o.voiceVlan) this.sw.setVoiceVlan(0, o.voiceVlan);
    this.pse = new SimPse(o.budgetMw ?? 370_000);
    this.pd = new SimPoweredDevice({ pdClass: o.pdClass ?? 3, requiredMw: o.requiredMw ?? 12_000 });
    this.nic = new SimNic(this.sched, PHONE_MAC);
    this.pd.granted(this.pse.classify(0, this.pd.pdClass));
    this.sw.connect(0, this.nic, o.link ?? {});
    const clock = this.sched.clock();
    const cfg: DiscoveryConfig = {
      mac: PHONE_MAC, loadId: 'P00308020000', platform: 'Cisco IP Phone 7960', model: 'CP-7960G', poe: this.pd,
      ...o.phone,
    };
    this.service = new DiscoveryService(cfg, {
      clock,
      send: (f) => {
        this.sent.push(f);
        this.nic.send(f);
      },
      system: {
        log: (_level: number, tag: string, message: string) => this.log.push(`${clock.now()} ${tag}: ${message}`),
      } as never,
      display: { setLine: (i: number, text: string) => { this.lines[i] = text; }, clear: () => this.lines.fill('') },
    }, {
      voiceVlan: (e) => this.events.push({ ...e, t: clock.now() }),
      power: (e) => this.events.push({ ...e, t: clock.now() }),
      trust: (e) => this.events.push({ ...e, t: clock.now() }),
    });
    this.nic.onReceive((f) => { this.service.handleFrame(f); });
    if (o.switchAgent === null) {
      this.agent = null;
    } else {
      this.agent = new SwitchPortAgent(this.sched, this.sw, 0, this.pse, o.switchAgent ?? {});
      const a = this.agent;
      if (o.switchAgentAtMs) this.sched.after(o.switchAgentAtMs, () => a.start());
      else a.start();
    }
    this.service.start();
  }

  run(ms: number): void {
    this.sched.runFor(ms);
  }

  vlanEvents(): (VoiceVlanEvent & { t: number })[] {
    return this.events.filter((e): e is VoiceVlanEvent & { t: number } => e.kind === 'voiceVlan');
  }

  powerEvents(): (PowerEvent & { t: number })[] {
    return this.events.filter((e): e is PowerEvent & { t: number } => e.kind === 'power');
  }
}
