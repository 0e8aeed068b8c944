/**
 * The whole cycle on one SimBoard, virtual time: power on with an empty flash, the loader
 * finds nothing and hands over to the serial recovery module (flash/recovery-main.ts, through
 * hal.system.startRecovery), `dialtone flash`'s job
 * uploads over the board's console line at 115200 baud, the board resets and the loader
 * starts the new image.
 */
import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../../hal/sim/scheduler';
import { SimBoard } from '../../../hal/sim/board';
import { main as loaderMain } from '../../../flash/main';
import { main as recoveryMain } from '../../../flash/recovery-main';
import { SmpClient } from '../../../tools/flash/client';
import { FlashJob } from '../../../tools/flash/job';
import type { FlashResult } from '../../../tools/flash/job';
import { IMAGE_HEADER_SIZE } from '../../../flash/constants';
import { makeImage, config } from './harness';

describe('SimBoard: loader -> serial recovery -> flash -> reset -> boot', () => {
  it('boots the flashed image after the reset', () => {
    const sched = new Scheduler(3);
    const started: Array<[number, number]> = [];
    const board = new SimBoard(sched, {
      name: 'phone', mac: new Uint8Array([0, 0x1e, 0x4a, 1, 2, 3]),
      boot: (hal) => loaderMain(hal, config),
      startRecovery: (hal) => recoveryMain(hal, config),
      startImage: (_hal, offset, length) => { started.push([offset, length]); },
    });
    board.powerOn();
    sched.runFor(1);
    expect(board.display.lines[0]).toBe('Serial recovery');
    expect(board.logsMatching(/recovery: serial recovery: no valid image/).length).toBe(1);
    const image = makeImage(30_000, { loadId: 'DT-SIMBOARD.2' });
    let result: FlashResult | null = null;
    let error: Error | null = null;
    const transport = { write: (b: Uint8Array) => board.serial.write(b), onData: (h: (b: Uint8Array) => void) => board.serial.onData(h) };
    new FlashJob(new SmpClient(transport, sched.clock()), sched.clock(), image).start((e, r) => { error = e; result = r; });
    sched.run(600_000, () => result !== null || error !== null);
    expect(error).toBeNull();
    sched.runFor(1_000);
    expect(board.boots.map((b) => b.reason)).toEqual(['power-on', 'requested']);
    expect(board.logsMatching(/loader: starting DT-SIMBOARD\.2/).length).toBe(1);
    expect(started).toHaveLength(1);
    expect(started[0][1]).toBe(30_000);
    expect(board.flash.snapshot().subarray(started[0][0], started[0][0] + 30_000)).toEqual(image.subarray(IMAGE_HEADER_SIZE, IMAGE_HEADER_SIZE + 30_000));
    // Staging erased each sector of the image once.
    const counts = board.flash.eraseCounts();
    const first = (started[0][0] - IMAGE_HEADER_SIZE) / 4096;
    const sectors = Math.ceil(image.length / 4096);
    expect(Array.from(counts.subarray(first, first + sectors))).toEqual(new Array(sectors).fill(1));
  });
});
