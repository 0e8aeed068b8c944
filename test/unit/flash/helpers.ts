/**
 * Shared fixtures for the flash tests: a small SimFlash layout, a fake HAL around it, and
 * signed images made with the host signer (tools/image/lib.ts). Images are signed with a
 * fixed test key (`testKey`, not the development key), and every loader the tests run is
 * configured with the key they sign with (`testConfig`, `loaderOptions`): the tests depend
 * on no built-in key.
 */
import { SimFlash } from '../../../hal/sim/flash';
import type { Hal } from '../../../hal/index';
import { RESET_POWER_ON } from '../../../hal/system';
import { computeLayout, type FlashLayout, type LayoutOptions } from '../../../flash/layout';
import { parseKey, signImage, generateKey, hostCrypto, type LoadedKey, type SignOptions, devKey as loadDevKey } from '../../../tools/image/lib';
import { trustedKey, type TrustedKey } from '../../../flash/image';
import type { LoaderConfig } from '../../../flash/config';
import type { LoaderOptions } from '../../../flash/loader';
import { configForKeys } from '../../../tools/image/trust';
import { BootStateStore } from '../../../flash/bootstate';
import { beginStaging } from '../../../flash/stage';
import { asciiBytes } from '../../../lib/bytes';

/** 256 KiB, 4 KiB sectors, 4-byte unit; small loader and prefs so slots stay roomy. */
export const SMALL_GEOMETRY = { size: 256 * 1024, sectorSize: 4096, writeAlign: 4 };
export const SMALL_LAYOUT: LayoutOptions = { loaderBytes: 16 * 1024, prefsPages: 3, prefsPageBytes: 8 * 1024 };

export function smallLayout(geometry = SMALL_GEOMETRY, options = SMALL_LAYOUT): FlashLayout {
  const l = computeLayout(geometry, options);
  if (!l.ok) throw new Error(l.detail);
  return l.value;
}

export const devKey: LoadedKey = loadDevKey();
export const otherKey: LoadedKey = parseKey(generateKey().json, 'other key');
export const devTrusted: TrustedKey[] = [trustedKey(hostCrypto, devKey.publicKey)];
/** The key the flash tests sign with (fixed, so runs are reproducible; not the development key). */
export const testKey: LoadedKey = parseKey(JSON.stringify({
  type: 'ed25519', private: '5d1a1f0e3c2b4a59687766554433221100ffeeddccbbaa998877665544332211',
}), 'test key');
export const testTrusted: TrustedKey[] = [trustedKey(hostCrypto, testKey.publicKey)];
/** A development loader on the small layout trusting the test key. */
export const testConfig: LoaderConfig = configForKeys([testKey], { layout: SMALL_LAYOUT });
/** runLoader options for the small layout and the test key (plus `extra`). */
export function loaderOptions(extra: Partial<LoaderConfig> = {}): LoaderOptions {
  return { config: { ...testConfig, ...extra } };
}

/** A payload of `size` bytes that starts with a recognisable text. */
export function payload(tag: string, size = 6000): Uint8Array {
  const p = new Uint8Array(size);
  for (let i = 0; i < size; i++) p[i] = (i * 31 + tag.length * 7) & 0xff;
  p.set(asciiBytes(`/* ${tag} */`));
  return p;
}

export function makeImage(tag: string, opts: Partial<SignOptions> = {}, size = 6000, key: LoadedKey = testKey): Uint8Array {
  return signImage(payload(tag, size), key, {
    loadId: opts.loadId ?? `SIP78xx.${tag}`,
    version: opts.version ?? { major: 1, minor: 0, revision: 0, build: 0 },
    securityCounter: opts.securityCounter ?? 1,
    buildTime: opts.buildTime ?? 1_700_000_000,
    flags: opts.flags,
    maxImageSize: opts.maxImageSize ?? 1 << 30,
  });
}

/** Write raw image bytes into a slot through the stager (chunked like a TFTP download). */
export function writeSlot(flash: SimFlash, layout: FlashLayout, slot: number, image: Uint8Array, chunk = 512): void {
  const boot = new BootStateStore(flash, layout);
  const st = beginStaging(flash, layout, boot, { slot, totalLength: image.length });
  if (!st.ok) throw new Error(st.detail);
  for (let i = 0; i < image.length; i += chunk) {
    const r = st.value.write(image.subarray(i, Math.min(image.length, i + chunk)));
    if (!r.ok) throw new Error(r.detail);
  }
  const f = st.value.finish();
  if (!f.ok) throw new Error(f.detail);
}

export interface FakeBoard {
  hal: Hal;
  lines: string[];
  logs: string[];
  started: Array<{ offset: number; length: number }>;
  /** Calls of hal.system.startRecovery. */
  recoveries: number;
  feeds: number;
  reason: string;
}

/** A HAL with just what the loader and the stores touch. */
export function fakeBoard(flash: SimFlash, reason: string = RESET_POWER_ON): FakeBoard {
  const b: FakeBoard = { hal: undefined as unknown as Hal, lines: ['', '', '', ''], logs: [], started: [], recoveries: 0, feeds: 0, reason };
  b.hal = {
    flash,
    crypto: hostCrypto,
    display: { setLine: (i: number, t: string) => { b.lines[i] = t; }, clear: () => { b.lines = ['', '', '', '']; } },
    system: {
      resetReason: () => b.reason,
      reset: () => undefined,
      watchdogStart: () => undefined,
      watchdogFeed: () => { b.feeds++; },
      startImage: (offset: number, length: number) => { b.started.push({ offset, length }); },
      startRecovery: () => { b.recoveries++; },
      log: (_l: number, tag: string, m: string) => { b.logs.push(`${tag}: ${m}`); },
    },
  } as unknown as Hal;
  return b;
}

export function newFlash(geometry = SMALL_GEOMETRY): SimFlash {
  return new SimFlash(geometry);
}
