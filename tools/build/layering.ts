/**
 * The arrows of the layout (README "Layout"): tools -> firmware -> flash -> hal -> lib.
 * A file may import from its own layer or any layer below it, never above. hal/sim and
 * hal/target (host simulation, engine runners) sit just above the hal interfaces: they may
 * use hal/*.ts and lib/, and the interfaces may not use them. tests and benches may import
 * anything. `checkLayering` reads the sources (relative imports only: packages are not
 * layers) and returns every import that runs back up; the build and a unit test fail on one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Rank of a repository-relative path; higher may import lower. null: not layered. */
export function layerOf(rel: string): { name: string; rank: number } | null {
  const p = rel.split(path.sep).join('/');
  if (p.startsWith('lib/')) return { name: 'lib', rank: 0 };
  if (p.startsWith('hal/sim/')) return { name: 'hal/sim', rank: 1.5 };
  if (p.startsWith('hal/target/')) return { name: 'hal/target', rank: 1.6 };
  if (p.startsWith('hal/')) return { name: 'hal', rank: 1 };
  if (p.startsWith('flash/')) return { name: 'flash', rank: 2 };
  if (p.startsWith('firmware/')) return { name: 'firmware', rank: 3 };
  if (p.startsWith('tools/')) return { name: 'tools', rank: 4 };
  return null;
}

export interface LayerViolation {
  file: string;
  line: number;
  specifier: string;
  message: string;
}

const IMPORT_RE = /(?:^|[^\w$.])(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|(?:^|[^\w$.])import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

function walk(dir: string, out: string[]): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.(ts|mts)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
}

export function checkLayering(root: string): LayerViolation[] {
  const files: string[] = [];
  for (const top of ['lib', 'hal', 'flash', 'firmware', 'tools']) {
    const d = path.join(root, top);
    if (fs.existsSync(d)) walk(d, files);
  }
  const out: LayerViolation[] = [];
  for (const file of files) {
    const rel = path.relative(root, file);
    const from = layerOf(rel);
    if (from === null) continue;
    const text = fs.readFileSync(file, 'utf8');
    IMPORT_RE.lastIndex = 0;
    for (let m = IMPORT_RE.exec(text); m !== null; m = IMPORT_RE.exec(text)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec.startsWith('.')) continue;
      const target = path.relative(root, path.resolve(path.dirname(file), spec));
      const to = layerOf(target.endsWith('.ts') ? target : `${target}.ts`);
      if (to === null || to.rank <= from.rank) continue;
      const lead = /^(import|export)/.test(m[0]) ? 0 : 1; // the one character before the keyword
      const line = text.slice(0, m.index + lead).split('\n').length;
      out.push({ file: rel, line, specifier: spec, message: `${from.name} must not import ${to.name} (arrows: tools -> firmware -> flash -> hal -> lib)` });
    }
  }
  return out;
}
