import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../../hal/sim/scheduler';
import { SimBoard } from '../../../hal/sim/board';
import type { Hal } from '../../../hal/index';
import { main as loaderMain } from '../../../flash/main';
import { main as recoveryMain } from '../../../flash/recovery-main';
import { computeLayout } from '../../../flash/layout';
import { BootStateStore } from '../../../flash/bootstate';
import { beginStaging, markPending, confirmRunning, readRunning } from '../../../flash/stage';
import { configKeys } from '../../../flash/config';
import { configForKeys } from '../../../tools/image/trust';
import { makeImage, testKey } from '../../unit/flash/helpers';
import { bytesToAscii } from '../../../lib/bytes';
import { SLOT_A } from '../../../flash/constants';

// The real loader entry (flash/main.ts: default layout, configured with the key the images
// are signed with) on a simulated board with the reference 4 MiB flash. The "firmware" is
// the payload's tag: v1 confirms what runs (as firmware/main.ts does once it works), stages
// v2 and requests a reset; v2 crashes the first time (the loader reverts) and confirms
// itself the second time.
const config = configForKeys([testKey]);
describe('A/B update on a simulated board, through the loader bundle entry', () => {
  it('stage -> test boot -> crash -> revert -> test boot -> confirm -> stays on v2', () => {
    const sched = new Scheduler(7);
    const v1 = makeImage('v1', { securityCounter: 1 }, 30000);
    const v2 = makeImage('v2', { securityCounter: 2 }, 40000);
    const runs: string[] = [];
    let v2Boots = 0;
    let otaWanted = true;
    const firmware = (hal: Hal, offset: number, length: number) => {
      const layout = computeLayout(hal.flash.geometry);
      if (!layout.ok) throw new Error(layout.detail);
      const head = new Uint8Array(8);
      hal.flash.read(offset, head);
      const tag = bytesToAscii(head).slice(3, 5);
      runs.push(`${tag} (${length} B, reset ${hal.system.resetReason()})`);
      const boot = new BootStateStore(hal.flash, layout.value);
      if (tag === 'v1') {
        expect(confirmRunning(hal.flash, layout.value, boot).ok).toBe(true);
        if (!otaWanted) return;
        otaWanted = false;  // one attempt per request
        const st = beginStaging(hal.flash, layout.value, boot, { totalLength: v2.length });
        if (!st.ok) throw new Error(st.detail);
        for (let i = 0; i < v2.length; i += 512) st.value.write(v2.subarray(i, i + 512));
        st.value.finish();
        const m = markPending(hal.flash, layout.value, boot, st.value.slot, hal.crypto, configKeys(hal.crypto, config));
        if (!m.ok) throw new Error(m.detail);
        hal.system.reset('requested');
      } else if (tag === 'v2') {
        v2Boots++;
        if (v2Boots === 1) throw new Error('v2 crashes on its first boot');
        expect(readRunning(hal.flash, layout.value, boot)).toMatchObject({ ok: true, value: { testBoot: true, loadId: 'SIP78xx.v2' } });
        expect(confirmRunning(hal.flash, layout.value, boot).ok).toBe(true);
      }
    };
    const board = new SimBoard(sched, { name: 'p1', mac: new Uint8Array([0, 0x1e, 0x4a, 1, 2, 3]), boot: (hal) => loaderMain(hal, config), startImage: firmware });
    const layout = computeLayout(board.flash.geometry);
    if (!layout.ok) throw new Error(layout.detail);
    // Factory: v1 in slot A.
    const st = beginStaging(board.flash, layout.value, new BootStateStore(board.flash, layout.value), { slot: SLOT_A });
    if (!st.ok) throw new Error(st.detail);
    st.value.write(v1);
    st.value.finish();

    board.powerOn();
    sched.runFor(2000);
    expect(runs).toEqual([
      'v1 (30000 B, reset power-on)',
      'v2 (40000 B, reset requested)',
      'v1 (30000 B, reset crash)',
    ]);
    // v1 asks again (a second OTA attempt), v2 confirms this time.
    runs.length = 0;
    otaWanted = true;
    board.reset('requested');
    sched.runFor(2000);
    expect(runs[0]).toMatch(/^v1/);
    expect(runs[1]).toMatch(/^v2/);
    board.reset('requested');
    sched.runFor(2000);
    expect(runs[runs.length - 1]).toMatch(/^v2/);
    expect(board.display.lines[0]).toBe('Loading SIP78xx.v2');
    expect(new BootStateStore(board.flash, layout.value).load()).toMatchObject({ confirmed: 1, pending: 0xff, securityFloor: 2 });
  });

  it('an empty board hands over to the serial recovery module, which says so on the display', () => {
    const sched = new Scheduler(8);
    const board = new SimBoard(sched, {
      name: 'p2', mac: new Uint8Array([0, 0x1e, 0x4a, 1, 2, 4]),
      boot: (hal) => loaderMain(hal, config), startRecovery: (hal) => recoveryMain(hal, config),
    });
    board.powerOn();
    sched.runFor(100);
    expect(board.display.lines[0]).toBe('Serial recovery');
    // The recovery server then shows its own status on line 1; the loader's line is in the history.
    expect(board.display.history.map((h) => h.text)).toContain('No valid image');
    expect(board.logsMatching(/board: start serial recovery/).length).toBe(1);
    expect(board.logsMatching(/recovery: serial recovery: no valid image/).length).toBe(1);
  });
});
