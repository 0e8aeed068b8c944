/**
 * One simulated phone: a whole `Hal` on the shared Scheduler, with a power switch.
 *
 * Life cycle: `powerOn()` starts a run ("boot"): a fresh clock from 0, the reset reason set,
 * `boot(hal)` called; the PHY link comes up `linkDelayMs` later (autonegotiation), so
 * firmware sees it through onLinkChange. `powerOff()` ends the run: every timer the run
 * set is cancelled, the link drops, serial and TLS are cut, nothing of the run executes
 * again. `reset(reason)` / `hal.system.reset` / the watchdog / a crash end the run the same
 * way and power on again `resetDelayMs` later with that reason (a scheduled event, never
 * recursion).
 *
 * Containment: every callback into the board (boot, timers, frames, link changes, serial
 * bytes, TLS events, image start) runs through one guard. A `PowerCut` from the flash turns
 * into powerOff (the flash lost power, so did the board; the test decides when power
 * returns). `hal.system.reset` unwinds the firmware's stack with a private signal (a reset
 * does not return). Any other exception is logged as a crash and resets with reason
 * 'crash'. The scheduler never sees a board's exception.
 *
 * `board.serial` is the HOST side of the console line (what a USB-serial adapter plugged
 * into the board sees); the board's own UART is `hal.serial`.
 */
import type { Hal } from '../index';
import type { Clock, TimerId } from '../clock';
import type { Crypto } from '../crypto';
import type { Display } from '../display';
import { DISPLAY_LINES } from '../display';
import type { Entropy } from '../entropy';
import type { System, ResetReason, LogLevel } from '../system';
import { LOG_ERROR, LOG_INFO, LOG_WARN, RESET_CRASH, RESET_POWER_ON, RESET_WATCHDOG } from '../system';
import type { Scheduler } from './scheduler';
import { Prng } from './prng';
import { SimNic } from './ether';
import { SimFlash, PowerCut, type FlashPreset } from './flash';
import { SimPoweredDevice, POE_CLASS_MW } from './poe';
import { SimSerial, serialPair, DEFAULT_BAUD } from './serial';
import { HostCrypto } from './crypto-host';
import { PortableCrypto } from './crypto-portable';
import { HostTls } from './tls-host';
import { SimTls } from './tls-sim';
import type { Tls } from '../tls';
import type { AsyncIo } from './io';

export interface SimBoardOptions {
  name: string;
  mac: Uint8Array;
  /** A flash, or a preset name (default 'nor-4m'); the board keeps it across power cycles. */
  flash?: SimFlash | FlashPreset;
  /** PoE class the PD advertises (default 2); -1 = powered by a brick, no PoE. */
  poeClass?: number;
  /** Power every feature needs, in mW (default 6300, within class 2). */
  requiredMw?: number;
  /** Seed of the board's entropy and torn-flash outcomes (default: forked from the scheduler's). */
  seed?: number;
  /** Called at every power-on with the HAL: the loader or the firmware's main. */
  boot: (hal: Hal) => void;
  /** What `hal.system.startImage` runs (the sim's "evaluate the bundle from flash"). */
  startImage?: (hal: Hal, offset: number, length: number) => void;
  /**
   * What `hal.system.startRecovery` runs: the serial recovery module (natively,
   * flash/recovery-main.ts `main(hal, config)`; an engine runner evaluates dist/recovery.js).
   */
  startRecovery?: (hal: Hal) => void;
  /** 'host' (node:crypto, default), 'portable' (@noble), or any Crypto. */
  crypto?: 'host' | 'portable' | Crypto;
  /**
   * 'sim' (default): the deterministic engine of tls-sim.ts, seeded from the board, inside
   * virtual time; 'host': node:tls on Node's event loop (drive the run with runWithIo and
   * `io`), for peers on real sockets.
   */
  tls?: 'sim' | 'host';
  /** Console line rate (default 115200). */
  baud?: number;
  /** Delay from power-on to link up (PHY autonegotiation), default 100 ms. */
  linkDelayMs?: number;
  /** Delay from a reset to the next power-on (ROM + loader start), default 50 ms. */
  resetDelayMs?: number;
}

export interface LogEntry {
  /** Scheduler time (ms), comparable across boards. */
  t: number;
  /** Board uptime (ms since this power-on). */
  uptime: number;
  level: LogLevel;
  tag: string;
  message: string;
}

export interface DisplayEntry {
  t: number;
  line: number;
  text: string;
}

export interface BootEntry {
  t: number;
  reason: ResetReason;
}

export type BoardState = 'off' | 'on' | 'resetting';

/** The display: current lines plus a history of every change. */
export class SimDisplay implements Display {
  readonly lines: string[] = [];
  readonly history: DisplayEntry[] = [];
  private readonly listeners: ((line: number, text: string, t: number) => void)[] = [];
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
    for (let i = 0; i < DISPLAY_LINES; i++) this.lines.push('');
  }

  setLine(index: number, text: string): void {
    if (!Number.isInteger(index) || index < 0 || index >= DISPLAY_LINES) return; // the panel has no such line
    const s = String(text);
    if (this.lines[index] === s) return;
    this.lines[index] = s;
    const t = this.now();
    this.history.push({ t, line: index, text: s });
    for (const l of this.listeners) l(index, s, t);
  }

  clear(): void {
    for (let i = 0; i < DISPLAY_LINES; i++) this.setLine(i, '');
  }

  onChange(fn: (line: number, text: string, t: number) => void): void {
    this.listeners.push(fn);
  }
}

/** Thrown through the firmware's stack by hal.system.reset; only the guard sees it. */
class ResetSignal {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

export class SimBoard {
  readonly name: string;
  readonly hal: Hal;
  readonly nic: SimNic;
  readonly flash: SimFlash;
  readonly pd: SimPoweredDevice;
  readonly display: SimDisplay;
  /** The host side of the console line. */
  readonly serial: SimSerial;
  readonly logs: LogEntry[] = [];
  readonly boots: BootEntry[] = [];
  /** Exceptions that crashed the board (the last few hundred). */
  readonly crashes: { t: number; error: unknown }[] = [];
  /** Engines the board runs on Node's event loop (TLS): pass to runWithIo. */
  readonly io: AsyncIo;

  private readonly sched: Scheduler;
  private readonly opts: SimBoardOptions;
  private readonly uart: SimSerial;
  private readonly rng: Prng;
  private readonly hostTls: HostTls;
  private readonly logListeners: ((e: LogEntry) => void)[] = [];
  private st: BoardState = 'off';
  private gen = 0;
  private bootAt = 0;
  private reason: ResetReason = RESET_POWER_ON;
  private clock: (Clock & { cancelAll(): void }) | null = null;
  private ownEvents = new Set<number>();
  private watchdogTimer = 0;
  private watchdogPeriod = 0;
  private depth = 0;

  constructor(sched: Scheduler, options: SimBoardOptions) {
    this.sched = sched;
    this.opts = options;
    this.name = options.name;
    this.rng = options.seed !== undefined ? new Prng(options.seed) : sched.rng.fork('board:' + options.name);
    const f = options.flash ?? 'nor-4m';
    this.flash = typeof f === 'string' ? new SimFlash(f, { prng: this.rng.fork('flash') }) : f;
    this.nic = new SimNic(sched, options.mac);
    this.nic.guard = (fn) => this.guard(fn);
    this.nic.setPowered(false);
    const pdClass = options.poeClass ?? 2;
    this.pd = new SimPoweredDevice({ pdClass, requiredMw: options.requiredMw ?? 6300 });
    // Until a PSE (attachPse) classifies it, the PD has its class power, as on a PSE with budget to spare.
    if (pdClass >= 0) this.pd.granted(POE_CLASS_MW[Math.min(4, pdClass)]);
    this.display = new SimDisplay(() => sched.now());
    const [uart, host] = serialPair(sched, options.baud ?? DEFAULT_BAUD);
    this.uart = uart;
    this.serial = host;
    uart.guard = (fn) => this.guard(fn);
    uart.powered = false;
    // TLS events come from Node's event loop: post them as scheduler events of this run.
    this.hostTls = new HostTls({
      post: (fn) => {
        const g = this.gen;
        this.schedule(0, () => this.guard(fn, g));
      },
    });
    this.io = this.hostTls.io;
    const tls: Tls = options.tls === 'host' ? this.hostTls : new SimTls(this.rng.fork('tls').u32());
    const crypto: Crypto = options.crypto === 'portable' ? new PortableCrypto()
      : options.crypto === undefined || options.crypto === 'host' ? new HostCrypto() : options.crypto;

    const clock: Clock = {
      now: () => (this.st === 'on' ? Math.floor(this.sched.now() - this.bootAt) : 0),
      setTimer: (delayMs: number, callback: () => void): TimerId => {
        if (!this.clock) return 0;
        const g = this.gen;
        return this.clock.setTimer(Math.max(0, delayMs), () => this.guard(callback, g));
      },
      clearTimer: (id: TimerId) => {
        if (this.clock) this.clock.clearTimer(id);
      },
    };
    const entropy: Entropy = {
      fill: (out: Uint8Array) => this.rng.bytes(out),
      u32: () => this.rng.u32(),
    };
    const system: System = {
      resetReason: () => this.reason,
      reset: (reason: ResetReason) => {
        this.log(LOG_INFO, 'board', 'reset requested: ' + reason);
        this.restart(reason);
        // A reset does not return: unwind the firmware's stack (the guard swallows it).
        if (this.depth > 0) throw new ResetSignal(reason);
      },
      watchdogStart: (periodMs: number) => this.armWatchdog(periodMs),
      watchdogFeed: () => {
        if (this.watchdogPeriod > 0 && this.st === 'on') this.armWatchdog(this.watchdogPeriod);
      },
      startImage: (offset: number, length: number) => this.startImage(offset, length),
      startRecovery: () => this.startRecovery(),
      log: (level: LogLevel, tag: string, message: string) => this.log(level, tag, message),
    };
    this.hal = {
      clock, eth: this.nic, poe: this.pd, flash: this.flash, entropy, crypto, tls,
      display: this.display, serial: uart, system,
    };
  }

  get state(): BoardState {
    return this.st;
  }

  isOn(): boolean {
    return this.st === 'on';
  }

  /** The reset reason of the current (or last) run. */
  resetReason(): ResetReason {
    return this.reason;
  }

  onLog(fn: (e: LogEntry) => void): void {
    this.logListeners.push(fn);
  }

  onDisplay(fn: (line: number, text: string, t: number) => void): void {
    this.display.onChange(fn);
  }

  /** Log lines whose tag and/or message match (a small helper for assertions). */
  logsMatching(re: RegExp): LogEntry[] {
    return this.logs.filter((e) => re.test(e.tag + ': ' + e.message));
  }

  /** Apply power: a run starts with reason 'power-on' (or `reason`). No-op when already on. */
  powerOn(reason: ResetReason = RESET_POWER_ON): void {
    if (this.st === 'on') return;
    this.cancelOwn();
    this.gen++;
    this.st = 'on';
    this.reason = reason;
    this.bootAt = this.sched.now();
    this.boots.push({ t: this.bootAt, reason });
    this.clock = this.sched.clock(this.bootAt);
    this.flash.powerRestored();
    this.nic.resetHandlers();
    this.uart.reset();
    this.uart.powered = true;
    this.watchdogPeriod = 0;
    this.display.clear();
    const g = this.gen;
    const linkDelay = this.opts.linkDelayMs ?? 100;
    this.schedule(linkDelay, () => { if (g === this.gen && this.st === 'on') this.nic.setPowered(true); });
    this.log(LOG_INFO, 'board', `power on (${reason})`);
    this.guard(() => this.opts.boot(this.hal), g);
  }

  /** Remove power: the run ends at once, nothing of it runs again. */
  powerOff(): void {
    if (this.st === 'off') return;
    this.stop();
    this.st = 'off';
    this.log(LOG_INFO, 'board', 'power off');
  }

  /** Reset with `reason`: the run ends now and a new one starts resetDelayMs later. */
  reset(reason: ResetReason): void {
    this.restart(reason);
  }

  /**
   * Run `fn` as the board: the containment point for every callback into the firmware.
   * `gen` pins the callback to the run that created it.
   */
  guard(fn: () => void, gen = this.gen): void {
    if (gen !== this.gen || this.st !== 'on') return;
    this.depth++;
    try {
      fn();
    } catch (e) {
      if (e instanceof ResetSignal) return;
      if (e instanceof PowerCut) {
        this.log(LOG_WARN, 'board', 'power lost: ' + e.message);
        this.powerOff();
        return;
      }
      this.crashes.push({ t: this.sched.now(), error: e });
      if (this.crashes.length > 200) this.crashes.shift();
      const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
      this.log(LOG_ERROR, 'board', 'crash: ' + msg);
      this.restart(RESET_CRASH);
    } finally {
      this.depth--;
    }
  }

  private log(level: LogLevel, tag: string, message: string): void {
    const t = this.sched.now();
    const e: LogEntry = { t, uptime: this.st === 'on' ? Math.floor(t - this.bootAt) : 0, level, tag, message };
    this.logs.push(e);
    for (const l of this.logListeners) l(e);
  }

  /** End the run and power on again after resetDelayMs with `reason`. */
  private restart(reason: ResetReason): void {
    if (this.st === 'resetting') return;
    if (this.st === 'on') this.stop();
    this.st = 'resetting';
    this.schedule(this.opts.resetDelayMs ?? 50, () => {
      this.st = 'off';
      this.powerOn(reason);
    });
  }

  /** Everything a run leaves behind goes: timers, watchdog, link, serial, TLS. */
  private stop(): void {
    this.gen++;
    if (this.clock) this.clock.cancelAll();
    this.clock = null;
    this.cancelOwn();
    this.watchdogPeriod = 0;
    this.nic.setPowered(false);
    this.nic.resetHandlers();
    this.uart.reset();
    this.uart.powered = false;
    this.hostTls.destroyAll();
  }

  private schedule(delayMs: number, fn: () => void): void {
    const id = this.sched.after(delayMs, () => {
      this.ownEvents.delete(id);
      fn();
    });
    this.ownEvents.add(id);
  }

  private cancelOwn(): void {
    for (const id of this.ownEvents) this.sched.cancel(id);
    this.ownEvents.clear();
    if (this.watchdogTimer) this.sched.cancel(this.watchdogTimer);
    this.watchdogTimer = 0;
  }

  private armWatchdog(periodMs: number): void {
    if (this.watchdogTimer) this.sched.cancel(this.watchdogTimer);
    this.watchdogTimer = 0;
    this.watchdogPeriod = periodMs > 0 ? periodMs : 0;
    if (this.watchdogPeriod === 0 || this.st !== 'on') return;
    const g = this.gen;
    this.watchdogTimer = this.sched.after(this.watchdogPeriod, () => {
      this.watchdogTimer = 0;
      if (g !== this.gen || this.st !== 'on') return;
      this.log(LOG_WARN, 'board', `watchdog expired (${this.watchdogPeriod} ms without a feed)`);
      this.restart(RESET_WATCHDOG);
    });
  }

  /**
   * The loader hands over to an image: the loader's timers and handlers go (the watchdog
   * keeps running, as on a chip, so a hung test image is reverted), then the image starts
   * as a new event once the loader's stack has unwound.
   */
  private startImage(offset: number, length: number): void {
    const start = this.opts.startImage;
    if (!start) {
      this.log(LOG_ERROR, 'board', 'startImage: this board has no image runner');
      throw new Error('startImage not supported by this SimBoard');
    }
    if (this.clock) this.clock.cancelAll();
    this.nic.resetHandlers();
    this.uart.reset();
    this.log(LOG_INFO, 'board', `start image at 0x${offset.toString(16)} (${length} bytes)`);
    const g = this.gen;
    this.schedule(0, () => this.guard(() => start(this.hal, offset, length), g));
  }

  /**
   * The loader hands over to the serial recovery module, as it does to an image: the
   * loader's timers and handlers go, and the module starts as a new event.
   */
  private startRecovery(): void {
    const start = this.opts.startRecovery;
    if (!start) {
      this.log(LOG_ERROR, 'board', 'startRecovery: this board has no recovery module');
      throw new Error('startRecovery not supported by this SimBoard');
    }
    if (this.clock) this.clock.cancelAll();
    this.nic.resetHandlers();
    this.uart.reset();
    this.log(LOG_INFO, 'board', 'start serial recovery');
    const g = this.gen;
    this.schedule(0, () => this.guard(() => start(this.hal), g));
  }
}
