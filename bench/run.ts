/**
 * `npm run bench [-- FILTER...] [--json FILE]`: discover every `bench/*.bench.ts`, run
 * them one after another (they share 2 cores; running them together would measure the
 * contention), and print one aligned table: figure, ours, reference, unit, note.
 *
 * A FILTER keeps modules whose name contains it (`npm run bench -- net`). A module that
 * throws gets one row saying so, and the exit code is 1; skipped figures are not errors.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import pc from 'picocolors';
import type { BenchRow } from './types';

export type { BenchRow } from './types';

interface Loaded {
  module: string;
  rows: BenchRow[];
  seconds: number;
  failed: boolean;
}

/** Modules in `dir` named *.bench.ts, sorted, filtered by substring when filters are given. */
export function discover(dir: string, filters: string[] = []): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
}

/** A number with about 3 significant digits and thousands separators; strings as-is. */
export function formatValue(v: number | string | null | undefined): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The table as lines (no colour), so tests and --json users get the same text. */
export function renderTable(rows: Array<BenchRow & { module?: string }>): string[] {
  const head = ['figure', 'ours', 'reference', 'unit', 'note'];
  const cells = rows.map((r) => [r.figure, formatValue(r.ours), formatValue(r.reference), r.unit, r.note ?? '']);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]): string =>
    c.map((x, i) => (i === 1 || i === 2 ? x.padStart(width[i]) : i === c.length - 1 ? x : x.padEnd(width[i]))).join('  ').trimEnd();
  return [line(head), width.map((w, i) => '-'.repeat(i === width.length - 1 ? Math.max(4, w) : w)).join('  '), ...cells.map(line)];
}

async function runModule(dir: string, file: string): Promise<Loaded> {
  const t0 = performance.now();
  const name = file.replace(/\.bench\.ts$/, '');
  try {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { bench?: () => Promise<BenchRow[]> };
    if (typeof mod.bench !== 'function') throw new Error(`${file} does not export async function bench()`);
    const rows = await mod.bench();
    return { module: name, rows, seconds: (performance.now() - t0) / 1000, failed: false };
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    console.error(pc.red(`bench ${name} failed:`), err);
    return { module: name, rows: [{ figure: `${name}: error`, ours: null, unit: '', note: msg }], seconds: (performance.now() - t0) / 1000, failed: true };
  }
}

export async function main(argv: string[]): Promise<number> {
  const filters: string[] = [];
  let json: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') json = argv[++i] ?? null;
    else if (argv[i] === '-h' || argv[i] === '--help') {
      console.log('usage: npm run bench [-- FILTER...] [--json FILE]');
      return 0;
    } else filters.push(argv[i]);
  }
  const dir = dirname(fileURLToPath(import.meta.url));
  const files = discover(dir, filters);
  if (files.length === 0) {
    console.error(`bench: no bench/*.bench.ts matches ${filters.join(' ') || '(any)'}`);
    return 1;
  }
  const all: Loaded[] = [];
  for (const f of files) {
    process.stderr.write(pc.dim(`bench: ${f} ...\n`));
    const r = await runModule(dir, f);
    process.stderr.write(pc.dim(`bench: ${f} done in ${r.seconds.toFixed(1)} s\n`));
    all.push(r);
  }
  const rows = all.flatMap((m) => m.rows.map((r) => ({ ...r, module: m.module })));
  const lines = renderTable(rows);
  console.log('');
  console.log(pc.bold(lines[0]));
  for (const l of lines.slice(1)) console.log(l);
  if (json) {
    writeFileSync(json, JSON.stringify({ node: process.version, rows }, null, 2) + '\n');
    console.log(pc.dim(`\nrows written to ${json}`));
  }
  return all.some((m) => m.failed) ? 1 : 0;
}

const isMain = process.argv[1] !== undefined && /bench[\\/]run\.ts$/.test(process.argv[1]);
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(70);
    },
  );
}
