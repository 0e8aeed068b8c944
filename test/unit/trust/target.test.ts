/**
 * firmware/trust is target code: bundled the way the firmware is, it lints clean (the
 * Espruino/XS subset), and inside QuickJS (HAL crypto bound from the host, as a board's
 * native crypto is) it installs (plain, and with Espruino's built-in semantics) the real ITL and the lab's lists, checks a .sgn and looks up a CallManager
 * exactly as the native run does. The boot does not import trust yet, so this builds an entry.
 */
import { describe, it, expect } from 'vitest';
import { buildTarget } from '../../../tools/build/build';
import { formatFinding } from '../../../tools/build/lint';
import { loadQuickJs } from '../../../hal/target/quickjs';
import { ESPRUINO_SEMANTICS } from '../../../hal/target/espruino-semantics';
import { labTrust, labSign } from '../../../tools/lab/trust';
import { hex, fromHex, asciiBytes } from '../../../lib/bytes';
import type { Sha256 } from '../../../hal/crypto';
import { runWith } from './target-entry';
import { crypto, haveFixtures, realItl } from './helpers';

// What the boot stage will use, with the crypto coming from the HAL (so no BigInt here).
const LINT_ENTRY = `
import { listSink, signedSink } from './firmware/trust/sink';
import { TrustStore, installTrustList, slotOf, refusal } from './firmware/trust/store';
export function main(hal: any, settings: any, bytes: Uint8Array, cert: Uint8Array): string {
  const store = new TrustStore(hal.crypto);
  store.load(settings.getTrustList());
  const s = listSink(hal.crypto);
  s.write(bytes, 0);
  s.end(bytes.length);
  const r = s.result;
  if (r === null || !r.ok) return 'bad';
  const i = installTrustList(settings, store, slotOf('CTLFile.tlv'), r.value);
  const g = signedSink(hal.crypto, store, { write: function () { return true; }, end: function () {}, abort: function () {} });
  g.end(0);
  return (i.ok ? i.value : refusal(i)) + (store.peer(cert) === null ? '' : 'peer');
}`;
// The guest's crypto calls out to the host (hex across the boundary), as a board's native
// HAL crypto would be called.
const RUN_ENTRY = `
import { runWith } from './test/unit/trust/target-entry';
import { hex, fromHex } from './lib/bytes';
declare var __sha: (alg: string) => number;
declare var __upd: (id: number, data: string) => void;
declare var __dig: (id: number) => string;
declare var __rsa: (alg: string, d: string, s: string, n: string, e: string) => boolean;
function hash(alg: string): any {
  const id = __sha(alg);
  return { update: function (d: Uint8Array) { __upd(id, hex(d)); }, digest: function () { return fromHex(__dig(id)); } };
}
const crypto: any = {
  sha1: function () { return hash('sha1'); },
  sha256: function () { return hash('sha256'); },
  ed25519Verify: function () { return false; },
  rsaPkcs1Verify: function (a: string, d: Uint8Array, s: Uint8Array, n: Uint8Array, e: Uint8Array) { return __rsa(a, hex(d), hex(s), hex(n), hex(e)); },
};
export function main(input: string): string { return runWith(crypto, input); }`;

describe('trust on the target', () => {
  it('builds and lints clean', async () => {
    const r = await buildTarget({ source: LINT_ENTRY, lint: true, globalName: 'DialtoneTrust' });
    expect(r.errors.map((e) => e.text)).toEqual([]);
    expect(r.findings.map((f) => formatFinding(f, 'trust'))).toEqual([]);
    console.log(`[target] firmware/trust bundle (DER, TLV, sinks, store): ${r.bytes} bytes minified`);
  });

  it('QuickJS reads, verifies and stores the lists as the native run does', async () => {
    const t = labTrust();
    const lists = [['CTLFile.tlv', hex(t.ctl)], ['ITLFile.tlv', hex(t.itl)]];
    if (haveFixtures) lists.push(['ITLFile.tlv', hex(realItl())]); // a second ITL not signed by the first: refused
    const input = JSON.stringify({ lists, sgn: hex(labSign('SEP1.cnf.xml', asciiBytes('<device/>'))), peer: hex(t.cm2.cert) });
    const native = runWith(crypto, input);
    expect(native).toContain('sgn ok 9 <device/>');
    expect(native).toContain('peer cm2.lab.dialtone 1');
    if (haveFixtures) expect(native).toContain('ITLFile.tlv refused: unknown signer');
    const r = await buildTarget({ source: RUN_ENTRY, lint: false, globalName: 'DialtoneTrust' });
    expect(r.errors.map((e) => e.text)).toEqual([]);
    const qjs = await loadQuickJs();
    for (const espruino of [false, true]) {
      const vm = qjs.newContext();
      const hashes: Sha256[] = [];
      const fn = (name: string, f: (...a: string[]) => string | number | boolean | void) => {
        const h = vm.newFunction(name, (...args) => {
          const v = f(...args.map((x) => String(vm.dump(x))));
          return typeof v === 'string' ? vm.newString(v) : typeof v === 'number' ? vm.newNumber(v) : typeof v === 'boolean' ? (v ? vm.true : vm.false) : vm.undefined;
        });
        vm.setProp(vm.global, name, h);
        h.dispose();
      };
      fn('__sha', (alg) => hashes.push(alg === 'sha1' ? crypto.sha1() : crypto.sha256()) - 1);
      fn('__upd', (id, d) => { hashes[Number(id)].update(fromHex(d)!); });
      fn('__dig', (id) => hex(hashes[Number(id)].digest()));
      fn('__rsa', (a, d, sg, n, e) => crypto.rsaPkcs1Verify(a as 'sha1', fromHex(d)!, fromHex(sg)!, fromHex(n)!, fromHex(e)!));
      try {
        if (espruino) vm.unwrapResult(vm.evalCode(ESPRUINO_SEMANTICS, '<espruino semantics>')).dispose();
        const res = vm.unwrapResult(vm.evalCode(`${r.code}\nDialtoneTrust.main(${JSON.stringify(input)})`));
        const guest = vm.getString(res);
        res.dispose();
        expect(guest, espruino ? 'with Espruino semantics' : 'plain QuickJS').toBe(native);
      } finally {
        vm.dispose();
      }
    }
  });
});
