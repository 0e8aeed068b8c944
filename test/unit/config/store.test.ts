/**
 * The stored last good configuration (firmware/config/store.ts): round trip on generated
 * and real configs, its size, and a stored copy that does not decode reads as absent
 * (every truncation, every single-byte change: null or a valid Config, never a throw).
 * Also through the real preferences store (Settings.setLastConfig/getLastConfig).
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { encodeConfig, decodeConfig, saveLastConfig, loadLastConfig, CONFIG_FORMAT } from '../../../firmware/config/store';
import { validateConfig } from '../../../firmware/config/config';
import { parseConfig } from '../../../firmware/config/sink';
import { haveFixtures, fixture } from '../../fixtures';
import { config } from './gen';
import { SimFlash, FLASH_PRESETS } from '../../../hal/sim/flash';
import { computeLayout } from '../../../flash/layout';
import { PrefsStore } from '../../../flash/prefs';
import { Settings } from '../../../flash/settings';

const SEP = 'chan-sccp__SEP0000000000.cnf.xml_797x_extended_template';

describe('stored configuration', () => {
  it('decode(encode(c)) is c for generated configs, and the encoding is canonical', () => {
    fc.assert(fc.property(config(), (c) => {
      const b = encodeConfig(c);
      expect(b[0]).toBe(CONFIG_FORMAT);
      expect(decodeConfig(b)).toEqual(c);
      expect(encodeConfig(decodeConfig(b)!)).toEqual(b);
    }), { seed: 201, numRuns: 400 });
  });

  it.skipIf(!haveFixtures)('a real SEP file is a few hundred bytes stored', () => {
    const r = parseConfig(new Uint8Array(readFileSync(fixture(SEP))), 'xml', {});
    if (!r.ok) throw new Error(r.detail);
    const b = encodeConfig(r.value);
    expect(decodeConfig(b)).toEqual(r.value);
    console.log(`[store] ${SEP}: ${readFileSync(fixture(SEP)).length} bytes of XML -> ${b.length} bytes stored`);
    expect(b.length).toBeLessThan(1200);
  });

  it('every truncation and every single-byte change reads as absent or as a valid config', () => {
    fc.assert(fc.property(config(), fc.nat(), fc.integer({ min: 0, max: 255 }), (c, at, v) => {
      const b = encodeConfig(c);
      for (let n = 0; n < b.length; n++) expect(decodeConfig(b.subarray(0, n))).toBeNull();
      const x = b.slice();
      x[at % b.length] = v;
      const d = decodeConfig(x);
      if (d !== null) expect(validateConfig(d).ok).toBe(true);
      const longer = new Uint8Array(b.length + 1);
      longer.set(b);
      expect(decodeConfig(longer)).toBeNull();
    }), { seed: 202, numRuns: 300 });
    expect(decodeConfig(null)).toBeNull();
    expect(decodeConfig(new Uint8Array(0))).toBeNull();
    expect(decodeConfig(new Uint8Array([CONFIG_FORMAT + 1]))).toBeNull();
  });

  it('saveLastConfig / loadLastConfig through the preferences in flash', () => {
    fc.assert(fc.property(config(), (c) => {
      const flash = new SimFlash(FLASH_PRESETS['nor-4m']);
      const lay = computeLayout(flash.geometry);
      if (!lay.ok) throw new Error(lay.detail);
      const prefs = new PrefsStore(flash, lay.value);
      expect(prefs.mount().ok).toBe(true);
      const s = new Settings(prefs);
      expect(loadLastConfig(s)).toBeNull();
      expect(saveLastConfig(s, c).ok).toBe(true);
      expect(loadLastConfig(s)).toEqual(c);
      // A stored copy that does not decode reads as absent.
      s.setLastConfig(new Uint8Array([CONFIG_FORMAT, 9]));
      expect(loadLastConfig(s)).toBeNull();
    }), { seed: 203, numRuns: 20 });
  });
});
