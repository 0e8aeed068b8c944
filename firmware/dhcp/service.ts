/**
 * The glue of boot step 4: binds the sans-IO DhcpClient (client.ts) to the network
 * interface (UDP port 68, RFC 5227 probe and conflict reports) and to the clock through the
 * one Driver (firmware/driver.ts), and
 * applies what it learns to the interface (address, mask, gateway, DNS). The static path
 * (`AddressAgent` with settings in static mode) applies the configured address instead and
 * never sends a DHCP packet. Both report through the same DhcpEvent ('bound' carries a
 * Lease whose `source` says which path gave it).
 *
 * The interface is named by the structural type `DhcpNetIf`, which firmware/net/iface.ts's
 * NetInterface satisfies, so this file does not depend on the stack's internals.
 */
import type { Clock, TimerId } from '../../hal/clock';
import type { Entropy } from '../../hal/entropy';
import type { DhcpClientConfig, DhcpEvent, DhcpOutput, DhcpState, RetryPolicy } from './client';
import { DhcpMachine } from './machine';
import { Driver } from '../driver';
import { DhcpRepr, CLIENT_PORT, SERVER_PORT, MAX_MESSAGE_LEN } from './wire';
import { loadDhcpCodec } from '../lazy/dhcp';
import { Lease, describeLease } from './lease';
import { NetworkSettings, staticLease } from '../netconfig';
import { ipToString } from '../../lib/bytes';

/** How long the address outlives a DHCPRELEASE (so the unicast RELEASE can resolve ARP and leave). */
export const RELEASE_GRACE_MS = 2000;

/** What the DHCP glue needs of the network interface. */
export interface DhcpNetIf {
  udpOpen(localPort: number, onDatagram: (data: Uint8Array, srcIp: number, srcPort: number, dstIp: number) => void): DhcpUdpSocket | null;
  setAddress(ip: number, mask: number, gateway: number): void;
  setDnsServers(servers: number[], domain: string): void;
  /** RFC 5227 probe; `done(conflict)` once it is known. */
  probeAddress(ip: number, done: (conflict: boolean) => void): void;
  /** RFC 5227 announcement of an address now in use. */
  announce(ip: number): void;
  /** Another host claims our address (after the interface's own defence). */
  onConflict(handler: (ip: number) => void): void;
}

export interface DhcpUdpSocket {
  sendTo(dstIp: number, dstPort: number, data: Uint8Array): boolean;
  close(): void;
}

export interface DhcpServiceOptions {
  mac: Uint8Array;
  /** Phone model for option 60 ("7942G", "8845"). */
  model: string;
  hostName?: string;
  retry?: RetryPolicy;
  selectWindowMs?: number;
  checkAddress?: boolean;
  probeTimeoutMs?: number;
  /** Every event, after the interface has been updated. */
  onEvent?: (e: DhcpEvent) => void;
  /** One line per state change and decision. */
  log?: (line: string) => void;
}

/** What every event means for the interface. */
function applyEvent(iface: DhcpNetIf, e: DhcpEvent, log: ((line: string) => void) | null, probed: number): void {
  if (e.kind === 'bound' || e.kind === 'renewed') {
    const l = e.lease;
    if (e.kind === 'bound') {
      iface.setAddress(l.address, l.mask, l.gateway);
      // The probe announces the address it cleared (RFC 5227 2.3); otherwise announce here.
      if (probed !== l.address) iface.announce(l.address);
      if (log !== null) log('dhcp: bound ' + describeLease(l));
    } else if (log !== null) {
      log('dhcp: renewed ' + describeLease(l));
    }
    iface.setDnsServers(l.dnsServers, l.domain);
  } else if (e.kind === 'lost') {
    // After a RELEASE the address stays a moment so the unicast RELEASE (maybe waiting
    // for ARP) can leave; DhcpService.stop clears it after RELEASE_GRACE_MS.
    if (e.reason !== 'released') iface.setAddress(0, 0, 0);
    if (log !== null) log('dhcp: lost ' + ipToString(e.address) + ' (' + e.reason + ')');
  } else if (e.kind === 'conflict-declined') {
    if (log !== null) log('dhcp: ' + ipToString(e.address) + ' in use by another host: declined');
  } else if (log !== null) {
    log('dhcp: NAK from ' + ipToString(e.serverId) + (e.message !== '' ? ' "' + e.message + '"' : ''));
  }
}

/** The DHCP client on a live interface: one UDP socket, driven by the one Driver. */
export class DhcpService {
  /** The client machine (machine.ts: a DhcpClient, dropped while it rests in BOUND). */
  readonly client: DhcpMachine;
  private readonly iface: DhcpNetIf;
  private readonly clock: Clock;
  private readonly logLine: ((line: string) => void) | null;
  private readonly txBuf: Uint8Array = new Uint8Array(MAX_MESSAGE_LEN);
  private readonly driver: Driver<DhcpOutput, DhcpEvent>;
  private sock: DhcpUdpSocket | null = null;
  private releaseTimer: TimerId | null = null;
  private running = false;
  /** Address the interface's RFC 5227 probe cleared (it announces that one itself). */
  private probedOk = 0;

  constructor(iface: DhcpNetIf, clock: Clock, entropy: Entropy, opts: DhcpServiceOptions) {
    this.iface = iface;
    this.clock = clock;
    const onEvent = opts.onEvent !== undefined ? opts.onEvent : null;
    this.logLine = opts.log !== undefined ? opts.log : null;
    const self = this;
    const cfg: DhcpClientConfig = {
      mac: opts.mac,
      model: opts.model,
      random: function (): number { return entropy.u32(); },
      onStateChange: function (from: DhcpState, to: DhcpState): void { self.log('dhcp: ' + from + ' -> ' + to); },
    };
    if (opts.hostName !== undefined) cfg.hostName = opts.hostName;
    if (opts.retry !== undefined) cfg.retry = opts.retry;
    if (opts.selectWindowMs !== undefined) cfg.selectWindowMs = opts.selectWindowMs;
    if (opts.checkAddress !== undefined) cfg.checkAddress = opts.checkAddress;
    if (opts.probeTimeoutMs !== undefined) cfg.probeTimeoutMs = opts.probeTimeoutMs;
    const client = new DhcpMachine(cfg);
    this.client = client;
    const out: DhcpOutput = {
      send: function (dstIp: number, msg: DhcpRepr): void { self.send(dstIp, msg); },
      probe: function (address: number): void {
        self.log('dhcp: probing ' + ipToString(address));
        iface.probeAddress(address, function (conflict: boolean): void {
          self.probedOk = conflict ? 0 : address;
          client.probeResult(address, conflict, self.clock.now());
          self.driver.kick();
        });
      },
    };
    this.driver = new Driver(clock, client, out, function (e: DhcpEvent): void {
      applyEvent(iface, e, self.logLine, self.probedOk);
      if (onEvent !== null) onEvent(e);
    });
    iface.onConflict(function (address: number): void {
      if (!self.running) return;
      client.conflict(address, self.clock.now());
      self.driver.kick();
    });
  }

  /** Open port 68 and start (INIT-REBOOT when `lastLease` is given). False if the port is taken. */
  start(lastLease?: Lease | null): boolean {
    this.cancelReleaseTimer();
    if (!this.running) {
      const self = this;
      const s = this.iface.udpOpen(CLIENT_PORT, function (data: Uint8Array, srcIp: number, srcPort: number): void {
        if (srcPort !== SERVER_PORT) return;
        self.client.process(data, srcIp, self.clock.now());
        self.driver.kick();
      });
      if (s === null) {
        this.log('dhcp: UDP port 68 unavailable');
        return false;
      }
      this.sock = s;
      this.running = true;
    }
    this.client.start(this.clock.now(), lastLease);
    this.driver.start();
    return true;
  }

  /** Start over (link back up, VLAN changed): INIT-REBOOT with the current lease. */
  restart(): void {
    if (!this.running) return;
    this.client.restart(this.clock.now());
    this.driver.kick();
  }

  /** Stop; with `release`, DHCPRELEASE first. Closes port 68 and clears the address. */
  stop(release?: boolean): void {
    if (!this.running) return;
    this.client.stop(this.clock.now(), release);
    this.driver.kick();
    this.driver.stop();
    this.running = false;
    if (this.sock !== null) this.sock.close();
    this.sock = null;
    if (release) {
      const self = this;
      this.cancelReleaseTimer();
      this.releaseTimer = this.clock.setTimer(RELEASE_GRACE_MS, function (): void {
        self.releaseTimer = null;
        if (!self.running) self.iface.setAddress(0, 0, 0);
      });
    }
  }

  private cancelReleaseTimer(): void {
    if (this.releaseTimer !== null) this.clock.clearTimer(this.releaseTimer);
    this.releaseTimer = null;
  }

  private log(line: string): void {
    if (this.logLine !== null) this.logLine(line);
  }

  private send(dstIp: number, msg: DhcpRepr): void {
    if (this.sock === null) return;
    const codec = loadDhcpCodec();
    const n = codec.bufferLen(msg);
    if (n > this.txBuf.length) return;
    codec.emit(msg, this.txBuf, 0);
    this.sock.sendTo(dstIp, SERVER_PORT, this.txBuf.subarray(0, n));
  }
}

/**
 * Boot step 4 as one object: DHCP or static, from NetworkSettings. Static settings that do
 * not validate fall back to DHCP (logged), so a bad preference cannot keep the phone off
 * the network.
 */
export class AddressAgent {
  readonly dhcp: DhcpService;
  private readonly iface: DhcpNetIf;
  private readonly clock: Clock;
  private readonly onEvent: ((e: DhcpEvent) => void) | null;
  private readonly logLine: ((line: string) => void) | null;
  private mode: 'dhcp' | 'static' | 'off' = 'off';
  private staticInUse: Lease | null = null;

  constructor(iface: DhcpNetIf, clock: Clock, entropy: Entropy, opts: DhcpServiceOptions) {
    this.iface = iface;
    this.clock = clock;
    this.onEvent = opts.onEvent !== undefined ? opts.onEvent : null;
    this.logLine = opts.log !== undefined ? opts.log : null;
    this.dhcp = new DhcpService(iface, clock, entropy, opts);
  }

  /** 'dhcp' or 'static': what `start` chose. */
  activeMode(): 'dhcp' | 'static' | 'off' {
    return this.mode;
  }

  /** The lease in use (static or DHCP), or null. */
  lease(): Lease | null {
    if (this.mode === 'static') return this.staticInUse;
    if (this.mode === 'dhcp') return this.dhcp.client.currentLease();
    return null;
  }

  start(settings: NetworkSettings): void {
    if (settings.mode === 'static') {
      const r = staticLease(settings, this.clock.now());
      if (r.ok) {
        this.mode = 'static';
        this.staticInUse = r.value;
        const l = r.value;
        this.iface.setAddress(l.address, l.mask, l.gateway);
        this.iface.setDnsServers(l.dnsServers, l.domain);
        this.iface.announce(l.address);
        if (this.logLine !== null) this.logLine('ip: static ' + describeLease(l));
        if (this.onEvent !== null) this.onEvent({ kind: 'bound', lease: l });
        return;
      }
      if (this.logLine !== null) this.logLine('ip: static settings rejected (' + r.error + ': ' + r.detail + '), using DHCP');
    }
    this.mode = 'dhcp';
    this.dhcp.start(settings.lastLease);
  }

  /** Link back or VLAN changed: DHCP re-runs INIT-REBOOT; static keeps its address. */
  restart(): void {
    if (this.mode === 'dhcp') this.dhcp.restart();
    else if (this.mode === 'static' && this.staticInUse !== null) this.iface.announce(this.staticInUse.address);
  }

  stop(release?: boolean): void {
    if (this.mode === 'dhcp') this.dhcp.stop(release);
    else if (this.mode === 'static') this.iface.setAddress(0, 0, 0);
    this.mode = 'off';
    this.staticInUse = null;
  }
}
