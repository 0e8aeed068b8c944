import { describe, expect, it } from 'vitest';
import { scenarios, sweep } from './sweep';

// Every scenario: cut before/after/torn at each of its flash operations, reboot, check that
// a valid signed image (old or new, the one the boot state names) boots and every
// preference is old or new; then a second torn cut at every op of the recovery run.
describe('power-cut sweep', () => {
  const all = scenarios();
  let total = 0;
  for (const s of all) {
    it(s.name, () => {
      const r = sweep(s);
      total += r.single + r.double;
      console.log(`power-cut sweep: ${s.name}: ${r.ops} ops, ${r.single} single cuts, ${r.double} double cuts; booted ${JSON.stringify(r.outcomes)}`);
      expect(r.ops).toBeGreaterThan(0);
      expect(r.single).toBe(3 * r.ops);
    });
  }
  it('reports the total', () => {
    console.log(`power-cut sweep: ${total} cut points tried`);
    expect(total).toBeGreaterThan(100);
  });
});
