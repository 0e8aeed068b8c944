/**
 * The rollback floor's storage: the highest copy wins (every valid boot-state record in both
 * sectors, and every counter record in the preferences' record chains), it never goes down,
 * and only confirmRunning raises it.
 */
import { describe, expect, it } from 'vitest';
import { BootStateStore, encodeBootRecord, blankBootState } from '../../../flash/bootstate';
import { PrefsStore } from '../../../flash/prefs';
import { Settings } from '../../../flash/settings';
import { prefsFloor } from '../../../flash/floor';
import { confirmRunning, effectiveFloor } from '../../../flash/stage';
import { KEY_SECURITY_COUNTER, SETTING_FORMAT, SLOT_A, SLOT_NONE, BS_RECORD_SIZE } from '../../../flash/constants';
import { crc32 } from '../../../lib/crc';
import { smallLayout, newFlash, makeImage, writeSlot } from './helpers';

const layout = smallLayout();

function prefs(flash: ReturnType<typeof newFlash>): PrefsStore {
  const p = new PrefsStore(flash, layout);
  const m = p.mount();
  if (!m.ok) throw new Error(m.detail);
  return p;
}

/** A preferences record exactly as prefs.ts writes one (header, key, value, CRC). */
function record(key: string, value: Uint8Array): Uint8Array {
  const size = Math.ceil((12 + key.length + value.length) / 4) * 4;
  const r = new Uint8Array(size).fill(0xff);
  const v = new DataView(r.buffer);
  v.setUint16(0, 0x5250, true);
  r[2] = key.length;
  v.setUint32(4, value.length, true);
  for (let i = 0; i < key.length; i++) r[12 + i] = key.charCodeAt(i);
  r.set(value, 12 + key.length);
  v.setUint32(8, crc32(r, 12, 12 + key.length + value.length, crc32(r, 0, 8)), true);
  return r;
}

function counterValue(n: number): Uint8Array {
  const b = new Uint8Array(5);
  b[0] = SETTING_FORMAT;
  new DataView(b.buffer).setUint32(1, n, true);
  return b;
}

describe('boot state: the floor only rises', () => {
  it('a newer record with a lower floor lowers nothing; the highest valid record wins', () => {
    const flash = newFlash();
    const s = new BootStateStore(flash, layout);
    s.write({ ...s.state(), securityFloor: 7 });
    // A record written behind the store's back (compromised firmware): newer, floor 0.
    const rec = new Uint8Array(BS_RECORD_SIZE);
    encodeBootRecord({ ...blankBootState(), seq: 2, confirmed: SLOT_A }, rec);
    expect(flash.program(layout.bootState.offset + BS_RECORD_SIZE, rec)).toBe(0);
    const again = new BootStateStore(flash, layout);
    expect(again.load()).toMatchObject({ seq: 2, confirmed: SLOT_A, securityFloor: 7 });
    // write() never writes a lower floor either.
    expect(again.write({ ...again.state(), securityFloor: 3 })).toMatchObject({ ok: true, value: { securityFloor: 7 } });
  });

  it('the floor survives a sector rotation (both sectors hold it)', () => {
    const flash = newFlash();
    const s = new BootStateStore(flash, layout);
    s.write({ ...s.state(), securityFloor: 5 });
    const perSector = layout.geometry.sectorSize / BS_RECORD_SIZE;
    for (let i = 0; i < perSector + 2; i++) s.write({ ...s.state(), confirmed: i % 2, securityFloor: 0 });
    // Erase the sector in use now: the other still holds records with the floor.
    const fresh = new BootStateStore(flash, layout);
    expect(fresh.load().securityFloor).toBe(5);
    flash.erase(layout.bootState.offset + layout.geometry.sectorSize);
    expect(new BootStateStore(flash, layout).load().securityFloor).toBe(5);
  });
});

describe('preferences copy of the floor (flash/floor.ts)', () => {
  it('is the highest counter record on any page, live or superseded, and survives GCs', () => {
    const flash = newFlash();
    const p = prefs(flash);
    const s = new Settings(p);
    expect(prefsFloor(flash, layout)).toBe(0);
    expect(s.setSecurityCounter(3).ok).toBe(true);
    expect(s.setSecurityCounter(9).ok).toBe(true);
    expect(prefsFloor(flash, layout)).toBe(9);
    // Fill pages until several GCs have run: the copy follows the live page.
    for (let i = 0; i < 400; i++) p.set('filler', new Uint8Array(200).fill(i & 0xff));
    expect(p.stats().gcRuns).toBeGreaterThan(3);
    expect(prefsFloor(flash, layout)).toBe(9);
    expect(s.getSecurityCounter()).toBe(9);
  });

  it('a value that looks like a counter record is data, not a record (a config file cannot lock images out)', () => {
    const flash = newFlash();
    const p = prefs(flash);
    const forged = record(KEY_SECURITY_COUNTER, counterValue(0xffffffff));
    const blob = new Uint8Array(600);
    for (let at = 0; at + forged.length <= blob.length; at += 101) blob.set(forged, at); // every alignment
    expect(p.set('config.last', blob).ok).toBe(true);
    expect(new Settings(p).setSecurityCounter(4).ok).toBe(true);
    expect(prefsFloor(flash, layout)).toBe(4);
  });

  it('ignores torn and corrupt counter records, and records of another key', () => {
    const flash = newFlash();
    const p = prefs(flash);
    new Settings(p).setSecurityCounter(2);
    p.set('sec.counteR', counterValue(50));
    const st = p.stats();
    // A record with a bad CRC at the tail of the log.
    const bad = record(KEY_SECURITY_COUNTER, counterValue(60));
    bad[8] ^= 0x01; // the CRC field
    expect(flash.program(layout.prefs.offset + st.page * layout.prefsPageSectors * layout.geometry.sectorSize + st.used, bad)).toBe(0);
    expect(prefsFloor(flash, layout)).toBe(2);
  });
});

describe('confirmRunning raises the floor, in both copies', () => {
  it('confirms a trial, raises the floor to its counter, syncs a lagging preferences copy, is idempotent', () => {
    const flash = newFlash();
    writeSlot(flash, layout, SLOT_A, makeImage('v4', { securityCounter: 4 }));
    const boot = new BootStateStore(flash, layout);
    boot.write({ ...boot.load(), pending: SLOT_A, tried: true });
    const s = new Settings(prefs(flash));
    expect(confirmRunning(flash, layout, boot, s)).toMatchObject({ ok: true, value: { confirmed: SLOT_A, pending: SLOT_NONE, securityFloor: 4 } });
    expect(s.getSecurityCounter()).toBe(4);
    expect(effectiveFloor(flash, layout, boot)).toBe(4);
    const ops = flash.ops;
    expect(confirmRunning(flash, layout, boot, s).ok).toBe(true);
    expect(flash.ops).toBe(ops);
    // Without settings the boot state holds it; the next call with settings copies it.
    const flash2 = newFlash();
    writeSlot(flash2, layout, SLOT_A, makeImage('v5', { securityCounter: 5 }));
    const boot2 = new BootStateStore(flash2, layout);
    boot2.write({ ...boot2.load(), confirmed: SLOT_A });
    expect(confirmRunning(flash2, layout, boot2).ok).toBe(true);
    expect(boot2.load().securityFloor).toBe(5);
    expect(prefsFloor(flash2, layout)).toBe(0);
    const s2 = new Settings(prefs(flash2));
    expect(confirmRunning(flash2, layout, boot2, s2).ok).toBe(true);
    expect(prefsFloor(flash2, layout)).toBe(5);
  });
});
