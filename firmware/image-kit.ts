/**
 * The running image's side of the A/B scheme: which load runs (and whether on trial), and
 * its confirmation once it has registered. Used twice per boot, so in the image it is a
 * lazy module (firmware/lazy/image.ts) that is not resident in between; each call reads
 * the boot state from flash anew.
 */
import type { Hal } from '../hal/index';
import type { FlashLayout } from '../flash/layout';
import type { Settings } from '../flash/settings';
import type { BootState } from '../flash/bootstate';
import { BootStateStore } from '../flash/bootstate';
import { readRunning, confirmRunning } from '../flash/stage';
import type { RunningImage } from '../flash/stage';
import type { Result } from '../lib/result';

export function runningImage(hal: Hal, layout: FlashLayout): Result<RunningImage> {
  return readRunning(hal.flash, layout, new BootStateStore(hal.flash, layout));
}

/** Confirm the running image (idempotent); the rollback floor rises to its counter. */
export function confirmImage(hal: Hal, layout: FlashLayout, settings: Settings | null): Result<BootState> {
  return confirmRunning(hal.flash, layout, new BootStateStore(hal.flash, layout), settings);
}
