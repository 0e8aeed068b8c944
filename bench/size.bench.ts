/**
 * Bundle sizes: `dialtone build` into a temporary directory (the real build, trust list and
 * all), then each bundle beside its size gate and goal (tools/build/budgets.ts) and the
 * per-module table (tools/build/sizes.ts, the same one the build prints): every folder and
 * the largest modules of each bundle.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BenchRow } from './types';
import { run as build } from '../tools/build/cli';
import { budgetFor } from '../tools/build/budgets';
import { folderSizes, type ModuleSize } from '../tools/build/sizes';

const TOP_MODULES = 8;

interface Info {
  ok: boolean;
  bundles: Record<string, { bytes: number; gzipBytes: number; modules: ModuleSize[] }>;
}

export async function bench(): Promise<BenchRow[]> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-bench-size-'));
  const log = console.log;
  const err = console.error;
  let code: number;
  try {
    console.log = () => {};
    console.error = () => {};
    code = await build(['--out-dir', out]);
  } finally {
    console.log = log;
    console.error = err;
  }
  try {
    const info = JSON.parse(fs.readFileSync(path.join(out, 'build-info.json'), 'utf8')) as Info;
    const rows: BenchRow[] = [];
    if (code !== 0) rows.push({ figure: 'size: the build failed (run npm run build)', ours: null, unit: '' });
    for (const [name, b] of Object.entries(info.bundles)) {
      const budget = budgetFor(name);
      rows.push({
        figure: `size: ${budget ? budget.label : name} (dist/${name}.js)`,
        ours: b.bytes, reference: budget ? budget.gate : null, unit: 'B', note: budget ? 'gate: the build fails above it' : 'no gate',
      });
      if (budget?.goal !== undefined) {
        rows.push({ figure: `size: ${budget.label}, goal`, ours: b.bytes, reference: budget.goal, unit: 'B', note: `goal: ${budget.goalLabel ?? ''}` });
      }
      rows.push({ figure: `size: ${name} gzip`, ours: b.gzipBytes, unit: 'B' });
      for (const f of folderSizes(b.modules)) {
        rows.push({ figure: `size: ${name} ${f.folder.startsWith('(') ? f.folder : `${f.folder}/`}`, ours: f.bytes, unit: 'B', note: `${f.files} module${f.files === 1 ? '' : 's'}, ${((100 * f.bytes) / b.bytes).toFixed(1)}%` });
      }
      for (const m of b.modules.slice(0, TOP_MODULES)) {
        rows.push({ figure: `size: ${name} ${m.file}`, ours: m.bytes, unit: 'B', note: `${((100 * m.bytes) / b.bytes).toFixed(1)}%` });
      }
    }
    return rows;
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}
