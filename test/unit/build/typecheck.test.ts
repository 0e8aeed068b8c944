/**
 * The type environment of target code (tsconfig.target.json + hal/target-env.d.ts) rejects
 * the built-ins Espruino lacks, so most mistakes show up in the editor before the build.
 * Object.freeze is in lib ES5 and cannot be removed there, which is why the lint also
 * checks it (asserted here so the gap stays documented).
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

const GOOD = `
export function good(): unknown[] {
  const u8 = new Uint8Array(4);
  const dv = new DataView(u8.buffer);
  dv.setUint16(0, 0x1234, false);
  return [u8, [1, 2].find((v) => v === 2), 'ab'.padStart(4, '0'), Object.assign({}, { a: 1 }),
    Promise.all([Promise.resolve(1)]).then((v) => v[0]), Math.floor(1.5), Object.freeze({})];
}
`;

function tsc(file: string): string {
  const project = path.join(TMP, `tsconfig.${file}.json`);
  fs.writeFileSync(project, JSON.stringify({
    extends: path.relative(TMP, path.join(REPO_ROOT, 'tsconfig.target.json')),
    compilerOptions: { noUnusedLocals: false },
    include: [path.relative(TMP, path.join(REPO_ROOT, 'hal', 'target-env.d.ts')), `${file}.ts`],
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
  });
  afterAll(() => {
    fs.rmSync(TMP, { recursive: true, force: true });
    if (fs.existsSync(TMP_ROOT) && fs.readdirSync(TMP_ROOT).length === 0) fs.rmdirSync(TMP_ROOT);
  });

  it('accepts portable code (and, a known gap, Object.freeze: the lint covers it)', () => {
    expect(tsc('good')).toBe('');
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
