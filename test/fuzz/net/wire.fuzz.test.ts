// Property tests for every codec in firmware/net/wire: parse never throws on random or
// mutated real frames, and what parses re-emits to something that parses to the same repr.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import * as ethernet from '../../../firmware/net/wire/ethernet';
import * as arp from '../../../firmware/net/wire/arp';
import * as ipv4 from '../../../firmware/net/wire/ipv4';
import * as icmp from '../../../firmware/net/wire/icmp';
import * as udp from '../../../firmware/net/wire/udp';
import * as tcp from '../../../firmware/net/wire/tcp';
import * as dns from '../../../firmware/net/wire/dns';
import { fixtureFrames } from '../../fixtures';

const SEED = 0x5eed;
const CORPUS: Uint8Array[] = [];
/** Frames whose checksums are all valid (the synthetic SCCP capture has zero TCP checksums). */
const CLEAN: Uint8Array[] = [];
for (const f of ['nDPI__sccp_hw_conf_register.pcapng', 'generated__dhcp_phone_opt150_synthetic.pcap',
  'generated__cdp_power_negotiation_synthetic.pcap', 'generated__lldp_med_phone_switch_synthetic.pcap',
  'generated__sccp_register_synthetic.pcap']) {
  for (const fr of fixtureFrames(f)) {
    CORPUS.push(fr);
    if (!f.startsWith('generated__sccp')) CLEAN.push(fr);
  }
}
// A DNS response over UDP, built here (no DNS in the fixtures), so mutations reach dns.parse.
{
  const m: dns.Repr = { id: 7, flags: dns.FLAG_QR | dns.FLAG_RD | dns.FLAG_RA,
    questions: [{ name: 'cucm.lab.example', type: 1, klass: 1 }], answers: [
      { name: 'cucm.lab.example', type: dns.TYPE_CNAME, klass: 1, ttl: 30, address: 0, target: 'a.lab.example', data: new Uint8Array(0) },
      { name: 'a.lab.example', type: 1, klass: 1, ttl: 30, address: 0x0a000001, target: '', data: new Uint8Array(0) }],
    answerCount: 2, authorityCount: 0, additionalCount: 0 };
  const d = new Uint8Array(dns.bufferLen(m));
  dns.emit(m, d, 0);
  const frame = new Uint8Array(14 + 20 + 8 + d.length);
  ethernet.emitHeader({ dst: new Uint8Array(6), src: new Uint8Array(6), ethertype: 0x0800, tag: null }, frame, 0);
  frame.set(d, 42);
  udp.emitHeaderInPlace(53, 40000, d.length, frame, 34, 0x0a000001, 0x0a000002);
  ipv4.emitHeader({ src: 0x0a000001, dst: 0x0a000002, protocol: 17, ttl: 64, tos: 0, ident: 1, dontFragment: true,
    moreFragments: false, fragmentOffset: 0 }, 8 + d.length, frame, 14);
  CORPUS.push(frame);
  CLEAN.push(frame);
}

/** Walks every layer the interface would; returns how far it got (never throws). */
function decode(frame: Uint8Array): string {
  const e = ethernet.parse(frame);
  if (!e.ok) return 'eth:' + e.error;
  if (e.value.ethertype === ethernet.ETHERTYPE_ARP) return 'arp:' + (arp.parse(e.value.payload).ok ? 'ok' : 'err');
  if (e.value.ethertype !== ethernet.ETHERTYPE_IPV4) return 'other';
  const ip = ipv4.parse(e.value.payload);
  if (!ip.ok) return 'ip:' + ip.error;
  const p = ip.value;
  if (p.protocol === ipv4.PROTO_ICMP) return 'icmp:' + (icmp.parse(p.payload).ok ? 'ok' : 'err');
  if (p.protocol === ipv4.PROTO_TCP) return 'tcp:' + (tcp.parse(p.payload, p.src, p.dst).ok ? 'ok' : 'err');
  if (p.protocol === ipv4.PROTO_UDP) {
    const u = udp.parse(p.payload, p.src, p.dst);
    if (!u.ok) return 'udp:' + u.error;
    if (u.value.srcPort !== 53 && u.value.dstPort !== 53) {
      dns.parse(u.value.payload); // thrown at the DNS parser anyway: it must not throw either
      return 'udp:ok';
    }
    return 'dns:' + (dns.parse(u.value.payload).ok ? 'ok' : 'err');
  }
  return 'ip-other';
}

/** A real frame with a few bytes overwritten, inserted or cut (checksums mostly fail, so also
 *  mutate with the IP/TCP/UDP checksum checks out of the way: see `mutateDeep`). */
const mutated = fc.record({
  i: fc.nat(CORPUS.length - 1),
  edits: fc.array(fc.tuple(fc.nat(600), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
  cut: fc.nat(600),
}).map((m) => {
  const src = CORPUS[m.i];
  const f = src.slice(0, Math.max(1, Math.min(src.length, m.cut === 0 ? src.length : m.cut)));
  for (const [at, v] of m.edits) if (at < f.length) f[at] = v;
  return f;
});

describe('wire fuzz: no throw on random bytes', () => {
  const parsers: Array<[string, (b: Uint8Array) => unknown]> = [
    ['ethernet', (b) => ethernet.parse(b)],
    ['arp', (b) => arp.parse(b)],
    ['ipv4', (b) => ipv4.parse(b)],
    ['icmp', (b) => icmp.parse(b)],
    ['udp', (b) => udp.parse(b, 1, 2)],
    ['tcp', (b) => tcp.parse(b, 1, 2)],
    ['dns', (b) => dns.parse(b)],
  ];
  for (const [name, parse] of parsers) {
    it(name, () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 1600 }), (b) => {
        const r = parse(b) as { ok: boolean };
        expect(typeof r.ok).toBe('boolean');
      }), { seed: SEED, numRuns: 3000 });
    });
  }
});

describe('wire fuzz: mutated real frames', () => {
  it('decode never throws; unmutated frames decode fully', () => {
    for (const f of CLEAN) expect(decode(f)).not.toMatch(/err|:(truncated|malformed|checksum)/);
    fc.assert(fc.property(mutated, (f) => {
      expect(typeof decode(f)).toBe('string');
    }), { seed: SEED, numRuns: 5000 });
  });

  it('TCP and UDP headers with valid checksums: options and lengths are fuzzed past the checksum gate', () => {
    // Mutate the TCP header of real segments and then fix the checksum, so the option
    // walker and length checks see the mutations instead of a checksum error.
    const segs: Array<{ seg: Uint8Array; src: number; dst: number; proto: number }> = [];
    for (const f of CORPUS) {
      const e = ethernet.parse(f);
      if (!e.ok) continue;
      const ip = ipv4.parse(e.value.payload);
      if (!ip.ok || (ip.value.protocol !== 6 && ip.value.protocol !== 17)) continue;
      segs.push({ seg: ip.value.payload.slice(), src: ip.value.src, dst: ip.value.dst, proto: ip.value.protocol });
    }
    let parsed = 0;
    fc.assert(fc.property(fc.nat(segs.length - 1), fc.array(fc.tuple(fc.nat(60), fc.nat(255)), { maxLength: 6 }), (i, edits) => {
      const s = segs[i];
      const b = s.seg.slice();
      for (const [at, v] of edits) if (at < b.length) b[at] = v;
      const ck = s.proto === 6 ? 16 : 6;
      if (b.length < ck + 2) return;
      b[ck] = 0;
      b[ck + 1] = 0;
      // UDP's checksum covers its length field's worth of bytes, TCP's the whole segment.
      const L = s.proto === 17 ? Math.min(b.length, (b[4] << 8) | b[5]) : b.length;
      let sum = ipv4.pseudoHeaderSum(s.src, s.dst, s.proto, L);
      for (let k = 0; k + 1 < L; k += 2) sum += (b[k] << 8) | b[k + 1];
      if (L & 1) sum += b[L - 1] << 8;
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      const c = ~sum & 0xffff;
      b[ck] = c >> 8;
      b[ck + 1] = c & 255;
      const r = s.proto === 6 ? tcp.parse(b, s.src, s.dst) : udp.parse(b, s.src, s.dst);
      if (r.ok) parsed++;
      else expect(r.error).not.toBe('checksum');
    }), { seed: SEED, numRuns: 3000 });
    expect(parsed).toBeGreaterThan(100);
  });
});

describe('wire fuzz: round trips', () => {
  const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const u16 = fc.integer({ min: 0, max: 0xffff });

  it('ethernet (tagged and untagged)', () => {
    fc.assert(fc.property(mac, mac, fc.integer({ min: 0x0600, max: 0xffff }).filter((t) => t !== 0x8100),
      fc.option(fc.record({ pcp: fc.nat(7), dei: fc.nat(1), vid: fc.nat(4095) })), fc.uint8Array({ maxLength: 100 }),
      (dst, src, ethertype, tag, payload) => {
        const repr = { dst, src, ethertype, tag, payload };
        const buf = new Uint8Array(ethernet.bufferLen(repr)).fill(0xa5);
        ethernet.emit(repr, buf, 0);
        const r = ethernet.parse(buf);
        expect(r.ok && r.value).toEqual(repr);
      }), { seed: SEED, numRuns: 500 });
  });

  it('arp', () => {
    fc.assert(fc.property(fc.constantFrom(1, 2), mac, u32, mac, u32, (op, sm, si, tm, ti) => {
      const repr = { op, senderMac: sm, senderIp: si, targetMac: tm, targetIp: ti };
      const buf = new Uint8Array(28).fill(0xa5);
      arp.emit(repr, buf, 0);
      const r = arp.parse(buf);
      expect(r.ok && r.value).toEqual(repr);
    }), { seed: SEED, numRuns: 500 });
  });

  it('ipv4 + udp + tcp + icmp', () => {
    fc.assert(fc.property(u32, u32, u16, u16, u32, u32, fc.nat(255), u16, fc.integer({ min: -1, max: 14 }),
      fc.uint8Array({ maxLength: 300 }), (src, dst, sp, dp, seq, ack, flags, win, ws, payload) => {
        const t = { srcPort: sp, dstPort: dp, seq, ack, flags, window: win, urgent: 0, mss: win & 1 ? 1460 : 0,
          windowScale: ws, payload };
        const buf = new Uint8Array(20 + tcp.bufferLen(t)).fill(0xa5);
        const n = tcp.emit(t, buf, 20, src, dst);
        ipv4.emitHeader({ src, dst, protocol: 6, ttl: 64, tos: 0, ident: sp, dontFragment: true, moreFragments: false,
          fragmentOffset: 0 }, n, buf, 0);
        const ip = ipv4.parse(buf);
        if (!ip.ok) throw new Error(ip.detail);
        expect(ip.value.src).toBe(src);
        const r = tcp.parse(ip.value.payload, src, dst);
        expect(r.ok && r.value).toEqual(t);

        const u = { srcPort: sp, dstPort: dp, payload };
        const ub = new Uint8Array(udp.bufferLen(u)).fill(0xa5);
        udp.emit(u, ub, 0, src, dst);
        const ur = udp.parse(ub, src, dst);
        expect(ur.ok && ur.value).toEqual(u);

        const ic = { type: flags & 1 ? 8 : 0, code: 0, ident: sp, seq: dp, rest: ((sp << 16) | dp) >>> 0, payload };
        const ib = new Uint8Array(icmp.bufferLen(ic)).fill(0xa5);
        icmp.emit(ic, ib, 0);
        const ir = icmp.parse(ib);
        expect(ir.ok && ir.value).toEqual(ic);
      }), { seed: SEED, numRuns: 500 });
  });

  it('dns: parse -> emit -> parse keeps questions and answers', () => {
    const label = fc.stringMatching(/^[a-z0-9-]{1,20}$/);
    const name = fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => l.join('.'));
    const rec = fc.record({ name, type: fc.constantFrom(1, 5, 16), klass: fc.constant(1), ttl: fc.nat(0x7fffffff),
      address: u32, target: name, data: fc.uint8Array({ maxLength: 20 }) }).map((r) => ({
      ...r, address: r.type === 1 ? r.address : 0, target: r.type === 5 ? r.target : '',
    }));
    fc.assert(fc.property(u16, u16, fc.array(fc.record({ name, type: u16, klass: u16 }), { maxLength: 4 }),
      fc.array(rec, { maxLength: 6 }), (id, flags, questions, answers) => {
        const m: dns.Repr = { id, flags, questions, answers, answerCount: answers.length, authorityCount: 0, additionalCount: 0 };
        const buf = new Uint8Array(dns.bufferLen(m)).fill(0xa5);
        expect(dns.emit(m, buf, 0)).toBe(buf.length);
        const r = dns.parse(buf);
        if (!r.ok) throw new Error(r.detail);
        expect(r.value.questions).toEqual(questions);
        const strip = (a: dns.Record) => [a.name.toLowerCase(), a.type, a.ttl, a.address, a.target,
          a.type === 1 || a.type === 5 ? '' : Array.from(a.data).join(',')];
        expect(r.value.answers.map(strip)).toEqual(answers.map(strip));
        // And once more from the parsed repr: the wire bytes are a fixed point.
        const buf2 = new Uint8Array(dns.bufferLen(r.value));
        dns.emit(r.value, buf2, 0);
        expect(buf2).toEqual(buf);
      }), { seed: SEED, numRuns: 500 });
  });
});

describe('wire fuzz: bounded work on hostile DNS', () => {
  it('pointer chains stop at MAX_POINTER_JUMPS', () => {
    // One question whose name is a pointer into a chain of 200 pointers, each pointing at
    // the one before, ending at a root label: valid-looking, but 200 jumps deep.
    const n = 200;
    const chain = 18;
    const b = new Uint8Array(chain + 2 * n + 1);
    b[5] = 1; // QDCOUNT 1
    const last = chain + 2 * (n - 1);
    b[12] = 0xc0 | (last >> 8);
    b[13] = last & 255;
    b[15] = 1; // type A
    b[17] = 1; // class IN
    for (let i = 0; i < n; i++) {
      const at = chain + 2 * i;
      const to = i === 0 ? chain + 2 * n : at - 2; // slot 0 -> the root byte at the end
      b[at] = 0xc0 | (to >> 8);
      b[at + 1] = to & 255;
    }
    // With MAX_POINTER_JUMPS + 1 slots it fails; a chain of MAX_POINTER_JUMPS - 1 parses.
    const r = dns.parse(b);
    expect(r.ok ? '' : r.error).toBe('malformed');
    const shortChain = b.slice();
    const okStart = chain + 2 * (dns.MAX_POINTER_JUMPS - 2);
    shortChain[12] = 0xc0 | (okStart >> 8);
    shortChain[13] = okStart & 255;
    const r2 = dns.parse(shortChain);
    expect(r2.ok && r2.value.questions[0].name).toBe('');
  });
});
