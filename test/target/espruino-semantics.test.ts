/**
 * The real loader and firmware bundles (built here with buildTarget, as `npm run build`
 * does) boot in QuickJS under the Espruino-semantics prelude (hal/target/espruino-semantics.ts:
 * Espruino 2v29's built-in behaviour, after the HAL prelude and before the bundles) against
 * the lab (switch, PSE, CDP/LLDP-MED agent, DHCP and TFTP servers) to the last built stage,
 * and every frame on the phone's port, with its virtual time, is the same as in plain
 * QuickJS: the boot relies on none of the built-ins that differ there. On a real Espruino
 * 2v29 the frames were byte-identical to QuickJS's up to READY once the two known gaps were
 * fixed; this run is how CI sees the next gap without an Espruino binary.
 *
 * The app-heap budget is not what this test is about (npm run target gates it per engine),
 * so the board gets a generous one; a crash or a runaway still stops the run and fails.
 *
 * Wiring: the lab is built with one phone whose native board is never powered; its port is
 * re-cabled to the QuickJS board (same MAC, same provisioned flash layout, same PoE class).
 * When the lab gains its engine option this becomes `new Lab({ engine: ... })`.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTarget, REPO_ROOT } from '../../tools/build/build';
import { SimFlash } from '../../hal/sim/flash';
import { QuickJsBoard, formatReport, loadQuickJs, type RunnerReport } from '../../hal/target/quickjs';
import { ESPRUINO_SEMANTICS } from '../../hal/target/espruino-semantics';
import { provisionFlash, devImage } from '../../tools/lab/provision';
import { Lab } from '../../tools/lab/lab';
import { asciiBytes, bytesEqual } from '../../lib/bytes';

const SEED = 3;
const MAX_MS = 120_000;
const STEP_MS = 1_000;
const BUDGET = 256 * 1024;

async function bundle(entry: string, globalName: string): Promise<string> {
  const r = await buildTarget({ entry: path.join(REPO_ROOT, entry), globalName });
  expect(r.errors).toEqual([]);
  expect(r.findings).toEqual([]);
  return r.code;
}

interface Run {
  report: RunnerReport;
  ready: boolean;
  readyAtMs: number;
  pcap: Uint8Array;
  logs: string[];
}

async function bootInLab(loader: string, firmware: string, extraPrelude: string | undefined): Promise<Run> {
  const lab = new Lab({ phones: 1, seed: SEED, pcap: true });
  const phone = lab.phones[0];
  const flash = new SimFlash('nor-4m');
  provisionFlash(flash, { image: devImage(asciiBytes(firmware), 'DT7960.9-9-9') });
  const qb = new QuickJsBoard(await loadQuickJs(), {
    sched: lab.sched, budgetBytes: BUDGET, extraPrelude,
    bundle: { code: loader, filename: 'bootloader.js', globalName: 'DialtoneLoader' },
    board: { name: phone.name, mac: phone.board.nic.mac(), flash, poeClass: 2, requiredMw: 12_000 },
  });
  try {
    lab.sw.connect(phone.port, qb.board.nic);
    phone.agent.start();
    const onLab = { ...phone, board: qb.board };
    let report = qb.run(0);
    while (!Lab.reachedReady(onLab) && !report.stop && lab.sched.now() < MAX_MS) report = qb.run(lab.sched.now() + STEP_MS);
    const ready = Lab.reachedReady(onLab);
    const readyLine = qb.board.logs.find((e) => e.tag === 'boot' && e.message.endsWith('-> ready'));
    return {
      report, ready, readyAtMs: readyLine ? readyLine.t : -1, pcap: lab.pcap!.toBytes(),
      logs: qb.board.logs.map((e) => `${e.t} ${e.tag}: ${e.message}`),
    };
  } finally {
    qb.dispose();
  }
}

describe('the real bundles under Espruino semantics, against the lab', () => {
  it('boot to the last built stage, with the same frames as plain QuickJS', async () => {
    const loader = await bundle('flash/main.ts', 'DialtoneLoader');
    const firmware = await bundle('firmware/main.ts', 'DialtoneFirmware');
    const espruino = await bootInLab(loader, firmware, ESPRUINO_SEMANTICS);
    console.log(`[target] Espruino semantics, ready at ${espruino.readyAtMs} ms\n  ${formatReport(espruino.report).join('\n  ')}`);
    expect(espruino.report.stop, espruino.logs.join('\n')).toBeNull();
    expect(espruino.report.imagesStarted).toBe(1);
    expect(espruino.ready, espruino.logs.join('\n')).toBe(true);
    expect(espruino.logs.some((l) => /crash|uncaught/i.test(l)), espruino.logs.join('\n')).toBe(false);

    const plain = await bootInLab(loader, firmware, undefined);
    expect(plain.ready).toBe(true);
    expect(espruino.readyAtMs).toBe(plain.readyAtMs);
    expect(espruino.logs).toEqual(plain.logs);
    // CDP, LLDP, ARP and DHCP both ways: a few dozen frames at least.
    expect(espruino.pcap.length).toBeGreaterThan(24 + 20 * 80);
    expect(espruino.pcap.length).toBe(plain.pcap.length);
    expect(bytesEqual(espruino.pcap, plain.pcap)).toBe(true);
  }, 240_000);
});
