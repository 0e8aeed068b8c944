/**
 * Whole-board services: reset, watchdog, handing control from the loader to an image, and
 * the log. Reset reasons let the loader tell a watchdog reset during a test boot (revert)
 * from a requested one.
 */
export const RESET_POWER_ON = 'power-on';
export const RESET_REQUESTED = 'requested';
export const RESET_WATCHDOG = 'watchdog';
export const RESET_CRASH = 'crash';
export type ResetReason = string;

export const LOG_DEBUG = 0;
export const LOG_INFO = 1;
export const LOG_WARN = 2;
export const LOG_ERROR = 3;
export type LogLevel = number;

export interface System {
  /** Why the board last started. */
  resetReason(): ResetReason;
  /** Reset the board; does not return on a board (the sim stops the current run). */
  reset(reason: ResetReason): void;
  /** Arm (or re-arm with a new period) the watchdog; 0 disarms it where the board allows. */
  watchdogStart(periodMs: number): void;
  /** Feed the watchdog. */
  watchdogFeed(): void;
  /**
   * Loader only: run the image whose payload is the firmware bundle at `offset` (of length
   * `length`) in flash. On a board the engine evaluates it from flash (code stays in flash);
   * the image's `main(hal)` is then called with the same HAL.
   */
  startImage(offset: number, length: number): void;
  /**
   * Loader only, on its recovery row (nothing valid to boot): hand over to the serial
   * recovery module (dist/recovery.js). On a board it sits in the loader region beside the
   * loader (not updatable); the engine evaluates it as it does an image, the loader's RAM
   * goes, and its `DialtoneRecovery.main(hal)` is called with the same HAL.
   */
  startRecovery(): void;
  /** One log line; the adapter adds the time stamp. */
  log(level: LogLevel, tag: string, message: string): void;
}
