/**
 * The discrete-event scheduler on virtual time that every simulated board, wire and lab
 * server shares. Events run in (time, insertion order); nothing reads a wall clock, so a run
 * is a pure function of its seed and inputs.
 */
import type { Clock, TimerId } from '../clock';
import { Prng } from './prng';

interface Event {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class Scheduler {
  readonly rng: Prng;
  private time = 0;
  private seq = 0;
  private heap: Event[] = [];
  private byId = new Map<number, Event>();
  private running = false;
  /** Events run so far (a run's fingerprint, and a guard against livelock in tests). */
  eventsRun = 0;

  constructor(seed = 1) {
    this.rng = new Prng(seed);
  }

  now(): number {
    return this.time;
  }

  /** Schedule `fn` at absolute virtual time `at` (clamped to now). Returns a cancel id. */
  at(at: number, fn: () => void): number {
    const ev: Event = { at: Math.max(at, this.time), seq: ++this.seq, fn, cancelled: false };
    this.push(ev);
    this.byId.set(ev.seq, ev);
    return ev.seq;
  }

  after(delayMs: number, fn: () => void): number {
    return this.at(this.time + Math.max(0, delayMs), fn);
  }

  cancel(id: number): void {
    const ev = this.byId.get(id);
    if (ev) {
      ev.cancelled = true;
      this.byId.delete(id);
    }
  }

  /** Time of the next pending event, or Infinity. */
  nextAt(): number {
    this.dropCancelled();
    return this.heap.length > 0 ? this.heap[0].at : Infinity;
  }

  /** Run one event; false when none is pending. */
  step(): boolean {
    this.dropCancelled();
    const ev = this.pop();
    if (!ev) return false;
    this.byId.delete(ev.seq);
    this.time = ev.at;
    this.eventsRun++;
    ev.fn();
    return true;
  }

  /**
   * Run events until virtual time passes `untilMs`, no event is left, or `stop()` returns
   * true (checked after each event). Time ends at `untilMs` when given. Returns the
   * number of events run.
   */
  run(untilMs = Infinity, stop?: () => boolean, maxEvents = 50_000_000): number {
    if (this.running) throw new Error('Scheduler.run is not re-entrant');
    this.running = true;
    let n = 0;
    try {
      while (n < maxEvents) {
        if (stop && stop()) break;
        const next = this.nextAt();
        if (next === Infinity || next > untilMs) break;
        this.step();
        n++;
      }
      if (n >= maxEvents) throw new Error(`Scheduler: more than ${maxEvents} events (livelock?) at t=${this.time} ms`);
      if (untilMs !== Infinity && this.time < untilMs && !(stop && stop())) this.time = untilMs;
    } finally {
      this.running = false;
    }
    return n;
  }

  /** Run for `ms` of virtual time from now. */
  runFor(ms: number, stop?: () => boolean): number {
    return this.run(this.time + ms, stop);
  }

  /** A HAL clock for one board; `offsetMs` is when the board powered on. */
  clock(offsetMs = this.time): Clock & { cancelAll(): void } {
    const mine = new Set<number>();
    return {
      now: () => this.time - offsetMs,
      setTimer: (delayMs: number, callback: () => void): TimerId => {
        const id = this.after(delayMs, () => {
          mine.delete(id);
          callback();
        });
        mine.add(id);
        return id;
      },
      clearTimer: (id: TimerId) => {
        if (mine.delete(id)) this.cancel(id);
      },
      cancelAll: () => {
        for (const id of mine) this.cancel(id);
        mine.clear();
      },
    };
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0].cancelled) this.pop();
  }

  // Binary min-heap on (at, seq).
  private less(a: Event, b: Event): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(ev: Event): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): Event | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
