/**
 * The firmware side of A/B updates (the public subset, as MCUboot's bootutil_public):
 * stage an image into the other slot as a stream, validate it, mark it pending (test),
 * confirm the running image, and read what is running. OTA feeds the stager from TFTP;
 * serial recovery feeds it from the serial line.
 *
 * Staging erases each sector of the target slot once, just before the first byte lands in
 * it, and programs data as it arrives; partial write units wait in a writeAlign-sized tail.
 * The confirmed slot is never the target, and a pending mark on the target is cleared
 * before its first erase, so a cut during staging always leaves the running image bootable.
 *
 * Rollback: an image is marked pending only when its security counter is at least the
 * floor (the highest copy in the boot state and the preferences, as the loader computes
 * it) and its version is not below the confirmed image's. The floor rises in one place,
 * confirmRunning: the running firmware says it works, and the floor becomes its counter,
 * first in the boot state (one record, with the confirmation), then in the preferences.
 */
import type { NorFlash } from '../hal/flash';
import { FLASH_OK } from '../hal/flash';
import type { Crypto } from '../hal/crypto';
import { ok, fail } from '../lib/result';
import type { Result } from '../lib/result';
import type { FlashLayout, Region } from './layout';
import { BootStateStore, runningSlot, copyBootState } from './bootstate';
import type { BootState } from './bootstate';
import type { Settings } from './settings';
import { prefsFloor } from './floor';
import { flashSource, readImageInfo, validateImage, checkPolicy } from './image';
import type { ImageInfo, ImageResult, ImageVersion, TrustedKey, ValidateOptions } from './image';
import { SLOT_NONE, SLOT_A, SLOT_COUNT, ERASED } from './constants';

/** What is running, read from the boot state and the slot's image header and TLVs. */
export interface RunningImage {
  slot: number;
  loadId: string;
  version: ImageVersion;
  securityCounter: number;
  buildTime: number;
  /** A test boot not yet confirmed: confirmRunning() makes it permanent. */
  testBoot: boolean;
}

export function otherSlot(slot: number): number {
  return slot === SLOT_A ? 1 : 0;
}

/** The image in `slot` parsed (header and TLVs, no hash): for show and for confirm. */
export function readSlotInfo(flash: NorFlash, layout: FlashLayout, slot: number): ImageResult<ImageInfo> {
  const r = layout.slots[slot];
  return readImageInfo(flashSource(flash, r.offset, r.size));
}

/** The running image, or a typed error when the boot state names none. */
export function readRunning(flash: NorFlash, layout: FlashLayout, boot: BootStateStore): Result<RunningImage> {
  const state = boot.load();
  const slot = runningSlot(state);
  if (slot === SLOT_NONE) return fail('malformed', 'boot state names no running slot');
  const info = readSlotInfo(flash, layout, slot);
  if (!info.ok) return info;
  return ok({
    slot: slot,
    loadId: info.value.loadId,
    version: info.value.header.version,
    securityCounter: info.value.securityCounter,
    buildTime: info.value.buildTime,
    testBoot: state.pending !== SLOT_NONE && state.tried,
  });
}

/** The slot an update goes to: never the confirmed one; null during an unconfirmed test boot. */
export function stagingSlot(state: BootState): number | null {
  if (state.pending !== SLOT_NONE && state.tried) return null;
  if (state.confirmed === SLOT_NONE) return SLOT_A;
  return otherSlot(state.confirmed);
}

/** Streams one image into a slot. Create with beginStaging(). */
export class ImageStager {
  readonly slot: number;
  readonly region: Region;
  /** Bytes accepted so far (the next expected offset, for resuming uploads). */
  offset = 0;
  /** Sectors erased so far (one per sector reached). */
  erased = 0;
  private readonly flash: NorFlash;
  private readonly sectorSize: number;
  private readonly align: number;
  private readonly tail: Uint8Array;
  private tailLen = 0;
  /** Bytes programmed (a multiple of align). */
  private programmed = 0;
  private finished = false;
  private failed = false;

  constructor(flash: NorFlash, layout: FlashLayout, slot: number) {
    this.flash = flash;
    this.slot = slot;
    this.region = layout.slots[slot];
    this.sectorSize = layout.geometry.sectorSize;
    this.align = layout.geometry.writeAlign;
    this.tail = new Uint8Array(this.align);
  }

  /** Program `data` (a multiple of align) at `programmed`, erasing each new sector first. */
  private programAligned(data: Uint8Array): Result<number> {
    let done = 0;
    while (done < data.length) {
      const at = this.programmed;
      // Erase the sector the next byte goes to when this is its first byte.
      if (at % this.sectorSize === 0) {
        if (this.flash.erase(this.region.offset + at) !== FLASH_OK) return fail('malformed', 'stage: erase failed at ' + at);
        this.erased++;
      }
      const room = this.sectorSize - (at % this.sectorSize);
      const n = data.length - done < room ? data.length - done : room;
      const st = this.flash.program(this.region.offset + at, data.subarray(done, done + n));
      if (st !== FLASH_OK) return fail('malformed', 'stage: program failed at ' + at + ' (status ' + st + ')');
      this.programmed += n;
      done += n;
    }
    return ok(done);
  }

  /** Take the next bytes of the image; programs what fills whole write units. */
  write(chunk: Uint8Array): Result<number> {
    if (this.finished || this.failed) return fail('refused', 'stage: stager is closed');
    if (this.offset + chunk.length > this.region.size) {
      this.failed = true;
      return fail('too-large', 'stage: image exceeds the slot (' + this.region.size + ' bytes)');
    }
    let i = 0;
    if (this.tailLen > 0) {
      while (this.tailLen < this.align && i < chunk.length) this.tail[this.tailLen++] = chunk[i++];
      if (this.tailLen === this.align) {
        const r = this.programAligned(this.tail);
        if (!r.ok) { this.failed = true; return r; }
        this.tailLen = 0;
      }
    }
    const whole = Math.floor((chunk.length - i) / this.align) * this.align;
    if (whole > 0) {
      const r2 = this.programAligned(chunk.subarray(i, i + whole));
      if (!r2.ok) { this.failed = true; return r2; }
      i += whole;
    }
    while (i < chunk.length) this.tail[this.tailLen++] = chunk[i++];
    this.offset += chunk.length;
    return ok(chunk.length);
  }

  /** Flush the last partial write unit (padded with 0xff); returns the image length. */
  finish(): Result<number> {
    if (this.failed) return fail('refused', 'stage: stager failed');
    if (this.finished) return ok(this.offset);
    if (this.tailLen > 0) {
      for (let k = this.tailLen; k < this.align; k++) this.tail[k] = ERASED;
      const r = this.programAligned(this.tail);
      if (!r.ok) { this.failed = true; return r; }
      this.tailLen = 0;
    }
    this.finished = true;
    return ok(this.offset);
  }
}

export interface StageOptions {
  /** Stage into this slot (serial recovery, where nothing valid runs). Default: stagingSlot(). */
  slot?: number;
  /** Refuse up front when the image will not fit. */
  totalLength?: number;
}

/**
 * Start staging: picks the slot, clears a pending mark on it, checks the length. The slot's
 * sectors are erased one by one as data arrives (not here).
 */
export function beginStaging(flash: NorFlash, layout: FlashLayout, boot: BootStateStore,
                             options?: StageOptions): Result<ImageStager> {
  const state = boot.load();
  let slot: number | null = options !== undefined && options.slot !== undefined ? options.slot : stagingSlot(state);
  if (slot === null) return fail('refused', 'stage: the running test image must be confirmed first');
  if (slot < 0 || slot >= SLOT_COUNT) return fail('malformed', 'stage: no slot ' + slot);
  if (slot === runningSlot(state) && (options === undefined || options.slot === undefined)) {
    return fail('refused', 'stage: will not overwrite the running slot');
  }
  const total = options !== undefined ? options.totalLength : undefined;
  if (total !== undefined && total > layout.slots[slot].size) {
    return fail('too-large', 'stage: image of ' + total + ' bytes exceeds the slot of ' + layout.slots[slot].size);
  }
  if (state.pending === slot || state.confirmed === slot) {
    // The slot is about to stop holding that image: forget it before the first erase.
    const next = copyBootState(state);
    if (next.pending === slot) { next.pending = SLOT_NONE; next.tried = false; }
    if (next.confirmed === slot) next.confirmed = SLOT_NONE;
    const w = boot.write(next);
    if (!w.ok) return w;
  }
  return ok(new ImageStager(flash, layout, slot));
}

/** Policy options of the loader build this code runs beside (serial recovery passes its own). */
export interface PolicyOptions {
  /** The development loader's downgrade override (flash/config.ts downgradeAllowed). */
  allowDowngrade?: boolean;
}

/** The floor the loader enforces: the highest copy in the boot state and the preferences. */
export function effectiveFloor(flash: NorFlash, layout: FlashLayout, boot: BootStateStore): number {
  const b = boot.state().securityFloor;
  const p = prefsFloor(flash, layout);
  return p > b ? p : b;
}

/** The confirmed image's version (from its header), or null when none is confirmed or it does not parse. */
export function confirmedVersion(flash: NorFlash, layout: FlashLayout, state: BootState): ImageVersion | null {
  if (state.confirmed === SLOT_NONE) return null;
  const i = readSlotInfo(flash, layout, state.confirmed);
  return i.ok ? i.value.header.version : null;
}

/**
 * Full validation of `slot` (hash, signature) plus boot policy: the floor, and no version
 * below the confirmed image's (unless `slot` is the confirmed one).
 */
export function validateSlot(flash: NorFlash, layout: FlashLayout, boot: BootStateStore, slot: number,
                             crypto: Crypto, keys: TrustedKey[], options?: ValidateOptions,
                             policy?: PolicyOptions): ImageResult<ImageInfo> {
  const r = layout.slots[slot];
  const v = validateImage(flashSource(flash, r.offset, r.size), crypto, keys, options);
  if (!v.ok) return v;
  const state = boot.state();
  const allow = policy !== undefined && policy.allowDowngrade === true;
  const min = slot === state.confirmed ? null : confirmedVersion(flash, layout, state);
  return checkPolicy(v.value, effectiveFloor(flash, layout, boot), allow, min);
}

/** Validate `slot` and mark it pending: the loader test-boots it once at the next reset. */
export function markPending(flash: NorFlash, layout: FlashLayout, boot: BootStateStore, slot: number,
                            crypto: Crypto, keys: TrustedKey[], policy?: PolicyOptions): Result<BootState> {
  const state = boot.load();
  if (slot === state.confirmed) return fail('refused', 'stage: slot ' + slot + ' is the confirmed image');
  if (state.pending !== SLOT_NONE && state.tried) return fail('refused', 'stage: a test boot is in progress');
  const v = validateSlot(flash, layout, boot, slot, crypto, keys, undefined, policy);
  if (!v.ok) return v;
  const next = copyBootState(state);
  next.pending = slot;
  next.tried = false;
  return boot.write(next);
}

/**
 * The running image works (the firmware calls this once its boot has reached the point that
 * proves it: today the last built stage, later "registered"). A test boot or a fallback
 * trial becomes the confirmed slot, and the rollback floor rises to the running image's
 * security counter: in the boot state (the same record as the confirmation), then in the
 * preferences (`settings`; its copy survives an erase of the boot state). Idempotent: call
 * it at every boot; when nothing changes nothing is written, and a preferences copy that
 * lags (a cut between the two writes) is brought up to date.
 */
export function confirmRunning(flash: NorFlash, layout: FlashLayout, boot: BootStateStore,
                               settings?: Settings | null): Result<BootState> {
  const state = boot.load();
  const slot = runningSlot(state);
  if (slot === SLOT_NONE) return fail('malformed', 'boot state names no running slot');
  const info = readSlotInfo(flash, layout, slot);
  if (!info.ok) return info;
  let done = state;
  const next = copyBootState(state);
  let write = false;
  if (state.pending !== SLOT_NONE && state.tried) {
    next.confirmed = state.pending;
    next.pending = SLOT_NONE;
    next.tried = false;
    write = true;
  }
  if (info.value.securityCounter > next.securityFloor) {
    next.securityFloor = info.value.securityCounter;
    write = true;
  }
  if (write) {
    const w = boot.write(next);
    if (!w.ok) return w;
    done = w.value;
  }
  // The second copy; a failure here is repaired by the next call (the boot state holds it).
  if (settings !== undefined && settings !== null && settings.getSecurityCounter() < done.securityFloor) {
    settings.setSecurityCounter(done.securityFloor);
  }
  return ok(done);
}
