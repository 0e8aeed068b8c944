/**
 * The type environment of target code (tsconfig.target.json: noLib + hal/target-lib.d.ts,
 * the ES5 lib minus what Espruino lacks, + hal/target-env.d.ts) rejects the built-ins
 * Espruino lacks or runs differently, so most mistakes show up in the editor before the
 * build: typed-array .slice (a plain Array there), split limits, RangeError, Object.freeze.
 *
 * Runs the project's `tsc` on a temporary project under test/unit/build/.tmp/ that extends
 * tsconfig.target.json; the directory is removed afterwards.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../tools/build/build';

const TMP_ROOT = path.join(REPO_ROOT, 'test', 'unit', 'build', '.tmp'); // git-ignored
const TMP = path.join(TMP_ROOT, `typecheck-${process.pid}`);
const TSC = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

const BAD = `
export function bad(): unknown[] {
  return [
    new Map<string, number>(),
    new Set<number>(),
    Symbol('x'),
    BigInt(1),
    Array.from([1]),
    Math.trunc(1.5),
    Number.isInteger(1),
    Promise.race([Promise.resolve(1)]),
    new WeakMap<object, number>(),
    'abc'.at(0),
  ];
}
`;

// Gaps measured on Espruino 2v29 that only the restricted lib can see (the bundle lint has
// no types). One per line, lines 4..15.
const ESPRUINO = `
export function bad(u8: Uint8Array, i32: Int32Array, f64: Float64Array, ab: ArrayBuffer): unknown[] {
  return [
    u8.slice(0, 6),
    u8.slice(),
    i32.slice(1),
    f64.slice(0, 1),
    new Uint16Array(2).slice(0, 1),
    ab.slice(0, 2),
    'a,b,c'.split(',', 2),
    new RangeError('x'),
    Object.freeze({}),
    [1, 2].lastIndexOf(1),
    ArrayBuffer.isView(u8),
    'ab'.localeCompare('b'),
  ];
}
`;

const GOOD = `
export function good(): unknown[] {
  const u8 = new Uint8Array(4);
  const dv = new DataView(u8.buffer);
  dv.setUint16(0, 0x1234, false);
  const copy = new Uint8Array(2);
  copy.set(u8.subarray(0, 2));
  const e = new TypeError('x');
  const name: string | undefined = e.name;
  return [u8, [1, 2].find((v) => v === 2), 'ab'.padStart(4, '0'), Object.assign({}, { a: 1 }),
    Promise.all([Promise.resolve(1)]).then((v) => v[0]), Math.floor(1.5), u8.subarray(1, 3), copy,
    'a,b'.split(','), [1, 2].slice(0, 1), 'abc'.slice(1), name, [2, 1].sort()];
}
`;

function tsc(file: string): string {
  const project = path.join(TMP, `tsconfig.${file}.json`);
  fs.writeFileSync(project, JSON.stringify({
    extends: path.relative(TMP, path.join(REPO_ROOT, 'tsconfig.target.json')),
    compilerOptions: { noUnusedLocals: false },
    include: [
      path.relative(TMP, path.join(REPO_ROOT, 'hal', 'target-lib.d.ts')),
      path.relative(TMP, path.join(REPO_ROOT, 'hal', 'target-env.d.ts')),
      `${file}.ts`,
    ],
  }));
  try {
    execFileSync(process.execPath, [TSC, '-p', project], { cwd: REPO_ROOT, encoding: 'utf8', stdio: 'pipe' });
    return '';
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}` || 'tsc failed without output';
  }
}

describe('target type environment', () => {
  beforeAll(() => {
    fs.mkdirSync(TMP, { recursive: true });
    fs.writeFileSync(path.join(TMP, 'bad.ts'), BAD);
    fs.writeFileSync(path.join(TMP, 'good.ts'), GOOD);
    fs.writeFileSync(path.join(TMP, 'espruino.ts'), ESPRUINO);
  });
  afterAll(() => {
    fs.rmSync(TMP, { recursive: true, force: true });
    if (fs.existsSync(TMP_ROOT) && fs.readdirSync(TMP_ROOT).length === 0) fs.rmdirSync(TMP_ROOT);
  });

  it('accepts portable code: subarray, an explicit copy, Array and String slice, split without a limit, TypeError', () => {
    expect(tsc('good')).toBe('');
  });

  it('rejects typed-array and ArrayBuffer .slice, split limits, RangeError, Object.freeze, lastIndexOf, isView, localeCompare', () => {
    const out = tsc('espruino');
    for (let line = 4; line <= 15; line++) expect(out, out).toMatch(new RegExp(`espruino\\.ts\\(${line},`));
    expect(out).toMatch(/Property 'slice' does not exist on type 'Uint8Array/);
    expect(out).toMatch(/Property 'slice' does not exist on type 'Int32Array/);
    expect(out).toMatch(/Property 'slice' does not exist on type 'ArrayBuffer'/);
    expect(out).toMatch(/Expected 1 arguments, but got 2/);
    expect(out).toMatch(/Cannot find name 'RangeError'/);
    expect(out).toMatch(/Property 'freeze' does not exist/);
  });

  it('rejects Map, Set, Symbol, BigInt, Array.from, Math.trunc, Number.isInteger, Promise.race, WeakMap, .at', () => {
    const out = tsc('bad');
    // One error per line of the array literal (lines 4..13 of bad.ts).
    for (let line = 4; line <= 13; line++) expect(out, out).toMatch(new RegExp(`bad\\.ts\\(${line},`));
    expect(out).toMatch(/'Map' only refers to a type|Cannot find name 'Map'/);
    expect(out).toMatch(/Property 'trunc' does not exist/);
    expect(out).toMatch(/Property 'isInteger' does not exist/);
    expect(out).toMatch(/Property 'from' does not exist/);
  });
});
