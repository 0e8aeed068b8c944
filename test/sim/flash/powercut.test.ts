import { describe, expect, it } from 'vitest';
import { scenarios, sweep, MODES } from './sweep';

// Every scenario: cut at each of its flash operations in every mode (before, after, torn,
// torn-bits), reboot, check the invariants (acknowledged writes kept, the booted image
// validated on its own and named by the boot state, the floor never down, preferences
// writable); then a second cut in every mode at every operation of the recovery run.
describe('power-cut sweep', () => {
  let total = 0;
  const pairs = new Set<string>();
  for (const s of scenarios()) {
    it(s.name, () => {
      const r = sweep(s);
      total += r.single + r.double;
      for (const k of Object.keys(r.pairs)) pairs.add(k);
      console.log(`power-cut sweep: ${s.name}: ${r.ops} ops, ${r.single} single cuts, ${r.double} double cuts; booted ${JSON.stringify(r.outcomes)}`);
      // The sweep reached every outcome the scenario allows (its cuts cross the transition).
      expect(Object.keys(r.outcomes).sort()).toEqual([...s.allowed].sort());
    }, 120_000);
  }
  it('cut in every mode pair; prints the cut-point count', () => {
    console.log(`power-cut sweep: ${total} cut points tried (double cuts in ${pairs.size} mode pairs)`);
    expect([...pairs].sort()).toEqual(MODES.flatMap((a) => MODES.map((b) => `${a}>${b}`)).sort());
  });
});
