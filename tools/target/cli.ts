/**
 * `dialtone target` (`npm run target`): boot the built bundles (dist/bootloader.js,
 * dist/firmware.js signed with the development key in slot A, dist/recovery.js) on a real
 * engine against the lab (switch, PSE, CDP/LLDP-MED, DHCP, TFTP, CallManagers), on virtual
 * time, until the boot reaches its last built stage (Lab.allReady) and then for a while
 * (steady state), under the engine's memory gate (hal/target/budgets.ts), and print per
 * engine: load cost, steady, peak (with the event and virtual time), bytecode, each goal
 * beside its figure. `--bundle FILE` runs any bundle on a silent cable instead.
 *
 * Exit code 0 when every run reached ready under its gate; 1 over a gate (with the figure
 * and the event that crossed it), on a crash, or when the boot did not reach ready.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import pc from 'picocolors';
import { REPO_ROOT } from '../build/build';
import { UserError, runIfMain } from '../errors';
import { Lab } from '../lab/lab';
import { devImage } from '../lab/provision';
import { asciiBytes } from '../../lib/bytes';
import { Scheduler } from '../../hal/sim/scheduler';
import { SimNic, connectNics } from '../../hal/sim/ether';
import { makePhoneBoard, prepareEngine, type EngineKind } from '../../hal/target/engine';
import { formatReport, type Bundle, type RunnerReport } from '../../hal/target/runner';
import { budgetOf } from '../../hal/target/budgets';
import type { PhoneBundles } from './bundles';

const LEVELS = ['debug', 'info', 'warn', 'error'];
type Engine = Exclude<EngineKind, 'native'>;
const ENGINES: Engine[] = ['quickjs', 'xs'];

const USAGE = `usage: dialtone target [--engine quickjs|xs|all] [--ms MS] [--seed N] [--loss P] [--budget BYTES]
                      [--bundle FILE] [--verbose]

  Boots dist/bootloader.js on a flash holding dist/firmware.js (signed with the development
  key) in a real engine, cabled to the lab (switch with PoE, CDP/LLDP-MED, DHCP, TFTP, the
  CallManagers), until the boot reaches its last built stage and then MS more of virtual
  time, under the engine's memory gate. Prints per engine: load cost, steady, peak (and where
  and when it happened), bytecode, and each goal beside its figure.

  --engine E      quickjs, xs (Moddable XS through @agoric/xsnap), or all (default)
  --ms MS         virtual time to run on after ready: the steady state (default 60000)
  --seed N        seed of the lab (default 1)
  --loss P        frame loss on the phone's cable, 0..0.9 (default 0)
  --budget BYTES  override the gate (default: quickjs ${budgetOf('quickjs').gate}, xs ${budgetOf('xs').gate})
  --bundle FILE   run FILE (any bundle from 'npm run build') on a silent cable for MS instead
  --verbose       print the phone's log and display lines as they happen

  Exit 1 over a gate, on a crash, or when the boot does not reach its last stage.
  Run 'npm run build' first.`;

export interface Args {
  engines: Engine[];
  ms: number;
  seed: number;
  loss: number;
  budget?: number;
  bundle?: string;
  verbose: boolean;
}

function intArg(name: string, v: string | undefined, min: number): number {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) < min) throw new UserError(`${name} needs an integer >= ${min}`);
  return Number(v);
}

function parseArgs(argv: string[]): Args | null {
  const a: Args = { engines: ENGINES.slice(), ms: 60_000, seed: 1, loss: 0, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    switch (k) {
      case '--engine': {
        const v = argv[++i];
        if (v === 'all') a.engines = ENGINES.slice();
        else if (v === 'quickjs' || v === 'xs') a.engines = [v];
        else throw new UserError(`--engine needs quickjs, xs or all${v ? ` (not '${v}')` : ''}`);
        break;
      }
      case '--ms': a.ms = intArg('--ms', argv[++i], 0); break;
      case '--seed': a.seed = intArg('--seed', argv[++i], 0); break;
      case '--loss': {
        const v = Number(argv[++i]);
        if (!Number.isFinite(v) || v < 0 || v > 0.9) throw new UserError('--loss needs a number from 0 to 0.9');
        a.loss = v;
        break;
      }
      case '--budget': a.budget = intArg('--budget', argv[++i], 1); break;
      case '--bundle': a.bundle = argv[++i]; if (!a.bundle) throw new UserError('--bundle needs a file'); break;
      case '--verbose': a.verbose = true; break;
      // The old flag: the default now prints only the figures.
      case '--quiet': a.verbose = false; break;
      case '-h': case '--help': console.log(USAGE); return null;
      default: throw new UserError(`target: unknown option '${k}' (see --help)`);
    }
  }
  return a;
}

function readBundle(file: string): Bundle {
  if (!fs.existsSync(file)) throw new UserError(`${path.relative(process.cwd(), file)} not found: run 'npm run build' first`);
  const code = fs.readFileSync(file, 'latin1');
  const m = /^var ([A-Za-z_$][\w$]*);/.exec(code);
  if (!m) throw new UserError(`${file}: not a bundle from 'dialtone build' (no 'var <Global>;' on line 1)`);
  return { code, filename: path.basename(file), globalName: m[1] };
}

/** dist/ as `npm run build` left it. */
function distBundles(): PhoneBundles {
  const dist = path.join(REPO_ROOT, 'dist');
  const loader = readBundle(path.join(dist, 'bootloader.js'));
  const firmware = readBundle(path.join(dist, 'firmware.js'));
  const rec = path.join(dist, 'recovery.js');
  const recovery = fs.existsSync(rec) ? readBundle(rec) : undefined;
  return { loader, firmware, recovery, image: devImage(asciiBytes(firmware.code)) };
}

const stamp = (t: number): string => pc.dim(`[${t.toFixed(3).padStart(11)} ms]`);

export interface TargetRun {
  engine: Engine;
  report: RunnerReport;
  /** Virtual time the boot reached its last built stage (-1: never). */
  readyAtMs: number;
  ok: boolean;
}

/** Boot the bundles against the lab on one engine; print the figures. */
export async function bootOnLab(engine: Engine, bundles: PhoneBundles, args: Args, print: (line: string) => void = console.log): Promise<TargetRun> {
  await prepareEngine(engine);
  const lab = await Lab.create({
    engine, bundles, image: bundles.image, seed: args.seed, budgetBytes: args.budget,
    phone: args.loss > 0 ? { faults: { loss: args.loss } } : undefined,
  });
  const phone = lab.phones[0];
  if (args.verbose) {
    // The heap figure at the log call (the engine samples at every host call).
    const heap = (): string => { const r = phone.engine.report(); return r ? ` [${(r.memory.last / 1024).toFixed(1)}K]` : ''; };
    phone.board.onLog((e) => print(`${stamp(e.t)}${heap()} ${LEVELS[e.level] ?? e.level} ${e.tag}: ${e.message}`));
    phone.board.onDisplay((line, text, t) => print(pc.cyan(`${stamp(t)} display ${line}: ${text}`)));
  }
  try {
    const gate = args.budget ?? budgetOf(engine).gate;
    print(pc.bold(`${engine}: ${bundles.loader.filename} (${bundles.loader.code.length} B) -> ${bundles.firmware.filename} (${bundles.firmware.code.length} B) against the lab, seed ${args.seed}, gate ${gate} B`));
    lab.start();
    lab.sched.run(600_000, () => lab.allReady() || lab.engineStopped());
    const ready = phone.board.logs.find((e) => e.tag === 'boot' && e.message.endsWith('-> ready'));
    if (ready && !lab.engineStopped()) {
      phone.engine.markSteady();
      lab.sched.run(lab.sched.now() + args.ms, () => lab.engineStopped());
    }
    const report = phone.engine.report()!;
    const readyAtMs = ready ? ready.t : -1;
    print(`  ${ready ? `ready at ${readyAtMs.toFixed(3)} ms, then ${args.ms} ms of steady state` : pc.red('did not reach ready')}`);
    for (const line of formatReport(report)) print(`  ${line}`);
    if (report.stop) print(`  ${pc.red('STOPPED')} (${report.stop.kind}) at ${report.stop.atMs} ms: ${report.stop.message}`);
    return { engine, report, readyAtMs, ok: ready !== undefined && report.stop === null };
  } finally {
    lab.dispose();
  }
}

/** Any bundle on a silent cable (the peer only counts frames). */
async function runBundle(engine: Engine, bundle: Bundle, args: Args): Promise<boolean> {
  await prepareEngine(engine);
  const sched = new Scheduler(args.seed);
  const pb = makePhoneBoard({
    engine, sched, budgetBytes: args.budget, program: { bundles: { loader: bundle } },
    board: { name: 'phone', mac: new Uint8Array([0x00, 0x1b, 0xd4, 0x00, 0x00, 0x01]) },
  });
  const peer = new SimNic(sched, new Uint8Array([0x02, 0, 0, 0, 0, 0xfe]));
  connectNics(sched, pb.board.nic, peer);
  let frames = 0;
  peer.onReceive(() => { frames++; });
  if (args.verbose) pb.board.onLog((e) => console.log(`${stamp(e.t)} ${LEVELS[e.level] ?? e.level} ${e.tag}: ${e.message}`));
  try {
    console.log(pc.bold(`${engine}: ${bundle.filename} (${bundle.code.length} B) on a silent cable, ${args.ms} ms`));
    pb.board.powerOn();
    sched.run(args.ms, () => pb.stopped());
    const r = pb.report()!;
    for (const line of formatReport(r)) console.log(`  ${line}`);
    console.log(`  frames out  ${frames}`);
    if (r.stop) console.log(`  ${pc.red('STOPPED')} (${r.stop.kind}) at ${r.stop.atMs} ms: ${r.stop.message}`);
    return r.stop === null;
  } finally {
    pb.dispose();
  }
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (!args) return 0;
  let ok = true;
  if (args.bundle) {
    const b = readBundle(path.resolve(args.bundle));
    for (const e of args.engines) ok = (await runBundle(e, b, args)) && ok;
  } else {
    const bundles = distBundles();
    for (const e of args.engines) ok = (await bootOnLab(e, bundles, args)).ok && ok;
  }
  console.log(ok ? pc.green('target: ok') : pc.red('target: FAILED'));
  return ok ? 0 : 1;
}

runIfMain(import.meta.url, 'target', run);
