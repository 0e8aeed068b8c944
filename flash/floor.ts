/**
 * The rollback floor's copy in the preferences, read without mounting the store (the loader
 * carries no preferences code): walk the record log of every page with a valid header and
 * take the highest security counter any valid `KEY_SECURITY_COUNTER` record holds.
 *
 * Why any record, live or superseded, on any page: the floor only rises (Settings refuses a
 * lower value, confirmRunning writes it after the boot state), so every copy ever written
 * is at most the current floor and the highest valid copy is the floor. Stale pages are
 * harmless, and an interrupted GC or a torn tail cannot lower it.
 *
 * Why a walk of the record chain and not a byte search: record values are data from the
 * network (a configuration file); a search could be fooled by a value that looks like a
 * counter record and lock every image out. The walk only looks at record boundaries, each
 * found from the previous record's checked lengths, and stops at the first header that does
 * not look like a record. Only counter records are CRC-checked (the others are skipped by
 * their lengths), so the walk reads headers, not the whole region.
 *
 * Memory: one record-header buffer, one 17-byte value buffer. Never throws.
 */
import type { NorFlash } from '../hal/flash';
import { FLASH_OK } from '../hal/flash';
import { crc32 } from '../lib/crc';
import { viewOf } from '../lib/bytes';
import type { FlashLayout } from './layout';
import {
  PP_MAGIC, PP_MAGIC_OFF, PP_VERSION, PP_VERSION_OFF, PP_SECTORS_OFF, PP_CRC_OFF, PP_HEADER_SIZE,
  PP_COMPLETE_SIZE, PR_MAGIC, PR_MAGIC_OFF, PR_KEYLEN_OFF, PR_FLAGS_OFF, PR_VALLEN_OFF, PR_CRC_OFF,
  PR_HEADER_SIZE, PR_F_DELETED, PR_KEY_MAX, KEY_SECURITY_COUNTER, SETTING_FORMAT,
} from './constants';

/** The stored value: {u8 SETTING_FORMAT, u32 counter} (flash/settings.ts). */
const VALUE_LEN = 5;

function roundUp(n: number, unit: number): number {
  return Math.ceil(n / unit) * unit;
}

/** The highest security counter stored in the preferences region (0 when none). */
export function prefsFloor(flash: NorFlash, layout: FlashLayout): number {
  const unit = layout.geometry.writeAlign;
  const pageSize = layout.prefsPageSectors * layout.geometry.sectorSize;
  const dataStart = roundUp(PP_HEADER_SIZE, unit) + roundUp(PP_COMPLETE_SIZE, unit);
  const key = KEY_SECURITY_COUNTER;
  const hdr = new Uint8Array(PR_HEADER_SIZE);
  const rec = new Uint8Array(PR_HEADER_SIZE + key.length + VALUE_LEN);
  const ph = new Uint8Array(PP_HEADER_SIZE);
  let best = 0;
  for (let p = 0; p < layout.prefsPages; p++) {
    const base = layout.prefs.offset + p * pageSize;
    if (flash.read(base, ph) !== FLASH_OK) continue;
    const pv = viewOf(ph);
    if (pv.getUint32(PP_MAGIC_OFF, true) !== PP_MAGIC || pv.getUint32(PP_CRC_OFF, true) !== crc32(ph, 0, PP_CRC_OFF)) continue;
    if (pv.getUint16(PP_VERSION_OFF, true) !== PP_VERSION || pv.getUint16(PP_SECTORS_OFF, true) !== layout.prefsPageSectors) continue;
    let pos = dataStart;
    while (pos + PR_HEADER_SIZE <= pageSize) {
      if (flash.read(base + pos, hdr) !== FLASH_OK) break;
      const v = viewOf(hdr);
      if (v.getUint16(PR_MAGIC_OFF, true) !== PR_MAGIC) break;
      const keyLen = hdr[PR_KEYLEN_OFF];
      const valueLen = v.getUint32(PR_VALLEN_OFF, true);
      if (keyLen < 1 || keyLen > PR_KEY_MAX || valueLen > pageSize - pos - PR_HEADER_SIZE - keyLen) break;
      if (keyLen === key.length && valueLen === VALUE_LEN && (hdr[PR_FLAGS_OFF] & PR_F_DELETED) !== 0 &&
          flash.read(base + pos, rec) === FLASH_OK) {
        let same = true;
        for (let i = 0; i < key.length; i++) if (rec[PR_HEADER_SIZE + i] !== key.charCodeAt(i)) same = false;
        const rv = viewOf(rec);
        const c = crc32(rec, PR_HEADER_SIZE, rec.length, crc32(rec, 0, PR_CRC_OFF));
        const at = PR_HEADER_SIZE + key.length;
        if (same && c === rv.getUint32(PR_CRC_OFF, true) && rec[at] === SETTING_FORMAT) {
          const n = rv.getUint32(at + 1, true);
          if (n > best) best = n;
        }
      }
      pos += roundUp(PR_HEADER_SIZE + keyLen + valueLen, unit);
    }
  }
  return best;
}
