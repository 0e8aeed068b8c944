/**
 * The bootstrap loader (dist/bootloader.js): reads the boot state and the rollback floor,
 * picks a slot with an ordered decision table, verifies the image (SHA-256 + Ed25519,
 * streamed through one buffer of at most a sector, feeding the watchdog per chunk), records
 * what it is about to do in the boot state, then starts the payload with
 * hal.system.startImage, or hands over to the serial recovery module
 * (hal.system.startRecovery: dist/recovery.js, in the loader region) when nothing is valid.
 *
 * A/B slots run in place (direct-XIP-like, reference/flash_boot.md 1.4 and 5): nothing is
 * copied or swapped, so the loader's only flash writes are single boot-state records.
 *
 * Trust and rollback (flash/config.ts): the keys come from the build; "valid" = hash,
 * trusted signature, bootable, security counter >= the floor; the floor is the highest of
 * every valid boot-state record and of the preferences' copy (flash/floor.ts), so erasing
 * the boot state does not lower it. The loader never raises the floor: confirmRunning
 * (flash/stage.ts, called by the running firmware once it works) does. A pending image
 * must also not be older than the confirmed image (MCUboot's downgrade prevention). Only a
 * development loader built with allowDowngrade skips the floor and version checks; the
 * boot state's old override bit is ignored (and logged).
 *
 * Decision table (DECISION_TABLE, evaluated top to bottom, the first matching row wins;
 * slot validity is computed lazily, each slot at most once; "pending valid" = valid and
 * not older than the confirmed image):
 *
 * | row | pending | tried | reset reason   | pending valid | confirmed valid | other valid | action         |
 * |-----|---------|-------|----------------|---------------|-----------------|-------------|----------------|
 * | 1   | set     | no    | any            | yes           | any             | any         | test           |
 * | 2   | set     | yes   | watchdog/crash | any           | yes             | any         | revert         |
 * | 3   | set     | yes   | any            | any           | yes             | any         | revert         |
 * | 4   | set     | no    | any            | no            | yes             | any         | reject-pending |
 * | 5   | none    | -     | any            | -             | yes             | any         | confirmed      |
 * | 6   | any     | any   | any            | any           | no              | yes         | fallback       |
 * | 7   | any     | any   | any            | any           | any             | any         | recovery       |
 *
 * test: write tried=1, boot the pending slot (once: the next reset without a confirm reverts).
 * revert / reject-pending: write pending=none, boot the confirmed slot (the display says
 *   why a pending image was refused).
 * confirmed: boot it; nothing is written.
 * fallback: the confirmed slot is bad or unset (a blank board, an erased boot state): the
 *   first valid slot of A, B that is not the confirmed one boots as a trial (pending=it,
 *   tried=1): it is not confirmed and the floor does not move; the running firmware
 *   confirms it (confirmRunning) once it works. Display and log say "fallback".
 * recovery: nothing valid: say so on the display and start serial recovery.
 *
 * A development loader (one that trusts the development key) says "development key" in the
 * log and on the display's last line at every boot.
 */
import type { Hal } from '../hal/index';
import { LOG_INFO, LOG_WARN, LOG_ERROR, RESET_WATCHDOG, RESET_CRASH } from '../hal/system';
import type { ResetReason } from '../hal/system';
import { DISPLAY_LINES } from '../hal/display';
import type { LayoutOptions } from './layout';
import { computeLayout } from './layout';
import { BootStateStore, copyBootState } from './bootstate';
import type { BootState } from './bootstate';
import { flashSource, validateImage, readImageInfo, checkPolicy, versionBelow, versionToString } from './image';
import type { ImageInfo, ImageResult, ImageVersion, TrustedKey } from './image';
import type { LoaderConfig } from './config';
import { configKeys, trustsDevKey, downgradeAllowed } from './config';
import { prefsFloor } from './floor';
import { SLOT_NONE, SLOT_A, SLOT_B } from './constants';

export type BootAction = 'test' | 'revert' | 'reject-pending' | 'confirmed' | 'fallback' | 'recovery';

/** A condition column: 'yes', 'no' or 'any'. */
export type Cond = 'yes' | 'no' | 'any';

export interface DecisionRow {
  pending: Cond;
  tried: Cond;
  /** 'yes' = the reset was a watchdog or a crash. */
  fault: Cond;
  pendingValid: Cond;
  confirmedValid: Cond;
  otherValid: Cond;
  action: BootAction;
  why: string;
}

/** The table; the order matters (first match wins). See the module comment. */
export const DECISION_TABLE: DecisionRow[] = [
  { pending: 'yes', tried: 'no', fault: 'any', pendingValid: 'yes', confirmedValid: 'any', otherValid: 'any', action: 'test', why: 'test boot of the pending image' },
  { pending: 'yes', tried: 'yes', fault: 'yes', pendingValid: 'any', confirmedValid: 'yes', otherValid: 'any', action: 'revert', why: 'test image crashed before confirming' },
  { pending: 'yes', tried: 'yes', fault: 'any', pendingValid: 'any', confirmedValid: 'yes', otherValid: 'any', action: 'revert', why: 'test image was not confirmed' },
  { pending: 'yes', tried: 'no', fault: 'any', pendingValid: 'no', confirmedValid: 'yes', otherValid: 'any', action: 'reject-pending', why: 'pending image refused' },
  { pending: 'no', tried: 'any', fault: 'any', pendingValid: 'any', confirmedValid: 'yes', otherValid: 'any', action: 'confirmed', why: 'confirmed image' },
  { pending: 'any', tried: 'any', fault: 'any', pendingValid: 'any', confirmedValid: 'no', otherValid: 'yes', action: 'fallback', why: 'confirmed image missing or invalid' },
  { pending: 'any', tried: 'any', fault: 'any', pendingValid: 'any', confirmedValid: 'any', otherValid: 'any', action: 'recovery', why: 'no valid image' },
];

export interface DecisionInput {
  state: BootState;
  reason: ResetReason;
  /** Is the image in `slot` valid (hash, signature, policy)? Called at most once per slot. */
  valid: (slot: number) => boolean;
  /** Is the image in `slot` older than the confirmed image (downgrade prevention)? Default: no. */
  older?: (slot: number) => boolean;
}

export interface Decision {
  /** 1-based row of DECISION_TABLE. */
  row: number;
  action: BootAction;
  /** The slot to boot (SLOT_NONE for recovery). */
  slot: number;
  why: string;
}

function matches(c: Cond, value: () => boolean): boolean {
  if (c === 'any') return true;
  return value() === (c === 'yes');
}

/** Scan DECISION_TABLE for `input`; pure apart from the lazy `valid` calls. */
export function decide(input: DecisionInput): Decision {
  const s = input.state;
  const memo: number[] = [-1, -1];
  const valid = function (slot: number): boolean {
    if (slot !== SLOT_A && slot !== SLOT_B) return false;
    if (memo[slot] < 0) memo[slot] = input.valid(slot) ? 1 : 0;
    return memo[slot] === 1;
  };
  // A pending mark on the confirmed slot is meaningless (and never written): ignore it.
  const pending = s.pending !== SLOT_NONE && s.pending !== s.confirmed ? s.pending : SLOT_NONE;
  const fault = input.reason === RESET_WATCHDOG || input.reason === RESET_CRASH;
  const olderMemo: number[] = [-1, -1];
  const older = function (slot: number): boolean {
    if (input.older === undefined || slot === s.confirmed || (slot !== SLOT_A && slot !== SLOT_B)) return false;
    if (olderMemo[slot] < 0) olderMemo[slot] = input.older(slot) ? 1 : 0;
    return olderMemo[slot] === 1;
  };
  const other = function (): number {
    if (SLOT_A !== s.confirmed && valid(SLOT_A)) return SLOT_A;
    if (SLOT_B !== s.confirmed && valid(SLOT_B)) return SLOT_B;
    return SLOT_NONE;
  };
  for (let i = 0; i < DECISION_TABLE.length; i++) {
    const r = DECISION_TABLE[i];
    if (!matches(r.pending, function () { return pending !== SLOT_NONE; })) continue;
    if (!matches(r.tried, function () { return s.tried; })) continue;
    if (!matches(r.fault, function () { return fault; })) continue;
    if (!matches(r.pendingValid, function () { return !older(pending) && valid(pending); })) continue;
    if (!matches(r.confirmedValid, function () { return valid(s.confirmed); })) continue;
    if (!matches(r.otherValid, function () { return other() !== SLOT_NONE; })) continue;
    let slot = SLOT_NONE;
    if (r.action === 'test') slot = pending;
    else if (r.action === 'fallback') slot = other();
    else if (r.action !== 'recovery') slot = s.confirmed;
    return { row: i + 1, action: r.action, slot: slot, why: r.why };
  }
  return { row: DECISION_TABLE.length, action: 'recovery', slot: SLOT_NONE, why: 'no valid image' };
}

// ---------------------------------------------------------------------------------------
// Running the loader on a HAL
// ---------------------------------------------------------------------------------------

export interface LoaderOptions {
  /** The build configuration (keys, release, override): flash/config.ts. */
  config: LoaderConfig;
  /** Trusted keys (default: configKeys(config)). */
  keys?: TrustedKey[];
  /** Layout overrides for small boards (default config.layout; must match the firmware's). */
  layout?: LayoutOptions;
  /** Arm the watchdog with this period before verifying (default: leave it as the ROM set it). */
  watchdogMs?: number;
}

export interface LoaderResult {
  decision: Decision;
  /** The image started (null for recovery or a layout error). */
  info: ImageInfo | null;
  /** Per-slot refusal reasons found while deciding (for logs and tests). */
  refusals: string[];
  state: BootState;
  /** The rollback floor the loader enforced (highest copy in boot state and preferences). */
  floor: number;
  /** The loader trusts the development key. */
  devKey: boolean;
  /** Payload address and length handed to startImage (0, 0 when none). */
  startOffset: number;
  startLength: number;
  layoutError: string | null;
}

/** Largest streaming buffer the loader uses (a sector at most). */
const MAX_SCRATCH = 4096;

function slotName(slot: number): string {
  return slot === SLOT_A ? 'A' : slot === SLOT_B ? 'B' : '-';
}

/** Run the loader once: decide, record, start (or enter recovery). */
export function runLoader(hal: Hal, options: LoaderOptions): LoaderResult {
  const o = options;
  const config = o.config;
  const log = function (level: number, msg: string): void { hal.system.log(level, 'loader', msg); };
  const show = function (line: number, text: string): void { hal.display.setLine(line, text); };
  const devKey = trustsDevKey(config);
  const result: LoaderResult = {
    decision: { row: 0, action: 'recovery', slot: SLOT_NONE, why: '' },
    info: null, refusals: [], state: { seq: 0, confirmed: SLOT_NONE, pending: SLOT_NONE, tried: false, devDowngrade: false, securityFloor: 0 },
    floor: 0, devKey: devKey, startOffset: 0, startLength: 0, layoutError: null,
  };
  // As an unlocked bootloader does: say it at every boot, on the last line of the display.
  if (devKey) {
    log(LOG_WARN, 'development key: images signed with tools/image/dev-key.json boot (its private half is public)');
    show(DISPLAY_LINES - 1, 'development key');
  }
  const allowDowngrade = downgradeAllowed(config);
  if (allowDowngrade) log(LOG_WARN, 'development loader: downgrade override built in');
  const lay = computeLayout(hal.flash.geometry, o.layout !== undefined ? o.layout : config.layout);
  if (!lay.ok) {
    log(LOG_ERROR, 'flash layout: ' + lay.detail);
    show(0, 'Flash layout error');
    show(1, lay.detail);
    result.layoutError = lay.detail;
    return result;
  }
  const layout = lay.value;
  if (o.watchdogMs !== undefined) hal.system.watchdogStart(o.watchdogMs);
  const keys = o.keys !== undefined ? o.keys : configKeys(hal.crypto, config);
  const scratch = new Uint8Array(layout.geometry.sectorSize < MAX_SCRATCH ? layout.geometry.sectorSize : MAX_SCRATCH);
  const boot = new BootStateStore(hal.flash, layout);
  const state = boot.load();
  const pf = prefsFloor(hal.flash, layout);
  const floor = pf > state.securityFloor ? pf : state.securityFloor;
  result.state = state;
  result.floor = floor;
  const reason = hal.system.resetReason();
  log(LOG_INFO, 'reset ' + reason + '; boot state #' + state.seq + ' confirmed ' + slotName(state.confirmed) +
    ' pending ' + slotName(state.pending) + (state.tried ? ' (tried)' : '') + '; floor ' + floor);
  if (state.devDowngrade) log(LOG_WARN, 'boot state claims a downgrade override: ignored (only a development build allows downgrades)');
  const infos: (ImageInfo | null)[] = [null, null];
  const refusals = result.refusals;
  const feed = function (): void { hal.system.watchdogFeed(); };
  const refused = function (slot: number, detail: string): void {
    refusals.push(slotName(slot) + ': ' + detail);
    log(LOG_WARN, 'slot ' + slotName(slot) + ' refused: ' + detail);
  };
  const check = function (slot: number): boolean {
    const r = layout.slots[slot];
    show(0, 'Verifying image ' + slotName(slot));
    const v: ImageResult<ImageInfo> = validateImage(flashSource(hal.flash, r.offset, r.size), hal.crypto, keys,
      { buffer: scratch, onProgress: feed });
    const p = v.ok ? checkPolicy(v.value, floor, allowDowngrade) : v;
    if (!p.ok) {
      refused(slot, p.detail);
      return false;
    }
    if (p.value.securityCounter < floor) log(LOG_WARN, 'slot ' + slotName(slot) + ' below the security floor: development override');
    infos[slot] = p.value;
    return true;
  };
  // Downgrade prevention: the header version of `slot` against the confirmed image's.
  const older = function (slot: number): boolean {
    if (allowDowngrade || state.confirmed === SLOT_NONE) return false;
    const version = function (s: number): ImageVersion | null {
      const r = layout.slots[s];
      const i = readImageInfo(flashSource(hal.flash, r.offset, r.size), scratch);
      return i.ok ? i.value.header.version : null;
    };
    const mine = version(slot);
    const theirs = version(state.confirmed);
    if (mine === null || theirs === null || !versionBelow(mine, theirs)) return false;
    refused(slot, 'downgrade: version ' + versionToString(mine) + ' is below the confirmed image\'s ' + versionToString(theirs));
    return true;
  };
  const d = decide({ state: state, reason: reason, valid: check, older: older });
  result.decision = d;
  log(LOG_INFO, 'decision row ' + d.row + ': ' + d.action + ' ' + slotName(d.slot) + ' (' + d.why + ')');
  if (d.action === 'recovery') {
    show(0, 'Serial recovery');
    show(1, 'No valid image');
    show(2, refusals.length > 0 ? refusals[0] : 'flash empty');
    log(LOG_ERROR, 'no valid image: serial recovery mode');
    // A HAL without a recovery module (an older engine runner) stays on this screen.
    if (typeof hal.system.startRecovery === 'function') hal.system.startRecovery();
    else log(LOG_ERROR, 'this board has no serial recovery module');
    return result;
  }
  let slot = d.slot;
  const info = infos[slot];
  if (info === null) return result; // unreachable: a booting row saw the slot valid
  // Record the decision before starting anything (one boot-state record). Every record
  // carries the enforced floor, so a boot state that lost it gets it back.
  const next = copyBootState(state);
  next.securityFloor = floor;
  let write = false;
  let note = '';
  if (d.action === 'test') {
    next.tried = true;
    write = true;
  } else if (d.action === 'revert' || d.action === 'reject-pending') {
    next.pending = SLOT_NONE;
    next.tried = false;
    write = true;
    if (d.action === 'reject-pending') {
      note = 'Update refused';
      show(2, refusals.length > 0 ? refusals[refusals.length - 1] : d.why);
    }
  } else if (d.action === 'fallback') {
    // A trial, never a confirmation: the running firmware confirms it once it works.
    note = 'fallback (not confirmed)';
    log(LOG_WARN, 'fallback: slot ' + slotName(slot) + ' boots unconfirmed (' + d.why + ')');
    if (state.pending !== slot || !state.tried) {
      next.pending = slot;
      next.tried = true;
      write = true;
    }
  }
  if (floor > state.securityFloor) write = true;
  let finalInfo: ImageInfo = info;
  if (write) {
    const w = boot.write(next);
    if (!w.ok) {
      log(LOG_ERROR, 'boot state write failed: ' + w.detail);
      // Never run an image the boot state does not name (a crashing test image would loop,
      // a fallback image would be taken for the confirmed one): boot the confirmed image
      // instead when it is valid.
      if (d.action === 'test' || d.action === 'fallback') {
        if (d.action === 'test' && state.confirmed !== SLOT_NONE && check(state.confirmed)) {
          const ci = infos[state.confirmed];
          if (ci !== null) { slot = state.confirmed; finalInfo = ci; }
        } else {
          show(0, 'Boot state error');
          show(1, w.detail);
          return result;
        }
      }
    } else {
      result.state = w.value;
    }
  }
  const region = layout.slots[slot];
  result.info = finalInfo;
  result.startOffset = region.offset + finalInfo.payloadOffset;
  result.startLength = finalInfo.payloadSize;
  show(0, 'Loading ' + finalInfo.loadId);
  show(1, note);
  if (note !== 'Update refused') show(2, '');
  log(LOG_INFO, 'starting ' + finalInfo.loadId + ' ' + versionToString(finalInfo.header.version) + ' from slot ' +
    slotName(slot) + (d.action === 'fallback' ? ' (fallback)' : ''));
  hal.system.startImage(result.startOffset, result.startLength);
  return result;
}
