/**
 * The QuickJS runner: runs built target bundles (dist/bootloader.js, dist/firmware.js)
 * inside QuickJS (quickjs-emscripten 0.32.0, RELEASE_SYNC) against a host-side `Hal` on the
 * simulation's virtual time, under a real memory budget.
 *
 * Binding. The guest gets the `Hal` built by GUEST_PRELUDE (prelude.ts) over flat host
 * functions in `__host`; every call lands in the host `Hal` given to the runner (a SimBoard
 * or RunnerBoard). Timers go to the host clock, i.e. the Scheduler; when one fires, or a
 * frame / link change / serial chunk arrives, the host calls the guest dispatcher and then
 * drains QuickJS's job queue (`executePendingJobs`), so promise reactions run before the
 * next event, as on a board.
 *
 * Memory budget (reference/embedded_js.md 3.4). `setMemoryLimit` does not cap the total
 * under Emscripten, so the runner polls `computeMemoryUsage()` from the interrupt handler
 * (every ~10k bytecode branches or calls), after each event and after each job pump:
 *
 *     app heap = memory_used_size - baseline - bytecode
 *     baseline = memory_used_size of the empty context, measured at start,
 *                plus the heap of the HAL binding (prelude objects and ~40 host function
 *                objects, ~15 KiB in QuickJS: runner machinery, native on a board; reported
 *                apart as `binding`)
 *     bytecode = js_func_size + js_func_code_size + js_func_pc2line_size
 *                + the atoms (identifier names, property names, string constants) that
 *                evaluating a bundle created: a board keeps code and its constants in
 *                flash (XS preloads them into ROM), not in the heap. Measured as the
 *                atom_size growth across each bundle's evaluation; atoms made later
 *                (property names built at run time) stay in the app heap. For the
 *                firmware of 2026-11 this is ~55 KiB of ~1700 atoms, hence reported apart.
 *
 * Failures. The runner sits inside a SimBoard (hal/sim/board.ts), whose guard contains
 * every callback: an exception a HAL call raised on the host side (a simulated power cut,
 * the reset signal of `system.reset`) unwinds the guest and is rethrown to the guard as is;
 * an uncaught guest exception is thrown to the guard as a crash (the board logs it and
 * resets); going over the budget interrupts the guest (an uncatchable InternalError) and
 * throws too. Crash, budget and runaway are also reported through `onStop`, so a runner
 * of runs (QuickJsBoard below) can end the simulation there.
 *
 * Host code (Node). One runner = one QuickJS runtime + context = one board's engine.
 */
import {
  newQuickJSWASMModule,
  RELEASE_SYNC,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
} from 'quickjs-emscripten';
import type { Hal } from '../index';
import type { Sha256 } from '../crypto';
import type { Scheduler } from '../sim/scheduler';
import { SimBoard, type SimBoardOptions } from '../sim/board';
import { GUEST_PRELUDE } from './prelude';

export const DEFAULT_BUDGET_BYTES = 64 * 1024;
export const DEFAULT_STACK_BYTES = 64 * 1024;
/** Backstop against one runaway allocation taking the host down; not the budget (see above). */
const HOST_MEMORY_LIMIT = 32 * 1024 * 1024;
/** Interrupt-handler calls in one event before the guest counts as stuck (~10k ops each). */
const MAX_INTERRUPTS_PER_EVENT = 200_000;

let modulePromise: Promise<QuickJSWASMModule> | null = null;

/** The shared QuickJS WASM module (compiled once per process; ~15 ms). */
export function loadQuickJs(): Promise<QuickJSWASMModule> {
  if (!modulePromise) modulePromise = newQuickJSWASMModule(RELEASE_SYNC);
  return modulePromise;
}

export interface MemorySample {
  /** QuickJS memory_used_size: everything the runtime holds. */
  used: number;
  /** Function bytecode, constants, debug info: flash on a board. */
  bytecode: number;
  /** used - baseline - bytecode. */
  appHeap: number;
}

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
  budget: number;
  /** memory_used_size of the empty context (plus the runtime's service context). */
  emptyContext: number;
  /** Heap of the HAL binding (prelude + host functions), excluded from the app heap. */
  binding: number;
  peakAppHeap: number;
  /** Bytecode of the bundles (largest seen, less the prelude's own). */
  bytecode: number;
  /** Atoms (names, string constants) created by evaluating the bundles. */
  codeAtoms: number;
  /** Largest memory_used_size seen (empty context + binding + bytecode + app heap). */
  peakTotal: number;
  /** Host -> guest entries run (evals, main calls, timers, frames, link, serial). */
  events: number;
  /** Scheduler time at the end of the run (ms). */
  virtualMs: number;
  /** Images started through system.startImage. */
  imagesStarted: number;
  /** Engine runs (one per board power-on). */
  runs: number;
  stop: StopReason | null;
}

export interface QuickJsRunnerOptions {
  sched: Scheduler;
  /** The host-side HAL every guest call lands in (a SimBoard's `hal`). */
  hal: Hal;
  budgetBytes?: number;
  stackBytes?: number;
  /** The global a started image assigns `{ main }` to (default DialtoneFirmware). */
  imageGlobal?: string;
  /** Told once when the guest crashes, runs away or exceeds the budget. */
  onStop?: (stop: StopReason) => void;
  /**
   * Guest text evaluated after the HAL prelude and before any bundle (e.g. the Espruino
   * semantics of hal/target/espruino-semantics.ts). Counted with the binding, not the app.
   */
  extraPrelude?: string;
}

type Dispatch = 'fire' | 'rx' | 'link' | 'serial';

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

/** One QuickJS runtime + context: the engine of one board for one power-on. */
export class QuickJsRunner {
  readonly budget: number;
  private readonly rt: QuickJSRuntime;
  private readonly vm: QuickJSContext;
  private readonly hal: Hal;
  private readonly sched: Scheduler;
  private readonly imageGlobal: string;
  private readonly onStop?: (stop: StopReason) => void;
  private readonly extraPrelude?: string;
  /** memory_used_size of the empty context (with the runtime's service context). */
  private readonly emptyContext: number;
  /** Heap of the HAL binding itself (prelude objects, host function objects). */
  private readonly binding: number;
  /** emptyContext + binding: what the app heap is measured from. */
  private readonly baseline: number;
  /** The prelude's own bytecode, left out of the reported bundle bytecode. */
  private readonly bindingBytecode: number;
  private dispatcher!: QuickJSHandle;
  private readonly dispatchFns = new Map<Dispatch, QuickJSHandle>();
  private readonly hashes = new Map<number, Sha256>();
  private nextHash = 1;
  /** Atoms created by evaluating bundles (code constants; see the module comment). */
  private codeAtoms = 0;
  /** atom_size when the current bundle evaluation began; null outside one. */
  private loadAtomsBase: number | null = null;
  private interrupts = 0;
  private interruptReason: StopKind | null = null;
  private hostError: { error: unknown } | null = null;
  private peakAppHeap = 0;
  private peakTotal = 0;
  private bytecodeMax = 0;
  private events = 0;
  private imagesStarted = 0;
  private disposed = false;
  stop: StopReason | null = null;

  /** Create a runner (loads the WASM module once per process). */
  static async create(opts: QuickJsRunnerOptions): Promise<QuickJsRunner> {
    return new QuickJsRunner(await loadQuickJs(), opts);
  }

  constructor(module: QuickJSWASMModule, opts: QuickJsRunnerOptions) {
    this.budget = opts.budgetBytes ?? DEFAULT_BUDGET_BYTES;
    this.hal = opts.hal;
    this.sched = opts.sched;
    this.onStop = opts.onStop;
    this.imageGlobal = opts.imageGlobal ?? 'DialtoneFirmware';
    this.extraPrelude = opts.extraPrelude;
    this.rt = module.newRuntime();
    this.rt.setMemoryLimit(HOST_MEMORY_LIMIT);
    this.rt.setMaxStackSize(opts.stackBytes ?? DEFAULT_STACK_BYTES);
    this.vm = this.rt.newContext();
    // The first computeMemoryUsage creates the runtime's service context; measure after it.
    this.rawSample();
    this.emptyContext = this.rawSample().used;
    this.installHost();
    const bound = this.rawSample();
    this.binding = bound.used - bound.bytecode - this.emptyContext;
    this.bindingBytecode = bound.bytecode;
    this.baseline = this.emptyContext + this.binding;
    this.rt.setInterruptHandler(() => this.onInterrupt());
    this.bindHostEvents();
  }

  // --- memory -------------------------------------------------------------------------------

  private rawSample(): { used: number; bytecode: number; atoms: number } {
    const h = this.rt.computeMemoryUsage();
    const u = this.vm.dump(h) as Record<string, number>;
    h.dispose();
    return {
      used: u.memory_used_size,
      bytecode: u.js_func_size + u.js_func_code_size + u.js_func_pc2line_size,
      atoms: u.atom_size,
    };
  }

  /** Code atoms so far, including those of a bundle being evaluated right now. */
  private codeAtomsNow(atoms: number): number {
    return this.codeAtoms + (this.loadAtomsBase === null ? 0 : Math.max(0, atoms - this.loadAtomsBase));
  }

  /** Measure now and track the peak. */
  sample(): MemorySample {
    const r = this.rawSample();
    const code = r.bytecode + this.codeAtomsNow(r.atoms);
    const s: MemorySample = { used: r.used, bytecode: code, appHeap: r.used - this.baseline - code };
    if (s.appHeap > this.peakAppHeap) this.peakAppHeap = s.appHeap;
    if (s.used > this.peakTotal) this.peakTotal = s.used;
    if (s.bytecode > this.bytecodeMax) this.bytecodeMax = s.bytecode;
    return s;
  }

  private onInterrupt(): boolean {
    if (this.interruptReason) return true;
    if (++this.interrupts > MAX_INTERRUPTS_PER_EVENT) {
      this.interruptReason = 'runaway';
      return true;
    }
    if (this.sample().appHeap > this.budget) {
      this.interruptReason = 'budget';
      return true;
    }
    return false;
  }

  private budgetStop(where: string): StopReason | null {
    return this.sample().appHeap > this.budget
      ? this.makeStop('budget', `app heap ${this.peakAppHeap} B exceeds the budget of ${this.budget} B (${where})`)
      : null;
  }

  private makeStop(kind: StopKind, message: string): StopReason {
    return { kind, message, atMs: this.sched.now() };
  }

  /** Record the stop, tell the owner, and throw it to the host caller. */
  private fail(stop: StopReason): never {
    if (!this.stop) {
      this.stop = stop;
      this.onStop?.(stop);
    }
    throw new GuestStopped(stop);
  }

  // --- guest entry ----------------------------------------------------------------------------

  /**
   * One host -> guest entry: run `body` (which calls into the guest), drain the job queue,
   * poll memory. Throws to the caller (the board's guard) on any failure.
   */
  private enter(where: string, body: () => { error?: QuickJSHandle; value?: QuickJSHandle }, loadsCode = false): void {
    if (this.disposed) return;
    if (this.stop) throw new GuestStopped(this.stop);
    this.events++;
    this.interrupts = 0;
    this.hostError = null;
    if (loadsCode) this.loadAtomsBase = this.rawSample().atoms;
    let res: { error?: QuickJSHandle; value?: QuickJSHandle };
    try {
      res = body();
    } finally {
      if (loadsCode) {
        this.codeAtoms = this.codeAtomsNow(this.rawSample().atoms);
        this.loadAtomsBase = null;
      }
    }
    if (res.error) {
      const text = this.errorText(res.error);
      this.rethrowHostError();
      if (this.interruptReason === 'budget') this.fail(this.budgetStop(`interrupted in ${where}`) ?? this.makeStop('budget', `interrupted in ${where}`));
      if (this.interruptReason === 'runaway') this.fail(this.makeStop('runaway', `${where} ran ${MAX_INTERRUPTS_PER_EVENT} interrupt periods without returning`));
      this.fail(this.makeStop('crash', `uncaught in ${where}: ${text}`));
    }
    res.value?.dispose();
    // A host exception the guest caught (try/catch around a HAL call) still propagates:
    // a reset does not return, a power cut stops everything.
    this.rethrowHostError();
    const over = this.budgetStop(`after ${where}`);
    if (over) this.fail(over);
    const jobs = this.rt.executePendingJobs(-1);
    if (jobs.error) {
      const text = this.errorText(jobs.error);
      this.rethrowHostError();
      if (this.interruptReason === 'budget') this.fail(this.makeStop('budget', `interrupted in the jobs of ${where}`));
      this.fail(this.makeStop('crash', `uncaught in a promise job of ${where}: ${text}`));
    }
    this.rethrowHostError();
    const overJobs = this.budgetStop(`after the jobs of ${where}`);
    if (overJobs) this.fail(overJobs);
  }

  private rethrowHostError(): void {
    if (this.hostError) {
      const e = this.hostError.error;
      this.hostError = null;
      throw e;
    }
  }

  private errorText(errHandle: QuickJSHandle): string {
    try {
      const e = this.vm.dump(errHandle) as { name?: string; message?: string; stack?: string } | string;
      const text = typeof e === 'object' && e !== null
        ? `${e.name ?? 'Error'}: ${e.message ?? ''}${e.stack ? `\n${e.stack}` : ''}` : String(e);
      return text.trim();
    } finally {
      errHandle.dispose();
    }
  }

  /** Evaluate a bundle (its text, as on flash) and call `<globalName>.main(hal)`. */
  start(code: string, filename: string, globalName: string): void {
    this.enter(`eval ${filename}`, () => this.vm.evalCode(code, filename), true);
    this.enter(`${globalName}.main`, () => this.vm.evalCode(`${globalName}.main(__dialtone.hal)`, `<start ${globalName}>`));
  }

  /**
   * Run an image's payload as this runner's program (a fresh context: the loader that
   * chose it is gone, as on a board where the jump to the image leaves nothing of the
   * loader's RAM). The caller read `code` from flash.
   */
  startImageCode(code: string, offset: number): void {
    this.imagesStarted++;
    this.start(code, `image@0x${offset.toString(16)}`, this.imageGlobal);
  }

  report(): RunnerReport {
    return {
      budget: this.budget,
      emptyContext: this.emptyContext,
      binding: this.binding,
      peakAppHeap: this.peakAppHeap,
      bytecode: Math.max(0, this.bytecodeMax - this.bindingBytecode - this.codeAtoms),
      codeAtoms: this.codeAtoms,
      peakTotal: this.peakTotal,
      events: this.events,
      virtualMs: this.sched.now(),
      imagesStarted: this.imagesStarted,
      runs: 1,
      stop: this.stop,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const h of this.dispatchFns.values()) h.dispose();
    this.dispatcher?.dispose();
    this.vm.dispose();
    this.rt.dispose();
  }

  // --- host functions -------------------------------------------------------------------------

  private dispatch(kind: Dispatch, arg: () => QuickJSHandle): void {
    const fn = this.dispatchFns.get(kind);
    if (!fn || this.disposed) return;
    this.enter(kind, () => {
      const a = arg();
      try {
        return this.vm.callFunction(fn, this.dispatcher, a);
      } finally {
        a.dispose();
      }
    });
  }

  private bindHostEvents(): void {
    const hal = this.hal;
    hal.eth.onReceive((frame) => this.dispatch('rx', () => this.vm.newArrayBuffer(frame.slice().buffer)));
    hal.eth.onLinkChange((up) => this.dispatch('link', () => (up ? this.vm.true : this.vm.false)));
    hal.serial.onData((bytes) => this.dispatch('serial', () => this.vm.newArrayBuffer(bytes.slice().buffer)));
  }

  private installHost(): void {
    const vm = this.vm;
    const hal = this.hal;
    const host = vm.newObject();
    const num = (h: QuickJSHandle): number => vm.getNumber(h);
    const str = (h: QuickJSHandle): string => vm.getString(h);
    const bool = (b: boolean): QuickJSHandle => (b ? vm.true : vm.false);
    const bytes = (a: QuickJSHandle[], i: number): Uint8Array => {
      const off = num(a[i + 1]);
      const len = num(a[i + 2]);
      const lt = vm.getArrayBuffer(a[i]);
      try {
        return lt.value.slice(off, off + len);
      } finally {
        lt.dispose();
      }
    };
    const buf = (b: Uint8Array): QuickJSHandle => vm.newArrayBuffer(b.slice().buffer);
    const def = (name: string, impl: (...a: QuickJSHandle[]) => QuickJSHandle | void): void => {
      const f = vm.newFunction(name, (...a) => {
        try {
          return impl(...a);
        } catch (err) {
          // A host failure (a bug, or a simulated power cut) surfaces in the guest as an
          // exception; remember it so the runner stops with the real cause.
          if (this.hostError === null) this.hostError = { error: err };
          throw err;
        }
      });
      vm.setProp(host, name, f);
      f.dispose();
    };

    def('now', () => vm.newNumber(hal.clock.now()));
    def('setTimer', (ms) => {
      let id = 0;
      id = hal.clock.setTimer(num(ms), () => this.dispatch('fire', () => vm.newNumber(id)));
      return vm.newNumber(id);
    });
    def('clearTimer', (id) => hal.clock.clearTimer(num(id)));

    def('ethMac', () => buf(hal.eth.mac()));
    def('ethSend', (...a) => bool(hal.eth.send(bytes(a, 0))));
    def('ethLinkUp', () => bool(hal.eth.linkUp()));

    def('poeClass', () => vm.newNumber(hal.poe.poeClass()));
    def('poeClassPowerMw', () => vm.newNumber(hal.poe.classPowerMw()));
    def('poeRequiredMw', () => vm.newNumber(hal.poe.requiredMw()));
    def('poeApply', (mw) => vm.newNumber(hal.poe.applyAllocation(num(mw))));
    def('poeLowPower', () => bool(hal.poe.lowPower()));

    def('flashSize', () => vm.newNumber(hal.flash.geometry.size));
    def('flashSectorSize', () => vm.newNumber(hal.flash.geometry.sectorSize));
    def('flashWriteAlign', () => vm.newNumber(hal.flash.geometry.writeAlign));
    def('flashRead', (addr, len) => {
      const out = new Uint8Array(num(len));
      const st = hal.flash.read(num(addr), out);
      return st === 0 ? buf(out) : vm.newNumber(st);
    });
    def('flashProgram', (addr, ...a) => vm.newNumber(hal.flash.program(num(addr), bytes(a, 0))));
    def('flashErase', (addr) => vm.newNumber(hal.flash.erase(num(addr))));

    def('entropy', (len) => {
      const out = new Uint8Array(num(len));
      hal.entropy.fill(out);
      return buf(out);
    });
    def('entropyU32', () => vm.newNumber(hal.entropy.u32() >>> 0));

    def('hashNew', (alg) => {
      const id = this.nextHash++;
      this.hashes.set(id, str(alg) === 'sha1' ? hal.crypto.sha1() : hal.crypto.sha256());
      return vm.newNumber(id);
    });
    def('hashUpdate', (id, ...a) => {
      const h = this.hashes.get(num(id));
      if (!h) throw new Error('hash handle used after digest');
      h.update(bytes(a, 0));
    });
    def('hashDigest', (id) => {
      const h = this.hashes.get(num(id));
      if (!h) throw new Error('hash handle used after digest');
      this.hashes.delete(num(id));
      return buf(h.digest());
    });
    def('ed25519Verify', (...a) => bool(hal.crypto.ed25519Verify(bytes(a, 0), bytes(a, 3), bytes(a, 6))));
    def('rsaPkcs1Verify', (alg, ...a) => {
      const name = str(alg);
      if (name !== 'sha1' && name !== 'sha256') return vm.false;
      return bool(hal.crypto.rsaPkcs1Verify(name, bytes(a, 0), bytes(a, 3), bytes(a, 6), bytes(a, 9)));
    });

    def('displaySetLine', (i, text) => hal.display.setLine(num(i), str(text)));
    def('displayClear', () => hal.display.clear());

    def('serialWrite', (...a) => hal.serial.write(bytes(a, 0)));
    def('serialBaudRate', () => vm.newNumber(hal.serial.baudRate()));

    def('resetReason', () => vm.newString(hal.system.resetReason()));
    // SimBoard's reset throws its private signal here; it unwinds the guest and enter()
    // rethrows it to the board's guard (a reset does not return).
    def('reset', (reason) => hal.system.reset(str(reason)));
    def('watchdogStart', (ms) => hal.system.watchdogStart(num(ms)));
    def('watchdogFeed', () => hal.system.watchdogFeed());
    // The board drops the loader's timers and handlers and calls QuickJsBoard's startImage
    // hook (-> this.startImage) as a new event, once the loader's stack has unwound.
    def('startImage', (offset, length) => hal.system.startImage(num(offset), num(length)));
    def('log', (level, tag, message) => hal.system.log(num(level), str(tag), str(message)));

    vm.setProp(vm.global, '__host', host);
    host.dispose();
    const r = vm.evalCode(GUEST_PRELUDE, '<dialtone prelude>');
    if (r.error) {
      const e = vm.dump(r.error);
      r.error.dispose();
      throw new Error(`QuickJS prelude failed: ${JSON.stringify(e)}`);
    }
    r.value.dispose();
    if (this.extraPrelude) {
      const x = vm.evalCode(this.extraPrelude, '<extra prelude>');
      if (x.error) {
        const e = vm.dump(x.error);
        x.error.dispose();
        throw new Error(`QuickJS extra prelude failed: ${JSON.stringify(e)}`);
      }
      x.value.dispose();
    }
    this.dispatcher = vm.getProp(vm.global, '__dialtone');
    for (const k of ['fire', 'rx', 'link', 'serial'] as Dispatch[]) this.dispatchFns.set(k, vm.getProp(this.dispatcher, k));
  }
}

export interface QuickJsBoardOptions {
  sched: Scheduler;
  /** The bundle the board boots (the loader, or a firmware run directly). */
  bundle: { code: string; filename: string; globalName: string };
  budgetBytes?: number;
  stackBytes?: number;
  /** The global a started image assigns `{ main }` to (default DialtoneFirmware). */
  imageGlobal?: string;
  /** Guest text evaluated after the HAL prelude, before any bundle, in every runner. */
  extraPrelude?: string;
  /** SimBoard options (name, MAC, flash, PoE, ...); `boot`/`startImage` are the runner's. */
  board?: Partial<Omit<SimBoardOptions, 'boot' | 'startImage'>>;
}

/**
 * A SimBoard whose engine is QuickJS: every power-on (first boot, reset, watchdog, crash)
 * gets a fresh runner (RAM does not survive a reset) that evaluates the bundle and calls
 * its main; `system.startImage` evaluates the image from the simulated flash in the same
 * runner. The first budget/crash/runaway stop is kept in `stop`; `run()` ends there.
 */
export class QuickJsBoard {
  readonly board: SimBoard;
  readonly sched: Scheduler;
  stop: StopReason | null = null;
  private readonly module: QuickJSWASMModule;
  private readonly opts: QuickJsBoardOptions;
  private current: QuickJsRunner | null = null;
  private readonly finished: RunnerReport[] = [];
  private poweredOnce = false;

  static async create(opts: QuickJsBoardOptions): Promise<QuickJsBoard> {
    return new QuickJsBoard(await loadQuickJs(), opts);
  }

  constructor(module: QuickJSWASMModule, opts: QuickJsBoardOptions) {
    this.module = module;
    this.opts = opts;
    this.sched = opts.sched;
    const b = opts.board ?? {};
    this.board = new SimBoard(opts.sched, {
      ...b,
      name: b.name ?? 'phone',
      mac: b.mac ?? new Uint8Array([0x00, 0x1b, 0xd4, 0x00, 0x00, 0x01]),
      boot: (hal) => this.boot(hal),
      startImage: (hal, offset, length) => this.startImage(hal, offset, length),
    });
  }

  /** The runner of the current power-on (null before the first). */
  get runner(): QuickJsRunner | null {
    return this.current;
  }

  private boot(hal: Hal): void {
    this.retire();
    this.current = this.newRunner(hal);
    const o = this.opts;
    this.current.start(o.bundle.code, o.bundle.filename, o.bundle.globalName);
  }

  /**
   * The board's startImage hook (a board event of its own, so no guest code is running):
   * read the payload from flash, retire the loader's context and run the image in a new
   * one under the same budget.
   */
  private startImage(hal: Hal, offset: number, length: number): void {
    const bytes = new Uint8Array(length);
    const st = hal.flash.read(offset, bytes);
    if (st !== 0) {
      if (!this.stop) this.stop = { kind: 'crash', atMs: this.sched.now(), message: `system.startImage(${offset}, ${length}): flash read failed with status ${st}` };
      return;
    }
    this.retire();
    this.current = this.newRunner(hal);
    this.current.startImageCode(latin1(bytes), offset);
  }

  private newRunner(hal: Hal): QuickJsRunner {
    const o = this.opts;
    return new QuickJsRunner(this.module, {
      sched: this.sched, hal, budgetBytes: o.budgetBytes, stackBytes: o.stackBytes, imageGlobal: o.imageGlobal, extraPrelude: o.extraPrelude,
      onStop: (s) => { if (!this.stop) this.stop = s; },
    });
  }

  private retire(): void {
    if (!this.current) return;
    this.finished.push(this.current.report());
    this.current.dispose();
    this.current = null;
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
    return {
      budget: this.opts.budgetBytes ?? DEFAULT_BUDGET_BYTES,
      emptyContext: max((r) => r.emptyContext),
      binding: max((r) => r.binding),
      peakAppHeap: max((r) => r.peakAppHeap),
      bytecode: max((r) => r.bytecode),
      codeAtoms: max((r) => r.codeAtoms),
      peakTotal: max((r) => r.peakTotal),
      events: sum((r) => r.events),
      virtualMs: this.sched.now(),
      imagesStarted: sum((r) => r.imagesStarted),
      runs: all.length,
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
  return [
    `peak app heap   ${kib(r.peakAppHeap)} of a ${kib(r.budget)} budget (${((100 * r.peakAppHeap) / r.budget).toFixed(0)}%)`,
    `bytecode        ${kib(r.bytecode)} (flash on a board; not counted)`,
    `code atoms      ${kib(r.codeAtoms)} (names + string constants of the bundles: flash on a board; not counted)`,
    `empty context   ${kib(r.emptyContext)} (QuickJS baseline; not counted)`,
    `HAL binding     ${kib(r.binding)} (prelude + host functions; not counted)`,
    `total           ${kib(r.peakTotal)} (QuickJS memory_used_size at its peak)`,
    `events run      ${r.events} (over ${r.runs} power-on run${r.runs === 1 ? '' : 's'}, ${r.imagesStarted} image start${r.imagesStarted === 1 ? '' : 's'})`,
    `virtual time    ${r.virtualMs} ms`,
  ];
}
