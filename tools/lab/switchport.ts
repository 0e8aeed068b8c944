/**
 * The switch side of CDP and LLDP-MED on one port of a SimSwitch: what a Catalyst access
 * port with a voice VLAN and PoE tells a phone (reference/cisco_protocols.md 1.5, 1.6, 2).
 *
 * It is the port's control-plane speaker (SimSwitch.onControlFrame / sendControl) and uses
 * the firmware's own codecs (firmware/discovery/cdp.ts, lldp.ts):
 *  - CDP every `cdpIntervalMs` (60 s): Device ID, Addresses, Port ID, Capabilities (switch,
 *    IGMP), Software Version, Platform, Native VLAN, Duplex, VoIP VLAN Reply (the port's
 *    voice VLAN, when it has one), Trust Bitmap, Untrusted CoS, and Power Available once the
 *    phone asked (echoing its request id).
 *  - LLDP every `lldpIntervalMs` (30 s): chassis (MAC), port (interface name), TTL, system
 *    name, capabilities (bridge), LLDP-MED capabilities (network connectivity), network
 *    policy for voice (tagged VLAN, priority, DSCP), extended power (PSE, primary, the
 *    port's allocation).
 *  - Power: a CDP Power Requested (first level) or an LLDP-MED extended power request (PD)
 *    goes to SimPse.allocate; the allocation (capped by the budget) is answered at once with
 *    Power Available / extended power. The management id changes (skipping 0) whenever the
 *    available figure changes, as Cisco SG documents.
 *  - A new neighbor, a new request id or a VoIP VLAN Query from a new neighbor triggers an
 *    immediate answer; otherwise the timers run.
 * Malformed CDP/LLDP frames are counted and dropped.
 */
import type { Scheduler } from '../../hal/sim/scheduler';
import type { SimSwitch } from '../../hal/sim/switch';
import type { SimPse } from '../../hal/sim/poe';
import * as cdp from '../../firmware/discovery/cdp';
import * as lldp from '../../firmware/discovery/lldp';
import { asciiBytes, bytesEqual } from '../../lib/bytes';

export interface SwitchPortAgentOptions {
  /** Speak CDP (default true) and LLDP-MED (default true). */
  cdp?: boolean;
  lldp?: boolean;
  /** The switch's source MAC for this port; sw.portMac(port) by default. */
  mac?: Uint8Array;
  /** CDP Device ID / LLDP system name. */
  deviceId?: string;
  /** Interface name, e.g. "FastEthernet0/3" (default from the port number). */
  portName?: string;
  platform?: string;
  softwareVersion?: string;
  /** Management IPv4 address (host order); omitted when 0. */
  address?: number;
  /** Voice VLAN to announce; by default the port's configured voice VLAN (0 = none). */
  voiceVlan?: number;
  voicePcp?: number;
  voiceDscp?: number;
  /** Announce the voice VLAN as untagged in LLDP-MED (T=0). */
  voiceUntagged?: boolean;
  /** Trust bitmap and untrusted CoS to send (0 and 0 by default). */
  trustBitmap?: number;
  untrustedCos?: number;
  /** Answer power requests (default true when a PSE is given). */
  answerPower?: boolean;
  cdpIntervalMs?: number;
  lldpIntervalMs?: number;
  cdpTtlS?: number;
  lldpTtlS?: number;
}

export interface SwitchPortStats {
  cdpTx: number;
  cdpRx: number;
  cdpMalformed: number;
  lldpTx: number;
  lldpRx: number;
  lldpMalformed: number;
  powerRequests: number;
}

/** What the switch learned about the device on the port. */
export interface PortNeighbor {
  protocol: 'cdp' | 'lldp';
  deviceId: string;
  platform: string;
  requestedMw: number;
  requestId: number;
}

export class SwitchPortAgent {
  readonly stats: SwitchPortStats = { cdpTx: 0, cdpRx: 0, cdpMalformed: 0, lldpTx: 0, lldpRx: 0, lldpMalformed: 0, powerRequests: 0 };
  /** Last CDP and LLDP neighbor seen (null when none). */
  cdpNeighbor: PortNeighbor | null = null;
  lldpNeighbor: PortNeighbor | null = null;
  /** Allocation announced to the phone, mW (-1 before any request). */
  allocatedMw = -1;

  private readonly sched: Scheduler;
  private readonly sw: SimSwitch;
  private readonly port: number;
  private readonly pse: SimPse | null;
  private readonly o: SwitchPortAgentOptions;
  private readonly mac: Uint8Array;
  private lastRequestId = 0;
  private managementId = 1;
  private cdpTimer = -1;
  private lldpTimer = -1;
  private running = false;
  private linkHooked = false;

  constructor(sched: Scheduler, sw: SimSwitch, port: number, pse: SimPse | null, options: SwitchPortAgentOptions = {}) {
    this.sched = sched;
    this.sw = sw;
    this.port = port;
    this.pse = pse;
    this.o = options;
    this.mac = options.mac ?? sw.portMac(port);
  }

  /** Register as the port's control plane and start advertising (at once, then on timers). */
  start(): void {
    this.running = true;
    this.sw.onControlFrame(this.port, (f) => this.receive(f));
    if (!this.linkHooked) {
      this.linkHooked = true;
      // Link down: forget the neighbor; link up: advertise at once (as a new neighbor would see).
      this.sw.onPortLink((p, up) => {
        if (p !== this.port || !this.running) return;
        if (up) this.triggerAll();
        else this.reset();
      });
    }
    if (this.o.cdp !== false) this.cdpTimer = this.sched.after(0, () => this.cdpTick());
    if (this.o.lldp !== false) this.lldpTimer = this.sched.after(0, () => this.lldpTick());
  }

  stop(): void {
    this.running = false;
    this.sw.onControlFrame(this.port, null);
    if (this.cdpTimer !== -1) this.sched.cancel(this.cdpTimer);
    if (this.lldpTimer !== -1) this.sched.cancel(this.lldpTimer);
    this.cdpTimer = -1;
    this.lldpTimer = -1;
  }

  /** Link went down: forget the neighbor (the PSE releases power separately). */
  reset(): void {
    this.cdpNeighbor = null;
    this.lldpNeighbor = null;
    this.lastRequestId = 0;
    this.allocatedMw = -1;
    this.bumpManagementId();
  }

  /** Change the voice VLAN announced (the next advertisement goes out at once). */
  setVoiceVlan(vid: number): void {
    this.o.voiceVlan = vid;
    this.triggerAll();
  }

  private voiceVlan(): number {
    return this.o.voiceVlan ?? this.sw.portVlans(this.port).voiceVid;
  }

  private cdpTick(): void {
    this.cdpTimer = -1;
    if (!this.running) return;
    this.sendCdp();
    this.cdpTimer = this.sched.after(this.o.cdpIntervalMs ?? 60_000, () => this.cdpTick());
  }

  private lldpTick(): void {
    this.lldpTimer = -1;
    if (!this.running) return;
    this.sendLldp();
    this.lldpTimer = this.sched.after(this.o.lldpIntervalMs ?? 30_000, () => this.lldpTick());
  }

  /** Send now and restart the periodic timers from here. */
  private triggerAll(): void {
    if (!this.running) return;
    if (this.o.cdp !== false) {
      if (this.cdpTimer !== -1) this.sched.cancel(this.cdpTimer);
      this.cdpTimer = this.sched.after(0, () => this.cdpTick());
    }
    if (this.o.lldp !== false) {
      if (this.lldpTimer !== -1) this.sched.cancel(this.lldpTimer);
      this.lldpTimer = this.sched.after(0, () => this.lldpTick());
    }
  }

  /** The CDP PDU the port sends now. */
  cdpRepr(): cdp.Repr {
    const vl = this.sw.portVlans(this.port);
    const r: cdp.Repr = {
      version: cdp.VERSION,
      ttl: this.o.cdpTtlS ?? 180,
      deviceId: this.o.deviceId ?? 'lab-sw1',
      portId: this.portName(),
      capabilities: cdp.SWITCH_CAPABILITIES,
      softwareVersion: this.o.softwareVersion ?? 'Cisco IOS Software, C3560 Software (Dialtone lab), Version 15.0(2)SE',
      platform: this.o.platform ?? 'cisco WS-C3560-24PS',
      nativeVlan: vl.nativeVid,
      duplex: 1,
      trustBitmap: this.o.trustBitmap ?? 0,
      untrustedCos: this.o.untrustedCos ?? 0,
    };
    if (this.o.address) r.addresses = [this.o.address];
    const voice = this.voiceVlan();
    if (voice >= 1 && voice <= 4094) r.voipVlanReply = { data: 1, vlan: voice };
    if (this.allocatedMw >= 0 && this.lastRequestId !== 0) {
      r.powerAvailable = {
        requestId: this.lastRequestId, managementId: this.managementId, availableMw: this.allocatedMw,
        managementLevelMw: cdp.NO_PREFERENCE,
      };
    }
    return r;
  }

  /** The LLDP-MED PDU the port sends now. */
  lldpRepr(): lldp.Repr {
    const r: lldp.Repr = {
      chassisIdSubtype: lldp.CHASSIS_MAC,
      chassisId: this.mac.slice(0, 6),
      portIdSubtype: lldp.PORT_INTERFACE_NAME,
      portId: asciiBytes(this.portName()),
      ttl: this.o.lldpTtlS ?? 120,
      systemName: this.o.deviceId ?? 'lab-sw1',
      capabilities: lldp.SYSCAP_BRIDGE,
      enabledCapabilities: lldp.SYSCAP_BRIDGE,
      med: {
        capabilities: lldp.MEDCAP_CAPABILITIES | lldp.MEDCAP_POLICY | (this.pse ? lldp.MEDCAP_PSE : 0),
        deviceClass: lldp.MED_CLASS_NETWORK,
      },
    };
    const voice = this.voiceVlan();
    if (voice >= 1 && voice <= 4094) {
      const untagged = this.o.voiceUntagged === true;
      r.policies = [{
        appType: lldp.APP_VOICE, unknown: false, tagged: !untagged, vlan: untagged ? 0 : voice,
        priority: this.o.voicePcp ?? 5, dscp: this.o.voiceDscp ?? 46,
      }];
    }
    if (this.pse && this.o.answerPower !== false) {
      const mw = this.allocatedMw >= 0 ? this.allocatedMw : this.pse.allocated(this.port);
      if (mw > 0) r.extendedPower = { powerType: lldp.POWER_TYPE_PSE, source: lldp.POWER_SOURCE_PSE, priority: lldp.POWER_PRIORITY_HIGH, powerMw: mw };
    }
    return r;
  }

  private portName(): string {
    return this.o.portName ?? 'FastEthernet0/' + (this.port + 1);
  }

  private sendCdp(): void {
    if (this.sw.sendControl(this.port, cdp.buildFrame(this.cdpRepr(), this.mac))) this.stats.cdpTx++;
  }

  private sendLldp(): void {
    if (this.sw.sendControl(this.port, lldp.buildFrame(this.lldpRepr(), this.mac))) this.stats.lldpTx++;
  }

  private bumpManagementId(): void {
    this.managementId = this.managementId >= 0xffff ? 1 : this.managementId + 1;
  }

  /** Allocate `mw` for the port; true when the announced figure changed. */
  private allocate(mw: number): boolean {
    if (!this.pse || this.o.answerPower === false) return false;
    this.stats.powerRequests++;
    const granted = this.pse.allocate(this.port, mw);
    if (granted === this.allocatedMw) return false;
    this.allocatedMw = granted;
    this.bumpManagementId();
    return true;
  }

  /** A control frame from the port (public so a bridge can feed frames in directly). */
  receive(frame: Uint8Array): void {
    if (cdp.isCdpFrame(frame)) {
      const r = cdp.parseFrame(frame);
      if (!r.ok) {
        this.stats.cdpMalformed++;
        return;
      }
      if (bytesEqual(r.value.src, this.mac)) return;
      this.stats.cdpRx++;
      this.onCdp(r.value.repr);
    } else if (lldp.isLldpFrame(frame)) {
      const r = lldp.parseFrame(frame);
      if (!r.ok) {
        this.stats.lldpMalformed++;
        return;
      }
      if (bytesEqual(r.value.src, this.mac)) return;
      this.stats.lldpRx++;
      this.onLldp(r.value.repr);
    }
  }

  private onCdp(p: cdp.Repr): void {
    const id = p.deviceId ?? '';
    const isNew = this.cdpNeighbor === null || this.cdpNeighbor.deviceId !== id;
    const req = p.powerRequested;
    let trigger = isNew && (p.voipVlanQuery !== undefined || req !== undefined);
    this.cdpNeighbor = {
      protocol: 'cdp', deviceId: id, platform: p.platform ?? '',
      requestedMw: req ? req.levelsMw[0] : -1, requestId: req ? req.requestId : 0,
    };
    if (req && req.requestId !== 0 && req.requestId !== this.lastRequestId) {
      this.lastRequestId = req.requestId;
      this.allocate(req.levelsMw[0]);
      trigger = true;
    }
    if (trigger && this.running && this.o.cdp !== false) {
      if (this.cdpTimer !== -1) this.sched.cancel(this.cdpTimer);
      this.cdpTimer = this.sched.after(0, () => this.cdpTick());
    }
  }

  private onLldp(p: lldp.Repr): void {
    const name = p.systemName ?? '';
    const isNew = this.lldpNeighbor === null || this.lldpNeighbor.deviceId !== name;
    const ep = p.extendedPower;
    const wants = ep && ep.powerType === lldp.POWER_TYPE_PD ? ep.powerMw : -1;
    const changedRequest = this.lldpNeighbor === null || this.lldpNeighbor.requestedMw !== wants;
    this.lldpNeighbor = { protocol: 'lldp', deviceId: name, platform: p.systemDescription ?? '', requestedMw: wants, requestId: 0 };
    let trigger = isNew && p.med !== undefined;
    // CDP wins power when the phone speaks both (a Catalyst does the same).
    if (wants > 0 && changedRequest && this.lastRequestId === 0) {
      this.allocate(wants);
      trigger = true;
    }
    if (trigger && this.running && this.o.lldp !== false) {
      if (this.lldpTimer !== -1) this.sched.cancel(this.lldpTimer);
      this.lldpTimer = this.sched.after(0, () => this.lldpTick());
    }
  }
}
