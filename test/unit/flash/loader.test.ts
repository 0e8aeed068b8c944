import { describe, expect, it } from 'vitest';
import { decide, runLoader, DECISION_TABLE, type DecisionInput } from '../../../flash/loader';
import { blankBootState, BootStateStore, type BootState } from '../../../flash/bootstate';
import { SLOT_A, SLOT_B, SLOT_NONE } from '../../../flash/constants';
import { RESET_POWER_ON, RESET_WATCHDOG, RESET_REQUESTED, RESET_CRASH } from '../../../hal/system';
import { markPending, confirmRunning, readRunning, setDevelopmentOverride } from '../../../flash/stage';
import { fakeBoard, makeImage, newFlash, smallLayout, SMALL_LAYOUT, devTrusted, writeSlot } from './helpers';

function st(p: Partial<BootState>): BootState {
  return { ...blankBootState(), seq: 1, ...p };
}

/** A decide() input whose slot validity is given; records which slots were verified. */
function input(state: BootState, validA: boolean, validB: boolean, reason = RESET_POWER_ON): DecisionInput & { asked: number[] } {
  const asked: number[] = [];
  return {
    state, reason, asked,
    valid: (slot: number) => { asked.push(slot); return slot === SLOT_A ? validA : validB; },
  };
}

describe('loader decision table, row by row', () => {
  it('has the seven rows in the documented order', () => {
    expect(DECISION_TABLE.map((r) => r.action)).toEqual(['test', 'revert', 'revert', 'reject-pending', 'confirmed', 'fallback', 'recovery']);
  });

  it('row 1: pending, not tried, pending valid -> test boot of the pending slot (confirmed not even verified)', () => {
    const i = input(st({ confirmed: SLOT_A, pending: SLOT_B }), true, true);
    expect(decide(i)).toMatchObject({ row: 1, action: 'test', slot: SLOT_B });
    expect(i.asked).toEqual([SLOT_B]);
  });

  it('row 2: tried test image and a watchdog or crash reset -> revert to confirmed', () => {
    for (const reason of [RESET_WATCHDOG, RESET_CRASH]) {
      expect(decide(input(st({ confirmed: SLOT_A, pending: SLOT_B, tried: true }), true, true, reason)))
        .toMatchObject({ row: 2, action: 'revert', slot: SLOT_A });
    }
  });

  it('row 3: tried test image, any other reset (not confirmed) -> revert to confirmed', () => {
    for (const reason of [RESET_POWER_ON, RESET_REQUESTED]) {
      expect(decide(input(st({ confirmed: SLOT_A, pending: SLOT_B, tried: true }), true, true, reason)))
        .toMatchObject({ row: 3, action: 'revert', slot: SLOT_A, why: 'test image was not confirmed' });
    }
  });

  it('row 4: pending image fails verification -> reject it, boot confirmed', () => {
    expect(decide(input(st({ confirmed: SLOT_A, pending: SLOT_B }), true, false)))
      .toMatchObject({ row: 4, action: 'reject-pending', slot: SLOT_A });
  });

  it('row 5: nothing pending, confirmed valid -> boot confirmed (other slot not verified)', () => {
    const i = input(st({ confirmed: SLOT_B }), false, true);
    expect(decide(i)).toMatchObject({ row: 5, action: 'confirmed', slot: SLOT_B });
    expect(i.asked).toEqual([SLOT_B]);
  });

  it('row 6: confirmed invalid or unset -> first other valid slot (blank board: A then B)', () => {
    expect(decide(input(st({ confirmed: SLOT_A }), false, true))).toMatchObject({ row: 6, action: 'fallback', slot: SLOT_B });
    expect(decide(input(blankBootState(), true, true))).toMatchObject({ row: 6, slot: SLOT_A });
    expect(decide(input(blankBootState(), false, true))).toMatchObject({ row: 6, slot: SLOT_B });
    // Tried test image whose confirmed image went bad: the test image is the only one left.
    expect(decide(input(st({ confirmed: SLOT_A, pending: SLOT_B, tried: true }), false, true))).toMatchObject({ row: 6, slot: SLOT_B });
  });

  it('row 7: nothing valid -> recovery', () => {
    expect(decide(input(st({ confirmed: SLOT_A, pending: SLOT_B }), false, false))).toMatchObject({ row: 7, action: 'recovery', slot: SLOT_NONE });
    expect(decide(input(blankBootState(), false, false))).toMatchObject({ row: 7 });
  });

  it('verifies each slot at most once per decision', () => {
    const i = input(st({ confirmed: SLOT_A, pending: SLOT_B }), false, false);
    decide(i);
    expect(i.asked.sort()).toEqual([SLOT_A, SLOT_B]);
  });
});

describe('loader on a simulated flash', () => {
  const layout = smallLayout();
  const v1 = makeImage('v1', { securityCounter: 1 });
  const v2 = makeImage('v2', { securityCounter: 2, version: { major: 2, minor: 0, revision: 0, build: 0 } });

  function boardWith(a: Uint8Array | null, b: Uint8Array | null) {
    const flash = newFlash();
    if (a) writeSlot(flash, layout, SLOT_A, a);
    if (b) writeSlot(flash, layout, SLOT_B, b);
    return flash;
  }
  const opts = { keys: devTrusted, layout: SMALL_LAYOUT };

  it('blank boot state: adopts slot A, starts its payload, feeds the watchdog while verifying', () => {
    const flash = boardWith(v1, null);
    const b = fakeBoard(flash);
    const r = runLoader(b.hal, opts);
    expect(r.decision.action).toBe('fallback');
    expect(b.started).toEqual([{ offset: layout.slots[0].offset + 64, length: 6000 }]);
    // One feed per 4 KiB chunk hashed (header + 6000-byte payload + protected TLVs = 2 chunks).
    expect(b.feeds).toBe(2);
    expect(b.lines[0]).toBe('Loading SIP78xx.v1');
    const s = new BootStateStore(flash, layout).load();
    expect(s).toMatchObject({ confirmed: SLOT_A, pending: SLOT_NONE, securityFloor: 1 });
  });

  it('update cycle: pending -> test boot once -> confirm -> stays; unconfirmed -> revert', () => {
    const flash = boardWith(v1, null);
    runLoader(fakeBoard(flash).hal, opts);
    writeSlot(flash, layout, SLOT_B, v2);
    const boot = new BootStateStore(flash, layout);
    expect(markPending(flash, layout, boot, SLOT_B, fakeBoard(flash).hal.crypto, devTrusted).ok).toBe(true);
    // Test boot.
    let b = fakeBoard(flash, RESET_REQUESTED);
    expect(runLoader(b.hal, opts).decision.action).toBe('test');
    expect(b.started[0].offset).toBe(layout.slots[1].offset + 64);
    expect(readRunning(flash, layout, boot)).toMatchObject({ ok: true, value: { slot: SLOT_B, loadId: 'SIP78xx.v2', testBoot: true } });
    // Reset without confirm: revert to A.
    b = fakeBoard(flash, RESET_WATCHDOG);
    expect(runLoader(b.hal, opts).decision).toMatchObject({ action: 'revert', row: 2 });
    expect(b.started[0].offset).toBe(layout.slots[0].offset + 64);
    // Again, and this time the firmware confirms.
    markPending(flash, layout, boot, SLOT_B, fakeBoard(flash).hal.crypto, devTrusted);
    runLoader(fakeBoard(flash).hal, opts);
    expect(confirmRunning(flash, layout, boot).ok).toBe(true);
    expect(boot.load()).toMatchObject({ confirmed: SLOT_B, pending: SLOT_NONE, securityFloor: 2 });
    b = fakeBoard(flash);
    expect(runLoader(b.hal, opts).decision.action).toBe('confirmed');
    expect(b.started[0].offset).toBe(layout.slots[1].offset + 64);
  });

  it('a pending image that fails verification is rejected and the confirmed one boots', () => {
    const bad = v2.slice(); bad[200] ^= 1;
    const flash = boardWith(v1, null);
    runLoader(fakeBoard(flash).hal, opts);
    writeSlot(flash, layout, SLOT_B, bad);
    const boot = new BootStateStore(flash, layout);
    // markPending itself refuses it ...
    expect(markPending(flash, layout, boot, SLOT_B, fakeBoard(flash).hal.crypto, devTrusted)).toMatchObject({ ok: false, reason: 'hash-mismatch' });
    // ... and a pending mark written behind its back is rejected by the loader.
    boot.write({ ...boot.load(), pending: SLOT_B });
    const b = fakeBoard(flash);
    const r = runLoader(b.hal, opts);
    expect(r.decision.action).toBe('reject-pending');
    expect(r.refusals[0]).toMatch(/hash-mismatch/);
    expect(b.started[0].offset).toBe(layout.slots[0].offset + 64);
    expect(boot.load().pending).toBe(SLOT_NONE);
  });

  it('downgrade: a lower security counter is refused, unless the development override is on', () => {
    const flash = boardWith(v2, null);
    runLoader(fakeBoard(flash).hal, opts);           // floor becomes 2
    writeSlot(flash, layout, SLOT_B, v1);            // counter 1
    const boot = new BootStateStore(flash, layout);
    const crypto = fakeBoard(flash).hal.crypto;
    expect(markPending(flash, layout, boot, SLOT_B, crypto, devTrusted)).toMatchObject({ ok: false, reason: 'downgrade' });
    boot.write({ ...boot.load(), pending: SLOT_B });
    expect(runLoader(fakeBoard(flash).hal, opts).decision.action).toBe('reject-pending');
    // Build-time override.
    boot.write({ ...boot.load(), pending: SLOT_B, tried: false });
    expect(runLoader(fakeBoard(flash).hal, { ...opts, allowDowngrade: true }).decision.action).toBe('test');
    runLoader(fakeBoard(flash).hal, opts);           // revert
    // Boot-state flag override.
    expect(setDevelopmentOverride(boot, true).ok).toBe(true);
    expect(markPending(flash, layout, boot, SLOT_B, crypto, devTrusted).ok).toBe(true);
    expect(runLoader(fakeBoard(flash).hal, opts).decision.action).toBe('test');
  });

  it('no valid image: recovery, the display says so, the recovery hook runs', () => {
    const bad = v1.slice(); bad[bad.length - 1] ^= 1;
    const flash = boardWith(bad, null);
    const b = fakeBoard(flash);
    let entered = 0;
    const r = runLoader(b.hal, { ...opts, recovery: () => { entered++; } });
    expect(r.decision.action).toBe('recovery');
    expect(b.lines.slice(0, 2)).toEqual(['Serial recovery', 'No valid image']);
    expect(b.lines[2]).toMatch(/bad-signature/);
    expect(b.started).toEqual([]);
    expect(entered).toBe(1);
  });

  it('an image signed by an untrusted key never boots', () => {
    const flash = boardWith(v1, null);
    const b = fakeBoard(flash);
    expect(runLoader(b.hal, { ...opts, keys: [] }).decision.action).toBe('recovery');
  });

  it('a geometry it cannot lay out is a typed error on the display', () => {
    const flash = newFlash({ size: 64 * 1024, sectorSize: 4096, writeAlign: 4 });
    const b = fakeBoard(flash);
    const r = runLoader(b.hal);
    expect(r.layoutError).toMatch(/flash layout/);
    expect(b.lines[0]).toBe('Flash layout error');
  });
});
