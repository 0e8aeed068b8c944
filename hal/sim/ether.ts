/**
 * Simulated Ethernet: a NIC (`SimNic`, the HAL `EthernetPort` of a simulated host) and a
 * full-duplex cable (`Cable`) with seeded faults. Everything runs on the shared Scheduler's
 * virtual time (milliseconds, fractional below 1 ms).
 *
 * Timing model per direction of a cable: frames are serialized one after another at
 * `bitRate` (8 bytes preamble + 4 bytes FCS + 12 bytes inter-frame gap count as wire time),
 * then arrive after `latencyMs` + `delayMs` + uniform jitter. A transmit queue longer than
 * `queueBytes` drops the frame (send returns false), as a MAC with a full ring would.
 *
 * Faults are drawn from the cable's own forked Prng, so one seed gives one run and adding
 * a cable elsewhere does not shift this cable's draws.
 */
import type { EthernetPort } from '../ethernet';
import { ETH_MAX_FRAME } from '../ethernet';
import type { Scheduler } from './scheduler';
import type { Prng } from './prng';
import { hex } from '../../lib/bytes';

/** Per-direction impairments of a cable. Probabilities are in 0..1, times in ms. */
export interface LinkFaults {
  /** Probability that a frame is lost. */
  loss?: number;
  /** Probability that a frame is delivered twice. */
  duplicate?: number;
  /** Probability that a frame is held back by an extra random delay (up to 2 ms + jitter), so later frames overtake it. */
  reorder?: number;
  /** Probability that one random bit of the frame is flipped (delivered anyway: no FCS check in the sim). */
  corrupt?: number;
  /** Extra one-way delay. */
  delayMs?: number;
  /** Uniform extra delay in [0, jitterMs); order is kept (jitter alone never reorders). */
  jitterMs?: number;
}

/** A cable's physical parameters on top of its faults. */
export interface LinkOptions extends LinkFaults {
  /** Bits per second; 100 Mbit/s by default. */
  bitRate?: number;
  /** Propagation + PHY latency; 0.05 ms by default. */
  latencyMs?: number;
  /** Transmit queue bound per direction in bytes (tail drop beyond it); 256 KiB by default. */
  queueBytes?: number;
  /** The cable's random stream; forked from the scheduler's by default. */
  prng?: Prng;
}

export const DEFAULT_BIT_RATE = 100_000_000;
export const DEFAULT_LATENCY_MS = 0.05;
export const DEFAULT_QUEUE_BYTES = 256 * 1024;
/** Shortest frame without FCS; a MAC pads shorter ones with zeros. */
export const ETH_MIN_FRAME = 60;
/** Preamble + SFD (8), FCS (4), inter-frame gap (12): wire time that is not in the frame bytes. */
const WIRE_OVERHEAD_BYTES = 24;

/** One end of a cable: a NIC or a switch port. */
export interface CableEnd {
  /** A frame arrived from the cable (a fresh copy the end may keep). */
  cableReceive(frame: Uint8Array): void;
  /** The cable's link state changed. */
  cableLink(up: boolean): void;
}

export interface LinkCounters {
  frames: number;
  bytes: number;
  lost: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
  queueDrops: number;
}

function newCounters(): LinkCounters {
  return { frames: 0, bytes: 0, lost: 0, duplicated: 0, reordered: 0, corrupted: 0, queueDrops: 0 };
}

/** One direction of a cable: its own queue, faults and counters. */
class Direction {
  busyUntil = 0;
  lastArrival = 0;
  faults: LinkFaults;
  readonly counters = newCounters();

  constructor(faults: LinkFaults) {
    this.faults = faults;
  }
}

/**
 * A point-to-point full-duplex cable between two ends. Frames in flight when the link
 * goes down are lost (checked by a generation number at arrival).
 */
export class Cable {
  private readonly sched: Scheduler;
  private readonly ends: [CableEnd, CableEnd];
  private readonly dirs: [Direction, Direction];
  private readonly rng: Prng;
  readonly bitRate: number;
  readonly latencyMs: number;
  readonly queueBytes: number;
  private admin = false;
  private readonly ready = [true, true];
  private up = false;
  private generation = 0;

  constructor(sched: Scheduler, a: CableEnd, b: CableEnd, options: LinkOptions = {}) {
    this.sched = sched;
    this.ends = [a, b];
    this.dirs = [new Direction(pickFaults(options)), new Direction(pickFaults(options))];
    this.rng = options.prng ?? sched.rng.fork('cable');
    this.bitRate = options.bitRate ?? DEFAULT_BIT_RATE;
    this.latencyMs = options.latencyMs ?? DEFAULT_LATENCY_MS;
    this.queueBytes = options.queueBytes ?? DEFAULT_QUEUE_BYTES;
    if (!(this.bitRate > 0)) throw new RangeError('Cable: bitRate must be > 0');
  }

  isUp(): boolean {
    return this.up;
  }

  /**
   * Plug in / administratively enable (true) or unplug / shut (false). The link is up when
   * this is true and both ends are ready (powered); both ends are told of every change.
   */
  setUp(up: boolean): void {
    this.admin = up;
    this.update();
  }

  /** An end's PHY is powered and negotiated (true) or not: a host powering off drops the link. */
  setReady(end: CableEnd, ready: boolean): void {
    this.ready[this.indexOf(end)] = ready;
    this.update();
  }

  private update(): void {
    const up = this.admin && this.ready[0] && this.ready[1];
    if (up === this.up) return;
    this.up = up;
    this.generation++;
    if (!up) for (const d of this.dirs) { d.busyUntil = 0; d.lastArrival = 0; }
    this.ends[0].cableLink(up);
    this.ends[1].cableLink(up);
  }

  /** Replace the faults of both directions, or of the direction leaving `from` only. */
  setFaults(faults: LinkFaults, from?: CableEnd): void {
    for (let i = 0; i < 2; i++) if (from === undefined || this.ends[i] === from) this.dirs[i].faults = pickFaults(faults);
  }

  /** Counters of the direction leaving `from`. */
  counters(from: CableEnd): LinkCounters {
    return { ...this.dirs[this.indexOf(from)].counters };
  }

  /**
   * Transmit a frame from one end (the cable keeps `frame`: the caller passes a copy).
   * False when the link is down or the direction's queue is full.
   */
  transmit(from: CableEnd, frame: Uint8Array): boolean {
    if (!this.up) return false;
    const i = this.indexOf(from);
    const d = this.dirs[i];
    const to = this.ends[1 - i];
    const now = this.sched.now();
    const backlogBytes = Math.max(0, d.busyUntil - now) * this.bitRate / 8000;
    if (backlogBytes + frame.length > this.queueBytes) {
      d.counters.queueDrops++;
      return false;
    }
    const wireMs = ((frame.length + WIRE_OVERHEAD_BYTES) * 8 * 1000) / this.bitRate;
    const start = Math.max(now, d.busyUntil);
    d.busyUntil = start + wireMs;
    d.counters.frames++;
    d.counters.bytes += frame.length;

    const f = d.faults;
    // Draw every fault for every frame, whether it applies or not, so changing one
    // probability does not shift the others' draws.
    const rLoss = this.rng.float();
    const rDup = this.rng.float();
    const rReorder = this.rng.float();
    const rCorrupt = this.rng.float();
    const rJitter = this.rng.float();
    const rExtra = this.rng.float();
    const rBit = this.rng.u32();

    if (rLoss < (f.loss ?? 0)) {
      d.counters.lost++;
      return true; // the sender cannot tell: the frame left the MAC
    }
    let payload = frame;
    if (rCorrupt < (f.corrupt ?? 0) && frame.length > 0) {
      payload = frame.slice();
      const bit = rBit % (frame.length * 8);
      payload[bit >> 3] ^= 1 << (bit & 7);
      d.counters.corrupted++;
    }
    let arrival = d.busyUntil + this.latencyMs + (f.delayMs ?? 0) + rJitter * (f.jitterMs ?? 0);
    arrival = Math.max(arrival, d.lastArrival);
    if (rReorder < (f.reorder ?? 0)) {
      // Held back without moving lastArrival, so the next frames may overtake it.
      d.counters.reordered++;
      arrival += 0.1 + rExtra * (2 + (f.jitterMs ?? 0));
    } else {
      d.lastArrival = arrival;
    }
    const gen = this.generation;
    this.sched.at(arrival, () => {
      if (gen === this.generation) to.cableReceive(payload);
    });
    if (rDup < (f.duplicate ?? 0)) {
      d.counters.duplicated++;
      const copy = payload.slice();
      this.sched.at(arrival + wireMs, () => {
        if (gen === this.generation) to.cableReceive(copy);
      });
    }
    return true;
  }

  private indexOf(end: CableEnd): number {
    if (end === this.ends[0]) return 0;
    if (end === this.ends[1]) return 1;
    throw new Error('Cable: not an end of this cable');
  }
}

function pickFaults(o: LinkFaults): LinkFaults {
  const f: LinkFaults = {
    loss: o.loss, duplicate: o.duplicate, reorder: o.reorder, corrupt: o.corrupt,
    delayMs: o.delayMs, jitterMs: o.jitterMs,
  };
  for (const k of ['loss', 'duplicate', 'reorder', 'corrupt'] as const) {
    const v = f[k];
    if (v !== undefined && !(v >= 0 && v <= 1)) throw new RangeError(`LinkFaults.${k} must be in 0..1, got ${v}`);
  }
  for (const k of ['delayMs', 'jitterMs'] as const) {
    const v = f[k];
    if (v !== undefined && !(v >= 0)) throw new RangeError(`LinkFaults.${k} must be >= 0, got ${v}`);
  }
  return f;
}

export interface NicCounters {
  /** Frames handed to the cable. */
  tx: number;
  /** Frames delivered to the receive handler. */
  rx: number;
  /** Frames refused by send (no link, link down, bad size, queue full) or received while down. */
  dropped: number;
}

/**
 * A simulated MAC + PHY: the HAL EthernetPort of one host. `send` copies the frame and pads
 * it to 60 bytes as a real MAC does (receivers must use the IP length, not the frame length).
 */
export class SimNic implements EthernetPort, CableEnd {
  private readonly sched: Scheduler;
  private readonly address: Uint8Array;
  private cable: Cable | null = null;
  private up = false;
  private rxHandler: ((frame: Uint8Array) => void) | null = null;
  private linkHandler: ((up: boolean) => void) | null = null;
  /** Wraps every callback into the host (a board uses it to catch a power cut or a crash). */
  guard: (fn: () => void) => void = (fn) => fn();
  readonly counters: NicCounters = { tx: 0, rx: 0, dropped: 0 };
  private powered = true;

  constructor(sched: Scheduler, mac: Uint8Array) {
    if (mac.length !== 6) throw new RangeError('SimNic: mac must be 6 bytes');
    this.sched = sched;
    this.address = mac.slice();
  }

  mac(): Uint8Array {
    return this.address.slice();
  }

  send(frame: Uint8Array): boolean {
    if (!this.cable || !this.up || !this.powered || frame.length < 14 || frame.length > ETH_MAX_FRAME) {
      this.counters.dropped++;
      return false;
    }
    const copy = new Uint8Array(Math.max(frame.length, ETH_MIN_FRAME));
    copy.set(frame);
    if (!this.cable.transmit(this, copy)) {
      this.counters.dropped++;
      return false;
    }
    this.counters.tx++;
    return true;
  }

  onReceive(handler: (frame: Uint8Array) => void): void {
    this.rxHandler = handler;
  }

  linkUp(): boolean {
    return this.up;
  }

  onLinkChange(handler: (up: boolean) => void): void {
    this.linkHandler = handler;
  }

  /** Hand a received frame to the host (called by the cable; tests may call it directly). */
  deliver(frame: Uint8Array): void {
    if (!this.up || !this.powered) {
      this.counters.dropped++;
      return;
    }
    this.counters.rx++;
    const h = this.rxHandler;
    if (h) this.guard(() => h(frame));
  }

  /** Set the PHY link state; fires onLinkChange on a change. */
  setLink(up: boolean): void {
    if (up === this.up) return;
    this.up = up;
    const h = this.linkHandler;
    if (h && this.powered) this.guard(() => h(up));
  }

  /**
   * Power the PHY on or off (a board powering up or down). Off: the link drops for both
   * ends, frames are refused, no callbacks run.
   */
  setPowered(powered: boolean): void {
    this.powered = powered;
    if (this.cable) this.cable.setReady(this, powered);
    else this.setLink(false);
  }

  isPowered(): boolean {
    return this.powered;
  }

  /** The cable this NIC is plugged into, or null. */
  attachedCable(): Cable | null {
    return this.cable;
  }

  /** Plug into (or unplug from, with null) a cable; called by connectNics / SimSwitch. */
  attach(cable: Cable | null): void {
    if (cable && this.cable && this.cable !== cable) throw new Error('SimNic: already cabled; disconnect it first');
    this.cable = cable;
    if (cable) cable.setReady(this, this.powered);
    this.setLink(cable !== null && cable.isUp());
  }

  /** Forget handlers (a board powering off; the next boot registers its own). */
  resetHandlers(): void {
    this.rxHandler = null;
    this.linkHandler = null;
  }

  // CableEnd
  cableReceive(frame: Uint8Array): void {
    this.deliver(frame);
  }

  cableLink(up: boolean): void {
    this.setLink(up);
  }
}

/** Plug two NICs together with a cable (link up at once). Returns the cable. */
export function connectNics(sched: Scheduler, a: SimNic, b: SimNic, faults: LinkOptions = {}): Cable {
  const opts: LinkOptions = { ...faults };
  if (!opts.prng) opts.prng = sched.rng.fork('cable:' + hex(a.mac()) + '-' + hex(b.mac()));
  const cable = new Cable(sched, a, b, opts);
  a.attach(cable);
  b.attach(cable);
  cable.setUp(true);
  return cable;
}
