/**
 * Factory provisioning of a simulated phone's flash: a signed image in slot A (written
 * through the firmware's own staging API, as a download would) and, optionally, stored
 * network settings. The loader then finds the image on first power-on (decision table row
 * "fallback": nothing confirmed yet, the first valid slot boots as a trial) and the
 * firmware confirms it once its boot works (flash/stage.ts confirmRunning).
 *
 * The lab signs with `labSigningKey()` and its phones' loaders must trust that key:
 * `labLoaderConfig()` is the configuration to pass to flash/main.ts and
 * flash/recovery-main.ts `main(hal, config)`, so changing the key here changes both.
 */
import type { NorFlash } from '../../hal/flash';
import { computeLayout } from '../../flash/layout';
import type { FlashLayout } from '../../flash/layout';
import { BootStateStore } from '../../flash/bootstate';
import { beginStaging } from '../../flash/stage';
import { PrefsStore } from '../../flash/prefs';
import { Settings } from '../../flash/settings';
import { SLOT_A } from '../../flash/constants';
import { devKey, signImage, type LoadedKey } from '../image/lib';
import { configForKeys } from '../image/trust';
import type { LoaderConfig } from '../../flash/config';
import { buildTarget, REPO_ROOT } from '../build/build';
import { defaultNetworkSettings, encodeNetworkSettings, validateNetworkSettings } from '../../firmware/netconfig';
import type { NetworkSettings } from '../../firmware/netconfig';
import { asciiBytes } from '../../lib/bytes';
import path from 'node:path';

/** The load ID the lab's phones run (CDP Software Version, the image's load ID). */
export const LAB_LOAD_ID = 'DT7960.0-1-0';

/** The key the lab signs with (the development key: the lab is a development setup). */
export function labSigningKey(): LoadedKey {
  return devKey();
}

/** The loader configuration of the lab's phones: they trust the key the lab signs with. */
export function labLoaderConfig(): LoaderConfig {
  return configForKeys([labSigningKey()]);
}

/** Sign `payload` with the lab's key (fixed build time so runs are reproducible). */
export function devImage(payload: Uint8Array, loadId = LAB_LOAD_ID): Uint8Array {
  return signImage(payload, labSigningKey(), { loadId, buildTime: 0 });
}

let firmwareImageCache: Uint8Array | null = null;
/** The real firmware bundle (built in memory as `npm run build` does), signed. */
export async function firmwareImage(): Promise<Uint8Array> {
  if (firmwareImageCache) return firmwareImageCache;
  const r = await buildTarget({ entry: path.join(REPO_ROOT, 'firmware/main.ts'), globalName: 'DialtoneFirmware', mangleProps: true });
  if (!r.ok) {
    const why = [...r.errors.map((e) => e.text), ...r.findings.map((f) => JSON.stringify(f))].join('; ');
    throw new Error(`firmware bundle failed to build: ${why}`);
  }
  firmwareImageCache = devImage(asciiBytes(r.code));
  return firmwareImageCache;
}

/** A small signed stand-in for tests that run the firmware natively and only need the loader to pass. */
export function placeholderImage(): Uint8Array {
  return devImage(asciiBytes('var DialtoneFirmware=(function(){return{main:function(){}}})();'));
}

export interface ProvisionOptions {
  image: Uint8Array;
  settings?: Partial<NetworkSettings>;
}

export function provisionFlash(flash: NorFlash, options: ProvisionOptions): FlashLayout {
  const lay = computeLayout(flash.geometry);
  if (!lay.ok) throw new Error(`provision: ${lay.detail}`);
  const layout = lay.value;
  const boot = new BootStateStore(flash, layout);
  const st = beginStaging(flash, layout, boot, { slot: SLOT_A, totalLength: options.image.length });
  if (!st.ok) throw new Error(`provision: ${st.detail}`);
  const w = st.value.write(options.image);
  if (!w.ok) throw new Error(`provision: ${w.detail}`);
  const f = st.value.finish();
  if (!f.ok) throw new Error(`provision: ${f.detail}`);
  if (options.settings) {
    const s: NetworkSettings = { ...defaultNetworkSettings(), ...options.settings };
    const v = validateNetworkSettings(s);
    if (!v.ok) throw new Error(`provision: settings: ${v.detail}`);
    const prefs = new PrefsStore(flash, layout);
    const m = prefs.mount();
    if (!m.ok) throw new Error(`provision: prefs: ${m.detail}`);
    const r = new Settings(prefs).setNetwork(encodeNetworkSettings(s));
    if (!r.ok) throw new Error(`provision: prefs: ${r.detail}`);
  }
  return layout;
}
