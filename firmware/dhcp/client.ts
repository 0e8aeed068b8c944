/**
 * DHCP client, RFC 2131 in full, as a sans-IO state machine (smoltcp socket/dhcpv4.rs
 * shape): the caller feeds received messages with `process(bytes, srcIp, now)`, asks when
 * to wake up with `pollAt()`, lets it transmit with `dispatch(now, out)`, and drains
 * events with `poll()`. Time is hal clock milliseconds passed in; the machine owns no
 * timer and no socket. firmware/dhcp/service.ts binds it to a NetInterface and the clock.
 *
 * States (RFC 2131 figure 5):
 *   INIT -> SELECTING (DISCOVER, offers collected) -> REQUESTING (REQUEST, broadcast)
 *   -> CHECKING (RFC 5227 probe of the offered address) -> BOUND
 *   BOUND -T1-> RENEWING (REQUEST unicast to the server) -T2-> REBINDING (broadcast)
 *   RENEWING/REBINDING -expiry-> INIT (event 'lost')
 *   INIT-REBOOT (last lease) -> REBOOTING (REQUEST with option 50, no 54) -> CHECKING
 *   NAK in REQUESTING/REBOOTING/RENEWING/REBINDING -> INIT
 *   conflict in CHECKING or while bound -> DECLINE, INIT after DECLINE_WAIT (10 s, 3.1.5)
 *
 * Retransmission (4.1): 4, 8, 16, 32, 64, 64... s, each +/- 1 s of jitter from the HAL
 * entropy. DISCOVER retransmits forever (same xid, so a late OFFER still counts);
 * REQUEST in REQUESTING gives up after `requestTries` sends, INIT-REBOOT after
 * `rebootTries`, both back to INIT. RENEWING/REBINDING retransmit after half the time
 * left to T2 / expiry, at least 60 s (4.4.5).
 *
 * Selecting: an OFFER carrying option 150 is taken at once; otherwise the client waits
 * `selectWindowMs` after the first offer for one that does, then takes the first offer.
 *
 * Gates on every received message, in order (lwIP dhcp_recv): parse (else counted
 * `malformed`), op BOOTREPLY, chaddr is ours, xid is ours, a DHCP message type, then the
 * (type, state) dispatch; anything else is counted `ignored`. A reply that parses but
 * cannot be used (OFFER/ACK without yiaddr, ACK without a lease time) counts `malformed`.
 *
 * Deviations, stated: no random 1-10 s wait before the first DISCOVER (4.4.1 SHOULD):
 * a phone that just got power wants its address; `startDelayMaxMs` adds one if wanted.
 * Lease times count from the last REQUEST sent (conservative, 4.4.1 allows either).
 * After repeated NAKs the next DISCOVER waits 4, 8, ... 64 s so a broken server cannot
 * make the client flood the wire.
 */
import { ok, fail, Result } from '../../lib/result';
import { macToDeviceId } from '../../lib/bytes';
import {
  DhcpRepr, emptyRepr, sameMac,
  OP_BOOTREQUEST, OP_BOOTREPLY,
  DHCPDISCOVER, DHCPOFFER, DHCPREQUEST, DHCPDECLINE, DHCPACK, DHCPNAK, DHCPRELEASE,
  OPT_SUBNET_MASK, OPT_TFTP_SERVER_NAME, OPT_DNS, OPT_ROUTER, OPT_DOMAIN_NAME, OPT_CISCO_TFTP,
  OPT_ARP_CACHE_TIMEOUT, OPT_NTP,
} from './wire';
import { Lease, INFINITE_LEASE } from './lease';
import { loadDhcpCodec } from '../lazy/dhcp';

export type DhcpState =
  | 'INIT' | 'SELECTING' | 'REQUESTING' | 'CHECKING' | 'BOUND' | 'RENEWING' | 'REBINDING'
  | 'INIT-REBOOT' | 'REBOOTING' | 'STOPPED';

export type LostReason = 'expired' | 'nak' | 'conflict' | 'released' | 'stopped' | 'changed';

export type DhcpEvent =
  /** A new address is ours (first bind, after INIT-REBOOT, or a changed address). */
  | { kind: 'bound'; lease: Lease }
  /** Same address, new lease times/options (RENEWING or REBINDING answered). */
  | { kind: 'renewed'; lease: Lease }
  /** The address must not be used any more. */
  | { kind: 'lost'; address: number; reason: LostReason }
  /** A conflict was found; DECLINE sent; a new address will be sought after a wait. */
  | { kind: 'conflict-declined'; address: number }
  /** A server refused us (option 56 text in `message`). */
  | { kind: 'nak'; serverId: number; message: string };

/** What dispatch may do: send one message (src port 68, dst port 67) or ask for a probe. */
export interface DhcpOutput {
  /** dstIp 0xffffffff = broadcast; otherwise unicast to the server (RENEWING, RELEASE). */
  send(dstIp: number, msg: DhcpRepr): void;
  /** Start an RFC 5227 probe of `address`; answer with `probeResult`. */
  probe(address: number): void;
}

/** Retransmission policy (RFC 2131 4.1), milliseconds. */
export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
  /** Uniform jitter in [-jitterMs, +jitterMs]. */
  jitterMs: number;
  /** REQUEST sends in REQUESTING before going back to INIT. */
  requestTries: number;
  /** REQUEST sends in REBOOTING before going back to INIT. */
  rebootTries: number;
  /** RENEWING/REBINDING: least wait between retransmissions (RFC: 60 s). */
  minRenewRetryMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  initialMs: 4000, maxMs: 64000, jitterMs: 1000, requestTries: 5, rebootTries: 3, minRenewRetryMs: 60000,
};

/** Parameter request list of a Cisco phone (reference/cisco_protocols.md section 3) + NTP. */
export const CISCO_PRL = [OPT_SUBNET_MASK, OPT_TFTP_SERVER_NAME, OPT_DNS, OPT_ROUTER, OPT_DOMAIN_NAME,
  OPT_CISCO_TFTP, OPT_ARP_CACHE_TIMEOUT, OPT_NTP];

/** RFC 2131 3.1.5: wait at least 10 s after a DECLINE before starting again. */
export const DECLINE_WAIT_MS = 10000;
export const BROADCAST = 0xffffffff;
const MAX_OFFERS = 4;
const MAX_EVENTS = 8;

export interface DhcpClientConfig {
  mac: Uint8Array;
  /** Phone model for option 60: "7942G" -> "Cisco Systems, Inc. IP Phone CP-7942G\0". */
  model: string;
  /** u32 random source (hal.entropy.u32). */
  random: () => number;
  /** Option 12; default SEP<MAC>. */
  hostName?: string;
  retry?: RetryPolicy;
  /** Wait after the first OFFER without option 150 for a better one (default 1000 ms). */
  selectWindowMs?: number;
  /** Probe the address (RFC 5227) before using it (default true). */
  checkAddress?: boolean;
  /** Give up waiting for the probe answer after this long, assuming no conflict (default 10 s). */
  probeTimeoutMs?: number;
  /** Random wait in [0, startDelayMaxMs] before the first DISCOVER (default 0). */
  startDelayMaxMs?: number;
  /** Broadcast flag in DISCOVER/REQUEST (default true: answers come broadcast). */
  broadcastFlag?: boolean;
  /** Called on every state change (logs, display). */
  onStateChange?: (from: DhcpState, to: DhcpState) => void;
  /** Counters to go on counting in (a client recreated for a renewal: machine.ts). */
  counters?: DhcpCounters;
}

export interface DhcpCounters {
  received: number;
  /** Did not parse, or parsed but could not be used (counted and dropped). */
  malformed: number;
  /** Well formed but not for us or not for this state (wrong xid/chaddr, late, duplicate). */
  ignored: number;
  sent: number;
  discovers: number;
  requests: number;
  declines: number;
  naks: number;
}

/** Vendor class (option 60) of a Cisco phone, NUL included as real phones send it. */
export function ciscoVendorClass(model: string): string {
  return 'Cisco Systems, Inc. IP Phone CP-' + model + '\u0000';
}

/** Classful default mask for a lease that came without option 1. */
function classfulMask(ip: number): number {
  const top = ip >>> 24;
  if (top < 128) return 0xff000000;
  if (top < 192) return 0xffff0000;
  return 0xffffff00;
}

/** Lease from an ACK; null when the ACK cannot give one. `sentAt` starts the lease clock. */
export function leaseFromAck(ack: DhcpRepr, srcIp: number, fallbackServer: number, now: number): Result<Lease> {
  if (ack.yiaddr === 0 || ack.yiaddr === BROADCAST) return fail('malformed', 'ACK without a usable yiaddr');
  if (ack.leaseTime === null) return fail('malformed', 'ACK without a lease time (option 51)');
  const leaseSecs = ack.leaseTime;
  let t1 = Math.floor(leaseSecs / 2);
  let t2 = Math.floor(leaseSecs * 7 / 8);
  if (leaseSecs === INFINITE_LEASE) {
    t1 = INFINITE_LEASE;
    t2 = INFINITE_LEASE;
  } else {
    const r1 = ack.renewalTime;
    const r2 = ack.rebindingTime;
    if (r2 !== null && r2 < leaseSecs) t2 = r2;
    if (r1 !== null && r1 < t2) t1 = r1;
    if (t1 > t2) t1 = Math.floor(t2 / 2);
  }
  const mask = ack.subnetMask !== null ? ack.subnetMask : classfulMask(ack.yiaddr);
  let server = ack.serverId !== null ? ack.serverId : fallbackServer;
  if (server === 0) server = srcIp;
  return ok({
    source: 'dhcp',
    address: ack.yiaddr,
    mask: mask,
    gateway: ack.routers.length > 0 ? ack.routers[0] : 0,
    routers: ack.routers,
    dnsServers: ack.dnsServers,
    domain: ack.domainName !== null ? ack.domainName : '',
    ntpServers: ack.ntpServers,
    tftpServers: ack.tftpServers,
    tftpServerName: ack.tftpServerName !== null ? ack.tftpServerName : '',
    serverId: server,
    nextServer: ack.siaddr,
    leaseSecs: leaseSecs,
    t1Secs: t1,
    t2Secs: t2,
    acquiredAtMs: now,
  });
}

interface Offer {
  repr: DhcpRepr;
  serverId: number;
}

export function newCounters(): DhcpCounters {
  return { received: 0, malformed: 0, ignored: 0, sent: 0, discovers: 0, requests: 0, declines: 0, naks: 0 };
}

export class DhcpClient {
  readonly counters: DhcpCounters;
  private readonly mac: Uint8Array;
  private readonly random: () => number;
  private readonly retry: RetryPolicy;
  private readonly hostName: string;
  private readonly vendorClass: string;
  private readonly selectWindowMs: number;
  private readonly checkAddress: boolean;
  private readonly probeTimeoutMs: number;
  private readonly startDelayMaxMs: number;
  private readonly broadcastFlag: boolean;
  private readonly onStateChange: ((from: DhcpState, to: DhcpState) => void) | null;

  private st: DhcpState = 'STOPPED';
  private xid = 0;
  /** Transmissions in the current state (reset by setState). */
  private tries = 0;
  /** Next (re)transmission or state action; Infinity = none. */
  private nextTxAt = Infinity;
  /** When the current exchange began (the secs field). */
  private startedAt = 0;
  /** When the last REQUEST went out (lease times count from it). */
  private requestSentAt = 0;
  /** SELECTING: offers so far and when the window closes. */
  private offers: Offer[] = [];
  private windowEndsAt = Infinity;
  /** REQUESTING: the chosen offer. */
  private chosen: Offer | null = null;
  /** CHECKING..REBINDING: the lease (CHECKING: the candidate). */
  private lease: Lease | null = null;
  /** An address to ask for again (last lease or a failed INIT-REBOOT); 0 = none. */
  private hintIp = 0;
  /** CHECKING: probe asked / deadline. */
  private probeAsked = false;
  /** A DECLINE or RELEASE waiting for dispatch. */
  private pending: DhcpRepr | null = null;
  private pendingDst = BROADCAST;
  private consecutiveNaks = 0;
  private events: DhcpEvent[] = [];

  constructor(config: DhcpClientConfig) {
    if (!config.mac || config.mac.length !== 6) throw new TypeError('DhcpClient: mac must be 6 bytes');
    if (typeof config.random !== 'function') throw new TypeError('DhcpClient: random source required');
    this.counters = config.counters !== undefined ? config.counters : newCounters();
    this.mac = config.mac;
    this.random = config.random;
    this.retry = config.retry !== undefined ? config.retry : DEFAULT_RETRY;
    this.hostName = config.hostName !== undefined ? config.hostName : 'SEP' + macToDeviceId(config.mac);
    this.vendorClass = ciscoVendorClass(config.model);
    this.selectWindowMs = config.selectWindowMs !== undefined ? config.selectWindowMs : 1000;
    this.checkAddress = config.checkAddress !== undefined ? config.checkAddress : true;
    this.probeTimeoutMs = config.probeTimeoutMs !== undefined ? config.probeTimeoutMs : 10000;
    this.startDelayMaxMs = config.startDelayMaxMs !== undefined ? config.startDelayMaxMs : 0;
    this.broadcastFlag = config.broadcastFlag !== undefined ? config.broadcastFlag : true;
    this.onStateChange = config.onStateChange !== undefined ? config.onStateChange : null;
  }

  // ---- public API -------------------------------------------------------------------

  state(): DhcpState {
    return this.st;
  }

  /** The lease in use (BOUND, RENEWING, REBINDING), else null. */
  currentLease(): Lease | null {
    if (this.st === 'BOUND' || this.st === 'RENEWING' || this.st === 'REBINDING') return this.lease;
    return null;
  }

  /**
   * Begin. With `lastLease` (from preferences) the client starts in INIT-REBOOT and asks
   * for the same address; otherwise INIT.
   */
  start(now: number, lastLease?: Lease | null): void {
    this.begin(now, lastLease && lastLease.source === 'dhcp' ? lastLease.address : 0);
  }

  /** INIT-REBOOT asking for `hint` when it is not 0, else INIT. */
  private begin(now: number, hint: number): void {
    this.clearExchange();
    this.lease = null;
    this.pending = null;
    this.consecutiveNaks = 0;
    const delay = this.startDelayMaxMs > 0 ? this.random() % (this.startDelayMaxMs + 1) : 0;
    this.hintIp = hint;
    this.setState(hint !== 0 ? 'INIT-REBOOT' : 'INIT');
    this.nextTxAt = now + delay;
  }

  /**
   * Go on in BOUND with `lease`, as the client that bound it would (no state change is
   * reported): machine.ts drops the client while it rests in BOUND and makes a new one
   * for the renewal, a conflict, a restart or a stop.
   */
  resumeBound(now: number, lease: Lease): void {
    this.clearExchange();
    this.pending = null;
    this.consecutiveNaks = 0;
    this.lease = lease;
    this.hintIp = lease.address;
    this.st = 'BOUND';
    this.tries = 0;
    this.nextTxAt = lease.leaseSecs === INFINITE_LEASE ? Infinity : this.t1At(lease);
    if (this.nextTxAt < now) this.nextTxAt = now;
  }

  /** In BOUND with nothing to send or report: all it holds is the lease and T1. */
  resting(): boolean {
    return this.st === 'BOUND' && this.pending === null && this.events.length === 0;
  }

  /**
   * Start over on a possibly different network (link came back, VLAN changed): with a
   * lease in hand, INIT-REBOOT with it (RFC 2131 3.2); else INIT. The old address is lost.
   */
  restart(now: number): void {
    const l = this.currentLease();
    if (l) {
      this.push({ kind: 'lost', address: l.address, reason: 'changed' });
      this.begin(now, l.address);
    } else {
      // Still asking for the stored address (INIT-REBOOT/REBOOTING): ask again, keeping it
      // (dropping it here sent a DISCOVER right behind the INIT-REBOOT REQUEST).
      const rebooting = this.st === 'INIT-REBOOT' || this.st === 'REBOOTING';
      this.begin(now, rebooting ? this.hintIp : 0);
    }
  }

  /** Stop; with `release` and a lease, send DHCPRELEASE first (dispatch sends it). */
  stop(now: number, release?: boolean): void {
    const l = this.currentLease();
    if (l) {
      if (release) {
        const m = this.request(DHCPRELEASE, now);
        m.ciaddr = l.address;
        m.serverId = l.serverId;
        m.parameterRequestList = null;
        m.vendorClass = null;
        m.hostName = null;
        m.maxMessageSize = null;
        m.broadcast = false;
        this.pending = m;
        this.pendingDst = l.serverId;
      }
      this.push({ kind: 'lost', address: l.address, reason: release ? 'released' : 'stopped' });
    }
    this.clearExchange();
    this.lease = null;
    this.setState('STOPPED');
  }

  /** Next time `dispatch` has work; Infinity when none. */
  pollAt(): number {
    if (this.pending !== null) return 0;
    let t = this.nextTxAt;
    if (this.st === 'SELECTING' && this.windowEndsAt < t) t = this.windowEndsAt;
    return t;
  }

  /** Next event, or null. */
  poll(): DhcpEvent | null {
    if (this.events.length === 0) return null;
    return this.events.shift() as DhcpEvent;
  }

  /** The answer to an `out.probe(address)`: true when another host has the address. */
  probeResult(address: number, conflict: boolean, now: number): void {
    if (this.st !== 'CHECKING' || this.lease === null || this.lease.address !== address) return;
    if (conflict) {
      this.decline(now, false);
    } else {
      this.bind(now);
    }
  }

  /**
   * Another host uses our address (the interface's RFC 5227 conflict report while bound,
   * or a probe answer arriving late): DECLINE it and start over after DECLINE_WAIT_MS.
   */
  conflict(address: number, now: number): void {
    if (this.lease === null || this.lease.address !== address) return;
    if (this.st === 'CHECKING') {
      this.decline(now, false);
    } else if (this.st === 'BOUND' || this.st === 'RENEWING' || this.st === 'REBINDING') {
      this.decline(now, true);
    }
  }

  /** Feed one received UDP payload (port 68). Never throws on its content. */
  process(bytes: Uint8Array, srcIp: number, now: number): void {
    this.counters.received++;
    const res = loadDhcpCodec().parse(bytes);
    if (!res.ok) {
      this.counters.malformed++;
      return;
    }
    const r = res.value;
    if (r.op !== OP_BOOTREPLY || !sameMac(r.chaddr, this.mac) || r.xid !== this.xid || r.messageType === 0) {
      this.counters.ignored++;
      return;
    }
    const t = r.messageType;
    switch (this.st) {
      case 'SELECTING':
        if (t === DHCPOFFER) { this.handleOffer(r, srcIp, now); return; }
        break;
      case 'REQUESTING':
        if (t === DHCPACK || t === DHCPNAK) {
          const want = this.chosen !== null ? this.chosen.serverId : 0;
          if (r.serverId !== null && want !== 0 && r.serverId !== want) break;
          if (t === DHCPACK) this.handleAck(r, srcIp, now);
          else this.handleNak(r, now);
          return;
        }
        break;
      case 'REBOOTING':
      case 'RENEWING':
      case 'REBINDING':
        if (t === DHCPACK) { this.handleAck(r, srcIp, now); return; }
        if (t === DHCPNAK) { this.handleNak(r, now); return; }
        break;
      default:
        break;
    }
    this.counters.ignored++;
  }

  /** Do what is due at `now`: at most one transmission or probe request. */
  dispatch(now: number, out: DhcpOutput): void {
    if (this.pending !== null) {
      const m = this.pending;
      const dst = this.pendingDst;
      this.pending = null;
      this.transmit(out, dst, m, now);
      return;
    }
    switch (this.st) {
      case 'INIT':
        if (now < this.nextTxAt) return;
        this.xid = this.random() >>> 0;
        this.startedAt = now;
        this.setState('SELECTING');
        this.sendDiscover(now, out);
        return;
      case 'INIT-REBOOT':
        if (now < this.nextTxAt) return;
        this.xid = this.random() >>> 0;
        this.startedAt = now;
        this.setState('REBOOTING');
        this.sendReboot(now, out);
        return;
      case 'SELECTING':
        if (this.offers.length > 0 && now >= this.windowEndsAt) {
          this.select(now, out);
          return;
        }
        if (now >= this.nextTxAt) this.sendDiscover(now, out);
        return;
      case 'REQUESTING':
        if (now < this.nextTxAt) return;
        if (this.tries >= this.retry.requestTries) {
          this.toInit(now, 0);
          return;
        }
        this.sendSelectingRequest(now, out);
        return;
      case 'REBOOTING':
        if (now < this.nextTxAt) return;
        if (this.tries >= this.retry.rebootTries) {
          this.toInit(now, 0);
          return;
        }
        this.sendReboot(now, out);
        return;
      case 'CHECKING':
        if (this.lease === null) return;
        if (!this.probeAsked) {
          this.probeAsked = true;
          this.nextTxAt = now + this.probeTimeoutMs;
          out.probe(this.lease.address);
          return;
        }
        if (now >= this.nextTxAt) this.bind(now);   // no answer: nobody objected
        return;
      case 'BOUND':
        if (now < this.nextTxAt || this.lease === null) return;
        this.startedAt = now;
        this.xid = this.random() >>> 0;   // a new exchange
        this.setState('RENEWING');
        this.sendRenew(now, out, false);
        return;
      case 'RENEWING':
      case 'REBINDING': {
        if (now < this.nextTxAt || this.lease === null) return;
        const l = this.lease;
        if (now >= this.expiresAt(l)) {
          this.push({ kind: 'lost', address: l.address, reason: 'expired' });
          this.lease = null;
          this.hintIp = l.address;
          this.toInit(now, 0);
          return;
        }
        if (this.st === 'RENEWING' && now >= this.t2At(l)) {
          this.setState('REBINDING');
        }
        this.sendRenew(now, out, this.st === 'REBINDING');
        return;
      }
      default:
        return;
    }
  }

  // ---- transitions -------------------------------------------------------------------

  /** The one place state changes: resets the per-state retry count, logs. */
  private setState(to: DhcpState): void {
    const from = this.st;
    this.st = to;
    this.tries = 0;
    this.nextTxAt = Infinity;
    if (from !== to && this.onStateChange !== null) this.onStateChange(from, to);
  }

  private clearExchange(): void {
    this.offers = [];
    this.windowEndsAt = Infinity;
    this.chosen = null;
    this.probeAsked = false;
  }

  private toInit(now: number, waitMs: number): void {
    this.clearExchange();
    this.lease = null;
    this.setState('INIT');
    this.nextTxAt = now + waitMs;
  }

  private push(e: DhcpEvent): void {
    if (this.events.length >= MAX_EVENTS) this.events.shift();
    this.events.push(e);
  }

  private handleOffer(r: DhcpRepr, srcIp: number, now: number): void {
    if (r.yiaddr === 0 || r.yiaddr === BROADCAST) {
      this.counters.malformed++;
      return;
    }
    const server = r.serverId !== null ? r.serverId : srcIp;
    for (let i = 0; i < this.offers.length; i++) {
      if (this.offers[i].serverId === server) {
        this.counters.ignored++;   // duplicate from the same server (retransmitted DISCOVER)
        return;
      }
    }
    if (this.offers.length >= MAX_OFFERS) {
      this.counters.ignored++;
      return;
    }
    this.offers.push({ repr: r, serverId: server });
    if (r.tftpServers.length > 0) this.windowEndsAt = now;
    else if (this.offers.length === 1) this.windowEndsAt = now + this.selectWindowMs;
  }

  private select(now: number, out: DhcpOutput): void {
    let pick = this.offers[0];
    for (let i = 0; i < this.offers.length; i++) {
      if (this.offers[i].repr.tftpServers.length > 0) { pick = this.offers[i]; break; }
    }
    this.clearExchange();
    this.chosen = pick;
    this.setState('REQUESTING');
    this.sendSelectingRequest(now, out);
  }

  private handleAck(r: DhcpRepr, srcIp: number, now: number): void {
    const fallback = this.chosen !== null ? this.chosen.serverId : (this.lease !== null ? this.lease.serverId : 0);
    const res = leaseFromAck(r, srcIp, fallback, this.requestSentAt);
    if (!res.ok) {
      this.counters.malformed++;
      return;
    }
    const fresh = res.value;
    const old = this.lease;
    if ((this.st === 'RENEWING' || this.st === 'REBINDING') && old !== null) {
      if (old.address === fresh.address) {
        this.lease = fresh;
        this.consecutiveNaks = 0;
        this.enterBound(now);
        this.push({ kind: 'renewed', lease: fresh });
        return;
      }
      this.push({ kind: 'lost', address: old.address, reason: 'changed' });
    }
    this.chosen = null;
    this.lease = fresh;
    if (this.checkAddress) {
      this.setState('CHECKING');
      this.probeAsked = false;
      this.nextTxAt = now;
    } else {
      this.bind(now);
    }
  }

  private handleNak(r: DhcpRepr, now: number): void {
    this.counters.naks++;
    this.consecutiveNaks++;
    const server = r.serverId !== null ? r.serverId : 0;
    this.push({ kind: 'nak', serverId: server, message: r.message !== null ? r.message : '' });
    const l = this.currentLease();
    if (l) this.push({ kind: 'lost', address: l.address, reason: 'nak' });
    this.hintIp = 0;   // the server said no: do not ask for that address again
    let wait = 0;
    if (this.consecutiveNaks > 1) {
      wait = this.retry.initialMs;
      for (let i = 2; i < this.consecutiveNaks && wait < this.retry.maxMs; i++) wait *= 2;
      if (wait > this.retry.maxMs) wait = this.retry.maxMs;
    }
    this.toInit(now, wait);
  }

  /** CHECKING passed (or a renewal changed nothing that needs a probe): BOUND. */
  private bind(now: number): void {
    if (this.lease === null) return;
    this.consecutiveNaks = 0;
    this.hintIp = this.lease.address;
    this.clearExchange();
    this.enterBound(now);
    this.push({ kind: 'bound', lease: this.lease });
  }

  private enterBound(now: number): void {
    this.setState('BOUND');
    const l = this.lease as Lease;
    this.nextTxAt = l.leaseSecs === INFINITE_LEASE ? Infinity : this.t1At(l);
    if (this.nextTxAt < now) this.nextTxAt = now;
  }

  private decline(now: number, wasBound: boolean): void {
    const l = this.lease;
    if (l === null) return;
    const m = this.request(DHCPDECLINE, now);
    m.requestedIp = l.address;
    m.serverId = l.serverId;
    m.parameterRequestList = null;
    m.vendorClass = null;
    m.hostName = null;
    m.maxMessageSize = null;
    m.secs = 0;
    m.broadcast = false;
    m.message = 'address in use';
    this.pending = m;
    this.pendingDst = BROADCAST;
    this.counters.declines++;
    if (wasBound) this.push({ kind: 'lost', address: l.address, reason: 'conflict' });
    this.push({ kind: 'conflict-declined', address: l.address });
    this.hintIp = 0;
    this.toInit(now, DECLINE_WAIT_MS);
  }

  // ---- timing ------------------------------------------------------------------------

  private t1At(l: Lease): number {
    return l.acquiredAtMs + l.t1Secs * 1000;
  }

  private t2At(l: Lease): number {
    return l.acquiredAtMs + l.t2Secs * 1000;
  }

  private expiresAt(l: Lease): number {
    if (l.leaseSecs === INFINITE_LEASE) return Infinity;
    return l.acquiredAtMs + l.leaseSecs * 1000;
  }

  /** 4, 8, 16, 32, 64, 64... s for the n-th transmission (1-based), +/- jitter. */
  backoffMs(n: number): number {
    let base = this.retry.initialMs;
    for (let i = 1; i < n && base < this.retry.maxMs; i++) base *= 2;
    if (base > this.retry.maxMs) base = this.retry.maxMs;
    const j = this.retry.jitterMs;
    if (j <= 0) return base;
    return base + (this.random() % (2 * j + 1)) - j;
  }

  // ---- messages (RFC 2131 table 5) ---------------------------------------------------

  /** A BOOTREQUEST with the fields every client message carries. */
  private request(type: number, now: number): DhcpRepr {
    const m = emptyRepr(OP_BOOTREQUEST, type, this.xid, this.mac);
    let secs = Math.floor((now - this.startedAt) / 1000);
    if (secs < 0) secs = 0;
    m.secs = secs;
    m.broadcast = this.broadcastFlag;
    const id = new Uint8Array(7);
    id[0] = 1;   // hardware type Ethernet, then the MAC (RFC 2132 9.14)
    id.set(this.mac, 1);
    m.clientId = id;
    m.hostName = this.hostName;
    m.vendorClass = this.vendorClass;
    m.maxMessageSize = 1500;
    m.parameterRequestList = CISCO_PRL;
    return m;
  }

  private transmit(out: DhcpOutput, dst: number, m: DhcpRepr, now: number): void {
    this.counters.sent++;
    if (m.messageType === DHCPDISCOVER) this.counters.discovers++;
    else if (m.messageType === DHCPREQUEST) {
      this.counters.requests++;
      this.requestSentAt = now;
    }
    out.send(dst, m);
  }

  private sendDiscover(now: number, out: DhcpOutput): void {
    const m = this.request(DHCPDISCOVER, now);
    if (this.hintIp !== 0) m.requestedIp = this.hintIp;
    this.tries++;
    this.nextTxAt = now + this.backoffMs(this.tries);
    this.transmit(out, BROADCAST, m, now);
  }

  private sendSelectingRequest(now: number, out: DhcpOutput): void {
    const c = this.chosen as Offer;
    const m = this.request(DHCPREQUEST, now);
    m.requestedIp = c.repr.yiaddr;
    m.serverId = c.serverId;
    this.tries++;
    this.nextTxAt = now + this.backoffMs(this.tries);
    this.transmit(out, BROADCAST, m, now);
  }

  private sendReboot(now: number, out: DhcpOutput): void {
    const m = this.request(DHCPREQUEST, now);
    m.requestedIp = this.hintIp;
    this.tries++;
    this.nextTxAt = now + this.backoffMs(this.tries);
    this.transmit(out, BROADCAST, m, now);
  }

  /** RENEWING: unicast to the server; REBINDING: broadcast. ciaddr set, no 50/54. */
  private sendRenew(now: number, out: DhcpOutput, rebinding: boolean): void {
    const l = this.lease as Lease;
    const m = this.request(DHCPREQUEST, now);
    m.ciaddr = l.address;
    m.broadcast = false;
    this.tries++;
    const until = rebinding ? this.expiresAt(l) : this.t2At(l);
    let wait = Math.floor((until - now) / 2);
    if (wait < this.retry.minRenewRetryMs) wait = this.retry.minRenewRetryMs;
    let next = now + wait;
    if (next > until) next = until;   // wake at T2 / expiry exactly
    this.nextTxAt = next;
    this.transmit(out, rebinding ? BROADCAST : l.serverId, m, now);
  }
}
