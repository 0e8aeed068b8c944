/**
 * Memory budgets of the target bundles, per engine: what is counted, how, the gate (the most
 * a real board could give; over it the run fails) and the goals (what the firmware aims at,
 * printed beside each figure), with the reason for each number. Both engine runners
 * (quickjs.ts, xsnap.ts) measure through `MemoryTracker` below, so the rules are the same.
 *
 * When a sample is taken (both engines): at every host call (the guest calling the HAL:
 * timers, frames out, flash, log, ...) and at the end of every event (a timer, a frame in, a
 * link change, serial bytes, a bundle's evaluation, a main call), after the promise jobs
 * the event queued. Not on a branch counter: a host call or an event end is where a board's
 * own allocator state is defined, and the figure is then the same on every run. A peak that
 * lives and dies between two host calls of one event is not seen.
 *
 * XS (Moddable's engine, via @agoric/xsnap; tools/target/xs/build-worker.mjs adds the
 * counters). The board is Moddable's ESP32 Ethernet target (WT32-ETH01: 4,928 slots and
 * 78,848 chunk bytes configured, ~154 KB of JS heap in all, of which a TLS handshake needs
 * ~22 KB free). There, built-ins and the HAL are in ROM and the bundle's code in flash, but
 * the image is loaded at run time as a Moddable mod is, so the objects that evaluating it
 * creates (functions, prototypes, the closures its module bodies make) live in RAM.
 *   figure  = live slots x 16 B (a slot is 16 B on a 32-bit MCU; 32 B on this host, so
 *             slots are counted, not bytes) + live chunk bytes (strings, buffers, arrays'
 *             element tables; counted as this host lays them out, which is a little more
 *             than a 32-bit board: an upper bound), both after a full GC, over the machine
 *             with the HAL prelude loaded (the empty machine and the binding are ROM on a
 *             board: not counted).
 *   load    = what evaluating the bundle created (figure after the evaluation less before).
 *   data    = figure - load (what running created). Load and data are reported apart and
 *             both count toward the gate and the goals.
 *   gate    160 KiB: ~154 KB of JS heap on the board plus room for its stack; over it, XS
 *           aborts (not a catchable exception).
 *   goals   through step 4 (TFTP server chosen): 96 KiB steady, 112 KiB peak; the whole
 *           boot (steps 5-9): 128 KiB steady, 144 KiB peak, leaving ~22 KB for a TLS
 *           handshake under the 154 KB.
 *
 * QuickJS (quickjs-emscripten; the engine the tests have run on since the start).
 *   figure  = memory_used_size - (empty context + HAL binding) - (function bytecode and the
 *             atoms that evaluating the bundles created), after a full GC (quickjs.ts: the
 *             runner forces one, as XS's figures are taken after one): code and its
 *             constants are flash on a board, the binding is runner machinery.
 *   gate    96 KiB (1.5x the goal). QuickJS is no board's engine here (no ROM, no
 *           device port in use), so this is a regression gate on the same bundle rather than
 *           a board's limit: XS's gate is the board figure.
 *   goal    64 KiB steady through step 4 (reference/embedded_js.md 7: <= 64 KB live heap).
 *
 * steady = the largest end-of-event figure after the run was marked steady (the boot reached
 * its last built stage and ran on); peak = the largest figure at any sample, with the event
 * (and host call) and virtual time where it happened.
 *
 * Host code (Node).
 */

export type MeteredEngine = 'quickjs' | 'xs';

/** Bytes of one XS slot on a 32-bit board (xsAll.h txSlot: 4 pointer-sized words). */
export const XS_BOARD_SLOT_BYTES = 16;
/** Bytes of one XS slot in this host's build (64-bit). */
export const XS_HOST_SLOT_BYTES = 32;

const KiB = 1024;

export interface Goal {
  /** 'steady' or 'peak'. */
  figure: 'steady' | 'peak';
  bytes: number;
  /** Which part of the boot the goal is for. */
  scope: string;
}

export interface EngineBudget {
  engine: MeteredEngine;
  /** Over it the run fails (the most a real board could give). */
  gate: number;
  goals: Goal[];
  /** What the figure counts, in one line (printed by `npm run target`). */
  counts: string;
}

export const XS_BUDGET: EngineBudget = {
  engine: 'xs',
  gate: 160 * KiB,
  goals: [
    { figure: 'steady', bytes: 96 * KiB, scope: 'through step 4' },
    { figure: 'peak', bytes: 112 * KiB, scope: 'through step 4' },
    { figure: 'steady', bytes: 128 * KiB, scope: 'whole boot (steps 1-9)' },
    { figure: 'peak', bytes: 144 * KiB, scope: 'whole boot (steps 1-9)' },
  ],
  counts: 'live slots x 16 B (32-bit board) + live chunk bytes, after GC, over the machine with the HAL loaded; load and data both count',
};

export const QUICKJS_BUDGET: EngineBudget = {
  engine: 'quickjs',
  gate: 96 * KiB,
  goals: [{ figure: 'steady', bytes: 64 * KiB, scope: 'through step 4' }],
  counts: 'memory_used_size after a full GC, less the empty context, the HAL binding, bytecode and code atoms',
};

export function budgetOf(engine: MeteredEngine): EngineBudget {
  return engine === 'xs' ? XS_BUDGET : QUICKJS_BUDGET;
}

/** XS figure in board bytes: slots at 16 B plus chunk bytes. */
export function xsBoardBytes(slots: number, chunks: number): number {
  return slots * XS_BOARD_SLOT_BYTES + chunks;
}

export interface PeakAt {
  bytes: number;
  /** The event (and host call) where it was sampled, e.g. `fire / ethSend`. */
  where: string;
  /** Scheduler time (ms). */
  atMs: number;
}

export interface MemoryFigures {
  engine: MeteredEngine;
  gate: number;
  /** What evaluating the bundles created (XS: measured; QuickJS: the app heap right after the evaluation). */
  load: number;
  /** Largest end-of-event figure since the run was marked steady (0 if never marked). */
  steady: number;
  /** The run was marked steady (the boot reached its last stage) and an event ended since. */
  steadyMeasured: boolean;
  /** Largest figure at any sample. */
  peak: PeakAt;
  /** Largest end-of-event figure (whether or not steady). */
  eventMax: number;
  /** Samples taken (host calls + event ends). */
  samples: number;
  /** The latest sample (what `--verbose` prints beside each log line). */
  last: number;
  /** XS only: the same figures in slots and chunk bytes (at the peak and steady). */
  xs?: { peakSlots: number; peakChunks: number; steadySlots: number; steadyChunks: number; loadSlots: number; loadChunks: number };
}

/** Records samples, tracks load / steady / peak, and says when the gate is crossed. */
export class MemoryTracker {
  readonly budget: EngineBudget;
  private load = 0;
  private steadyOn = false;
  private steadySamples = 0;
  private steady = 0;
  private eventMax = 0;
  private peak: PeakAt = { bytes: 0, where: '', atMs: 0 };
  private samples = 0;
  private last = 0;
  private xs = { peakSlots: 0, peakChunks: 0, steadySlots: 0, steadyChunks: 0, loadSlots: 0, loadChunks: 0 };

  constructor(budget: EngineBudget, gate = budget.gate) {
    this.budget = { ...budget, gate };
  }

  /**
   * One sample. `atEventEnd` marks the end of an event (counts toward steady). Returns a
   * message when the figure is over the gate.
   */
  sample(bytes: number, where: string, atMs: number, atEventEnd: boolean, xs?: { slots: number; chunks: number }): string | null {
    this.samples++;
    this.last = bytes;
    if (bytes > this.peak.bytes) {
      this.peak = { bytes, where, atMs };
      if (xs) { this.xs.peakSlots = xs.slots; this.xs.peakChunks = xs.chunks; }
    }
    if (atEventEnd) {
      if (bytes > this.eventMax) this.eventMax = bytes;
      if (this.steadyOn) this.steadySamples++;
      if (this.steadyOn && bytes > this.steady) {
        this.steady = bytes;
        if (xs) { this.xs.steadySlots = xs.slots; this.xs.steadyChunks = xs.chunks; }
      }
    }
    if (bytes > this.budget.gate) {
      return `${this.budget.engine} heap ${bytes} B exceeds the gate of ${this.budget.gate} B (${where}, at ${atMs} ms)`;
    }
    return null;
  }

  /** Add what evaluating one bundle created. */
  addLoad(bytes: number, xs?: { slots: number; chunks: number }): void {
    this.load += bytes;
    if (xs) { this.xs.loadSlots += xs.slots; this.xs.loadChunks += xs.chunks; }
  }

  /** From now on, end-of-event samples count toward `steady`. */
  markSteady(): void {
    this.steadyOn = true;
  }

  figures(): MemoryFigures {
    return {
      engine: this.budget.engine,
      gate: this.budget.gate,
      load: this.load,
      steady: this.steady,
      steadyMeasured: this.steadyOn && this.steadySamples > 0,
      peak: { ...this.peak },
      eventMax: this.eventMax,
      samples: this.samples,
      last: this.last,
      xs: this.budget.engine === 'xs' ? { ...this.xs } : undefined,
    };
  }
}

/** Figures over several runs of one board (power-ons, image starts): maxima, load of the last. */
export function mergeFigures(all: MemoryFigures[], engine: MeteredEngine, gate: number): MemoryFigures {
  const out: MemoryFigures = { engine, gate, load: 0, steady: 0, steadyMeasured: all.some((f) => f.steadyMeasured), peak: { bytes: 0, where: '', atMs: 0 }, eventMax: 0, samples: 0, last: all.length > 0 ? all[all.length - 1].last : 0 };
  for (const f of all) {
    // Load cost: the largest single context's (the loader's and the image's are never resident together).
    if (f.load > out.load) { out.load = f.load; if (f.xs) out.xs = { ...(out.xs ?? f.xs), loadSlots: f.xs.loadSlots, loadChunks: f.xs.loadChunks }; }
    if (f.steady > out.steady) { out.steady = f.steady; if (f.xs) out.xs = { ...(out.xs ?? f.xs), steadySlots: f.xs.steadySlots, steadyChunks: f.xs.steadyChunks }; }
    if (f.peak.bytes > out.peak.bytes) { out.peak = { ...f.peak }; if (f.xs) out.xs = { ...(out.xs ?? f.xs), peakSlots: f.xs.peakSlots, peakChunks: f.xs.peakChunks }; }
    out.eventMax = Math.max(out.eventMax, f.eventMax);
    out.samples += f.samples;
  }
  return out;
}

const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;

/** The figures beside the goals, as the lines `npm run target` and the bench print. */
export function formatFigures(f: MemoryFigures, opts: { bytecode?: number } = {}): string[] {
  const b = budgetOf(f.engine);
  const goal = (figure: 'steady' | 'peak', v: number): string => b.goals
    .filter((g) => g.figure === figure)
    .map((g) => `goal ${kib(g.bytes)} ${g.scope}: ${v <= g.bytes ? 'met' : `over by ${kib(v - g.bytes)}`}`)
    .join('; ');
  const x = f.xs;
  const slots = (s: number, c: number): string => (x ? ` (${s} slots + ${c} chunk B)` : '');
  const lines = [
    `load cost   ${kib(f.load)}${x ? slots(x.loadSlots, x.loadChunks) : ''}`,
    f.steadyMeasured
      ? `steady      ${kib(f.steady)}${x ? slots(x.steadySlots, x.steadyChunks) : ''}${goal('steady', f.steady) ? `   ${goal('steady', f.steady)}` : ''}`
      : 'steady      not measured (the run never reached its steady state)',
    `peak        ${kib(f.peak.bytes)}${x ? slots(x.peakSlots, x.peakChunks) : ''} at ${f.peak.atMs} ms in ${f.peak.where || '-'}${goal('peak', f.peak.bytes) ? `   ${goal('peak', f.peak.bytes)}` : ''}`,
    `gate        ${kib(f.gate)} (${f.peak.bytes <= f.gate ? 'under' : `OVER by ${kib(f.peak.bytes - f.gate)}`})`,
  ];
  if (opts.bytecode !== undefined) lines.push(`bytecode    ${kib(opts.bytecode)} (flash on a board; not counted)`);
  lines.push(`counts      ${b.counts}`);
  return lines;
}
