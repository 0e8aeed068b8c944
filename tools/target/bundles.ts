/**
 * The phone's bundles for the engine runs, built in memory the way `npm run build` builds
 * them (tools/build buildTarget: esbuild + the target lint), never read from dist/, so a
 * run always has the tree's code: the loader (flash/main.ts, DialtoneLoader), the firmware
 * (firmware/main.ts, DialtoneFirmware; signed with the development key as the lab's image),
 * and serial recovery (flash/recovery-main.ts, DialtoneRecovery) when the tree has it.
 * Development loaders: no trust list is passed, so they trust the development key.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildTarget, REPO_ROOT } from '../build/build';
import { asciiBytes } from '../../lib/bytes';
import type { Bundle } from '../../hal/target/runner';
import { devImage } from '../lab/provision';

export interface PhoneBundles {
  loader: Bundle;
  firmware: Bundle;
  recovery?: Bundle;
  /** The firmware bundle signed with the development key (the lab's slot A image). */
  image: Uint8Array;
}

async function one(entry: string, globalName: string, filename: string): Promise<Bundle> {
  const r = await buildTarget({ entry: path.join(REPO_ROOT, entry), globalName, mangleProps: true });
  if (!r.ok || !r.code) {
    const why = [...r.errors.map((e) => e.text), ...r.findings.map((f) => JSON.stringify(f))].join('; ');
    throw new Error(`${entry}: bundle failed to build: ${why}`);
  }
  return { code: r.code, filename, globalName };
}

let cache: Promise<PhoneBundles> | null = null;

/** Build once per process. */
export function phoneBundles(): Promise<PhoneBundles> {
  if (!cache) {
    cache = (async () => {
      const loader = await one('flash/main.ts', 'DialtoneLoader', 'bootloader.js');
      const firmware = await one('firmware/main.ts', 'DialtoneFirmware', 'firmware.js');
      const recovery = fs.existsSync(path.join(REPO_ROOT, 'flash/recovery-main.ts'))
        ? await one('flash/recovery-main.ts', 'DialtoneRecovery', 'recovery.js') : undefined;
      return { loader, firmware, recovery, image: devImage(asciiBytes(firmware.code)) };
    })();
    cache.catch(() => { cache = null; });
  }
  return cache;
}
