// DNS resolution against a tiny responder built on the other stack with the same codec,
// and RFC 5227 probing / conflict detection.
import { describe, it, expect } from 'vitest';
import { Scheduler } from '../../../hal/sim/scheduler';
import { connectNics } from '../../../hal/sim/ether';
import { SimSwitch } from '../../../hal/sim/switch';
import * as dns from '../../../firmware/net/wire/dns';
import type { UdpSocket } from '../../../firmware/net/udp';
import { makeHost, ip, type Host } from './harness';

const MASK = ip('255.255.255.0');

/** A DNS server on `host`: answers A queries from `zone` (name -> [ip, ttl]); CNAMEs too. */
function responder(host: Host, zone: Record<string, [number, number]>, cnames: Record<string, string> = {}) {
  const stats = { queries: 0, drop: 0 };
  const sock: UdpSocket = host.net.udpOpen(53, (data, src, sport) => {
    stats.queries++;
    if (stats.drop > 0) {
      stats.drop--;
      return;
    }
    const r = dns.parse(data);
    if (!r.ok || r.value.questions.length !== 1) return;
    const q = r.value.questions[0];
    const reply: dns.Repr = { id: r.value.id, flags: dns.FLAG_QR | dns.FLAG_RD | dns.FLAG_RA, questions: [q], answers: [],
      answerCount: 0, authorityCount: 0, additionalCount: 0 };
    let name = q.name.toLowerCase();
    if (cnames[name]) {
      reply.answers.push({ name: q.name, type: dns.TYPE_CNAME, klass: 1, ttl: 300, address: 0, target: cnames[name],
        data: new Uint8Array(0) });
      name = cnames[name];
    }
    const a = zone[name];
    if (a) reply.answers.push({ name, type: dns.TYPE_A, klass: 1, ttl: a[1], address: a[0], target: '', data: new Uint8Array(0) });
    else if (reply.answers.length === 0) reply.flags |= dns.RCODE_NXDOMAIN;
    const out = new Uint8Array(dns.bufferLen(reply));
    dns.emit(reply, out, 0);
    sock.sendTo(src, sport, out);
  })!;
  return stats;
}

function pair(seed: number) {
  const sched = new Scheduler(seed);
  const a = makeHost(sched, 0xa, { dnsTimeoutMs: 1000 });
  const b = makeHost(sched, 0xb);
  connectNics(sched, a.nic, b.nic);
  a.net.setAddress(ip('10.0.0.10'), MASK, 0);
  b.net.setAddress(ip('10.0.0.53'), MASK, 0);
  return { sched, a, b };
}

describe('DNS stub resolver', () => {
  it('resolves through the responder, follows a CNAME, caches by TTL', () => {
    const { sched, a, b } = pair(21);
    const stats = responder(b, { 'cucm1.lab.example': [ip('10.0.0.5'), 60] }, { 'tftp.lab.example': 'cucm1.lab.example' });
    a.net.setDnsServers([ip('10.0.0.53')], 'lab.example');
    const got: Array<[number | null, string | undefined]> = [];
    a.net.dns.resolve('tftp', (addr, err) => got.push([addr, err])); // search domain appended
    sched.runFor(100);
    expect(got).toEqual([[ip('10.0.0.5'), undefined]]);
    expect(stats.queries).toBe(1);
    // Cached: no second query within the TTL (300 s for the CNAME is ignored; the A's 60 s counts).
    a.net.dns.resolve('tftp.lab.example.', (addr) => got.push([addr, 'cached']));
    sched.runFor(100);
    expect(got[1]).toEqual([ip('10.0.0.5'), 'cached']);
    expect(stats.queries).toBe(1);
    expect(a.net.counters.dnsCacheHits).toBe(1);
    // After the TTL, asked again.
    sched.runFor(60_000);
    a.net.dns.resolve('tftp.lab.example', (addr) => got.push([addr, 'again']));
    sched.runFor(100);
    expect(stats.queries).toBe(2);
    expect(got[2]).toEqual([ip('10.0.0.5'), 'again']);
  });

  it('NXDOMAIN fails at once; literals need no server', () => {
    const { sched, a, b } = pair(22);
    const stats = responder(b, {});
    a.net.setDnsServers([ip('10.0.0.53')]);
    const got: Array<[number | null, string | undefined]> = [];
    a.net.dns.resolve('nope.example', (addr, err) => got.push([addr, err]));
    a.net.dns.resolve('192.0.2.7', (addr, err) => got.push([addr, err]));
    sched.runFor(100);
    expect(got).toContainEqual([null, 'nxdomain']);
    expect(got).toContainEqual([ip('192.0.2.7'), undefined]);
    expect(stats.queries).toBe(1);
  });

  it('retries a lost query with backoff, moving to the next server', () => {
    const { sched, a, b } = pair(23);
    const stats = responder(b, { 'x.example': [ip('10.0.0.9'), 10] });
    stats.drop = 1; // the responder ignores the first query
    a.net.setDnsServers([ip('10.0.0.53'), ip('10.0.0.54')]);
    let at = -1;
    let res: number | null = null;
    a.net.dns.resolve('x.example', (addr) => { res = addr; at = sched.now(); });
    // Query 1 to .53 (dropped), 1 s timeout; query 2 to .54 (nobody: ARP fails), 1 s;
    // query 3 back to .53 after the first round, answered.
    sched.runFor(10_000);
    expect(res).toBe(ip('10.0.0.9'));
    expect(stats.queries).toBe(2);
    expect(a.net.counters.dnsQueries).toBe(3);
    expect(at).toBeGreaterThanOrEqual(2000);
    expect(at).toBeLessThan(2100);
  });

  it('gives up after dnsAttempts with "timeout"', () => {
    const { sched, a } = pair(24);
    a.net.setDnsServers([ip('10.0.0.99')]);
    const got: Array<string | undefined> = [];
    a.net.dns.resolve('x.example', (_addr, err) => got.push(err));
    sched.runFor(120_000);
    expect(got).toEqual(['timeout']);
    expect(a.net.counters.dnsQueries).toBe(4);
  });
});

describe('RFC 5227', () => {
  it('probe finds no conflict, then announces; timing follows the RFC', () => {
    const { sched, a, b } = pair(31);
    let result: boolean | null = null;
    let at = 0;
    const start = sched.now();
    a.net.probeAddress(ip('10.0.0.77'), (c) => { result = c; at = sched.now() - start; });
    sched.runFor(20_000);
    expect(result).toBe(false);
    // PROBE_WAIT (0..1 s) + 2 gaps of 1..2 s + ANNOUNCE_WAIT 2 s: between 4 and 7 s.
    expect(at).toBeGreaterThanOrEqual(4000);
    expect(at).toBeLessThanOrEqual(7000);
    expect(a.net.counters.arpProbesSent).toBe(3);
    expect(a.net.counters.arpAnnouncementsSent).toBe(2);
    // B saw them all as ARP and learned nothing from probes (sender IP 0).
    expect(b.net.counters.rxArp).toBe(5);
    expect(b.net.arpEntries()).toEqual([]);
  });

  it('detects another host owning the address during the probe', () => {
    const { sched, a, b } = pair(32);
    b.net.setAddress(ip('10.0.0.77'), MASK, 0);
    let result: boolean | null = null;
    a.net.probeAddress(ip('10.0.0.77'), (c) => { result = c; });
    sched.runFor(20_000);
    expect(result).toBe(true);
    // B answered the probe (a request for its address) and A stopped after the first probe.
    expect(a.net.counters.arpProbesSent).toBe(1);
    expect(a.net.counters.arpAnnouncementsSent).toBe(0);
  });

  it('two hosts probing the same address at once: the later prober sees the other probe and backs off', () => {
    const { sched, a, b } = pair(33);
    b.net.setAddress(0, 0, 0);
    const results: string[] = [];
    a.net.probeAddress(ip('10.0.0.88'), (c) => results.push('a:' + c));
    b.net.probeAddress(ip('10.0.0.88'), (c) => results.push('b:' + c));
    sched.runFor(20_000);
    // RFC 5227 2.1.1: an ARP probe from another MAC for the same target is a conflict. The
    // one whose PROBE_WAIT ends later backs off; the other, hearing nothing more, takes it.
    expect(results.length).toBe(2);
    expect(results.filter((r) => r.endsWith('true')).length).toBe(1);
    expect(results.filter((r) => r.endsWith('false')).length).toBe(1);
  });

  it('an ARP from another MAC claiming our bound address fires onConflict and we defend once', () => {
    const { sched, a, b } = pair(34);
    const seen: Array<[number, string]> = [];
    a.net.onConflict((addr, mac) => seen.push([addr, Array.from(mac).join(':')]));
    // B wrongly configured with A's address announces it twice.
    b.net.announce(ip('10.0.0.10'));
    sched.runFor(100);
    b.net.announce(ip('10.0.0.10'));
    sched.runFor(100);
    expect(seen).toEqual([[ip('10.0.0.10'), '2:0:0:0:0:11'], [ip('10.0.0.10'), '2:0:0:0:0:11']]);
    expect(a.net.counters.arpConflicts).toBe(2);
    // One defending announcement per DEFEND_INTERVAL (10 s).
    expect(a.net.counters.arpAnnouncementsSent).toBe(1);
    expect(a.log.some((l) => l.includes('address conflict'))).toBe(true);
  });

  it('works through the simulated switch (hosts on access ports)', () => {
    const sched = new Scheduler(35);
    const sw = new SimSwitch(sched, { ports: 3 });
    const a = makeHost(sched, 0xa);
    const b = makeHost(sched, 0xb);
    sw.connect(0, a.nic);
    sw.connect(1, b.nic);
    b.net.setAddress(ip('10.0.0.77'), MASK, 0);
    let result: boolean | null = null;
    a.net.probeAddress(ip('10.0.0.77'), (c) => { result = c; });
    sched.runFor(20_000);
    expect(result).toBe(true);
    let free: boolean | null = null;
    a.net.probeAddress(ip('10.0.0.78'), (c) => { free = c; });
    sched.runFor(20_000);
    expect(free).toBe(false);
  });
});
