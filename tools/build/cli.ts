/**
 * `dialtone build` (`npm run build`): bundle the phone image and the bootstrap loader for
 * the target, print their sizes, lint them, write dist/build-info.json.
 * `--lint-only` (`npm run lint`): lint the bundles already in dist/.
 *
 * Exit code 0 when every bundle built and linted clean, 1 otherwise.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import pc from 'picocolors';
import { UserError, runIfMain } from '../errors';
import { buildTarget, esbuildVersion, REPO_ROOT, type BuildMessage } from './build';
import { formatFinding, lintBundle, type Finding } from './lint';
import { SourceMapIndex } from './sourcemap';
import { checkLayering } from './layering';
import { checkSize, formatSizeTable, moduleSizes, type ModuleSize } from './sizes';
import { resolveTrust, loaderEntrySource, type ResolvedTrust } from '../image/trust';

export interface BundleSpec {
  /** Short name: firmware | bootloader. */
  name: string;
  /** Entry, relative to the repository root. */
  entry: string;
  /** Output, relative to the repository root. */
  out: string;
  /** The global the bundle assigns `{ main }` to; the host calls `<globalName>.main(hal)`. */
  globalName: string;
  /** Loader region (loader, recovery): the entry is generated with the build's trust list (tools/image/trust.ts). */
  loaderRegion?: boolean;
}

export const BUNDLES: readonly BundleSpec[] = [
  { name: 'firmware', entry: 'firmware/main.ts', out: 'dist/firmware.js', globalName: 'DialtoneFirmware' },
  { name: 'bootloader', entry: 'flash/main.ts', out: 'dist/bootloader.js', globalName: 'DialtoneLoader', loaderRegion: true },
  { name: 'recovery', entry: 'flash/recovery-main.ts', out: 'dist/recovery.js', globalName: 'DialtoneRecovery', loaderRegion: true },
];

const USAGE = `usage: dialtone build [--trust KEY.pub]... [--release] [--allow-downgrade] [--lint-only] [--out-dir DIR]

  Bundles firmware/main.ts -> dist/firmware.js (DialtoneFirmware.main) and flash/main.ts ->
  dist/bootloader.js (DialtoneLoader.main), plus unminified *.debug.js copies and source
  maps, prints sizes, lints each bundle, writes dist/build-info.json.

  flash/recovery-main.ts -> dist/recovery.js (DialtoneRecovery.main, the serial recovery
  module the loader starts when nothing is valid).

  --trust KEY.pub    a public key the loader (and recovery) trust; repeat for several.
                     Without it the build trusts the development key and says so.
  --release          a release loader: needs --trust, refuses the development key
  --allow-downgrade  development loaders only: older images and counters boot
  --lint-only        lint the bundles already in the output directory
  --out-dir DIR      output directory (default dist/)`;

interface BundleInfo {
  file: string;
  bytes: number;
  gzipBytes: number;
  debugBytes: number;
  /** Size gate and goal (tools/build/budgets.ts), when the bundle has one. */
  gate?: number;
  goal?: number;
  /** Bytes per source module in the minified output (esbuild metafile), largest first. */
  modules: ModuleSize[];
}

function gzipSize(text: string): number {
  return zlib.gzipSync(Buffer.from(text), { level: 9 }).length;
}

function printMessages(kind: string, msgs: BuildMessage[]): void {
  for (const m of msgs) console.error(`${m.location ? `${m.location}: ` : ''}${kind === 'error' ? pc.red('error') : pc.yellow('warning')}: ${m.text}`);
}

function printFindings(file: string, findings: Finding[]): void {
  for (const f of findings) console.error(`${pc.red('lint')} ${formatFinding(f, file)}`);
}

interface BuildArgs { lintOnly: boolean; outDir: string; trust: string[]; release: boolean; allowDowngrade: boolean }

function parseArgs(argv: string[]): BuildArgs {
  let lintOnly = false;
  let outDir = path.join(REPO_ROOT, 'dist');
  const trust: string[] = [];
  let release = false;
  let allowDowngrade = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--lint-only') lintOnly = true;
    else if (a === '--trust') {
      const v = argv[++i];
      if (!v) throw new UserError('--trust needs a public key file (KEY.pub)');
      trust.push(v);
    } else if (a.startsWith('--trust=')) trust.push(a.slice('--trust='.length));
    else if (a === '--release') release = true;
    else if (a === '--allow-downgrade') allowDowngrade = true;
    else if (a === '--out-dir') {
      const v = argv[++i];
      if (!v) throw new UserError('--out-dir needs a directory');
      outDir = path.resolve(v);
    } else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      throw new HelpShown();
    } else throw new UserError(`build: unknown option '${a}' (see --help)`);
  }
  return { lintOnly, outDir, trust, release, allowDowngrade };
}

class HelpShown extends Error {}

async function buildAll(outDir: string, trust: ResolvedTrust): Promise<number> {
  fs.mkdirSync(outDir, { recursive: true });
  if (trust.notice) console.log(pc.yellow(trust.notice));
  else console.log(`loader trusts key id${trust.keyIds.length > 1 ? 's' : ''} ${trust.keyIds.join(', ')}${trust.config.release ? ' (release)' : ''}`);
  const info: Record<string, BundleInfo> = {};
  const sizeTables: string[][] = [];
  let failed = false;
  const upward = checkLayering(REPO_ROOT);
  for (const v of upward) console.error(`${v.file}:${v.line}: ${pc.red('layering')}: '${v.specifier}': ${v.message}`);
  if (upward.length > 0) failed = true;
  for (const b of BUNDLES) {
    const outfile = path.join(outDir, path.basename(b.out));
    const rel = path.relative(process.cwd(), outfile) || outfile;
    // Loader-region bundles start from a generated entry carrying the trust list.
    const from = b.loaderRegion ? { source: loaderEntrySource(b.entry, trust.config) } : { entry: path.join(REPO_ROOT, b.entry) };
    const res = await buildTarget({ ...from, globalName: b.globalName, outfile, mangleProps: true });
    printMessages('warning', res.warnings);
    if (res.errors.length > 0 || !res.code) {
      printMessages('error', res.errors);
      console.error(pc.red(`${b.name}: build failed (${res.errors.length} error(s))`));
      failed = true;
      continue;
    }
    const debug = await buildTarget({ ...from, globalName: b.globalName, minify: false, lint: false, outfile });
    fs.writeFileSync(outfile, res.code);
    fs.writeFileSync(`${outfile}.map`, res.map);
    const debugFile = outfile.replace(/\.js$/, '.debug.js');
    fs.writeFileSync(debugFile, debug.code);
    const gz = gzipSize(res.code);
    const modules = res.metafile ? moduleSizes(res.metafile) : [];
    const size = checkSize(b.name, res.bytes);
    info[b.name] = {
      file: path.relative(REPO_ROOT, outfile), bytes: res.bytes, gzipBytes: gz, debugBytes: debug.bytes,
      gate: size.budget?.gate, goal: size.budget?.goal, modules,
    };
    console.log(`${pc.bold(rel.padEnd(22))} ${String(res.bytes).padStart(7)} B  ${String(gz).padStart(6)} B gzip  (debug ${debug.bytes} B)`);
    console.log(`  ${size.over ? pc.red(size.line) : size.line}`);
    if (size.over) {
      console.error(pc.red(`${b.name}: ${size.budget!.label} over its size gate: ${size.budget!.gateReason}`));
      failed = true;
    }
    sizeTables.push(formatSizeTable(b.name, res.bytes, modules));
    if (res.findings.length > 0) {
      printFindings(rel, res.findings);
      console.error(pc.red(`${b.name}: ${res.findings.length} lint finding(s)`));
      failed = true;
    }
  }
  const buildInfo = { esbuild: esbuildVersion(), target: 'es2015', ok: !failed, trust: { keyIds: trust.keyIds, release: trust.config.release, developmentKey: trust.notice !== null, allowDowngrade: trust.config.allowDowngrade }, bundles: info };
  fs.writeFileSync(path.join(outDir, 'build-info.json'), `${JSON.stringify(buildInfo, null, 2)}\n`);
  for (const t of sizeTables) for (const line of t) console.log(pc.dim(line));
  if (!failed) console.log(pc.green('build ok: bundles built, lint clean, sizes within their gates'));
  return failed ? 1 : 0;
}

function lintExisting(outDir: string): number {
  let total = 0;
  for (const b of BUNDLES) {
    const file = path.join(outDir, path.basename(b.out));
    const rel = path.relative(process.cwd(), file) || file;
    if (!fs.existsSync(file)) throw new UserError(`${rel} does not exist: run 'npm run build' first`);
    const code = fs.readFileSync(file, 'utf8');
    const mapFile = `${file}.map`;
    const map = fs.existsSync(mapFile) ? new SourceMapIndex(fs.readFileSync(mapFile, 'utf8'), outDir, REPO_ROOT) : undefined;
    const findings = lintBundle(code, { map });
    printFindings(rel, findings);
    console.log(`${rel}: ${findings.length === 0 ? pc.green('clean') : pc.red(`${findings.length} finding(s)`)}`);
    total += findings.length;
  }
  return total === 0 ? 0 : 1;
}

export async function run(argv: string[]): Promise<number> {
  let args: BuildArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof HelpShown) return 0;
    throw e;
  }
  if (args.lintOnly) return lintExisting(args.outDir);
  return buildAll(args.outDir, resolveTrust({ trust: args.trust, release: args.release, allowDowngrade: args.allowDowngrade }));
}

runIfMain(import.meta.url, 'build', run);
