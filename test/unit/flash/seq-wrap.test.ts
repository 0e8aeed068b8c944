/**
 * Sequence numbers wrap (issue 9, fuzz regression): preferences pages and boot-state records
 * carry a u32 seq, and the newest copy must still win after 0xffffffff + 1. The rollback
 * floor is not a seq: the highest floor of any valid record wins, whatever its seq.
 */
import { describe, expect, it } from 'vitest';
import type { SimFlash } from '../../../hal/sim/flash';
import { PowerCut } from '../../../hal/sim/flash';
import { BootStateStore, blankBootState, encodeBootRecord } from '../../../flash/bootstate';
import { PrefsStore } from '../../../flash/prefs';
import { BS_RECORD_SIZE, PP_CRC_OFF, PP_HEADER_SIZE, PP_SEQ_OFF, SLOT_A, SLOT_B } from '../../../flash/constants';
import { crc32 } from '../../../lib/crc';
import { asciiBytes } from '../../../lib/bytes';
import { smallLayout, newFlash } from './helpers';

const layout = smallLayout();
const sector = layout.geometry.sectorSize;
const pageSize = layout.prefsPageSectors * sector;

function mounted(flash: SimFlash): PrefsStore {
  const p = new PrefsStore(flash, layout);
  const m = p.mount();
  if (!m.ok) throw new Error(m.detail);
  return p;
}

/** Rewrite prefs page `page`'s header seq (CRC fixed up), as if the store had run that long. */
function setPageSeq(flash: SimFlash, page: number, seq: number): void {
  const img = flash.snapshot();
  const at = layout.prefs.offset + page * pageSize;
  const h = img.subarray(at, at + PP_HEADER_SIZE);
  const v = new DataView(h.buffer, h.byteOffset, h.length);
  v.setUint32(PP_SEQ_OFF, seq, true);
  v.setUint32(PP_CRC_OFF, crc32(h, 0, PP_CRC_OFF), true);
  flash.restore(img);
}

function text(b: Uint8Array | null): string | null {
  return b === null ? null : String.fromCharCode(...b);
}

describe('preferences: page seq wraps at 0xffffffff', () => {
  it('mounts the newest page across the wrap (seq 0 beats 0xffffffff) and keeps going', () => {
    const flash = newFlash();
    const p = mounted(flash);
    expect(p.set('v', asciiBytes('a')).ok).toBe(true);
    setPageSeq(flash, 0, 0xfffffffe);
    const q = mounted(flash);
    expect(q.stats().seq).toBe(0xfffffffe);
    q.set('v', asciiBytes('b'));
    expect(q.gc().ok).toBe(true);                 // page 1, seq 0xffffffff
    expect(q.gc().ok).toBe(true);                 // page 2, seq 0 (wrapped)
    q.set('v', asciiBytes('c'));                  // only on page 2
    const r = new PrefsStore(flash, layout);
    const m = r.mount();
    expect(text(r.get('v'))).toBe('c');
    expect(m).toMatchObject({ ok: true, value: { page: 2, seq: 0, formatted: false } });
    expect(q.stats()).toMatchObject({ page: 2, seq: 0 });
    r.set('v', asciiBytes('d'));
    expect(r.gc().ok).toBe(true);                 // page 0 again, seq 1
    const s = new PrefsStore(flash, layout);
    expect(s.mount()).toMatchObject({ ok: true, value: { page: 0, seq: 1 } });
    expect(text(s.get('v'))).toBe('d');
  });

  it('resumes a GC interrupted across the wrap (live 0xffffffff, target seq 0)', () => {
    const flash = newFlash();
    const p = mounted(flash);
    for (let i = 0; i < 6; i++) p.set('key' + i, new Uint8Array(100).fill(i));
    setPageSeq(flash, 0, 0xffffffff);
    const q = mounted(flash);
    // GC ops: erase each target sector, program the header, then one program per record copy.
    flash.cutPowerAt(flash.ops + layout.prefsPageSectors + 1 + 3, 'before');
    expect(() => q.gc()).toThrow(PowerCut);
    flash.powerRestored();
    const r = new PrefsStore(flash, layout);
    expect(r.mount()).toMatchObject({ ok: true, value: { resumedGc: 'continued', page: 1, seq: 0 } });
    for (let i = 0; i < 6; i++) expect(r.get('key' + i)).toEqual(new Uint8Array(100).fill(i));
  });
});

describe('boot state: record seq wraps at 0xffffffff', () => {
  const unit = Math.ceil(BS_RECORD_SIZE / layout.geometry.writeAlign) * layout.geometry.writeAlign;

  function plant(flash: SimFlash, slot: number, seq: number, confirmed: number, floor: number): void {
    const rec = new Uint8Array(unit);
    encodeBootRecord({ ...blankBootState(), seq, confirmed, securityFloor: floor }, rec);
    expect(flash.program(layout.bootState.offset + slot * unit, rec)).toBe(0);
  }

  it('writes past the wrap and a reload reads the newest record', () => {
    const flash = newFlash();
    plant(flash, 0, 0xfffffffe, SLOT_A, 3);
    const s = new BootStateStore(flash, layout);
    expect(s.load()).toMatchObject({ seq: 0xfffffffe, confirmed: SLOT_A });
    expect(s.write({ ...s.state(), confirmed: SLOT_B }).ok).toBe(true);
    expect(s.write({ ...s.state(), confirmed: SLOT_A, securityFloor: 4 }).ok).toBe(true);
    expect(new BootStateStore(flash, layout).load()).toMatchObject({ confirmed: SLOT_A, securityFloor: 4 });
    // Past 0xffffffff the seq skips 0 (the blank board's).
    expect(new BootStateStore(flash, layout).load().seq).toBe(1);
    expect(s.write({ ...s.state(), confirmed: SLOT_B }).ok).toBe(true);
    expect(new BootStateStore(flash, layout).load()).toMatchObject({ seq: 2, confirmed: SLOT_B, securityFloor: 4 });
  });

  it('newest by seq (serial arithmetic), highest floor by value: the floor is not a seq', () => {
    const flash = newFlash();
    plant(flash, 0, 0xffffffff, SLOT_B, 9);      // older record, higher floor
    plant(flash, 1, 0, SLOT_A, 5);               // newest (wrapped, as older firmware wrote it)
    expect(new BootStateStore(flash, layout).load()).toMatchObject({ seq: 0, confirmed: SLOT_A, securityFloor: 9 });
  });
});
