/**
 * The one property every parser's fuzz test states, with fast-check, seeded.
 *
 * For a codec (a parse that returns lib/result's Result, an emit, its typed error codes):
 *   1. parse never throws, on arbitrary bytes and on mutations of real inputs;
 *   2. a failure is one of the codec's typed errors, with a non-empty detail string
 *      (and whatever `checkFail` adds, e.g. an image refusal's reason); a success holds
 *      no NaN or infinity (what a read past the end turns into) and parse left its input
 *      unchanged;
 *   3. a success round-trips: parse(emit(repr)) succeeds and gives the same Repr (as
 *      `same` sees it), emit is a fixed point after one pass (emit(parse(emit(repr))) is
 *      emit(repr) byte for byte), and for a canonical format (`exact`) emit(parse(x)) is x.
 * Generated Reprs (`reprs`) are checked the other way: emit, parse, compare.
 *
 * Seeds and run counts
 *   Every property has a fixed seed (given by the test; shown in the test title and in
 *   the first line of a failure), so a failure replays by running the test again.
 *   Runs per property: FUZZ_RUNS_CI (10,000) under `npm test`; a million under
 *   `npm run fuzz -- --long` (test/fuzz/run.ts sets DIALTONE_FUZZ=long); any count with
 *   DIALTONE_FUZZ_RUNS=N. `fuzzRuns(share)` scales for properties whose one run is a whole
 *   machine run (never below 1).
 *
 * API (import from '../property' inside test/fuzz/<area>/):
 *   interface Codec<R> {
 *     name: string;                          test title prefix
 *     parse(bytes): Result<R>;               must never throw (adapt null/-1 decoders)
 *     errors: readonly string[];             the codec's typed errors (lib/result ErrorCode)
 *     emit?(repr: R): Uint8Array;            use emitter(bufferLen, emit) for parse/emit/bufferLen
 *     exact?: boolean;                       canonical format: emit(parse(x)) === x
 *     same?(repr: R): unknown;               what a round trip compares (default: the Repr)
 *     checkFail?(f: Fail): void;             extra assertions on a failure (throw to fail)
 *     checkOk?(repr: R, input): void;        extra assertions on a success
 *     seeds?: Uint8Array[];                  real inputs (fixtures) to mutate
 *     repair?(bytes: Uint8Array): void;      fix checksums/CRCs of a mutation in place, so it
 *                                            reaches the checks behind them (half the runs)
 *     maxLength?: number;                    arbitrary-bytes length cap (default 1600)
 *     inputs?: fc.Arbitrary<Uint8Array>;     more inputs (e.g. a valid header + random body)
 *     reprs?: fc.Arbitrary<R>;               generated Reprs for emit -> parse
 *     truncated?: string;                    for formats no prefix of which is valid: the
 *                                            error every strict prefix of emit(repr) gets
 *   }
 *   fuzzCodec(codec, seed)      registers a describe block: arbitrary bytes (seed),
 *                               mutated seeds (seed + 1; the prefixes of every seed first),
 *                               extra inputs (seed + 2), generated Reprs (seed + 3; and
 *                               `truncated` prefixes); each `it` runs fuzzRuns() cases.
 *   checkInput(codec, bytes)    the assertions above on one input (returns the Result).
 *   emitter(bufferLen, emit)    (repr) => bytes: a 0xa5-filled buffer of bufferLen(repr),
 *                               checking that emit writes exactly bufferLen(repr) bytes.
 *   mutated(seeds, maxLength?)  fc.Arbitrary<Uint8Array>: a seed with 1-8 edits (overwrite,
 *                               bit flip, interesting byte or u16, insert, delete, cut,
 *                               extend, chunk copy).
 *   assertSeeded(name, property, seed, runs?)   fc.assert with { seed, numRuns }, the name
 *                               and seed prefixed to a failure; in chunks of 50,000 for long
 *                               runs, when it returns a promise: `await` or return it.
 *   fuzzRuns(share?)            the run count above.
 *   same helpers: hexOf(bytes).
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import type { Fail, Result } from '../../lib/result';

/** Runs per property in the default test run (issue 9: at least 10,000 in CI). */
export const FUZZ_RUNS_CI = 10_000;
/** Runs per property under `npm run fuzz -- --long`. */
export const FUZZ_RUNS_LONG = 1_000_000;

/** Runs for one property; `share` scales it (for properties whose run is a whole machine run). */
export function fuzzRuns(share = 1): number {
  const env = process.env.DIALTONE_FUZZ_RUNS;
  const base = env !== undefined && /^\d+$/.test(env) ? Number(env)
    : process.env.DIALTONE_FUZZ === 'long' ? FUZZ_RUNS_LONG : FUZZ_RUNS_CI;
  return Math.max(1, Math.round(base * share));
}

export interface Codec<R> {
  name: string;
  parse(bytes: Uint8Array): Result<R>;
  errors: readonly string[];
  emit?(repr: R): Uint8Array;
  exact?: boolean;
  same?(repr: R): unknown;
  checkFail?(f: Fail): void;
  checkOk?(repr: R, input: Uint8Array): void;
  seeds?: Uint8Array[];
  repair?(bytes: Uint8Array): void;
  maxLength?: number;
  inputs?: fc.Arbitrary<Uint8Array>;
  reprs?: fc.Arbitrary<R>;
  truncated?: string;
}

export function hexOf(b: Uint8Array, max = 96): string {
  let s = '';
  for (let i = 0; i < b.length && i < max; i++) s += b[i].toString(16).padStart(2, '0');
  return b.length > max ? `${s}... (${b.length} bytes)` : s;
}

/** `emit` through a buffer of exactly bufferLen(repr) bytes, pre-filled with 0xa5. */
export function emitter<R>(bufferLen: (r: R) => number, emit: (r: R, buf: Uint8Array, offset: number) => number): (r: R) => Uint8Array {
  return (r: R): Uint8Array => {
    const n = bufferLen(r);
    const buf = new Uint8Array(n).fill(0xa5);
    const w = emit(r, buf, 0);
    if (w !== n) throw new Error(`emit wrote ${w} bytes, bufferLen says ${n}`);
    return buf;
  };
}

function bytesEq(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Deep equality of Reprs: bytes by content, objects by own keys (any prototype), numbers by Object.is. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && bytesEq(a, b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? `<${hexOf(x, 48)}>` : x)) ?? String(v);
}

function parseNoThrow<R>(c: Codec<R>, bytes: Uint8Array, what: string): Result<R> {
  let r: Result<R>;
  try {
    r = c.parse(bytes);
  } catch (e) {
    throw new Error(`${c.name}: parse threw on ${what} ${hexOf(bytes)}: ${(e as Error).stack ?? e}`);
  }
  if (r === null || typeof r !== 'object' || typeof r.ok !== 'boolean') {
    throw new Error(`${c.name}: parse returned ${show(r)}, not a Result, on ${what} ${hexOf(bytes)}`);
  }
  return r;
}

function checkFailure<R>(c: Codec<R>, f: Fail, bytes: Uint8Array): void {
  if (!c.errors.includes(f.error)) {
    throw new Error(`${c.name}: error '${f.error}' (${f.detail}) is not one of ${c.errors.join(', ')}; input ${hexOf(bytes)}`);
  }
  if (typeof f.detail !== 'string' || f.detail.length === 0) {
    throw new Error(`${c.name}: '${f.error}' without a detail string; input ${hexOf(bytes)}`);
  }
  if (c.checkFail) c.checkFail(f);
}

function emitNoThrow<R>(c: Codec<R>, repr: R, what: string): Uint8Array {
  try {
    return c.emit!(repr);
  } catch (e) {
    throw new Error(`${c.name}: emit threw on ${what} ${show(repr)}: ${(e as Error).message}`);
  }
}

/** emit(repr), parse it back, compare; then emit once more and compare bytes. Returns emit(repr). */
function roundTrip<R>(c: Codec<R>, repr: R, what: string): Uint8Array {
  const same = c.same ?? ((r: R) => r);
  const b1 = emitNoThrow(c, repr, what);
  const p1 = parseNoThrow(c, b1, `emit of ${what}`);
  if (!p1.ok) throw new Error(`${c.name}: emit of ${what} does not parse (${p1.error}: ${p1.detail}); emitted ${hexOf(b1)}; repr ${show(repr)}`);
  const want = same(repr);
  const got = same(p1.value);
  if (!sameValue(got, want)) {
    throw new Error(`${c.name}: round trip of ${what} changed the repr\n  before ${show(want)}\n  after  ${show(got)}\n  emitted ${hexOf(b1)}`);
  }
  const b2 = emitNoThrow(c, p1.value, `re-parsed ${what}`);
  if (!bytesEq(b1, b2)) throw new Error(`${c.name}: emit is not a fixed point for ${what}\n  first  ${hexOf(b1)}\n  second ${hexOf(b2)}`);
  return b1;
}

/** A path to a NaN, an infinity or an array hole in a Repr (a read past the input's end
 *  gives undefined, which arithmetic turns into NaN), or null when there is none. */
export function badNumber(v: unknown, at = 'repr'): string | null {
  if (typeof v === 'number') return Number.isFinite(v) ? null : at;
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      if (v[i] === undefined) return `${at}[${i}] (undefined)`;
      const b = badNumber(v[i], `${at}[${i}]`);
      if (b !== null) return b;
    }
    return null;
  }
  for (const k of Object.keys(v)) {
    const b = badNumber((v as Record<string, unknown>)[k], `${at}.${k}`);
    if (b !== null) return b;
  }
  return null;
}

/** Every assertion of the header on one input; returns what parse returned. */
export function checkInput<R>(c: Codec<R>, bytes: Uint8Array): Result<R> {
  const copy = bytes.slice();
  const r = parseNoThrow(c, bytes, 'input');
  if (!bytesEq(copy, bytes)) throw new Error(`${c.name}: parse changed its input ${hexOf(copy)}`);
  if (!r.ok) {
    checkFailure(c, r, bytes);
    return r;
  }
  const nan = badNumber(r.value);
  if (nan !== null) throw new Error(`${c.name}: parse returned a non-finite number at ${nan}; input ${hexOf(bytes)}`);
  if (c.checkOk) c.checkOk(r.value, bytes);
  if (c.emit) {
    const out = roundTrip(c, r.value, `the parse of ${hexOf(bytes, 32)}`);
    if (c.exact && !bytesEq(out, bytes)) {
      throw new Error(`${c.name}: canonical format, but emit(parse(x)) != x\n  x    ${hexOf(bytes)}\n  emit ${hexOf(out)}`);
    }
  }
  return r;
}

/** Runs per fc.assert call: a long run is split so that vitest's worker is not starved. */
const CHUNK = 50_000;

function assertChunk<T extends unknown[]>(name: string, property: fc.IProperty<T>, seed: number, runs: number, label: string): void {
  try {
    fc.assert(property, { seed, numRuns: runs, includeErrorInReport: true });
  } catch (e) {
    const err = e as Error;
    err.message = `[fuzz ${name}: seed 0x${seed.toString(16)}, ${runs} runs${label}; the test replays it]\n${err.message}`;
    throw err;
  }
}

/**
 * fc.assert with a fixed seed; a failure starts with the property's name and seed. Up to
 * 50,000 runs it runs at once (and returns undefined); a longer run is chunks of 50,000, the
 * first with `seed` (so it starts with the CI run's cases), the next with seeds derived from
 * it, with a turn of the event loop between chunks: it returns a promise, which the test
 * must return or await.
 */
export function assertSeeded<T extends unknown[]>(name: string, property: fc.IProperty<T>, seed: number, runs = fuzzRuns()): Promise<void> | undefined {
  if (runs <= CHUNK) {
    assertChunk(name, property, seed, runs, '');
    return undefined;
  }
  return (async () => {
    for (let done = 0, k = 0; done < runs; done += CHUNK, k++) {
      const n = Math.min(CHUNK, runs - done);
      const s = k === 0 ? seed : (Math.imul(seed ^ k, 0x9e3779b1) + k) >>> 0;
      assertChunk(name, property, s, n, k === 0 ? ` (chunk 1 of ${Math.ceil(runs / CHUNK)})` : ` (chunk ${k + 1}, derived seed)`);
      await new Promise((r) => setImmediate(r));
    }
  })();
}

// ---------------------------------------------------------------------------------------
// Mutations of real inputs
// ---------------------------------------------------------------------------------------

/** Bytes that sit on boundaries: lengths, signs, erased flash, ASCII edges. */
const INTERESTING_U8 = [0x00, 0x01, 0x02, 0x03, 0x04, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x20, 0x2e, 0x3f, 0x40, 0xc0];
const INTERESTING_U16 = [0x0000, 0x0001, 0x00ff, 0x0100, 0x7fff, 0x8000, 0xfffe, 0xffff, 0x05dc, 0x0600];

type Edit =
  | { k: 'set'; at: number; v: number }
  | { k: 'flip'; at: number; bit: number }
  | { k: 'u8'; at: number; i: number }
  | { k: 'u16'; at: number; i: number; le: boolean }
  | { k: 'ins'; at: number; b: Uint8Array }
  | { k: 'del'; at: number; n: number }
  | { k: 'cut'; at: number }
  | { k: 'ext'; b: Uint8Array }
  | { k: 'copy'; from: number; at: number; n: number };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('set' as const), at: fc.nat(), v: fc.nat(255) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('u8' as const), at: fc.nat(), i: fc.nat(INTERESTING_U8.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('u16' as const), at: fc.nat(), i: fc.nat(INTERESTING_U16.length - 1), le: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('ins' as const), at: fc.nat(), b: fc.uint8Array({ minLength: 1, maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('del' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cut' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('ext' as const), b: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('copy' as const), from: fc.nat(), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }) },
);

function applyEdit(b: Uint8Array, e: Edit, maxLength: number): Uint8Array {
  const n = b.length;
  switch (e.k) {
    case 'set': if (n > 0) b[e.at % n] = e.v; return b;
    case 'flip': if (n > 0) b[e.at % n] ^= 1 << e.bit; return b;
    case 'u8': if (n > 0) b[e.at % n] = INTERESTING_U8[e.i]; return b;
    case 'u16': {
      if (n < 2) return b;
      const at = e.at % (n - 1);
      const v = INTERESTING_U16[e.i];
      b[at] = e.le ? v & 255 : v >> 8;
      b[at + 1] = e.le ? v >> 8 : v & 255;
      return b;
    }
    case 'ins': {
      if (n + e.b.length > maxLength) return b;
      const at = e.at % (n + 1);
      const out = new Uint8Array(n + e.b.length);
      out.set(b.subarray(0, at));
      out.set(e.b, at);
      out.set(b.subarray(at), at + e.b.length);
      return out;
    }
    case 'del': {
      if (n === 0) return b;
      const at = e.at % n;
      const k = Math.min(e.n, n - at);
      const out = new Uint8Array(n - k);
      out.set(b.subarray(0, at));
      out.set(b.subarray(at + k), at);
      return out;
    }
    case 'cut': return b.slice(0, e.at % (n + 1));
    case 'ext': {
      if (n + e.b.length > maxLength) return b;
      const out = new Uint8Array(n + e.b.length);
      out.set(b);
      out.set(e.b, n);
      return out;
    }
    case 'copy': {
      if (n === 0) return b;
      const from = e.from % n;
      const at = e.at % n;
      const k = Math.min(e.n, n - from, n - at);
      b.copyWithin(at, from, from + k);
      return b;
    }
  }
}

/** A seed with 1-8 edits; `repair` (when given) runs on half of them after the edits. */
export function mutated(seeds: Uint8Array[], maxLength = 1 << 20, repair?: (b: Uint8Array) => void): fc.Arbitrary<Uint8Array> {
  if (seeds.length === 0) throw new Error('mutated: no seeds');
  return fc.record({
    i: fc.nat(seeds.length - 1),
    edits: fc.array(editArb, { minLength: 1, maxLength: 8 }),
    fix: fc.boolean(),
  }).map(({ i, edits, fix }) => {
    let b: Uint8Array = seeds[i].slice();
    for (const e of edits) b = applyEdit(b, e, maxLength);
    if (repair && fix) repair(b);
    return b;
  });
}

// ---------------------------------------------------------------------------------------
// The describe block
// ---------------------------------------------------------------------------------------

/**
 * The properties of one codec, each with its own fixed seed (seed, seed + 1, seed + 2,
 * seed + 3). Seed inputs are checked once as they are first (they must parse, or the
 * mutations start from nothing).
 */
export function fuzzCodec<R>(c: Codec<R>, seed: number): void {
  const runs = fuzzRuns();
  describe(`${c.name} fuzz`, () => {
    it(`parse on arbitrary bytes (seed 0x${seed.toString(16)}, ${runs} runs)`, () => {
      return assertSeeded(`${c.name} arbitrary`, fc.property(fc.uint8Array({ maxLength: c.maxLength ?? 1600 }), (b) => {
        checkInput(c, b);
      }), seed, runs);
    });
    if (c.seeds && c.seeds.length > 0) {
      const seeds = c.seeds;
      it(`parse on mutations of ${seeds.length} real inputs (seed 0x${(seed + 1).toString(16)}, ${runs} runs)`, async () => {
        for (const s of seeds) {
          const r = checkInput(c, s);
          if (!r.ok) throw new Error(`${c.name}: seed input does not parse (${r.error}: ${r.detail}): ${hexOf(s)}`);
          // Every prefix, once (every 16th past 512 bytes): each length check meets its boundary.
          for (let n = 0; n < s.length; n += n < 512 ? 1 : 16) checkInput(c, s.subarray(0, n));
        }
        let parsed = 0;
        await assertSeeded(`${c.name} mutated`, fc.property(mutated(seeds, Math.max(c.maxLength ?? 0, ...seeds.map((s) => s.length + 64)), c.repair), (b) => {
          if (checkInput(c, b).ok) parsed++;
        }), seed + 1, runs);
        // A mutation run where nothing parses only ever tested the first check.
        if (runs >= 100 && parsed === 0) throw new Error(`${c.name}: no mutated input parsed in ${runs} runs`);
      });
    }
    if (c.inputs) {
      const inputs = c.inputs;
      it(`parse on shaped inputs (seed 0x${(seed + 2).toString(16)}, ${runs} runs)`, () => {
        return assertSeeded(`${c.name} shaped`, fc.property(inputs, (b) => {
          checkInput(c, b);
        }), seed + 2, runs);
      });
    }
    if (c.reprs && c.emit) {
      const reprs = c.reprs;
      it(`emit -> parse on generated reprs (seed 0x${(seed + 3).toString(16)}, ${runs} runs)`, () => {
        const want = c.truncated;
        return assertSeeded(`${c.name} reprs`, fc.property(reprs, (r) => {
          const b = roundTrip(c, r, 'a generated repr');
          if (want === undefined) return;
          // Every strict prefix (at most 32 of them, spread over the length) fails as truncated.
          const step = Math.max(1, Math.ceil(b.length / 32));
          for (let n = b.length - 1; n >= 0; n -= step) {
            const p = parseNoThrow(c, b.subarray(0, n), 'a prefix');
            if (p.ok || p.error !== want) {
              throw new Error(`${c.name}: the first ${n} of ${b.length} bytes give ${p.ok ? 'a success' : `'${p.error}' (${p.detail})`}, not '${want}'; emitted ${hexOf(b)}`);
            }
          }
        }), seed + 3, runs);
      });
    }
  });
}
