// The CallManager group policy (firmware/callmanager/members.ts) on a fake timeline.
import { describe, expect, it } from 'vitest';
import { MemberList, type MemberAction, type Member } from '../../../firmware/callmanager/members';

const M: Member[] = [
  { name: 'cm2', host: '10.0.0.2', port: 2000, priority: 1 },
  { name: 'cm1', host: '10.0.0.1', port: 2000, priority: 0 },
  { name: 'cm3', host: '10.0.0.3', port: 2000, priority: 2 },
];

function rig() {
  const m = new MemberList(M, { connectTimeoutMs: 1000, backoffMs: [500, 2000], fallbackProbeMs: 10_000 });
  const log: string[] = [];
  const events: MemberAction[] = [];
  let now = 0;
  const out = {
    connect: (i: number) => log.push(`connect ${m.members[i].name}@${now}`),
    probe: (i: number) => log.push(`probe ${m.members[i].name}@${now}`),
  };
  const step = () => {
    for (let g = 0; g < 10 && m.pollAt() <= now; g++) m.dispatch(now, out);
    for (let e = m.poll(); e; e = m.poll()) events.push(e);
  };
  const to = (t: number) => {
    while (m.pollAt() <= t) { now = Math.max(now, m.pollAt()); step(); }
    now = t;
  };
  return { m, log, events, step, to, at: () => now, set: (t: number) => { now = t; } };
}

describe('MemberList', () => {
  it('tries members in priority order: refused and timed out move on; a failed round backs off', () => {
    const r = rig();
    r.m.start(0);
    r.step();
    expect(r.log).toEqual(['connect cm1@0']);
    r.m.failed(0); // refused
    r.step();
    r.to(2500); // cm2 times out at 1000, cm3 at 2000, then back-off 500
    expect(r.log).toEqual(['connect cm1@0', 'connect cm2@0', 'connect cm3@1000', 'connect cm1@2500']);
    expect(r.events.filter((e) => e.kind === 'failed-round')).toEqual([{ kind: 'failed-round', round: 1, retryAt: 2500 }]);
  });

  it('while waiting between rounds has nothing due but the next round (no spin on a stale deadline)', () => {
    const m = new MemberList(M, { connectTimeoutMs: 1000, backoffMs: [5000], fallbackProbeMs: 10_000 });
    const out = { connect: () => {}, probe: () => {} };
    m.start(0);
    for (let i = 0; i < 3; i++) {
      m.dispatch(0, out);
      m.failed(0); // every member refuses at once
    }
    expect(m.state()).toBe('waiting');
    expect(m.pollAt()).toBe(5000);
  });

  it('keepalive loss after registering moves to the next member at once', () => {
    const r = rig();
    r.m.start(0);
    r.step();
    r.m.registered(10);
    r.set(5000);
    r.m.failed(5000);
    r.step();
    expect(r.log.slice(-1)).toEqual(['connect cm2@5000']);
    expect(r.m.current()!.name).toBe('cm2');
  });

  it('falls back to the primary when it answers a probe, only when the stage takes it', () => {
    const r = rig();
    r.m.start(0);
    r.step();
    r.m.failed(0);
    r.step();
    r.m.registered(100); // on cm2
    r.to(10_100);
    expect(r.log.slice(-1)).toEqual(['probe cm1@10100']);
    r.m.probeResult(0, false, 10_100);
    r.to(20_100);
    expect(r.log.slice(-1)).toEqual(['probe cm1@20100']);
    r.m.probeResult(0, true, 20_100);
    expect(r.m.fallbackReady()).toBe(0);
    r.m.takeFallback(20_200);
    r.step();
    expect(r.log.slice(-1)).toEqual(['connect cm1@20100']);
    expect(r.events.some((e) => e.kind === 'switch' && e.index === 0)).toBe(true);
  });

  it('never probes while registered to the primary', () => {
    const r = rig();
    r.m.start(0);
    r.step();
    r.m.registered(10);
    r.to(100_000);
    expect(r.log).toEqual(['connect cm1@0']);
  });
});
