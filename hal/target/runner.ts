/**
 * What every engine runner shares: the report, the stop reasons, and `EngineBoard`, a
 * SimBoard whose loader, image and recovery module run as bundles in an engine.
 *
 * One runner = one engine context = one board's RAM for one stretch: a power-on gets a
 * fresh runner for the loader; `system.startImage` reads the image payload from the
 * simulated flash and evaluates it in another fresh runner (the loader's RAM is gone after
 * the jump), then calls `DialtoneFirmware.main(hal)`; `system.startRecovery` does the same
 * with the recovery bundle (`DialtoneRecovery.main(hal)`).
 *
 * Host code (Node).
 */
import type { Hal } from '../index';
import type { Scheduler } from '../sim/scheduler';
import { SimBoard, type SimBoardOptions } from '../sim/board';
import { formatFigures, mergeFigures, type MemoryFigures, type MeteredEngine } from './budgets';

export type StopKind = 'budget' | 'crash' | 'runaway';

export interface StopReason {
  kind: StopKind;
  message: string;
  /** Scheduler time when it stopped (ms). */
  atMs: number;
}

/** Thrown to the host caller (the board's guard) when the guest fails; `stop` says how. */
export class GuestStopped extends Error {
  readonly stop: StopReason;
  constructor(stop: StopReason) {
    super(`${stop.kind}: ${stop.message}`);
    this.name = 'GuestStopped';
    this.stop = stop;
  }
}

export interface RunnerReport {
  engine: MeteredEngine;
  /** The gate the run is held to (bytes). */
  budget: number;
  /** Largest figure (QuickJS: app heap; XS: slots x 16 + chunks), = memory.peak.bytes. */
  peakAppHeap: number;
  /** Bytecode of the bundles (flash on a board; not counted). */
  bytecode: number;
  /** QuickJS: memory_used_size of the empty context. XS: slots x 32 + chunks of the machine with the HAL (host bytes). */
  emptyContext: number;
  /** Heap of the HAL binding (prelude + host functions), excluded from the figures. */
  binding: number;
  /** QuickJS: atoms (names, string constants) created by evaluating the bundles. */
  codeAtoms: number;
  /** Largest engine total seen (QuickJS memory_used_size; XS host bytes). */
  peakTotal: number;
  /** Host -> guest entries run (evals, main calls, timers, frames, link, serial). */
  events: number;
  /** Guest -> host calls. */
  hostCalls: number;
  /** Scheduler time at the end of the run (ms). */
  virtualMs: number;
  /** Images started through system.startImage. */
  imagesStarted: number;
  /** Engine runs (power-ons, image and recovery starts). */
  runs: number;
  memory: MemoryFigures;
  stop: StopReason | null;
}

/** One engine context. */
export interface EngineRunner {
  /** Evaluate a bundle (its text, as on flash) and call `<globalName>.main(hal)`. */
  start(code: string, filename: string, globalName: string): void;
  /** From now on end-of-event samples count toward `steady`. */
  markSteady(): void;
  report(): RunnerReport;
  dispose(): void;
}

export interface RunnerContext {
  sched: Scheduler;
  hal: Hal;
  onStop: (stop: StopReason) => void;
}

export interface Bundle {
  code: string;
  filename: string;
  globalName: string;
}

export interface EngineBoardOptions {
  sched: Scheduler;
  /** The bundle the board boots at every power-on (the loader, or a firmware run directly). */
  bundle: Bundle;
  /** The global a started image assigns `{ main }` to (default DialtoneFirmware). */
  imageGlobal?: string;
  /** The serial recovery module `system.startRecovery` evaluates (dist/recovery.js). */
  recovery?: Bundle;
  /** SimBoard options (name, MAC, flash, PoE, ...); `boot`/`startImage`/`startRecovery` are the runner's. */
  board?: Partial<Omit<SimBoardOptions, 'boot' | 'startImage'>>;
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

/**
 * A SimBoard whose engine is `newRunner`'s. The first budget/crash/runaway stop is kept in
 * `stop`; `run()` ends there.
 */
export class EngineBoard {
  readonly board: SimBoard;
  readonly sched: Scheduler;
  readonly engine: MeteredEngine;
  stop: StopReason | null = null;
  private readonly opts: EngineBoardOptions;
  private readonly newRunner: (ctx: RunnerContext) => EngineRunner;
  private readonly gate: number;
  private current: EngineRunner | null = null;
  private readonly finished: RunnerReport[] = [];
  private poweredOnce = false;
  private steady = false;
  private imagesStarted = 0;

  constructor(engine: MeteredEngine, gate: number, opts: EngineBoardOptions, newRunner: (ctx: RunnerContext) => EngineRunner) {
    this.engine = engine;
    this.gate = gate;
    this.opts = opts;
    this.sched = opts.sched;
    this.newRunner = newRunner;
    const b = opts.board ?? {};
    // startRecovery: the board's hook for the loader's recovery row (hal/system.ts).
    const o: SimBoardOptions & { startRecovery?: (hal: Hal) => void } = {
      ...b,
      name: b.name ?? 'phone',
      mac: b.mac ?? new Uint8Array([0x00, 0x1b, 0xd4, 0x00, 0x00, 0x01]),
      boot: (hal: Hal) => this.boot(hal),
      startImage: (hal: Hal, offset: number, length: number) => this.startImage(hal, offset, length),
      startRecovery: (hal: Hal) => this.startRecovery(hal),
    };
    this.board = new SimBoard(opts.sched, o);
  }

  /** The runner of the current stretch (null before the first power-on). */
  get runner(): EngineRunner | null {
    return this.current;
  }

  private fresh(hal: Hal): EngineRunner {
    this.retire();
    if (this.halted && this.stop) throw new GuestStopped(this.stop);
    const onStop = (s: StopReason): void => this.halt(s);
    let r: EngineRunner;
    try {
      r = this.newRunner({ sched: this.sched, hal, onStop });
    } catch (e) {
      // An engine that cannot start is no firmware crash: stop the run (no reset loop).
      const stop: StopReason = { kind: 'crash', atMs: this.sched.now(), message: `${this.engine} runner did not start: ${e instanceof Error ? e.message : String(e)}` };
      onStop(stop);
      throw new GuestStopped(stop);
    }
    if (this.steady) r.markSteady();
    this.current = r;
    return r;
  }

  /**
   * The first stop is kept (`stop`; `run()` ends there). Over the gate or a runaway halts
   * the board, as an engine abort does on a chip (XS out of memory is no exception the
   * firmware can catch): it powers off once the current event has unwound (its guard then
   * schedules no reset), so a lab goes on without this phone. A crash resets the board as
   * natively (the loader may then revert a test image).
   */
  private halt(s: StopReason): void {
    if (!this.stop) this.stop = s;
    if (s.kind === 'crash' || this.halted) return;
    this.halted = true;
    this.sched.after(0, () => this.board.powerOff());
  }

  private halted = false;

  private boot(hal: Hal): void {
    const b = this.opts.bundle;
    this.fresh(hal).start(b.code, b.filename, b.globalName);
  }

  /**
   * The board's startImage hook (a board event of its own, so no guest code is running):
   * read the payload from flash, retire the loader's context and run the image in a new one.
   */
  private startImage(hal: Hal, offset: number, length: number): void {
    const bytes = new Uint8Array(length);
    const st = hal.flash.read(offset, bytes);
    if (st !== 0) {
      this.halt({ kind: 'crash', atMs: this.sched.now(), message: `system.startImage(${offset}, ${length}): flash read failed with status ${st}` });
      return;
    }
    this.imagesStarted++;
    this.fresh(hal).start(latin1(bytes), `image@0x${offset.toString(16)}`, this.opts.imageGlobal ?? 'DialtoneFirmware');
  }

  private startRecovery(hal: Hal): void {
    const r = this.opts.recovery;
    if (!r) throw new Error('system.startRecovery: this board was given no recovery bundle');
    this.fresh(hal).start(r.code, r.filename, r.globalName);
  }

  private retire(): void {
    if (!this.current) return;
    this.finished.push(this.current.report());
    this.current.dispose();
    this.current = null;
  }

  /** From now on (this runner and the next ones) end-of-event samples count toward steady. */
  markSteady(): void {
    this.steady = true;
    this.current?.markSteady();
  }

  /** Power on (if off) and run the simulation until `untilMs` or the first stop. */
  run(untilMs: number): RunnerReport {
    if (!this.poweredOnce) {
      this.poweredOnce = true;
      this.board.powerOn();
    }
    this.sched.run(untilMs, () => this.stop !== null);
    return this.report();
  }

  /** Figures over every run so far: peaks are maxima, counts are sums. */
  report(): RunnerReport {
    const all = this.current ? [...this.finished, this.current.report()] : [...this.finished];
    const max = (f: (r: RunnerReport) => number): number => all.reduce((m, r) => Math.max(m, f(r)), 0);
    const sum = (f: (r: RunnerReport) => number): number => all.reduce((m, r) => m + f(r), 0);
    const memory = mergeFigures(all.map((r) => r.memory), this.engine, this.gate);
    return {
      engine: this.engine,
      budget: this.gate,
      peakAppHeap: memory.peak.bytes,
      bytecode: max((r) => r.bytecode),
      emptyContext: max((r) => r.emptyContext),
      binding: max((r) => r.binding),
      codeAtoms: max((r) => r.codeAtoms),
      peakTotal: max((r) => r.peakTotal),
      events: sum((r) => r.events),
      hostCalls: sum((r) => r.hostCalls),
      virtualMs: this.sched.now(),
      imagesStarted: this.imagesStarted,
      runs: all.length,
      memory,
      stop: this.stop,
    };
  }

  dispose(): void {
    this.board.powerOff();
    this.retire();
  }
}

/** The report as the lines `npm run target` prints. */
export function formatReport(r: RunnerReport): string[] {
  const kib = (n: number): string => `${n} B (${(n / 1024).toFixed(1)} KiB)`;
  const lines = formatFigures(r.memory, { bytecode: r.bytecode });
  if (r.engine === 'quickjs') {
    lines.push(
      `code atoms  ${kib(r.codeAtoms)} (names + string constants of the bundles: flash on a board; not counted)`,
      `empty ctx   ${kib(r.emptyContext)} (QuickJS baseline; not counted)`,
      `binding     ${kib(r.binding)} (prelude + host functions; not counted)`,
      `total       ${kib(r.peakTotal)} (QuickJS memory_used_size at its peak)`,
    );
  } else {
    lines.push(
      `machine     ${kib(r.emptyContext)} (xsnap machine + HAL prelude, host bytes; ROM on a board, not counted)`,
    );
  }
  lines.push(
    `events      ${r.events} events, ${r.hostCalls} host calls (over ${r.runs} engine run${r.runs === 1 ? '' : 's'}, ${r.imagesStarted} image start${r.imagesStarted === 1 ? '' : 's'})`,
    `virtual     ${r.virtualMs} ms`,
  );
  return lines;
}
