/**
 * DHCP client timelines on fake time (smoltcp dhcpv4.rs style): every test drives the
 * sans-IO machine with explicit times and asserts what it sends, when, and which events
 * come out.
 */
import { describe, it, expect } from 'vitest';
import { DhcpClient, DhcpClientConfig, DhcpEvent, DhcpOutput, DECLINE_WAIT_MS, BROADCAST } from '../../../firmware/dhcp/client';
import * as dhcp from '../../../firmware/dhcp/wire';
import type { Lease } from '../../../firmware/dhcp/lease';
import { Prng } from '../../../hal/sim/prng';
import { ip, reply, ReplyOpts } from './helpers';

const MAC = new Uint8Array([0x00, 0x1e, 0x4a, 0x12, 0x34, 0x56]);
const SERVER = ip('10.0.0.1');
const OTHER = ip('10.0.0.2');

interface Sent { t: number; dst: number; msg: dhcp.DhcpRepr }

function harness(cfg: Partial<DhcpClientConfig> = {}, seed = 7) {
  const prng = new Prng(seed);
  const sent: Sent[] = [];
  const probes: { t: number; ip: number }[] = [];
  const events: DhcpEvent[] = [];
  const c = new DhcpClient({ mac: MAC, model: '7942G', random: () => prng.u32(), ...cfg });
  let now = 0;
  const out: DhcpOutput = {
    send: (dst, msg) => {
      // Every message the client builds must encode and parse back identically.
      const bytes = dhcp.encode(msg);
      const back = dhcp.parse(bytes);
      if (!back.ok) throw new Error('client emitted an unparsable message: ' + back.detail);
      sent.push({ t: now, dst, msg: back.value });
    },
    probe: (a) => probes.push({ t: now, ip: a }),
  };
  const drain = () => { for (let e = c.poll(); e; e = c.poll()) events.push(e); };
  const h = {
    c, sent, probes, events,
    get now() { return now; },
    /** Run every dispatch due up to `to`, then set the clock to `to`. */
    advance(to: number) {
      for (let i = 0; i < 100000; i++) {
        const p = c.pollAt();
        if (p > to) break;
        now = Math.max(now, p);
        c.dispatch(now, out);
        drain();
      }
      now = Math.max(now, to);
    },
    deliver(bytes: Uint8Array, src = SERVER) {
      c.process(bytes, src, now);
      drain();
      h.advance(now);
    },
    last(): Sent { return sent[sent.length - 1]; },
    /** Answer the last message the client sent with `type`. */
    answer(type: number, o: ReplyOpts = {}, src = SERVER) {
      h.deliver(reply(type, h.last().msg.xid, MAC, o), src);
    },
    start(lastLease?: Lease | null) { c.start(now, lastLease); h.advance(now); },
    /** DISCOVER -> OFFER(150) -> REQUEST -> ACK -> probe ok -> BOUND. */
    bindNow(o: ReplyOpts = {}) {
      h.start();
      h.answer(dhcp.DHCPOFFER, { tftp150: [SERVER], ...o });
      h.answer(dhcp.DHCPACK, { tftp150: [SERVER], ...o });
      c.probeResult(probes[probes.length - 1].ip, false, now);
      drain();
      h.advance(now);
    },
  };
  return h;
}

function lastLease(address = ip('10.0.0.77')): Lease {
  return {
    source: 'dhcp', address, mask: ip('255.255.255.0'), gateway: ip('10.0.0.254'),
    routers: [ip('10.0.0.254')], dnsServers: [], domain: '', ntpServers: [], tftpServers: [SERVER],
    tftpServerName: '', serverId: SERVER, nextServer: 0, leaseSecs: 3600, t1Secs: 1800, t2Secs: 3150,
    acquiredAtMs: 0,
  };
}

describe('DhcpClient: INIT and SELECTING', () => {
  it('retransmits DISCOVER at 4, 8, 16, 32, 64, 64 s, each within +/-1 s, same xid', () => {
    const h = harness();
    h.start();
    h.advance(400_000);
    const d = h.sent.filter((s) => s.msg.messageType === dhcp.DHCPDISCOVER);
    expect(d.length).toBeGreaterThanOrEqual(8);
    const base = [4000, 8000, 16000, 32000, 64000, 64000, 64000];
    const gaps: number[] = [];
    for (let i = 0; i < base.length; i++) {
      const gap = d[i + 1].t - d[i].t;
      gaps.push(gap);
      expect(gap).toBeGreaterThanOrEqual(base[i] - 1000);
      expect(gap).toBeLessThanOrEqual(base[i] + 1000);
    }
    // Jitter is real: not every gap sits on its base value.
    expect(gaps.some((g, i) => g !== base[i])).toBe(true);
    expect(new Set(d.map((s) => s.msg.xid)).size).toBe(1);
    expect(d[0].t).toBe(0);
    expect(d[3].msg.secs).toBe(Math.floor(d[3].t / 1000));
  });

  it('different entropy gives a different schedule and xid (jitter comes from the HAL)', () => {
    const a = harness({}, 1);
    const b = harness({}, 2);
    a.start(); b.start();
    a.advance(100_000); b.advance(100_000);
    expect(a.sent[0].msg.xid).not.toBe(b.sent[0].msg.xid);
    expect(a.sent.map((s) => s.t)).not.toEqual(b.sent.map((s) => s.t));
  });

  it('DISCOVER carries the Cisco identity: 61, 60 with NUL, 12 SEP<MAC>, PRL, broadcast, from/to broadcast', () => {
    const h = harness();
    h.start();
    const m = h.sent[0];
    expect(m.dst).toBe(BROADCAST);
    expect(m.msg.op).toBe(dhcp.OP_BOOTREQUEST);
    expect(m.msg.broadcast).toBe(true);
    expect(m.msg.ciaddr).toBe(0);
    expect(Array.from(m.msg.clientId!)).toEqual([1, ...MAC]);
    expect(m.msg.vendorClass).toBe('Cisco Systems, Inc. IP Phone CP-7942G\u0000');
    expect(m.msg.hostName).toBe('SEP001E4A123456');
    expect(m.msg.parameterRequestList).toEqual([1, 66, 6, 3, 15, 150, 35, 42]);
    expect(m.msg.requestedIp).toBe(null);
    expect(m.msg.serverId).toBe(null);
  });

  it('takes an OFFER with option 150 at once: REQUEST with 50 and 54, same xid', () => {
    const h = harness();
    h.start();
    h.advance(1500);
    h.answer(dhcp.DHCPOFFER, { tftp150: [SERVER] });
    expect(h.c.state()).toBe('REQUESTING');
    const r = h.last();
    expect(r.t).toBe(1500);
    expect(r.msg.messageType).toBe(dhcp.DHCPREQUEST);
    expect(r.msg.requestedIp).toBe(ip('10.0.0.50'));
    expect(r.msg.serverId).toBe(SERVER);
    expect(r.msg.xid).toBe(h.sent[0].msg.xid);
    expect(r.msg.ciaddr).toBe(0);
    expect(r.dst).toBe(BROADCAST);
  });

  it('prefers an OFFER with option 150 that comes within the window after one without', () => {
    const h = harness({ selectWindowMs: 1000 });
    h.start();
    h.answer(dhcp.DHCPOFFER, { yiaddr: ip('10.0.0.60'), serverId: OTHER }, OTHER);
    expect(h.c.state()).toBe('SELECTING');
    h.advance(500);
    h.answer(dhcp.DHCPOFFER, { yiaddr: ip('10.0.0.50'), tftp150: [SERVER] });
    const r = h.last();
    expect(r.msg.messageType).toBe(dhcp.DHCPREQUEST);
    expect(r.msg.serverId).toBe(SERVER);
    expect(r.msg.requestedIp).toBe(ip('10.0.0.50'));
  });

  it('takes the first OFFER when none carries 150, once the window closes', () => {
    const h = harness({ selectWindowMs: 1000 });
    h.start();
    h.advance(200);
    h.answer(dhcp.DHCPOFFER, { yiaddr: ip('10.0.0.60'), serverId: OTHER }, OTHER);
    h.advance(700);
    h.answer(dhcp.DHCPOFFER, { yiaddr: ip('10.0.0.50') });
    expect(h.c.state()).toBe('SELECTING');
    h.advance(1199);
    expect(h.c.state()).toBe('SELECTING');
    h.advance(1200);
    expect(h.c.state()).toBe('REQUESTING');
    expect(h.last().msg.serverId).toBe(OTHER);
    expect(h.last().t).toBe(1200);
  });

  it('counts and ignores wrong xid, wrong chaddr, requests and garbage; state unchanged', () => {
    const h = harness();
    h.start();
    const xid = h.sent[0].msg.xid;
    h.deliver(reply(dhcp.DHCPOFFER, xid + 1, MAC, { tftp150: [SERVER] }));
    h.deliver(reply(dhcp.DHCPOFFER, xid, new Uint8Array([2, 0, 0, 0, 0, 1]), { tftp150: [SERVER] }));
    h.deliver(reply(dhcp.DHCPACK, xid, MAC));        // ACK while SELECTING
    h.deliver(new Uint8Array(10));                   // truncated
    h.deliver(reply(dhcp.DHCPOFFER, xid, MAC).subarray(0, 250).slice()); // cut inside options
    const bad = reply(dhcp.DHCPOFFER, xid, MAC);
    bad[236] = 0;                                    // no cookie
    h.deliver(bad);
    h.deliver(reply(dhcp.DHCPOFFER, xid, MAC, { yiaddr: 0 }));  // no address offered
    expect(h.c.state()).toBe('SELECTING');
    expect(h.c.counters.ignored).toBe(3);
    expect(h.c.counters.malformed).toBe(4);
    expect(h.c.counters.received).toBe(7);
  });
});

describe('DhcpClient: REQUESTING, CHECKING, BOUND', () => {
  it('ACK -> RFC 5227 probe -> BOUND with the lease (150 list, 66, router, DNS, domain)', () => {
    const h = harness();
    h.start();
    h.answer(dhcp.DHCPOFFER, { tftp150: [SERVER, OTHER], tftp66: 'tftp.voice.example' });
    h.advance(300);
    h.answer(dhcp.DHCPACK, {
      tftp150: [SERVER, OTHER], tftp66: 'tftp.voice.example', dns: [SERVER], domain: 'voice.example', leaseTime: 86400,
    });
    expect(h.c.state()).toBe('CHECKING');
    expect(h.probes).toEqual([{ t: 300, ip: ip('10.0.0.50') }]);
    expect(h.events).toEqual([]);
    h.c.probeResult(ip('10.0.0.50'), false, 2300);
    h.deliver(new Uint8Array(0));  // drain events
    expect(h.c.state()).toBe('BOUND');
    const b = h.events.find((e) => e.kind === 'bound');
    expect(b).toBeDefined();
    if (b?.kind !== 'bound') return;
    expect(b.lease.address).toBe(ip('10.0.0.50'));
    expect(b.lease.gateway).toBe(ip('10.0.0.254'));
    expect(b.lease.tftpServers).toEqual([SERVER, OTHER]);
    expect(b.lease.tftpServerName).toBe('tftp.voice.example');
    expect(b.lease.domain).toBe('voice.example');
    expect(b.lease.serverId).toBe(SERVER);
    expect(b.lease.leaseSecs).toBe(86400);
    expect(b.lease.t1Secs).toBe(43200);
    expect(b.lease.t2Secs).toBe(75600);
    expect(h.c.currentLease()).toEqual(b.lease);
  });

  it('ignores an ACK from a server it did not select', () => {
    const h = harness();
    h.start();
    h.answer(dhcp.DHCPOFFER, { tftp150: [SERVER] });
    h.answer(dhcp.DHCPACK, { serverId: OTHER }, OTHER);
    expect(h.c.state()).toBe('REQUESTING');
    expect(h.c.counters.ignored).toBe(1);
  });

  it('counts an ACK without a lease time as malformed and keeps waiting', () => {
    const h = harness();
    h.start();
    h.answer(dhcp.DHCPOFFER, { tftp150: [SERVER] });
    h.answer(dhcp.DHCPACK, { leaseTime: null });
    expect(h.c.state()).toBe('REQUESTING');
    expect(h.c.counters.malformed).toBe(1);
  });

  it('NAK in REQUESTING -> nak event, INIT, a new DISCOVER with a new xid at once', () => {
    const h = harness();
    h.start();
    h.answer(dhcp.DHCPOFFER, { tftp150: [SERVER] });
    h.advance(100);
    h.answer(dhcp.DHCPNAK, { message: 'wrong address' });
    expect(h.events).toEqual([{ kind: 'nak', serverId: SERVER, message: 'wrong address' }]);
    const d = h.last();
    expect(d.msg.messageType).toBe(dhcp.DHCPDISCOVER);
    expect(d.t).toBe(100);
    expect(d.msg.xid).not.toBe(h.sent[0].msg.xid);
    expect(h.c.state()).toBe('SELECTING');
  });

  it('backs off after repeated NAKs (no DISCOVER/NAK storm)', () => {
    const h = harness({ retry: { initialMs: 4000, maxMs: 64000, jitterMs: 0, requestTries: 5, rebootTries: 3, minRenewRetryMs: 60000 } });
    h.start();
    const naksAt: number[] = [];
    for (let i = 0; i < 4; i++) {
      // Wait for the DISCOVER (immediate or backed off), then OFFER + NAK at once.
      if (h.last().msg.messageType !== dhcp.DHCPDISCOVER) h.advance(Math.max(h.now, h.c.pollAt()));
      expect(h.last().msg.messageType).toBe(dhcp.DHCPDISCOVER);
      h.answer(dhcp.DHCPOFFER, { tftp150: [SERVER] });
      h.answer(dhcp.DHCPNAK);
      naksAt.push(h.now);
    }
    if (h.last().msg.messageType !== dhcp.DHCPDISCOVER) h.advance(Math.max(h.now, h.c.pollAt()));
    const discovers = h.sent.filter((s) => s.msg.messageType === dhcp.DHCPDISCOVER).map((s) => s.t);
    // after NAK 1: at once; after NAK 2: 4 s; NAK 3: 8 s; NAK 4: 16 s
    expect(discovers.length).toBe(5);
    expect(discovers[1] - naksAt[0]).toBe(0);
    expect(discovers[2] - naksAt[1]).toBe(4000);
    expect(discovers[4] - naksAt[3]).toBe(16000);
    expect(discovers[3] - naksAt[2]).toBe(8000);
  });

  it('gives up REQUESTING after 5 REQUESTs (4+8+16+32+64 s) and starts over', () => {
    const h = harness();
    h.start();
    h.answer(dhcp.DHCPOFFER, { tftp150: [SERVER] });
    h.advance(200_000);
    const reqs = h.sent.filter((s) => s.msg.messageType === dhcp.DHCPREQUEST);
    expect(reqs.length).toBe(5);
    const after = h.sent.filter((s) => s.msg.messageType === dhcp.DHCPDISCOVER && s.t > reqs[4].t);
    expect(after.length).toBeGreaterThan(0);
    expect(after[0].t - reqs[4].t).toBeGreaterThanOrEqual(63000);
    expect(after[0].t - reqs[4].t).toBeLessThanOrEqual(65000);
  });
});

describe('DhcpClient: lease timers over hours of virtual time', () => {
  const H = 3600_000;

  it('T1 unicast RENEWING, retries at half the time to T2 (>= 60 s), T2 broadcast REBINDING, expiry -> lost -> INIT', () => {
    const h = harness();
    h.bindNow({ leaseTime: 4 * 3600 });   // 4 h: T1 2 h, T2 3.5 h
    const boundAt = h.now;
    const addr = ip('10.0.0.50');
    h.advance(boundAt + 4 * H + 1000);
    const after = h.sent.filter((s) => s.t >= boundAt + 1);
    const renew = after.filter((s) => s.t < boundAt + 3.5 * H);
    const rebind = after.filter((s) => s.t >= boundAt + 3.5 * H && s.t < boundAt + 4 * H);
    // RENEWING: unicast to the server, ciaddr set, no 50/54.
    expect(renew[0].t).toBe(boundAt + 2 * H);
    for (const s of renew) {
      expect(s.dst).toBe(SERVER);
      expect(s.msg.messageType).toBe(dhcp.DHCPREQUEST);
      expect(s.msg.ciaddr).toBe(addr);
      expect(s.msg.requestedIp).toBe(null);
      expect(s.msg.serverId).toBe(null);
    }
    // Half of the 1.5 h left to T2 = 45 min, then 22.5 min, ... never under 60 s.
    expect(renew[1].t - renew[0].t).toBe(45 * 60_000);
    expect(renew[2].t - renew[1].t).toBe(22.5 * 60_000);
    for (let i = 1; i < renew.length; i++) expect(renew[i].t - renew[i - 1].t).toBeGreaterThanOrEqual(60_000 - 1);
    // REBINDING: broadcast from T2 on.
    expect(rebind[0].t).toBe(boundAt + 3.5 * H);
    for (const s of rebind) {
      expect(s.dst).toBe(BROADCAST);
      expect(s.msg.ciaddr).toBe(addr);
    }
    expect(rebind[1].t - rebind[0].t).toBe(15 * 60_000);
    // Expiry: lost, then a DISCOVER that asks for the old address again.
    expect(h.events).toContainEqual({ kind: 'lost', address: addr, reason: 'expired' });
    const disc = after.find((s) => s.msg.messageType === dhcp.DHCPDISCOVER)!;
    expect(disc.t).toBe(boundAt + 4 * H);
    expect(disc.msg.requestedIp).toBe(addr);
    expect(h.c.state()).toBe('SELECTING');
  });

  it('an ACK in RENEWING renews: event, same address, T1 restarts from the REQUEST time', () => {
    const h = harness();
    h.bindNow({ leaseTime: 3600 });
    const t0 = h.now;
    h.advance(t0 + 1800_000);
    expect(h.c.state()).toBe('RENEWING');
    const renewXid = h.last().msg.xid;
    expect(renewXid).not.toBe(h.sent[0].msg.xid);
    h.advance(t0 + 1800_500);
    h.answer(dhcp.DHCPACK, { leaseTime: 3600, tftp150: [SERVER] });
    expect(h.c.state()).toBe('BOUND');
    expect(h.events.filter((e) => e.kind === 'renewed').length).toBe(1);
    h.advance(t0 + 3600_000 - 1);
    expect(h.c.state()).toBe('BOUND');
    h.advance(t0 + 3600_000);
    expect(h.c.state()).toBe('RENEWING');
  });

  it('an ACK in REBINDING (from any server) keeps the address', () => {
    const h = harness();
    h.bindNow({ leaseTime: 1000 });
    const t0 = h.now;
    h.advance(t0 + 875_000);
    expect(h.c.state()).toBe('REBINDING');
    h.answer(dhcp.DHCPACK, { leaseTime: 1000, serverId: OTHER }, OTHER);
    expect(h.c.state()).toBe('BOUND');
    expect(h.c.currentLease()!.serverId).toBe(OTHER);
    expect(h.events.some((e) => e.kind === 'lost')).toBe(false);
  });

  it('a NAK in RENEWING loses the address and starts over', () => {
    const h = harness();
    h.bindNow({ leaseTime: 1000 });
    h.advance(h.now + 500_000);
    h.answer(dhcp.DHCPNAK);
    expect(h.events).toContainEqual({ kind: 'lost', address: ip('10.0.0.50'), reason: 'nak' });
    expect(h.last().msg.messageType).toBe(dhcp.DHCPDISCOVER);
  });

  it('uses options 58/59 when the server sends them', () => {
    const h = harness();
    h.bindNow({ leaseTime: 7200, t1: 600, t2: 1200 });
    const t0 = h.now;
    h.advance(t0 + 600_000);
    expect(h.c.state()).toBe('RENEWING');
    h.advance(t0 + 1200_000);
    expect(h.c.state()).toBe('REBINDING');
  });

  it('an infinite lease never renews', () => {
    const h = harness();
    h.bindNow({ leaseTime: 0xffffffff });
    expect(h.c.pollAt()).toBe(Infinity);
    h.advance(1000 * H);
    expect(h.c.state()).toBe('BOUND');
  });
});

describe('DhcpClient: INIT-REBOOT', () => {
  it('asks for the last address (50, no 54, ciaddr 0) and binds on ACK', () => {
    const h = harness();
    h.start(lastLease());
    const r = h.sent[0];
    expect(r.msg.messageType).toBe(dhcp.DHCPREQUEST);
    expect(r.msg.requestedIp).toBe(ip('10.0.0.77'));
    expect(r.msg.serverId).toBe(null);
    expect(r.msg.ciaddr).toBe(0);
    expect(r.dst).toBe(BROADCAST);
    expect(h.c.state()).toBe('REBOOTING');
    h.answer(dhcp.DHCPACK, { yiaddr: ip('10.0.0.77'), tftp150: [SERVER] });
    h.c.probeResult(ip('10.0.0.77'), false, h.now);
    h.deliver(new Uint8Array(0));
    expect(h.c.state()).toBe('BOUND');
    expect(h.events.find((e) => e.kind === 'bound')).toMatchObject({ lease: { address: ip('10.0.0.77') } });
    expect(h.sent.some((s) => s.msg.messageType === dhcp.DHCPDISCOVER)).toBe(false);
  });

  it('NAKed: nak event, then DISCOVER without the old address', () => {
    const h = harness();
    h.start(lastLease());
    h.answer(dhcp.DHCPNAK, { message: 'wrong network' });
    expect(h.events[0]).toEqual({ kind: 'nak', serverId: SERVER, message: 'wrong network' });
    expect(h.events.some((e) => e.kind === 'lost')).toBe(false);  // it was never in use
    const d = h.last();
    expect(d.msg.messageType).toBe(dhcp.DHCPDISCOVER);
    expect(d.msg.requestedIp).toBe(null);
  });

  it('no answer: 3 tries, then DISCOVER asking for the old address', () => {
    const h = harness();
    h.start(lastLease());
    h.advance(60_000);
    const reqs = h.sent.filter((s) => s.msg.messageType === dhcp.DHCPREQUEST);
    expect(reqs.length).toBe(3);
    const d = h.sent.find((s) => s.msg.messageType === dhcp.DHCPDISCOVER)!;
    expect(d.t).toBeGreaterThan(reqs[2].t);
    expect(d.msg.requestedIp).toBe(ip('10.0.0.77'));
  });

  it('restart() while REBOOTING keeps asking for the stored address: no DISCOVER behind the REQUEST', () => {
    const h = harness();
    h.start(lastLease());
    expect(h.c.state()).toBe('REBOOTING');
    h.c.restart(h.now);
    h.advance(h.now);
    expect(h.sent.some((s) => s.msg.messageType === dhcp.DHCPDISCOVER)).toBe(false);
    expect(h.last().msg.messageType).toBe(dhcp.DHCPREQUEST);
    expect(h.last().msg.requestedIp).toBe(ip('10.0.0.77'));
    expect(h.c.state()).toBe('REBOOTING');
  });

  it('restart() while bound (VLAN changed) re-runs INIT-REBOOT with the lease', () => {
    const h = harness();
    h.bindNow();
    h.c.restart(h.now);
    h.advance(h.now);
    expect(h.events).toContainEqual({ kind: 'lost', address: ip('10.0.0.50'), reason: 'changed' });
    expect(h.last().msg.messageType).toBe(dhcp.DHCPREQUEST);
    expect(h.last().msg.requestedIp).toBe(ip('10.0.0.50'));
    expect(h.c.state()).toBe('REBOOTING');
  });
});

describe('DhcpClient: conflicts and DECLINE', () => {
  it('probe finds a conflict: DECLINE (50 + 54, no PRL), event, >= 10 s wait, then a new address', () => {
    const h = harness();
    h.start();
    h.answer(dhcp.DHCPOFFER, { tftp150: [SERVER] });
    h.answer(dhcp.DHCPACK, { tftp150: [SERVER] });
    const t = h.now;
    h.c.probeResult(ip('10.0.0.50'), true, t);
    h.deliver(new Uint8Array(0));
    const dec = h.sent.find((s) => s.msg.messageType === dhcp.DHCPDECLINE)!;
    expect(dec).toBeDefined();
    expect(dec.dst).toBe(BROADCAST);
    expect(dec.msg.requestedIp).toBe(ip('10.0.0.50'));
    expect(dec.msg.serverId).toBe(SERVER);
    expect(dec.msg.ciaddr).toBe(0);
    expect(dec.msg.parameterRequestList).toBe(null);
    expect(h.events).toEqual([{ kind: 'conflict-declined', address: ip('10.0.0.50') }]);
    expect(h.c.counters.declines).toBe(1);
    h.advance(t + DECLINE_WAIT_MS - 1);
    expect(h.last()).toBe(dec);
    h.advance(t + DECLINE_WAIT_MS);
    const d = h.last();
    expect(d.msg.messageType).toBe(dhcp.DHCPDISCOVER);
    expect(d.t).toBe(t + DECLINE_WAIT_MS);
    expect(d.msg.requestedIp).toBe(null);
    h.answer(dhcp.DHCPOFFER, { yiaddr: ip('10.0.0.51'), tftp150: [SERVER] });
    h.answer(dhcp.DHCPACK, { yiaddr: ip('10.0.0.51'), tftp150: [SERVER] });
    h.c.probeResult(ip('10.0.0.51'), false, h.now);
    h.deliver(new Uint8Array(0));
    expect(h.c.currentLease()!.address).toBe(ip('10.0.0.51'));
  });

  it('a conflict reported while bound: lost, DECLINE, start over', () => {
    const h = harness();
    h.bindNow();
    h.c.conflict(ip('10.0.0.50'), h.now);
    h.advance(h.now);
    expect(h.events).toContainEqual({ kind: 'lost', address: ip('10.0.0.50'), reason: 'conflict' });
    expect(h.last().msg.messageType).toBe(dhcp.DHCPDECLINE);
    expect(h.c.state()).toBe('INIT');
  });

  it('no probe answer within the timeout counts as no conflict', () => {
    const h = harness({ probeTimeoutMs: 3000 });
    h.start();
    h.answer(dhcp.DHCPOFFER, { tftp150: [SERVER] });
    h.answer(dhcp.DHCPACK, { tftp150: [SERVER] });
    const t = h.now;
    h.advance(t + 2999);
    expect(h.c.state()).toBe('CHECKING');
    h.advance(t + 3000);
    expect(h.c.state()).toBe('BOUND');
  });

  it('stop(release) sends RELEASE unicast to the server with ciaddr', () => {
    const h = harness();
    h.bindNow();
    h.c.stop(h.now, true);
    h.advance(h.now);
    const r = h.last();
    expect(r.msg.messageType).toBe(dhcp.DHCPRELEASE);
    expect(r.dst).toBe(SERVER);
    expect(r.msg.ciaddr).toBe(ip('10.0.0.50'));
    expect(r.msg.serverId).toBe(SERVER);
    expect(h.c.state()).toBe('STOPPED');
    expect(h.c.pollAt()).toBe(Infinity);
  });
});
