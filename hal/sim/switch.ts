/**
 * A simulated 802.1Q L2 switch (a Catalyst access switch as a phone sees it).
 *
 * Ports are numbered 0..ports-1. Each port is either an access port (an untagged access
 * VLAN, default 1, plus an optional voice VLAN that travels tagged) or a trunk (a set of
 * tagged VLANs plus an untagged native VLAN). Ingress rules:
 *   access: untagged or priority-tagged (VID 0, 802.1p) -> access VLAN; tagged with the
 *           voice VID -> voice VLAN; any other tag is dropped;
 *   trunk:  untagged or VID 0 -> native VLAN; tagged with an allowed VID -> that VLAN;
 *           anything else is dropped.
 * Egress: a frame leaves untagged on the access/native VLAN and tagged on the voice VLAN
 * or a trunk's other VLANs; the priority bits of a tagged ingress frame are kept.
 *
 * Forwarding is transparent bridging per VLAN (IEEE 802.1Q): source MACs are learned per
 * (VLAN, MAC) with aging; broadcast, multicast and unknown unicast flood within the VLAN.
 * Link-local control frames (01:80:c2:00:00:0x, which includes LLDP ...0e, and Cisco's
 * 01:00:0c:cc:cc:cc for CDP) are never forwarded: they go to the port's control-plane
 * handler, where the switch-side CDP/LLDP agent runs, and that agent answers through
 * `sendControl`.
 *
 * `tap` sees every frame: on ingress (outPort null), on each egress copy, and each control
 * frame the switch originates (inPort null). `attachPcap` (pcap.ts) records ingress and
 * switch-originated frames, so every frame on the wire appears once.
 */
import type { Scheduler } from './scheduler';
import { Cable, ETH_MIN_FRAME } from './ether';
import type { CableEnd, LinkFaults, LinkOptions, SimNic } from './ether';
import { hex } from '../../lib/bytes';

export const ETHERTYPE_VLAN = 0x8100;
export const DEFAULT_MAC_AGING_MS = 300_000;
/** Cisco's multicast for CDP, VTP, DTP, PAgP, UDLD. */
export const CDP_MULTICAST = new Uint8Array([0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc]);
/** LLDP's nearest-bridge address (IEEE 802.1AB). */
export const LLDP_MULTICAST = new Uint8Array([0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e]);

export interface SwitchOptions {
  ports: number;
  name?: string;
  /** Base MAC; port i's own MAC (the source of its control frames) is base + i + 1. */
  mac?: Uint8Array;
  /** MAC table aging in ms (default 300 s as on a Catalyst). */
  agingMs?: number;
}

export interface PortCounters {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  /** Ingress frames refused: VLAN not allowed on the port, runt, port disabled. */
  rxDropped: number;
  /** Egress frames the cable refused (queue full). */
  txDropped: number;
  /** Link-local control frames taken off the wire (handed to the control plane or discarded). */
  controlRx: number;
  controlTx: number;
}

export type TapHandler = (frame: Uint8Array, inPort: number | null, outPort: number | null, timeMs: number) => void;
export type ControlHandler = (frame: Uint8Array) => void;

export interface MacEntry {
  vid: number;
  mac: string;
  port: number;
  lastSeenMs: number;
}

interface Port {
  index: number;
  end: CableEnd;
  cable: Cable | null;
  nic: SimNic | null;
  enabled: boolean;
  accessVid: number;
  voiceVid: number;
  trunk: { allowed: Set<number>; native: number } | null;
  counters: PortCounters;
  control: ControlHandler | null;
}

function newCounters(): PortCounters {
  return { rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, rxDropped: 0, txDropped: 0, controlRx: 0, controlTx: 0 };
}

function checkVid(vid: number, allowZero: boolean): void {
  if (!Number.isInteger(vid) || vid < (allowZero ? 0 : 1) || vid > 4094) throw new RangeError(`SimSwitch: bad VLAN id ${vid}`);
}

export class SimSwitch {
  readonly name: string;
  readonly mac: Uint8Array;
  private readonly sched: Scheduler;
  private readonly ports: Port[] = [];
  private readonly table = new Map<string, MacEntry>();
  private readonly taps: TapHandler[] = [];
  private readonly linkHandlers: ((port: number, up: boolean) => void)[] = [];
  private readonly agingMs: number;

  constructor(sched: Scheduler, options: SwitchOptions) {
    if (!Number.isInteger(options.ports) || options.ports < 1) throw new RangeError('SimSwitch: ports must be >= 1');
    this.sched = sched;
    this.name = options.name ?? 'Switch';
    this.mac = options.mac ? options.mac.slice() : new Uint8Array([0x00, 0x1b, 0x54, 0xc0, 0x00, 0x00]);
    this.agingMs = options.agingMs ?? DEFAULT_MAC_AGING_MS;
    for (let i = 0; i < options.ports; i++) {
      const index = i;
      const end: CableEnd = {
        cableReceive: (frame) => this.ingress(index, frame),
        cableLink: (up) => this.linkChanged(index, up),
      };
      this.ports.push({
        index, end, cable: null, nic: null, enabled: true, accessVid: 1, voiceVid: 0, trunk: null,
        counters: newCounters(), control: null,
      });
    }
  }

  get portCount(): number {
    return this.ports.length;
  }

  /** The MAC a port uses as the source of the control frames it sends (base + port + 1). */
  portMac(port: number): Uint8Array {
    this.port(port);
    const m = this.mac.slice();
    let carry = port + 1;
    for (let i = 5; i >= 3 && carry > 0; i--) {
      const v = m[i] + carry;
      m[i] = v & 0xff;
      carry = v >> 8;
    }
    return m;
  }

  /** Cable a NIC to a port (unplugging whatever was there). The link comes up at once if the port is enabled. */
  connect(port: number, nic: SimNic, faults: LinkOptions = {}): Cable {
    const p = this.port(port);
    this.disconnect(port);
    const opts: LinkOptions = { ...faults };
    if (!opts.prng) opts.prng = this.sched.rng.fork(`cable:${this.name}:${port}`);
    const cable = new Cable(this.sched, p.end, nic, opts);
    p.cable = cable;
    p.nic = nic;
    nic.attach(cable);
    if (p.enabled) cable.setUp(true);
    return cable;
  }

  /** Unplug the port's cable: both sides see link down, frames in flight are lost. */
  disconnect(port: number): void {
    const p = this.port(port);
    if (!p.cable) return;
    const nic = p.nic;
    p.cable.setUp(false);
    p.cable = null;
    p.nic = null;
    if (nic) nic.attach(null);
  }

  /** The NIC cabled to a port, or null. */
  nicAt(port: number): SimNic | null {
    return this.port(port).nic;
  }

  /** Administrative up/down (`shutdown` / `no shutdown`): drives the link state of the cable. */
  setPortEnabled(port: number, enabled: boolean): void {
    const p = this.port(port);
    p.enabled = enabled;
    if (p.cable) p.cable.setUp(enabled);
  }

  linkUp(port: number): boolean {
    const p = this.port(port);
    return p.cable !== null && p.cable.isUp();
  }

  /** Change the faults on a port's cable (both directions, or only frames the switch sends with `egressOnly`). */
  setFaults(port: number, faults: LinkFaults, egressOnly = false): void {
    const p = this.port(port);
    if (p.cable) p.cable.setFaults(faults, egressOnly ? p.end : undefined);
  }

  /** Make the port an access port on `vid` (untagged). Default 1. */
  setAccessVlan(port: number, vid: number): void {
    checkVid(vid, false);
    const p = this.port(port);
    p.accessVid = vid;
    p.trunk = null;
    this.flushPort(port);
  }

  /** Voice VLAN of an access port (tagged in and out); 0 removes it. */
  setVoiceVlan(port: number, vid: number): void {
    checkVid(vid, true);
    const p = this.port(port);
    p.voiceVid = vid;
    this.flushPort(port);
  }

  /** Make the port a trunk carrying `vids` tagged and `nativeVid` untagged. */
  setTrunk(port: number, vids: number[], nativeVid: number): void {
    checkVid(nativeVid, false);
    for (const v of vids) checkVid(v, false);
    const p = this.port(port);
    p.trunk = { allowed: new Set(vids), native: nativeVid };
    this.flushPort(port);
  }

  /** The port's VLAN configuration (for the CDP agent's Native VLAN and VoIP VLAN Reply). */
  portVlans(port: number): { mode: 'access' | 'trunk'; accessVid: number; voiceVid: number; nativeVid: number; allowed: number[] } {
    const p = this.port(port);
    if (p.trunk) return { mode: 'trunk', accessVid: p.trunk.native, voiceVid: 0, nativeVid: p.trunk.native, allowed: [...p.trunk.allowed].sort((a, b) => a - b) };
    return { mode: 'access', accessVid: p.accessVid, voiceVid: p.voiceVid, nativeVid: p.accessVid, allowed: [] };
  }

  /** Receive the link-local control frames (CDP, LLDP, ...) arriving on a port; null to stop. */
  onControlFrame(port: number, handler: ControlHandler | null): void {
    this.port(port).control = handler;
  }

  /** Send a control frame out of a port as-is (the caller builds tags, if any). False when the link is down. */
  sendControl(port: number, frame: Uint8Array): boolean {
    const p = this.port(port);
    if (!p.cable || !p.cable.isUp()) return false;
    const out = padded(frame);
    for (const t of this.taps) t(out, null, port, this.sched.now());
    if (!p.cable.transmit(p.end, out)) {
      p.counters.txDropped++;
      return false;
    }
    p.counters.controlTx++;
    p.counters.txFrames++;
    p.counters.txBytes += out.length;
    return true;
  }

  /** Observe every frame the switch carries. Returns a function that removes the tap. */
  tap(handler: TapHandler): () => void {
    this.taps.push(handler);
    return () => {
      const i = this.taps.indexOf(handler);
      if (i >= 0) this.taps.splice(i, 1);
    };
  }

  /** Port link changes (cable plugged/unplugged, shutdown): PSE classification and the CDP agent hang here. */
  onPortLink(handler: (port: number, up: boolean) => void): void {
    this.linkHandlers.push(handler);
  }

  counters(port: number): PortCounters {
    return { ...this.port(port).counters };
  }

  /** Current (unaged) MAC table entries, sorted by VLAN then MAC. */
  macTable(): MacEntry[] {
    const now = this.sched.now();
    const out: MacEntry[] = [];
    for (const e of this.table.values()) if (now - e.lastSeenMs <= this.agingMs) out.push({ ...e });
    out.sort((a, b) => a.vid - b.vid || (a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : 0));
    return out;
  }

  /** Forget learned MACs on one port, or all. */
  flushPort(port?: number): void {
    for (const [k, e] of this.table) if (port === undefined || e.port === port) this.table.delete(k);
  }

  private port(port: number): Port {
    const p = this.ports[port];
    if (!Number.isInteger(port) || !p) throw new RangeError(`SimSwitch ${this.name}: no port ${port}`);
    return p;
  }

  private linkChanged(port: number, up: boolean): void {
    if (!up) this.flushPort(port);
    for (const h of this.linkHandlers) h(port, up);
  }

  private ingress(port: number, frame: Uint8Array): void {
    const p = this.ports[port];
    const now = this.sched.now();
    p.counters.rxFrames++;
    p.counters.rxBytes += frame.length;
    for (const t of this.taps) t(frame, port, null, now);
    if (frame.length < 14 || !p.enabled) {
      p.counters.rxDropped++;
      return;
    }
    if (isLinkLocal(frame)) {
      p.counters.controlRx++;
      if (p.control) p.control(frame);
      return;
    }

    // Classify into a VLAN and strip the tag: forwarding works on untagged frames.
    let tagged = false;
    let tagVid = 0;
    let pcp = 0;
    if (frame.length >= 18 && ((frame[12] << 8) | frame[13]) === ETHERTYPE_VLAN) {
      tagged = true;
      const tci = (frame[14] << 8) | frame[15];
      tagVid = tci & 0x0fff;
      pcp = tci >> 13;
    }
    let vid: number;
    if (p.trunk) {
      if (!tagged || tagVid === 0 || tagVid === p.trunk.native) vid = p.trunk.native;
      else if (p.trunk.allowed.has(tagVid)) vid = tagVid;
      else vid = -1;
    } else {
      if (!tagged || tagVid === 0) vid = p.accessVid;
      else if (p.voiceVid !== 0 && tagVid === p.voiceVid) vid = p.voiceVid;
      else vid = -1;
    }
    if (vid < 0) {
      p.counters.rxDropped++;
      return;
    }
    const inner = tagged ? stripTag(frame) : frame;

    const src = inner.subarray(6, 12);
    if ((src[0] & 1) === 0) {
      const key = vid + '/' + hex(src);
      this.table.set(key, { vid, mac: hex(src), port, lastSeenMs: now });
    }

    const dst = inner.subarray(0, 6);
    if ((dst[0] & 1) === 0) {
      const e = this.table.get(vid + '/' + hex(dst));
      if (e && now - e.lastSeenMs <= this.agingMs) {
        // Known unicast: filtered when the destination is on the ingress port.
        if (e.port !== port) this.egress(port, e.port, vid, pcp, tagged, inner);
        return;
      }
    }
    for (const q of this.ports) if (q.index !== port) this.egress(port, q.index, vid, pcp, tagged, inner);
  }

  private egress(inPort: number, outPort: number, vid: number, pcp: number, hadTag: boolean, inner: Uint8Array): void {
    const q = this.ports[outPort];
    if (!q.cable || !q.cable.isUp() || !q.enabled) return;
    let tag: boolean;
    if (q.trunk) {
      if (vid === q.trunk.native) tag = false;
      else if (q.trunk.allowed.has(vid)) tag = true;
      else return;
    } else {
      if (vid === q.accessVid) tag = false;
      else if (q.voiceVid !== 0 && vid === q.voiceVid) tag = true;
      else return;
    }
    const out = tag ? addTag(inner, vid, hadTag ? pcp : 0) : padded(inner);
    for (const t of this.taps) t(out, inPort, outPort, this.sched.now());
    if (!q.cable.transmit(q.end, out)) {
      q.counters.txDropped++;
      return;
    }
    q.counters.txFrames++;
    q.counters.txBytes += out.length;
  }
}

function isLinkLocal(frame: Uint8Array): boolean {
  let cdp = true;
  for (let i = 0; i < 6; i++) if (frame[i] !== CDP_MULTICAST[i]) cdp = false;
  if (cdp) return true;
  for (let i = 0; i < 5; i++) if (frame[i] !== LLDP_MULTICAST[i]) return false;
  return (frame[5] & 0xf0) === 0;
}

function stripTag(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame.length - 4);
  out.set(frame.subarray(0, 12), 0);
  out.set(frame.subarray(16), 12);
  return out;
}

function addTag(inner: Uint8Array, vid: number, pcp: number): Uint8Array {
  const out = new Uint8Array(Math.max(inner.length + 4, ETH_MIN_FRAME + 4));
  out.set(inner.subarray(0, 12), 0);
  out[12] = ETHERTYPE_VLAN >> 8;
  out[13] = ETHERTYPE_VLAN & 0xff;
  const tci = (pcp << 13) | vid;
  out[14] = tci >> 8;
  out[15] = tci & 0xff;
  out.set(inner.subarray(12), 16);
  return out;
}

/** A fresh copy, zero-padded to the 60-byte minimum (a stripped tag can leave a runt). */
function padded(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.max(frame.length, ETH_MIN_FRAME));
  out.set(frame);
  return out;
}
