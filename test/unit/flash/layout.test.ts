import { describe, expect, it } from 'vitest';
import { computeLayout, boardGeometry, checkGeometry } from '../../../flash/layout';
import { FLASH_PRESETS } from '../../../hal/sim/flash';

describe('flash layout', () => {
  it('lays out the reference board: regions in order, sector aligned, inside the flash, no overlap', () => {
    const l = computeLayout(boardGeometry());
    expect(l.ok).toBe(true);
    if (!l.ok) return;
    const v = l.value;
    const regions = [v.loader, v.slots[0], v.slots[1], v.bootState, v.prefs];
    let end = 0;
    for (const r of regions) {
      expect(r.offset % 4096).toBe(0);
      expect(r.size % 4096).toBe(0);
      expect(r.offset).toBeGreaterThanOrEqual(end);
      end = r.offset + r.size;
    }
    expect(end).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(v.slots[0].size).toBe(v.slots[1].size);
    expect(v.maxImageSize).toBe(v.slots[0].size);
    // 4 MiB - 64 KiB loader - 8 KiB boot state - 64 KiB prefs, halved.
    expect(v.maxImageSize).toBe((4096 - 64 - 8 - 64) / 2 * 1024);
  });

  it('lays out every SimFlash preset big enough, with one-sector pages on 64 KiB sectors', () => {
    const l = computeLayout(FLASH_PRESETS['nor-8m-64k']);
    expect(l.ok && l.value.prefsPageSectors).toBe(1);
    expect(computeLayout(FLASH_PRESETS['nor-16m-align16']).ok).toBe(true);
  });

  it('refuses malformed or too small geometries with a typed error', () => {
    expect(checkGeometry({ size: 4096 * 10, sectorSize: 3000, writeAlign: 4 })).toMatchObject({ ok: false, error: 'malformed' });
    expect(checkGeometry({ size: 4096 * 10 + 1, sectorSize: 4096, writeAlign: 4 })).toMatchObject({ ok: false, error: 'malformed' });
    expect(checkGeometry({ size: 4096 * 10, sectorSize: 4096, writeAlign: 3 })).toMatchObject({ ok: false, error: 'malformed' });
    const small = computeLayout(FLASH_PRESETS.tiny);
    expect(small).toMatchObject({ ok: false, error: 'too-large' });
    // The same tiny flash fits once the loader and prefs shrink.
    expect(computeLayout(FLASH_PRESETS.tiny, { loaderBytes: 8192, prefsPages: 2, prefsPageBytes: 4096 }).ok).toBe(true);
  });
});
