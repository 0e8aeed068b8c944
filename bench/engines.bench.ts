/**
 * Engines: the phone's real bundles booting against the lab to the last built stage, then
 * 60 s of steady state, per engine (native, QuickJS, XS): host time of the boot and the
 * memory figures (hal/target/budgets.ts) beside their goals. Gates are lifted here so the
 * figures are measured even over them (`npm run target` and test/target/gates.test.ts
 * enforce them).
 */
import { performance } from 'node:perf_hooks';
import type { BenchRow } from './types';
import { Lab } from '../tools/lab/lab';
import { phoneBundles } from '../tools/target/bundles';
import { xsWorkerAvailable } from '../hal/target/xsnap';
import { budgetOf } from '../hal/target/budgets';
import type { EngineKind } from '../hal/target/engine';

const KiB = 1024;

async function bootTimed(engine: EngineKind): Promise<{ ms: number; cpuMs: number; ready: boolean; lab: Lab }> {
  const bundles = await phoneBundles();
  const lab = await Lab.create({ engine, bundles, image: bundles.image, seed: 1, budgetBytes: 64 << 20 });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  lab.start();
  lab.sched.run(600_000, () => lab.allReady() || lab.engineStopped());
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const ready = lab.allReady();
  if (ready) {
    lab.phones[0].engine.markSteady();
    lab.sched.run(lab.sched.now() + 60_000, () => lab.engineStopped());
  }
  return { ms, cpuMs: (c.user + c.system) / 1000, ready, lab };
}

export async function bench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const engines: EngineKind[] = ['native', 'quickjs', 'xs'];
  let nativeMs = 0;
  for (const engine of engines) {
    if (engine === 'xs' && !xsWorkerAvailable()) {
      rows.push({ figure: 'xs: boot to ready', ours: null, unit: 'ms', note: 'XS worker not built (node tools/target/xs/build-worker.mjs)' });
      continue;
    }
    const { ms, cpuMs, ready, lab } = await bootTimed(engine);
    try {
      if (engine === 'native') nativeMs = ms;
      rows.push({
        figure: `${engine}: boot to ready, host time`, ours: ready ? ms : null, reference: engine === 'native' ? null : nativeMs, unit: 'ms',
        note: `${ready ? '' : 'did not reach ready; '}host CPU of this process ${cpuMs.toFixed(0)} ms${engine === 'xs' ? ' (the XS machine runs in its worker process, not counted there)' : ''}; reference: native`,
      });
      const r = lab.phones[0].engine.report();
      if (!r) continue;
      const m = r.memory;
      const b = budgetOf(r.engine);
      const goal = (f: 'steady' | 'peak'): BenchRow['reference'] => b.goals.find((g) => g.figure === f)?.bytes ?? null;
      const kib = (n: number): number => n / KiB;
      const slots = (s: number, c: number): string => (m.xs ? ` (${s} slots + ${c} chunk B)` : '');
      rows.push({ figure: `${engine}: load cost of the bundles`, ours: kib(m.load), unit: 'KiB', note: `counted${slots(m.xs?.loadSlots ?? 0, m.xs?.loadChunks ?? 0)}` });
      rows.push({ figure: `${engine}: steady (60 s after ready)`, ours: m.steadyMeasured ? kib(m.steady) : null, reference: kib(goal('steady') as number), unit: 'KiB', note: `goal through step 4${slots(m.xs?.steadySlots ?? 0, m.xs?.steadyChunks ?? 0)}` });
      rows.push({ figure: `${engine}: peak`, ours: kib(m.peak.bytes), reference: kib(goal('peak') as number ?? b.gate), unit: 'KiB', note: `${goal('peak') ? 'goal through step 4' : 'gate'}; at ${m.peak.atMs.toFixed(1)} ms in ${m.peak.where}${slots(m.xs?.peakSlots ?? 0, m.xs?.peakChunks ?? 0)}` });
      rows.push({ figure: `${engine}: gate`, ours: kib(m.peak.bytes), reference: kib(b.gate), unit: 'KiB', note: m.peak.bytes <= b.gate ? 'peak under the gate' : 'peak OVER the gate' });
      rows.push({ figure: `${engine}: bytecode (flash on a board)`, ours: kib(r.bytecode), unit: 'KiB', note: 'not counted' });
    } finally {
      lab.dispose();
    }
  }
  return rows;
}
