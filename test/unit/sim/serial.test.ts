import { describe, expect, it } from 'vitest';
import { PassThrough, Duplex } from 'node:stream';
import { Scheduler } from '../../../hal/sim/scheduler';
import { SimSerial, attachToStream, serialPair } from '../../../hal/sim/serial';

describe('SimSerial', () => {
  it('paces bytes at baud/10 per second and hands them over in FIFO-sized chunks', () => {
    const sched = new Scheduler(1);
    const [a, b] = serialPair(sched, 9600, 16);
    const got: { t: number; n: number }[] = [];
    b.onData((bytes) => got.push({ t: sched.now(), n: bytes.length }));
    a.write(new Uint8Array(40).fill(0x55));
    expect(a.pending()).toBe(40);
    sched.run();
    // 960 bytes/s: 16 bytes in 16.67 ms, then 16, then the last 8 when the line goes idle.
    expect(got.map((g) => g.n)).toEqual([16, 16, 8]);
    expect(got.map((g) => +g.t.toFixed(3))).toEqual([16.667, 33.333, 41.667]);
    expect(a.counters.txBytes).toBe(40);
    expect(b.counters.rxBytes).toBe(40);
    expect(a.pending()).toBe(0);
    expect(a.baudRate()).toBe(9600);
  });

  it('copies written bytes and keeps their order across writes', () => {
    const sched = new Scheduler(1);
    const [a, b] = serialPair(sched);
    const got: number[] = [];
    b.onData((bytes) => got.push(...bytes));
    const buf = new Uint8Array([1, 2, 3]);
    a.write(buf);
    buf[0] = 9;
    a.write(new Uint8Array([4, 5]));
    sched.run();
    expect(got).toEqual([1, 2, 3, 4, 5]);
  });

  it('drops bytes nobody listens to, and those sent while unpowered', () => {
    const sched = new Scheduler(1);
    const [a, b] = serialPair(sched);
    a.write(new Uint8Array(10));
    sched.run();
    expect(b.counters.dropped).toBe(10);
    const got: number[] = [];
    b.onData((x) => got.push(x.length));
    b.powered = false;
    a.write(new Uint8Array(5));
    sched.run();
    expect(got).toEqual([]);
    expect(b.counters.dropped).toBe(15);
  });

  it('bridges to a real stream in both directions', async () => {
    const sched = new Scheduler(1);
    const [board, host] = serialPair(sched);
    const toHost = new PassThrough();
    const fromHost = new PassThrough();
    const pty = Duplex.from({ readable: fromHost, writable: toHost });
    const out: Buffer[] = [];
    toHost.on('data', (d: Buffer) => out.push(d));
    let wakes = 0;
    // `post` runs stream input inside the simulation (a real-time driver's inject).
    const detach = attachToStream(host, pty, (fn) => { wakes++; fn(); });
    const boardGot: number[] = [];
    board.onData((b) => { boardGot.push(...b); board.write(b.map((x) => x + 1)); });
    fromHost.write(Buffer.from([10, 20, 30]));
    await new Promise<void>((r) => setImmediate(r)); // the stream's 'data' is an event-loop turn away
    expect(wakes).toBe(1);
    sched.run();
    expect(boardGot).toEqual([10, 20, 30]);
    await new Promise<void>((r) => setImmediate(r));
    expect([...Buffer.concat(out)]).toEqual([11, 21, 31]);
    detach();
    fromHost.write(Buffer.from([1]));
    await new Promise<void>((r) => setImmediate(r));
    sched.run();
    expect(boardGot).toEqual([10, 20, 30]);
  });

  it('rejects a zero baud rate', () => {
    expect(() => new SimSerial(new Scheduler(1), 0)).toThrow(RangeError);
  });
});
