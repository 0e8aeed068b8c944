/**
 * Where a bundle's bytes come from, from esbuild's metafile (bytes each input contributed
 * to the minified output), and the size gates of tools/build/budgets.ts. Used by
 * `npm run build` (tools/build/cli.ts) and `npm run bench` (bench/size.bench.ts), so both
 * show the same table.
 */
import type * as esbuild from 'esbuild';
import * as path from 'node:path';
import { REPO_ROOT } from './build';
import { budgetFor, type SizeBudget } from './budgets';

export interface ModuleSize {
  /** Source file relative to the repository root (or esbuild's name for a virtual input). */
  file: string;
  bytes: number;
}

export interface FolderSize {
  /** Folder relative to the repository root, e.g. `firmware/net/wire`. */
  folder: string;
  bytes: number;
  files: number;
}

/** The modules of the one .js output in `meta`, largest first (ties by name). */
export function moduleSizes(meta: esbuild.Metafile): ModuleSize[] {
  const out: ModuleSize[] = [];
  for (const [name, o] of Object.entries(meta.outputs)) {
    if (!name.endsWith('.js')) continue;
    for (const [input, v] of Object.entries(o.inputs)) {
      // Paths in the metafile are relative to esbuild's working directory (process.cwd()).
      // The wrapper module (stdin) and a plugin-generated entry have no file of their own.
      const file = input.startsWith('<') ? '(entry wrapper)' : input.includes(':') ? '(generated entry)'
        : path.relative(REPO_ROOT, path.resolve(input));
      out.push({ file, bytes: v.bytesInOutput });
    }
  }
  return out.sort((a, b) => b.bytes - a.bytes || (a.file < b.file ? -1 : 1));
}

/** The same bytes by folder, largest first. */
export function folderSizes(modules: ModuleSize[]): FolderSize[] {
  const by = new Map<string, FolderSize>();
  for (const m of modules) {
    const file = m.file.split(path.sep).join('/');
    const folder = file.startsWith('(') ? '(generated)' : file.includes('/') ? path.posix.dirname(file) : '.';
    const f = by.get(folder) ?? { folder, bytes: 0, files: 0 };
    f.bytes += m.bytes;
    f.files++;
    by.set(folder, f);
  }
  return [...by.values()].sort((a, b) => b.bytes - a.bytes || (a.folder < b.folder ? -1 : 1));
}

const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;

/** The per-module table as lines: folders, then the `top` largest files. */
export function formatSizeTable(bundle: string, total: number, modules: ModuleSize[], top = 10): string[] {
  const pct = (n: number): string => `${((100 * n) / Math.max(1, total)).toFixed(1).padStart(5)}%`;
  const lines = [`${bundle}: bytes by folder`];
  for (const f of folderSizes(modules)) {
    lines.push(`  ${f.folder.padEnd(28)} ${String(f.bytes).padStart(7)} B ${pct(f.bytes)}  (${f.files} file${f.files === 1 ? '' : 's'})`);
  }
  lines.push(`${bundle}: largest ${Math.min(top, modules.length)} of ${modules.length} modules`);
  for (const m of modules.slice(0, top)) lines.push(`  ${m.file.padEnd(36)} ${String(m.bytes).padStart(7)} B ${pct(m.bytes)}`);
  return lines;
}

export interface SizeCheck {
  bundle: string;
  bytes: number;
  budget: SizeBudget | null;
  /** True when over the gate. */
  over: boolean;
  /** One line: figure, gate, goal. */
  line: string;
}

/** The bundle's figure against its gate and goal (a bundle without a budget is never over). */
export function checkSize(bundle: string, bytes: number): SizeCheck {
  const budget = budgetFor(bundle) ?? null;
  if (!budget) return { bundle, bytes, budget, over: false, line: `${bundle}: ${bytes} B (${kib(bytes)}), no size gate` };
  const over = bytes > budget.gate;
  const goal = budget.goal === undefined ? ''
    : `; goal at most ${kib(budget.goal)}${budget.goalLabel ? ` ${budget.goalLabel}` : ''}: ${bytes <= budget.goal ? `met, ${budget.goal - bytes} B to spare` : `${bytes - budget.goal} B over`}`;
  const gate = over ? `OVER the gate of ${kib(budget.gate)} by ${bytes - budget.gate} B` : `gate ${kib(budget.gate)} (${((100 * bytes) / budget.gate).toFixed(0)}%)`;
  return { bundle, bytes, budget, over, line: `${budget.label}: ${bytes} B (${kib(bytes)}), ${gate}${goal}` };
}
