/**
 * Keys at build time: the build's trust options (tools/image/trust.ts), the generated loader
 * entry, and the built bundle itself trusting exactly the keys it was built with.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimFlash } from '../../../hal/sim/flash';
import type { Hal } from '../../../hal/index';
import { computeLayout } from '../../../flash/layout';
import { SLOT_A } from '../../../flash/constants';
import { DEV_PUBLIC_KEY } from '../../../flash/keys';
import { buildTarget } from '../../../tools/build/build';
import { run as buildRun } from '../../../tools/build/cli';
import { resolveTrust, loaderEntrySource, configForKeys } from '../../../tools/image/trust';
import { DEV_KEY_PATH } from '../../../tools/image/lib';
import { UserError } from '../../../tools/errors';
import { hex } from '../../../lib/bytes';
import { fakeBoard, makeImage, writeSlot, testKey, devKey } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'dialtone-trust-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ownerPub = join(dir, 'owner.pub');
writeFileSync(ownerPub, hex(testKey.publicKey) + '\n');

function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof UserError) return e.message;
    throw e;
  }
  throw new Error('no UserError');
}

/** Evaluate a loader bundle as an engine would and run its main on `hal`. */
function runBundle(code: string, hal: Hal): void {
  const g = new Function(`${code}\n;return DialtoneLoader;`)() as { main(hal: Hal): void };
  g.main(hal);
}

describe('build trust options', () => {
  it('without --trust: a development build that embeds the development key and says so in one line', () => {
    const r = resolveTrust({ trust: [] });
    expect(r.config).toEqual({ keys: [DEV_PUBLIC_KEY], release: false, allowDowngrade: false, developmentKey: true });
    expect(r.notice).toMatch(/^development build: the loader trusts the development key/);
    expect(r.notice).not.toContain('\n');
  });

  it('--trust KEY.pub: exactly that key, no notice; several keys in order', () => {
    expect(resolveTrust({ trust: [ownerPub] })).toMatchObject({ config: { keys: [hex(testKey.publicKey)], release: false, developmentKey: false }, notice: null });
    expect(resolveTrust({ trust: [ownerPub, DEV_KEY_PATH] }).config.keys).toEqual([hex(testKey.publicKey), DEV_PUBLIC_KEY]);
    expect(resolveTrust({ trust: [ownerPub, DEV_KEY_PATH] }).notice).toMatch(/development key/);
  });

  it('a release build refuses the development key, a missing --trust and the downgrade override, saying why', () => {
    expect(userError(() => resolveTrust({ trust: [DEV_KEY_PATH], release: true })))
      .toMatch(/refusing to embed the development key .* in a release loader: its private half is committed/);
    expect(userError(() => resolveTrust({ trust: [], release: true }))).toMatch(/a release build needs --trust KEY\.pub/);
    expect(userError(() => resolveTrust({ trust: [ownerPub], release: true, allowDowngrade: true }))).toMatch(/--allow-downgrade is for development loaders/);
    expect(userError(() => resolveTrust({ trust: [join(dir, 'missing.pub')] }))).toMatch(/cannot read key .*no such file/);
    expect(resolveTrust({ trust: [ownerPub], release: true })).toMatchObject({ config: { release: true }, notice: null });
  });

  it('npm run build -- --release --trust dev-key.json fails before building, with one clear line', async () => {
    const err = await buildRun(['--release', '--trust', DEV_KEY_PATH, '--out-dir', join(dir, 'never')]).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/refusing to embed the development key/);
  });
});

describe('the built loader trusts the keys it was built with', () => {
  const layout = (() => {
    const l = computeLayout({ size: 4 * 1024 * 1024, sectorSize: 4096, writeAlign: 4 });
    if (!l.ok) throw new Error(l.detail);
    return l.value;
  })();
  async function loaderBundle(config: ReturnType<typeof configForKeys>): Promise<string> {
    const r = await buildTarget({ source: loaderEntrySource('flash/main.ts', config), globalName: 'DialtoneLoader' });
    expect(r.errors).toEqual([]);
    expect(r.findings).toEqual([]);
    return r.code;
  }
  function boardWith(image: Uint8Array) {
    const flash = new SimFlash('nor-4m');
    writeSlot(flash, layout, SLOT_A, image);
    return fakeBoard(flash);
  }

  it('--trust owner.pub: boots images signed by the owner key, refuses the development key\'s', async () => {
    const code = await loaderBundle(resolveTrust({ trust: [ownerPub] }).config);
    expect(code).toContain(hex(testKey.publicKey));
    expect(code).not.toContain(DEV_PUBLIC_KEY);
    const owner = boardWith(makeImage('own', {}, 6000, testKey));
    runBundle(code, owner.hal);
    expect(owner.started).toHaveLength(1);
    expect(owner.lines[3]).toBe('');
    const dev = boardWith(makeImage('dev', {}, 6000, devKey));
    runBundle(code, dev.hal);
    expect(dev.started).toHaveLength(0);
    expect(dev.recoveries).toBe(1);
    expect(dev.lines[2]).toMatch(/unknown-key/);
  }, 30_000);

  it('a development build boots development-key images and shows "development key" at every boot', async () => {
    const code = await loaderBundle(resolveTrust({ trust: [] }).config);
    const b = boardWith(makeImage('dev', {}, 6000, devKey));
    for (let i = 0; i < 2; i++) {
      b.lines[3] = '';
      runBundle(code, b.hal);
      expect(b.lines[3]).toBe('development key');
    }
    expect(b.started).toHaveLength(2);
    expect(b.logs.filter((l) => /loader: development key/.test(l))).toHaveLength(2);
  }, 30_000);

  it('npm run build -- --trust owner.pub writes loader and recovery bundles with that key only', async () => {
    const out = join(dir, 'dist');
    const said: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { said.push(a.join(' ')); });
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await buildRun(['--trust', ownerPub, '--out-dir', out]);
    } finally {
      vi.restoreAllMocks();
    }
    expect(said.join('\n')).toMatch(new RegExp(`loader trusts key id ${hex(testKey.keyId)}`));
    expect(said.join('\n')).not.toMatch(/development build/);
    for (const f of ['bootloader.js', 'recovery.js']) {
      const code = readFileSync(join(out, f), 'utf8');
      expect(code).toContain(hex(testKey.publicKey));
      expect(code).not.toContain(DEV_PUBLIC_KEY);
    }
    const info = JSON.parse(readFileSync(join(out, 'build-info.json'), 'utf8'));
    expect(info.trust).toEqual({ keyIds: [hex(testKey.keyId)], release: false, developmentKey: false, allowDowngrade: false });
  }, 60_000);
});
