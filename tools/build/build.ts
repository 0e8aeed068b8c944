/**
 * The target build: esbuild settings for code that must run on Espruino 2v29, Moddable XS
 * and QuickJS (DESIGN.md section 3, reference/embedded_js.md section 4), in one place so the
 * CLI, the tests and the QuickJS runner all bundle exactly the same way.
 *
 * Shape of a bundle (`globalName` G):
 *
 *     var G;
 *     (()=>{ ...the entry's module graph... G={main:r}; })();
 *
 * The entry is wrapped by a generated module that imports `main` and assigns it to the
 * global declared by the banner. We do not use esbuild's `globalName`: that goes through
 * its `__toCommonJS` helper, whose `__copyProps` captures a loop `let` in a getter closure,
 * which Espruino runs wrong (no per-iteration binding; reference section 1.2).
 *
 * Syntax policy: `target: es2015` plus `supported` overrides. The features Espruino cannot
 * parse and esbuild cannot lower are set false so that they are build ERRORS (measured in
 * reference section 4.2 and again by test/unit/build); `?.`, `??`, `**` and logical
 * assignment are set false so that esbuild LOWERS them. Object spread is deliberately left
 * *supported*: lowered it would become `__spreadValues` helpers and slip past the lint;
 * kept, it reaches the lint as a SpreadElement and fails there.
 */
import * as esbuild from 'esbuild';
import * as acorn from 'acorn';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lintBundle, type Finding } from './lint';
import { SourceMapIndex } from './sourcemap';
import { lazyPlugin } from './lazy';

/** esbuild `supported` overrides on top of target es2015. */
export const SUPPORTED: Readonly<Record<string, boolean>> = {
  // Espruino cannot parse these and esbuild cannot lower them: build errors.
  destructuring: false,
  'default-argument': false,
  'rest-argument': false,
  'array-spread': false,
  'nested-rest-binding': false,
  generator: false,
  'async-await': false, // without generator=false this would lower to generators
  'async-generator': false,
  'for-await': false,
  'new-target': false,
  // Lowered by esbuild into code Espruino runs.
  'optional-chain': false,
  'nullish-coalescing': false,
  'exponent-operator': false, // -> Math.pow
  'logical-assignment': false,
  'class-static-blocks': false, // -> plain statements after the class
  // Kept as syntax on purpose so the lint reports it (see the module comment).
  'object-rest-spread': true,
};

/** Fixed compiler options, so a build does not depend on which tsconfig.json esbuild finds. */
const TSCONFIG_RAW = {
  compilerOptions: {
    // Fields become constructor assignments instead of __publicField/defineProperty calls.
    useDefineForClassFields: false,
  },
};

export interface BuildTargetOptions {
  /** Entry file (exports `main`). Exactly one of `entry` and `source` is given. */
  entry?: string;
  /** Entry as TypeScript text (tests); relative imports resolve from `resolveDir`. */
  source?: string;
  /** Directory imports of `source` resolve from; default the repository root. */
  resolveDir?: string;
  /** Global the bundle assigns `{ main }` to; default `DialtoneFirmware`. */
  globalName?: string;
  /** Minify (default true). The debug copy is built with false. */
  minify?: boolean;
  /** Run the project lint over the output (default true). */
  lint?: boolean;
  /** Where the bundle will be written: only names the source map's relative paths. */
  outfile?: string;
  /**
   * Shorten property names (minified builds only; off by default). The shipped bundles
   * (tools/build/cli.ts, tools/target/bundles.ts, the lab's image) turn it on; a test's own
   * guest source leaves it off, since its host reads the guest's objects by name. Names the
   * host can see (the HAL interfaces, the built-ins, the guest prelude) and every word of a
   * string literal in the bundle are kept; see `reservedProps`.
   */
  mangleProps?: boolean;
  /** Folders whose files are lazy seams (tools/build/lazy.ts); default firmware/lazy. */
  lazyDirs?: string[];
}

export interface BuildMessage {
  text: string;
  /** `file:line:col` in the TypeScript source, when esbuild knows it. */
  location?: string;
}

export interface BuildTargetResult {
  /** True when esbuild produced output and the lint found nothing. */
  ok: boolean;
  /** esbuild errors (a failed build has no code). */
  errors: BuildMessage[];
  warnings: BuildMessage[];
  /** Lint findings over the output (empty when lint was off or the build failed). */
  findings: Finding[];
  /** The bundle text; '' when the build failed. */
  code: string;
  /** The external source map (JSON text); '' when the build failed. */
  map: string;
  /** Bytes of `code` (ASCII, so characters = bytes). */
  bytes: number;
  /** esbuild's metafile (inputs and, per output, bytes each input contributed); null when the build failed. */
  metafile: esbuild.Metafile | null;
}

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const ENTRY_NS = 'dialtone-entry';
const ENTRY_SPEC = 'dialtone:entry';

function wrapperSource(globalName: string): string {
  // `declare var of` + a reference makes `of` an unbound global name, which esbuild's
  // renamer reserves: the minifier then never emits the identifier `of` (reference 4.4.2;
  // Espruino throws a SyntaxError on `var of`). The statement itself is dropped as dead.
  return [
    `import { main } from ${JSON.stringify(ENTRY_SPEC)};`,
    'declare var of: any;',
    'void (typeof of);',
    `declare var ${globalName}: any;`,
    `${globalName} = { main: main };`,
  ].join('\n');
}

function message(m: esbuild.Message): BuildMessage {
  const loc = m.location;
  return loc ? { text: m.text, location: `${loc.file}:${loc.line}:${loc.column + 1}` } : { text: m.text };
}

/** Build one target bundle in memory with the project's settings, then lint it. */
export async function buildTarget(opts: BuildTargetOptions): Promise<BuildTargetResult> {
  const minify = opts.minify ?? true;
  if (!minify || opts.mangleProps !== true) return buildOnce(opts, null);
  // Pass 1 without mangling: its string literals name the properties code reaches by a
  // computed key (layout tables, `o[name]`), which must keep their names.
  // The lint reads names (forbidden methods, built-ins), so it judges this pass; the
  // mangled pass is checked for syntax and constructs only.
  const lazyCache = new Map<string, string>();
  const plain = await buildOnce(opts, null, lazyCache);
  if (!plain.ok) return plain;
  const keep = reservedProps(plain.code);
  for (const input of Object.keys(plain.metafile ? plain.metafile.inputs : {})) keepNamespaceMembers(input, resolveDirOf(opts), keep);
  const mangled = await buildOnce(Object.assign({}, opts, { lint: false }), keep, lazyCache);
  mangled.findings = plain.findings;
  return mangled;
}

/**
 * Property mangling, the largest single saving in the image (about a fifth): on an engine
 * that keeps source text in flash (Espruino, XS mods), every property name is stored where
 * it is written, and each distinct name also sits in the engine's atom table. A name may be
 * shortened only when nothing outside the bundle spells it: the host calls through the HAL
 * (hal/*.ts), the engine's built-ins (hal/target-lib.d.ts, hal/target-env.d.ts), the guest
 * prelude, `main`, and any name the code builds from a string. Over-keeping costs bytes,
 * under-keeping breaks the image, so every identifier-shaped word in those files counts,
 * comments included.
 */
const HOST_VISIBLE_FILES = ['hal/target-lib.d.ts', 'hal/target-env.d.ts', 'hal/target/prelude.ts'];
let hostWords: Set<string> | null = null;

function hostVisibleWords(): Set<string> {
  if (hostWords) return hostWords;
  const words = new Set<string>(['main', 'constructor', 'prototype', '__proto__', 'length', 'name', 'message']);
  const files = HOST_VISIBLE_FILES.map((f) => path.join(REPO_ROOT, f));
  for (const f of fs.readdirSync(path.join(REPO_ROOT, 'hal'))) if (f.endsWith('.ts')) files.push(path.join(REPO_ROOT, 'hal', f));
  for (const f of files) for (const w of fs.readFileSync(f, 'utf8').match(/[A-Za-z_$][\w$]*/g) ?? []) words.add(w);
  hostWords = words;
  return words;
}

/** The names kept: the host's words and every word inside a string or template literal of `code`. */
export function reservedProps(code: string): Set<string> {
  const keep = new Set(hostVisibleWords());
  // A key built from data is a whole string ('realm', 'loadInformation' + type) or a field
  // of a layout string ('name:s16 userId:u ...'); prose (log lines, display text) has spaces
  // and no such fields, and keeping its words would keep most names of the code.
  const add = (text: string): void => {
    const words = /\s/.test(text) ? text.match(/[A-Za-z_$][\w$]*(?=:)/g) : text.match(/[A-Za-z_$][\w$]*/g);
    for (const w of words ?? []) keep.add(w);
  };
  eachNode(acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'script' }), (node) => {
    if (node.type === 'Literal' && typeof (node as acorn.Literal).value === 'string') add((node as acorn.Literal).value as string);
    else if (node.type === 'TemplateElement') add((node as acorn.TemplateElement).value.cooked ?? '');
    else if (node.type === 'CallExpression') keepNamespaceExports(node as acorn.CallExpression, keep);
  });
  return keep;
}

/** Every node of the tree, with an explicit stack: `a + b + ...` chains nest thousands deep. */
function eachNode(root: acorn.Node, visit: (node: acorn.Node) => void): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (v !== null && typeof v === 'object' && typeof (v as acorn.Node).type === 'string') {
      visit(v as acorn.Node);
      for (const [k, x] of Object.entries(v)) if (k !== 'loc' && x !== null && typeof x === 'object') stack.push(x);
    }
  }
}

function resolveDirOf(opts: BuildTargetOptions): string {
  return opts.resolveDir ?? REPO_ROOT;
}

/**
 * esbuild mangles `ns.name` of an `import * as ns` before it resolves the import, and then
 * finds no export of the mangled name: every member read through a namespace import keeps
 * its name.
 */
function keepNamespaceMembers(input: string, dir: string, keep: Set<string>): void {
  const file = path.resolve(dir, input);
  if (!/\.ts$/.test(file) || !fs.existsSync(file)) return;
  const text = fs.readFileSync(file, 'utf8');
  for (const m of text.matchAll(/import\s+\*\s+as\s+([A-Za-z_$][\w$]*)/g)) {
    for (const u of text.matchAll(new RegExp('\\b' + escapeRe(m[1]) + '\\.([A-Za-z_$][\\w$]*)', 'g'))) keep.add(u[1]);
  }
}

/**
 * `import * as ns` becomes esbuild's `__export(ns, { name: () => local, ... })`, whose keys
 * it never mangles while `ns.name` would be: a namespace's export names are kept.
 */
function keepNamespaceExports(call: acorn.CallExpression, keep: Set<string>): void {
  const obj = call.arguments.length === 2 ? call.arguments[1] : null;
  if (obj === null || obj.type !== 'ObjectExpression' || obj.properties.length === 0) return;
  for (const p of obj.properties) {
    if (p.type !== 'Property' || p.value.type !== 'ArrowFunctionExpression' || p.value.params.length !== 0) return;
  }
  for (const p of obj.properties) {
    const k = (p as acorn.Property).key;
    if (k.type === 'Identifier') keep.add(k.name);
    else if (k.type === 'Literal' && typeof k.value === 'string') keep.add(k.value);
  }
}

function escapeRe(s: string): string {
  return s.replace(/[$]/g, '\\$');
}

async function buildOnce(opts: BuildTargetOptions, keep: Set<string> | null, lazyCache?: Map<string, string>): Promise<BuildTargetResult> {
  if ((opts.entry === undefined) === (opts.source === undefined)) {
    throw new TypeError('buildTarget: give exactly one of entry and source');
  }
  const globalName = opts.globalName ?? 'DialtoneFirmware';
  if (!/^[A-Za-z_$][\w$]*$/.test(globalName)) throw new TypeError(`buildTarget: bad globalName '${globalName}'`);
  const resolveDir = opts.resolveDir ?? REPO_ROOT;
  const outfile = path.resolve(opts.outfile ?? path.join(resolveDir, 'out.js'));
  const entryPlugin: esbuild.Plugin = {
    name: 'dialtone-entry',
    setup(b) {
      b.onResolve({ filter: /^dialtone:entry$/ }, () =>
        opts.entry !== undefined
          ? { path: path.resolve(opts.entry) }
          : { path: path.join(resolveDir, '<source>.ts'), namespace: ENTRY_NS });
      b.onLoad({ filter: /.*/, namespace: ENTRY_NS }, () => ({ contents: opts.source, loader: 'ts', resolveDir }));
    },
  };
  let result: esbuild.BuildResult & { outputFiles: esbuild.OutputFile[] };
  try {
    result = await esbuild.build({
      stdin: { contents: wrapperSource(globalName), loader: 'ts', resolveDir, sourcefile: '<entry>' },
      plugins: [entryPlugin, lazyPlugin({
        minify: opts.minify ?? true, root: REPO_ROOT,
        base: { target: 'es2015', supported: { ...SUPPORTED }, charset: 'ascii', tsconfigRaw: TSCONFIG_RAW, platform: 'neutral' },
      }, opts.lazyDirs, lazyCache)],
      bundle: true,
      format: 'iife',
      platform: 'neutral',
      target: 'es2015',
      supported: { ...SUPPORTED },
      charset: 'ascii',
      legalComments: 'none',
      minify: opts.minify ?? true,
      banner: { js: `var ${globalName};` },
      tsconfigRaw: TSCONFIG_RAW,
      sourcemap: 'external',
      sourcesContent: false,
      metafile: true, // per-module sizes (tools/build/sizes.ts)
      ...(keep ? { mangleProps: /^[A-Za-z_$]/, reserveProps: new RegExp('^(?:' + [...keep].map(escapeRe).join('|') + ')$') } : {}),
      outfile, // names the map's paths only; nothing is written here
      write: false,
      logLevel: 'silent',
    });
  } catch (err) {
    const failure = err as esbuild.BuildFailure;
    if (!Array.isArray(failure.errors)) throw err;
    return {
      ok: false, errors: failure.errors.map(message), warnings: (failure.warnings ?? []).map(message),
      findings: [], code: '', map: '', bytes: 0, metafile: null,
    };
  }
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const mapFile = result.outputFiles.find((f) => f.path.endsWith('.js.map'));
  if (!js) throw new Error('buildTarget: esbuild produced no .js output');
  const code = js.text;
  const map = mapFile ? mapFile.text : '';
  let findings: Finding[] = [];
  if (opts.lint ?? true) {
    findings = lintBundle(code, { map: map ? new SourceMapIndex(map, path.dirname(outfile), REPO_ROOT) : undefined });
  }
  return {
    ok: result.errors.length === 0 && findings.length === 0,
    errors: result.errors.map(message),
    warnings: result.warnings.map(message),
    findings,
    code,
    map,
    bytes: Buffer.byteLength(code),
    metafile: result.metafile ?? null,
  };
}

/** esbuild's version string, for dist/build-info.json. */
export function esbuildVersion(): string {
  return esbuild.version;
}
