/**
 * The boot sequence of DESIGN.md section 1 as one explicit state machine. Step 2 (the image)
 * is the loader's; this machine starts when the image runs.
 *
 *   POWER_VLAN -> IP -> TFTP -> READY
 *
 * - POWER_VLAN: the discovery agent advertises over CDP and LLDP-MED (power request, voice
 *   VLAN query) and reports the voice VLAN: from the admin setting, CDP, LLDP-MED, or none
 *   after its wait (then untagged). Power is negotiated in the background: the board runs
 *   on class power until an allocation arrives, and stays in low power if it is too small.
 * - IP: DHCP (INIT-REBOOT with the stored lease when there is one) or the static address
 *   from the settings. A later voice VLAN change restarts DHCP on the new VLAN.
 * - TFTP: the ordered server list (option 150, option 66, stored, alternate).
 * - READY: the last step built so far; steps 5-9 (TFTP fetch, CTL, configuration,
 *   CallManager, load ID) continue from here as they land.
 *
 * Display lines: 0 status ("Configuring VLAN", "Configuring IP", ...), 1 address,
 * 2 TFTP server, 3 power ("Low power" when short of power).
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
  /** Called once when the boot reaches READY (the image may confirm itself then). */
  onReady?: (boot: BootSequence) => void;
}

/** A TFTP server as shown: its address, or the name option 66 gave (resolved later). */
function candidateText(c: TftpCandidate): string {
  return c.ip !== 0 ? ipToString(c.ip) : c.name;
}

export class BootSequence {
  readonly iface: NetInterface;
  readonly discovery: DiscoveryService;
  readonly address: AddressAgent;
  state: BootState = 'off';
  lease: Lease | null = null;
  tftpServers: TftpCandidate[] = [];
  vlan = -1;
  private readonly hal: Hal;
  private readonly options: BootOptions;
  private readyFired = false;

  constructor(hal: Hal, options: BootOptions) {
    this.hal = hal;
    this.options = options;
    const self = this;
    this.iface = new NetInterface(hal);
    const id = options.identity;
    const config = {
      mac: hal.eth.mac(),
      loadId: id.loadId,
      platform: id.platform,
      model: id.model,
      poe: hal.poe,
      requestMw: id.requestMw,
      adminVlan: options.settings.adminVlan,
      address: function (): number { return self.iface.address(); },
      vlanWaitMs: options.vlanWaitMs,
    };
    this.discovery = new DiscoveryService(config, {
      clock: hal.clock,
      send: function (frame: Uint8Array): void { self.iface.sendFrame(frame); },
      system: hal.system,
      display: hal.display,
      statusLine: LINE_STATUS,
      powerLine: LINE_POWER,
    }, {
      voiceVlan: function (e: VoiceVlanEvent): void { self.onVoiceVlan(e); },
      power: function (e: PowerEvent): void { self.onPower(e); },
    });
    this.iface.onFrame(function (frame: Uint8Array): void { self.discovery.handleFrame(frame); });
    this.address = new AddressAgent(this.iface, hal.clock, hal.entropy, {
      mac: hal.eth.mac(),
      model: id.model,
      onEvent: function (e: DhcpEvent): void { self.onAddress(e); },
      log: function (line: string): void { hal.system.log(LOG_INFO, 'ip', line); },
    });
  }

  start(): void {
    const self = this;
    this.setState('power-vlan');
    // The boot sequence owns the port's link callback (one handler per port).
    this.hal.eth.onLinkChange(function (up: boolean): void { self.onLink(up); });
    if (this.hal.eth.linkUp()) {
      this.discovery.start();
    } else {
      this.hal.display.setLine(LINE_STATUS, 'Waiting for network');
      this.hal.system.log(LOG_INFO, 'boot', 'link down: waiting for the network');
    }
  }

  private onLink(up: boolean): void {
    this.hal.system.log(up ? LOG_INFO : LOG_WARN, 'boot', up ? 'link up' : 'link down');
    if (!up) {
      this.discovery.stop();
      if (this.state === 'power-vlan') this.hal.display.setLine(LINE_STATUS, 'Waiting for network');
      return;
    }
    // CDP/LLDP again from the start (the switch forgot us on link-down); a held lease is
    // checked again by INIT-REBOOT since the phone may now sit on another port or switch.
    this.discovery.start();
    if (this.state !== 'power-vlan') this.address.restart();
  }

  private setState(next: BootState): void {
    if (next === this.state) return;
    this.hal.system.log(LOG_INFO, 'boot', this.state + ' -> ' + next);
    this.state = next;
  }

  private onVoiceVlan(e: VoiceVlanEvent): void {
    // vlan 0 means untagged (no answer, or the switch said none).
    const vid = e.vlan > 0 ? e.vlan : 0;
    const changed = vid !== this.vlan;
    this.vlan = vid;
    this.iface.setVlan(vid, vid > 0 ? e.pcp : 0);
    this.hal.system.log(LOG_INFO, 'boot', vid > 0
      ? 'voice VLAN ' + vid + ' (' + e.source + ', priority ' + e.pcp + ')'
      : 'no voice VLAN (' + e.source + '): untagged');
    if (this.state === 'power-vlan') {
      this.startIp();
    } else if (changed) {
      // The address belongs to the old VLAN's subnet: ask again on the new one.
      this.hal.system.log(LOG_WARN, 'boot', 'voice VLAN changed: asking for an address again');
      this.address.restart();
    }
  }

  private onPower(e: PowerEvent): void {
    this.hal.system.log(e.lowPower ? LOG_WARN : LOG_INFO, 'boot', powerText(e));
  }

  private startIp(): void {
    this.setState('ip');
    this.hal.display.setLine(LINE_STATUS, 'Configuring IP');
    // DHCP (INIT-REBOOT with the stored lease), or the static address; static settings that
    // do not validate fall back to DHCP inside the agent.
    this.address.start(this.options.settings);
  }

  private onAddress(e: DhcpEvent): void {
    if (e.kind === 'bound') {
      if (e.lease.source === 'dhcp' && this.options.saveLease !== undefined) this.options.saveLease(e.lease);
      this.bound(e.lease);
    } else if (e.kind === 'renewed') {
      this.lease = e.lease;
      if (this.options.saveLease !== undefined) this.options.saveLease(e.lease);
    } else if (e.kind === 'nak' || e.kind === 'conflict-declined') {
      this.hal.system.log(LOG_WARN, 'boot', e.kind === 'nak' ? 'DHCP NAK: asking again' : 'address in use by another host: declined');
    } else if (e.kind === 'lost') {
      this.lease = null;
      this.hal.display.setLine(LINE_ADDRESS, '');
      this.hal.display.setLine(LINE_STATUS, 'Configuring IP');
      this.setState('ip');
    }
  }

  private bound(lease: Lease): void {
    this.lease = lease;
    this.hal.display.setLine(LINE_ADDRESS, 'IP ' + ipToString(lease.address) +
      (this.vlan > 0 ? ' VLAN ' + this.vlan : ''));
    this.setState('tftp');
    this.tftpServers = tftpCandidates(lease, this.options.settings);
    if (this.tftpServers.length === 0) {
      this.hal.system.log(LOG_WARN, 'boot', 'no TFTP server: none from DHCP (150/66) and none stored');
      this.hal.display.setLine(LINE_STATUS, 'No TFTP server');
      return;
    }
    this.hal.display.setLine(LINE_TFTP, 'TFTP ' + candidateText(this.tftpServers[0]));
    let list = '';
    for (let i = 0; i < this.tftpServers.length; i++) {
      const c = this.tftpServers[i];
      list += (i > 0 ? ', ' : '') + candidateText(c) + ' (' + c.source + ')';
    }
    this.hal.system.log(LOG_INFO, 'boot', 'TFTP servers: ' + list);
    this.setState('ready');
    this.hal.display.setLine(LINE_STATUS, 'Requesting configuration');
    if (!this.readyFired) {
      this.readyFired = true;
      if (this.options.onReady !== undefined) this.options.onReady(this);
    }
  }
}
