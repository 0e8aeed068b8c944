/**
 * The real-time driver (tools/bridge/realtime.ts) that lets the virtual-time scheduler talk
 * to real peers. No root needed. Only orderings and lower bounds are asserted (virtual time
 * never runs ahead of the wall clock), never speed, so a slow machine cannot fail these.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { Scheduler } from '../../../hal/sim/scheduler';
import { RealtimeDriver } from '../../../hal/sim/realtime';

describe('RealtimeDriver', () => {
  let driver: RealtimeDriver | null = null;
  afterEach(() => driver?.stop());

  it('fires a timer no earlier than its delay in wall-clock time', async () => {
    const sched = new Scheduler(7);
    driver = new RealtimeDriver(sched);
    const clock = sched.clock();
    let firedVirtual = -1;
    let firedWall = -1;
    const t0 = performance.now();
    driver.start();
    clock.setTimer(30, () => {
      firedVirtual = clock.now();
      firedWall = performance.now() - t0;
    });
    await driver.until(() => firedVirtual >= 0, 5_000, 'the 30 ms timer');
    expect(firedVirtual).toBe(30); // the scheduler ran it at its own due time
    // Virtual time must follow the wall clock: a timer firing early would break every
    // protocol timeout against a real peer (allow 1 ms for timer rounding).
    expect(firedWall).toBeGreaterThanOrEqual(29);
  });

  it('runs injected input at the current virtual time, after the events already due', async () => {
    const sched = new Scheduler(7);
    driver = new RealtimeDriver(sched);
    const clock = sched.clock();
    const order: string[] = [];
    driver.start();
    clock.setTimer(0, () => order.push('timer'));
    driver.inject(() => order.push(`input@${clock.now() >= 0}`));
    driver.inject(() => order.push('input2'));
    await driver.until(() => order.length === 3, 5_000, 'three events');
    expect(order).toEqual(['timer', 'input@true', 'input2']);
  });

  it('keeps virtual time monotonic and never ahead of the wall clock across many injections', async () => {
    const sched = new Scheduler(7);
    driver = new RealtimeDriver(sched, { sliceEvents: 10 });
    const clock = sched.clock();
    const seen: number[] = [];
    const wallAt: number[] = [];
    const t0 = performance.now();
    driver.start();
    for (let i = 0; i < 200; i++) driver.inject(() => {
      seen.push(clock.now());
      wallAt.push(performance.now() - t0);
    });
    await driver.until(() => seen.length === 200, 5_000, '200 injected events');
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    for (let i = 0; i < seen.length; i++) expect(seen[i]).toBeLessThanOrEqual(wallAt[i] + 0.001);
    // A slice of 10 events means the 200 injections took several turns (I/O was not starved).
    expect(driver.turns).toBeGreaterThan(1);
  });

  it('rejects pending waits when an event throws', async () => {
    const sched = new Scheduler(7);
    driver = new RealtimeDriver(sched);
    driver.start();
    const wait = driver.until(() => false, 5_000, 'never');
    driver.inject(() => {
      throw new Error('boom in the simulation');
    });
    await expect(wait).rejects.toThrow('boom in the simulation');
    expect(driver.isRunning).toBe(false);
  });

  it('times out with a message naming what it waited for', async () => {
    const sched = new Scheduler(7);
    driver = new RealtimeDriver(sched);
    driver.start();
    await expect(driver.until(() => false, 50, 'a reply that never comes')).rejects.toThrow(/a reply that never comes/);
  });
});
