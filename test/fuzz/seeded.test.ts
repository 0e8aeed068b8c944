/**
 * Every random input in the tests and benches is seeded (issue 8): no Math.random,
 * randomBytes, randomInt, randomUUID or getRandomValues in test/ or bench/ (use hal/sim/prng.ts
 * Prng), and every fc.assert / fc.check / fc.sample names a seed (or goes through
 * test/fuzz/property.ts assertSeeded / fuzzCodec). A CI run that fails at random throws away
 * a whole submission; a seeded one replays.
 */
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../tools/build/build';

const ROOTS = ['test', 'bench'];
const SELF = path.join('test', 'fuzz', 'seeded.test.ts');
const UNSEEDED = /\b(Math\.random|randomBytes|randomInt|randomUUID|getRandomValues)\s*\(/;
const FC_CALL = /\bfc\.(assert|check|sample)\s*\(/g;

function sources(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.(ts|mts|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

/** The text of the call whose '(' is at `open`: up to its matching ')', strings and comments skipped. */
export function callText(src: string, open: number): string {
  let depth = 0;
  let i = open;
  while (i < src.length) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const e = src.indexOf('*/', i + 2);
      i = e < 0 ? src.length : e + 2;
      continue;
    }
    if (c === '\'' || c === '"' || c === '`') {
      i++;
      while (i < src.length && src[i] !== c) i += src[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '(') depth++;
    if (c === ')' && --depth === 0) return src.slice(open, i + 1);
    i++;
  }
  return src.slice(open);
}

function lineOf(src: string, at: number): number {
  return src.slice(0, at).split('\n').length;
}

/** "file:line what" for every unseeded source of randomness in the given files. */
export function unseeded(files: string[], read: (f: string) => string): string[] {
  const found: string[] = [];
  for (const f of files) {
    const src = read(f);
    src.split('\n').forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '');
      const m = UNSEEDED.exec(code);
      if (m) found.push(`${f}:${i + 1} ${m[1]}() (use a seeded Prng, hal/sim/prng.ts)`);
    });
    for (const m of src.matchAll(FC_CALL)) {
      const call = callText(src, m.index! + m[0].length - 1);
      if (!/\bseed\b/.test(call)) found.push(`${f}:${lineOf(src, m.index!)} fc.${m[1]} without a seed`);
    }
  }
  return found;
}

describe('every random input in the tests is seeded', () => {
  it('no unseeded randomness in test/ and bench/', () => {
    const files = ROOTS.flatMap((r) => sources(path.join(REPO_ROOT, r), []))
      .map((f) => path.relative(REPO_ROOT, f)).filter((f) => f !== SELF);
    expect(files.length).toBeGreaterThan(20);
    expect(unseeded(files, (f) => readFileSync(path.join(REPO_ROOT, f), 'utf8'))).toEqual([]);
  });

  it('the check finds what it is for (and not a seeded call)', () => {
    const src: Record<string, string> = {
      'a.ts': "const b = randomBytes(16);\nconst x = Math.random();\n// Math.random() in a comment is fine\n",
      'b.ts': 'fc.assert(fc.property(fc.nat(), (n) => { f(n, ")"); }), { numRuns: 10 });\n' +
        'fc.assert(fc.property(fc.nat(), (n) => g(n)), { seed: 4, numRuns: 10 });\nfc.sample(arb, 3);\n',
    };
    expect(unseeded(Object.keys(src), (f) => src[f])).toEqual([
      'a.ts:1 randomBytes() (use a seeded Prng, hal/sim/prng.ts)',
      'a.ts:2 Math.random() (use a seeded Prng, hal/sim/prng.ts)',
      'b.ts:1 fc.assert without a seed',
      'b.ts:3 fc.sample without a seed',
    ]);
  });
});
