/**
 * The XS runner (hal/target/xsnap.ts) behaves exactly like the QuickJS one: the same
 * fixtures, bundled in the test, give the same frames (with their times), flash bytes,
 * display and log lines on both engines; crashes, resets and the gate stop XS runs the
 * same way; and the figures are XS's (slots and chunks, budgets.ts).
 */
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTarget, REPO_ROOT } from '../../tools/build/build';
import { Scheduler } from '../../hal/sim/scheduler';
import { SimNic, connectNics } from '../../hal/sim/ether';
import { QuickJsBoard } from '../../hal/target/quickjs';
import { XsBoard, xsWorkerAvailable } from '../../hal/target/xsnap';
import { lintBundle } from '../../tools/build/lint';
import { XS_HOST_SHIM, XS_EVENT_TAIL } from '../../hal/target/prelude';
import type { EngineBoard, RunnerReport } from '../../hal/target/runner';
import { formatReport } from '../../hal/target/runner';

const FIXTURES = path.join(REPO_ROOT, 'test', 'target', 'fixtures');
const PEER_MAC = new Uint8Array([0x02, 0, 0, 0, 0, 0xfe]);

async function bundle(entry: string, globalName = 'DialtoneFirmware'): Promise<string> {
  const r = await buildTarget({ entry: path.join(FIXTURES, entry), globalName });
  expect(r.errors, JSON.stringify(r.errors)).toEqual([]);
  return r.code;
}

const boards: EngineBoard[] = [];
afterEach(() => {
  while (boards.length) boards.pop()!.dispose();
});

interface Seen { report: RunnerReport; frames: string[]; logs: string[]; display: string[]; flash: string; crashes: number }

/** Boot `code` on `engine`, cabled to a peer that sends one frame at 150 ms; what the sim saw. */
async function boot(engine: 'quickjs' | 'xs', code: string, ms: number, budgetBytes?: number): Promise<Seen> {
  const sched = new Scheduler(7);
  const opts = { sched, budgetBytes, bundle: { code, filename: 'bundle.js', globalName: 'DialtoneFirmware' } };
  const eb: EngineBoard = engine === 'xs' ? new XsBoard(opts) : await QuickJsBoard.create(opts);
  boards.push(eb);
  const peer = new SimNic(sched, PEER_MAC);
  connectNics(sched, eb.board.nic, peer);
  const frames: string[] = [];
  peer.onReceive((f) => frames.push(`${sched.now()} ${Buffer.from(f).toString('hex')}`));
  sched.at(150, () => {
    const f = new Uint8Array(60);
    f.set(eb.board.nic.mac(), 0);
    f.set(PEER_MAC, 6);
    f.set([0x88, 0xb5, 0xca, 0xfe, 0xba, 0xbe], 12);
    peer.send(f);
  });
  const report = eb.run(ms);
  const back = new Uint8Array(8);
  eb.board.flash.read(0x10000, back);
  return {
    report, frames,
    logs: eb.board.logs.filter((l) => l.tag !== 'board').map((l) => `${l.t} ${l.tag}: ${l.message}`),
    display: eb.board.display.lines.slice(),
    flash: Buffer.from(back).toString('hex'),
    crashes: eb.board.crashes.length,
  };
}

describe.runIf(xsWorkerAvailable())('XS runner: the same HAL as QuickJS', () => {
  it('the XS carrier shim follows the target subset (lint clean)', () => {
    expect(lintBundle(XS_HOST_SHIM + XS_EVENT_TAIL)).toEqual([]);
  });

  it('hal-exercise: same frames and times, flash, display and log lines on both engines', async () => {
    const code = await bundle('hal-exercise.ts');
    const q = await boot('quickjs', code, 1_000);
    const x = await boot('xs', code, 1_000);
    console.log(`[target] hal-exercise on XS\n  ${formatReport(x.report).join('\n  ')}`);
    expect(x.report.stop).toBeNull();
    expect(x.crashes).toBe(0);
    expect(x.frames.length).toBe(2);
    expect(x.frames).toEqual(q.frames);
    expect(x.flash).toBe('deadbeef01020304');
    expect(x.display).toEqual(q.display);
    expect(x.logs).toEqual(q.logs);
    expect(x.report.events).toBe(q.report.events); // eval, main, link, rx, timer
    expect(x.report.hostCalls).toBe(q.report.hostCalls);
    // XS figures: slots and chunks, both counted; a handful of objects here.
    const m = x.report.memory;
    expect(m.xs!.peakSlots).toBeGreaterThan(0);
    expect(m.peak.bytes).toBe(m.xs!.peakSlots * 16 + m.xs!.peakChunks);
    expect(m.load).toBeGreaterThan(0);
    expect(m.peak.bytes).toBeLessThan(16 * 1024);
  });

  it('an uncaught guest exception stops the run with the message', async () => {
    const x = await boot('xs', await bundle('crash.ts'), 1_000);
    expect(x.report.stop?.kind).toBe('crash');
    expect(x.report.stop?.message).toMatch(/uncaught in fire: Error: boom/);
    expect(x.report.stop?.atMs).toBe(5);
  });

  it('a reset does not return and the next power-on gets a fresh machine', async () => {
    const x = await boot('xs', await bundle('reset.ts'), 1_000);
    expect(x.report.stop).toBeNull();
    expect(x.logs).toEqual(['0 fx: boot reason power-on', '70 fx: boot reason requested']);
    expect(x.report.runs).toBe(2);
  });

  it('the gate stops a bundle that keeps 200 KiB, with the figure and the event', async () => {
    const x = await boot('xs', await bundle('budget-hog.ts'), 10_000, 64 * 1024);
    expect(x.report.stop?.kind).toBe('budget');
    expect(x.report.stop?.message).toMatch(/xs heap \d+ B exceeds the gate of 65536 B \((fire|fire \/ setTimer), at \d+ ms\)/);
    // 4 KiB per 10 ms: over 64 KiB after ~16 chunks.
    expect(x.report.stop!.atMs).toBeGreaterThan(100);
    expect(x.report.stop!.atMs).toBeLessThan(200);
    const y = await boot('xs', await bundle('budget-hog.ts'), 10_000, 1 << 20);
    expect(y.report.stop).toBeNull();
    expect(y.report.memory.peak.bytes).toBeGreaterThan(200 * 1024);
  });

  it('a transient peak inside one event is seen at the host call made there', async () => {
    const x = await boot('xs', await bundle('spike.ts'), 1_000, 64 * 1024);
    expect(x.report.stop?.kind).toBe('budget');
    expect(x.report.memory.peak.where).toBe('DialtoneFirmware.main / now');
    expect(x.logs).toEqual([]);
  });
});
