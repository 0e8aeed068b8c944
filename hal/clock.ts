/**
 * Monotonic time and one-shot timers. The only source of time for target code: firmware
 * and loader never read Date or a host clock, so the simulation can run them on virtual
 * time. Times are integer milliseconds since the board started.
 */
export type TimerId = number;

export interface Clock {
  /** Milliseconds since power-on; never goes backwards. */
  now(): number;
  /** Run `callback` once after at least `delayMs` (0 = after the current event). */
  setTimer(delayMs: number, callback: () => void): TimerId;
  /** Cancel a timer; unknown or fired ids are ignored. */
  clearTimer(id: TimerId): void;
}
