import { describe, expect, it } from 'vitest';
import { decide, runLoader, DECISION_TABLE, type DecisionInput } from '../../../flash/loader';
import { blankBootState, BootStateStore, type BootState } from '../../../flash/bootstate';
import { SLOT_A, SLOT_B, SLOT_NONE } from '../../../flash/constants';
import { RESET_POWER_ON, RESET_WATCHDOG, RESET_REQUESTED, RESET_CRASH } from '../../../hal/system';
import { markPending, confirmRunning, readRunning } from '../../../flash/stage';
import { developmentConfig } from '../../../flash/config';
import { PrefsStore } from '../../../flash/prefs';
import { Settings } from '../../../flash/settings';
import { fakeBoard, makeImage, newFlash, smallLayout, SMALL_LAYOUT, testTrusted, testConfig, loaderOptions, writeSlot, devKey } from './helpers';

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

  it('row 4: a valid pending image older than the confirmed one is rejected (not even verified)', () => {
    const i = { ...input(st({ confirmed: SLOT_A, pending: SLOT_B }), true, true), older: (slot: number) => slot === SLOT_B };
    expect(decide(i)).toMatchObject({ row: 4, action: 'reject-pending', slot: SLOT_A });
    expect(i.asked).toEqual([SLOT_A]);
    // With the confirmed image gone, the older image is the one left: fallback boots it.
    const j = { ...input(st({ confirmed: SLOT_A, pending: SLOT_B, tried: true }), false, true), older: () => true };
    expect(decide(j)).toMatchObject({ row: 6, action: 'fallback', slot: SLOT_B });
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
  const crypto = fakeBoard(newFlash()).hal.crypto;
  const opts = loaderOptions();

  function boardWith(a: Uint8Array | null, b: Uint8Array | null) {
    const flash = newFlash();
    if (a) writeSlot(flash, layout, SLOT_A, a);
    if (b) writeSlot(flash, layout, SLOT_B, b);
    return flash;
  }
  function settingsOf(flash: ReturnType<typeof newFlash>): Settings {
    const p = new PrefsStore(flash, layout);
    if (!p.mount().ok) throw new Error('prefs');
    return new Settings(p);
  }
  /** First boot of a factory board, then the firmware confirms what runs (as firmware/main.ts does). */
  function shipped(a: Uint8Array, b: Uint8Array | null = null) {
    const flash = boardWith(a, b);
    runLoader(fakeBoard(flash).hal, opts);
    const c = confirmRunning(flash, layout, new BootStateStore(flash, layout), settingsOf(flash));
    if (!c.ok) throw new Error(c.detail);
    return flash;
  }

  it('blank boot state: fallback boots slot A as a trial (not confirmed, floor unmoved) and says so', () => {
    const flash = boardWith(v1, null);
    const b = fakeBoard(flash);
    const r = runLoader(b.hal, opts);
    expect(r.decision).toMatchObject({ action: 'fallback', row: 6, slot: SLOT_A });
    expect(b.started).toEqual([{ offset: layout.slots[0].offset + 64, length: 6000 }]);
    // One feed per 4 KiB chunk hashed (header + 6000-byte payload + protected TLVs = 2 chunks).
    expect(b.feeds).toBe(2);
    expect(b.lines[0]).toBe('Loading SIP78xx.v1');
    expect(b.lines[1]).toMatch(/^fallback/);
    expect(b.logs.some((l) => /fallback: slot A boots unconfirmed/.test(l))).toBe(true);
    const boot = new BootStateStore(flash, layout);
    expect(boot.load()).toMatchObject({ confirmed: SLOT_NONE, pending: SLOT_A, tried: true, securityFloor: 0 });
    // The firmware runs it as a trial and confirms it once it works: then the floor rises.
    expect(readRunning(flash, layout, boot)).toMatchObject({ ok: true, value: { slot: SLOT_A, testBoot: true } });
    expect(confirmRunning(flash, layout, boot, settingsOf(flash)).ok).toBe(true);
    expect(boot.load()).toMatchObject({ confirmed: SLOT_A, pending: SLOT_NONE, tried: false, securityFloor: 1 });
    expect(settingsOf(flash).getSecurityCounter()).toBe(1);
    // A second fallback boot before the confirmation writes nothing new.
    const again = boardWith(v1, null);
    runLoader(fakeBoard(again).hal, opts);
    const ops = again.ops;
    expect(runLoader(fakeBoard(again).hal, opts).decision.action).toBe('fallback');
    expect(again.ops).toBe(ops);
  });

  it('update cycle: pending -> test boot once -> confirm -> stays; unconfirmed -> revert', () => {
    const flash = shipped(v1);
    writeSlot(flash, layout, SLOT_B, v2);
    const boot = new BootStateStore(flash, layout);
    expect(markPending(flash, layout, boot, SLOT_B, crypto, testTrusted).ok).toBe(true);
    // Test boot.
    let b = fakeBoard(flash, RESET_REQUESTED);
    expect(runLoader(b.hal, opts).decision.action).toBe('test');
    expect(b.started[0].offset).toBe(layout.slots[1].offset + 64);
    expect(readRunning(flash, layout, boot)).toMatchObject({ ok: true, value: { slot: SLOT_B, loadId: 'SIP78xx.v2', testBoot: true } });
    expect(boot.load().securityFloor).toBe(1); // never at a test boot
    // Reset without confirm: revert to A.
    b = fakeBoard(flash, RESET_WATCHDOG);
    expect(runLoader(b.hal, opts).decision).toMatchObject({ action: 'revert', row: 2 });
    expect(b.started[0].offset).toBe(layout.slots[0].offset + 64);
    // Again, and this time the firmware confirms.
    markPending(flash, layout, boot, SLOT_B, crypto, testTrusted);
    runLoader(fakeBoard(flash).hal, opts);
    expect(confirmRunning(flash, layout, boot, settingsOf(flash)).ok).toBe(true);
    expect(boot.load()).toMatchObject({ confirmed: SLOT_B, pending: SLOT_NONE, securityFloor: 2 });
    expect(settingsOf(flash).getSecurityCounter()).toBe(2);
    b = fakeBoard(flash);
    expect(runLoader(b.hal, opts).decision.action).toBe('confirmed');
    expect(b.started[0].offset).toBe(layout.slots[1].offset + 64);
  });

  it('a pending image that fails verification is rejected, the confirmed one boots, the display says why', () => {
    const bad = v2.slice(); bad[200] ^= 1;
    const flash = shipped(v1);
    writeSlot(flash, layout, SLOT_B, bad);
    const boot = new BootStateStore(flash, layout);
    // markPending itself refuses it ...
    expect(markPending(flash, layout, boot, SLOT_B, crypto, testTrusted)).toMatchObject({ ok: false, reason: 'hash-mismatch' });
    // ... and a pending mark written behind its back is rejected by the loader.
    boot.write({ ...boot.load(), pending: SLOT_B });
    const b = fakeBoard(flash);
    const r = runLoader(b.hal, opts);
    expect(r.decision.action).toBe('reject-pending');
    expect(r.refusals[0]).toMatch(/hash-mismatch/);
    expect(b.lines.slice(1, 3)).toEqual(['Update refused', expect.stringMatching(/^B: hash-mismatch/)]);
    expect(b.started[0].offset).toBe(layout.slots[0].offset + 64);
    expect(boot.load().pending).toBe(SLOT_NONE);
  });

  it('downgrade by counter is refused with its reason, with and without a flash record claiming an override', () => {
    const flash = shipped(v2);                       // floor 2
    writeSlot(flash, layout, SLOT_B, makeImage('v3', { securityCounter: 1, version: { major: 3, minor: 0, revision: 0, build: 0 } }));
    const boot = new BootStateStore(flash, layout);
    expect(markPending(flash, layout, boot, SLOT_B, crypto, testTrusted)).toMatchObject({ ok: false, reason: 'downgrade', detail: expect.stringMatching(/security counter 1 is below the floor 2/) });
    for (const override of [false, true]) {
      boot.write({ ...boot.load(), pending: SLOT_B, tried: false, devDowngrade: override });
      const b = fakeBoard(flash);
      const r = runLoader(b.hal, opts);
      expect(r.decision.action).toBe('reject-pending');
      expect(b.lines[2]).toMatch(/downgrade: security counter 1 is below the floor 2/);
      expect(b.logs.some((l) => /downgrade override: ignored/.test(l))).toBe(override);
      // A release loader ignores the build option too.
      boot.write({ ...boot.load(), pending: SLOT_B, tried: false, devDowngrade: override });
      expect(runLoader(fakeBoard(flash).hal, loaderOptions({ release: true, allowDowngrade: true })).decision.action).toBe('reject-pending');
    }
    // The development loader's build option lets it test-boot.
    boot.write({ ...boot.load(), pending: SLOT_B, tried: false, devDowngrade: false });
    const dev = fakeBoard(flash);
    expect(runLoader(dev.hal, loaderOptions({ allowDowngrade: true })).decision.action).toBe('test');
    expect(dev.logs.some((l) => /downgrade override built in/.test(l))).toBe(true);
  });

  it('downgrade by version (same counter) is refused with its reason; an equal version passes', () => {
    const flash = shipped(v2);                       // confirmed 2.0.0, floor 2
    const old = makeImage('v1b', { securityCounter: 2, version: { major: 1, minor: 9, revision: 0, build: 0 } });
    writeSlot(flash, layout, SLOT_B, old);
    const boot = new BootStateStore(flash, layout);
    expect(markPending(flash, layout, boot, SLOT_B, crypto, testTrusted)).toMatchObject({ ok: false, reason: 'downgrade', detail: expect.stringMatching(/version 1\.9\.0\+0 is below the confirmed image's 2\.0\.0\+0/) });
    for (const override of [false, true]) {
      boot.write({ ...boot.load(), pending: SLOT_B, tried: false, devDowngrade: override });
      const b = fakeBoard(flash);
      expect(runLoader(b.hal, opts).decision).toMatchObject({ action: 'reject-pending', row: 4 });
      expect(b.lines[2]).toMatch(/version 1\.9\.0\+0 is below the confirmed image's/);
    }
    writeSlot(flash, layout, SLOT_B, makeImage('v2b', { securityCounter: 2, version: { major: 2, minor: 0, revision: 0, build: 7 } }));
    expect(markPending(flash, layout, boot, SLOT_B, crypto, testTrusted).ok).toBe(true);
    expect(runLoader(fakeBoard(flash).hal, opts).decision.action).toBe('test');
  });

  it('erasing the boot state does not lower the floor: the preferences keep a copy', () => {
    // v1 (counter 1) in A, v2 (counter 2) confirmed in B, floor 2 in both copies.
    const flash = shipped(v1);
    writeSlot(flash, layout, SLOT_B, v2);
    const boot = new BootStateStore(flash, layout);
    markPending(flash, layout, boot, SLOT_B, crypto, testTrusted);
    runLoader(fakeBoard(flash).hal, opts);
    confirmRunning(flash, layout, boot, settingsOf(flash));
    for (let s = 0; s < 2; s++) flash.erase(layout.bootState.offset + s * layout.geometry.sectorSize);
    const b = fakeBoard(flash);
    const r = runLoader(b.hal, opts);
    expect(r.floor).toBe(2);
    expect(r.refusals[0]).toMatch(/^A: downgrade: security counter 1 is below the floor 2/);
    expect(r.decision).toMatchObject({ action: 'fallback', slot: SLOT_B });
    // The loader's record carries the floor again; v1 never boots.
    expect(new BootStateStore(flash, layout).load().securityFloor).toBe(2);
  });

  it('the fallback row boots a crashed test image without confirming it or raising the floor', () => {
    const flash = shipped(v1);
    writeSlot(flash, layout, SLOT_B, v2);
    const boot = new BootStateStore(flash, layout);
    markPending(flash, layout, boot, SLOT_B, crypto, testTrusted);
    runLoader(fakeBoard(flash).hal, opts);            // test boot of B ... which crashes
    // ... and slot A goes bad meanwhile.
    const a = layout.slots[SLOT_A].offset;
    flash.program(a + 100, new Uint8Array(4));
    const b = fakeBoard(flash, RESET_CRASH);
    const r = runLoader(b.hal, opts);
    expect(r.decision).toMatchObject({ action: 'fallback', slot: SLOT_B });
    expect(b.lines[1]).toMatch(/^fallback/);
    expect(boot.load()).toMatchObject({ confirmed: SLOT_A, pending: SLOT_B, tried: true, securityFloor: 1 });
  });

  it('a development loader shows "development key" at every boot; a loader built for another key refuses that key', () => {
    const flash = newFlash();
    writeSlot(flash, layout, SLOT_A, makeImage('dev', {}, 6000, devKey));
    for (let i = 0; i < 2; i++) {
      const b = fakeBoard(flash);
      const r = runLoader(b.hal, { config: { ...developmentConfig(), layout: SMALL_LAYOUT } });
      expect(r).toMatchObject({ devKey: true, decision: { action: 'fallback' } });
      expect(b.lines[3]).toBe('development key');
      expect(b.logs.some((l) => /development key/.test(l))).toBe(true);
    }
    // A loader built for the test key shows nothing and refuses the development key's image.
    const own = fakeBoard(flash);
    const r = runLoader(own.hal, opts);
    expect(r).toMatchObject({ devKey: false, decision: { action: 'recovery' } });
    expect(r.refusals[0]).toMatch(/unknown-key/);
    expect(own.lines[3]).toBe('');
  });

  it('no valid image: recovery, the display says so, the loader hands over to the recovery module', () => {
    const bad = v1.slice(); bad[bad.length - 1] ^= 1;
    const flash = boardWith(bad, null);
    const b = fakeBoard(flash);
    const r = runLoader(b.hal, opts);
    expect(r.decision.action).toBe('recovery');
    expect(b.lines.slice(0, 2)).toEqual(['Serial recovery', 'No valid image']);
    expect(b.lines[2]).toMatch(/bad-signature/);
    expect(b.started).toEqual([]);
    expect(b.recoveries).toBe(1);
  });

  it('an image signed by an untrusted key never boots', () => {
    const flash = boardWith(v1, null);
    const b = fakeBoard(flash);
    expect(runLoader(b.hal, { ...opts, keys: [] }).decision.action).toBe('recovery');
    expect(runLoader(fakeBoard(flash).hal, { config: { ...testConfig, keys: [] } }).decision.action).toBe('recovery');
  });

  it('a geometry it cannot lay out is a typed error on the display', () => {
    const flash = newFlash({ size: 64 * 1024, sectorSize: 4096, writeAlign: 4 });
    const b = fakeBoard(flash);
    const r = runLoader(b.hal, { config: { ...testConfig, layout: undefined } });
    expect(r.layoutError).toMatch(/flash layout/);
    expect(b.lines[0]).toBe('Flash layout error');
  });
});
