/**
 * The bootstrap loader's entry point (dist/bootloader.js; the build calls
 * `DialtoneLoader.main(hal)`). The decision and verification are flash/loader.ts; with no
 * valid image it hands over to serial recovery (flash/serial/recovery.ts) on the same layout.
 */
import type { Hal } from '../hal/index';
import type { FlashLayout } from './layout';
import { runLoader } from './loader';
import { serialRecovery } from './serial/recovery';

function recover(hal: Hal, layout: FlashLayout): void {
  serialRecovery(hal, { layout: layout });
}

export function main(hal: Hal): void {
  runLoader(hal, { recovery: recover });
}
