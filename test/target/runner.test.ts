/**
 * Target tests: bundles built in the test with buildTarget (the same settings as
 * `npm run build`, nothing read from dist/) run inside QuickJS on a simulated board on
 * virtual time, under the app-heap budget. Each asserts what the simulation saw (frames on
 * the peer NIC, flash bytes, display lines, log lines with board times) and the memory
 * figures; the figures are printed for the record.
 */
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTarget, REPO_ROOT } from '../../tools/build/build';
import { lintBundle } from '../../tools/build/lint';
import { Scheduler } from '../../hal/sim/scheduler';
import { SimNic, connectNics } from '../../hal/sim/ether';
import type { SimBoard } from '../../hal/sim/board';
import { GUEST_PRELUDE } from '../../hal/target/prelude';
import { QuickJsBoard, formatReport, type RunnerReport } from '../../hal/target/quickjs';
import type { Bundle } from '../../hal/target/runner';

const FIXTURES = path.join(REPO_ROOT, 'test', 'target', 'fixtures');
const PEER_MAC = new Uint8Array([0x02, 0, 0, 0, 0, 0xfe]);

async function bundle(entry: string, globalName = 'DialtoneFirmware'): Promise<string> {
  const r = await buildTarget({ entry: path.isAbsolute(entry) ? entry : path.join(FIXTURES, entry), globalName });
  expect(r.errors, JSON.stringify(r.errors)).toEqual([]);
  expect(r.findings, JSON.stringify(r.findings)).toEqual([]);
  return r.code;
}

interface Rig {
  sched: Scheduler;
  qb: QuickJsBoard;
  board: SimBoard;
  peer: SimNic;
  /** Frames the peer received: [time ms, bytes]. */
  frames: [number, Uint8Array][];
}

const rigs: QuickJsBoard[] = [];
afterEach(() => {
  while (rigs.length) rigs.pop()!.dispose();
});

/** A QuickJS board booting `code`, cabled to a peer NIC that records what it receives. */
async function rig(code: string, globalName = 'DialtoneFirmware', budgetBytes?: number, recovery?: Bundle): Promise<Rig> {
  const sched = new Scheduler(7);
  const qb = await QuickJsBoard.create({ sched, budgetBytes, recovery, bundle: { code, filename: 'bundle.js', globalName } });
  rigs.push(qb);
  const peer = new SimNic(sched, PEER_MAC);
  connectNics(sched, qb.board.nic, peer);
  const frames: [number, Uint8Array][] = [];
  peer.onReceive((f) => frames.push([sched.now(), f.slice()]));
  return { sched, qb, board: qb.board, peer, frames };
}

/** The guest's own log lines (the board's power/crash lines left out), as `t tag: message`. */
const logText = (b: SimBoard): string[] => b.logs.filter((l) => l.tag !== 'board').map((l) => `${l.t} ${l.tag}: ${l.message}`);

function record(name: string, r: RunnerReport): void {
  console.log(`[target] ${name}\n  ${formatReport(r).join('\n  ')}${r.stop ? `\n  stop: ${r.stop.kind}: ${r.stop.message}` : ''}`);
}

describe('QuickJS runner: the project bundles', () => {
  // The contract (the bundle runs, shows a status line, logs), not today's text; the
  // memory gates are held against the real boot in the lab (gates.test.ts), so a generous
  // budget here.
  it('firmware/main.ts runs and shows a status line', async () => {
    const code = await bundle(path.join(REPO_ROOT, 'firmware', 'main.ts'));
    const { board, qb } = await rig(code, 'DialtoneFirmware', 16 << 20);
    const r = qb.run(5_000);
    record('firmware/main.ts', r);
    expect(r.stop).toBeNull();
    expect(board.display.lines[0]).not.toBe('');
    expect(logText(board).length).toBeGreaterThan(0);
    expect(board.crashes).toEqual([]);
    expect(r.peakAppHeap).toBeGreaterThan(0);
    expect(r.peakAppHeap).toBeLessThan(r.budget);
  });

  it('flash/main.ts (the loader) on an empty flash hands over to the recovery bundle', async () => {
    const code = await bundle(path.join(REPO_ROOT, 'flash', 'main.ts'), 'DialtoneLoader');
    const recovery = await bundle(path.join(REPO_ROOT, 'flash', 'recovery-main.ts'), 'DialtoneRecovery');
    const { board, qb } = await rig(code, 'DialtoneLoader', undefined, { code: recovery, filename: 'recovery.js', globalName: 'DialtoneRecovery' });
    const r = qb.run(5_000);
    record('flash/main.ts', r);
    expect(r.stop).toBeNull();
    expect(board.crashes).toEqual([]);
    expect(logText(board).length).toBeGreaterThan(0);
    expect(board.logsMatching(/board: start serial recovery/).length).toBe(1);
    expect(r.runs).toBe(2); // the loader's context, then the recovery module's
    expect(r.peakAppHeap).toBeLessThan(r.budget);
  });
});

describe('QuickJS runner: HAL binding', () => {
  it('sends a frame, fires a timer on time, writes flash, shows status lines, runs jobs', async () => {
    const code = await bundle('hal-exercise.ts');
    const { board, frames, peer, qb, sched } = await rig(code);
    // A frame from the peer at t=150 ms is echoed by the guest's onReceive handler.
    sched.at(150, () => {
      const f = new Uint8Array(60);
      f.set(board.nic.mac(), 0);
      f.set(PEER_MAC, 6);
      f.set([0x88, 0xb5, 0xca, 0xfe, 0xba, 0xbe], 12);
      peer.send(f);
    });
    const r = qb.run(1_000);
    record('hal-exercise', r);
    expect(r.stop).toBeNull();
    expect(board.crashes).toEqual([]);

    // Frame 1 when the link came up (SimBoard: 100 ms after power-on, plus wire time):
    // broadcast from the board's MAC, our ethertype and tag.
    expect(frames.length).toBe(2);
    const [t0, f0] = frames[0];
    expect(t0).toBeGreaterThanOrEqual(100);
    expect(t0).toBeLessThan(101);
    expect(Array.from(f0.subarray(0, 6))).toEqual([255, 255, 255, 255, 255, 255]);
    expect(Array.from(f0.subarray(6, 12))).toEqual(Array.from(board.nic.mac()));
    expect(Buffer.from(f0.subarray(12, 18)).toString('hex')).toBe('88b5d1a10e01');
    // Frame 2: the echo, carrying the peer's tag cafebabe after echo counter 1.
    const [t1, f1] = frames[1];
    expect(t1).toBeGreaterThanOrEqual(150);
    expect(t1).toBeLessThan(151);
    expect(Buffer.from(f1.subarray(12, 22)).toString('hex')).toBe('88b5ec000001cafebabe');

    // Flash: the 8 bytes the guest programmed are in the simulated flash.
    const back = new Uint8Array(8);
    board.flash.read(0x10000, back);
    expect(Buffer.from(back).toString('hex')).toBe('deadbeef01020304');

    expect(board.display.lines.slice(0, 2)).toEqual(['Fixture up', 'Flash ok']);
    expect(logText(board)).toEqual([
      `0 fx: mac ${Buffer.from(board.nic.mac()).toString('hex')} link false`,
      // SHA-256("abc"), FIPS 180-2 appendix B.1, fed as 'ab' (a subarray view) + 'c'
      '0 fx: sha256 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      '0 fx: job 7 at 0', // the promise job ran right after main, before any timer
      '100 fx: link true at 100',
      '100 fx: sent true',
      '250 fx: timer fired at 250 (set at 0)', // exactly on virtual time; the cleared one never fired
      '250 fx: flash program 0 read 0 deadbeef01020304',
    ]);
    expect(r.events).toBe(5); // eval, main, link, rx, timer
    expect(r.peakAppHeap).toBeLessThan(r.budget);
  });

  it('an extra prelude runs after the HAL prelude and before the bundle', async () => {
    const code = await bundle('reset.ts');
    const sched = new Scheduler(7);
    // The fixture logs its boot reason through hal.system.log; the extra prelude sees the
    // HAL (it runs after the HAL prelude) and wraps log before the bundle runs.
    const extraPrelude = `(function (h) { var log = h.system.log; h.system.log = function (l, t, m) { log(l, t, 'x:' + m); }; })(__dialtone.hal);`;
    const qb = await QuickJsBoard.create({ sched, extraPrelude, bundle: { code, filename: 'bundle.js', globalName: 'DialtoneFirmware' } });
    rigs.push(qb);
    const r = qb.run(30);
    expect(r.stop).toBeNull();
    expect(logText(qb.board)).toEqual(['0 fx: x:boot reason power-on']);
  });

  it('the guest prelude itself follows the target subset (lint clean)', () => {
    expect(lintBundle(GUEST_PRELUDE)).toEqual([]);
  });

  it('a loader starts an image from flash: startImage evaluates it and calls main', async () => {
    const loader = await bundle('loader.ts', 'DialtoneLoader');
    const image = await bundle('hal-exercise.ts');
    const { board, qb } = await rig(loader, 'DialtoneLoader');
    // Host side: put the image and its length in the simulated flash, padded to writeAlign.
    const bytes = Buffer.from(image, 'latin1');
    const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4).fill(0xff);
    padded.set(bytes);
    const hdr = new Uint8Array(4);
    new DataView(hdr.buffer).setUint32(0, bytes.length, true);
    expect(board.flash.program(0x1f000, hdr)).toBe(0);
    expect(board.flash.program(0x20000, padded)).toBe(0);

    const r = qb.run(1_000);
    record('loader -> image', r);
    expect(r.stop).toBeNull();
    expect(r.imagesStarted).toBe(1);
    expect(logText(board)[0]).toBe(`0 ldr: starting image of ${bytes.length} bytes`);
    expect(board.display.lines.slice(0, 2)).toEqual(['Fixture up', 'Flash ok']);
  });

  it('stops a run on an uncaught guest exception, with the message', async () => {
    const code = await bundle('crash.ts');
    const { qb, board } = await rig(code);
    const r = qb.run(1_000);
    expect(r.stop?.kind).toBe('crash');
    expect(r.stop?.message).toMatch(/Error: boom/);
    expect(r.stop?.atMs).toBe(5);
    expect(r.virtualMs).toBe(5); // the simulation ended at the crash
    expect(board.logsMatching(/crash: GuestStopped: crash: uncaught in fire: Error: boom/).length).toBe(1);
  });

  it('a reset request does not return and the next power-on gets a fresh engine', async () => {
    const code = await bundle('reset.ts');
    const { qb, board } = await rig(code);
    const r = qb.run(1_000);
    expect(r.stop).toBeNull();
    // SimBoard powers on again 50 ms after the reset at 20 ms.
    expect(logText(board)).toEqual(['0 fx: boot reason power-on', '70 fx: boot reason requested']);
    expect(r.runs).toBe(2);
    expect(board.boots.map((b) => b.reason)).toEqual(['power-on', 'requested']);
  });
});

describe('QuickJS runner: memory budget', () => {
  it('stops a bundle that keeps 200 KiB of Uint8Arrays, and reports a peak over the budget', async () => {
    const code = await bundle('budget-hog.ts');
    const { board, qb } = await rig(code, 'DialtoneFirmware', 64 * 1024);
    const r = qb.run(10_000);
    record('budget-hog', r);
    expect(r.stop?.kind).toBe('budget');
    expect(r.stop?.message).toMatch(/exceeds the budget of 65536 B/);
    expect(r.peakAppHeap).toBeGreaterThan(64 * 1024);
    // 4 KiB per 10 ms: the budget is crossed after ~16 chunks, long before all 50.
    expect(r.stop!.atMs).toBeGreaterThan(100);
    expect(r.stop!.atMs).toBeLessThan(200);
    expect(logText(board)).toEqual([]); // never reached its 'kept' line
  });

  it('lets the same bundle finish under a budget that fits it (the failure is the budget, not the code)', async () => {
    const code = await bundle('budget-hog.ts');
    const { board, qb } = await rig(code, 'DialtoneFirmware', 1024 * 1024);
    const r = qb.run(10_000);
    expect(r.stop).toBeNull();
    expect(board.logs.map((l) => l.message)).toContain(`kept ${200 * 1024} bytes`);
    // The real figure: 200 KiB of data plus object overhead.
    expect(r.peakAppHeap).toBeGreaterThan(200 * 1024);
  });

  it('counts what is live after a full GC: dropped cycles (closures and the array holding them) are not counted', async () => {
    const code = await bundle('cycles.ts');
    const { board, qb } = await rig(code, 'DialtoneFirmware', 1024 * 1024);
    const r = qb.run(2_000);
    expect(r.stop).toBeNull();
    expect(logText(board)).toEqual(['1000 cycles: dropped 400']);
    // While they lived (the host call inside makeCycles) 400 closures were over 16 KiB.
    expect(r.memory.peak.bytes).toBeGreaterThan(16 * 1024);
    // At the log line, a second later, they are gone: QuickJS would still hold them
    // without a collection, since its own threshold is far above this heap.
    expect(r.memory.last).toBeLessThan(8 * 1024);
  });

  it('catches a transient peak inside one event at the host call it makes there', async () => {
    const code = await bundle('spike.ts');
    const { board, qb } = await rig(code, 'DialtoneFirmware', 64 * 1024);
    const r = qb.run(1_000);
    record('spike', r);
    expect(r.stop?.kind).toBe('budget');
    expect(r.stop?.message).toMatch(/DialtoneFirmware\.main \/ now/);
    expect(r.memory.peak.where).toBe('DialtoneFirmware.main / now');
    expect(logText(board)).toEqual([]); // interrupted before its log line
  });
});
