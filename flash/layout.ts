/**
 * The flash layout: where the loader, slot A, slot B, the boot state and the preferences
 * live, computed from the board's FlashGeometry. Every region starts and ends on a sector
 * boundary; the slots get what is left, split evenly. The largest image that fits is a
 * slot (images carry no trailer: boot state lives in its own region).
 *
 *   0 ............ loader (LAYOUT_LOADER_BYTES, whole sectors)
 *   slot A ........ (size - loader - bootstate - prefs) / 2, rounded down to sectors
 *   slot B ........ same size
 *   boot state .... LAYOUT_BOOTSTATE_SECTORS sectors
 *   preferences ... LAYOUT_PREFS_PAGES pages of ceil(LAYOUT_PREFS_PAGE_BYTES / sector) sectors
 *   (an odd sector left over by the halving stays unused between slot B and the boot state)
 *
 * computeLayout never throws: a geometry it cannot lay out is a typed error that the
 * loader shows at start and `dialtone sign` prints.
 */
import type { FlashGeometry } from '../hal/flash';
import { ok, fail } from '../lib/result';
import type { Result } from '../lib/result';
import {
  LAYOUT_LOADER_BYTES, LAYOUT_BOOTSTATE_SECTORS, LAYOUT_PREFS_PAGES, LAYOUT_PREFS_PAGE_BYTES,
  LAYOUT_MIN_SLOT_SECTORS, BOARD_FLASH_SIZE, BOARD_SECTOR_SIZE, BOARD_WRITE_ALIGN,
  BS_RECORD_SIZE,
} from './constants';

export interface Region {
  /** Byte address of the first byte (sector aligned). */
  readonly offset: number;
  /** Bytes (a whole number of sectors). */
  readonly size: number;
}

export interface FlashLayout {
  readonly geometry: FlashGeometry;
  readonly loader: Region;
  /** slots[SLOT_A], slots[SLOT_B]. */
  readonly slots: Region[];
  readonly bootState: Region;
  readonly prefs: Region;
  /** Sectors in one preferences page, and pages in the ring. */
  readonly prefsPageSectors: number;
  readonly prefsPages: number;
  /** The largest signed image (header + payload + TLVs) that fits a slot, in bytes. */
  readonly maxImageSize: number;
}

/** Overrides for small boards and tests; every field is optional. */
export interface LayoutOptions {
  loaderBytes?: number;
  prefsPages?: number;
  prefsPageBytes?: number;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && n === Math.floor(n) && (n & (n - 1)) === 0;
}

function isWhole(n: number): boolean {
  return typeof n === 'number' && n >= 0 && n === Math.floor(n) && n < 0x100000000;
}

/** Check a geometry on its own: sizes whole, sector a power of two dividing the size, etc. */
export function checkGeometry(g: FlashGeometry): Result<FlashGeometry> {
  if (!isWhole(g.size) || !isWhole(g.sectorSize) || !isWhole(g.writeAlign)) {
    return fail('malformed', 'flash geometry: sizes must be whole numbers below 4 GiB');
  }
  if (!isPowerOfTwo(g.sectorSize)) return fail('malformed', 'flash geometry: sector size ' + g.sectorSize + ' is not a power of two');
  if (!isPowerOfTwo(g.writeAlign)) return fail('malformed', 'flash geometry: write unit ' + g.writeAlign + ' is not a power of two');
  if (g.writeAlign > g.sectorSize) return fail('malformed', 'flash geometry: write unit larger than a sector');
  if (g.writeAlign > BS_RECORD_SIZE * 8) return fail('unsupported', 'flash geometry: write unit ' + g.writeAlign + ' too large');
  if (g.size % g.sectorSize !== 0) return fail('malformed', 'flash geometry: size ' + g.size + ' is not a whole number of sectors');
  return ok(g);
}

function roundUp(n: number, unit: number): number {
  return Math.ceil(n / unit) * unit;
}

/** Lay out `geometry`; a typed error when it is malformed or too small for two slots. */
export function computeLayout(geometry: FlashGeometry, options?: LayoutOptions): Result<FlashLayout> {
  const g = checkGeometry(geometry);
  if (!g.ok) return g;
  const sector = geometry.sectorSize;
  const loaderBytes = options !== undefined && options.loaderBytes !== undefined ? options.loaderBytes : LAYOUT_LOADER_BYTES;
  const pages = options !== undefined && options.prefsPages !== undefined ? options.prefsPages : LAYOUT_PREFS_PAGES;
  const pageBytes = options !== undefined && options.prefsPageBytes !== undefined ? options.prefsPageBytes : LAYOUT_PREFS_PAGE_BYTES;
  if (!isWhole(loaderBytes) || !isWhole(pages) || !isWhole(pageBytes) || pages < 2 || pageBytes < 1) {
    return fail('malformed', 'layout options: loader bytes, prefs pages (>= 2) and page bytes must be whole numbers');
  }
  const loaderSize = roundUp(loaderBytes, sector);
  const pageSectors = Math.max(1, Math.ceil(pageBytes / sector));
  const prefsSize = pages * pageSectors * sector;
  const bootSize = LAYOUT_BOOTSTATE_SECTORS * sector;
  const left = geometry.size - loaderSize - prefsSize - bootSize;
  const slotSize = Math.floor(left / 2 / sector) * sector;
  if (slotSize < LAYOUT_MIN_SLOT_SECTORS * sector) {
    return fail('too-large', 'flash layout: ' + geometry.size + ' bytes leave ' + (left > 0 ? left : 0) +
      ' for two slots; each needs at least ' + LAYOUT_MIN_SLOT_SECTORS + ' sectors of ' + sector);
  }
  const slotA = { offset: loaderSize, size: slotSize };
  const slotB = { offset: loaderSize + slotSize, size: slotSize };
  const bootState = { offset: loaderSize + 2 * slotSize, size: bootSize };
  const prefs = { offset: bootState.offset + bootSize, size: prefsSize };
  return ok({
    geometry: geometry,
    loader: { offset: 0, size: loaderSize },
    slots: [slotA, slotB],
    bootState: bootState,
    prefs: prefs,
    prefsPageSectors: pageSectors,
    prefsPages: pages,
    maxImageSize: slotSize,
  });
}

/** The reference board's geometry (what `dialtone sign` checks against by default). */
export function boardGeometry(): FlashGeometry {
  return { size: BOARD_FLASH_SIZE, sectorSize: BOARD_SECTOR_SIZE, writeAlign: BOARD_WRITE_ALIGN };
}

/** True when [offset, offset+length) lies inside `region`. */
export function inRegion(region: Region, offset: number, length: number): boolean {
  return offset >= region.offset && length >= 0 && offset + length <= region.offset + region.size;
}
