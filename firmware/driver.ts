/**
 * The one driver that binds a sans-IO protocol machine to the clock (smoltcp's
 * `Interface::poll` role). A machine owns no timer and no socket; it has the shape
 *
 *   pollAt(): number             next time dispatch has work (Infinity: none)
 *   dispatch(now, out): void     transmit / act on what is due, through `out`
 *   poll(): E | null             next event, or null
 *
 * and takes its input from whoever owns the socket (`machine.process(...)`, then
 * `driver.kick()`). `kick` drains events, runs dispatch while work is due, drains again and
 * re-arms exactly one hal.clock timer at pollAt(). It is re-entrancy safe: an event handler
 * that feeds the machine or kicks again (a common case: the handler starts the next stage,
 * which sends at once) only marks the pump dirty, and the outer pump loops; no handler runs
 * nested inside another. `stop` cancels the timer; a stopped driver ignores kicks until
 * `start`.
 *
 * Bounds: at most MAX_ROUNDS dispatch rounds per kick (a machine whose pollAt stays in the
 * past cannot spin the board); the timer then fires again at once.
 */
import type { Clock, TimerId } from '../hal/clock';

export interface SansIoMachine<O, E> {
  pollAt(): number;
  dispatch(now: number, out: O): void;
  poll(): E | null;
}

/** Dispatch rounds per kick before the driver yields to the event loop. */
export const MAX_ROUNDS = 32;

export class Driver<O, E> {
  private readonly clock: Clock;
  private readonly machine: SansIoMachine<O, E>;
  private readonly out: O;
  private readonly onEvent: (e: E) => void;
  private timer: TimerId | null = null;
  private timerAt = Infinity;
  private running = false;
  private pumping = false;
  private dirty = false;

  constructor(clock: Clock, machine: SansIoMachine<O, E>, out: O, onEvent: (e: E) => void) {
    this.clock = clock;
    this.machine = machine;
    this.out = out;
    this.onEvent = onEvent;
  }

  /** Begin driving (then kick). Idempotent. */
  start(): void {
    this.running = true;
    this.kick();
  }

  /** Cancel the timer; events still queued in the machine are delivered first. */
  stop(): void {
    if (this.running && !this.pumping) this.drain();
    this.running = false;
    this.cancel();
  }

  isRunning(): boolean {
    return this.running;
  }

  /** Something changed (input processed, a call made): deliver events, run what is due. */
  kick(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.dirty = true;
      return;
    }
    this.pumping = true;
    let rounds = 0;
    do {
      this.dirty = false;
      this.drain();
      for (; rounds < MAX_ROUNDS && this.running; rounds++) {
        const now = this.clock.now();
        if (this.machine.pollAt() > now) break;
        this.machine.dispatch(now, this.out);
        this.drain();
      }
    } while (this.dirty && this.running && rounds < MAX_ROUNDS);
    this.pumping = false;
    this.arm();
  }

  private drain(): void {
    for (let e = this.machine.poll(); e !== null; e = this.machine.poll()) {
      this.onEvent(e);
    }
  }

  private cancel(): void {
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  private arm(): void {
    const at = this.running ? this.machine.pollAt() : Infinity;
    if (at === this.timerAt && this.timer !== null) return;
    this.cancel();
    if (at === Infinity) return;
    const self = this;
    const now = this.clock.now();
    this.timerAt = at;
    this.timer = this.clock.setTimer(at > now ? at - now : 0, function (): void {
      self.timer = null;
      self.timerAt = Infinity;
      self.kick();
    });
  }
}
