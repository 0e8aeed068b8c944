/**
 * The serial recovery module's entry point (dist/recovery.js; the host calls
 * `DialtoneRecovery.main(hal)` when the loader calls hal.system.startRecovery, i.e. on the
 * loader's recovery row only). On a board it sits in the loader region with the loader:
 * not updatable, built from the same configuration (flash/config.ts), so it trusts the
 * same keys and allows a downgrade exactly when the loader does. `start` / `main` as in
 * flash/main.ts.
 */
import type { Hal } from '../hal/index';
import type { LoaderConfig } from './config';
import { developmentConfig, configKeys, downgradeAllowed } from './config';
import { computeLayout } from './layout';
import { LOG_ERROR } from '../hal/system';
import { serialRecovery } from './serial/recovery';

export function start(hal: Hal, config: LoaderConfig): void {
  const lay = computeLayout(hal.flash.geometry, config.layout);
  if (!lay.ok) {
    // The loader has shown the layout error already; answer nothing.
    hal.system.log(LOG_ERROR, 'recovery', 'flash layout: ' + lay.detail);
    return;
  }
  serialRecovery(hal, { layout: lay.value, keys: configKeys(hal.crypto, config), allowDowngrade: downgradeAllowed(config) });
}

export function main(hal: Hal, config?: LoaderConfig): void {
  start(hal, config !== undefined ? config : developmentConfig());
}
