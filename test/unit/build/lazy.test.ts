/**
 * Lazy seams (tools/build/lazy.ts): a seam's module graph is evaluated at each call of its
 * loader and not before, the modules it shares with the resident image are one copy (one
 * state), property mangling agrees across the seam, and a seam that is not well formed is a
 * build error. The graphs here are written to a temporary folder; the image's own seams
 * (firmware/lazy) are built by every target build and run by test/target.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { buildTarget } from '../../../tools/build/build';

let dir = '';

const FILES: Record<string, string> = {
  // Resident and shared: one state object, whoever imports it.
  'shared.ts': [
    'export const state = { evaluations: 0, calls: 0 };',
    'export function bump(): number { state.calls++; return state.calls; }',
  ].join('\n'),
  // The lazy graph: its body counts its evaluations in the shared state.
  'kit/impl.ts': [
    "import { state, bump } from '../shared';",
    "import { twice } from './helper';",
    'state.evaluations++;',
    'export interface Reading { longPropertyName: number }',
    'export function measure(n: number): Reading { bump(); return { longPropertyName: twice(n) }; }',
  ].join('\n'),
  'kit/helper.ts': 'export function twice(n: number): number { return n * 2; }',
  'lazy/kit.ts': [
    '// @lazy-owns KIT',
    "import * as impl from '../kit/impl';",
    'export type Kit = typeof impl;',
    'export function loadKit(): Kit { return impl; }',
  ].join('\n'),
  'lazy/broken.ts': [
    "import * as impl from '../kit/impl';",
    'export function loadBroken(): typeof impl { return impl; }',
  ].join('\n'),
};

// The host reads `out` by name: its keys are strings, which the mangler keeps.
const MAIN = [
  "import { loadKit } from './lazy/kit';",
  "import { state, bump } from './shared';",
  'declare var out: any;',
  'export function main(): void {',
  "  out['before'] = state.evaluations;",
  "  out['first'] = loadKit().measure(21).longPropertyName;",
  "  out['second'] = loadKit().measure(1).longPropertyName;",
  "  out['evaluations'] = state.evaluations;",
  "  out['calls'] = bump();",
  '}',
].join('\n');

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-lazy-'));
  for (const [name, text] of Object.entries(FILES)) {
    const f = path.join(dir, name);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, text.replace('KIT', path.join(dir, 'kit')));
  }
});

afterAll(() => {
  if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
});

function run(code: string): Record<string, number> {
  const out: Record<string, number> = {};
  const ctx = vm.createContext({ out });
  vm.runInContext(code, ctx);
  vm.runInContext('DialtoneFirmware.main()', ctx);
  return out;
}

describe('lazy seams', () => {
  for (const mangleProps of [false, true]) {
    it(`evaluate their graph at each call, not at load, with one copy of what they share (mangleProps ${mangleProps})`, async () => {
      const r = await buildTarget({ source: MAIN, resolveDir: dir, lazyDirs: [path.join(dir, 'lazy')], mangleProps });
      expect(r.errors).toEqual([]);
      expect(r.ok).toBe(true);
      // The graph sits inside the loader: its body does not run when the bundle loads.
      expect(run(r.code)).toEqual({ before: 0, first: 42, second: 2, evaluations: 2, calls: 3 });
      if (mangleProps) expect(r.code).not.toContain('longPropertyName');
    });
  }

  it('natively, a seam is an eager import (the same answers, one evaluation)', async () => {
    const mod = await import(path.join(dir, 'lazy', 'kit.ts'));
    const shared = await import(path.join(dir, 'shared.ts'));
    expect(mod.loadKit().measure(21).longPropertyName).toBe(42);
    expect(shared.state.evaluations).toBe(1);
  });

  it('a seam without its @lazy-owns line is a build error that says what is missing', async () => {
    const r = await buildTarget({
      source: "import { loadBroken } from './lazy/broken';\nexport function main(): void { loadBroken(); }",
      resolveDir: dir, lazyDirs: [path.join(dir, 'lazy')],
    });
    expect(r.ok).toBe(false);
    expect(r.errors.map((e) => e.text).join('\n')).toMatch(/broken\.ts: a lazy seam needs "\/\/ @lazy-owns <path>"/);
  });
});
