/**
 * Differential test: for the same seed, the whole lab capture (every frame and every virtual
 * timestamp: hal/sim/pcap.ts) is byte-identical whether the phone runs natively, in QuickJS
 * or in XS, with the real loader and firmware bundles (built in the test, tools/target/
 * bundles.ts), in the default lab and on a lossy cable, up to the last built stage and a
 * while after. Then the bundle is what the native tests tested.
 */
import { describe, expect, it } from 'vitest';
import { Lab, type LabOptions } from '../../tools/lab/lab';
import { phoneBundles } from '../../tools/target/bundles';
import type { EngineKind } from '../../hal/target/engine';
import { xsWorkerAvailable } from '../../hal/target/xsnap';

/** Virtual time after the boot reached ready (a few CDP/LLDP advertisements more). */
const AFTER_READY_MS = 65_000;
const MAX_MS = 300_000;

interface Run { pcap: Uint8Array; readyAtMs: number; logs: string[]; stop: string | null }

async function boot(engine: EngineKind, opts: LabOptions): Promise<Run> {
  const bundles = await phoneBundles();
  // The same image for every engine, so the flash (and what the loader verifies) is the same.
  // Frames, not memory, are compared here (the gates have their own test, engines.test.ts):
  // a generous gate so a run over budget still shows whether its frames match.
  const lab = await Lab.create({ ...opts, engine, bundles, image: bundles.image, pcap: true, budgetBytes: 16 << 20 });
  try {
    lab.start();
    lab.sched.run(MAX_MS, () => lab.allReady() || lab.engineStopped());
    const phone = lab.phones[0];
    const readyLine = phone.board.logs.find((e) => e.tag === 'boot' && e.message.endsWith('-> ready'));
    if (readyLine && !lab.engineStopped()) lab.sched.run(lab.sched.now() + AFTER_READY_MS, () => lab.engineStopped());
    const r = phone.engine.report();
    return {
      pcap: lab.pcap!.toBytes(),
      readyAtMs: readyLine ? readyLine.t : -1,
      logs: phone.board.logs.map((e) => `${e.t} ${e.tag}: ${e.message}`),
      stop: r?.stop ? `${r.stop.kind}: ${r.stop.message}` : null,
    };
  } finally {
    lab.dispose();
  }
}

/** Where two captures first differ, as a readable line (record number and time). */
function firstDifference(a: Uint8Array, b: Uint8Array): string {
  let off = 24;
  let rec = 0;
  while (off + 16 <= Math.min(a.length, b.length)) {
    const dv = (x: Uint8Array): DataView => new DataView(x.buffer, x.byteOffset, x.byteLength);
    const la = dv(a).getUint32(off + 8, true);
    const lb = dv(b).getUint32(off + 8, true);
    const ra = a.subarray(off, off + 16 + la);
    const rb = b.subarray(off, off + 16 + lb);
    if (Buffer.compare(ra, rb) !== 0) {
      const t = (x: Uint8Array): string => `${dv(x).getUint32(off, true)}.${String(dv(x).getUint32(off + 4, true)).padStart(6, '0')} s`;
      return `record ${rec + 1}: ${t(a)} ${la} B vs ${t(b)} ${lb} B`;
    }
    off += 16 + la;
    rec++;
  }
  return a.length === b.length ? 'none' : `after record ${rec} (lengths ${a.length} vs ${b.length})`;
}

const SCENARIOS: [string, LabOptions][] = [
  ['the default lab', { seed: 1 }],
  ['10% loss on the phone cable', { seed: 3, phone: { faults: { loss: 0.1 } } }],
];

const engines: EngineKind[] = xsWorkerAvailable() ? ['quickjs', 'xs'] : ['quickjs'];

describe('same seed, same capture on every engine', () => {
  it('the XS worker is built (npm ci runs tools/target/xs/build-worker.mjs)', () => {
    expect(xsWorkerAvailable()).toBe(true);
  });

  for (const [what, opts] of SCENARIOS) {
    it(`${what}: native, QuickJS and XS give byte-identical pcaps to ready and after`, async () => {
      const native = await boot('native', opts);
      expect(native.readyAtMs, native.logs.join('\n')).toBeGreaterThan(0);
      for (const e of engines) {
        const run = await boot(e, opts);
        expect(run.stop, `${e}: ${run.stop}`).toBeNull();
        expect(run.readyAtMs, `${e} ready`).toBe(native.readyAtMs);
        expect(firstDifference(run.pcap, native.pcap), `${e} vs native`).toBe('none');
        expect(Buffer.compare(run.pcap, native.pcap), `${e} vs native`).toBe(0);
      }
    }, 600_000);
  }
});
