/**
 * Lazy modules of the target build: code that one stage of the boot uses while it runs
 * (the trust list, the configuration file, the TFTP transfers) is evaluated when that stage
 * starts and collected after it stops, so the heap holds only what runs now.
 *
 * esbuild hoists every module of a bundle into one scope: evaluating the bundle creates
 * every function and class of every module at once, and they live as long as the image.
 * A seam file (firmware/lazy/<name>.ts) marks a module graph that should not:
 *
 *     // @lazy-owns firmware/config firmware/stages/config-kit.ts
 *     import * as impl from '../stages/config-kit';
 *     export type ConfigModule = typeof impl;
 *     export function loadConfigModule(): ConfigModule { return impl; }
 *
 * Natively (tests, the lab) that is an eager import. In a target build this plugin replaces
 * the seam with
 *
 *     export function loadConfigModule() { var __lazyOut; (()=>{ ...impl's graph... })(); return __lazyOut; }
 *
 * so the graph's functions exist only between a call and the moment the caller drops what
 * it returned. The graph is bundled by a sub-build (no property mangling: the main build
 * mangles the whole text in one pass, lazy code included, so names agree). Modules under
 * the `@lazy-owns` paths are the lazy graph's own; every other module it imports is the
 * image's (one copy, one state), handed in from the main bundle by name: a shared import
 * becomes `__lazyGet(k)` in the sub-build, and the plugin turns each k it finds into an
 * import of that export in the seam.
 *
 * What a lazy module returns must not outlive the stage holding it unless it is plain data:
 * an instance of one of its classes, or one of its closures, keeps the whole module alive.
 *
 * Host code (Node).
 */
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Seam files live here (relative to the repository root). */
export const LAZY_DIR = path.join('firmware', 'lazy');

export interface Seam {
  /** The seam file (absolute). */
  file: string;
  /** The implementation module the seam imports as `impl` (absolute, as written + resolved by esbuild). */
  implSpec: string;
  /** The loader function the seam exports. */
  loader: string;
  /** Absolute paths (folders or files) whose modules belong to the lazy graph. */
  owns: string[];
}

/** Read a seam file's three parts; an error names what is missing. */
export function parseSeam(file: string, text: string, root: string): Seam {
  const owns: string[] = [];
  for (const m of text.matchAll(/@lazy-owns[ \t]+([^\n]*)/g)) for (const p of m[1].trim().split(/\s+/)) owns.push(path.resolve(root, p));
  const impl = /import\s+\*\s+as\s+impl\s+from\s+'([^']+)'/.exec(text);
  const loader = /export\s+function\s+([A-Za-z_$][\w$]*)\s*\(\s*\)/.exec(text);
  const missing = [owns.length === 0 ? '"// @lazy-owns <path>"' : '', impl ? '' : "\"import * as impl from '...'\"", loader ? '' : '"export function loadX()"'].filter((x) => x !== '');
  if (missing.length > 0) throw new Error(`${path.relative(root, file)}: a lazy seam needs ${missing.join(', ')}`);
  return { file, implSpec: impl![1], loader: loader![1], owns };
}

function owned(seam: Seam, file: string): boolean {
  return seam.owns.some((o) => file === o || file.startsWith(o + path.sep) || file === o + '.ts');
}

/** Export names of a module (esbuild's own view of it), cached per file and mtime. */
const exportCache = new Map<string, { mtime: number; names: string[] }>();

async function exportsOf(file: string, build: Pick<esbuild.BuildOptions, 'tsconfigRaw'>): Promise<string[]> {
  const mtime = fs.statSync(file).mtimeMs;
  const hit = exportCache.get(file);
  if (hit && hit.mtime === mtime) return hit.names;
  const r = await esbuild.build({
    entryPoints: [file], bundle: true, format: 'esm', platform: 'neutral', write: false, metafile: true,
    outfile: file + '.exports.js', logLevel: 'silent', tsconfigRaw: build.tsconfigRaw,
  });
  const out = Object.values(r.metafile!.outputs)[0];
  const names = out.exports.slice().sort();
  exportCache.set(file, { mtime, names });
  return names;
}

const SHARED_NS = 'dialtone-lazy-shared';

export interface LazyBuildSettings {
  minify: boolean;
  /** esbuild settings the sub-build shares with the main build (target, supported, ...). */
  base: Pick<esbuild.BuildOptions, 'target' | 'supported' | 'charset' | 'tsconfigRaw' | 'platform'>;
  root: string;
}

/** The seam's replacement text: the lazy graph bundled inside the loader function. */
export async function lazySeamSource(seam: Seam, settings: LazyBuildSettings): Promise<string> {
  // k -> [module file, export name] for every shared export the graph may read.
  const slots: { file: string; name: string }[] = [];
  const slotBase = new Map<string, number>();
  const shared: esbuild.Plugin = {
    name: 'dialtone-lazy-shared',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === 'inner' || args.kind === 'entry-point' || args.importer === '<stdin>' || args.namespace === SHARED_NS) return undefined;
        const r = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: 'inner' });
        if (r.errors.length > 0) return { errors: r.errors };
        if (owned(seam, r.path)) return { path: r.path };
        return { path: r.path, namespace: SHARED_NS };
      });
      b.onLoad({ filter: /.*/, namespace: SHARED_NS }, async (args) => {
        const names = await exportsOf(args.path, settings.base);
        let base = slotBase.get(args.path);
        if (base === undefined) {
          base = slots.length;
          slotBase.set(args.path, base);
          for (const n of names) slots.push({ file: args.path, name: n });
        }
        // Pure, so the sub-build drops what the graph never reads.
        const lines = names.map((n, i) => `export var ${n} = /* @__PURE__ */ __lazyGet(${base! + i});`);
        return { contents: 'declare function __lazyGet(k: number): any;\n' + lines.join('\n'), loader: 'ts', resolveDir: path.dirname(args.path) };
      });
    },
  };
  const entry = [
    `import * as impl from ${JSON.stringify(seam.implSpec)};`,
    // As in the main wrapper: an unbound `of` keeps the minifier from naming a local `of`.
    'declare var of: any;',
    'void (typeof of);',
    'declare var __lazyOut: any;',
    '__lazyOut = impl;',
  ].join('\n');
  const r = await esbuild.build({
    ...settings.base,
    stdin: { contents: entry, loader: 'ts', resolveDir: path.dirname(seam.file), sourcefile: path.basename(seam.file) },
    plugins: [shared],
    bundle: true,
    format: 'iife',
    minify: settings.minify,
    legalComments: 'none',
    write: false,
    outfile: seam.file.replace(/\.ts$/, '.lazy.js'),
    logLevel: 'silent',
  });
  // Slots are numbered in the order esbuild happened to load the shared modules; number the
  // used ones again by module and name, so that the same sources give the same image.
  const used = new Set<number>();
  for (const m of r.outputFiles[0].text.matchAll(/__lazyGet\((\d+)\)/g)) used.add(Number(m[1]));
  const byName = [...used].sort((a, b) => {
    const x = slots[a].file + '\0' + slots[a].name;
    const y = slots[b].file + '\0' + slots[b].name;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const renumber = new Map<number, number>();
  byName.forEach((k, i) => renumber.set(k, i));
  // The graph's text goes inside the loader, in the scope of the seam's imports: each
  // `__lazyGet(k)` becomes a plain reference to the import it stands for.
  const code = r.outputFiles[0].text.replace(/__lazyGet\((\d+)\)/g, (_m, k: string) => `__lazy${renumber.get(Number(k))}`);
  const ordered = byName.map((k) => slots[k]);
  const ks = ordered.map((_s, i) => i);
  const imports = new Map<string, string[]>();
  for (const k of ks) {
    const s = ordered[k];
    const list = imports.get(s.file) ?? [];
    list.push(`${s.name} as __lazy${k}`);
    imports.set(s.file, list);
  }
  const head = [...imports].map(([file, names]) => `import { ${names.join(', ')} } from ${JSON.stringify(file)};`);
  return [
    ...head,
    `export function ${seam.loader}() {`,
    '  var __lazyOut;',
    code,
    '  return __lazyOut;',
    '}',
  ].join('\n');
}

/** The plugin of the main build: each seam in `dirs` (default LAZY_DIR) becomes its lazy loader. */
/**
 * `cache` (seam file -> its loader text) lets the two passes of one buildTarget (plain, then
 * mangled) share each sub-build: the sub-build never mangles, so both would produce the same.
 */
export function lazyPlugin(settings: LazyBuildSettings, dirs: string[] = [path.join(settings.root, LAZY_DIR)],
                           cache: Map<string, string> = new Map()): esbuild.Plugin {
  return {
    name: 'dialtone-lazy',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (!dirs.includes(path.dirname(args.path))) return undefined;
        try {
          let contents = cache.get(args.path);
          if (contents === undefined) {
            contents = await lazySeamSource(parseSeam(args.path, fs.readFileSync(args.path, 'utf8'), settings.root), settings);
            cache.set(args.path, contents);
          }
          return { contents, loader: 'js', resolveDir: path.dirname(args.path), watchFiles: [args.path] };
        } catch (err) {
          const f = err as esbuild.BuildFailure;
          if (Array.isArray(f.errors)) return { errors: f.errors.map((e) => ({ text: `${path.basename(args.path)} (lazy): ${e.text}`, location: e.location })) };
          return { errors: [{ text: (err as Error).message }] };
        }
      });
    },
  };
}
