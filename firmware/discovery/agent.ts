/**
 * The phone's discovery agent: boot steps 1 (power) and 3 (voice VLAN) of DESIGN.md.
 *
 * It speaks CDPv2 and LLDP-MED towards the switch (cdp.ts, lldp.ts) and decides:
 *  - Power. The board boots on its PoE class power. Every advertisement carries the request
 *    (CDP Power 0x10 + Power Requested 0x19 with a request id; LLDP-MED extended power, PD).
 *    A CDP Power Available (0x1a) whose request id echoes ours, or, when no CDP answer has
 *    come, an LLDP-MED extended power TLV from a PSE (or the 802.3at allocated figure), is
 *    the allocation: it is applied with PoweredDevice.applyAllocation. Below what the board
 *    needs it stays in low power and says so. A later different allocation is applied again.
 *  - Voice VLAN. An admin VLAN (preferences) wins at once. Otherwise the first answer of CDP
 *    VoIP VLAN Reply (0x0e; PCP 5) or LLDP-MED network policy for voice (VLAN, tagged flag,
 *    priority, DSCP) decides. With no answer within `vlanWaitMs` the phone goes on untagged
 *    (source 'none'). A later change of the answer in force (or a first answer after the
 *    wait) is reported again; an answer from the other protocol never overrides the one in
 *    force while that one's neighbor is alive.
 *  - Advertising. CDP every 60 s with TTL 180 and LLDP every 30 s with TTL 120, after a fast
 *    start of `fastStartCount` frames 1 s apart (LLDP-MED fast start, TIA-1057 11.2.1). An
 *    allocation change triggers an immediate CDP, so the switch sees the new draw.
 * Every malformed CDP or LLDP frame is counted (stats) and ignored; nothing here throws on
 * input.
 *
 * Shape (smoltcp sockets): a sans-IO core, `DiscoveryAgent`, with `start(now)`,
 * `process(frame, now)`, `pollAt()`, `dispatch(now, send)`, one `setState`, and an event
 * queue read with `poll()`. `DiscoveryService` binds it to hal.clock timers, a frame sender,
 * the log and (optionally) the display, and calls a listener per event.
 *
 * Deviations: the request id stays the same until the requested figure changes (lldpd bumps
 * it on every advertisement while unanswered); a Power Available with a stale request id is
 * counted in stats.powerStale and ignored. Units: mW, ms, seconds on the wire for TTLs.
 */
import type { PoweredDevice } from '../../hal/poe';
import type { Clock } from '../../hal/clock';
import { Driver } from '../driver';
import type { Display } from '../../hal/display';
import { DISPLAY_LINES } from '../../hal/display';
import type { System } from '../../hal/system';
import { LOG_INFO, LOG_WARN } from '../../hal/system';
import { macToDeviceId, bytesEqual, asciiBytes } from '../../lib/bytes';
import { describe } from '../../lib/result';
import * as cdp from './cdp';
import * as lldp from './lldp';
import { loadDiscoveryCodecs } from '../lazy/discovery';
import type { DiscoveryCodecs } from '../lazy/discovery';

export type VlanSource = 'cdp' | 'lldp' | 'admin' | 'none';
export type PowerSource = 'class' | 'cdp' | 'lldp';
export type AgentState = 'idle' | 'discovering' | 'settled';

/** Timers and counts; every field has a default (DEFAULT_TIMING). */
export interface DiscoveryTiming {
  cdpIntervalMs: number;
  cdpTtlS: number;
  lldpIntervalMs: number;
  lldpTtlS: number;
  fastStartCount: number;
  fastStartIntervalMs: number;
}

export const DEFAULT_TIMING: DiscoveryTiming = {
  cdpIntervalMs: 60000,
  cdpTtlS: 180,
  lldpIntervalMs: 30000,
  lldpTtlS: 120,
  fastStartCount: 3,
  fastStartIntervalMs: 1000,
};

/** How long the phone waits for a voice VLAN before going on untagged (default). */
export const DEFAULT_VLAN_WAIT_MS = 20000;
/** 802.1p priority Cisco phones put on voice (CoS 5), and EF for media. */
export const VOICE_PCP = 5;
export const VOICE_DSCP = 46;
export const MAX_EVENTS = 16;

export interface DiscoveryConfig {
  mac: Uint8Array;
  /** Load ID, sent as CDP Software Version and LLDP-MED software revision. */
  loadId: string;
  /** CDP Platform, e.g. "Cisco IP Phone 7960". */
  platform: string;
  poe: PoweredDevice;
  /** 'SEP' + MAC (upper case) by default. */
  deviceId?: string;
  /** LLDP-MED model name, e.g. "CP-7960G" (omitted when absent). */
  model?: string;
  /** CDP Port ID; "Port 1" by default. */
  portId?: string;
  /** The phone's IPv4 address (host order), 0 while it has none. */
  address?: () => number;
  /** Power to ask for, mW; poe.requiredMw() by default. */
  requestMw?: number;
  /** Admin VLAN from preferences (1..4094); 0 or absent = none. */
  adminVlan?: number;
  /** Priority for the admin VLAN; VOICE_PCP by default. */
  adminPcp?: number;
  /** Protocols on (both by default). */
  cdp?: boolean;
  lldp?: boolean;
  vlanWaitMs?: number;
  timing?: DiscoveryTiming;
  /** Log sink (level from hal/system LOG_*). */
  log?: (level: number, message: string) => void;
}

export interface VoiceVlanEvent {
  kind: 'voiceVlan';
  /** 1..4094, or 0 = untagged (native VLAN). */
  vlan: number;
  pcp: number;
  dscp: number;
  source: VlanSource;
  /** True when this replaces an earlier decision. */
  changed: boolean;
}

export interface PowerEvent {
  kind: 'power';
  requestedMw: number;
  /** What the switch allocated (class power for source 'class'). */
  allocatedMw: number;
  /** The budget now in force on the board. */
  budgetMw: number;
  lowPower: boolean;
  source: PowerSource;
}

export interface TrustEvent {
  kind: 'trust';
  /** CDP Trust Bitmap (0x12): bit 0 = trust the PC port's CoS. */
  trustBitmap: number;
  /** CoS to stamp on untrusted PC-port traffic (0x13). */
  untrustedCos: number;
}

export type DiscoveryEvent = VoiceVlanEvent | PowerEvent | TrustEvent;

export interface DiscoveryStats {
  cdpTx: number;
  cdpRx: number;
  cdpMalformed: number;
  lldpTx: number;
  lldpRx: number;
  lldpMalformed: number;
  powerStale: number;
  eventsDropped: number;
  /** Last parse error, for the log / status page. */
  lastError: string;
}

/** What a neighbor (the switch) said last, per protocol. */
export interface Neighbor {
  protocol: 'cdp' | 'lldp';
  /** CDP device id, or LLDP system name / chassis id as text. */
  name: string;
  port: string;
  platform: string;
  expiresAt: number;
}

interface VlanAnswer {
  vlan: number;
  pcp: number;
  dscp: number;
  at: number;
}

function vlanText(vlan: number): string {
  return vlan === 0 ? 'untagged' : 'VLAN ' + vlan;
}

/** "power: requested 12000 mW, allocated 15400 mW, full power" */
export function powerText(e: PowerEvent): string {
  return 'power: requested ' + e.requestedMw + ' mW, allocated ' + e.allocatedMw + ' mW' +
    (e.source === 'class' ? ' (class power)' : ' by ' + e.source) + ', ' + (e.lowPower ? 'low power' : 'full power');
}

export function vlanEventText(e: VoiceVlanEvent): string {
  return 'voice VLAN: ' + vlanText(e.vlan) + (e.vlan === 0 ? '' : ' pcp ' + e.pcp) + ' from ' + e.source +
    (e.changed ? ' (changed)' : '');
}

export class DiscoveryAgent {
  readonly stats: DiscoveryStats = {
    cdpTx: 0, cdpRx: 0, cdpMalformed: 0, lldpTx: 0, lldpRx: 0, lldpMalformed: 0, powerStale: 0, eventsDropped: 0,
    lastError: '',
  };
  private readonly cfg: DiscoveryConfig;
  private readonly timing: DiscoveryTiming;
  private readonly deviceId: string;
  private readonly events: DiscoveryEvent[] = [];
  private state: AgentState = 'idle';

  private requestMw: number;
  private requestId = 1;
  private managementId = 1;
  private allocatedMw = -1;
  private powerSource: PowerSource = 'class';
  private cdpPowerSeen = false;

  private vlan = -1;
  private vlanPcp = 0;
  private vlanSource: VlanSource = 'none';
  private vlanDeadline = Infinity;
  private cdpVlan: VlanAnswer | null = null;
  private lldpVlan: VlanAnswer | null = null;
  private trustBitmap = -1;
  private untrustedCos = -1;

  private cdpNeighbor: Neighbor | null = null;
  private lldpNeighbor: Neighbor | null = null;
  private nextCdpAt = Infinity;
  private nextLldpAt = Infinity;
  private cdpFast = 0;
  private lldpFast = 0;

  constructor(config: DiscoveryConfig) {
    if (!config || !config.mac || config.mac.length !== 6) throw new TypeError('DiscoveryAgent: mac must be 6 bytes');
    if (!config.poe) throw new TypeError('DiscoveryAgent: poe is required');
    const admin = config.adminVlan;
    if (admin !== undefined && admin !== 0 && !(admin >= 1 && admin <= 4094)) {
      throw new TypeError('DiscoveryAgent: adminVlan ' + admin + ' not in 1..4094');
    }
    this.cfg = config;
    this.timing = config.timing === undefined ? DEFAULT_TIMING : config.timing;
    this.deviceId = config.deviceId === undefined ? 'SEP' + macToDeviceId(config.mac) : config.deviceId;
    this.requestMw = config.requestMw === undefined ? config.poe.requiredMw() : config.requestMw;
  }

  // ---- state -------------------------------------------------------------------------

  getState(): AgentState {
    return this.state;
  }

  private setState(next: AgentState, now: number): void {
    if (next === this.state) return;
    this.log(LOG_INFO, 'state ' + this.state + ' -> ' + next + ' at ' + now + ' ms');
    this.state = next;
  }

  /** The voice VLAN decision in force: vlan -1 until decided, 0 = untagged. */
  voiceVlan(): { vlan: number; pcp: number; source: VlanSource } {
    return { vlan: this.vlan, pcp: this.vlanPcp, source: this.vlanSource };
  }

  /** The allocation in force (-1 before any), its source, and the low-power flag. */
  power(): { requestedMw: number; allocatedMw: number; source: PowerSource; lowPower: boolean } {
    return { requestedMw: this.requestMw, allocatedMw: this.allocatedMw, source: this.powerSource, lowPower: this.cfg.poe.lowPower() };
  }

  neighbors(): Neighbor[] {
    const out: Neighbor[] = [];
    if (this.cdpNeighbor !== null) out.push(this.cdpNeighbor);
    if (this.lldpNeighbor !== null) out.push(this.lldpNeighbor);
    return out;
  }

  /** Begin at link-up: class power, fast start, VLAN wait (or the admin VLAN at once). */
  start(now: number): void {
    this.setState('discovering', now);
    this.cdpNeighbor = null;
    this.lldpNeighbor = null;
    this.cdpVlan = null;
    this.lldpVlan = null;
    this.cdpPowerSeen = false;
    this.vlan = -1;
    this.cdpFast = this.timing.fastStartCount;
    this.lldpFast = this.timing.fastStartCount;
    this.nextCdpAt = this.cfg.cdp === false ? Infinity : now;
    this.nextLldpAt = this.cfg.lldp === false ? Infinity : now;
    const poe = this.cfg.poe;
    this.allocatedMw = poe.classPowerMw();
    this.powerSource = 'class';
    this.pushPower(poe.classPowerMw());
    this.log(LOG_INFO, 'power: PoE class ' + poe.poeClass() + ', ' + poe.classPowerMw() + ' mW at classification, requesting ' +
      this.requestMw + ' mW');
    const admin = this.cfg.adminVlan;
    if (admin !== undefined && admin >= 1) {
      this.decide(admin, this.cfg.adminPcp === undefined ? VOICE_PCP : this.cfg.adminPcp, VOICE_DSCP, 'admin', now);
    } else {
      this.vlanDeadline = now + (this.cfg.vlanWaitMs === undefined ? DEFAULT_VLAN_WAIT_MS : this.cfg.vlanWaitMs);
    }
  }

  /** Link down: forget the neighbors and stop sending; start() again at link-up. */
  stop(now: number): void {
    this.setState('idle', now);
    this.nextCdpAt = Infinity;
    this.nextLldpAt = Infinity;
    this.vlanDeadline = Infinity;
    this.cdpNeighbor = null;
    this.lldpNeighbor = null;
  }

  /** Ask for a different figure (a feature switched on): new request id, advertise now. */
  setRequestMw(mw: number, now: number): void {
    if (!(mw >= 0 && mw <= 0xffffffff)) throw new TypeError('DiscoveryAgent.setRequestMw: ' + mw);
    if (mw === this.requestMw) return;
    this.requestMw = mw;
    this.bumpRequestId();
    if (this.state !== 'idle' && this.cfg.cdp !== false) this.nextCdpAt = now;
    if (this.state !== 'idle' && this.cfg.lldp !== false) this.nextLldpAt = now;
  }

  private bumpRequestId(): void {
    this.requestId = this.requestId >= 0xffff ? 1 : this.requestId + 1;
  }

  // ---- input -------------------------------------------------------------------------

  /**
   * Offer one received frame. Returns true when it was CDP or LLDP (consumed, even when
   * malformed), false for anything else.
   */
  process(frame: Uint8Array, now: number): boolean {
    if (cdp.isCdpFrame(frame)) {
      if (this.state === 'idle') return true;
      const r = loadDiscoveryCodecs().parseCdp(frame);
      if (!r.ok) {
        this.stats.cdpMalformed++;
        this.stats.lastError = 'CDP ' + describe(r);
        this.log(LOG_WARN, 'dropped malformed CDP frame: ' + describe(r));
        return true;
      }
      if (bytesEqual(r.value.src, this.cfg.mac)) return true;
      this.stats.cdpRx++;
      this.onCdp(r.value.repr, now);
      return true;
    }
    if (lldp.isLldpFrame(frame)) {
      if (this.state === 'idle') return true;
      const codecs = loadDiscoveryCodecs();
      const r = codecs.parseLldp(frame);
      if (!r.ok) {
        this.stats.lldpMalformed++;
        this.stats.lastError = 'LLDP ' + describe(r);
        this.log(LOG_WARN, 'dropped malformed LLDP frame: ' + describe(r));
        return true;
      }
      if (bytesEqual(r.value.src, this.cfg.mac)) return true;
      this.stats.lldpRx++;
      this.onLldp(codecs, r.value.repr, now);
      return true;
    }
    return false;
  }

  private onCdp(p: cdp.Repr, now: number): void {
    const name = p.deviceId === undefined ? '?' : p.deviceId;
    if (this.cdpNeighbor === null || this.cdpNeighbor.name !== name) {
      this.log(LOG_INFO, 'CDP neighbor ' + name + ' port ' + (p.portId === undefined ? '?' : p.portId) +
        (p.platform === undefined ? '' : ' (' + p.platform + ')'));
    }
    this.cdpNeighbor = {
      protocol: 'cdp', name: name, port: p.portId === undefined ? '' : p.portId,
      platform: p.platform === undefined ? '' : p.platform, expiresAt: now + p.ttl * 1000,
    };
    if (p.trustBitmap !== undefined || p.untrustedCos !== undefined) {
      const t = p.trustBitmap === undefined ? 0 : p.trustBitmap;
      const c = p.untrustedCos === undefined ? 0 : p.untrustedCos;
      if (t !== this.trustBitmap || c !== this.untrustedCos) {
        this.trustBitmap = t;
        this.untrustedCos = c;
        this.push({ kind: 'trust', trustBitmap: t, untrustedCos: c });
        this.log(LOG_INFO, 'PC port: trust 0x' + t.toString(16) + ', untrusted CoS ' + c);
      }
    }
    const reply = p.voipVlanReply;
    if (reply !== undefined && reply.vlan >= 1 && reply.vlan <= 4094) {
      if (this.cdpVlan === null || this.cdpVlan.vlan !== reply.vlan) {
        this.cdpVlan = { vlan: reply.vlan, pcp: VOICE_PCP, dscp: VOICE_DSCP, at: now };
      }
      this.select(now);
    }
    const pa = p.powerAvailable;
    if (pa !== undefined) {
      if (pa.managementId !== 0) this.managementId = pa.managementId;
      if (pa.requestId === this.requestId) {
        this.cdpPowerSeen = true;
        this.applyPower(pa.availableMw, 'cdp', now);
      } else if (pa.requestId !== 0) {
        this.stats.powerStale++;
      }
    }
  }

  private onLldp(codecs: DiscoveryCodecs, p: lldp.Repr, now: number): void {
    const name = p.systemName !== undefined ? p.systemName : hexText(p.chassisId);
    if (p.ttl === 0) {
      // Shutdown LLDPDU: the neighbor is gone.
      this.lldpNeighbor = null;
      this.lldpVlan = null;
      return;
    }
    if (this.lldpNeighbor === null || this.lldpNeighbor.name !== name) {
      this.log(LOG_INFO, 'LLDP neighbor ' + name + (p.med === undefined ? '' : ' (LLDP-MED class ' + p.med.deviceClass + ')'));
    }
    this.lldpNeighbor = {
      protocol: 'lldp', name: name, port: p.portIdSubtype === lldp.PORT_MAC ? hexText(p.portId) : textOf(p.portId),
      platform: p.systemDescription === undefined ? '' : p.systemDescription, expiresAt: now + p.ttl * 1000,
    };
    const pol = codecs.voicePolicy(p);
    if (pol !== null && !pol.unknown && (!pol.tagged || (pol.vlan >= 1 && pol.vlan <= 4094))) {
      const v = pol.tagged ? pol.vlan : 0;
      if (this.lldpVlan === null || this.lldpVlan.vlan !== v || this.lldpVlan.pcp !== pol.priority) {
        this.lldpVlan = { vlan: v, pcp: pol.priority, dscp: pol.dscp, at: now };
      }
      this.select(now);
    }
    if (!this.cdpPowerSeen) {
      const ep = p.extendedPower;
      if (ep !== undefined && ep.powerType === lldp.POWER_TYPE_PSE) {
        this.applyPower(ep.powerMw, 'lldp', now);
      } else if (p.dot3Power !== undefined && p.dot3Power.allocatedMw !== undefined && (p.dot3Power.support & 1) !== 0 &&
        p.dot3Power.allocatedMw > 0) {
        this.applyPower(p.dot3Power.allocatedMw, 'lldp', now);
      }
    }
  }

  // ---- decisions ---------------------------------------------------------------------

  /** Pick the VLAN answer: the protocol in force while it answers, else the earliest. */
  private select(now: number): void {
    if (this.vlanSource === 'admin' && this.vlan >= 1) return;
    let pick: VlanAnswer | null = null;
    let source: VlanSource = 'none';
    if (this.vlanSource === 'cdp' && this.cdpVlan !== null) {
      pick = this.cdpVlan;
      source = 'cdp';
    } else if (this.vlanSource === 'lldp' && this.lldpVlan !== null) {
      pick = this.lldpVlan;
      source = 'lldp';
    } else if (this.cdpVlan !== null && (this.lldpVlan === null || this.cdpVlan.at <= this.lldpVlan.at)) {
      pick = this.cdpVlan;
      source = 'cdp';
    } else if (this.lldpVlan !== null) {
      pick = this.lldpVlan;
      source = 'lldp';
    }
    if (pick === null) return;
    if (this.vlan === pick.vlan && this.vlanPcp === pick.pcp && this.vlanSource === source) return;
    this.decide(pick.vlan, pick.pcp, pick.dscp, source, now);
  }

  private decide(vlan: number, pcp: number, dscp: number, source: VlanSource, now: number): void {
    const changed = this.vlan !== -1;
    this.vlan = vlan;
    this.vlanPcp = pcp;
    this.vlanSource = source;
    this.vlanDeadline = Infinity;
    const e: VoiceVlanEvent = { kind: 'voiceVlan', vlan: vlan, pcp: pcp, dscp: dscp, source: source, changed: changed };
    this.push(e);
    this.log(LOG_INFO, vlanEventText(e));
    this.setState('settled', now);
  }

  private applyPower(availableMw: number, source: PowerSource, now: number): void {
    if (availableMw === this.allocatedMw && source === this.powerSource) return;
    this.allocatedMw = availableMw;
    this.powerSource = source;
    const budget = this.cfg.poe.applyAllocation(availableMw);
    this.pushPower(budget);
    // Tell the switch the new draw at once.
    if (this.cfg.cdp !== false && this.state !== 'idle') this.nextCdpAt = now;
  }

  private pushPower(budgetMw: number): void {
    const e: PowerEvent = {
      kind: 'power', requestedMw: this.requestMw, allocatedMw: this.allocatedMw, budgetMw: budgetMw,
      lowPower: this.cfg.poe.lowPower(), source: this.powerSource,
    };
    this.push(e);
    this.log(e.lowPower ? LOG_WARN : LOG_INFO, powerText(e));
  }

  private push(e: DiscoveryEvent): void {
    if (this.events.length >= MAX_EVENTS) {
      this.events.shift();
      this.stats.eventsDropped++;
    }
    this.events.push(e);
  }

  /** The next event, or null. */
  poll(): DiscoveryEvent | null {
    const e = this.events.shift();
    return e === undefined ? null : e;
  }

  // ---- time --------------------------------------------------------------------------

  /** When dispatch next has work (Infinity when none). */
  pollAt(): number {
    if (this.state === 'idle') return Infinity;
    let t = Math.min(this.nextCdpAt, this.nextLldpAt, this.vlanDeadline);
    if (this.cdpNeighbor !== null) t = Math.min(t, this.cdpNeighbor.expiresAt);
    if (this.lldpNeighbor !== null) t = Math.min(t, this.lldpNeighbor.expiresAt);
    return t;
  }

  /** Do what is due at `now`: the VLAN wait, neighbor aging, advertisements (via `send`). */
  dispatch(now: number, send: (frame: Uint8Array) => void): void {
    if (this.state === 'idle') return;
    if (this.state === 'discovering' && now >= this.vlanDeadline) {
      this.log(LOG_WARN, 'no voice VLAN from CDP or LLDP-MED within ' + (this.cfg.vlanWaitMs === undefined ?
        DEFAULT_VLAN_WAIT_MS : this.cfg.vlanWaitMs) + ' ms');
      this.decide(0, 0, 0, 'none', now);
    }
    if (this.cdpNeighbor !== null && now >= this.cdpNeighbor.expiresAt) {
      this.log(LOG_WARN, 'CDP neighbor ' + this.cdpNeighbor.name + ' aged out');
      this.cdpNeighbor = null;
      this.cdpVlan = null;
    }
    if (this.lldpNeighbor !== null && now >= this.lldpNeighbor.expiresAt) {
      this.log(LOG_WARN, 'LLDP neighbor ' + this.lldpNeighbor.name + ' aged out');
      this.lldpNeighbor = null;
      this.lldpVlan = null;
    }
    if (now >= this.nextCdpAt) {
      send(loadDiscoveryCodecs().buildCdp(this.cdpRepr(), this.cfg.mac));
      this.stats.cdpTx++;
      this.nextCdpAt = now + this.nextInterval(true);
    }
    if (now >= this.nextLldpAt) {
      send(loadDiscoveryCodecs().buildLldp(this.lldpRepr(), this.cfg.mac));
      this.stats.lldpTx++;
      this.nextLldpAt = now + this.nextInterval(false);
    }
  }

  private nextInterval(isCdp: boolean): number {
    if (isCdp) {
      if (this.cdpFast > 1) {
        this.cdpFast--;
        return this.timing.fastStartIntervalMs;
      }
      this.cdpFast = 0;
      return this.timing.cdpIntervalMs;
    }
    if (this.lldpFast > 1) {
      this.lldpFast--;
      return this.timing.fastStartIntervalMs;
    }
    this.lldpFast = 0;
    return this.timing.lldpIntervalMs;
  }

  // ---- what the phone sends ----------------------------------------------------------

  private address(): number {
    return this.cfg.address === undefined ? 0 : this.cfg.address() >>> 0;
  }

  /** Current draw: the request, capped by the budget while in low power. */
  private drawMw(): number {
    const draw = this.cfg.poe.lowPower() && this.allocatedMw >= 0 ? Math.min(this.requestMw, Math.max(this.allocatedMw,
      this.cfg.poe.classPowerMw())) : this.requestMw;
    return draw > 0xffff ? 0xffff : draw;
  }

  /** The CDP PDU the phone advertises now. */
  cdpRepr(): cdp.Repr {
    const ip = this.address();
    const r: cdp.Repr = {
      version: cdp.VERSION,
      ttl: this.timing.cdpTtlS,
      deviceId: this.deviceId,
      portId: this.cfg.portId === undefined ? 'Port 1' : this.cfg.portId,
      capabilities: cdp.PHONE_CAPABILITIES,
      softwareVersion: this.cfg.loadId,
      platform: this.cfg.platform,
      voipVlanQuery: cdp.PHONE_VLAN_QUERY,
      duplex: 1,
      powerMw: this.drawMw(),
      powerRequested: { requestId: this.requestId, managementId: this.managementId, levelsMw: [this.requestMw] },
    };
    if (ip !== 0) r.addresses = [ip];
    return r;
  }

  /** The LLDP-MED PDU the phone advertises now (7971-style, reference section 2). */
  lldpRepr(): lldp.Repr {
    const idText = macToDeviceId(this.cfg.mac);
    const inv: lldp.InventoryItem[] = [{ subtype: lldp.MED_SOFTWARE_REVISION, text: this.cfg.loadId.substring(0, 32) },
      { subtype: lldp.MED_MANUFACTURER, text: 'Cisco Systems, Inc.' }];
    if (this.cfg.model !== undefined) inv.push({ subtype: lldp.MED_MODEL, text: this.cfg.model.substring(0, 32) });
    // The chassis ID stays the MAC for the life of the boot: switching it to the address
    // after DHCP made lldpd list the phone twice until the old entry's TTL ran out.
    const chassis = new Uint8Array(6);
    chassis.set(this.cfg.mac.subarray(0, 6));
    return {
      chassisIdSubtype: lldp.CHASSIS_MAC,
      chassisId: chassis,
      portIdSubtype: lldp.PORT_LOCAL,
      portId: asciiBytes(idText + ':P1'),
      ttl: this.timing.lldpTtlS,
      systemName: this.deviceId,
      capabilities: lldp.SYSCAP_BRIDGE | lldp.SYSCAP_TELEPHONE,
      enabledCapabilities: lldp.SYSCAP_BRIDGE | lldp.SYSCAP_TELEPHONE,
      med: {
        capabilities: lldp.MEDCAP_CAPABILITIES | lldp.MEDCAP_POLICY | lldp.MEDCAP_PD | lldp.MEDCAP_INVENTORY,
        deviceClass: lldp.MED_CLASS_ENDPOINT_3,
      },
      policies: [{ appType: lldp.APP_VOICE, unknown: true, tagged: false, vlan: 0, priority: VOICE_PCP, dscp: VOICE_DSCP }],
      extendedPower: {
        powerType: lldp.POWER_TYPE_PD, source: lldp.POWER_SOURCE_PSE, priority: lldp.POWER_PRIORITY_LOW,
        powerMw: this.requestMw > 6553500 ? 6553500 : this.requestMw,
      },
      inventory: inv,
    };
  }

  private log(level: number, message: string): void {
    if (this.cfg.log !== undefined) this.cfg.log(level, message);
  }
}

function hexText(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
  return s;
}

function textOf(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** Callbacks the boot sequence gives DiscoveryService (all optional). */
export interface DiscoveryListener {
  voiceVlan?: (e: VoiceVlanEvent) => void;
  power?: (e: PowerEvent) => void;
  trust?: (e: TrustEvent) => void;
}

export interface DiscoveryServiceDeps {
  clock: Clock;
  /** Send one raw frame (the net interface's sendFrame: untagged, as built). */
  send: (frame: Uint8Array) => void;
  system?: System;
  /**
   * When given, the service writes its step to `statusLine` (0 by default; null: not at
   * all, the boot pipeline owns the status line) and "Low power" to `powerLine` (the last
   * line by default).
   */
  display?: Display;
  statusLine?: number | null;
  powerLine?: number;
}

/**
 * DiscoveryAgent on hal.clock through the one Driver (firmware/driver.ts): frames in
 * through handleFrame (wire it to the interface's onFrame), events out to the listener, the
 * log (tag "discovery") and the display ("Configuring VLAN", "Low power", ...).
 */
export class DiscoveryService {
  readonly agent: DiscoveryAgent;
  private readonly deps: DiscoveryServiceDeps;
  private readonly listener: DiscoveryListener;
  private readonly driver: Driver<(frame: Uint8Array) => void, DiscoveryEvent>;

  constructor(config: DiscoveryConfig, deps: DiscoveryServiceDeps, listener?: DiscoveryListener) {
    const sys = deps.system;
    const cfg: DiscoveryConfig = Object.assign({}, config);
    if (cfg.log === undefined && sys !== undefined) {
      cfg.log = function (level: number, message: string): void { sys.log(level, 'discovery', message); };
    }
    this.agent = new DiscoveryAgent(cfg);
    this.deps = deps;
    this.listener = listener === undefined ? {} : listener;
    const self = this;
    this.driver = new Driver(deps.clock, this.agent, deps.send, function (e: DiscoveryEvent): void { self.onEvent(e); });
  }

  start(): void {
    this.showStatus('Configuring VLAN');
    this.agent.start(this.deps.clock.now());
    this.driver.start();
  }

  stop(): void {
    this.agent.stop(this.deps.clock.now());
    this.driver.stop();
  }

  /** Offer a received frame; true when it was CDP/LLDP (consumed). */
  handleFrame(frame: Uint8Array): boolean {
    const taken = this.agent.process(frame, this.deps.clock.now());
    if (taken) this.driver.kick();
    return taken;
  }

  setRequestMw(mw: number): void {
    this.agent.setRequestMw(mw, this.deps.clock.now());
    this.driver.kick();
  }

  private onEvent(e: DiscoveryEvent): void {
    if (e.kind === 'voiceVlan') {
      this.showStatus(e.vlan === 0 ? 'VLAN: none (untagged)' : 'Voice VLAN ' + e.vlan);
      if (this.listener.voiceVlan !== undefined) this.listener.voiceVlan(e);
    } else if (e.kind === 'power') {
      this.showPower(e.lowPower ? 'Low power' : '');
      if (this.listener.power !== undefined) this.listener.power(e);
    } else if (this.listener.trust !== undefined) {
      this.listener.trust(e);
    }
  }

  private show(line: number | null | undefined, text: string): void {
    if (this.deps.display !== undefined && line !== undefined && line !== null) this.deps.display.setLine(line, text);
  }

  private showStatus(text: string): void {
    this.show(this.deps.statusLine === undefined ? 0 : this.deps.statusLine, text);
  }

  private showPower(text: string): void {
    this.show(this.deps.powerLine === undefined ? DISPLAY_LINES - 1 : this.deps.powerLine, text);
  }
}
