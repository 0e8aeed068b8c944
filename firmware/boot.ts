/**
 * The boot sequence of DESIGN.md section 1 as a pipeline of stages (pipeline.ts). Step 2
 * (the image) is the loader's; the pipeline starts when the image runs and the link is up.
 *
 *   power-vlan -> ip -> tftp -> ready
 *
 * - power-vlan: the discovery agent advertises over CDP and LLDP-MED (power request, voice
 *   VLAN query) and decides the voice VLAN: the admin setting, CDP, LLDP-MED, or none after
 *   its wait (then untagged). Power is negotiated in the background for as long as the link
 *   is up: the board runs on class power until an allocation arrives, and stays in low
 *   power if it is too small. A later different VLAN is a new result: the stages after it
 *   start again on the new VLAN.
 * - ip: DHCP (INIT-REBOOT with the last lease when there is one) or the static address from
 *   the settings. A renewal updates the later stages; a lost lease restarts them.
 * - tftp: the ordered server list (option 150, option 66, stored, alternate).
 * - ready: every built stage is done; steps 6-9 (trust list, configuration, CallManager,
 *   load ID) join the list as they land.
 *
 * Link down stops every stage (the switch forgets us); link up starts them again from the
 * first, and the held lease is checked again by INIT-REBOOT since the phone may now sit on
 * another port or switch.
 *
 * Display lines: 0 status (the stage at work, or why it is stuck), 1 address, 2 TFTP
 * server, 3 power ("Low power" when short of power).
 */
import type { Hal } from '../hal/index';
import { LOG_INFO, LOG_WARN } from '../hal/system';
import { NetInterface } from './net/iface';
import { DiscoveryService, powerText } from './discovery/agent';
import type { VoiceVlanEvent, PowerEvent } from './discovery/agent';
import { AddressAgent } from './dhcp/service';
import type { DhcpEvent } from './dhcp/client';
import type { Lease } from './dhcp/lease';
import type { NetworkSettings, TftpCandidate } from './netconfig';
import { tftpCandidates } from './netconfig';
import { ipToString } from '../lib/bytes';
import { Pipeline } from './pipeline';
import type { Stage, StageContext } from './pipeline';

export type BootState = 'off' | 'power-vlan' | 'ip' | 'tftp' | 'ready' | 'failed';

export const LINE_STATUS = 0;
export const LINE_ADDRESS = 1;
export const LINE_TFTP = 2;
export const LINE_POWER = 3;

export interface PhoneIdentity {
  /** Model for DHCP option 60 and CDP Platform, e.g. "7960". */
  model: string;
  /** The running load ID (CDP Software Version). */
  loadId: string;
  /** CDP Platform string, e.g. "Cisco IP Phone 7960". */
  platform: string;
  /** Power the phone asks for over CDP/LLDP, in mW. */
  requestMw: number;
}

export interface BootOptions {
  identity: PhoneIdentity;
  settings: NetworkSettings;
  /** How long to wait for a voice VLAN before going on untagged (ms). */
  vlanWaitMs?: number;
  /** Called when a new DHCP lease should be stored (for INIT-REBOOT on the next boot). */
  saveLease?: (lease: Lease) => void;
  /** Called once per boot when the last stage is first done (the image confirms itself). */
  onComplete?: (boot: BootSequence) => void;
}

/** A TFTP server as shown: its address, or the name option 66 gave (resolved later). */
function candidateText(c: TftpCandidate): string {
  return c.ip !== 0 ? ipToString(c.ip) : c.name;
}

/** Boot steps 1 and 3: power in the background, the voice VLAN as the result. */
class VlanStage implements Stage {
  readonly name = 'power-vlan';
  readonly title = 'Configuring VLAN';
  readonly discovery: DiscoveryService;
  /** The VLAN in force: -1 undecided, 0 untagged. */
  vlan = -1;
  private readonly hal: Hal;
  private readonly iface: NetInterface;
  private ctx: StageContext | null = null;

  constructor(hal: Hal, iface: NetInterface, options: BootOptions) {
    this.hal = hal;
    this.iface = iface;
    const self = this;
    const id = options.identity;
    this.discovery = new DiscoveryService({
      mac: hal.eth.mac(),
      loadId: id.loadId,
      platform: id.platform,
      model: id.model,
      poe: hal.poe,
      requestMw: id.requestMw,
      adminVlan: options.settings.adminVlan,
      address: function (): number { return iface.address(); },
      vlanWaitMs: options.vlanWaitMs,
    }, {
      clock: hal.clock,
      send: function (frame: Uint8Array): void { iface.sendFrame(frame); },
      system: hal.system,
      display: hal.display,
      statusLine: null,
      powerLine: LINE_POWER,
    }, {
      voiceVlan: function (e: VoiceVlanEvent): void { self.onVoiceVlan(e); },
      power: function (e: PowerEvent): void { hal.system.log(e.lowPower ? LOG_WARN : LOG_INFO, 'boot', powerText(e)); },
    });
    iface.onFrame(function (frame: Uint8Array): void { self.discovery.handleFrame(frame); });
  }

  start(ctx: StageContext): void {
    this.ctx = ctx;
    this.vlan = -1;
    this.discovery.start();
  }

  stop(): void {
    this.ctx = null;
    this.discovery.stop();
  }

  private onVoiceVlan(e: VoiceVlanEvent): void {
    // vlan 0 means untagged (no answer, or the switch said none).
    const vid = e.vlan > 0 ? e.vlan : 0;
    if (vid === this.vlan || this.ctx === null) return;
    if (this.vlan >= 0) this.hal.system.log(LOG_WARN, 'boot', 'voice VLAN changed: asking for an address again');
    this.vlan = vid;
    this.iface.setVlan(vid, vid > 0 ? e.pcp : 0);
    this.hal.system.log(LOG_INFO, 'boot', vid > 0
      ? 'voice VLAN ' + vid + ' (' + e.source + ', priority ' + e.pcp + ')'
      : 'no voice VLAN (' + e.source + '): untagged');
    this.ctx.status(vid > 0 ? 'Voice VLAN ' + vid : 'VLAN: none (untagged)');
    this.ctx.done();
  }
}

/** Boot step 4: DHCP or static; the lease is the result. */
class IpStage implements Stage {
  readonly name = 'ip';
  readonly title = 'Configuring IP';
  readonly address: AddressAgent;
  lease: Lease | null = null;
  private readonly hal: Hal;
  private readonly options: BootOptions;
  /** The lease to ask for again at the next start (INIT-REBOOT): the stored one at first. */
  private hint: Lease | null;
  private ctx: StageContext | null = null;

  constructor(hal: Hal, iface: NetInterface, vlan: VlanStage, options: BootOptions) {
    this.hal = hal;
    this.options = options;
    this.hint = options.settings.lastLease;
    const self = this;
    this.address = new AddressAgent(iface, hal.clock, hal.entropy, {
      mac: hal.eth.mac(),
      model: options.identity.model,
      onEvent: function (e: DhcpEvent): void { self.onAddress(e); },
      log: function (line: string): void { hal.system.log(LOG_INFO, 'ip', line); },
    });
    this.vlanStage = vlan;
  }

  private readonly vlanStage: VlanStage;

  start(ctx: StageContext): void {
    this.ctx = ctx;
    const s = this.options.settings;
    const settings: NetworkSettings = {
      mode: s.mode, address: s.address, mask: s.mask, gateway: s.gateway, dnsServers: s.dnsServers,
      domain: s.domain, tftpServers: s.tftpServers, alternateTftp: s.alternateTftp, adminVlan: s.adminVlan,
      lastLease: this.hint,
    };
    // DHCP (INIT-REBOOT with the held lease), or the static address; static settings that
    // do not validate fall back to DHCP inside the agent.
    this.address.start(settings);
  }

  stop(): void {
    this.ctx = null;
    this.address.stop();
    this.lease = null;
    this.hal.display.setLine(LINE_ADDRESS, '');
  }

  private onAddress(e: DhcpEvent): void {
    const ctx = this.ctx;
    if (ctx === null) return;
    if (e.kind === 'bound' || e.kind === 'renewed') {
      const l = e.lease;
      if (l.source === 'dhcp') {
        this.hint = l;
        if (this.options.saveLease !== undefined) this.options.saveLease(l);
      }
      const first = e.kind === 'bound';
      this.lease = l;
      if (first) {
        const vlan = this.vlanStage.vlan;
        this.hal.display.setLine(LINE_ADDRESS, 'IP ' + ipToString(l.address) + (vlan > 0 ? ' VLAN ' + vlan : ''));
        ctx.done();
      } else {
        ctx.updated();
      }
    } else if (e.kind === 'nak' || e.kind === 'conflict-declined') {
      this.hal.system.log(LOG_WARN, 'boot', e.kind === 'nak' ? 'DHCP NAK: asking again' : 'address in use by another host: declined');
    } else if (e.kind === 'lost' && e.reason !== 'stopped' && e.reason !== 'changed') {
      this.lease = null;
      this.hal.display.setLine(LINE_ADDRESS, '');
      ctx.lost('address ' + ipToString(e.address) + ' ' + e.reason);
    }
  }
}

/** Boot step 5: the ordered TFTP server list. */
class TftpServerStage implements Stage {
  readonly name = 'tftp';
  readonly title = 'Finding TFTP server';
  servers: TftpCandidate[] = [];
  private readonly hal: Hal;
  private readonly ip: IpStage;
  private readonly settings: NetworkSettings;
  private ctx: StageContext | null = null;
  private ok = false;

  constructor(hal: Hal, ip: IpStage, settings: NetworkSettings) {
    this.hal = hal;
    this.ip = ip;
    this.settings = settings;
  }

  start(ctx: StageContext): void {
    this.ctx = ctx;
    this.ok = this.choose();
    if (this.ok) ctx.done();
    else ctx.fail('No TFTP server');
  }

  stop(): void {
    this.ctx = null;
    this.servers = [];
    this.hal.display.setLine(LINE_TFTP, '');
  }

  /** A renewal may carry other options 150/66: the list follows for the next fetch. */
  upstreamUpdated(): void {
    const was = this.ok;
    this.ok = this.choose();
    if (this.ok && !was && this.ctx !== null) this.ctx.done();
  }

  private choose(): boolean {
    const lease = this.ip.lease;
    const list = lease === null ? [] : tftpCandidates(lease, this.settings);
    let text = '';
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      text += (i > 0 ? ', ' : '') + candidateText(c) + ' (' + c.source + ')';
    }
    let same = list.length === this.servers.length;
    for (let i = 0; same && i < list.length; i++) same = list[i].ip === this.servers[i].ip && list[i].name === this.servers[i].name;
    this.servers = list;
    if (list.length === 0) {
      this.hal.system.log(LOG_WARN, 'boot', 'no TFTP server: none from DHCP (150/66) and none stored');
      this.hal.display.setLine(LINE_TFTP, '');
      return false;
    }
    if (!same) this.hal.system.log(LOG_INFO, 'boot', 'TFTP servers: ' + text);
    this.hal.display.setLine(LINE_TFTP, 'TFTP ' + candidateText(list[0]));
    return true;
  }
}

export class BootSequence {
  readonly iface: NetInterface;
  readonly discovery: DiscoveryService;
  readonly address: AddressAgent;
  readonly pipeline: Pipeline;
  private readonly hal: Hal;
  private readonly vlanStage: VlanStage;
  private readonly ipStage: IpStage;
  private readonly tftpStage: TftpServerStage;

  constructor(hal: Hal, options: BootOptions) {
    this.hal = hal;
    const self = this;
    this.iface = new NetInterface(hal);
    this.vlanStage = new VlanStage(hal, this.iface, options);
    this.ipStage = new IpStage(hal, this.iface, this.vlanStage, options);
    this.tftpStage = new TftpServerStage(hal, this.ipStage, options.settings);
    this.discovery = this.vlanStage.discovery;
    this.address = this.ipStage.address;
    this.pipeline = new Pipeline([this.vlanStage, this.ipStage, this.tftpStage], {
      system: hal.system,
      display: hal.display,
      statusLine: LINE_STATUS,
      completeText: 'Requesting configuration',
      onComplete: function (): void {
        if (options.onComplete !== undefined) options.onComplete(self);
      },
    });
  }

  /** The boot state: the stage at work, 'ready', 'failed' or 'off'. */
  get state(): BootState {
    return this.pipeline.state as BootState;
  }

  get lease(): Lease | null {
    return this.ipStage.lease;
  }

  get tftpServers(): TftpCandidate[] {
    return this.tftpStage.servers;
  }

  get vlan(): number {
    return this.vlanStage.vlan;
  }

  start(): void {
    const self = this;
    // The boot sequence owns the port's link callback (one handler per port).
    this.hal.eth.onLinkChange(function (up: boolean): void { self.onLink(up); });
    if (this.hal.eth.linkUp()) {
      this.pipeline.linkUp();
    } else {
      this.hal.display.setLine(LINE_STATUS, 'Waiting for network');
      this.hal.system.log(LOG_INFO, 'boot', 'link down: waiting for the network');
    }
  }

  private onLink(up: boolean): void {
    this.hal.system.log(up ? LOG_INFO : LOG_WARN, 'boot', up ? 'link up' : 'link down');
    if (up) this.pipeline.linkUp();
    else this.pipeline.linkDown('Waiting for network');
  }
}
