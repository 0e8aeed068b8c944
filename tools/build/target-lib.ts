/**
 * The standard library target code is typechecked against: hal/target-lib.d.ts, generated
 * from the installed TypeScript's lib.es5.d.ts minus what Espruino 2v29 or XS lack or run
 * differently (reference/espruino_semantics.md, reference/embedded_js.md 1.2). tsconfig.target.json
 * sets `noLib` and includes this file plus hal/target-env.d.ts (the ES2015+ members both
 * engines have), so a removed member is a type error in firmware/, flash/, lib/ and hal/*.ts.
 *
 * Why a derived lib and not declaration merging: merging can only add overloads, never take
 * a member away (an overload returning `never` or with `this: never` still lets the original
 * overload match), so `u8.slice(0, 6)` can only be refused by a lib without it.
 *
 * Every edit says how many places it must change; when a TypeScript upgrade moves the text,
 * generation fails instead of silently keeping a member. test/unit/build/target-lib.test.ts
 * checks that the committed file is what this generates.
 *
 *   tsx tools/build/target-lib.ts           rewrite hal/target-lib.d.ts
 *   tsx tools/build/target-lib.ts --check   exit 1 when it is out of date
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { REPO_ROOT } from './build';
import { runIfMain, UserError } from '../errors';

export const TARGET_LIB_FILE = path.join(REPO_ROOT, 'hal', 'target-lib.d.ts');

const TYPED_ARRAYS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array'];

/** One change to lib.es5.d.ts, with the reason and the number of places it must touch. */
export interface LibEdit {
  what: string;
  why: string;
  /** Returns the edited text and how many declarations it changed. */
  apply(text: string): { text: string; count: number };
  expect: number;
}

/** Lines of the JSDoc block that ends right above line `i` (none: returns `i`). */
function docStart(lines: string[], i: number): number {
  if (i === 0 || !/^\s*\*\/\s*$/.test(lines[i - 1])) return i;
  let j = i - 1;
  while (j > 0 && !/^\s*\/\*\*/.test(lines[j])) j--;
  return j;
}

/** Remove members named `member` (every overload, with its JSDoc) from the named interfaces. */
function removeMembers(interfaces: readonly string[], member: string): (text: string) => { text: string; count: number } {
  return (text) => {
    const lines = text.split('\n');
    const drop = new Set<number>();
    let count = 0;
    const memberRe = new RegExp(`^    (readonly )?${member}[?]?[<(:]`);
    for (let i = 0; i < lines.length; i++) {
      const m = /^interface (\w+)/.exec(lines[i]);
      if (!m || !interfaces.includes(m[1])) continue;
      let end = i + 1;
      while (end < lines.length && lines[end] !== '}') end++;
      let found = false;
      for (let k = i + 1; k < end; k++) {
        if (!memberRe.test(lines[k])) continue;
        for (let d = docStart(lines, k); d <= k; d++) drop.add(d);
        found = true;
      }
      if (found) count++;
      i = end;
    }
    return { text: lines.filter((_, i) => !drop.has(i)).join('\n'), count };
  };
}

/** Remove top-level `interface name` blocks and `declare var name` lines (with their JSDoc). */
function removeGlobals(names: readonly string[]): (text: string) => { text: string; count: number } {
  return (text) => {
    const lines = text.split('\n');
    const drop = new Set<number>();
    let count = 0;
    for (let i = 0; i < lines.length; i++) {
      const m = /^(?:interface (\w+)|declare var (\w+):)/.exec(lines[i]);
      const name = m ? m[1] ?? m[2] : undefined;
      if (name === undefined || !names.some((n) => name === n || name === `${n}Constructor`)) continue;
      let end = i;
      if (m![1] !== undefined) while (end < lines.length && lines[end] !== '}') end++;
      for (let d = docStart(lines, i); d <= end; d++) drop.add(d);
      // The blank line after the declaration.
      if (lines[end + 1] === '') drop.add(end + 1);
      count++;
      i = end;
    }
    return { text: lines.filter((_, i) => !drop.has(i)).join('\n'), count };
  };
}

function replaceAll(from: string, to: string): (text: string) => { text: string; count: number } {
  return (text) => {
    const parts = text.split(from);
    return { text: parts.join(to), count: parts.length - 1 };
  };
}

export const LIB_EDITS: readonly LibEdit[] = [
  {
    what: 'typed-array .slice',
    why: 'Espruino returns a plain Array (jswrap_arraybuffer.c), so .subarray/.buffer on the result fail: use .subarray for a view or copy explicitly',
    apply: removeMembers(TYPED_ARRAYS, 'slice'), expect: 9,
  },
  {
    what: 'ArrayBuffer.prototype.slice, ArrayBuffer.isView',
    why: 'missing on Espruino',
    apply: (t) => {
      const a = removeMembers(['ArrayBuffer'], 'slice')(t);
      const b = removeMembers(['ArrayBufferConstructor'], 'isView')(a.text);
      return { text: b.text, count: a.count + b.count };
    },
    expect: 2,
  },
  {
    what: 'split(separator, limit)',
    why: 'Espruino ignores the limit and returns every piece',
    apply: replaceAll('split(separator: string | RegExp, limit?: number): string[];', 'split(separator: string | RegExp): string[];'),
    expect: 1,
  },
  {
    what: 'RangeError, EvalError, URIError',
    why: 'not defined on Espruino (only Error, TypeError, SyntaxError, ReferenceError, InternalError: jswrap_error.c); throw TypeError or Error',
    apply: removeGlobals(['RangeError', 'EvalError', 'URIError']), expect: 9,
  },
  {
    what: 'Object.freeze/seal/preventExtensions/isFrozen/isSealed/isExtensible',
    why: 'missing on Espruino',
    apply: (t) => {
      let text = t;
      let count = 0;
      for (const m of ['freeze', 'seal', 'preventExtensions', 'isFrozen', 'isSealed', 'isExtensible']) {
        const r = removeMembers(['ObjectConstructor'], m)(text);
        text = r.text;
        count += r.count;
      }
      return { text, count };
    },
    expect: 6,
  },
  {
    what: 'lastIndexOf, reduceRight, copyWithin on arrays and typed arrays',
    why: 'missing on Espruino',
    apply: (t) => {
      let text = t;
      let count = 0;
      for (const m of ['lastIndexOf', 'reduceRight', 'copyWithin']) {
        const r = removeMembers(['Array', 'ReadonlyArray', ...TYPED_ARRAYS], m)(text);
        text = r.text;
        count += r.count;
      }
      return { text, count };
    },
    expect: 2 * 11 + 9, // lastIndexOf and reduceRight on 11 interfaces, copyWithin on 9
  },
  {
    what: 'String lastIndexOf, localeCompare, search',
    why: 'missing on Espruino (lastIndexOf is refused by the lint on any receiver)',
    apply: (t) => {
      let text = t;
      let count = 0;
      for (const m of ['lastIndexOf', 'localeCompare', 'search']) {
        const r = removeMembers(['String'], m)(text);
        text = r.text;
        count += r.count;
      }
      return { text, count };
    },
    expect: 4, // localeCompare twice: the ES5 String and the Intl overload at the end
  },
  {
    what: 'Error.name optional',
    why: 'new Error().name is undefined on Espruino (the type lives elsewhere): code that reads it must handle undefined',
    apply: replaceAll('interface Error {\n    name: string;', 'interface Error {\n    name?: string;'),
    expect: 1,
  },
  {
    what: '/// <reference lib="decorators..."/>',
    why: 'noLib: target code has no decorators, and only this file is the lib',
    apply: (t) => {
      const a = replaceAll('/// <reference lib="decorators" />\n', '')(t);
      const b = replaceAll('/// <reference lib="decorators.legacy" />\n', '')(a.text);
      return { text: b.text, count: a.count + b.count };
    },
    expect: 2,
  },
];

/** lib.es5.d.ts of the installed TypeScript (7.x ships its libs in the platform package). */
export function es5LibPath(): string {
  const req = createRequire(path.join(REPO_ROOT, 'node_modules', 'typescript', 'package.json'));
  const candidates: string[] = [];
  try {
    candidates.push(path.join(path.dirname(req.resolve(`@typescript/typescript-${process.platform}-${process.arch}/package.json`)), 'lib', 'lib.es5.d.ts'));
  } catch {
    // Not installed for this platform; try TypeScript 5's layout below.
  }
  candidates.push(path.join(REPO_ROOT, 'node_modules', 'typescript', 'lib', 'lib.es5.d.ts'));
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new UserError(`lib.es5.d.ts not found (looked in ${candidates.join(', ')}): run 'npm ci'`);
  return found;
}

function typescriptVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules', 'typescript', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** The target lib text for the given lib.es5.d.ts text. Throws when an edit misses. */
export function generateTargetLib(es5: string, tsVersion: string): string {
  let text = es5.replace(/\r\n/g, '\n');
  for (const e of LIB_EDITS) {
    const r = e.apply(text);
    if (r.count !== e.expect) {
      throw new Error(`target lib: edit '${e.what}' changed ${r.count} declaration(s), expected ${e.expect}: lib.es5.d.ts of TypeScript ${tsVersion} differs; review LIB_EDITS`);
    }
    text = r.text;
  }
  const header = [
    '// GENERATED by tools/build/target-lib.ts from TypeScript ' + tsVersion + "'s lib.es5.d.ts: do not edit.",
    '// The lib of target code (tsconfig.target.json, noLib): ES5 minus what Espruino 2v29 or XS',
    '// lack or run differently. Removed, and why:',
    ...LIB_EDITS.map((e) => `//   - ${e.what}: ${e.why}`),
    '// Regenerate: tsx tools/build/target-lib.ts',
    '/// <reference no-default-lib="true"/>',
    '',
  ];
  return header.join('\n') + text;
}

export function currentTargetLib(): string {
  return generateTargetLib(fs.readFileSync(es5LibPath(), 'utf8'), typescriptVersion());
}

export async function run(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  if (argv.some((a) => a !== '--check')) {
    console.log('usage: tsx tools/build/target-lib.ts [--check]');
    return argv.includes('--help') || argv.includes('-h') ? 0 : 1;
  }
  const want = currentTargetLib();
  const rel = path.relative(process.cwd(), TARGET_LIB_FILE);
  if (check) {
    const have = fs.existsSync(TARGET_LIB_FILE) ? fs.readFileSync(TARGET_LIB_FILE, 'utf8') : '';
    if (have === want) return 0;
    console.error(`${rel} is out of date: run 'tsx tools/build/target-lib.ts'`);
    return 1;
  }
  fs.writeFileSync(TARGET_LIB_FILE, want);
  console.log(`wrote ${rel} (${want.length} B)`);
  return 0;
}

runIfMain(import.meta.url, 'target-lib', run);
