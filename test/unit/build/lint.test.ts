/**
 * The lint on its own, over hand-written JavaScript: the rules that guard against syntax
 * esbuild normally lowers or rejects (the safety net when `npm run lint` reads a bundle that
 * did not come from buildTarget), the identifier rules the minifier could trip, and the
 * scope model (a local that shadows a global name is not a global).
 */
import { describe, expect, it } from 'vitest';
import { lintBundle, regexProblems, type RuleId } from '../../../tools/build/lint';

const rules = (code: string): RuleId[] => lintBundle(code).map((f) => f.rule);

describe('lint rules over raw JavaScript', () => {
  const cases: [string, string, RuleId][] = [
    ['var of', 'var of = 1; f(of);', 'reserved-identifier'],
    ['parameter named of', 'function g(of) { return of; } g(1);', 'reserved-identifier'],
    ['var static', 'var static = 1; f(static);', 'reserved-identifier'],
    ['var let', 'var let = 1; f(let);', 'reserved-identifier'],
    ['exponent', 'f(a ** 2);', 'exponent'],
    ['exponent assignment', 'var a = 2; a **= 2;', 'exponent'],
    ['optional chain', 'f(a?.b);', 'optional-chain'],
    ['logical assignment ||=', 'var a; a ||= 1;', 'logical-assignment'],
    ['logical assignment ??=', 'var a; a ??= 1;', 'logical-assignment'],
    ['async function', 'async function g() {} g();', 'async-generator'],
    ['await', 'async function g() { await 1; } g();', 'async-generator'],
    ['generator + yield', 'function* g() { yield 1; } g();', 'async-generator'],
    ['spread argument', 'f(...a);', 'spread-rest'],
    ['rest parameter', 'function g(...a) { return a; } g();', 'spread-rest'],
    ['array destructuring', 'var [a] = f();', 'destructuring'],
    ['object destructuring', 'var { a } = f();', 'destructuring'],
    ['default parameter', 'function g(a = 1) { return a; } g();', 'default-param'],
    ['new.target', 'function F() { f(new.target); } new F();', 'new-target'],
    ['class field', 'var C = class { x = 1; }; f(C);', 'class-field'],
    ['static block', 'var C = class { static { f(1); } }; f(C);', 'static-block'],
    ['private member', 'var C = class { #x = 1; g() { return this.#x; } }; f(C);', 'private-member'],
    ['bigint literal', 'f(1n);', 'bigint'],
    ['computed key in class', 'var C = class { [k]() {} }; f(C);', 'computed-key'],
  ];
  it.each(cases)('%s', (_name, code, rule) => {
    expect(rules(code)).toContain(rule);
  });

  it('reports an unparsable bundle as parse-error', () => {
    expect(rules('var = ;')).toEqual(['parse-error']);
  });

  it('gives line, column and snippet of a finding', () => {
    const [f] = lintBundle('var a = 1;\n  var b = new Map();\n');
    expect(f).toMatchObject({ rule: 'forbidden-global', line: 2, column: 15, snippet: 'Map' });
  });
});

describe('lint scope model', () => {
  it('does not report a local that shadows a forbidden global', () => {
    // `Map` and `process` here are parameters/locals, not the host globals.
    expect(rules('function g(Map, process) { return new Map(process); } g();')).toEqual([]);
    expect(rules('function g() { var Math = { trunc: 1 }; return Math.trunc; } g();')).toEqual([]);
  });

  it('does not report references inside nested functions as use-before-define', () => {
    // The arrow runs after `later` exists; Espruino is fine with that.
    expect(rules('var run = function () { return later(); }; function later() { return 1; } run();')).toEqual([]);
  });

  it('does not report a loop let captured by nothing, or a body let', () => {
    expect(rules('for (let i = 0; i < 3; i++) f(i);')).toEqual([]);
    expect(rules('for (var i = 0; i < 3; i++) g(function () { return i; });')).toEqual([]);
  });

  it('reports a named class expression even when the name is unused', () => {
    expect(rules('var A = class B {}; f(A);')).toEqual(['named-class-expression']);
  });

  it('accepts `extends` of a plain identifier', () => {
    expect(rules('var A = class {}; var B = class extends A {}; f(B);')).toEqual([]);
  });

  it('accepts [].slice.call (an instance method, not X.prototype.m)', () => {
    expect(rules('f([].slice.call(a, 1));')).toEqual([]);
  });

  it('accepts Object.prototype.hasOwnProperty.call (present on Espruino), not other prototype calls', () => {
    expect(rules('f(Object.prototype.hasOwnProperty.call(o, "k"));')).toEqual([]);
    expect(rules('f(Object.prototype.toString.call(o));')).toEqual(['prototype-call']);
  });
});

describe('Espruino gaps measured on 2v29 (reference/espruino_semantics.md)', () => {
  const cases: [string, string, RuleId][] = [
    ['class method delete', 'var C = class { delete(k) { return k; } }; f(C);', 'class-member-name'],
    ['class method new', 'var C = class { new() { return 1; } }; f(C);', 'class-member-name'],
    ['class method in', 'var C = class { in(x) { return x; } }; f(C);', 'class-member-name'],
    ['class method undefined (reserved on Espruino)', 'var C = class { undefined() { return 1; } }; f(C);', 'class-member-name'],
    ['static method default', 'var C = class { static default() { return 1; } }; f(C);', 'class-member-name'],
    ['getter named new', 'var C = class { get new() { return 1; } }; f(C);', 'class-member-name'],
    ['setter named in', 'var C = class { set in(v) { this.v = v; } }; f(C);', 'class-member-name'],
    ['method named by a string literal', 'var C = class { "x-y"() { return 1; } }; f(C);', 'class-member-name'],
    ['method named by a number', 'var C = class { 1() { return 1; } }; f(C);', 'class-member-name'],
    ['instanceof TypeError', 'try { g(); } catch (e) { f(e instanceof TypeError); }', 'engine-error-instanceof'],
    ['instanceof SyntaxError', 'f(e instanceof SyntaxError);', 'engine-error-instanceof'],
    ['instanceof ReferenceError', 'f(e instanceof ReferenceError);', 'engine-error-instanceof'],
    ['instanceof RangeError', 'f(e instanceof RangeError);', 'engine-error-instanceof'],
    ['split with a limit', 'f("a,b,c".split(",", 2));', 'split-limit'],
    ['toFixed', 'f((2.5).toFixed(0));', 'number-format'],
    ['toPrecision', 'f(x.toPrecision(3));', 'number-format'],
    ['RangeError', 'throw new RangeError("x");', 'forbidden-global'],
    ['EvalError', 'throw new EvalError("x");', 'forbidden-global'],
    ['URIError', 'throw new URIError("x");', 'forbidden-global'],
    ['InternalError', 'throw new InternalError("x");', 'forbidden-global'],
    ['AggregateError', 'throw new AggregateError([], "x");', 'forbidden-global'],
  ];
  it.each(cases)('%s', (_name, code, rule) => {
    expect(rules(code)).toContain(rule);
  });

  it('accepts what Espruino parses: reserved words as object keys and after a dot, plain method names', () => {
    expect(rules('var o = { delete: 1, new: 2, in: function () { return 3; } }; f(o.delete, o.new, o.in());')).toEqual([]);
    expect(rules('f(m.delete("k"));')).toEqual([]);
    expect(rules('var C = class { remove(k) { return k; } get size() { return 1; } static make() { return new this(); } constructor() { f(1); } }; f(C);')).toEqual([]);
  });

  it('accepts instanceof Error, of a local class, and split without a limit', () => {
    expect(rules('f(e instanceof Error);')).toEqual([]);
    expect(rules('function g(TypeError) { return e instanceof TypeError; } f(g);')).toEqual([]);
    expect(rules('f("a,b".split(","));')).toEqual([]);
  });

  it('throwing TypeError is fine (it exists on every engine)', () => {
    expect(rules('throw new TypeError("x");')).toEqual([]);
  });
});

describe('regexProblems', () => {
  it('finds each feature and ignores escaped or bracketed look-alikes', () => {
    expect(regexProblems('a(?=b)', '')).toEqual(['lookahead']);
    expect(regexProblems('(?<!a)b', '')).toEqual(['lookbehind']);
    expect(regexProblems('(?<n>a)\\k<n>', '')).toEqual(['named group', 'named backreference \\k<>']);
    expect(regexProblems('a{3,}', 'gi')).toEqual(['counted quantifier {n}']);
    expect(regexProblems('a', 'gsuy')).toEqual(["flag 's'", "flag 'u'", "flag 'y'"]);
    // Literal braces and groups inside a class or escaped are fine on Espruino.
    expect(regexProblems('\\{2\\}[{(?=]\\(\\?=', '')).toEqual([]);
    expect(regexProblems('(?:ab)+|^[a-z0-9]*$', 'gim')).toEqual([]);
  });
});
