/**
 * The REGISTER machine on a fake transport and fake time (no network): real Kamailio
 * responses replayed onto the request in flight (the fixtures with the phone's branch,
 * Call-ID and CSeq put in), the RFC 3261 17.1.2.2 timers to the millisecond, each final
 * answer's outcome, the refresh point, unregister, failover and the rounds' back-off.
 */
import { describe, it, expect } from 'vitest';
import * as w from '../../../firmware/callmanager/sip/wire';
import { SipRegister, sipTransport, type SipEvent, type SipRegConfig } from '../../../firmware/callmanager/sip/register';
import { digestResponse } from '../../../firmware/callmanager/sip/digest';
import { HostCrypto } from '../../../hal/sim/crypto-host';
import { Prng } from '../../../hal/sim/prng';
import { fixture } from './fixtures';

const crypto = new HostCrypto();
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function rig(cfg: Partial<SipRegConfig> = {}) {
  const prng = new Prng(3);
  const c = new SipRegister({
    user: '1001', password: 'secret1001', transport: 'UDP', targets: [{ host: '10.77.0.3', port: 5060 }, { host: '10.77.0.9', port: 5060 }],
    localIp: 0x0a4d0002, crypto, random: () => prng.u32(), ...cfg,
  });
  let now = 0;
  const sent: Array<{ at: number; m: w.SipMsg }> = [];
  const events: Array<SipEvent & { at: number }> = [];
  let autoUp = true;
  /** What the Driver does: deliver events, dispatch while due, until nothing changes. */
  const pump = (): void => {
    for (let round = 0, busy = true; busy && round < 100; round++) {
      busy = false;
      for (let e = c.poll(); e !== null; e = c.poll()) {
        busy = true;
        events.push({ ...e, at: now });
        if (e.kind === 'connect' && autoUp) c.transportUp(now, 5060);
      }
      if (c.pollAt() <= now) {
        busy = true;
        c.dispatch(now, { send: (b) => { const r = w.parse(b); if (!r.ok) throw new Error('sent garbage'); sent.push({ at: now, m: r.value }); return true; } });
      }
    }
  };
  /** Advance time to `t`, waking at every pollAt on the way (what the Driver does). */
  const runTo = (t: number): void => {
    pump();
    while (c.pollAt() <= t) {
      now = Math.max(now, c.pollAt());
      pump();
    }
    now = t;
    pump();
  };
  const last = (): w.SipMsg => sent[sent.length - 1].m;
  /** A fixture's bytes with the last request's branch, Call-ID and CSeq put in. */
  const replay = (name: string, edit: (s: string) => string = (s) => s): Uint8Array => {
    const req = last();
    let s = text(fixture(name));
    s = s.replace(/branch=[^;\r]+/, `branch=${req.via[0].branch}`).replace(/Call-ID: [^\r]+/, `Call-ID: ${req.callId}`)
      .replace(/CSeq: \d+/, `CSeq: ${req.cseq}`);
    return bytes(edit(s));
  };
  const feed = (b: Uint8Array): void => {
    c.receive(b, now);
    pump();
  };
  const kinds = () => events.map((e) => e.kind);
  return { c, sent, events, runTo, replay, feed, last, kinds, pump, setAutoUp: (v: boolean) => { autoUp = v; }, get now() { return now; } };
}

describe('SipRegister', () => {
  it('sipTransport: transportLayerProtocol 1 TCP, 2 UDP, 3 TLS, 4 TCP', () => {
    expect([1, 2, 3, 4].map(sipTransport)).toEqual(['TCP', 'UDP', 'TLS', 'TCP']);
  });

  it('Kamailio\'s 401 answered with a digest Kamailio accepts; its 200 grants 3600 s; refresh at 3536 s', () => {
    const r = rig();
    r.c.start(0);
    r.runTo(0);
    expect(r.kinds()).toEqual(['connect']);
    expect(r.last()).toMatchObject({ method: 'REGISTER', uri: 'sip:10.77.0.3', cseq: 1, auth: null, expires: 3600 });
    expect(r.last().contacts).toEqual([{ display: '', uri: 'sip:1001@10.77.0.2:5060', expires: 3600 }]);
    r.runTo(20);
    r.feed(r.replay('kamailio-401-md5.sip'));
    const a = r.last().auth!;
    expect(r.last().cseq).toBe(2);
    expect(a).toMatchObject({ username: '1001', realm: '10.77.0.3', nonce: 'aw/LBWsPywMGC1aYYpYClr/uEENhfDDAE+CBf4A=', uri: 'sip:10.77.0.3',
      algorithm: 'MD5', qop: 'auth', nc: 1, opaque: '' });
    expect(a.response).toBe(digestResponse(crypto, { algorithm: 'MD5', username: '1001', realm: '10.77.0.3', password: 'secret1001',
      method: 'REGISTER', uri: 'sip:10.77.0.3', nonce: a.nonce, qop: 'auth', cnonce: a.cnonce, nc: 1 }));
    r.runTo(30);
    r.feed(r.replay('kamailio-200-md5.sip'));
    expect(r.events.at(-1)).toMatchObject({ kind: 'registered', expires: 3600, refresh: false, index: 0 });
    expect(r.c.state()).toBe('registered');
    // The refresh: 3600 - 64 s after the REGISTER that got the 200 was first sent (at 20 ms).
    expect(r.c.pollAt()).toBe(20 + 3_536_000);
    r.runTo(20 + 3_536_000);
    expect(r.last()).toMatchObject({ cseq: 3, auth: { nc: 2, nonce: a.nonce, cnonce: a.cnonce } });
  });

  it('UDP timers: retransmit at T1, 2T1, 4T1, then every T2; Timer F (64 T1) -> lost(timeout) and the next registrar', () => {
    const r = rig();
    r.c.start(0);
    r.runTo(40_000);
    const toFirst = r.sent.filter((s) => s.m.uri === 'sip:10.77.0.3').map((s) => s.at);
    expect(toFirst).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(r.events.filter((e) => e.kind !== 'connect')).toEqual([{ kind: 'lost', index: 0, code: 0, text: 'timeout', at: 32_000 }]);
    expect(r.events.filter((e) => e.kind === 'connect').map((e) => [e.at, (e as { host: string }).host])).toEqual([[0, '10.77.0.3'], [32_000, '10.77.0.9']]);
    // The same bytes each time: one transaction, one branch.
    expect(new Set(r.sent.slice(0, 11).map((s) => s.m.via[0].branch)).size).toBe(1);
  });

  it('UDP: a 100 Trying makes the retransmissions T2 apart; TCP never retransmits but Timer F still applies', () => {
    const r = rig();
    r.c.start(0);
    r.runTo(600);
    const trying = r.replay('kamailio-200-md5.sip', (s) => s.replace('200 OK', '100 Trying'));
    r.feed(trying);
    r.runTo(20_000);
    expect(r.sent.map((s) => s.at)).toEqual([0, 500, 1500, 5500, 9500, 13500, 17500]);
    const t = rig({ transport: 'TCP' });
    t.c.start(0);
    t.runTo(40_000);
    expect(t.sent.map((s) => [s.at, s.m.uri])).toEqual([[0, 'sip:10.77.0.3'], [32_000, 'sip:10.77.0.9']]);
    expect(t.sent[0].m.contacts[0].uri).toBe('sip:1001@10.77.0.2:5060;transport=tcp');
    expect(t.sent[0].m.via[0].transport).toBe('TCP');
  });

  it('TCP: a response split across reads is framed; a stream that cannot be framed is lost(framing)', () => {
    const r = rig({ transport: 'TCP' });
    r.c.start(0);
    r.runTo(0);
    const b = r.replay('kamailio-200-open.sip');
    r.feed(b.subarray(0, 10));
    r.feed(b.subarray(10, 200));
    expect(r.c.state()).toBe('register');
    r.feed(b.subarray(200));
    expect(r.c.state()).toBe('registered');
    const bad = rig({ transport: 'TCP' });
    bad.c.start(0);
    bad.runTo(0);
    bad.feed(bytes('SIP/2.0 200 OK\r\nVia: x\r\n\r\n'));
    expect(bad.events.find((e) => e.kind === 'lost')).toMatchObject({ text: 'framing' });
  });

  it('a second 401 to an answered challenge (Kamailio, wrong password) is failed(401, "wrong password"); retried after retryMs', () => {
    const r = rig({ password: 'nope' });
    r.c.start(0);
    r.runTo(0);
    r.feed(r.replay('kamailio-401-md5.sip'));
    r.feed(r.replay('kamailio-401-wrong-password.sip'));
    expect(r.events.at(-1)).toMatchObject({ kind: 'failed', code: 401, text: 'wrong password' });
    expect(r.sent).toHaveLength(2);
    r.runTo(59_999);
    expect(r.sent).toHaveLength(2);
    r.runTo(60_000);
    expect(r.sent).toHaveLength(3);
    expect(r.last().auth).toBeNull(); // a fresh start: the old challenge is forgotten
  });

  it('stale=true (Kamailio) is answered with the new nonce, nc back to 1; a reused nonce that is refused without stale is answered once', () => {
    const r = rig();
    r.c.start(0);
    r.runTo(0);
    r.feed(r.replay('kamailio-401-md5.sip'));
    r.feed(r.replay('kamailio-200-md5.sip'));
    r.runTo(3_536_000);
    expect(r.last().auth!.nc).toBe(2);
    r.feed(r.replay('kamailio-401-stale.sip'));
    expect(r.last().auth).toMatchObject({ nonce: 'aw/LCGsPywZIptj8AokDvdvvJ0dOS4maE+CGhIA=', nc: 1 });
    r.feed(r.replay('kamailio-200-md5.sip'));
    expect(r.events.at(-1)).toMatchObject({ kind: 'registered', refresh: true });
    // Next refresh: the server forgot the nonce and says so without stale: the cached one was a reuse, so answer.
    r.runTo(2 * 3_536_000);
    r.feed(r.replay('kamailio-401-md5.sip'));
    expect(r.last().auth).toMatchObject({ nonce: 'aw/LBWsPywMGC1aYYpYClr/uEENhfDDAE+CBf4A=', nc: 1 });
    r.feed(r.replay('kamailio-200-md5.sip'));
    expect(r.kinds().filter((k) => k === 'registered')).toHaveLength(3);
  });

  it('SHA-256 challenge (Kamailio): a 64-digit response; an unsupported algorithm only: failed "no usable challenge"', () => {
    const r = rig();
    r.c.start(0);
    r.runTo(0);
    r.feed(r.replay('kamailio-401-sha256.sip'));
    expect(r.last().auth).toMatchObject({ algorithm: 'SHA-256', realm: '10.77.0.4' });
    expect(r.last().auth!.response).toMatch(/^[0-9a-f]{64}$/);
    const u = rig();
    u.c.start(0);
    u.runTo(0);
    u.feed(u.replay('kamailio-401-sha256.sip', (s) => s.replace('SHA-256', 'SHA-512-256')));
    expect(u.events.at(-1)).toMatchObject({ kind: 'failed', code: 401, text: 'no usable challenge' });
    const n = rig({ password: '' });
    n.c.start(0);
    n.runTo(0);
    n.feed(n.replay('kamailio-401-md5.sip'));
    expect(n.events.at(-1)).toMatchObject({ kind: 'failed', text: 'no password' });
  });

  it('407: Proxy-Authorization; no qop: the RFC 2069 response without cnonce or nc', () => {
    const r = rig();
    r.c.start(0);
    r.runTo(0);
    r.feed(r.replay('kamailio-401-md5.sip', (s) => s.replace('401 Unauthorized', '407 Proxy Authentication Required')
      .replace('WWW-Authenticate', 'Proxy-Authenticate').replace(', qop="auth"', '')));
    const a = r.last().auth!;
    expect(a).toMatchObject({ proxy: true, qop: '', nc: 0, cnonce: '' });
    expect(a.response).toBe(digestResponse(crypto, { algorithm: 'MD5', username: '1001', realm: '10.77.0.3', password: 'secret1001',
      method: 'REGISTER', uri: 'sip:10.77.0.3', nonce: a.nonce, qop: '', cnonce: '', nc: 0 }));
  });

  it('423 Interval Too Brief: once more with Min-Expires; 403 and 404: failed with the reason; 503: lost, next registrar', () => {
    const r = rig({ expires: 30 });
    r.c.start(0);
    r.runTo(0);
    r.feed(r.replay('kamailio-200-open.sip', (s) => s.replace('200 OK', '423 Interval Too Brief').replace('Content-Length', 'Min-Expires: 600\r\nContent-Length')));
    expect(r.last()).toMatchObject({ expires: 600, contacts: [{ expires: 600 }] });
    for (const [code, reason] of [[403, 'Forbidden'], [404, 'Not Found'], [302, 'Moved']] as const) {
      const x = rig();
      x.c.start(0);
      x.runTo(0);
      x.feed(x.replay('kamailio-200-open.sip', (s) => s.replace('200 OK', `${code} ${reason}`)));
      expect(x.events.at(-1)).toMatchObject({ kind: 'failed', code, text: reason });
      expect(x.c.state()).toBe('wait');
    }
    const d = rig();
    d.c.start(0);
    d.runTo(0);
    d.feed(d.replay('kamailio-200-open.sip', (s) => s.replace('200 OK', '503 Service Unavailable')));
    expect(d.kinds()).toEqual(['connect', 'lost', 'connect']);
    expect(d.last().uri).toBe('sip:10.77.0.9');
  });

  it('the granted time: our Contact among others, else Expires, else what was asked; 0 is "no binding"', () => {
    const grant = (edit: (s: string) => string) => {
      const r = rig({ expires: 1800 });
      r.c.start(0);
      r.runTo(0);
      r.feed(r.replay('kamailio-200-open.sip', edit));
      return r.events.at(-1);
    };
    expect(grant((s) => s.replace(/Contact: [^\r]+/, 'Contact: <sip:9@h>;expires=5, <SIP:1001@10.77.0.2:5060>;expires=300'))).toMatchObject({ expires: 300 });
    expect(grant((s) => s.replace(/Contact: [^\r]+/, 'Expires: 900'))).toMatchObject({ expires: 900 });
    expect(grant((s) => s.replace(/Contact: [^\r]+\r\n/, ''))).toMatchObject({ expires: 1800 });
    expect(grant((s) => s.replace('expires=3600', 'expires=0'))).toMatchObject({ kind: 'failed', code: 200, text: 'no binding' });
  });

  it('responses to another transaction, from another call, or that do not parse are counted and dropped', () => {
    const r = rig();
    r.c.start(0);
    r.runTo(0);
    r.feed(r.replay('kamailio-200-open.sip', (s) => s.replace(/branch=[^;]+/, 'branch=z9hG4bKother')));
    r.feed(r.replay('kamailio-200-open.sip', (s) => s.replace(/Call-ID: [^\r]+/, 'Call-ID: x')));
    r.feed(r.replay('kamailio-200-open.sip', (s) => s.replace(/CSeq: \d+/, 'CSeq: 99')));
    r.feed(r.replay('kamailio-200-open.sip', (s) => s.replace('CSeq: 1 REGISTER', 'CSeq: 1 OPTIONS')));
    r.feed(bytes('garbage\r\n\r\n'));
    expect(r.c.counters).toMatchObject({ received: 5, ignored: 4, malformed: 1 });
    expect(r.c.state()).toBe('register');
  });

  it('stop(): Expires 0 when registered, stopped(acked) on the 200; without a binding, stopped at once; a silent registrar: stopped after 4 s', () => {
    const r = rig();
    r.c.start(0);
    r.runTo(0);
    r.feed(r.replay('kamailio-200-open.sip'));
    r.c.stop(1000);
    r.runTo(1000);
    expect(r.last()).toMatchObject({ expires: 0, contacts: [{ expires: 0 }], cseq: 2 });
    r.feed(r.replay('kamailio-200-unregister.sip'));
    expect(r.events.at(-1)).toMatchObject({ kind: 'stopped', acked: true });
    expect(r.c.state()).toBe('done');
    const q = rig();
    q.c.start(0);
    q.runTo(0);
    q.c.stop(0);
    q.pump();
    expect(q.events.at(-1)).toMatchObject({ kind: 'stopped', acked: false });
    const s = rig();
    s.c.start(0);
    s.runTo(0);
    s.feed(s.replay('kamailio-200-open.sip'));
    s.c.stop(10);
    s.runTo(10_000);
    expect(s.events.at(-1)).toMatchObject({ kind: 'stopped', acked: false, at: 4010 });
  });

  it('an unregister challenged: answered once', () => {
    const r = rig();
    r.c.start(0);
    r.runTo(0);
    r.feed(r.replay('kamailio-401-md5.sip'));
    r.feed(r.replay('kamailio-200-md5.sip'));
    r.c.stop(5);
    r.runTo(5);
    r.feed(r.replay('kamailio-401-stale.sip'));
    expect(r.last()).toMatchObject({ expires: 0, auth: { nc: 1 } });
    r.feed(r.replay('kamailio-200-unregister.sip'));
    expect(r.events.at(-1)).toMatchObject({ kind: 'stopped', acked: true });
  });

  it('the transport lost while registered: lost, the next registrar; a connect timeout; every registrar down -> rounds 5, 10, 30, 60, 60 s', () => {
    const r = rig({ transport: 'TCP' });
    r.c.start(0);
    r.runTo(0);
    r.feed(r.replay('kamailio-200-open.sip'));
    r.c.transportDown(100, 'reset');
    r.pump();
    expect(r.events.slice(-2)).toMatchObject([{ kind: 'lost', index: 0, text: 'reset' }, { kind: 'connect', index: 1 }]);
    const t = rig();
    t.setAutoUp(false);
    t.c.start(0);
    t.runTo(10_000);
    expect(t.events.map((e) => [e.kind, e.at])).toEqual([['connect', 0], ['lost', 10_000], ['connect', 10_000]]);
    const d = rig();
    d.setAutoUp(false);
    d.c.start(0);
    const downAll = () => { for (let i = 0; i < 20; i++) { d.c.transportDown(d.now, 'refused'); d.pump(); } };
    let at = 0;
    const rounds: number[] = [];
    for (let k = 0; k < 5; k++) {
      downAll();
      const last = d.events.filter((e) => e.kind === 'round').at(-1) as { retryAt: number };
      rounds.push(last.retryAt - at);
      at = last.retryAt;
      d.runTo(at);
    }
    expect(rounds).toEqual([5000, 10_000, 30_000, 60_000, 60_000]);
  });
});
