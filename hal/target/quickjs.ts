/**
 * The QuickJS runner: runs built target bundles (dist/bootloader.js, dist/firmware.js)
 * inside QuickJS (quickjs-emscripten 0.32.0, RELEASE_SYNC) against a host-side `Hal` on the
 * simulation's virtual time, under a memory gate (budgets.ts).
 *
 * Binding. The guest gets the `Hal` built by GUEST_PRELUDE (prelude.ts) over the flat host
 * functions of host-calls.ts in `__host` (the same ones the XS runner serves); every call
 * lands in the host `Hal` given to the runner (a SimBoard's). Timers go to the host clock,
 * i.e. the Scheduler; when one fires, or a frame / link change / serial chunk arrives, the
 * host calls the guest dispatcher and then drains QuickJS's job queue
 * (`executePendingJobs`), so promise reactions run before the next event, as on a board.
 *
 * Memory (budgets.ts). Sampled at every host call and at the end of every event (after its
 * jobs):
 *
 *     app heap = memory_used_size - baseline - bytecode
 *     baseline = memory_used_size of the empty context, measured at start, plus the heap
 *                of the HAL binding (prelude objects and ~40 host function objects, ~15 KiB
 *                in QuickJS: runner machinery, native on a board; reported as `binding`)
 *     bytecode = js_func_size + js_func_code_size + js_func_pc2line_size + the atoms that
 *                evaluating a bundle created (a board keeps code and its constants in flash).
 *                Measured as the atom_size growth across each bundle's evaluation; atoms
 *                made later (property names built at run time) stay in the app heap.
 *
 * Every sample is taken after a full GC, as XS's are: QuickJS frees by reference count at
 * once but collects cycles (every function and its prototype, a module's closures) only past
 * its GC threshold, which it resets to 1.5x the heap after each collection, so a module the
 * firmware dropped (a lazy module, firmware/README.md) would count until then.
 * quickjs-emscripten exposes no JS_RunGC; the runner finds the runtime's `malloc_gc_threshold`
 * (the one word of a new JSRuntime holding the initial 256 KiB), sets it to 0 and allocates
 * one object, which runs JS_RunGC in js_trigger_gc; QuickJS then sets the threshold again.
 * A build where that word cannot be found, or where the GC does not run, fails at start.
 *
 * `setMemoryLimit` does not cap the total under Emscripten (reference/embedded_js.md 3.4), so
 * the gate is the runner's: a sample over it stops the guest (an uncatchable interrupt at
 * the next check) and the run. The interrupt handler also stops a runaway event.
 *
 * Failures. The runner sits inside a SimBoard (hal/sim/board.ts), whose guard contains
 * every callback: an exception a HAL call raised on the host side (a simulated power cut,
 * the reset signal of `system.reset`) unwinds the guest and is rethrown to the guard as is;
 * an uncaught guest exception is thrown to the guard as a crash (the board logs it and
 * resets); going over the gate throws too. Crash, budget and runaway are also reported
 * through `onStop`, so a runner of runs (EngineBoard) can end the simulation there.
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
import type { Scheduler } from '../sim/scheduler';
import { GUEST_PRELUDE } from './prelude';
import { HOST_CALLS, makeHostCalls, type HostValue } from './host-calls';
import { MemoryTracker, QUICKJS_BUDGET } from './budgets';
import { EngineBoard, GuestStopped, type EngineBoardOptions, type EngineRunner, type RunnerReport, type StopKind, type StopReason } from './runner';

export { GuestStopped, formatReport, type RunnerReport, type StopKind, type StopReason } from './runner';

/** The QuickJS gate (budgets.ts): the default budget of a run. */
export const DEFAULT_BUDGET_BYTES = QUICKJS_BUDGET.gate;
export const DEFAULT_STACK_BYTES = 64 * 1024;
/** Backstop against one runaway allocation taking the host down; not the budget (see above). */
const HOST_MEMORY_LIMIT = 32 * 1024 * 1024;
/** Interrupt-handler calls in one event before the guest counts as stuck (~10k ops each). */
const MAX_INTERRUPTS_PER_EVENT = 200_000;

let modulePromise: Promise<QuickJSWASMModule> | null = null;

/** QuickJS's malloc_gc_threshold in a new runtime (JS_NewRuntime2: 256 * 1024). */
const QJS_INITIAL_GC_THRESHOLD = 256 * 1024;
/** How much of the JSRuntime to search for it (it sits in the first few hundred bytes). */
const JSRUNTIME_SCAN_BYTES = 1024;

/** The part of the Emscripten module (a private of QuickJSWASMModule) the GC trigger writes. */
interface EmscriptenHeap { module: { HEAPU8: Uint8Array } }

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

export interface QuickJsRunnerOptions {
  sched: Scheduler;
  /** The host-side HAL every guest call lands in (a SimBoard's `hal`). */
  hal: Hal;
  /** The gate (default 96 KiB, budgets.ts). */
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

/** One QuickJS runtime + context: the engine of one board for one stretch. */
export class QuickJsRunner implements EngineRunner {
  readonly budget: number;
  private readonly rt: QuickJSRuntime;
  private readonly heap: EmscriptenHeap;
  /** The JSRuntime's address in the WASM heap. */
  private readonly rtPtr: number;
  private readonly gcThresholdAt: number;
  private readonly vm: QuickJSContext;
  private readonly hal: Hal;
  private readonly sched: Scheduler;
  private readonly imageGlobal: string;
  private readonly onStop?: (stop: StopReason) => void;
  private readonly extraPrelude?: string;
  private readonly memory: MemoryTracker;
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
  /** Atoms created by evaluating bundles (code constants; see the module comment). */
  private codeAtoms = 0;
  /** atom_size when the current bundle evaluation began; null outside one. */
  private loadAtomsBase: number | null = null;
  private interrupts = 0;
  private interruptReason: StopKind | null = null;
  private hostError: { error: unknown } | null = null;
  /** A gate crossing seen at a host call, reported when the event unwinds. */
  private pendingStop: StopReason | null = null;
  private where = '';
  private bound = false;
  private peakTotal = 0;
  private bytecodeMax = 0;
  private events = 0;
  private hostCalls = 0;
  private imagesStarted = 0;
  private disposed = false;
  stop: StopReason | null = null;

  /** Create a runner (loads the WASM module once per process). */
  static async create(opts: QuickJsRunnerOptions): Promise<QuickJsRunner> {
    return new QuickJsRunner(await loadQuickJs(), opts);
  }

  constructor(module: QuickJSWASMModule, opts: QuickJsRunnerOptions) {
    this.budget = opts.budgetBytes ?? DEFAULT_BUDGET_BYTES;
    this.memory = new MemoryTracker(QUICKJS_BUDGET, this.budget);
    this.hal = opts.hal;
    this.sched = opts.sched;
    this.onStop = opts.onStop;
    this.imageGlobal = opts.imageGlobal ?? 'DialtoneFirmware';
    this.extraPrelude = opts.extraPrelude;
    this.rt = module.newRuntime();
    this.heap = module as unknown as EmscriptenHeap;
    this.rtPtr = (this.rt as unknown as { rt: { value: number } }).rt.value;
    this.gcThresholdAt = this.locateGcThreshold();
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
    this.bound = true;
    this.rt.setInterruptHandler(() => this.onInterrupt());
    this.bindHostEvents();
  }

  // --- memory -------------------------------------------------------------------------------

  /** Offset of `malloc_gc_threshold` in the JSRuntime (see the module comment). */
  private locateGcThreshold(): number {
    const words = new DataView(this.heap.module.HEAPU8.buffer, this.rtPtr, JSRUNTIME_SCAN_BYTES);
    const hits: number[] = [];
    for (let off = 0; off < JSRUNTIME_SCAN_BYTES; off += 4) if (words.getUint32(off, true) === QJS_INITIAL_GC_THRESHOLD) hits.push(off);
    if (hits.length !== 1) throw new Error(`QuickJS runner: cannot find the GC threshold in this build's JSRuntime (${hits.length} candidates); its figures would count uncollected cycles`);
    return hits[0];
  }

  /** A full GC now (see the module comment). */
  private collect(): void {
    const at = this.rtPtr + this.gcThresholdAt;
    new DataView(this.heap.module.HEAPU8.buffer).setUint32(at, 0, true);
    this.vm.newObject().dispose();
    if (new DataView(this.heap.module.HEAPU8.buffer).getUint32(at, true) === 0) {
      throw new Error('QuickJS runner: forcing a GC through the threshold did not run it; its figures would count uncollected cycles');
    }
  }

  private rawSample(): { used: number; bytecode: number; atoms: number } {
    this.collect();
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

  /** Measure now (no tracking). */
  sample(): MemorySample {
    const r = this.rawSample();
    const code = r.bytecode + this.codeAtomsNow(r.atoms);
    return { used: r.used, bytecode: code, appHeap: r.used - this.baseline - code };
  }

  /** A tracked sample (a host call or an event end); a gate crossing becomes a stop. */
  private track(where: string, atEventEnd: boolean): MemorySample {
    const s = this.sample();
    if (s.used > this.peakTotal) this.peakTotal = s.used;
    if (s.bytecode > this.bytecodeMax) this.bytecodeMax = s.bytecode;
    const over = this.memory.sample(s.appHeap, where, this.sched.now(), atEventEnd);
    if (over && !this.pendingStop) {
      this.pendingStop = this.makeStop('budget', `app heap ${s.appHeap} B exceeds the budget of ${this.budget} B (${where})`);
      this.interruptReason = 'budget';
    }
    return s;
  }

  private onInterrupt(): boolean {
    if (this.interruptReason) return true;
    if (++this.interrupts > MAX_INTERRUPTS_PER_EVENT) {
      this.interruptReason = 'runaway';
      return true;
    }
    return false;
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

  markSteady(): void {
    this.memory.markSteady();
  }

  // --- guest entry ----------------------------------------------------------------------------

  /**
   * One host -> guest entry: run `body` (which calls into the guest), drain the job queue,
   * sample memory. Throws to the caller (the board's guard) on any failure.
   */
  private enter(where: string, body: () => { error?: QuickJSHandle; value?: QuickJSHandle }, loadsCode = false): void {
    if (this.disposed) return;
    if (this.stop) throw new GuestStopped(this.stop);
    this.events++;
    this.interrupts = 0;
    this.hostError = null;
    this.where = where;
    const before = loadsCode ? this.sample().appHeap : 0;
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
      if (this.pendingStop) this.fail(this.pendingStop);
      if (this.interruptReason === 'runaway') this.fail(this.makeStop('runaway', `${where} ran ${MAX_INTERRUPTS_PER_EVENT} interrupt periods without returning`));
      this.fail(this.makeStop('crash', `uncaught in ${where}: ${text}`));
    }
    res.value?.dispose();
    // A host exception the guest caught (try/catch around a HAL call) still propagates:
    // a reset does not return, a power cut stops everything.
    this.rethrowHostError();
    if (this.pendingStop) this.fail(this.pendingStop);
    const jobs = this.rt.executePendingJobs(-1);
    if (jobs.error) {
      const text = this.errorText(jobs.error);
      this.rethrowHostError();
      if (this.pendingStop) this.fail(this.pendingStop);
      this.fail(this.makeStop('crash', `uncaught in a promise job of ${where}: ${text}`));
    }
    this.rethrowHostError();
    const end = this.track(where, true);
    if (loadsCode) this.memory.addLoad(Math.max(0, end.appHeap - before));
    if (this.pendingStop) this.fail(this.pendingStop);
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
   * Evaluate an image's payload (the firmware bundle) and call its main: what the board's
   * startImage hook does in a fresh runner. The caller read `code` from flash.
   */
  startImageCode(code: string, offset: number): void {
    this.imagesStarted++;
    this.start(code, `image@0x${offset.toString(16)}`, this.imageGlobal);
  }

  report(): RunnerReport {
    const memory = this.memory.figures();
    return {
      engine: 'quickjs',
      budget: this.budget,
      peakAppHeap: memory.peak.bytes,
      emptyContext: this.emptyContext,
      binding: this.binding,
      bytecode: Math.max(0, this.bytecodeMax - this.bindingBytecode - this.codeAtoms),
      codeAtoms: this.codeAtoms,
      peakTotal: this.peakTotal,
      events: this.events,
      hostCalls: this.hostCalls,
      virtualMs: this.sched.now(),
      imagesStarted: this.imagesStarted,
      runs: 1,
      memory,
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
    const calls = makeHostCalls(this.hal, (id) => this.dispatch('fire', () => vm.newNumber(id)));
    const host = vm.newObject();
    const decode = (spec: string, a: QuickJSHandle[]): HostValue[] => {
      const out: HostValue[] = [];
      let i = 0;
      for (const k of spec) {
        if (k === 'n') out.push(vm.getNumber(a[i++]));
        else if (k === 's') out.push(vm.getString(a[i++]));
        else {
          const off = vm.getNumber(a[i + 1]);
          const len = vm.getNumber(a[i + 2]);
          const lt = vm.getArrayBuffer(a[i]);
          try {
            out.push(lt.value.slice(off, off + len));
          } finally {
            lt.dispose();
          }
          i += 3;
        }
      }
      return out;
    };
    const encode = (v: HostValue): QuickJSHandle | undefined => {
      if (v === undefined) return undefined;
      if (typeof v === 'number') return vm.newNumber(v);
      if (typeof v === 'string') return vm.newString(v);
      if (typeof v === 'boolean') return v ? vm.true : vm.false;
      return vm.newArrayBuffer(v.slice().buffer);
    };
    for (const [name, spec] of HOST_CALLS) {
      const impl = calls[name];
      const f = vm.newFunction(name, (...a) => {
        this.hostCalls++;
        // The figure at the moment the guest calls out, as a board's heap is then (not while
        // the prelude itself runs: the baseline is measured after it).
        if (this.bound) this.track(`${this.where} / ${name}`, false);
        if (this.pendingStop) throw new Error(this.pendingStop.message);
        try {
          return encode(impl(...decode(spec, a)));
        } catch (err) {
          // A host failure (a bug, or a simulated power cut) surfaces in the guest as an
          // exception; remember it so the runner stops with the real cause.
          if (this.hostError === null) this.hostError = { error: err };
          throw err;
        }
      });
      vm.setProp(host, name, f);
      f.dispose();
    }

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

export interface QuickJsBoardOptions extends EngineBoardOptions {
  /** The gate (default 96 KiB, budgets.ts). */
  budgetBytes?: number;
  stackBytes?: number;
  /** Guest text evaluated after the HAL prelude, before any bundle, in every runner. */
  extraPrelude?: string;
}

/**
 * An EngineBoard (runner.ts) whose engine is QuickJS: every power-on gets a fresh runner
 * (RAM does not survive a reset) that evaluates the bundle and calls its main;
 * `system.startImage` evaluates the image from the simulated flash in another fresh one.
 */
export class QuickJsBoard extends EngineBoard {
  static async create(opts: QuickJsBoardOptions): Promise<QuickJsBoard> {
    return new QuickJsBoard(await loadQuickJs(), opts);
  }

  constructor(module: QuickJSWASMModule, opts: QuickJsBoardOptions) {
    const gate = opts.budgetBytes ?? DEFAULT_BUDGET_BYTES;
    super('quickjs', gate, opts, (ctx) => new QuickJsRunner(module, {
      sched: ctx.sched, hal: ctx.hal, budgetBytes: gate, stackBytes: opts.stackBytes,
      imageGlobal: opts.imageGlobal, extraPrelude: opts.extraPrelude, onStop: ctx.onStop,
    }));
  }
}
