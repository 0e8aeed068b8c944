/**
 * The Espruino-semantics prelude (hal/target/espruino-semantics.ts) really changes each
 * behaviour it claims: every case runs in a plain QuickJS context (where it gives what
 * Node/XS give) and in one with the prelude (where it must give what Espruino 2v29 gave,
 * reference/espruino_semantics.md). A case whose two values agree proves nothing, so both
 * are asserted: a prelude that stops reproducing a gap fails here.
 */
import { describe, expect, it } from 'vitest';
import type { QuickJSContext, QuickJSWASMModule } from 'quickjs-emscripten';
import { lintBundle } from '../../tools/build/lint';
import { loadQuickJs } from '../../hal/target/quickjs';
import { ESPRUINO_SEMANTICS } from '../../hal/target/espruino-semantics';

function evalIn(vm: QuickJSContext, code: string): unknown {
  const r = vm.evalCode(code, 'case.js');
  if (r.error) {
    const e = vm.dump(r.error) as { message?: string };
    r.error.dispose();
    return `THROWS ${typeof e === 'object' && e !== null ? e.message : String(e)}`;
  }
  const v = vm.dump(r.value);
  r.value.dispose();
  return v;
}

function context(module: QuickJSWASMModule, prelude: boolean): QuickJSContext {
  const vm = module.newContext();
  if (prelude) {
    const r = vm.evalCode(ESPRUINO_SEMANTICS, '<espruino semantics>');
    if (r.error) throw new Error(`prelude failed: ${JSON.stringify(vm.dump(r.error))}`);
    r.value.dispose();
  }
  return vm;
}

/** [what, expression, plain QuickJS (= Node, XS), with the prelude (= Espruino 2v29)]. */
const CASES: [string, string, unknown, unknown][] = [
  ['u8.slice returns a typed array', 'new Uint8Array([1,2,3]).slice(1) instanceof Uint8Array', true, false],
  ['u8.slice contents (a plain Array)', 'var s = new Uint8Array([1,2,3]).slice(1); (Array.isArray(s) ? "array(" : "typed(") + s.join(",") + ")"', 'typed(2,3)', 'array(2,3)'],
  ['.subarray on a slice', 'typeof new Uint8Array(4).slice(0, 2).subarray', 'function', 'undefined'],
  ['u8.subarray end past the view runs on into the buffer', 'var b = new Uint8Array(8); b.subarray(0, 4).subarray(2, 100).length', 2, 6],
  ['subarray past byte offset 65535 throws', 'try { new Uint8Array(70000).subarray(66000, 66010).length } catch (e) { "throws" }', 10, 'throws'],
  ['DataView read past the end', 'try { new DataView(new ArrayBuffer(4)).getUint32(2) } catch (e) { "throws" }', 'throws', undefined],
  ['DataView write past the end', 'var d = new DataView(new ArrayBuffer(4)); try { d.setUint16(3, 1); "no throw" } catch (e) { "throws" }', 'throws', 'no throw'],
  ['DataView over a view reads the rest of the buffer', 'var u = new Uint8Array([1,2,3,4]); new DataView(u.buffer, 0, 2).getUint8(3)', 'THROWS out of bound', 4],
  ['split ignores the limit', '"a,b,c".split(",", 2).length', 2, 3],
  ['typeof RangeError', 'typeof RangeError', 'function', 'undefined'],
  ['typeof EvalError, URIError', 'typeof EvalError + " " + typeof URIError', 'function function', 'undefined undefined'],
  ['engine TypeError is instanceof TypeError', 'try { null.x; } catch (e) { e instanceof TypeError }', true, false],
  ['engine ReferenceError is instanceof ReferenceError', 'try { noSuchName; } catch (e) { e instanceof ReferenceError }', true, false],
  ['own TypeError is instanceof TypeError and Error', 'var e = new TypeError("m"); (e instanceof TypeError) + " " + (e instanceof Error) + " " + e.message', 'true true m', 'true true m'],
  ['new Error().name', 'new Error().name', 'Error', undefined],
  ['new TypeError().name', 'new TypeError("x").name', 'TypeError', undefined],
  ['Object.keys order with integer-like keys', 'Object.keys({ b: 1, 2: 1, a: 1, 1: 1 }).join(",")', '1,2,b,a', 'b,a,2,1'],
  ['Object.values follows the same order', 'Object.values({ b: "B", 2: "2", a: "A", 1: "1" }).join(",")', '1,2,B,A', 'B,A,2,1'],
  ['Object.keys of an array keeps its order', 'Object.keys([5, 6, 7]).join(",")', '0,1,2', '0,1,2'],
  // Keys 1,0,1,0 sorted by key: consistent with the measured "dbca".
  ['sort stable', 'var a = [{k:1,v:"a"},{k:0,v:"b"},{k:1,v:"c"},{k:0,v:"d"}]; a.sort(function (x, y) { return x.k - y.k; }).map(function (o) { return o.v; }).join("")', 'bdac', 'dbca'],
  ['sort of two equal elements', 'var a = [{k:0,v:"a"},{k:0,v:"b"}]; a.sort(function (x, y) { return x.k - y.k; }); a[0].v + a[1].v', 'ab', 'ba'],
  ['sort still sorts (20 numbers)', 'var a = []; for (var i = 0; i < 20; i++) a.push((i * 7) % 20); a.sort(function (x, y) { return x - y; }).join(",")',
    '0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19', '0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19'],
  ['default sort compares strings, undefined last', '[10, 9, undefined, 1].sort().join(",")', '1,10,9,', '1,10,9,'],
  ['Number("") Number(" 12 ") Number("1e3")', 'Number("") + " " + Number(" 12 ") + " " + Number("1e3")', '0 12 1000', '0 NaN 1000'],
  ['Number("010") is octal', 'Number("010")', 10, 8],
  ['Number(" ") is NaN', 'String(Number(" "))', '0', 'NaN'],
  ['String(0.1 + 0.2)', 'String(0.1 + 0.2)', '0.30000000000000004', '0.3'],
  ['String(1 / 3)', 'String(1 / 3)', '0.3333333333333333', '0.33333333333'],
  ['String(1e21)', 'String(1e21)', '1e+21', '10e+20'],
  ['(1/3).toString()', '(1 / 3).toString()', '0.3333333333333333', '0.33333333333'],
  ['integers print the same', 'String(42) + " " + (255).toString(16) + " " + String(-7)', '42 ff -7', '42 ff -7'],
  ['(2.5).toFixed(0), (1.005).toFixed(2)', '(2.5).toFixed(0) + " " + (1.005).toFixed(2)', '3 1.00', '2 1.00'],
  ['(1.96).toFixed(1): only the last digit rounds', '(1.96).toFixed(1)', '2.0', '1.9'],
  ['Math.round(-0.5), Math.round(2.5)', 'Math.round(-0.5) + " " + Math.round(2.5)', '0 3', '-1 3'],
  ['"ABC\\u00c9".toLowerCase()', 'var s = "ABC\\u00c9".toLowerCase(); var o = []; for (var i = 0; i < s.length; i++) o.push(s.charCodeAt(i).toString(16)); o.join(" ")',
    '61 62 63 e9', '61 62 63 c3 89'],
  ['toUpperCase maps ASCII only', '"ab\\u00e9".toUpperCase().length', 3, 4],
  ['Object.create(null) has no toString', 'typeof Object.create(null).toString', 'undefined', 'function'],
  ['Math.trunc, Number.isInteger, Array.from are missing', 'typeof Math.trunc + typeof Number.isInteger + typeof Array.from', 'functionfunctionfunction', 'undefinedundefinedundefined'],
  ['Map, Set, Symbol are missing', 'typeof Map + typeof Set + typeof Symbol', 'functionfunctionfunction', 'undefinedundefinedundefined'],
  ['ArrayBuffer slice and isView are missing', 'typeof new ArrayBuffer(1).slice + typeof ArrayBuffer.isView', 'functionfunction', 'undefinedundefined'],
];

describe('Espruino-semantics prelude', () => {
  it('is itself in the target subset (the bundle lint finds nothing)', () => {
    expect(lintBundle(ESPRUINO_SEMANTICS)).toEqual([]);
  });

  it.each(CASES)('%s', async (_what, code, plain, espruino) => {
    const module = await loadQuickJs();
    const plainVm = context(module, false);
    const espVm = context(module, true);
    try {
      const p = evalIn(plainVm, code);
      const e = evalIn(espVm, code);
      if (typeof plain === 'string' && plain.startsWith('THROWS')) expect(String(p)).toMatch(/^THROWS/);
      else expect(p).toEqual(plain);
      expect(e).toEqual(espruino);
    } finally {
      plainVm.dispose();
      espVm.dispose();
    }
  });
});
