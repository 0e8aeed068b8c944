/**
 * Every construct DESIGN.md section 3 forbids is caught: either esbuild refuses it (a build
 * error, for syntax it cannot lower) or the project lint reports it with the expected rule.
 * Each case is a tiny TypeScript `main(hal)` built through the same buildTarget() the
 * firmware uses; the construct sits inside `main` so tree shaking cannot drop it.
 */
import { describe, expect, it } from 'vitest';
import { buildTarget, type BuildTargetResult } from '../../../tools/build/build';
import type { RuleId } from '../../../tools/build/lint';

type Expect = { error: RegExp } | { rule: RuleId };

interface Case {
  name: string;
  /** Body of `export function main(hal: any)` unless `module` is set. */
  body?: string;
  /** A whole module (must export main). */
  module?: string;
  expect: Expect;
}

const fn = (body: string): string => `export function main(hal: any): void {\n${body}\n}\n`;

const CASES: Case[] = [
  // --- esbuild build errors (syntax Espruino cannot parse, esbuild cannot lower) ---------------
  { name: 'object destructuring', body: 'const { a, b } = hal; hal.x(a, b);', expect: { error: /destructuring/ } },
  { name: 'array destructuring', body: 'const [a, b] = hal.list; hal.x(a, b);', expect: { error: /destructuring/ } },
  { name: 'destructuring parameter', body: 'const f = ({ a }: any) => a; hal.x(f(hal));', expect: { error: /destructuring/ } },
  { name: 'object rest in destructuring', body: 'const { a, ...r } = hal; hal.x(a, r);', expect: { error: /destructuring/ } },
  { name: 'default parameter', body: 'function f(a = 1) { return a; } hal.x(f());', expect: { error: /default arguments/ } },
  { name: 'rest parameter', body: 'function f(...a: number[]) { return a.length; } hal.x(f(1, 2));', expect: { error: /rest arguments/ } },
  { name: 'array spread', body: 'hal.x([...hal.list, 1]);', expect: { error: /array spread/ } },
  { name: 'call spread', body: 'hal.x(...hal.list);', expect: { error: /rest arguments|spread/ } },
  { name: 'generator function', body: 'function* g() { yield 1; } hal.x(g());', expect: { error: /generator/ } },
  { name: 'async function', body: 'async function f() { return 1; } hal.x(f());', expect: { error: /async/ } },
  { name: 'await', body: 'const f = async () => { await hal.p; }; hal.x(f());', expect: { error: /async/ } },
  { name: 'for await', body: 'const f = async () => { for await (const v of hal.it) hal.x(v); }; hal.x(f());', expect: { error: /async|for-await/ } },
  { name: 'async generator', body: 'async function* g() { yield 1; } hal.x(g());', expect: { error: /async|generator/ } },
  { name: 'new.target', body: 'function F(this: any) { hal.x(new.target); } hal.x(new (F as any)());', expect: { error: /new\.target/ } },

  // --- lint: what esbuild lets through -------------------------------------------------------
  { name: 'object spread', body: 'hal.x({ ...hal.opts, a: 1 });', expect: { rule: 'spread-rest' } },
  {
    name: 'class naming itself (esbuild emits a named class expression)',
    module: 'class Machine { static make(): Machine { return new Machine(); } }\n' + fn('hal.x(Machine.make());'),
    expect: { rule: 'named-class-expression' },
  },
  {
    name: 'class static field referenced by class name',
    module: 'class Counter { static count = 0; bump(): void { Counter.count++; } }\n' + fn('new Counter().bump(); hal.x(Counter.count);'),
    expect: { rule: 'named-class-expression' },
  },
  { name: 'explicit named class expression', body: 'const C = class Named { m(): unknown { return Named; } }; hal.x(new C().m());', expect: { rule: 'named-class-expression' } },
  { name: 'call before function declaration', body: 'hal.x(later()); function later(): number { return hal.n; }', expect: { rule: 'use-before-define' } },
  { name: 'let used before declaration', body: 'const f = (): number => 1; hal.x(f() + y); let y = hal.n;', expect: { rule: 'use-before-define' } },
  { name: 'var assigned before declaration', body: 'x = hal.n; hal.x(x); var x: number;', expect: { rule: 'use-before-define' } },
  {
    name: 'top-level call before declaration',
    module: 'const v = helper();\nfunction helper(): number { return 4; }\n' + fn('hal.x(v);'),
    expect: { rule: 'use-before-define' },
  },
  { name: 'closure over loop let', body: 'for (let i = 0; i < 3; i++) hal.clock.setTimer(0, () => hal.x(i));', expect: { rule: 'loop-let-closure' } },
  { name: 'closure over for-of const', body: 'for (const v of hal.list) hal.on(() => hal.x(v));', expect: { rule: 'loop-let-closure' } },
  { name: 'extends an expression', body: 'class A extends (hal.base as any) {} hal.x(new A());', expect: { rule: 'extends-expression' } },
  { name: 'extends a call', body: 'const mk = (): any => hal.base; class A extends mk() {} hal.x(new A());', expect: { rule: 'extends-expression' } },
  { name: 'extends Error', body: 'class E extends Error {} hal.x(new E("x"));', expect: { rule: 'extends-error' } },
  { name: 'extends TypeError', body: 'class E extends TypeError {} hal.x(new E("x"));', expect: { rule: 'extends-error' } },
  { name: 'require', body: 'hal.x((require as any)(hal.name));', expect: { rule: 'node-builtin' } },
  { name: 'process', body: 'hal.x((process as any).env.X);', expect: { rule: 'node-builtin' } },
  { name: 'Buffer', body: 'hal.x((Buffer as any).from([1]));', expect: { rule: 'node-builtin' } },
  { name: '__dirname', body: 'hal.x(__dirname);', expect: { rule: 'node-builtin' } },
  { name: 'global', body: 'hal.x((global as any).x);', expect: { rule: 'node-builtin' } },
  ...['Map', 'Set', 'WeakMap', 'WeakSet', 'Symbol', 'Proxy', 'Reflect', 'BigInt', 'queueMicrotask', 'TextEncoder', 'TextDecoder', 'setImmediate']
    .map((g): Case => ({ name: `global ${g}`, body: `hal.x((${g} as any)(hal.v));`, expect: { rule: 'forbidden-global' } })),
  { name: 'new Map()', body: 'const m = new Map<string, number>(); m.set("a", 1); hal.x(m);', expect: { rule: 'forbidden-global' } },
  { name: '#private field (lowered to WeakMap)', body: 'class P { #x = 1; get(): number { return this.#x; } } hal.x(new P().get());', expect: { rule: 'forbidden-global' } },
  { name: 'BigInt literal (esbuild lowers it to BigInt("1"))', body: 'hal.x(1n);', expect: { rule: 'forbidden-global' } },
  { name: 'setTimeout (time goes through hal.clock)', body: 'setTimeout(() => hal.x(1), 5);', expect: { rule: 'host-global' } },
  { name: 'Date', body: 'hal.x(Date.now());', expect: { rule: 'host-global' } },
  { name: 'console', body: 'console.log(hal.x);', expect: { rule: 'host-global' } },
  ...[
    'Array.from', 'Array.of', 'Object.freeze', 'Object.seal', 'Object.is', 'Object.preventExtensions',
    'Math.trunc', 'Math.imul', 'Math.clz32', 'Math.log2', 'Math.log10', 'Math.hypot', 'Math.cbrt', 'Math.fround',
    'Number.isInteger', 'Number.isNaN', 'Number.isFinite', 'Number.parseInt', 'Number.parseFloat',
    'Promise.race', 'Promise.allSettled', 'Promise.any', 'ArrayBuffer.isView', 'Uint8Array.from',
  ].map((m): Case => ({ name: m, body: `hal.x((${m} as any)(hal.v));`, expect: { rule: 'forbidden-member' } })),
  { name: 'Number.EPSILON', body: 'hal.x(Number.EPSILON);', expect: { rule: 'forbidden-member' } },
  { name: 'Number.MAX_SAFE_INTEGER', body: 'hal.x(Number.MAX_SAFE_INTEGER);', expect: { rule: 'forbidden-member' } },
  ...['finally', 'at', 'flat', 'flatMap', 'codePointAt', 'trimStart', 'trimEnd', 'lastIndexOf', 'copyWithin']
    .map((m): Case => ({ name: `.${m}()`, body: `hal.x(hal.v.${m}(0));`, expect: { rule: 'forbidden-method' } })),
  { name: 'Array.prototype.slice.call', body: 'hal.x(Array.prototype.slice.call(hal.args, 1));', expect: { rule: 'prototype-call' } },
  { name: 'String.prototype.x.apply', body: 'hal.x(String.prototype.toUpperCase.apply(hal.s));', expect: { rule: 'prototype-call' } },
  { name: 'label', body: 'outer: for (let i = 0; i < 3; i++) { for (;;) { if (hal.f(i)) break outer; hal.g(); } }', expect: { rule: 'label' } },
  { name: 'tagged template', body: 'const t = (s: TemplateStringsArray, n: number): string => s[0] + n; hal.x(t`a${hal.n}b`);', expect: { rule: 'tagged-template' } },
  { name: 'computed key in object literal', body: 'hal.x({ [hal.k]: 1 });', expect: { rule: 'computed-key' } },
  { name: 'computed method name in class', body: 'class C { [hal.k](): number { return 1; } } hal.x(new C());', expect: { rule: 'computed-key' } },
  // --- lint: gaps measured on a real Espruino 2v29 (reference/espruino_semantics.md) ----------
  {
    name: 'class method named delete (Espruino: SyntaxError)',
    module: 'class Store { delete(k: string): string { return k; } }\n' + fn('hal.x(new Store().delete(hal.k));'),
    expect: { rule: 'class-member-name' },
  },
  {
    name: 'class getter named default',
    module: 'class P { get default(): number { return 1; } }\n' + fn('hal.x(new P().default);'),
    expect: { rule: 'class-member-name' },
  },
  { name: 'throw RangeError (undefined on Espruino)', body: 'if (hal.n > 3) throw new RangeError("n"); hal.x(1);', expect: { rule: 'forbidden-global' } },
  { name: 'instanceof TypeError of a caught error', body: 'try { hal.f(); } catch (e) { hal.x(e instanceof TypeError); }', expect: { rule: 'engine-error-instanceof' } },
  { name: 'split with a limit (Espruino ignores it)', body: 'hal.x(hal.s.split(",", 2));', expect: { rule: 'split-limit' } },
  { name: 'toFixed (Espruino truncates all but the last digit)', body: 'hal.x((hal.n / 3).toFixed(1));', expect: { rule: 'number-format' } },
  { name: 'regex lookahead', body: 'hal.x(/a(?=b)/.test(hal.s));', expect: { rule: 'regex' } },
  { name: 'regex negative lookahead', body: 'hal.x(/a(?!b)/.test(hal.s));', expect: { rule: 'regex' } },
  { name: 'regex lookbehind (esbuild turns it into new RegExp)', body: 'hal.x(/(?<=a)b/.test(hal.s));', expect: { rule: 'regex' } },
  { name: 'regex {n} quantifier', body: 'hal.x(/a{2}/.test(hal.s));', expect: { rule: 'regex' } },
  { name: 'regex {n,m} quantifier', body: 'hal.x(/\\d{1,3}/.test(hal.s));', expect: { rule: 'regex' } },
  { name: 'regex named group', body: 'hal.x(/(?<y>\\d+)/.exec(hal.s));', expect: { rule: 'regex' } },
  { name: 'regex flag y', body: 'hal.x(/a/y.test(hal.s));', expect: { rule: 'regex' } },
  { name: 'regex flag u', body: 'hal.x(/a/u.test(hal.s));', expect: { rule: 'regex' } },
  { name: 'regex flag s', body: 'hal.x(/a.b/s.test(hal.s));', expect: { rule: 'regex' } },
  { name: 'new RegExp with lookahead', body: 'hal.x(new RegExp("a(?=b)").test(hal.s));', expect: { rule: 'regex' } },
  { name: 'new RegExp from a variable', body: 'hal.x(new RegExp(hal.pattern).test(hal.s));', expect: { rule: 'regex' } },
];

function outcome(r: BuildTargetResult): string {
  if (r.errors.length) return `build errors: ${r.errors.map((e) => e.text).join(' | ')}`;
  if (r.findings.length) return `lint: ${r.findings.map((f) => `${f.rule} (${f.message})`).join(' | ')}`;
  return `passed (no error, no finding):\n${r.code}`;
}

describe('forbidden constructs fail the target build', () => {
  it.each(CASES)('$name', async (c) => {
    const r = await buildTarget({ source: c.module ?? fn(c.body!) });
    expect(r.ok, outcome(r)).toBe(false);
    if ('error' in c.expect) {
      expect(r.errors.length, outcome(r)).toBeGreaterThan(0);
      expect(r.errors.map((e) => e.text).join('\n')).toMatch(c.expect.error);
    } else {
      expect(r.errors, outcome(r)).toEqual([]);
      expect(r.findings.map((f) => f.rule), outcome(r)).toContain(c.expect.rule);
    }
  });
});
