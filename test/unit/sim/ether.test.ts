import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../../hal/sim/scheduler';
import { SimNic, connectNics, type LinkOptions } from '../../../hal/sim/ether';
import { BROADCAST, frame, mac, seqOf } from './frames';

function pair(seed: number, faults: LinkOptions = {}) {
  const sched = new Scheduler(seed);
  const a = new SimNic(sched, mac(1));
  const b = new SimNic(sched, mac(2));
  const got: { t: number; f: Uint8Array }[] = [];
  b.onReceive((f) => got.push({ t: sched.now(), f: f.slice() }));
  const cable = connectNics(sched, a, b, faults);
  return { sched, a, b, got, cable };
}

describe('SimNic + cable', () => {
  it('carries a frame after wire time + latency, as a copy', () => {
    const { sched, a, b, got } = pair(1);
    const f = frame(mac(2), mac(1), 7, 0x88b5, 1500);
    expect(a.send(f)).toBe(true);
    f[20] = 0; // the NIC copied: this must not reach the wire
    sched.run();
    expect(got.length).toBe(1);
    expect(got[0].f[20]).toBe((20 * 7) & 0xff);
    // (1500 + 24 overhead bytes) * 8 bit / 100 Mbit/s = 0.12192 ms, + 0.05 ms latency
    expect(got[0].t).toBeCloseTo(0.12192 + 0.05, 9);
    expect(a.counters).toEqual({ tx: 1, rx: 0, dropped: 0 });
    expect(b.counters).toEqual({ tx: 0, rx: 1, dropped: 0 });
  });

  it('pads short frames to 60 bytes, as a MAC does', () => {
    const { sched, a, got } = pair(1);
    a.send(frame(mac(2), mac(1), 1, 0x0806, 42));
    sched.run();
    expect(got[0].f.length).toBe(60);
    expect(got[0].f.subarray(42).every((x) => x === 0)).toBe(true);
  });

  it('serializes back-to-back frames at the bit rate (bulk transfers take realistic time)', () => {
    const { sched, a, got } = pair(1, { bitRate: 10_000_000 });
    for (let i = 0; i < 100; i++) expect(a.send(frame(mac(2), mac(1), i, 0x88b5, 1000))).toBe(true);
    sched.run();
    expect(got.map((g) => seqOf(g.f))).toEqual([...Array(100).keys()]);
    // 100 * 1024 bytes * 8 / 10 Mbit/s = 81.92 ms
    expect(got[99].t).toBeCloseTo(81.92 + 0.05, 6);
  });

  it('tail-drops when the transmit queue is full', () => {
    const { sched, a, got } = pair(1, { queueBytes: 5000 });
    const results = [];
    for (let i = 0; i < 10; i++) results.push(a.send(frame(mac(2), mac(1), i, 0x88b5, 1000)));
    expect(results.filter((r) => !r).length).toBeGreaterThan(0);
    expect(a.counters.dropped).toBe(results.filter((r) => !r).length);
    sched.run();
    expect(got.length).toBe(results.filter((r) => r).length);
  });

  it('refuses to send without a link, and with bad sizes', () => {
    const sched = new Scheduler(1);
    const a = new SimNic(sched, mac(1));
    expect(a.linkUp()).toBe(false);
    expect(a.send(frame(BROADCAST, mac(1)))).toBe(false);
    const { a: a2 } = pair(1);
    expect(a2.send(new Uint8Array(10))).toBe(false);
    expect(a2.send(new Uint8Array(1523))).toBe(false);
    expect(a2.send(new Uint8Array(1522))).toBe(true);
    expect(a2.counters.dropped).toBe(2);
  });

  it('link down fires onLinkChange, loses frames in flight, refuses sends', () => {
    const { sched, a, b, got, cable } = pair(1, { delayMs: 5 });
    const changes: boolean[] = [];
    a.onLinkChange((up) => changes.push(up));
    a.send(frame(mac(2), mac(1), 1));
    sched.after(1, () => cable.setUp(false));
    sched.run();
    expect(got.length).toBe(0);
    expect(changes).toEqual([false]);
    expect(b.linkUp()).toBe(false);
    expect(a.send(frame(mac(2), mac(1), 2))).toBe(false);
    cable.setUp(true);
    expect(changes).toEqual([false, true]);
    a.send(frame(mac(2), mac(1), 3));
    sched.run();
    expect(got.map((g) => seqOf(g.f))).toEqual([3]);
  });

  it('delay and jitter: extra delay, order kept', () => {
    const { sched, a, got } = pair(3, { delayMs: 10, jitterMs: 4 });
    for (let i = 0; i < 50; i++) sched.at(i * 0.01, () => a.send(frame(mac(2), mac(1), i)));
    sched.run();
    expect(got.map((g) => seqOf(g.f))).toEqual([...Array(50).keys()]);
    expect(got[0].t).toBeGreaterThanOrEqual(10);
    expect(Math.max(...got.map((g) => g.t))).toBeLessThan(0.5 + 10 + 4 + 0.1);
  });

  it.each([
    ['loss', { loss: 0.3 }],
    ['duplicate', { duplicate: 0.3 }],
    ['reorder', { reorder: 0.3 }],
    ['corrupt', { corrupt: 0.3 }],
  ] as const)('%s happens at about its rate', (name, faults) => {
    const { sched, a, got, cable } = pair(11, faults);
    const n = 1000;
    for (let i = 0; i < n; i++) sched.at(i * 0.2, () => a.send(frame(mac(2), mac(1), i)));
    sched.run();
    const c = cable.counters(a);
    const count = { loss: c.lost, duplicate: c.duplicated, reorder: c.reordered, corrupt: c.corrupted }[name];
    expect(count).toBeGreaterThan(n * 0.25);
    expect(count).toBeLessThan(n * 0.35);
    const seqs = got.map((g) => seqOf(g.f));
    if (name === 'loss') expect(got.length).toBe(n - c.lost);
    if (name === 'duplicate') expect(got.length).toBe(n + c.duplicated);
    if (name === 'reorder') {
      expect(got.length).toBe(n);
      expect(seqs).not.toEqual([...seqs].sort((x, y) => x - y));
    }
    if (name === 'corrupt') {
      const clean = got.filter((g, i) => g.f.every((x, k) => x === frame(mac(2), mac(1), i)[k])).length;
      expect(clean).toBe(n - c.corrupted);
    }
  });

  it('faults are reproducible with one seed and differ with another', () => {
    const run = (seed: number) => {
      const { sched, a, got } = pair(seed, { loss: 0.1, duplicate: 0.05, reorder: 0.05, corrupt: 0.05, jitterMs: 1 });
      for (let i = 0; i < 300; i++) sched.at(i * 0.5, () => a.send(frame(mac(2), mac(1), i)));
      sched.run();
      return got.map((g) => g.t.toFixed(6) + ':' + Buffer.from(g.f).toString('hex')).join('\n');
    };
    expect(run(5)).toBe(run(5));
    expect(run(5)).not.toBe(run(6));
  });

  it('rejects fault probabilities outside 0..1', () => {
    expect(() => pair(1, { loss: 1.5 })).toThrow(RangeError);
    expect(() => pair(1, { delayMs: -1 })).toThrow(RangeError);
  });
});

describe('cabling', () => {
  it('a NIC has one cable at a time', () => {
    const { sched, a } = pair(1);
    expect(() => connectNics(sched, a, new SimNic(sched, mac(3)))).toThrow(/already cabled/);
  });

  it('an unpowered NIC keeps the link down for both ends', () => {
    const { a, b } = pair(1);
    a.setPowered(false);
    expect(b.linkUp()).toBe(false);
    expect(a.send(frame(mac(2), mac(1)))).toBe(false);
    a.setPowered(true);
    expect(b.linkUp()).toBe(true);
  });
});
