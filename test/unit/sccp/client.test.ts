// The phone's SCCP session alone, on fake time: what it sends at each step, the events it
// raises, keepalive loss, timeouts, reject, reset, unknown ids, framing errors, stop.
import { describe, it, expect } from 'vitest';
import * as w from '../../../firmware/callmanager/sccp/wire';
import { SccpClient, type SccpClientConfig, type SccpEvent } from '../../../firmware/callmanager/sccp/client';

const MAC = new Uint8Array([0x00, 0x1e, 0x4a, 0x12, 0x34, 0x56]);

function frame(m: w.SccpMsg): Uint8Array {
  const b = new Uint8Array(w.bufferLen(m));
  w.emit(m, b, 0);
  return b;
}

function rig(cfg: Partial<SccpClientConfig> = {}) {
  const c = new SccpClient({ mac: MAC, ip: 0x0a016464, deviceType: 434, loadInfo: 'SCCP42.9-3-1SR1-1S', ...cfg });
  const sent: w.SccpMsg[] = [];
  const out = {
    refuse: false,
    write(b: Uint8Array): boolean {
      if (this.refuse) return false;
      const r = w.parse(b);
      if (!r.ok) throw new Error('client sent a bad frame');
      expect(w.frameLen(b)).toBe(b.length);
      sent.push(r.value);
      return true;
    },
  };
  const events: SccpEvent[] = [];
  let now = 0;
  /** Advance to `t`, dispatching everything due on the way (as the Driver does). */
  const run = (t: number) => {
    for (let i = 0; i < 10000; i++) {
      const at = c.pollAt();
      if (at > t) break;
      now = Math.max(now, at);
      c.dispatch(now, out);
      for (let e = c.poll(); e; e = c.poll()) events.push(e);
    }
    now = t;
    for (let e = c.poll(); e; e = c.poll()) events.push(e);
  };
  const feed = (m: w.SccpMsg) => { c.receive(frame(m), now); run(now); };
  const ids = () => sent.map(w.wireId);
  const take = () => sent.splice(0).map(w.wireId);
  const ack = (keepAlive = 30): w.SccpMsg => ({ id: w.REGISTER_ACK, ver: 0, keepAlive, dateTemplate: 'M/D/YA', secondaryKeepAlive: 60, protocolVersion: 20, features: 0 });
  const buttons = (n: number): w.SccpMsg => ({
    id: w.BUTTON_TEMPLATE, ver: 0, offset: 0, total: n + 1,
    items: [{ instance: 1, type: 0x02 }, ...Array.from({ length: n }, (_, i) => ({ instance: i + 1, type: w.BUTTON_LINE }))],
  });
  const line = (n: number, dn: string): w.SccpMsg => ({ id: w.LINE_STAT, ver: 0, line: n, dn, name: 'Line ' + dn, label: dn, options: 0 });
  /** Through to 'registered' with two lines. */
  const register = () => {
    c.start(now);
    run(now);
    feed(ack());
    feed(buttons(2));
    feed(line(1, '1001'));
    feed(line(2, '1002'));
  };
  return { c, out, sent, events, run, feed, ids, take, ack, buttons, line, register, get now() { return now; } };
}

describe('SccpClient', () => {
  it('registers: Register + IpPort, then templates, line stats, registered, time and version', () => {
    const r = rig();
    r.c.start(0);
    expect(r.c.state()).toBe('registering');
    r.run(0);
    expect(r.ids()).toEqual([w.REGISTER, w.IP_PORT]);
    const reg = r.sent[0];
    if (reg.id !== w.REGISTER) throw new Error('type');
    expect(reg).toMatchObject({ ver: 0, name: 'SEP001E4A123456', instance: 1, ip: 0x0a016464, deviceType: 434, maxStreams: 5, protocolVersion: 17, maxLines: 2, loadInfo: 'SCCP42.9-3-1SR1-1S' });
    expect(Array.from(reg.mac)).toEqual([0x00, 0x1e, 0x4a, 0x12, 0x34, 0x56, 0, 0, 0, 0, 0, 0]);
    r.take();
    r.feed(r.ack());
    expect(r.c.state()).toBe('configuring');
    expect(r.take()).toEqual([w.BUTTON_TEMPLATE_REQ, w.SOFTKEY_TEMPLATE_REQ, w.SOFTKEY_SET_REQ]);
    expect(r.sent.length).toBe(0);
    r.feed({ id: w.CAPABILITIES_REQ, ver: 0 });
    const caps = r.sent.shift()!;
    if (caps.id !== w.CAPABILITIES_RES) throw new Error('type');
    expect(caps.ver).toBe(17); // the lower of ours (17) and the CM's (20)
    expect(caps.items.map((x) => x.codec)).toEqual([w.CODEC_G711_ULAW, w.CODEC_G711_ALAW, w.CODEC_G729A]);
    r.feed(r.buttons(2));
    expect(r.sent.map((m) => (m.id === w.LINE_STAT_REQ ? m.line : -1))).toEqual([1, 2]);
    r.take();
    r.feed(r.line(1, '1001'));
    expect(r.events).toEqual([]);
    r.feed(r.line(2, '1002'));
    expect(r.c.state()).toBe('registered');
    expect(r.events[0]).toEqual({
      kind: 'registered', keepAliveS: 30, secondaryKeepAliveS: 60, protocolVersion: 17, dateTemplate: 'M/D/YA',
      lines: [{ line: 1, dn: '1001', name: 'Line 1001', label: '1001' }, { line: 2, dn: '1002', name: 'Line 1002', label: '1002' }],
    });
    expect(r.take()).toEqual([w.TIME_DATE_REQ, w.VERSION_REQ]);
    const td = { year: 2024, month: 1, dayOfWeek: 1, day: 15, hour: 12, minute: 0, second: 0, ms: 0, systemTime: 1705320000 };
    r.feed({ id: w.DEFINE_TIME_DATE, ver: 0, ...td });
    r.feed({ id: w.VERSION, ver: 0, loadId: 'SCCP42.9-4-2SR3' });
    expect(r.events[1]).toMatchObject({ kind: 'time', time: td });
    expect(r.events[2]).toEqual({ kind: 'version', loadId: 'SCCP42.9-4-2SR3' });
    expect(r.c.counters.malformed).toBe(0);
  });

  it('lines are capped at maxLines; no line button registers with no lines; versionReq can be off', () => {
    const r = rig({ maxLines: 1, versionReq: false });
    r.c.start(0);
    r.run(0);
    r.feed(r.ack());
    r.take();
    r.feed(r.buttons(3));
    expect(r.take()).toEqual([w.LINE_STAT_REQ]);
    r.feed(r.line(1, '1001'));
    expect(r.events[0]).toMatchObject({ kind: 'registered', lines: [{ dn: '1001' }] });
    expect(r.take()).toEqual([w.TIME_DATE_REQ]);
    const z = rig();
    z.c.start(0);
    z.run(0);
    z.feed(z.ack());
    z.feed({ id: w.BUTTON_TEMPLATE, ver: 0, offset: 0, total: 0, items: [] });
    expect(z.events[0]).toMatchObject({ kind: 'registered', lines: [] });
  });

  it('keepalive every interval from RegisterAck; two unanswered in a row: lost(keepalive)', () => {
    const r = rig();
    r.register();
    r.take();
    r.run(29_999);
    expect(r.sent.length).toBe(0);
    r.run(30_000);
    expect(r.take()).toEqual([w.KEEPALIVE]);
    r.feed({ id: w.KEEPALIVE_ACK, ver: 0 });
    r.run(60_000);
    expect(r.take()).toEqual([w.KEEPALIVE]);
    // From here the CM is silent: the 60 s one is missed at 90 s, the 90 s one at 120 s.
    r.run(90_000);
    expect(r.take()).toEqual([w.KEEPALIVE]);
    expect(r.c.state()).toBe('registered');
    r.run(119_999);
    expect(r.c.state()).toBe('registered');
    r.run(120_000);
    expect(r.c.state()).toBe('done');
    expect(r.events.at(-1)).toEqual({ kind: 'lost', reason: 'keepalive', detail: '' });
    expect(r.c.pollAt()).toBe(Infinity);
    expect(r.c.counters.keepAliveAcks).toBe(1);
  });

  it('the keepalive interval is the one RegisterAck gave, and misses are configurable', () => {
    const r = rig({ keepAliveMisses: 1 });
    r.c.start(0);
    r.run(0);
    r.feed(r.ack(5));
    r.take();
    r.run(5000);
    expect(r.take()).toEqual([w.KEEPALIVE]);
    r.run(10_000);
    expect(r.events.at(-1)).toMatchObject({ kind: 'lost', reason: 'keepalive' });
  });

  it('no RegisterAck, or no line stats, within registerTimeoutMs: lost(timeout)', () => {
    const r = rig({ registerTimeoutMs: 10_000 });
    r.c.start(0);
    r.run(9_999);
    expect(r.c.state()).toBe('registering');
    r.run(10_000);
    expect(r.events).toEqual([{ kind: 'lost', reason: 'timeout', detail: '' }]);
    const q = rig({ registerTimeoutMs: 10_000 });
    q.c.start(0);
    q.run(0);
    q.feed(q.ack());
    q.feed(q.buttons(2));
    q.feed(q.line(1, '1001'));
    q.run(10_000);
    expect(q.events).toEqual([{ kind: 'lost', reason: 'timeout', detail: '' }]);
  });

  it('RegisterReject ends the session with its text', () => {
    const r = rig();
    r.c.start(0);
    r.run(0);
    r.feed({ id: w.REGISTER_REJECT, ver: 0, text: 'Device Unknown' });
    expect(r.events).toEqual([{ kind: 'rejected', text: 'Device Unknown' }]);
    expect(r.c.state()).toBe('done');
    r.c.closed(5);
    expect(r.c.poll()).toBeNull(); // no second event once done
  });

  it('Reset is an event carrying its type; the session stays registered', () => {
    const r = rig();
    r.register();
    r.feed({ id: w.RESET, ver: 0, type: w.RESET_RESTART });
    expect(r.events.at(-1)).toEqual({ kind: 'reset', type: 2 });
    expect(r.c.state()).toBe('registered');
  });

  it('unknown ids are skipped by their length and reported once each; a bad body is counted', () => {
    const r = rig();
    r.register();
    const unk = (id: number) => frame({ id: w.UNKNOWN, msgId: id, ver: 0, body: new Uint8Array(40) });
    const all = new Uint8Array([...unk(0x110), ...unk(0x110), ...unk(0x111), ...frame({ id: w.KEEPALIVE_ACK, ver: 0 })]);
    r.c.receive(all, r.now);
    r.run(r.now);
    expect(r.events.filter((e) => e.kind === 'unknown')).toEqual([{ kind: 'unknown', id: 0x110 }, { kind: 'unknown', id: 0x111 }]);
    expect(r.c.counters.unknown).toBe(3);
    expect(r.c.counters.keepAliveAcks).toBe(1);
    r.c.receive(new Uint8Array([6, 0, 0, 0, 0, 0, 0, 0, 0x9f, 0, 0, 0, 1, 0]), r.now); // Reset with a 2-byte body
    expect(r.c.counters.malformed).toBe(1);
    expect(r.c.state()).toBe('registered');
  });

  it('a frame over the receive buffer: lost(framing), whatever the chunking', () => {
    const r = rig({ rxBuffer: 256 });
    r.register();
    const big = frame({ id: w.UNKNOWN, msgId: 0x120, ver: 0, body: new Uint8Array(300) });
    r.c.receive(big.subarray(0, 5), r.now);
    expect(r.c.state()).toBe('registered');
    r.c.receive(big.subarray(5, 9), r.now);
    r.run(r.now);
    expect(r.events.at(-1)).toEqual({ kind: 'lost', reason: 'framing', detail: 'too-large: sccp frame' });
  });

  it('a transport that refuses a frame: lost(write)', () => {
    const r = rig();
    r.out.refuse = true;
    r.c.start(0);
    r.run(0);
    expect(r.events).toEqual([{ kind: 'lost', reason: 'write', detail: '' }]);
  });

  it('the transport closing: lost(closed)', () => {
    const r = rig();
    r.register();
    r.c.closed(r.now);
    r.run(r.now);
    expect(r.events.at(-1)).toEqual({ kind: 'lost', reason: 'closed', detail: '' });
  });

  it('stop: Unregister, then UnregisterAck or the stop timeout', () => {
    const r = rig();
    r.register();
    r.take();
    r.c.stop(r.now);
    r.run(r.now);
    expect(r.take()).toEqual([w.UNREGISTER]);
    expect(r.c.state()).toBe('unregistering');
    r.feed({ id: w.UNREGISTER_ACK, ver: 0, status: 0 });
    expect(r.events.at(-1)).toEqual({ kind: 'stopped', acked: true });
    const q = rig({ stopTimeoutMs: 2000 });
    q.register();
    const t = q.now;
    q.c.stop(t);
    q.run(t + 1999);
    expect(q.c.state()).toBe('unregistering');
    q.run(t + 2000);
    expect(q.events.at(-1)).toEqual({ kind: 'stopped', acked: false });
    // Before RegisterAck there is nothing to unregister.
    const e = rig();
    e.c.start(0);
    e.c.stop(0);
    expect(e.c.poll()).toEqual({ kind: 'stopped', acked: false });
  });

  it('start again after an end begins a fresh session', () => {
    const r = rig();
    r.register();
    r.c.closed(r.now);
    r.take();
    r.c.start(r.now);
    r.run(r.now);
    expect(r.take()).toEqual([w.REGISTER, w.IP_PORT]);
    expect(r.sent.length).toBe(0);
    expect(r.c.lines()).toEqual([]);
  });
});
