/**
 * The host's zod schema (tools/config/schema.ts) and the phone's validator
 * (firmware/config/config.ts validateConfig) accept and refuse the same values: generated
 * valid configs, the same with one field replaced by a bad value, and whole-config
 * breakages (order, duplicates, caps, sip against protocol). Seeded.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { validateConfig } from '../../../firmware/config/config';
import type { Config } from '../../../firmware/config/config';
import { ConfigSchema } from '../../../tools/config/schema';
import { config, BAD_VALUES, paths, mutate, structural } from './gen';

const zodOk = (v: unknown) => ConfigSchema.safeParse(v).success;
const targetOk = (v: unknown) => validateConfig(v as Config).ok;

describe('zod schema and target validator agree', () => {
  it('both accept every generated valid config', () => {
    fc.assert(fc.property(config(), (c) => {
      expect(zodOk(c)).toBe(true);
      expect(targetOk(c)).toBe(true);
    }), { seed: 101, numRuns: 500 });
  });

  it('agree on configs with one field replaced by a bad value', () => {
    let refused = 0;
    let total = 0;
    fc.assert(fc.property(config(), fc.nat(), fc.constantFrom(...BAD_VALUES), (c, n, bad) => {
      const ps = paths(c);
      const m = mutate(c, ps[n % ps.length], bad);
      const z = zodOk(m);
      expect(targetOk(m), JSON.stringify({ path: ps[n % ps.length], bad: String(bad) })).toBe(z);
      total++;
      if (!z) refused++;
    }), { seed: 102, numRuns: 3000 });
    // The property means something only if both outcomes occur.
    expect(refused).toBeGreaterThan(total / 2);
    expect(refused).toBeLessThan(total);
  });

  it('agree on whole-config breakages', () => {
    fc.assert(fc.property(config(), fc.nat(), (c, n) => {
      const m = structural(c, n);
      expect(targetOk(m)).toBe(zodOk(m));
    }), { seed: 103, numRuns: 700 });
  });

  it('agree on values that are not configs at all', () => {
    for (const v of [null, undefined, 1, 'x', [], {}, { kind: 'sep' }]) expect(targetOk(v)).toBe(zodOk(v));
  });
});
