/**
 * The memory gates (hal/target/budgets.ts) against the real boot: the loader and firmware
 * bundles (built in the test) boot against the lab in QuickJS and in XS to the last built
 * stage and run on for a minute of steady state, and every sample (each host call, each
 * event's end) stays under the engine's gate. The figures are printed beside the goals.
 * This is `npm run target` as a test; over a gate it fails with the figure and the event.
 */
import { describe, expect, it } from 'vitest';
import { bootOnLab } from '../../tools/target/cli';
import { phoneBundles } from '../../tools/target/bundles';
import { xsWorkerAvailable } from '../../hal/target/xsnap';

const engines = (xsWorkerAvailable() ? ['quickjs', 'xs'] : ['quickjs']) as ('quickjs' | 'xs')[];

describe('the real boot on each engine, under its gate', () => {
  for (const engine of engines) {
    it(`${engine}: ready, then 60 s of steady state, under the gate`, async () => {
      const lines: string[] = [];
      const r = await bootOnLab(engine, await phoneBundles(), { engines: [engine], ms: 60_000, seed: 1, loss: 0, verbose: false }, (l) => lines.push(l));
      console.log(`[target] ${lines.join('\n')}`);
      expect(r.report.stop, r.report.stop?.message).toBeNull();
      expect(r.readyAtMs).toBeGreaterThan(0);
      expect(r.report.memory.steadyMeasured).toBe(true);
      expect(r.report.memory.peak.bytes).toBeLessThanOrEqual(r.report.budget);
    }, 300_000);
  }
});
