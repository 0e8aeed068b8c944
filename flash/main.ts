/**
 * The bootstrap loader's entry point (dist/bootloader.js; the host calls
 * `DialtoneLoader.main(hal)`). The decision and verification are flash/loader.ts; with no
 * valid image the loader hands over to the serial recovery module through
 * hal.system.startRecovery (flash/recovery-main.ts, its own bundle: the boot path carries
 * no recovery code).
 *
 * `start(hal, config)` takes the build's configuration (flash/config.ts): `npm run build`
 * generates an entry that calls it with the trusted keys as a literal, so a loader built
 * with --trust contains no other key. `main(hal, config?)` is for native runs and for
 * bundles built straight from this file: without a config it is a development loader
 * trusting the development key.
 */
import type { Hal } from '../hal/index';
import type { LoaderConfig } from './config';
import { developmentConfig } from './config';
import { runLoader } from './loader';

export function start(hal: Hal, config: LoaderConfig): void {
  runLoader(hal, { config: config });
}

export function main(hal: Hal, config?: LoaderConfig): void {
  start(hal, config !== undefined ? config : developmentConfig());
}
