/**
 * One way to make a simulated phone board whose loader and started image run in a chosen
 * engine:
 *   native   the loader's and the firmware's `main` run as host code (fast; fleets; host
 *            stack traces). The caller passes the functions (hal/ cannot import upward).
 *   quickjs  the built bundles in QuickJS (quickjs.ts).
 *   xs       the built bundles in Moddable XS (xsnap.ts).
 * For an engine, the board's boot hook evaluates the loader bundle; `system.startImage`
 * evaluates the image payload read from the simulated flash in a fresh context and calls
 * `DialtoneFirmware.main(hal)`; `system.startRecovery` does the same with the recovery
 * bundle (`DialtoneRecovery.main(hal)`).
 *
 * Host code (Node).
 */
import type { Hal } from '../index';
import type { Scheduler } from '../sim/scheduler';
import { SimBoard, type SimBoardOptions } from '../sim/board';
import { loadQuickJs, QuickJsBoard } from './quickjs';
import { XsBoard } from './xsnap';
import type { Bundle, EngineBoard, RunnerReport } from './runner';
import { budgetOf } from './budgets';

export type EngineKind = 'native' | 'quickjs' | 'xs';
export const ENGINE_KINDS: readonly EngineKind[] = ['native', 'quickjs', 'xs'];

export function isEngineKind(s: string): s is EngineKind {
  return (ENGINE_KINDS as readonly string[]).includes(s);
}

/** What a board runs, natively or as bundles. */
export interface PhoneProgram {
  /** Native: the loader's main, the image's main, the recovery module's main. */
  native?: {
    boot: (hal: Hal) => void;
    startImage: (hal: Hal, offset: number, length: number) => void;
    startRecovery?: (hal: Hal) => void;
  };
  /** Engines: the loader bundle (booted at every power-on) and the recovery bundle. */
  bundles?: { loader: Bundle; recovery?: Bundle };
}

export interface EngineBoardSpec {
  engine: EngineKind;
  sched: Scheduler;
  /** SimBoard options (name, MAC, flash, PoE, seed, ...); the hooks are the engine's. */
  board: Omit<SimBoardOptions, 'boot' | 'startImage'>;
  program: PhoneProgram;
  /** Gate override (default: the engine's gate, budgets.ts). */
  budgetBytes?: number;
  /** Guest text after the HAL prelude (engines only). */
  extraPrelude?: string;
}

/** A phone board on any engine: the SimBoard plus, for an engine, its runner of runs. */
export interface PhoneBoard {
  engine: EngineKind;
  board: SimBoard;
  /** null for native. */
  engineBoard: EngineBoard | null;
  /** Engine figures (null for native). */
  report(): RunnerReport | null;
  /** The first budget/crash stop of an engine run (always null for native). */
  stopped(): boolean;
  markSteady(): void;
  dispose(): void;
}

let qjsModule: Awaited<ReturnType<typeof loadQuickJs>> | null = null;

/** QuickJS needs its WASM module loaded first (once per process); the others nothing. */
export async function prepareEngine(engine: EngineKind): Promise<void> {
  if (engine === 'quickjs' && !qjsModule) qjsModule = await loadQuickJs();
}

/** Make the board. For 'quickjs', call `prepareEngine('quickjs')` (or loadQuickJs) first. */
export function makePhoneBoard(spec: EngineBoardSpec): PhoneBoard {
  if (spec.engine === 'native') {
    const n = spec.program.native;
    if (!n) throw new Error('makePhoneBoard: a native board needs program.native');
    const o: SimBoardOptions & { startRecovery?: (hal: Hal) => void } = { ...spec.board, boot: n.boot, startImage: n.startImage, startRecovery: n.startRecovery };
    const board = new SimBoard(spec.sched, o);
    return {
      engine: 'native', board, engineBoard: null, report: () => null, stopped: () => false,
      markSteady: () => {}, dispose: () => board.powerOff(),
    };
  }
  const b = spec.program.bundles;
  if (!b) throw new Error(`makePhoneBoard: a ${spec.engine} board needs program.bundles`);
  const common = {
    sched: spec.sched, bundle: b.loader, recovery: b.recovery, board: spec.board,
    budgetBytes: spec.budgetBytes ?? budgetOf(spec.engine).gate, extraPrelude: spec.extraPrelude,
  };
  let eb: EngineBoard;
  if (spec.engine === 'quickjs') {
    if (!qjsModule) throw new Error("makePhoneBoard: call prepareEngine('quickjs') first");
    eb = new QuickJsBoard(qjsModule, common);
  } else {
    eb = new XsBoard(common);
  }
  return {
    engine: spec.engine, board: eb.board, engineBoard: eb, report: () => eb.report(),
    stopped: () => eb.stop !== null, markSteady: () => eb.markSteady(), dispose: () => eb.dispose(),
  };
}
