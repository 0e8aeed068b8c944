/**
 * Driving the scheduler together with real asynchronous engines (node:tls). Virtual time
 * runs synchronously; node:tls works on Node's event loop. `runWithIo` interleaves them:
 * before virtual time moves on, every busy engine is given event-loop turns until it is
 * quiet, so a TLS handshake takes zero virtual time and never races a virtual timeout.
 * Only runs that use such an engine need it (and they are not byte-for-byte reproducible:
 * TLS draws its own randomness).
 */
import type { Scheduler } from './scheduler';

export interface AsyncIo {
  /** True when input was handed to the engine since it was last quiet. */
  busy(): boolean;
  /** Give the engine event-loop turns until it produces nothing more. */
  settle(): Promise<void>;
}

/**
 * Event-loop turns without activity after which an engine counts as quiet. node:tls answers
 * within one or two turns (OpenSSL runs synchronously); 10 leaves a wide margin and costs
 * microseconds.
 */
export const QUIET_TURNS = 10;
/** A guard against an engine that never goes quiet. */
const MAX_TURNS = 10_000;

/** Counts an engine's activity; `settle` waits (on event-loop turns, not wall time) until it stops. */
export class IoActivity implements AsyncIo {
  private count = 0;
  private settledAt = 0;

  /** Call on every input to the engine and every output from it. */
  touch(): void {
    this.count++;
  }

  busy(): boolean {
    return this.count !== this.settledAt;
  }

  async settle(): Promise<void> {
    let quiet = 0;
    for (let turns = 0; quiet < QUIET_TURNS; turns++) {
      if (turns > MAX_TURNS) throw new Error('IoActivity: engine never went quiet');
      const before = this.count;
      await new Promise<void>((resolve) => setImmediate(resolve));
      quiet = this.count === before ? quiet + 1 : 0;
    }
    this.settledAt = this.count;
  }
}

/**
 * Run the scheduler up to `untilMs` (or until `stop()`), settling the engines before each
 * step of virtual time. Resolves with the number of events run.
 */
export async function runWithIo(sched: Scheduler, untilMs: number, ios: AsyncIo[], stop?: () => boolean): Promise<number> {
  let events = 0;
  for (;;) {
    for (const io of ios) if (io.busy()) await io.settle();
    if (stop && stop()) break;
    const next = sched.nextAt();
    if (next > untilMs) break;
    // Everything due at `next` (and what it schedules for the same instant).
    events += sched.run(next, stop);
  }
  if (untilMs !== Infinity && sched.now() < untilMs && !(stop && stop())) sched.run(untilMs);
  return events;
}
