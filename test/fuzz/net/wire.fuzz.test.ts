// Every codec in firmware/net/wire under the shared property (test/fuzz/property.ts):
// parse never throws on arbitrary bytes or on mutations of real frames, a failure is one of
// the codec's typed errors, a success round-trips, and generated reprs emit and parse back.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import * as ethernet from '../../../firmware/net/wire/ethernet';
import * as vlan from '../../../firmware/net/wire/vlan';
import * as arp from '../../../firmware/net/wire/arp';
import * as ipv4 from '../../../firmware/net/wire/ipv4';
import * as icmp from '../../../firmware/net/wire/icmp';
import * as udp from '../../../firmware/net/wire/udp';
import * as tcp from '../../../firmware/net/wire/tcp';
import * as dns from '../../../firmware/net/wire/dns';
import { sum16, fold, internetChecksum } from '../../../lib/checksum';
import { fixtureFrames, haveFixtures } from '../../fixtures';
import { fuzzCodec, emitter, assertSeeded, fuzzRuns, mutated, hexOf, type Codec } from '../property';

const FIXTURES = ['nDPI__sccp_hw_conf_register.pcapng', 'generated__dhcp_phone_opt150_synthetic.pcap',
  'generated__cdp_power_negotiation_synthetic.pcap', 'generated__lldp_med_phone_switch_synthetic.pcap',
  'generated__sccp_register_synthetic.pcap'];
const CORPUS: Uint8Array[] = [];
if (haveFixtures) for (const f of FIXTURES) for (const fr of fixtureFrames(f)) CORPUS.push(fr);

const SRC_IP = 0x0a000001;
const DST_IP = 0x0a000002;

function frameOf(ethertype: number, payload: Uint8Array): Uint8Array {
  const repr = { dst: new Uint8Array([2, 0, 0, 0, 0, 2]), src: new Uint8Array([2, 0, 0, 0, 0, 1]), ethertype, tag: null, payload };
  return emitter(ethernet.bufferLen, ethernet.emit)(repr);
}

function ipPacket(protocol: number, payload: Uint8Array): Uint8Array {
  return emitter(ipv4.bufferLen, ipv4.emit)({ src: SRC_IP, dst: DST_IP, protocol, ttl: 64, tos: 0, ident: 1,
    dontFragment: true, moreFragments: false, fragmentOffset: 0, payload });
}

// Built inputs for what the captures lack (ARP, ICMP, DNS), so mutations reach every parser.
const ARP_REQUEST = emitter(arp.bufferLen, arp.emit)({ op: 1, senderMac: new Uint8Array([0, 0x1e, 0x4a, 1, 2, 3]),
  senderIp: 0x0a00000a, targetMac: new Uint8Array(6), targetIp: 0x0a000001 });
const ECHO = emitter(icmp.bufferLen, icmp.emit)({ type: 8, code: 0, ident: 0x1234, seq: 7, rest: 0x12340007,
  payload: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) });
const DNS_RESPONSE = emitter(dns.bufferLen, dns.emit)({ id: 7, flags: dns.FLAG_QR | dns.FLAG_RD | dns.FLAG_RA,
  questions: [{ name: 'cucm.lab.example', type: 1, klass: 1 }], answers: [
    { name: 'cucm.lab.example', type: dns.TYPE_CNAME, klass: 1, ttl: 30, address: 0, target: 'a.lab.example', data: new Uint8Array(0) },
    { name: 'a.lab.example', type: 1, klass: 1, ttl: 30, address: 0x0a000001, target: '', data: new Uint8Array(0) },
    { name: 'a.lab.example', type: 16, klass: 1, ttl: 30, address: 0, target: '', data: new Uint8Array([3, 0x61, 0x62, 0x63]) }],
  answerCount: 3, authorityCount: 0, additionalCount: 0 });
const DNS_QUERY = emitter(dns.bufferLen, dns.emit)(dns.query(0xbeef, 'tftp.lab.example', dns.TYPE_A));
CORPUS.push(frameOf(ethernet.ETHERTYPE_ARP, ARP_REQUEST));
// A voice-VLAN frame (the captures are untagged), so the 802.1Q branch meets its bounds.
CORPUS.push(emitter(ethernet.bufferLen, ethernet.emit)({ dst: new Uint8Array([2, 0, 0, 0, 0, 2]), src: new Uint8Array([2, 0, 0, 0, 0, 1]),
  ethertype: ethernet.ETHERTYPE_ARP, tag: { pcp: 5, dei: 0, vid: 110 }, payload: ARP_REQUEST }));
CORPUS.push(frameOf(ethernet.ETHERTYPE_IPV4, ipPacket(1, ECHO)));

/** The layers of the corpus frames, as seeds for each codec. */
const IP_SEEDS: Uint8Array[] = [];
const TCP_SEEDS: Uint8Array[] = [];
const UDP_SEEDS: Uint8Array[] = [];
const ARP_SEEDS: Uint8Array[] = [ARP_REQUEST];
const ICMP_SEEDS: Uint8Array[] = [ECHO];
for (const f of CORPUS) {
  const e = ethernet.parse(f);
  if (!e.ok) continue;
  if (e.value.ethertype === ethernet.ETHERTYPE_ARP) ARP_SEEDS.push(e.value.payload.slice());
  if (e.value.ethertype !== ethernet.ETHERTYPE_IPV4) continue;
  const ip = ipv4.parse(e.value.payload);
  if (!ip.ok) continue;
  IP_SEEDS.push(e.value.payload.slice());
  const l4 = ip.value.payload.slice();
  // Checksums recomputed for SRC_IP/DST_IP, the addresses the codecs are fuzzed with.
  if (ip.value.protocol === ipv4.PROTO_TCP) { repairTcp(l4); TCP_SEEDS.push(l4); }
  if (ip.value.protocol === ipv4.PROTO_UDP) { repairUdp(l4); UDP_SEEDS.push(l4); }
  if (ip.value.protocol === ipv4.PROTO_ICMP) ICMP_SEEDS.push(l4);
}
const udpDns = emitter(udp.bufferLen, (r: udp.Repr, b, o) => udp.emit(r, b, o, SRC_IP, DST_IP));
UDP_SEEDS.push(udpDns({ srcPort: 53, dstPort: 40000, payload: DNS_RESPONSE }));
UDP_SEEDS.push(udpDns({ srcPort: 40000, dstPort: 53, payload: DNS_QUERY }));
IP_SEEDS.push(ipPacket(17, UDP_SEEDS[UDP_SEEDS.length - 1]));
const DNS_SEEDS = [DNS_RESPONSE, DNS_QUERY];

function repairIpv4(b: Uint8Array): void {
  if (b.length < 20) return;
  const ihl = (b[0] & 15) * 4;
  if (ihl < 20 || ihl > b.length) return;
  b[10] = 0;
  b[11] = 0;
  const c = internetChecksum(b, 0, ihl);
  b[10] = c >> 8;
  b[11] = c & 255;
}

function repairIcmp(b: Uint8Array): void {
  if (b.length < 8) return;
  b[2] = 0;
  b[3] = 0;
  const c = internetChecksum(b, 0, b.length);
  b[2] = c >> 8;
  b[3] = c & 255;
}

function repairTcp(b: Uint8Array): void {
  if (b.length < 20) return;
  b[16] = 0;
  b[17] = 0;
  const c = fold(sum16(b, 0, b.length, ipv4.pseudoHeaderSum(SRC_IP, DST_IP, ipv4.PROTO_TCP, b.length)));
  b[16] = c >> 8;
  b[17] = c & 255;
}

function repairUdp(b: Uint8Array): void {
  if (b.length < 8) return;
  b[6] = 0;
  b[7] = 0;
  const len = Math.min(b.length, (b[4] << 8) | b[5]);
  const c = fold(sum16(b, 0, len, ipv4.pseudoHeaderSum(SRC_IP, DST_IP, ipv4.PROTO_UDP, len)));
  b[6] = c >> 8;
  b[7] = c & 255;
}

const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const payload = fc.uint8Array({ maxLength: 300 });

const ethernetCodec: Codec<ethernet.Repr> = {
  name: 'ethernet', parse: ethernet.parse, errors: ['truncated'],
  emit: emitter(ethernet.bufferLen, ethernet.emit),
  exact: true, // one tag at most is read, and the rest stays in the payload
  seeds: CORPUS,
  reprs: fc.record({
    dst: mac, src: mac, ethertype: u16.filter((t) => t !== ethernet.ETHERTYPE_VLAN),
    tag: fc.option(fc.record({ pcp: fc.nat(7), dei: fc.nat(1), vid: fc.nat(4095) })), payload,
  }),
};

const vlanCodec: Codec<vlan.Repr> = {
  name: 'vlan', parse: vlan.parse, errors: ['truncated', 'malformed'], maxLength: 8,
  emit: emitter(() => vlan.bufferLen(), vlan.emit),
  seeds: [new Uint8Array([0x81, 0x00, 0xa0, 0x6e])],
  reprs: fc.record({ pcp: fc.nat(7), dei: fc.nat(1), vid: fc.nat(4095) }),
};

const arpCodec: Codec<arp.Repr> = {
  name: 'arp', parse: arp.parse, errors: ['truncated', 'unsupported'], maxLength: 64,
  emit: emitter(() => arp.bufferLen(), arp.emit),
  seeds: ARP_SEEDS,
  reprs: fc.record({ op: fc.constantFrom(1, 2), senderMac: mac, senderIp: u32, targetMac: mac, targetIp: u32 }),
};

const ipv4Codec: Codec<ipv4.Repr> = {
  name: 'ipv4', parse: ipv4.parse, errors: ['truncated', 'unsupported', 'malformed', 'checksum'],
  emit: emitter(ipv4.bufferLen, ipv4.emit),
  seeds: IP_SEEDS, repair: repairIpv4,
  // Without a valid checksum nothing gets past the header: half the arbitrary inputs get one.
  inputs: fc.tuple(fc.uint8Array({ minLength: 20, maxLength: 200 }), fc.boolean()).map(([b, fix]) => {
    if (fix) repairIpv4(b);
    return b;
  }),
  reprs: fc.record({ src: u32, dst: u32, protocol: fc.nat(255), ttl: fc.nat(255), tos: fc.nat(255), ident: u16,
    dontFragment: fc.boolean(), moreFragments: fc.boolean(), fragmentOffset: fc.nat(0x1fff).map((x) => x * 8), payload }),
};

const icmpCodec: Codec<icmp.Repr> = {
  name: 'icmp', parse: icmp.parse, errors: ['truncated', 'checksum'],
  emit: emitter(icmp.bufferLen, icmp.emit),
  exact: true, // every header byte is in the repr
  seeds: ICMP_SEEDS, repair: repairIcmp,
  reprs: fc.record({ type: fc.nat(255), code: fc.nat(255), rest: u32, payload }).map((r) => ({
    ...r, ident: r.rest >>> 16, seq: r.rest & 0xffff })),
};

const udpCodec: Codec<udp.Repr> = {
  name: 'udp', parse: (b) => udp.parse(b, SRC_IP, DST_IP), errors: ['truncated', 'malformed', 'checksum'],
  emit: udpDns, seeds: UDP_SEEDS, repair: repairUdp,
  reprs: fc.record({ srcPort: u16, dstPort: u16, payload }),
};

const tcpCodec: Codec<tcp.Repr> = {
  name: 'tcp', parse: (b) => tcp.parse(b, SRC_IP, DST_IP), errors: ['truncated', 'malformed', 'checksum'],
  emit: emitter(tcp.bufferLen, (r: tcp.Repr, b, o) => tcp.emit(r, b, o, SRC_IP, DST_IP)),
  seeds: TCP_SEEDS, repair: repairTcp,
  // A header with random options and a valid checksum, so the option walker is fuzzed.
  inputs: fc.tuple(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.nat(10), fc.uint8Array({ maxLength: 40 }),
    fc.uint8Array({ maxLength: 40 })).map(([h, words, opts, data]) => {
    const hl = 20 + 4 * words;
    const b = new Uint8Array(hl + data.length);
    b.set(h);
    b.set(opts.subarray(0, hl - 20), 20);
    b.set(data, hl);
    b[12] = ((hl / 4) << 4) | (h[12] & 15);
    repairTcp(b);
    return b;
  }),
  reprs: fc.record({ srcPort: u16, dstPort: u16, seq: u32, ack: u32, flags: fc.nat(255), window: u16, urgent: u16,
    mss: u16, windowScale: fc.integer({ min: -1, max: 14 }), payload }),
};

/** What a DNS round trip keeps: counts and the authority/additional sections are not re-emitted,
 *  an answer named like the first question is compressed to it (case folds to the question's),
 *  and name RDATA is re-emitted uncompressed (its raw bytes may differ). */
function dnsSame(m: dns.Repr): unknown {
  return {
    id: m.id, flags: m.flags, questions: m.questions,
    answers: m.answers.map((a) => {
      const named = a.type === dns.TYPE_CNAME || a.type === dns.TYPE_NS || a.type === dns.TYPE_PTR;
      const isA = a.type === dns.TYPE_A && a.klass === dns.CLASS_IN;
      return [a.name.toLowerCase(), a.type, a.klass, a.ttl, a.address, a.target, named || isA ? '' : hexOf(a.data, 1 << 16)];
    }),
  };
}

const label = fc.stringMatching(/^[a-zA-Z0-9-]{1,20}$/);
const dnsName = fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => l.join('.'));
const dnsRecord = fc.record({ name: dnsName, type: fc.constantFrom(1, 2, 5, 12, 16, 28), klass: fc.constantFrom(1, 3),
  ttl: fc.nat(0x7fffffff), address: u32, target: dnsName, data: fc.uint8Array({ maxLength: 20 }) }).map((r) => {
  const isA = r.type === 1 && r.klass === 1;
  const named = r.type === 2 || r.type === 5 || r.type === 12;
  return { ...r, address: isA ? r.address : 0, target: named ? r.target : '',
    data: isA ? new Uint8Array([r.address >>> 24, (r.address >>> 16) & 255, (r.address >>> 8) & 255, r.address & 255]) : r.data };
});

const dnsCodec: Codec<dns.Repr> = {
  name: 'dns', parse: dns.parse, errors: ['truncated', 'malformed', 'too-large', 'unsupported'],
  emit: emitter(dns.bufferLen, dns.emit), same: dnsSame, maxLength: 600,
  seeds: DNS_SEEDS,
  reprs: fc.record({ id: u16, flags: u16, questions: fc.array(fc.record({ name: dnsName, type: u16, klass: u16 }), { maxLength: dns.MAX_QUESTIONS }),
    answers: fc.array(dnsRecord, { maxLength: 6 }) }).map((m) => ({ ...m, answerCount: m.answers.length, authorityCount: 0, additionalCount: 0 })),
};

fuzzCodec(ethernetCodec, 0x5e00);
fuzzCodec(vlanCodec, 0x5e10);
fuzzCodec(arpCodec, 0x5e20);
fuzzCodec(ipv4Codec, 0x5e30);
fuzzCodec(icmpCodec, 0x5e40);
fuzzCodec(udpCodec, 0x5e50);
fuzzCodec(tcpCodec, 0x5e60);
fuzzCodec(dnsCodec, 0x5e70);

/** Walks every layer the interface would; returns how far it got. */
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
    const d = dns.parse(u.value.payload); // every UDP payload goes through the DNS parser too
    return u.value.srcPort === 53 || u.value.dstPort === 53 ? 'dns:' + (d.ok ? 'ok' : 'err') : 'udp:ok';
  }
  return 'ip-other';
}

describe('wire fuzz: whole frames through every layer', () => {
  it(`decode never throws on mutated frames; the clean ones decode fully (seed 0x5e80, ${fuzzRuns()} runs)`, () => {
    // The SCCP synthetic capture has zero TCP checksums: not clean.
    const clean = CORPUS.filter((f) => decode(f) !== 'tcp:err');
    expect(clean.length).toBeGreaterThan(CORPUS.length / 2);
    for (const f of clean) expect(decode(f)).not.toMatch(/err|:(truncated|malformed|checksum)/);
    return assertSeeded('wire decode', fc.property(mutated(CORPUS, 1600), (f) => {
      expect(typeof decode(f)).toBe('string');
    }), 0x5e80);
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
