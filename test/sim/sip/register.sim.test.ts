/**
 * The phone's SIP registration against the lab registrar on the simulated wire (firmware/net
 * UDP and TCP on both sides, virtual time): digest auth (401 then 200) over UDP and TCP,
 * a wrong password shown as 'failed' and retried later without a crash, an unknown user's
 * 403, a stale nonce answered again, refresh before expiry reusing the nonce (nc 2), an
 * orderly unregister, a registrar that is down, hangs or answers 503 -> the next one, every
 * registrar down -> a round and its back-off; tshark dissects the exchange cleanly.
 */
import { describe, it, expect } from 'vitest';
import * as w from '../../../firmware/callmanager/sip/wire';
import { readCapture } from '../../../hal/sim/pcap';
import * as ethernet from '../../../firmware/net/wire/ethernet';
import * as ipv4 from '../../../firmware/net/wire/ipv4';
import * as udp from '../../../firmware/net/wire/udp';
import { haveTshark, tempCapture, tsharkFields, tsharkReport } from '../../tshark';
import { makeSipLab, PHONE_IP } from './harness';
import { labTrust } from '../../../tools/lab/trust';

/** The SIP messages carried over UDP in the capture, decoded with the codec. */
function udpSip(lab: ReturnType<typeof makeSipLab>) {
  const out: Array<{ at: number; fromPhone: boolean; m: w.SipMsg }> = [];
  for (const r of readCapture(lab.pcap.toBytes())) {
    const e = ethernet.parse(r.frame);
    if (!e.ok || e.value.ethertype !== ethernet.ETHERTYPE_IPV4) continue;
    const p = ipv4.parse(e.value.payload);
    if (!p.ok || p.value.protocol !== ipv4.PROTO_UDP) continue;
    const u = udp.parse(p.value.payload, p.value.src, p.value.dst);
    if (!u.ok || (u.value.dstPort !== 5060 && u.value.srcPort !== 5060)) continue;
    const m = w.parse(u.value.payload);
    if (!m.ok) throw new Error(`undecodable SIP in the capture: ${m.error} ${m.detail}`);
    // Each frame is on the capture twice (in at one port, out at another): keep the phone's port side.
    out.push({ at: r.timeMs, fromPhone: p.value.src === PHONE_IP, m: m.value });
  }
  const seen = new Set<string>();
  return out.filter((x) => {
    const k = `${x.at} ${x.m.status} ${x.m.cseq} ${x.fromPhone}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const line = (x: { fromPhone: boolean; m: w.SipMsg }) =>
  (x.fromPhone ? '> ' : '< ') + (x.m.status > 0 ? String(x.m.status) : x.m.method) + (x.m.auth ? ' auth' : '');

describe('SIP registration on the simulated wire', () => {
  it('UDP: 401 challenge, REGISTER with MD5 digest (qop=auth, nc 1), 200 with the granted time; the registrar holds the binding', () => {
    const lab = makeSipLab();
    lab.link.start();
    lab.sched.run(10_000, lab.has('registered'));
    expect(lab.of('registered')).toMatchObject([{ index: 0, expires: 3600, refresh: false }]);
    expect(lab.of('connect')).toMatchObject([{ index: 0, host: '10.1.100.1', port: 5060 }]);
    const b = lab.reg.bindings('1001');
    expect(b.map((x) => [x.contact, x.source, x.agent])).toEqual([['sip:1001@10.1.100.100:5060', 'UDP 10.1.100.100:5060', 'Dialtone-test']]);
    const msgs = udpSip(lab);
    expect(msgs.map(line)).toEqual(['> REGISTER', '< 401', '> REGISTER auth', '< 200']);
    const auth = msgs[2].m.auth!;
    expect(auth).toMatchObject({ username: '1001', realm: 'lab', uri: 'sip:10.1.100.1', qop: 'auth', nc: 1, proxy: false });
    expect(auth.response).toMatch(/^[0-9a-f]{32}$/);
    const reg = msgs[0].m;
    expect(reg.via[0]).toMatchObject({ transport: 'UDP', host: '10.1.100.100', port: 5060, rport: 0 });
    expect(reg.via[0].branch.startsWith('z9hG4bK')).toBe(true);
    expect(reg).toMatchObject({ maxForwards: 70, expires: 3600, cseq: 1, from: { display: 'Line 1', uri: 'sip:1001@10.1.100.1' } });
    expect(msgs[2].m.cseq).toBe(2);
    expect(msgs[2].m.callId).toBe(reg.callId);
    expect(msgs[3].m.via[0]).toMatchObject({ received: '10.1.100.100', rport: 5060 });
  });

  it('TCP: registers over one connection; the Contact carries transport=tcp and the connection\'s port', () => {
    const lab = makeSipLab({ transport: 'TCP' });
    lab.link.start();
    lab.sched.run(10_000, lab.has('registered'));
    expect(lab.of('registered')).toHaveLength(1);
    const [b] = lab.reg.bindings('1001');
    expect(b.contact).toMatch(/^sip:1001@10\.1\.100\.100:\d+;transport=tcp$/);
    expect(b.source).toBe(`TCP 10.1.100.100:${b.contact.split(':')[2].split(';')[0]}`);
    expect(lab.reg.events.map((e) => e.kind)).toEqual(['challenged', 'registered']);
  });

  it('SHA-256 first, MD5 second: the phone answers the first challenge (RFC 7616 3.7)', () => {
    const lab = makeSipLab({ registrar: { algorithms: ['SHA-256', 'MD5'] } });
    lab.link.start();
    lab.sched.run(10_000, lab.has('registered'));
    const auth = udpSip(lab)[2].m.auth!;
    expect(auth.algorithm).toBe('SHA-256');
    expect(auth.response).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a wrong password: failed(401, "wrong password") after one answered challenge, no crash, asked again after retryMs', () => {
    const lab = makeSipLab({ client: { password: 'nope' } });
    lab.link.start();
    lab.sched.run(10_000, lab.has('failed'));
    expect(lab.of('failed')).toMatchObject([{ code: 401, text: 'wrong password', index: 0 }]);
    expect(udpSip(lab).map(line)).toEqual(['> REGISTER', '< 401', '> REGISTER auth', '< 401']);
    expect(lab.client.state()).toBe('wait');
    const first = lab.of('failed')[0].at;
    lab.sched.run(first + 61_000, lab.has('failed', 2));
    expect(lab.of('failed')).toHaveLength(2);
    expect(lab.of('failed')[1].at - first).toBeGreaterThanOrEqual(60_000);
    expect(lab.of('failed')[1].at - first).toBeLessThan(60_100);
    expect(lab.reg.bindings()).toEqual([]);
    expect(lab.of('lost')).toEqual([]); // the registrar answered: no failover
  });

  it('an unknown user: failed(403, "Forbidden")', () => {
    const lab = makeSipLab({ client: { user: '1999' } });
    lab.link.start();
    lab.sched.run(10_000, lab.has('failed'));
    expect(lab.of('failed')).toMatchObject([{ code: 403, text: 'Forbidden' }]);
  });

  it('refresh at granted - 64 s from the first send, with the cached nonce (nc 2, no new challenge)', () => {
    const lab = makeSipLab({ registrar: { maxExpires: 600, nonceTtlMs: 3_600_000 } });
    lab.link.start();
    lab.sched.run(10_000, lab.has('registered'));
    expect(lab.of('registered')[0].expires).toBe(600);
    lab.sched.run(700_000, lab.has('registered', 2));
    const r = lab.of('registered');
    expect(r[1]).toMatchObject({ refresh: true, expires: 600 });
    const msgs = udpSip(lab).filter((x) => x.fromPhone);
    expect(msgs.map((x) => [x.m.cseq, x.m.auth?.nc ?? 0])).toEqual([[1, 0], [2, 1], [3, 2]]);
    // The second REGISTER (the one that got the 200) went out at about 0 s; the refresh 536 s later.
    expect(msgs[2].at - msgs[1].at).toBeGreaterThanOrEqual(536_000);
    expect(msgs[2].at - msgs[1].at).toBeLessThan(536_050);
    expect(lab.reg.events.filter((e) => e.kind === 'challenged')).toHaveLength(1);
  });

  it('a stale nonce on refresh: 401 stale=true, answered with the new nonce, still registered', () => {
    const lab = makeSipLab({ registrar: { maxExpires: 120, nonceTtlMs: 30_000 } });
    lab.link.start();
    lab.sched.run(200_000, lab.has('registered', 3));
    expect(lab.of('registered').map((e) => e.refresh)).toEqual([false, true, true]);
    expect(lab.of('failed')).toEqual([]);
    const stale = lab.reg.events.filter((e) => e.kind === 'challenged' && e.stale);
    expect(stale.length).toBe(2);
    const msgs = udpSip(lab).filter((x) => !x.fromPhone && x.m.status === 401);
    expect(msgs.map((x) => x.m.challenges[0].stale)).toEqual([false, true, true]);
  });

  it('stale=true over and over: failed(401, "stale nonce") after MAX_STALE answers', () => {
    const lab = makeSipLab({ registrar: { nonceTtlMs: 0 } });
    lab.link.start();
    lab.sched.run(10_000, lab.has('failed'));
    expect(lab.of('failed')).toMatchObject([{ code: 401, text: 'stale nonce' }]);
    expect(udpSip(lab).filter((x) => x.fromPhone)).toHaveLength(5); // none, fresh, 3 stale answers
  });

  it('orderly shutdown: REGISTER with Expires 0 removes the binding; stopped(acked)', () => {
    for (const transport of ['UDP', 'TCP'] as const) {
      const lab = makeSipLab({ transport });
      lab.link.start();
      lab.sched.run(10_000, lab.has('registered'));
      expect(lab.reg.bindings('1001')).toHaveLength(1);
      lab.link.stop();
      lab.sched.run(20_000, lab.has('stopped'));
      expect(lab.of('stopped')).toMatchObject([{ acked: true }]);
      expect(lab.reg.bindings('1001')).toEqual([]);
      expect(lab.reg.events.at(-1)).toMatchObject({ kind: 'unregistered', aor: 'sip:1001@10.1.100.1' });
      expect(lab.client.state()).toBe('done');
    }
  });

  it('UDP, first registrar hung: Timer F (32 s) -> lost(timeout) -> the second registers the phone', () => {
    const lab = makeSipLab({ registrars: 2 });
    lab.regs[0].reg.mode = 'silent';
    lab.link.start();
    lab.sched.run(60_000, lab.has('registered'));
    expect(lab.of('lost')).toMatchObject([{ index: 0, text: 'timeout' }]);
    expect(lab.of('lost')[0].at).toBeGreaterThanOrEqual(32_000);
    expect(lab.of('lost')[0].at).toBeLessThan(32_100);
    expect(lab.of('registered')).toMatchObject([{ index: 1 }]);
    expect(lab.regs[1].reg.bindings('1001')).toHaveLength(1);
    // Timer E: the first REGISTER at 0, then retransmissions at 0.5, 1.5, 3.5, 7.5, 11.5 ... s.
    const toFirst = udpSip(lab).filter((x) => x.fromPhone && x.m.uri === 'sip:10.1.100.1').map((x) => Math.round(x.at / 100) / 10);
    expect(toFirst.slice(0, 6)).toEqual([0, 0.5, 1.5, 3.5, 7.5, 11.5]);
    expect(toFirst).toHaveLength(11);
    expect(lab.client.counters.retransmits).toBe(10);
  });

  it('TCP, first registrar down (connection refused): the second at once', () => {
    const lab = makeSipLab({ registrars: 2, transport: 'TCP' });
    lab.regs[0].port.close();
    lab.link.start();
    lab.sched.run(10_000, lab.has('registered'));
    expect(lab.of('lost')).toMatchObject([{ index: 0, text: 'refused' }]);
    expect(lab.of('registered')).toMatchObject([{ index: 1 }]);
    expect(lab.of('registered')[0].at).toBeLessThan(1000);
  });

  it('503 from the first registrar -> the second; registered there, a lost refresh moves on (wrapping to the first)', () => {
    const lab = makeSipLab({ registrars: 2, registrar: { maxExpires: 120 } });
    lab.regs[0].reg.mode = 'unavailable';
    lab.link.start();
    lab.sched.run(10_000, lab.has('registered'));
    expect(lab.of('lost')).toMatchObject([{ index: 0, code: 503, text: 'Service Unavailable' }]);
    expect(lab.of('registered')).toMatchObject([{ index: 1 }]);
    lab.regs[0].reg.mode = 'up';
    lab.regs[1].reg.mode = 'silent';
    lab.sched.run(200_000, lab.has('registered', 2));
    expect(lab.of('lost')).toMatchObject([{ index: 0 }, { index: 1, text: 'timeout' }]);
    expect(lab.of('registered')[1]).toMatchObject({ index: 0, refresh: false });
    expect(lab.regs[0].reg.bindings('1001')).toHaveLength(1);
  });

  it('every registrar down: a round, then a back-off of 5 s, 10 s, ... before the first again', () => {
    const lab = makeSipLab({ registrars: 2, transport: 'TCP' });
    lab.regs[0].port.close();
    lab.regs[1].port.close();
    lab.link.start();
    lab.sched.run(60_000, lab.has('round', 3));
    const rounds = lab.of('round');
    expect(rounds.map((r) => r.retryAt - r.at)).toEqual([5000, 10_000, 30_000]);
    expect(lab.of('connect').map((c) => c.index)).toEqual([0, 1, 0, 1, 0, 1]);
    lab.regs[1].port.open();
    lab.sched.run(200_000, lab.has('registered'));
    expect(lab.of('registered')).toMatchObject([{ index: 1 }]);
  });

  it('loss, duplicates and reordering on the phone cable: still registers over UDP (retransmissions), stays registered', () => {
    const lab = makeSipLab({ faults: { loss: 0.25, duplicate: 0.1, reorder: 0.1 }, seed: 7, registrar: { maxExpires: 120 } });
    lab.link.start();
    lab.sched.run(600_000);
    expect(lab.of('registered').length).toBeGreaterThanOrEqual(9);
    expect(lab.of('lost')).toEqual([]);
    expect(lab.client.counters.retransmits).toBeGreaterThan(0);
    expect(lab.client.counters.ignored).toBeGreaterThan(0); // duplicated and late answers
    expect(lab.client.counters.malformed).toBe(0);
  });

  it('TLS: registers over the HAL TLS engine to 5061 with the pinned certificate; Contact transport=tls', () => {
    const lab = makeSipLab({ transport: 'TLS' });
    lab.link.start();
    lab.sched.run(10_000, lab.has('registered'));
    expect(lab.of('connect')).toMatchObject([{ port: 5061 }]);
    const [b] = lab.reg.bindings('1001');
    expect(b.contact).toMatch(/;transport=tls$/);
    expect(b.source).toMatch(/^TLS /);
  });

  it('TLS: a certificate that is not the pinned one is refused (lost "untrusted certificate"), never a plain retry', () => {
    const lab = makeSipLab({ transport: 'TLS', pin: labTrust().cm2.cert });
    lab.link.start();
    lab.sched.run(10_000, lab.has('round'));
    expect(lab.of('lost')).toMatchObject([{ text: 'untrusted certificate' }]);
    expect(lab.reg.events).toEqual([]);
  });

  it.skipIf(!haveTshark)('tshark dissects every SIP message (UDP and TCP) with no malformed or error-level item', () => {
    for (const transport of ['UDP', 'TCP'] as const) {
      const lab = makeSipLab({ transport, registrar: { maxExpires: 120, nonceTtlMs: 30_000 } });
      lab.link.start();
      lab.sched.run(200_000, lab.has('registered', 3));
      lab.link.stop();
      lab.sched.run(220_000, lab.has('stopped'));
      const file = tempCapture(`sip-${transport}.pcap`, lab.pcap);
      const rep = tsharkReport(file);
      expect(rep.problems).toEqual([]);
      const rows = tsharkFields(file, ['sip.Method', 'sip.Status-Code', 'sip.auth.nc', 'sip.Expires'], 'sip');
      const got = rows.map((r) => r.filter((x) => x !== '').join(' '));
      // Each message twice in the capture (two switch ports): the unique sequence is what matters.
      const uniq = got.filter((x, i) => i === 0 || x !== got[i - 1]);
      expect(uniq).toEqual(['REGISTER 3600', '401', 'REGISTER 00000001 3600', '200', 'REGISTER 00000002 3600', '401',
        'REGISTER 00000001 3600', '200', 'REGISTER 00000002 3600', '401', 'REGISTER 00000001 3600', '200', 'REGISTER 00000002 0', '200']);
    }
  });
});
