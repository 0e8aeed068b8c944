/**
 * firmware/tftp is target code: bundled the way the firmware is (esbuild es2015, the
 * unsupported features off) it must pass the project lint (Espruino/XS subset), and it
 * stays small: boot.ts does not import it yet, so this builds an entry that does. The
 * size is printed (minified bytes of firmware/tftp's own modules); the limit is a guard
 * against a large regression, not a benchmark.
 */
import { describe, it, expect } from 'vitest';
import { buildTarget } from '../../../tools/build/build';
import { formatFinding } from '../../../tools/build/lint';

const ENTRY = `
import { TftpService } from './firmware/tftp/service';
import * as wire from './firmware/tftp/wire';
export function main(hal: any) {
  const s = new TftpService(hal.net, hal.clock, { log: function (l: string) { hal.system.log(1, 'tftp', l); } });
  s.fetch([1], [{ name: 'CTLFile.tlv', optional: true }], function () {
    return { write: function () { return true; }, end: function () {}, abort: function () {} };
  }, function (e: any) { hal.x(e, s.progress()); });
  return [wire.parse, wire.emit];
}
`;

describe('tftp bundle for the target', () => {
  it('builds and lints clean, and its modules stay small', async () => {
    const r = await buildTarget({ source: ENTRY, lint: true });
    expect(r.errors.map((e) => e.text)).toEqual([]);
    expect(r.findings.map((f) => formatFinding(f, 'tftp'))).toEqual([]);
    expect(r.ok).toBe(true);
    const out = Object.entries(r.metafile!.outputs).find(([k]) => k.endsWith('.js'))![1];
    let own = 0;
    for (const [file, v] of Object.entries(out.inputs)) if (file.includes('firmware/tftp/')) own += v.bytesInOutput;
    process.stdout.write(`[tftp] firmware/tftp minified: ${own} bytes; bundle with its imports: ${r.bytes} bytes\n`);
    expect(own).toBeLessThan(16_000);
  });
});
