/**
 * The loader's build configuration: which keys it trusts, whether it is a release loader,
 * and the development-only downgrade override. It reaches the loader in one of two ways:
 *
 *   - bundles: `npm run build -- --trust KEY.pub [--trust KEY2.pub] [--release]
 *     [--allow-downgrade]` generates the entry of dist/bootloader.js and dist/recovery.js
 *     as `main(hal) { start(hal, <this config as a literal>) }` (tools/image/trust.ts), so the
 *     keys are in the loader's code, as MCUboot builds its keys into the bootloader;
 *   - native runs (the lab, `dialtone board`, tests): the caller passes a LoaderConfig to
 *     flash/main.ts `main(hal, config)` / flash/recovery-main.ts `main(hal, config)`
 *     (tools/image/trust.ts `configForKeys` makes one for the keys it signs with).
 *
 * Called without a config (a bundle built straight from flash/main.ts, as the engine tests
 * do) the loader is a development loader that trusts the development key and says so at
 * every boot. The build decides `developmentKey` (it knows tools/image/dev-key.json) and
 * refuses that key and the override in a release build; the loader shows "development
 * key" when told so and ignores the override when `release` is set.
 */
import type { Crypto } from '../hal/crypto';
import type { TrustedKey } from './image';
import type { LayoutOptions } from './layout';
import { DEV_PUBLIC_KEY, trustedKeys } from './keys';

export interface LoaderConfig {
  /** Trusted Ed25519 public keys, 64 hex digits each. */
  keys: string[];
  /** A release loader: no downgrade override, no "development key" (the build refuses that key). */
  release: boolean;
  /** Development loaders only: images below the floor or older than the confirmed one boot. */
  allowDowngrade: boolean;
  /** `keys` holds the development key: the loader says so in the log and on the display. */
  developmentKey?: boolean;
  /** Layout overrides for small boards (tests); the firmware must use the same. */
  layout?: LayoutOptions;
}

/** What a loader built without --trust is. */
export function developmentConfig(): LoaderConfig {
  return { keys: [DEV_PUBLIC_KEY], release: false, allowDowngrade: false, developmentKey: true };
}

/** The keys `config` trusts. */
export function configKeys(crypto: Crypto, config: LoaderConfig): TrustedKey[] {
  return trustedKeys(crypto, config.keys);
}

/** Does `config` make the loader trust the development key? */
export function trustsDevKey(config: LoaderConfig): boolean {
  return config.developmentKey === true;
}

/** The downgrade override is on (development loaders only). */
export function downgradeAllowed(config: LoaderConfig): boolean {
  return config.allowDowngrade && !config.release;
}
