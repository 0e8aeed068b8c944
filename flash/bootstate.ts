/**
 * Boot state: which slot is confirmed, which (if any) is pending a test boot, whether that
 * test boot has started, the anti-rollback floor and the development override.
 *
 * Power safety: the region is two sectors of append-only records (constants BS_*), each
 * record one program operation with a sequence number and a CRC-32. The newest valid record
 * wins. A torn record fails its CRC and is skipped; the slot it occupies is never reused
 * (the next record goes after the last non-blank slot). When the current sector is full the
 * other sector is erased and the next record starts it; the current sector is never erased,
 * so the previous state survives any cut until the new record has fully landed.
 *
 * Seqs are u32 and wrap past 0xffffffff to 1 (0 stays "no record"): "newest" is serial-number
 * arithmetic (RFC 1982), sound because the valid records' seqs lie within the two sectors'
 * slot count of each other. The floor is not a seq: it is compared as a plain number.
 *
 * Invariant kept by the loader and stage.ts: the running image is the pending slot when
 * `pending !== SLOT_NONE && tried`, else the confirmed slot.
 *
 * The rollback floor only rises: load() reports the highest floor of every valid record in
 * both sectors (not only the newest record's), and write() never writes a lower one. So a
 * record with a lower floor, whoever wrote it, lowers nothing; the preferences hold a
 * second copy for when both sectors are erased (flash/floor.ts, the loader takes the max).
 * The development-override bit (BS_F_DEV_DOWNGRADE) is still decoded, for the log only: no
 * loader obeys a flag in flash (flash/config.ts `allowDowngrade` is a build option).
 */
import type { NorFlash } from '../hal/flash';
import { FLASH_OK } from '../hal/flash';
import { ok, fail } from '../lib/result';
import type { Result } from '../lib/result';
import { crc32 } from '../lib/crc';
import { viewOf } from '../lib/bytes';
import type { FlashLayout } from './layout';
import {
  BS_MAGIC, BS_RECORD_SIZE, BS_MAGIC_OFF, BS_SEQ_OFF, BS_CONFIRMED_OFF, BS_PENDING_OFF,
  BS_FLAGS_OFF, BS_FLOOR_OFF, BS_CRC_OFF, BS_F_TRIED, BS_F_DEV_DOWNGRADE, SLOT_NONE,
  LAYOUT_BOOTSTATE_SECTORS, ERASED,
} from './constants';

/** The decoded state. `seq` is 0 when no valid record exists (a blank board). */
export interface BootState {
  seq: number;
  /** Confirmed slot (SLOT_A, SLOT_B) or SLOT_NONE. */
  confirmed: number;
  /** Slot waiting for (or in) its test boot, or SLOT_NONE. */
  pending: number;
  /** The pending image has been started once; a reset now means it was not confirmed. */
  tried: boolean;
  /** The record carries the old development-override bit (ignored by every loader; logged). */
  devDowngrade: boolean;
  /** Lowest security counter an image may carry to boot: the highest of every valid record. */
  securityFloor: number;
}

/** The state a blank board reads. */
export function blankBootState(): BootState {
  return { seq: 0, confirmed: SLOT_NONE, pending: SLOT_NONE, tried: false, devDowngrade: false, securityFloor: 0 };
}

/** A copy of `s` (callers change the copy and write it). */
export function copyBootState(s: BootState): BootState {
  return {
    seq: s.seq, confirmed: s.confirmed, pending: s.pending, tried: s.tried,
    devDowngrade: s.devDowngrade, securityFloor: s.securityFloor,
  };
}

/** The slot running now (or SLOT_NONE), by the invariant above. */
export function runningSlot(s: BootState): number {
  if (s.pending !== SLOT_NONE && s.tried) return s.pending;
  return s.confirmed;
}

function validSlotByte(b: number): boolean {
  return b === 0 || b === 1 || b === SLOT_NONE;
}

/** Decode one record; null when blank, torn or corrupt. */
export function decodeBootRecord(rec: Uint8Array): BootState | null {
  if (rec.length < BS_RECORD_SIZE) return null;
  const v = viewOf(rec);
  if (v.getUint32(BS_MAGIC_OFF, true) !== BS_MAGIC) return null;
  if (v.getUint32(BS_CRC_OFF, true) !== crc32(rec, 0, BS_CRC_OFF)) return null;
  const c = rec[BS_CONFIRMED_OFF];
  const p = rec[BS_PENDING_OFF];
  if (!validSlotByte(c) || !validSlotByte(p)) return null;
  const flags = rec[BS_FLAGS_OFF];
  return {
    seq: v.getUint32(BS_SEQ_OFF, true),
    confirmed: c,
    pending: p,
    tried: (flags & BS_F_TRIED) !== 0,
    devDowngrade: (flags & BS_F_DEV_DOWNGRADE) !== 0,
    securityFloor: v.getUint32(BS_FLOOR_OFF, true),
  };
}

/** Encode `s` into `rec` (unit bytes; the padding beyond BS_RECORD_SIZE stays erased). */
export function encodeBootRecord(s: BootState, rec: Uint8Array): void {
  rec.fill(ERASED);
  const v = viewOf(rec);
  v.setUint32(BS_MAGIC_OFF, BS_MAGIC, true);
  v.setUint32(BS_SEQ_OFF, s.seq >>> 0, true);
  rec[BS_CONFIRMED_OFF] = s.confirmed;
  rec[BS_PENDING_OFF] = s.pending;
  rec[BS_FLAGS_OFF] = (s.tried ? BS_F_TRIED : 0) | (s.devDowngrade ? BS_F_DEV_DOWNGRADE : 0);
  v.setUint32(BS_FLOOR_OFF, s.securityFloor >>> 0, true);
  for (let i = BS_FLOOR_OFF + 4; i < BS_CRC_OFF; i++) rec[i] = ERASED;
  v.setUint32(BS_CRC_OFF, crc32(rec, 0, BS_CRC_OFF), true);
}

/** The seq after `s`: wraps at 2^32, skipping 0 (the blank board's seq). */
function seqNext(s: number): number {
  const n = (s + 1) >>> 0;
  return n === 0 ? 1 : n;
}

/** True when seq `a` is newer than `b` (RFC 1982: a - b mod 2^32 in [1, 2^31)). */
function seqNewer(a: number, b: number): boolean {
  const d = (a - b) >>> 0;
  return d !== 0 && d < 0x80000000;
}

function isBlank(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== ERASED) return false;
  return true;
}

/** The boot state region of `layout` on `flash`: load() then write(). */
export class BootStateStore {
  private readonly flash: NorFlash;
  private readonly base: number;
  private readonly sectorSize: number;
  private readonly unit: number;
  private readonly perSector: number;
  private readonly rec: Uint8Array;
  private current: BootState;
  /** Sector holding the newest valid record, and the next free slot in it. */
  private curSector = 0;
  private nextSlot = 0;
  private loaded = false;

  constructor(flash: NorFlash, layout: FlashLayout) {
    this.flash = flash;
    this.base = layout.bootState.offset;
    this.sectorSize = layout.geometry.sectorSize;
    const align = layout.geometry.writeAlign;
    this.unit = Math.ceil(BS_RECORD_SIZE / align) * align;
    this.perSector = Math.floor(this.sectorSize / this.unit);
    this.rec = new Uint8Array(this.unit);
    this.current = blankBootState();
  }

  /** Scan both sectors; the newest valid record (or the blank state). Never throws. */
  load(): BootState {
    let best: BootState | null = null;
    let bestSector = 0;
    let floor = 0;
    const lastNonBlank: number[] = [];
    for (let s = 0; s < LAYOUT_BOOTSTATE_SECTORS; s++) {
      lastNonBlank.push(-1);
      for (let k = 0; k < this.perSector; k++) {
        const at = this.base + s * this.sectorSize + k * this.unit;
        if (this.flash.read(at, this.rec) !== FLASH_OK) {
          lastNonBlank[s] = k;
          continue;
        }
        if (isBlank(this.rec)) continue;
        lastNonBlank[s] = k;
        const st = decodeBootRecord(this.rec);
        if (st !== null && st.securityFloor > floor) floor = st.securityFloor;
        if (st !== null && (best === null || seqNewer(st.seq, best.seq))) {
          best = st;
          bestSector = s;
        }
      }
    }
    this.current = best !== null ? best : blankBootState();
    if (floor > this.current.securityFloor) this.current.securityFloor = floor;
    this.curSector = bestSector;
    this.nextSlot = lastNonBlank[bestSector] + 1;
    this.loaded = true;
    return copyBootState(this.current);
  }

  /** The state last loaded or written. */
  state(): BootState {
    if (!this.loaded) this.load();
    return copyBootState(this.current);
  }

  /**
   * Append `next` (its seq is assigned here) as a new record. On success the returned
   * state is what a reload reads; on a flash error the previous state still stands. A
   * floor lower than the current one is raised to it (the floor never goes down).
   */
  write(next: BootState): Result<BootState> {
    if (!this.loaded) this.load();
    if (!validSlotByte(next.confirmed) || !validSlotByte(next.pending)) return fail('malformed', 'boot state: bad slot number');
    const s = copyBootState(next);
    s.seq = seqNext(this.current.seq);
    if (s.securityFloor < this.current.securityFloor) s.securityFloor = this.current.securityFloor;
    let sector = this.curSector;
    let slot = this.nextSlot;
    if (slot >= this.perSector) {
      // Current sector full: start the other one. Erasing it never touches the newest record.
      sector = (this.curSector + 1) % LAYOUT_BOOTSTATE_SECTORS;
      slot = 0;
      if (this.flash.erase(this.base + sector * this.sectorSize) !== FLASH_OK) {
        return fail('malformed', 'boot state: erase failed');
      }
    }
    encodeBootRecord(s, this.rec);
    const at = this.base + sector * this.sectorSize + slot * this.unit;
    const st = this.flash.program(at, this.rec);
    // Whatever happened, that slot is used now.
    this.curSector = sector;
    this.nextSlot = slot + 1;
    if (st !== FLASH_OK) {
      this.load();
      return fail('malformed', 'boot state: program failed (status ' + st + ')');
    }
    // Read back: a record that does not decode is as good as torn.
    const back = new Uint8Array(this.unit);
    if (this.flash.read(at, back) !== FLASH_OK || decodeBootRecord(back) === null) {
      this.load();
      return fail('checksum', 'boot state: record did not read back');
    }
    this.current = s;
    return ok(copyBootState(s));
  }
}
