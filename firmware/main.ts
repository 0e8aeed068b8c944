/**
 * The phone image's entry point. The loader (or a host runner) calls `main(hal)` once the
 * image is verified; everything else is event-driven from here.
 * Placeholder until the boot state machine (firmware/boot.ts) lands: it exercises the HAL.
 */
import type { Hal } from '../hal/index';
import { LOG_INFO } from '../hal/system';

export function main(hal: Hal): void {
  hal.display.setLine(0, 'Dialtone');
  hal.system.log(LOG_INFO, 'main', 'image started');
}
