// The stage pipeline (firmware/pipeline.ts) and the one sans-IO driver (firmware/driver.ts)
// on fake stages and a fake clock.
import { describe, expect, it } from 'vitest';
import { Pipeline, type Stage, type StageContext } from '../../../firmware/pipeline';
import { Driver } from '../../../firmware/driver';
import type { Clock } from '../../../hal/clock';
import type { System } from '../../../hal/system';

class FakeStage implements Stage {
  readonly name: string;
  readonly title: string;
  ctx: StageContext | null = null;
  oldCtx: StageContext | null = null;
  starts = 0;
  stops = 0;
  updates = 0;
  /** Report done inside start (a result known at once, like the admin VLAN). */
  doneAtStart = false;
  constructor(name: string, readonly journal: string[]) {
    this.name = name;
    this.title = `Doing ${name}`;
  }
  start(ctx: StageContext): void {
    this.starts++;
    this.ctx = ctx;
    this.journal.push(`start ${this.name}`);
    if (this.doneAtStart) ctx.done();
  }
  stop(): void {
    this.stops++;
    this.journal.push(`stop ${this.name}`);
    // A stage's last events during stop must change nothing.
    this.ctx?.done();
    this.ctx?.lost('late');
    this.oldCtx = this.ctx;
    this.ctx = null;
  }
  upstreamUpdated(): void {
    this.updates++;
  }
}

function rig(n = 3) {
  const journal: string[] = [];
  const logs: string[] = [];
  const lines: string[] = ['', '', '', ''];
  const stages = Array.from({ length: n }, (_, i) => new FakeStage(['vlan', 'ip', 'tftp', 'trust'][i], journal));
  let completes = 0;
  const system = { log: (_l: number, _t: string, m: string) => { logs.push(m); } } as unknown as System;
  const p = new Pipeline(stages, {
    system,
    display: { setLine: (i: number, t: string) => { lines[i] = t; }, clear: () => {} },
    statusLine: 0,
    completeText: 'All done',
    onComplete: () => { completes++; },
  });
  return { p, stages, journal, logs, lines, completes: () => completes };
}

describe('Pipeline', () => {
  it('starts the stages in order as each reports done, then completes once', () => {
    const r = rig();
    r.p.linkUp();
    expect(r.p.state).toBe('vlan');
    expect(r.lines[0]).toBe('Doing vlan');
    r.stages[0].ctx!.done();
    expect(r.p.state).toBe('ip');
    r.stages[1].ctx!.done();
    r.stages[2].ctx!.done();
    expect(r.p.state).toBe('ready');
    expect(r.lines[0]).toBe('All done');
    expect(r.completes()).toBe(1);
    expect(r.journal).toEqual(['start vlan', 'start ip', 'start tftp']);
    expect(r.logs.filter((l) => l.includes(' -> '))).toEqual(['off -> vlan', 'vlan -> ip', 'ip -> tftp', 'tftp -> ready']);
  });

  it('a stage done inside its own start does not nest: the next one starts after it returns', () => {
    const r = rig();
    r.stages[0].doneAtStart = true;
    r.stages[1].doneAtStart = true;
    r.p.linkUp();
    expect(r.journal).toEqual(['start vlan', 'start ip', 'start tftp']);
    expect(r.p.state).toBe('tftp');
  });

  it('a changed result restarts the stages after it, last stopped first, each exactly once', () => {
    const r = rig();
    r.p.linkUp();
    for (const s of r.stages) s.ctx!.done();
    r.journal.length = 0;
    r.stages[0].ctx!.done(); // a new voice VLAN
    expect(r.journal).toEqual(['stop tftp', 'stop ip', 'start ip']);
    expect(r.p.state).toBe('ip');
    r.stages[1].ctx!.done();
    r.stages[2].ctx!.done();
    expect(r.stages.map((s) => s.starts)).toEqual([1, 2, 2]);
    expect(r.completes()).toBe(1); // once per boot
  });

  it('calls from a stopped stage (stale context) are ignored', () => {
    const r = rig();
    r.p.linkUp();
    r.stages[0].ctx!.done();
    r.stages[1].ctx!.done();
    r.stages[0].ctx!.done();
    const stale = r.stages[2].oldCtx!;
    stale.done();
    stale.fail('x');
    expect(r.p.state).toBe('ip');
    expect(r.stages[2].starts).toBe(1);
  });

  it('lost: the later stages stop and the stage shows again; failed: state and reason on the display', () => {
    const r = rig();
    r.p.linkUp();
    for (const s of r.stages) s.ctx!.done();
    r.stages[1].ctx!.lost('lease expired');
    expect(r.journal.slice(-1)).toEqual(['stop tftp']);
    expect(r.p.state).toBe('ip');
    expect(r.lines[0]).toBe('Doing ip');
    r.stages[1].ctx!.done();
    r.stages[2].ctx!.fail('No TFTP server');
    expect(r.p.state).toBe('failed');
    expect(r.p.reason).toBe('No TFTP server');
    expect(r.lines[0]).toBe('No TFTP server');
    r.stages[2].ctx!.status('ignored while failed');
    expect(r.lines[0]).toBe('No TFTP server');
    r.stages[2].ctx!.done();
    expect(r.p.state).toBe('ready');
  });

  it('updated reaches the started later stages without restarting them', () => {
    const r = rig();
    r.p.linkUp();
    r.stages[0].ctx!.done();
    r.stages[1].ctx!.done();
    r.stages[1].ctx!.updated();
    expect(r.stages[2].updates).toBe(1);
    expect(r.stages[2].starts).toBe(1);
    expect(r.stages[0].updates).toBe(0);
  });

  it('link down stops everything; link up starts from the first stage; a second link up is a no-op', () => {
    const r = rig();
    r.p.linkUp();
    r.stages[0].ctx!.done();
    r.p.linkDown('Waiting for network');
    expect(r.journal).toEqual(['start vlan', 'start ip', 'stop ip', 'stop vlan']);
    expect(r.p.state).toBe('off');
    expect(r.lines[0]).toBe('Waiting for network');
    r.p.linkUp();
    r.p.linkUp();
    expect(r.stages[0].starts).toBe(2);
  });
});

class FakeClock implements Clock {
  t = 0;
  private next = 1;
  timers = new Map<number, { at: number; cb: () => void }>();
  now(): number { return this.t; }
  setTimer(ms: number, cb: () => void): number { const id = this.next++; this.timers.set(id, { at: this.t + ms, cb }); return id; }
  clearTimer(id: number): void { this.timers.delete(id); }
  advance(to: number): void {
    for (;;) {
      let best: [number, { at: number; cb: () => void }] | null = null;
      for (const e of this.timers) if (e[1].at <= to && (!best || e[1].at < best[1].at)) best = e;
      if (!best) break;
      this.timers.delete(best[0]);
      this.t = best[1].at;
      best[1].cb();
    }
    this.t = to;
  }
}

/** A machine that sends at every `period` ms and raises an event per send. */
class Ticker {
  nextAt = 0;
  sent: number[] = [];
  events: string[] = [];
  constructor(readonly period: number) {}
  pollAt(): number { return this.nextAt; }
  dispatch(now: number, out: (t: number) => void): void {
    out(now);
    this.sent.push(now);
    this.events.push(`sent@${now}`);
    this.nextAt = now + this.period;
  }
  poll(): string | null { return this.events.shift() ?? null; }
}

describe('Driver', () => {
  it('dispatches when due, one timer armed at pollAt', () => {
    const clock = new FakeClock();
    const m = new Ticker(1000);
    const seen: string[] = [];
    const d = new Driver(clock, m, () => {}, (e) => seen.push(e));
    d.start();
    expect(m.sent).toEqual([0]);
    expect(clock.timers.size).toBe(1);
    clock.advance(3500);
    expect(m.sent).toEqual([0, 1000, 2000, 3000]);
    expect(seen).toEqual(['sent@0', 'sent@1000', 'sent@2000', 'sent@3000']);
    expect(clock.timers.size).toBe(1);
    d.stop();
    expect(clock.timers.size).toBe(0);
    clock.advance(10_000);
    expect(m.sent.length).toBe(4);
  });

  it('a handler that kicks again does not nest: events are delivered in order, once', () => {
    const clock = new FakeClock();
    const m = new Ticker(1000);
    const order: string[] = [];
    let depth = 0;
    let maxDepth = 0;
    // eslint-disable-next-line prefer-const
    let d: Driver<(t: number) => void, string>;
    d = new Driver(clock, m, () => {}, (e) => {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
      order.push(e);
      if (e === 'sent@0') {
        m.events.push('extra');
        d.kick();
      }
      depth--;
    });
    d.start();
    expect(order).toEqual(['sent@0', 'extra']);
    expect(maxDepth).toBe(1);
  });

  it('a machine stuck in the past cannot spin: at most MAX_ROUNDS per kick, then the timer', () => {
    const clock = new FakeClock();
    const m = new Ticker(0); // always due
    const d = new Driver(clock, m, () => {}, () => {});
    d.start();
    expect(m.sent.length).toBe(32);
    expect(clock.timers.size).toBe(1);
    d.stop();
  });
});
