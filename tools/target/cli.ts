/**
 * `dialtone target` (`npm run target`): run the built bundles in QuickJS on a simulated
 * board, on virtual time, under an app-heap budget, and print the memory figures.
 *
 *   (no option)     dist/bootloader.js on a flash provisioned with dist/firmware.js signed
 *                   by the development key: the loader verifies it and starts it.
 *   --firmware      dist/firmware.js directly (main(hal) called by the runner)
 *   --bundle FILE   any bundle built by `dialtone build` (its global is read from line 1)
 *   --budget BYTES  app-heap budget (default 65536)
 *   --ms MS         virtual time to run (default 30000)
 *   --seed N        scheduler seed (default 1)
 *   --quiet         no display/log/frame lines, only the figures
 *
 * Exit code 0 when every run ended without exceeding the budget or crashing, 1 otherwise.
 */
import { SimFlash } from '../../hal/sim/flash';
import { provisionFlash, devImage } from '../lab/provision';
import { REPO_ROOT } from '../build/build';
import * as fs from 'node:fs';
import * as path from 'node:path';
import pc from 'picocolors';
import { UserError, runIfMain } from '../errors';
import { Scheduler } from '../../hal/sim/scheduler';
import { SimNic, connectNics } from '../../hal/sim/ether';
import { DEFAULT_BUDGET_BYTES, QuickJsBoard, formatReport, type RunnerReport } from '../../hal/target/quickjs';

const LEVELS = ['debug', 'info', 'warn', 'error'];

const USAGE = `usage: dialtone target [--firmware | --bundle FILE] [--budget BYTES] [--ms MS] [--seed N] [--quiet]

  Runs dist/bootloader.js on a flash holding dist/firmware.js signed with the development
  key (the loader verifies and starts it) in QuickJS on a simulated board, under an app-heap budget (default ${DEFAULT_BUDGET_BYTES} B).`;

interface Args {
  mode: 'loader' | 'firmware' | 'bundle';
  bundle?: string;
  budget: number;
  ms: number;
  seed: number;
  quiet: boolean;
}

function intArg(name: string, v: string | undefined, min: number): number {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) < min) throw new UserError(`${name} needs an integer >= ${min}`);
  return Number(v);
}

function parseArgs(argv: string[]): Args | null {
  const a: Args = { mode: 'loader', budget: DEFAULT_BUDGET_BYTES, ms: 30_000, seed: 1, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    switch (k) {
      case '--firmware': a.mode = 'firmware'; break;
      case '--bundle': a.mode = 'bundle'; a.bundle = argv[++i]; if (!a.bundle) throw new UserError('--bundle needs a file'); break;
      case '--budget': a.budget = intArg('--budget', argv[++i], 1); break;
      case '--ms': a.ms = intArg('--ms', argv[++i], 0); break;
      case '--seed': a.seed = intArg('--seed', argv[++i], 0); break;
      case '--quiet': a.quiet = true; break;
      case '-h': case '--help': console.log(USAGE); return null;
      default: throw new UserError(`target: unknown option '${k}' (see --help)`);
    }
  }
  return a;
}

function readBundle(file: string): { code: string; globalName: string } {
  if (!fs.existsSync(file)) throw new UserError(`${path.relative(process.cwd(), file)} not found: run 'npm run build' first`);
  const code = fs.readFileSync(file, 'latin1');
  const m = /^var ([A-Za-z_$][\w$]*);/.exec(code);
  if (!m) throw new UserError(`${file}: not a bundle from 'dialtone build' (no 'var <Global>;' on line 1)`);
  return { code, globalName: m[1] };
}

/** One run of one bundle on a fresh board. */
async function runOne(label: string, file: string, args: Args, flash?: SimFlash): Promise<RunnerReport> {
  const { code, globalName } = readBundle(file);
  const sched = new Scheduler(args.seed);
  const stamp = (): string => { const t = sched.now(); return pc.dim(`[${(Number.isInteger(t) ? String(t) : t.toFixed(3)).padStart(9)} ms]`); };
  const say = (s: string): void => { if (!args.quiet) console.log(`${stamp()} ${s}`); };
  const qb = await QuickJsBoard.create({ sched, budgetBytes: args.budget, bundle: { code, filename: path.basename(file), globalName }, board: flash ? { flash } : undefined });
  const board = qb.board;
  board.onLog((e) => say(`${board.name} ${LEVELS[e.level] ?? e.level} ${e.tag}: ${e.message}`));
  board.onDisplay((line, text) => say(pc.cyan(`${board.name} display ${line}: ${text}`)));
  // The other end of the phone's cable, so sent frames are seen.
  const peer = new SimNic(sched, new Uint8Array([0x02, 0, 0, 0, 0, 0xfe]));
  connectNics(sched, board.nic, peer);
  peer.onReceive((f) => say(`eth frame ${f.length} B to ${Array.from(f.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':')}`));
  try {
    console.log(pc.bold(`${label}: ${path.relative(process.cwd(), file)} (${code.length} B) in QuickJS, budget ${args.budget} B, ${args.ms} ms virtual`));
    const report = qb.run(args.ms);
    for (const line of formatReport(report)) console.log(`  ${line}`);
    if (report.stop) console.log(`  ${pc.red('STOPPED')} (${report.stop.kind}) at ${report.stop.atMs} ms: ${report.stop.message}`);
    return report;
  } finally {
    qb.dispose();
  }
}

const failed = (r: RunnerReport): boolean => r.stop !== null;

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (!args) return 0;
  const dist = path.join(REPO_ROOT, 'dist');
  const reports: RunnerReport[] = [];
  if (args.mode === 'bundle') {
    reports.push(await runOne('bundle', path.resolve(args.bundle!), args));
  } else if (args.mode === 'firmware') {
    reports.push(await runOne('firmware', path.join(dist, 'firmware.js'), args));
  } else {
    // Factory state: dist/firmware.js signed with the development key in slot A, so the
    // loader bundle verifies it (SHA-256 + Ed25519 through the HAL) and starts it.
    const firmware = fs.readFileSync(path.join(dist, 'firmware.js'));
    const flash = new SimFlash('nor-4m');
    provisionFlash(flash, { image: devImage(new Uint8Array(firmware)) });
    console.log(pc.dim(`simulated flash: dist/firmware.js (${firmware.length} B) signed with the development key in slot A`));
    const r = await runOne('bootloader', path.join(dist, 'bootloader.js'), args, flash);
    reports.push(r);
    if (r.imagesStarted === 0 && !failed(r)) {
      console.log(pc.red('the loader started no image from a provisioned flash'));
      return 1;
    }
  }
  const bad = reports.some(failed);
  console.log(bad ? pc.red('target: FAILED') : pc.green('target: ok'));
  return bad ? 1 : 0;
}

runIfMain(import.meta.url, 'target', run);
