import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../../hal/sim/scheduler';
import { IoActivity, runWithIo } from '../../../hal/sim/io';

/** An engine that answers on Node's event loop a few turns after input, like node:tls. */
function slowEcho(io: IoActivity, answer: (n: number) => void) {
  return (n: number) => {
    io.touch();
    let turns = 0;
    const step = () => {
      if (++turns < 5) setImmediate(step);
      else { io.touch(); answer(n * 2); }
    };
    setImmediate(step);
  };
}

describe('runWithIo', () => {
  it('lets an event-loop engine answer before virtual time moves on', async () => {
    const sched = new Scheduler(1);
    const io = new IoActivity();
    const log: string[] = [];
    const engine = slowEcho(io, (n) => sched.after(0, () => log.push(`answer ${n} at ${sched.now()}`)));
    sched.at(10, () => {
      engine(21);
      sched.after(1, () => log.push(`timeout at ${sched.now()}`)); // a 1 ms virtual timeout
    });
    await runWithIo(sched, 100, [io]);
    expect(log).toEqual(['answer 42 at 10', 'timeout at 11']);
    expect(sched.now()).toBe(100);
  });

  it('plain sched.run would let the timeout win (why runWithIo exists)', async () => {
    const sched = new Scheduler(1);
    const io = new IoActivity();
    const log: string[] = [];
    const engine = slowEcho(io, (n) => log.push(`answer ${n}`));
    sched.at(10, () => {
      engine(21);
      sched.after(1, () => log.push('timeout'));
    });
    sched.run(100);
    await io.settle();
    expect(log).toEqual(['timeout', 'answer 42']);
  });

  it('stops when asked', async () => {
    const sched = new Scheduler(1);
    let n = 0;
    const tick = () => { n++; sched.after(10, tick); };
    tick();
    await runWithIo(sched, 1000, [], () => n >= 5);
    expect(n).toBe(5);
  });
});
