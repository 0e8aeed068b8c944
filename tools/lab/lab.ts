/**
 * The lab: one simulated access switch with a PoE PSE, the switch side of CDP and LLDP-MED
 * on every phone port, a server host on the data VLAN and one on the voice VLAN (DHCP with
 * options 150/66/3/6/15/42; the voice server is also the TFTP server the phones are told
 * about), and N phones whose flash holds a signed image that the real loader verifies
 * and starts. Everything runs on one Scheduler: same seed, same run.
 *
 *   port 0: data server  10.1.1.1/24   (access VLAN 1)
 *   port 1: voice server 10.1.100.1/24 (access VLAN 100)
 *   port 2..: phones      (access VLAN 1, voice VLAN 100, PoE)
 */
import { Scheduler } from '../../hal/sim/scheduler';
import { SimSwitch } from '../../hal/sim/switch';
import type { LinkOptions } from '../../hal/sim/ether';
import { SimPse, attachPse } from '../../hal/sim/poe';
import type { SimPoweredDevice } from '../../hal/sim/poe';
import { PcapWriter, attachPcap } from '../../hal/sim/pcap';
import { SimBoard } from '../../hal/sim/board';
import { SimFlash } from '../../hal/sim/flash';
import type { Hal } from '../../hal/index';
import type { LogLevel } from '../../hal/system';
import { parseIp } from '../../lib/bytes';
import { SwitchPortAgent } from './switchport';
import type { SwitchPortAgentOptions } from './switchport';
import { LabDhcpServer } from './dhcp-server';
import type { DhcpPoolConfig, DhcpMisbehaviour } from './dhcp-server';
import { LabHost } from './host';
import { provisionFlash, placeholderImage } from './provision';
import type { NetworkSettings } from '../../firmware/netconfig';
// The loader and the firmware run natively here (host stack traces, fast); the QuickJS
// runner (npm run target) runs the same code from the built bundles.
import { main as loaderMain } from '../../flash/main';
import { main as firmwareMain } from '../../firmware/main';
import { makePhoneBoard, prepareEngine, type EngineKind, type PhoneBoard } from '../../hal/target/engine';
import { phoneBundles, type PhoneBundles } from '../target/bundles';

export const DATA_VLAN = 1;
export const DEFAULT_VOICE_VLAN = 100;
const PHONE_PORT_BASE = 2;

function ip(text: string): number {
  const v = parseIp(text);
  if (v === null) throw new RangeError(`bad address ${text}`);
  return v;
}

export interface LabPhoneOptions {
  /** PoE class at classification (default 2: the PSE grants 7000 mW). */
  poeClass?: number;
  /** Power the phone needs for full power, mW (default 12000). */
  requiredMw?: number;
  /** Network settings stored in the phone's preferences before it boots. */
  settings?: Partial<NetworkSettings>;
  /** Faults on the phone's cable. */
  faults?: LinkOptions;
}

export interface LabOptions {
  seed?: number;
  phones?: number;
  voiceVlan?: number;
  /** Switch side of discovery; false disables a protocol on every phone port. */
  cdp?: boolean;
  lldp?: boolean;
  /** PSE budget in mW for the whole switch (default 370 W, a 48-port PoE+ switch). */
  pseBudgetMw?: number;
  /** Per-port PSE cap answered over CDP/LLDP (default: what the budget allows). */
  switchPort?: SwitchPortAgentOptions;
  dhcpMisbehaviour?: DhcpMisbehaviour;
  phone?: LabPhoneOptions;
  /** The signed image every phone's slot A holds (default: a small signed placeholder). */
  image?: Uint8Array;
  /** Capture every frame the switch carries. */
  pcap?: boolean;
  /** Log sink for servers and phones. */
  log?: (t: number, who: string, level: LogLevel, tag: string, message: string) => void;
  /**
   * What the phones run (hal/target/engine.ts): 'native' (default; fast, fleets) or the real
   * loader and firmware bundles in 'quickjs' or 'xs'. Engines need `bundles` (Lab.create
   * builds them); their image defaults to the real firmware, signed.
   */
  engine?: EngineKind;
  /** The phone's bundles for an engine (tools/target/bundles.ts phoneBundles()). */
  bundles?: PhoneBundles;
  /** Engine memory gate override (default: the engine's, hal/target/budgets.ts). */
  budgetBytes?: number;
}

export interface LabPhone {
  name: string;
  port: number;
  board: SimBoard;
  agent: SwitchPortAgent;
  /** The board with its engine (figures, steady mark, stop). */
  engine: PhoneBoard;
}

export class Lab {
  readonly sched: Scheduler;
  readonly sw: SimSwitch;
  readonly pse: SimPse;
  readonly pcap: PcapWriter | null;
  readonly dataServer: LabHost;
  readonly voiceServer: LabHost;
  readonly dhcp: LabDhcpServer;
  readonly phones: LabPhone[] = [];
  readonly voiceVlan: number;

  constructor(options: LabOptions = {}) {
    const phones = options.phones ?? 1;
    this.voiceVlan = options.voiceVlan ?? DEFAULT_VOICE_VLAN;
    this.sched = new Scheduler(options.seed ?? 1);
    this.sw = new SimSwitch(this.sched, { ports: PHONE_PORT_BASE + phones, name: 'lab-sw1' });
    this.pcap = options.pcap ? new PcapWriter() : null;
    if (this.pcap) attachPcap(this.sw, this.pcap);
    this.pse = new SimPse(options.pseBudgetMw ?? 370_000);
    const pds: (SimPoweredDevice | null)[] = [];
    attachPse(this.sw, this.pse, (port) => pds[port] ?? null);

    const log = options.log;
    this.sw.setAccessVlan(0, DATA_VLAN);
    this.sw.setAccessVlan(1, this.voiceVlan);
    this.dataServer = new LabHost(this.sched, this.sw, 0, {
      name: 'data-server', mac: mac(0xd0, 1), ip: ip('10.1.1.1'), mask: ip('255.255.255.0'), log,
    });
    this.voiceServer = new LabHost(this.sched, this.sw, 1, {
      name: 'voice-server', mac: mac(0xd0, 100), ip: ip('10.1.100.1'), mask: ip('255.255.255.0'), log,
    });
    this.dhcp = new LabDhcpServer(() => this.sched.now());
    const misbehave = options.dhcpMisbehaviour ?? {};
    this.dhcp.attach(this.dataServer.iface, pool('data', DATA_VLAN, '10.1.1'), misbehave);
    this.dhcp.attach(this.voiceServer.iface, pool('voice', this.voiceVlan, '10.1.100'), misbehave);

    const engine = options.engine ?? 'native';
    if (engine !== 'native' && !options.bundles) throw new Error(`Lab: engine '${engine}' needs the bundles (use Lab.create)`);
    const image = options.image ?? (engine !== 'native' && options.bundles ? options.bundles.image : placeholderImage());
    for (let i = 0; i < phones; i++) {
      const port = PHONE_PORT_BASE + i;
      this.sw.setAccessVlan(port, DATA_VLAN);
      this.sw.setVoiceVlan(port, this.voiceVlan);
      const agentOptions: SwitchPortAgentOptions = {
        cdp: options.cdp ?? true,
        lldp: options.lldp ?? true,
        deviceId: 'lab-sw1.lab.test',
        platform: 'cisco WS-C3560-24PS',
        portName: `FastEthernet0/${i + 1}`,
        address: ip('10.1.1.2'),
        ...options.switchPort,
      };
      const agent = new SwitchPortAgent(this.sched, this.sw, port, this.pse, agentOptions);
      const name = `phone${i + 1}`;
      const phoneMac = mac(0x1e, i + 1);
      const flash = new SimFlash('nor-4m');
      provisionFlash(flash, { image, settings: options.phone?.settings });
      const phoneBoard = makePhoneBoard({
        engine,
        sched: this.sched,
        board: {
          name,
          mac: phoneMac,
          flash,
          poeClass: options.phone?.poeClass ?? 2,
          requiredMw: options.phone?.requiredMw ?? 12_000,
          seed: (options.seed ?? 1) * 1000 + i,
        },
        program: {
          native: { boot: (hal: Hal) => loaderMain(hal), startImage: (hal: Hal) => firmwareMain(hal) },
          bundles: options.bundles ? { loader: options.bundles.loader, recovery: options.bundles.recovery } : undefined,
        },
        budgetBytes: options.budgetBytes,
      });
      const board = phoneBoard.board;
      if (log) board.onLog((e) => log(e.t, name, e.level, e.tag, e.message));
      pds[port] = board.pd;
      this.sw.connect(port, board.nic, options.phone?.faults ?? {});
      this.phones.push({ name, port, board, agent, engine: phoneBoard });
    }
  }

  /**
   * A lab whose phones may run on an engine: loads the engine and builds the phone's bundles
   * (in memory, as `npm run build` does) when `engine` is 'quickjs' or 'xs'.
   */
  static async create(options: LabOptions = {}): Promise<Lab> {
    const engine = options.engine ?? 'native';
    if (engine === 'native') return new Lab(options);
    await prepareEngine(engine);
    return new Lab({ ...options, bundles: options.bundles ?? await phoneBundles() });
  }

  /** True when any engine phone stopped (over its gate, crashed, ran away). */
  engineStopped(): boolean {
    return this.phones.some((p) => p.engine.stopped());
  }

  /** Release the engines (worker processes, QuickJS contexts). */
  dispose(): void {
    for (const p of this.phones) p.engine.dispose();
  }

  /** True when the phone's boot has reached the last step built so far (boot state 'ready'). */
  static reachedReady(p: LabPhone): boolean {
    return p.board.logs.some((e) => e.tag === 'boot' && e.message.endsWith('-> ready'));
  }

  allReady(): boolean {
    return this.phones.every((p) => Lab.reachedReady(p));
  }

  /** Power every phone and start the switch side of discovery. */
  start(): void {
    for (const p of this.phones) {
      p.agent.start();
      p.board.powerOn();
    }
  }
}

function mac(kind: number, n: number): Uint8Array {
  return new Uint8Array([0x00, kind, 0x4a, 0x00, (n >> 8) & 255, n & 255]);
}

function pool(name: string, vlan: number, prefix: string): DhcpPoolConfig {
  return {
    name,
    vlan,
    serverIp: ip(`${prefix}.1`),
    subnet: ip(`${prefix}.0`),
    mask: ip('255.255.255.0'),
    rangeStart: ip(`${prefix}.100`),
    rangeEnd: ip(`${prefix}.199`),
    leaseSecs: 86_400,
    routers: [ip(`${prefix}.1`)],
    dnsServers: [ip(`${prefix}.1`)],
    domain: 'lab.test',
    // The voice server is the TFTP server (option 150); option 66 names it as well.
    tftpServers: [ip('10.1.100.1')],
    tftpServerName: '10.1.100.1',
  };
}
