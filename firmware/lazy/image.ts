// @lazy-owns firmware/image-kit.ts flash/stage.ts flash/image.ts flash/bootstate.ts flash/floor.ts flash/keys.ts
/**
 * Seam of the running image's kit (firmware/image-kit.ts), used at start and at confirmation:
 * natively an eager import, in a target build evaluated per call (tools/build/lazy.ts).
 */
import * as impl from '../image-kit';

export type ImageKit = typeof impl;

export function loadImageKit(): ImageKit {
  return impl;
}
