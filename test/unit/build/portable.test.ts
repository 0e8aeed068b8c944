/**
 * The positive side: portable code (the subset of reference/embedded_js.md section 5) builds
 * and lints clean, the syntax esbuild must lower is gone from the output, the bundle really
 * runs (here in a bare node:vm context with only ES built-ins and a fake hal), the `of`
 * guard works, and findings point back at the TypeScript line.
 */
import * as vm from 'node:vm';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import { buildTarget } from '../../../tools/build/build';

const PORTABLE = `
const HEADER_LEN = 4;

class Packet {
  constructor(public seq: number, public payload: Uint8Array) {}
  get length(): number { return HEADER_LEN + this.payload.length; }
  emit(buf: Uint8Array): number {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    dv.setUint16(0, this.seq, false);
    dv.setUint16(2, this.payload.length, false);
    buf.set(this.payload, HEADER_LEN);
    return this.length;
  }
}

class Base {
  name: string;
  constructor(name: string) { this.name = name; }
  describe(): string { return 'base ' + this.name; }
  static create(name: string): Base { return new this(name); }
}

class Machine extends Base {
  state = 'idle';
  private hits = 0;
  constructor(name: string) { super(name); }
  go(to: string): void { this.state = to; this.hits++; }
  describe(): string { return super.describe() + ' ' + this.state + ' ' + this.hits; }
}

interface Opts { retry?: { count?: number } }

function retries(o: Opts | undefined): number {
  return o?.retry?.count ?? 3;
}

export function main(hal: any): void {
  const m = new Machine('m');
  m.go('busy');
  const bytes = new Uint8Array([1, 2, 3]);
  const p = new Packet(258, bytes);
  const out = new Uint8Array(16);
  const n = p.emit(out);
  let sum = 0;
  for (const b of out.subarray(0, n)) sum += b;
  const names: string[] = [];
  for (const k of ['a', 'b']) names.push(k.toUpperCase());
  const shorthand = { n, sum };
  let flags = 0;
  flags ||= 4;
  const sq = 3 ** 2;
  const handlers: (() => number)[] = [];
  for (let i = 0; i < 2; i++) {
    const make = (v: number) => () => v * 10; // a factory, not a closure over i
    handlers.push(make(i));
  }
  let out2 = '';
  switch (names[0]) { case 'A': out2 = 'first'; break; default: out2 = 'other'; }
  try { hal.log('try'); } finally { hal.log('finally'); }
  Promise.all([Promise.resolve(1), new Promise<number>((res) => res(2))])
    .then((v) => hal.log('promise ' + v.join(',')))
    .catch((e) => hal.log('error ' + e));
  hal.log([m.describe(), Base.create('b').describe(), n, sum, names.join(''), shorthand.n,
    flags, sq, retries(undefined), retries({ retry: { count: 1 } }),
    handlers[0]() + handlers[1](), out2, \`t=\${hal.t}\`].join('|'));
}
`;

describe('portable source', () => {
  it('builds and lints clean, with ?. ?? ** ||= lowered', async () => {
    const r = await buildTarget({ source: PORTABLE });
    expect(r.errors).toEqual([]);
    expect(r.findings).toEqual([]);
    expect(r.ok).toBe(true);
    // Lowered by esbuild (Espruino lacks these): none may survive in the output.
    expect(r.code).not.toMatch(/\?\.|\*\*|\|\|=|&&=|\?\?=/);
    expect(r.code).toContain('Math.pow');
    expect(r.code.startsWith('var DialtoneFirmware;\n')).toBe(true);
  });

  it('runs: DialtoneFirmware.main(hal) in a bare context gives the expected values', async () => {
    const r = await buildTarget({ source: PORTABLE });
    const logs: string[] = [];
    const ctx = vm.createContext({ hal: { t: 7, log: (s: string) => logs.push(s) } });
    vm.runInContext(r.code, ctx);
    vm.runInContext('DialtoneFirmware.main(hal)', ctx);
    await new Promise((res) => setImmediate(res)); // let the guest's promise jobs run
    // seq 258 = 0x0102, len 3: header 01 02 00 03 + payload 1 2 3 -> sum 12
    expect(logs).toEqual([
      'try', 'finally',
      'base m busy 1|base b|7|12|AB|7|4|9|3|1|10|first|t=7',
      'promise 1,2',
    ]);
  });

  it('a debug build (unminified) of the same source is lint clean too', async () => {
    const r = await buildTarget({ source: PORTABLE, minify: false });
    expect(r.findings).toEqual([]);
    expect(r.code).toContain('class extends Base');
  });

  it('maps a finding back to the TypeScript line', async () => {
    const r = await buildTarget({ source: 'export function main(hal: any): void {\n  hal.a();\n  hal.x(new Set());\n}\n' });
    const f = r.findings.find((x) => x.rule === 'forbidden-global');
    expect(f?.source?.line).toBe(3);
    expect(f?.source?.file).toContain('<source>');
  });
});

describe('the minifier never emits `of`', () => {
  // 4000 locals in one scope push esbuild's renamer through the two-letter names.
  let src = 'export function main(h: any): void {\n';
  for (let i = 0; i < 4000; i++) src += `  let v${i} = h.a(${i});\n`;
  src += `  h.b(${Array.from({ length: 4000 }, (_, i) => `v${i}`).join('+')});\n}\n`;

  it('control: plain esbuild on this source does emit `of` (so the guard is needed)', async () => {
    const r = await esbuild.build({
      stdin: { contents: src, loader: 'ts' }, bundle: true, format: 'iife', platform: 'neutral',
      target: 'es2015', minify: true, write: false, logLevel: 'silent',
    });
    expect(r.outputFiles[0].text).toMatch(/[,;(]of=/);
  });

  it('buildTarget (declare var of) emits no `of` and lints clean', async () => {
    const r = await buildTarget({ source: src });
    expect(r.code).not.toMatch(/(^|[^.\w$])of([^\w$]|$)/);
    expect(r.findings).toEqual([]);
  });
});
