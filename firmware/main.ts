/**
 * The phone image's entry point. The loader (or a host runner) calls `main(hal)` once the
 * image is verified; everything after is event-driven.
 *
 * It mounts the preferences, reads the network settings (bad or missing settings fall back
 * to DHCP defaults: stored input never stops the boot), learns the running load ID from the
 * image header, and starts the boot sequence. A test boot is confirmed when the boot reaches
 * its last built step (with CallManager registration this moves to "registered").
 */
import type { Hal } from '../hal/index';
import { LOG_INFO, LOG_WARN } from '../hal/system';
import { computeLayout } from '../flash/layout';
import type { FlashLayout } from '../flash/layout';
import { PrefsStore } from '../flash/prefs';
import { Settings } from '../flash/settings';
import { loadImageKit } from './lazy/image';
import { BootSequence } from './boot';
import type { Lease } from './dhcp/lease';
import { defaultNetworkSettings, decodeNetworkSettings, encodeNetworkSettings } from './netconfig';
import type { NetworkSettings } from './netconfig';
import { describe } from '../lib/result';

/** What this board says it is (CDP Platform, DHCP option 60 "IP Phone CP-7960"). */
export const MODEL = '7960';
export const PLATFORM = 'Cisco IP Phone 7960';
/** Load ID reported when no image header can be read (a host run without a loader). */
export const UNKNOWN_LOAD = 'DT7960.dev';

function loadSettings(hal: Hal, settings: Settings | null): NetworkSettings {
  if (settings === null) return defaultNetworkSettings();
  const stored = settings.getNetwork();
  if (stored === null) return defaultNetworkSettings();
  const d = decodeNetworkSettings(stored);
  if (!d.ok) {
    hal.system.log(LOG_WARN, 'main', 'stored network settings unusable (' + describe(d) + '): using DHCP defaults');
    return defaultNetworkSettings();
  }
  return d.value;
}

export function main(hal: Hal): void {
  hal.display.clear();
  let layout: FlashLayout | null = null;
  let settings: Settings | null = null;
  const lay = computeLayout(hal.flash.geometry);
  if (lay.ok) {
    layout = lay.value;
    const prefs = new PrefsStore(hal.flash, layout);
    const m = prefs.mount();
    if (m.ok) settings = new Settings(prefs);
    else hal.system.log(LOG_WARN, 'main', 'preferences unavailable: ' + describe(m));
  } else {
    hal.system.log(LOG_WARN, 'main', 'flash layout: ' + describe(lay));
  }

  let loadId = UNKNOWN_LOAD;
  let testBoot = false;
  if (layout !== null) {
    // The image kit (flash/stage, flash/image, flash/bootstate) is a lazy module: loaded
    // here and at the confirmation, not resident in between.
    const running = loadImageKit().runningImage(hal, layout);
    if (running.ok) {
      loadId = running.value.loadId;
      testBoot = running.value.testBoot;
    }
  }
  hal.system.log(LOG_INFO, 'main', 'running ' + loadId + (testBoot ? ' (test boot)' : ''));

  const net = loadSettings(hal, settings);
  const store = settings;
  const boot = new BootSequence(hal, {
    identity: { model: MODEL, loadId: loadId, platform: PLATFORM, requestMw: hal.poe.requiredMw() },
    settings: net,
    saveLease: function (lease: Lease): void {
      if (store === null) return;
      net.lastLease = lease;
      const w = store.setNetwork(encodeNetworkSettings(net));
      if (!w.ok) hal.system.log(LOG_WARN, 'main', 'lease not stored: ' + describe(w));
    },
    onComplete: function (): void {
      if (!testBoot || layout === null) return;
      const c = loadImageKit().confirmImage(hal, layout, null);
      hal.system.log(c.ok ? LOG_INFO : LOG_WARN, 'main', c.ok ? 'test image ' + loadId + ' confirmed' : 'confirm failed: ' + describe(c));
    },
  });
  boot.start();
}
