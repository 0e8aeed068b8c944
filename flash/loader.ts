/**
 * The bootstrap loader (dist/bootloader.js): reads the boot state, picks a slot with an
 * ordered decision table, verifies the image (SHA-256 + Ed25519, streamed through one
 * buffer of at most a sector, feeding the watchdog per chunk), records what it is about to
 * do in the boot state, then starts the payload with hal.system.startImage.
 *
 * A/B slots run in place (direct-XIP-like, reference/flash_boot.md 1.4 and 5): nothing is
 * copied or swapped, so the loader's only flash writes are single boot-state records.
 *
 * Decision table (DECISION_TABLE, evaluated top to bottom, the first matching row wins;
 * "valid" = hash, signature and policy: bootable, security counter >= floor unless the
 * development override is on; slot validity is computed lazily, each slot at most once):
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
 * revert / reject-pending: write pending=none, boot the confirmed slot.
 * confirmed: boot it (raising the floor to its counter when lower).
 * fallback: the confirmed slot is bad or unset; the first valid slot of A, B that is not the
 *   confirmed one becomes confirmed and boots.
 * recovery: nothing valid: say so on the display and enter serial recovery.
 */
import type { Hal } from '../hal/index';
import { LOG_INFO, LOG_WARN, LOG_ERROR, RESET_WATCHDOG, RESET_CRASH } from '../hal/system';
import type { ResetReason } from '../hal/system';
import type { FlashLayout, LayoutOptions } from './layout';
import { computeLayout } from './layout';
import { BootStateStore, copyBootState } from './bootstate';
import type { BootState } from './bootstate';
import { flashSource, validateImage, checkPolicy, versionToString } from './image';
import type { ImageInfo, ImageResult, TrustedKey } from './image';
import { trustedKeys } from './keys';
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
  { pending: 'yes', tried: 'no', fault: 'any', pendingValid: 'no', confirmedValid: 'yes', otherValid: 'any', action: 'reject-pending', why: 'pending image failed verification' },
  { pending: 'no', tried: 'any', fault: 'any', pendingValid: 'any', confirmedValid: 'yes', otherValid: 'any', action: 'confirmed', why: 'confirmed image' },
  { pending: 'any', tried: 'any', fault: 'any', pendingValid: 'any', confirmedValid: 'no', otherValid: 'yes', action: 'fallback', why: 'confirmed image missing or invalid' },
  { pending: 'any', tried: 'any', fault: 'any', pendingValid: 'any', confirmedValid: 'any', otherValid: 'any', action: 'recovery', why: 'no valid image' },
];

export interface DecisionInput {
  state: BootState;
  reason: ResetReason;
  /** Is the image in `slot` valid (hash, signature, policy)? Called at most once per slot. */
  valid: (slot: number) => boolean;
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
    if (!matches(r.pendingValid, function () { return valid(pending); })) continue;
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
  /** Trusted keys (default: flash/keys.ts). */
  keys?: TrustedKey[];
  /** Layout overrides for small boards (must match what the firmware uses). */
  layout?: LayoutOptions;
  /** Build-time development override: images below the security floor boot. */
  allowDowngrade?: boolean;
  /** Arm the watchdog with this period before verifying (default: leave it as the ROM set it). */
  watchdogMs?: number;
  /** Entered when nothing valid boots (flash/serial's serialRecovery); the display says so first. */
  recovery?: (hal: Hal, layout: FlashLayout) => void;
}

export interface LoaderResult {
  decision: Decision;
  /** The image started (null for recovery or a layout error). */
  info: ImageInfo | null;
  /** Per-slot refusal reasons found while deciding (for logs and tests). */
  refusals: string[];
  state: BootState;
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
export function runLoader(hal: Hal, options?: LoaderOptions): LoaderResult {
  const log = function (level: number, msg: string): void { hal.system.log(level, 'loader', msg); };
  const blankResult: LoaderResult = {
    decision: { row: 0, action: 'recovery', slot: SLOT_NONE, why: '' },
    info: null, refusals: [], state: { seq: 0, confirmed: SLOT_NONE, pending: SLOT_NONE, tried: false, devDowngrade: false, securityFloor: 0 },
    startOffset: 0, startLength: 0, layoutError: null,
  };
  const lay = computeLayout(hal.flash.geometry, options !== undefined ? options.layout : undefined);
  if (!lay.ok) {
    log(LOG_ERROR, 'flash layout: ' + lay.detail);
    hal.display.setLine(0, 'Flash layout error');
    hal.display.setLine(1, lay.detail);
    blankResult.layoutError = lay.detail;
    return blankResult;
  }
  const layout = lay.value;
  if (options !== undefined && options.watchdogMs !== undefined) hal.system.watchdogStart(options.watchdogMs);
  const keys = options !== undefined && options.keys !== undefined ? options.keys : trustedKeys(hal.crypto);
  const scratch = new Uint8Array(layout.geometry.sectorSize < MAX_SCRATCH ? layout.geometry.sectorSize : MAX_SCRATCH);
  const boot = new BootStateStore(hal.flash, layout);
  const state = boot.load();
  const allowDowngrade = state.devDowngrade || (options !== undefined && options.allowDowngrade === true);
  const reason = hal.system.resetReason();
  log(LOG_INFO, 'reset ' + reason + '; boot state #' + state.seq + ' confirmed ' + slotName(state.confirmed) +
    ' pending ' + slotName(state.pending) + (state.tried ? ' (tried)' : ''));
  const infos: (ImageInfo | null)[] = [null, null];
  const refusals: string[] = [];
  const feed = function (): void { hal.system.watchdogFeed(); };
  const check = function (slot: number): boolean {
    const r = layout.slots[slot];
    hal.display.setLine(0, 'Verifying image ' + slotName(slot));
    const v: ImageResult<ImageInfo> = validateImage(flashSource(hal.flash, r.offset, r.size), hal.crypto, keys,
      { buffer: scratch, onProgress: feed });
    const p = v.ok ? checkPolicy(v.value, state.securityFloor, allowDowngrade) : v;
    if (!p.ok) {
      refusals.push(slotName(slot) + ': ' + p.detail);
      log(LOG_WARN, 'slot ' + slotName(slot) + ' refused: ' + p.detail);
      return false;
    }
    if (p.value.securityCounter < state.securityFloor) log(LOG_WARN, 'slot ' + slotName(slot) + ' below the security floor: development override');
    infos[slot] = p.value;
    return true;
  };
  const d = decide({ state: state, reason: reason, valid: check });
  log(LOG_INFO, 'decision row ' + d.row + ': ' + d.action + ' ' + slotName(d.slot) + ' (' + d.why + ')');
  const result: LoaderResult = {
    decision: d, info: null, refusals: refusals, state: state, startOffset: 0, startLength: 0, layoutError: null,
  };
  if (d.action === 'recovery') {
    hal.display.setLine(0, 'Serial recovery');
    hal.display.setLine(1, 'No valid image');
    hal.display.setLine(2, refusals.length > 0 ? refusals[0] : 'flash empty');
    log(LOG_ERROR, 'no valid image: serial recovery mode');
    if (options !== undefined && options.recovery !== undefined) options.recovery(hal, layout);
    return result;
  }
  let slot = d.slot;
  const info = infos[slot];
  if (info === null) return result; // unreachable: a booting row saw the slot valid
  // Record the decision before starting anything (one boot-state record).
  const next = copyBootState(state);
  let write = false;
  if (d.action === 'test') {
    next.tried = true;
    write = true;
  } else if (d.action === 'revert' || d.action === 'reject-pending') {
    next.pending = SLOT_NONE;
    next.tried = false;
    write = true;
  } else if (d.action === 'fallback') {
    next.confirmed = slot;
    next.pending = SLOT_NONE;
    next.tried = false;
    write = true;
  }
  if (d.action !== 'test' && info.securityCounter > next.securityFloor) {
    next.securityFloor = info.securityCounter;
    write = true;
  }
  let finalInfo: ImageInfo = info;
  if (write) {
    const w = boot.write(next);
    if (!w.ok) {
      log(LOG_ERROR, 'boot state write failed: ' + w.detail);
      // Never test-boot without recording it (a crashing test image would loop): boot the
      // confirmed image instead when it is valid.
      if (d.action === 'test') {
        if (state.confirmed !== SLOT_NONE && check(state.confirmed)) {
          const ci = infos[state.confirmed];
          if (ci !== null) { slot = state.confirmed; finalInfo = ci; }
        } else {
          hal.display.setLine(0, 'Boot state error');
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
  hal.display.setLine(0, 'Loading ' + finalInfo.loadId);
  hal.display.setLine(1, '');
  hal.display.setLine(2, '');
  log(LOG_INFO, 'starting ' + finalInfo.loadId + ' ' + versionToString(finalInfo.header.version) + ' from slot ' + slotName(slot));
  hal.system.startImage(result.startOffset, result.startLength);
  return result;
}
