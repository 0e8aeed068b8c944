/**
 * The preferences store: a log-structured key-value store on NOR flash (after Zephyr NVS and
 * littlefs; constants PP_* and PR_* in flash/constants.ts).
 *
 * The region is a ring of `layout.prefsPages` pages of `layout.prefsPageSectors` sectors.
 * Exactly one page is live: the complete page with the highest sequence number. A page is
 * a header {magic, seq, version, sectors, CRC-32}, a "complete" word, then records
 * {u16 magic, u8 keyLen, u8 flags, u32 valueLen, u32 CRC-32 over header+key+value}, key,
 * value, padded to the write unit with 0xff. A record is one program operation.
 *
 * - Atomic replace: a new record for a key supersedes the older ones (log order). A torn
 *   record fails its CRC; it and everything after it are ignored, and the page is treated
 *   as full so the next write compacts into a fresh page. Before appending, the target bytes
 *   are checked blank (a torn write may have cleared bits in bytes that look unwritten).
 * - Garbage collection copies the live records into the next page of the ring (erased first,
 *   sector by sector), writing the replaced key's new value there instead of the old one,
 *   then programs the complete word. Until that word is programmed the old page stays live,
 *   so a cut anywhere leaves every key with its old or its new value.
 * - An interrupted GC is resumed at mount: a header-valid, incomplete page whose seq is the
 *   live page's + 1 is the interrupted target. If its records are intact the copy continues
 *   with the keys it lacks; if its tail is torn it is erased and the GC restarts.
 * - Wear: each GC erases the next page of the ring, so erases rotate over every sector.
 * - Page seqs are u32 and wrap (0xffffffff + 1 = 0): "newer" is serial-number arithmetic
 *   (RFC 1982), sound because the pages' seqs always lie within `pages` of each other.
 * - Bounded RAM: the index holds at most PR_MAX_KEYS keys (arrays sized up front); copies
 *   and checks stream through one CHUNK-byte buffer; only get()/set() hold a whole value.
 */
import type { NorFlash } from '../hal/flash';
import { FLASH_OK } from '../hal/flash';
import { ok, fail } from '../lib/result';
import type { Result } from '../lib/result';
import { crc32 } from '../lib/crc';
import { viewOf, bytesEqual } from '../lib/bytes';
import type { FlashLayout } from './layout';
import {
  PP_MAGIC, PP_VERSION, PP_MAGIC_OFF, PP_SEQ_OFF, PP_VERSION_OFF, PP_SECTORS_OFF, PP_CRC_OFF,
  PP_HEADER_SIZE, PP_COMPLETE, PP_COMPLETE_SIZE, PR_MAGIC, PR_MAGIC_OFF, PR_KEYLEN_OFF,
  PR_FLAGS_OFF, PR_VALLEN_OFF, PR_CRC_OFF, PR_HEADER_SIZE, PR_F_DELETED, PR_KEY_MAX,
  PR_MAX_KEYS, ERASED,
} from './constants';

/** Streaming buffer size for CRC checks, blank checks and GC copies. */
const CHUNK = 256;

/** What mount found and did. */
export interface MountReport {
  /** Index of the live page and its sequence number. */
  page: number;
  seq: number;
  keys: number;
  /** A blank (or unreadable) region was formatted. */
  formatted: boolean;
  /** An interrupted GC was finished ('continued') or redone ('restarted'). */
  resumedGc: string;
  /** The live page's log ended in a torn or corrupt record. */
  tornTail: boolean;
}

export interface PrefsStats {
  page: number;
  seq: number;
  keys: number;
  /** Bytes of the live page used by records (live and superseded), and left. */
  used: number;
  free: number;
  /** Bytes the live records need after a compaction. */
  live: number;
  gcRuns: number;
}

function roundUp(n: number, unit: number): number {
  return Math.ceil(n / unit) * unit;
}

/** The seq after `s`, wrapping at 2^32. */
function seqNext(s: number): number {
  return (s + 1) >>> 0;
}

/** True when seq `a` is newer than `b` (RFC 1982: a - b mod 2^32 in [1, 2^31)). */
function seqNewer(a: number, b: number): boolean {
  const d = (a - b) >>> 0;
  return d !== 0 && d < 0x80000000;
}

function validKey(key: string): boolean {
  if (key.length < 1 || key.length > PR_KEY_MAX) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/** The in-RAM index of one page: key -> record offset, capped at PR_MAX_KEYS. */
class PageIndex {
  keys: string[] = [];
  offsets: number[] = [];
  valueLens: number[] = [];

  find(key: string): number {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] === key) return i;
    return -1;
  }
  /** false when the cap is reached. */
  put(key: string, off: number, len: number): boolean {
    const i = this.find(key);
    if (i >= 0) {
      this.offsets[i] = off;
      this.valueLens[i] = len;
      return true;
    }
    if (this.keys.length >= PR_MAX_KEYS) return false;
    this.keys.push(key);
    this.offsets.push(off);
    this.valueLens.push(len);
    return true;
  }
  remove(key: string): void {
    const i = this.find(key);
    if (i < 0) return;
    this.keys.splice(i, 1);
    this.offsets.splice(i, 1);
    this.valueLens.splice(i, 1);
  }
  clear(): void {
    this.keys = [];
    this.offsets = [];
    this.valueLens = [];
  }
}

interface ScanResult {
  /** Offset after the last valid record. */
  end: number;
  /** A non-blank record that did not validate ends the log. */
  torn: boolean;
}

/** The store. Construct, mount(), then get/set/remove (not `delete`: a reserved word is not a method name on Espruino). Methods never throw on flash content. */
export class PrefsStore {
  private readonly flash: NorFlash;
  private readonly base: number;
  private readonly pages: number;
  private readonly sectorSize: number;
  private readonly pageSectors: number;
  private readonly pageSize: number;
  private readonly unit: number;
  private readonly completeOff: number;
  private readonly dataStart: number;
  private readonly chunk: Uint8Array;
  private readonly hdr: Uint8Array;
  private index = new PageIndex();
  private page = 0;
  private seq = 0;
  private writePos = 0;
  private mounted = false;
  private gcRuns = 0;

  constructor(flash: NorFlash, layout: FlashLayout) {
    this.flash = flash;
    this.base = layout.prefs.offset;
    this.pages = layout.prefsPages;
    this.sectorSize = layout.geometry.sectorSize;
    this.pageSectors = layout.prefsPageSectors;
    this.pageSize = this.pageSectors * this.sectorSize;
    this.unit = layout.geometry.writeAlign;
    this.completeOff = roundUp(PP_HEADER_SIZE, this.unit);
    this.dataStart = this.completeOff + roundUp(PP_COMPLETE_SIZE, this.unit);
    this.chunk = new Uint8Array(roundUp(CHUNK, this.unit));
    this.hdr = new Uint8Array(PR_HEADER_SIZE);
  }

  /** Largest value a record may hold (a record must fit one page). */
  maxValueSize(): number {
    return this.pageSize - this.dataStart - PR_HEADER_SIZE - PR_KEY_MAX;
  }

  // -------------------------------------------------------------------------------------
  // Reading pages
  // -------------------------------------------------------------------------------------

  private pageAddr(p: number): number {
    return this.base + p * this.pageSize;
  }

  /** Header seq of page p, or -1 when the header is blank or corrupt. */
  private readHeader(p: number): number {
    const h = this.chunk.subarray(0, PP_HEADER_SIZE);
    if (this.flash.read(this.pageAddr(p), h) !== FLASH_OK) return -1;
    const v = viewOf(h);
    if (v.getUint32(PP_MAGIC_OFF, true) !== PP_MAGIC) return -1;
    if (v.getUint32(PP_CRC_OFF, true) !== crc32(h, 0, PP_CRC_OFF)) return -1;
    if (v.getUint16(PP_VERSION_OFF, true) !== PP_VERSION) return -1;
    if (v.getUint16(PP_SECTORS_OFF, true) !== this.pageSectors) return -1;
    return v.getUint32(PP_SEQ_OFF, true);
  }

  private isComplete(p: number): boolean {
    const w = this.chunk.subarray(0, PP_COMPLETE_SIZE);
    if (this.flash.read(this.pageAddr(p) + this.completeOff, w) !== FLASH_OK) return false;
    // Any bit cleared: the commit was programmed (possibly torn), so the copy had finished.
    return viewOf(w).getUint32(0, true) !== 0xffffffff;
  }

  /** CRC of a record's header[0,8) + key + value, streamed from flash; -1 on read error. */
  private recordCrc(addr: number, keyLen: number, valueLen: number): number {
    let c = crc32(this.hdr, 0, PR_CRC_OFF);
    let at = addr + PR_HEADER_SIZE;
    let left = keyLen + valueLen;
    while (left > 0) {
      const n = left < this.chunk.length ? left : this.chunk.length;
      const b = this.chunk.subarray(0, n);
      if (this.flash.read(at, b) !== FLASH_OK) return -1;
      c = crc32(b, 0, n, c);
      at += n;
      left -= n;
    }
    return c;
  }

  private readKey(addr: number, keyLen: number): string {
    const b = this.chunk.subarray(0, keyLen);
    if (this.flash.read(addr + PR_HEADER_SIZE, b) !== FLASH_OK) return '';
    let s = '';
    for (let i = 0; i < keyLen; i++) s += String.fromCharCode(b[i]);
    return s;
  }

  /**
   * Walk page p's records into `index` (latest per key wins; tombstones remove). Lengths in
   * a record header come from flash: bounds are checked against the page before use.
   */
  private scan(p: number, index: PageIndex): ScanResult {
    index.clear();
    const pageBase = this.pageAddr(p);
    let pos = this.dataStart;
    while (pos + PR_HEADER_SIZE <= this.pageSize) {
      if (this.flash.read(pageBase + pos, this.hdr) !== FLASH_OK) return { end: pos, torn: true };
      let blank = true;
      for (let i = 0; i < PR_HEADER_SIZE; i++) if (this.hdr[i] !== ERASED) blank = false;
      if (blank) return { end: pos, torn: false };
      const v = viewOf(this.hdr);
      const keyLen = this.hdr[PR_KEYLEN_OFF];
      const valueLen = v.getUint32(PR_VALLEN_OFF, true);
      if (v.getUint16(PR_MAGIC_OFF, true) !== PR_MAGIC || keyLen < 1 || keyLen > PR_KEY_MAX) return { end: pos, torn: true };
      if (valueLen > this.pageSize - pos - PR_HEADER_SIZE - keyLen) return { end: pos, torn: true };
      const want = v.getUint32(PR_CRC_OFF, true);
      if (this.recordCrc(pageBase + pos, keyLen, valueLen) !== want) return { end: pos, torn: true };
      const key = this.readKey(pageBase + pos, keyLen);
      if (!validKey(key)) return { end: pos, torn: true };
      if ((this.hdr[PR_FLAGS_OFF] & PR_F_DELETED) === 0) {
        index.remove(key);
      } else if (!index.put(key, pos, valueLen)) {
        return { end: pos, torn: true };
      }
      pos += roundUp(PR_HEADER_SIZE + keyLen + valueLen, this.unit);
    }
    return { end: pos, torn: false };
  }

  private isBlankRange(addr: number, len: number): boolean {
    let at = addr;
    let left = len;
    while (left > 0) {
      const n = left < this.chunk.length ? left : this.chunk.length;
      const b = this.chunk.subarray(0, n);
      if (this.flash.read(at, b) !== FLASH_OK) return false;
      for (let i = 0; i < n; i++) if (b[i] !== ERASED) return false;
      at += n;
      left -= n;
    }
    return true;
  }

  // -------------------------------------------------------------------------------------
  // Writing pages
  // -------------------------------------------------------------------------------------

  private erasePage(p: number): boolean {
    const a = this.pageAddr(p);
    for (let s = 0; s < this.pageSectors; s++) {
      if (this.flash.erase(a + s * this.sectorSize) !== FLASH_OK) return false;
    }
    return true;
  }

  private writeHeader(p: number, seq: number): boolean {
    const h = new Uint8Array(this.completeOff);
    h.fill(ERASED);
    const v = viewOf(h);
    v.setUint32(PP_MAGIC_OFF, PP_MAGIC, true);
    v.setUint32(PP_SEQ_OFF, seq >>> 0, true);
    v.setUint16(PP_VERSION_OFF, PP_VERSION, true);
    v.setUint16(PP_SECTORS_OFF, this.pageSectors, true);
    v.setUint32(PP_CRC_OFF, crc32(h, 0, PP_CRC_OFF), true);
    return this.flash.program(this.pageAddr(p), h) === FLASH_OK;
  }

  private writeComplete(p: number): boolean {
    const w = new Uint8Array(roundUp(PP_COMPLETE_SIZE, this.unit));
    w.fill(ERASED);
    viewOf(w).setUint32(0, PP_COMPLETE, true);
    return this.flash.program(this.pageAddr(p) + this.completeOff, w) === FLASH_OK;
  }

  /** Program one record (key, value or tombstone) at page p, offset pos; its padded size or -1. */
  private writeRecord(p: number, pos: number, key: string, value: Uint8Array | null): number {
    const vlen = value === null ? 0 : value.length;
    const size = roundUp(PR_HEADER_SIZE + key.length + vlen, this.unit);
    const rec = new Uint8Array(size);
    rec.fill(ERASED);
    const v = viewOf(rec);
    v.setUint16(PR_MAGIC_OFF, PR_MAGIC, true);
    rec[PR_KEYLEN_OFF] = key.length;
    rec[PR_FLAGS_OFF] = value === null ? (0xff & ~PR_F_DELETED) : 0xff;
    v.setUint32(PR_VALLEN_OFF, vlen, true);
    for (let i = 0; i < key.length; i++) rec[PR_HEADER_SIZE + i] = key.charCodeAt(i);
    if (value !== null) rec.set(value, PR_HEADER_SIZE + key.length);
    let c = crc32(rec, 0, PR_CRC_OFF);
    c = crc32(rec, PR_HEADER_SIZE, PR_HEADER_SIZE + key.length + vlen, c);
    v.setUint32(PR_CRC_OFF, c, true);
    if (this.flash.program(this.pageAddr(p) + pos, rec) !== FLASH_OK) return -1;
    return size;
  }

  /** Copy the record at (from, off) to (to, pos) in CHUNK pieces; its padded size or -1. */
  private copyRecord(from: number, off: number, to: number, pos: number, keyLen: number, valueLen: number): number {
    const size = roundUp(PR_HEADER_SIZE + keyLen + valueLen, this.unit);
    let done = 0;
    while (done < size) {
      const n = size - done < this.chunk.length ? size - done : this.chunk.length;
      const b = this.chunk.subarray(0, n);
      if (this.flash.read(this.pageAddr(from) + off + done, b) !== FLASH_OK) return -1;
      if (this.flash.program(this.pageAddr(to) + pos + done, b) !== FLASH_OK) return -1;
      done += n;
    }
    return size;
  }

  private keyLenAt(p: number, off: number): number {
    const h = this.chunk.subarray(0, PR_HEADER_SIZE);
    if (this.flash.read(this.pageAddr(p) + off, h) !== FLASH_OK) return -1;
    return h[PR_KEYLEN_OFF];
  }

  /**
   * Copy the live records of the live page into `target` (already holding `have`, at
   * `startPos`), with `replaceKey` given `replaceValue` (null = deleted) instead, then commit.
   * On success the target becomes the live page.
   */
  private fillAndCommit(target: number, targetSeq: number, have: PageIndex, startPos: number,
                        replaceKey: string | null, replaceValue: Uint8Array | null): Result<number> {
    const next = new PageIndex();
    for (let i = 0; i < have.keys.length; i++) next.put(have.keys[i], have.offsets[i], have.valueLens[i]);
    let pos = startPos;
    for (let i = 0; i < this.index.keys.length; i++) {
      const key = this.index.keys[i];
      if (key === replaceKey || next.find(key) >= 0) continue;
      const off = this.index.offsets[i];
      const kl = this.keyLenAt(this.page, off);
      const vl = this.index.valueLens[i];
      if (kl < 0 || pos + roundUp(PR_HEADER_SIZE + kl + vl, this.unit) > this.pageSize) return fail('too-large', 'prefs: live records do not fit a page');
      const n = this.copyRecord(this.page, off, target, pos, kl, vl);
      if (n < 0) return fail('malformed', 'prefs: flash error copying ' + key);
      next.put(key, pos, vl);
      pos += n;
    }
    if (replaceKey !== null && replaceValue !== null && next.find(replaceKey) < 0) {
      const size = roundUp(PR_HEADER_SIZE + replaceKey.length + replaceValue.length, this.unit);
      if (pos + size > this.pageSize) return fail('too-large', 'prefs: value for ' + replaceKey + ' does not fit');
      const n = this.writeRecord(target, pos, replaceKey, replaceValue);
      if (n < 0) return fail('malformed', 'prefs: flash error writing ' + replaceKey);
      next.put(replaceKey, pos, replaceValue.length);
      pos += n;
    }
    if (!this.writeComplete(target)) return fail('malformed', 'prefs: flash error committing page');
    this.page = target;
    this.seq = targetSeq;
    this.index = next;
    this.writePos = pos;
    this.gcRuns++;
    return ok(pos);
  }

  /** A full garbage collection into the next page of the ring. */
  private collect(replaceKey: string | null, replaceValue: Uint8Array | null): Result<number> {
    const target = (this.page + 1) % this.pages;
    const seq = seqNext(this.seq);
    if (!this.erasePage(target)) return fail('malformed', 'prefs: erase failed');
    if (!this.writeHeader(target, seq)) return fail('malformed', 'prefs: header program failed');
    return this.fillAndCommit(target, seq, new PageIndex(), this.dataStart, replaceKey, replaceValue);
  }

  private format(): boolean {
    if (!this.erasePage(0)) return false;
    if (!this.writeHeader(0, 1)) return false;
    if (!this.writeComplete(0)) return false;
    this.page = 0;
    this.seq = 1;
    this.index.clear();
    this.writePos = this.dataStart;
    return true;
  }

  // -------------------------------------------------------------------------------------
  // Public API
  // -------------------------------------------------------------------------------------

  /** Find the live page, finish an interrupted GC, format a blank region. */
  mount(): Result<MountReport> {
    let best = -1;
    let bestSeq = 0;
    for (let p = 0; p < this.pages; p++) {
      const s = this.readHeader(p);
      if (s >= 0 && (best < 0 || seqNewer(s, bestSeq)) && this.isComplete(p)) {
        best = p;
        bestSeq = s;
      }
    }
    const report: MountReport = { page: 0, seq: 0, keys: 0, formatted: false, resumedGc: 'none', tornTail: false };
    if (best < 0) {
      if (!this.format()) return fail('malformed', 'prefs: format failed');
      report.formatted = true;
    } else {
      this.page = best;
      this.seq = bestSeq;
      const r = this.scan(best, this.index);
      this.writePos = r.torn ? this.pageSize : r.end;
      report.tornTail = r.torn;
      // An interrupted GC: a header-valid, incomplete page with the next sequence number.
      const nextSeq = seqNext(bestSeq);
      for (let p = 0; p < this.pages; p++) {
        if (p === best || this.readHeader(p) !== nextSeq || this.isComplete(p)) continue;
        const have = new PageIndex();
        const t = this.scan(p, have);
        let res: Result<number>;
        if (t.torn) {
          report.resumedGc = 'restarted';
          if (!this.erasePage(p) || !this.writeHeader(p, nextSeq)) return fail('malformed', 'prefs: GC restart failed');
          res = this.fillAndCommit(p, nextSeq, new PageIndex(), this.dataStart, null, null);
        } else {
          report.resumedGc = 'continued';
          res = this.fillAndCommit(p, nextSeq, have, t.end, null, null);
        }
        if (!res.ok) return res;
        break;
      }
    }
    this.mounted = true;
    report.page = this.page;
    report.seq = this.seq;
    report.keys = this.index.keys.length;
    return ok(report);
  }

  private ensureMounted(): Result<boolean> {
    if (this.mounted) return ok(true);
    const m = this.mount();
    if (!m.ok) return m;
    return ok(true);
  }

  /** The value of `key`, or null when absent (or unreadable). */
  get(key: string): Uint8Array | null {
    if (!this.ensureMounted().ok) return null;
    const i = this.index.find(key);
    if (i < 0) return null;
    const out = new Uint8Array(this.index.valueLens[i]);
    const at = this.pageAddr(this.page) + this.index.offsets[i] + PR_HEADER_SIZE + key.length;
    if (out.length > 0 && this.flash.read(at, out) !== FLASH_OK) return null;
    return out;
  }

  has(key: string): boolean {
    if (!this.ensureMounted().ok) return false;
    return this.index.find(key) >= 0;
  }

  /** Live keys in index order. */
  keys(): string[] {
    if (!this.ensureMounted().ok) return [];
    return this.index.keys.slice(0);
  }

  private liveBytes(exceptKey: string | null): number {
    let n = 0;
    for (let i = 0; i < this.index.keys.length; i++) {
      if (this.index.keys[i] === exceptKey) continue;
      n += roundUp(PR_HEADER_SIZE + this.index.keys[i].length + this.index.valueLens[i], this.unit);
    }
    return n;
  }

  /** Store `value` under `key` (atomically replacing the old value). */
  set(key: string, value: Uint8Array): Result<boolean> {
    return this.put(key, value);
  }

  /** Remove `key` (a no-op when absent). */
  remove(key: string): Result<boolean> {
    return this.put(key, null);
  }

  private put(key: string, value: Uint8Array | null): Result<boolean> {
    if (!validKey(key)) return fail('malformed', 'prefs: key must be 1..' + PR_KEY_MAX + ' printable ASCII characters');
    const m = this.ensureMounted();
    if (!m.ok) return m;
    const existing = this.index.find(key);
    if (value === null && existing < 0) return ok(false);
    if (existing < 0 && this.index.keys.length >= PR_MAX_KEYS) return fail('too-large', 'prefs: at most ' + PR_MAX_KEYS + ' keys');
    const vlen = value === null ? 0 : value.length;
    if (vlen > this.maxValueSize()) return fail('too-large', 'prefs: value of ' + vlen + ' bytes exceeds ' + this.maxValueSize());
    // Identical value: nothing to write (saves wear, as NVS does).
    if (value !== null && existing >= 0 && this.index.valueLens[existing] === vlen) {
      const cur = this.get(key);
      if (cur !== null && bytesEqual(cur, value)) return ok(true);
    }
    const size = roundUp(PR_HEADER_SIZE + key.length + vlen, this.unit);
    if (this.writePos + size <= this.pageSize &&
        this.isBlankRange(this.pageAddr(this.page) + this.writePos, size)) {
      const n = this.writeRecord(this.page, this.writePos, key, value);
      const at = this.writePos;
      // Whatever landed, these bytes are used now.
      this.writePos += size;
      if (n < 0) {
        this.writePos = this.pageSize;
        return fail('malformed', 'prefs: flash error writing ' + key);
      }
      if (value === null) this.index.remove(key);
      else this.index.put(key, at, vlen);
      return ok(true);
    }
    // The live page is full (or its tail is torn): compact, with the new value in place of the old.
    const need = this.liveBytes(key) + (value === null ? 0 : size);
    if (need > this.pageSize - this.dataStart) return fail('too-large', 'prefs: no space for ' + key + ' (' + need + ' bytes live)');
    const r = this.collect(key, value);
    if (!r.ok) return r;
    return ok(true);
  }

  /** Compact now (e.g. when idle, so a later write does not pay for it). */
  gc(): Result<boolean> {
    const m = this.ensureMounted();
    if (!m.ok) return m;
    const r = this.collect(null, null);
    if (!r.ok) return r;
    return ok(true);
  }

  stats(): PrefsStats {
    return {
      page: this.page,
      seq: this.seq,
      keys: this.index.keys.length,
      used: this.writePos,
      free: this.pageSize - this.writePos,
      live: this.liveBytes(null),
      gcRuns: this.gcRuns,
    };
  }
}

