/**
 * Size gates and the per-module table: checkSize against the budgets of
 * tools/build/budgets.ts, moduleSizes/folderSizes from a real esbuild metafile (they add up
 * to the bundle), and `dialtone build` itself failing when a bundle is over its gate.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTarget, REPO_ROOT } from '../../../tools/build/build';
import { budgetFor, SIZE_BUDGETS } from '../../../tools/build/budgets';
import { checkSize, folderSizes, formatSizeTable, moduleSizes } from '../../../tools/build/sizes';
import { run } from '../../../tools/build/cli';

describe('size budgets', () => {
  it('gate the firmware image at 192 KiB (goal 128 KiB) and the loader boot path at 24 KiB, each with a reason', () => {
    expect(budgetFor('firmware')).toMatchObject({ gate: 192 * 1024, goal: 128 * 1024 });
    expect(budgetFor('bootloader')).toMatchObject({ gate: 24 * 1024 });
    for (const b of SIZE_BUDGETS) expect(b.gateReason.length).toBeGreaterThan(20);
  });

  it('checkSize is over only past the gate, and prints the goal beside the figure', () => {
    const at = checkSize('firmware', 192 * 1024);
    expect(at.over).toBe(false);
    expect(at.line).toMatch(/goal at most 128\.0 KiB resident at boot/);
    expect(checkSize('firmware', 192 * 1024 + 1).over).toBe(true);
    expect(checkSize('firmware', 192 * 1024 + 1).line).toMatch(/OVER the gate of 192\.0 KiB by 1 B/);
    expect(checkSize('bootloader', 24 * 1024 + 1).over).toBe(true);
    expect(checkSize('no-such-bundle', 1e9).over).toBe(false);
  });
});

describe('per-module sizes', () => {
  it('come from the metafile, add up to the bundle and group by folder', async () => {
    const r = await buildTarget({ entry: path.join(REPO_ROOT, 'flash', 'main.ts'), globalName: 'DialtoneLoader' });
    expect(r.metafile).not.toBeNull();
    const mods = moduleSizes(r.metafile!);
    const sum = mods.reduce((s, m) => s + m.bytes, 0);
    // esbuild's bytesInOutput leaves out the IIFE wrapper and the banner: a few dozen bytes.
    expect(r.bytes - sum).toBeGreaterThanOrEqual(0);
    expect(r.bytes - sum).toBeLessThan(200);
    expect(mods.map((m) => m.file)).toContain('flash/loader.ts');
    for (let i = 1; i < mods.length; i++) expect(mods[i - 1].bytes).toBeGreaterThanOrEqual(mods[i].bytes);
    const folders = folderSizes(mods);
    expect(folders.reduce((s, f) => s + f.bytes, 0)).toBe(sum);
    expect(folders.map((f) => f.folder)).toContain('flash');
    const table = formatSizeTable('bootloader', r.bytes, mods, 3);
    expect(table[0]).toBe('bootloader: bytes by folder');
    expect(table.filter((l) => /\.ts /.test(l))).toHaveLength(3);
  });
});

describe('dialtone build', () => {
  it('fails when a bundle is over its size gate', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-size-'));
    const loader = budgetFor('bootloader')!;
    const gate = loader.gate;
    const log = console.log;
    const err = console.error;
    const said: string[] = [];
    console.log = (...a: unknown[]) => { said.push(a.join(' ')); };
    console.error = (...a: unknown[]) => { said.push(a.join(' ')); };
    try {
      loader.gate = 1000; // far below any real loader
      expect(await run(['--out-dir', out])).toBe(1);
      expect(said.join('\n')).toMatch(/loader's boot path: \d+ B .*OVER the gate/);
      const info = JSON.parse(fs.readFileSync(path.join(out, 'build-info.json'), 'utf8'));
      expect(info.ok).toBe(false);
      expect(info.bundles.firmware.modules.length).toBeGreaterThan(10);
      loader.gate = gate;
      said.length = 0;
      expect(await run(['--out-dir', out])).toBe(0);
    } finally {
      loader.gate = gate;
      console.log = log;
      console.error = err;
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
