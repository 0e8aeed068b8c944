/**
 * Runs the virtual-time Scheduler against the wall clock, so simulated boards and stacks can
 * talk to real peers: Linux namespaces through the bridge, a serial device (`dialtone board`). Virtual time follows `performance.now()` from the moment `start()` is
 * called: each turn processes the events that are due, then the driver sleeps until the
 * next event is due or until something from outside (a datagram) is injected.
 *
 * Contract:
 * - Outside input enters only through `inject(fn)`: `fn` runs inside the scheduler at the
 *   current virtual time, after the events that were already due (so timers that expired
 *   before a frame arrived fire first, as on a real board).
 * - Virtual time never runs ahead of the wall clock (it may lag while the CPU is busy), and
 *   never goes backwards.
 * - One turn runs at most `sliceEvents` events, then yields to Node's event loop so socket
 *   I/O is not starved by a busy simulation.
 * - An exception from an event stops the driver and rejects every pending `until()`.
 *
 * While the driver runs nobody else may call `sched.run()`.
 */
import { performance } from 'node:perf_hooks';
import type { Scheduler } from './scheduler';

export interface RealtimeOptions {
  /** Events per turn before yielding to I/O (default 2000). */
  sliceEvents?: number;
}

/** Waits shorter than this (ms) spin on setImmediate rather than a 1 ms-granular timer. */
const SPIN_MS = 1;

interface Waiter {
  cond: () => boolean;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class RealtimeDriver {
  readonly sched: Scheduler;
  private readonly slice: number;
  private wall0 = 0;
  private virt0 = 0;
  private running = false;
  private pumping = false;
  private failure: Error | null = null;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private inbox: Array<() => void> = [];
  private waiters: Waiter[] = [];
  /** Turns taken and events run (for benchmarks and diagnostics). */
  turns = 0;
  events = 0;

  constructor(sched: Scheduler, opts: RealtimeOptions = {}) {
    this.sched = sched;
    this.slice = opts.sliceEvents ?? 2000;
  }

  /** Virtual ms that correspond to the wall clock now. */
  target(): number {
    return this.virt0 + (performance.now() - this.wall0);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.failure = null;
    this.wall0 = performance.now();
    this.virt0 = this.sched.now();
    this.wake();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Run `fn` inside the simulation at the current virtual time (next turn). */
  inject(fn: () => void): void {
    this.inbox.push(fn);
    this.wake();
  }

  /**
   * Resolve once `cond()` holds (checked after every turn), reject after `timeoutMs` of wall
   * time with `what` in the message. The overall bound for tests against real peers.
   */
  until(cond: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        cond,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (virtual t=${this.sched.now().toFixed(0)} ms)`));
        }, timeoutMs),
      };
      this.waiters.push(w);
    });
  }

  /** Schedule a turn as soon as possible. */
  private wake(): void {
    if (!this.running || this.immediate || this.pumping) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.immediate = setImmediate(() => {
      this.immediate = null;
      this.turn();
    });
  }

  private turn(): void {
    if (!this.running) return;
    this.pumping = true;
    let more = false;
    try {
      const t = Math.max(this.target(), this.sched.now());
      const now = this.sched.now();
      const box = this.inbox;
      this.inbox = [];
      // Due events first, then the injected input at time t (the scheduler orders by time).
      for (const fn of box) this.sched.at(Math.max(now, t), fn);
      const before = this.sched.eventsRun;
      const limit = before + this.slice;
      this.sched.run(t, () => this.sched.eventsRun >= limit);
      this.events += this.sched.eventsRun - before;
      this.turns++;
      more = this.sched.eventsRun >= limit || this.inbox.length > 0;
    } catch (err) {
      this.pumping = false;
      this.fail(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.pumping = false;
    this.checkWaiters();
    if (!this.running) return;
    if (more) {
      this.wake();
      return;
    }
    const next = this.sched.nextAt();
    if (next === Infinity) return; // idle until inject()
    const delay = next - this.target();
    // Node timers have 1 ms granularity and usually fire late; a simulated cable is due in
    // tens of microseconds. Below SPIN_MS the driver yields with setImmediate instead (I/O
    // is still polled between turns), so a frame crossing the switch is not delayed by ms.
    if (delay <= SPIN_MS) this.wake();
    else {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.turn();
      }, Math.floor(delay));
    }
  }

  private checkWaiters(): void {
    if (this.waiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      let done = false;
      try {
        done = w.cond();
      } catch (err) {
        clearTimeout(w.timer);
        w.reject(err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      if (done) {
        clearTimeout(w.timer);
        w.resolve();
      } else keep.push(w);
    }
    this.waiters = keep;
  }

  private fail(err: Error): void {
    this.failure = err;
    this.stop();
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.waiters = [];
  }
}
