/**
 * firmware/config is target code: bundled the way the firmware is, it lints clean (the
 * Espruino/XS subset), and inside QuickJS it reads the real files, fed in TFTP-sized
 * chunks through the sink, to exactly what the native run reads; the stored form it
 * writes is byte-identical. main.ts does not import config yet, so this builds an entry.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { buildTarget } from '../../../tools/build/build';
import { formatFinding } from '../../../tools/build/lint';
import { loadQuickJs } from '../../../hal/target/quickjs';
import { ESPRUINO_SEMANTICS } from '../../../hal/target/espruino-semantics';
import { haveFixtures, fixture } from '../../fixtures';
import { hex } from '../../../lib/bytes';
import { run as guestRun } from './target-entry';

const ENTRY = `export { run as main } from './test/unit/config/target-entry';`;
const FILES = ['chan-sccp__SEP0000000000.cnf.xml_797x_extended_template', 'chan-sccp__SEP0000000000.cnf.xml_annotated', 'chan-sccp__XMLDefault.cnf.xml'];

describe('config on the target', () => {
  it('builds and lints clean', async () => {
    const r = await buildTarget({ source: ENTRY, lint: true, globalName: 'DialtoneConfig' });
    expect(r.errors.map((e) => e.text)).toEqual([]);
    expect(r.findings.map((f) => formatFinding(f, 'config'))).toEqual([]);
    console.log(`[target] firmware/config bundle (sink, parsers, validator, store): ${r.bytes} bytes minified`);
  });

  it.skipIf(!haveFixtures)('QuickJS, plain and with Espruino built-in semantics, reads the real files as the native run does', async () => {
    const r = await buildTarget({ source: ENTRY, lint: false, globalName: 'DialtoneConfig' });
    const input = JSON.stringify(FILES.map((f) => hex(new Uint8Array(readFileSync(fixture(f))))));
    const native = guestRun(input);
    const qjs = await loadQuickJs();
    for (const espruino of [false, true]) {
      const vm = qjs.newContext();
      try {
        if (espruino) vm.unwrapResult(vm.evalCode(ESPRUINO_SEMANTICS, '<espruino semantics>')).dispose();
        const res = vm.unwrapResult(vm.evalCode(`${r.code}\nDialtoneConfig.main(${JSON.stringify(input)})`));
        const guest = vm.getString(res);
        res.dispose();
        expect(guest).toBe(native);
        expect(JSON.parse(guest).length).toBe(FILES.length * 2);
      } finally {
        vm.dispose();
      }
    }
  });
});
