/**
 * The bootstrap loader's entry point (dist/bootloader.js). Placeholder until flash/loader.ts
 * lands: it only says it is there.
 */
import type { Hal } from '../hal/index';
import { LOG_INFO } from '../hal/system';

export function main(hal: Hal): void {
  hal.system.log(LOG_INFO, 'loader', 'loader started');
}
