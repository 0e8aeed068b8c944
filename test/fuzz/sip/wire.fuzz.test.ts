/**
 * Property tests of the SIP codec, the stream framer and the REGISTER machine (fast-check,
 * fixed seeds; test/fuzz/property.ts): parse never throws and fails only with its typed
 * errors; a success re-emits to a message that parses to the same Repr (emit a fixed point);
 * every generated valid message (request or response, every header the codec knows) emits
 * and parses back; header blocks assembled from SIP's vocabulary with random values never
 * break it; the framer returns the same messages whatever the chunking and the CRLFs
 * between them; the machine takes any input without throwing or leaving its states.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import * as w from '../../../firmware/callmanager/sip/wire';
import { SipRegister, type SipEvent } from '../../../firmware/callmanager/sip/register';
import { HostCrypto } from '../../../hal/sim/crypto-host';
import { Prng } from '../../../hal/sim/prng';
import { fuzzCodec, emitter, assertSeeded, fuzzRuns, mutated, type Codec } from '../property';
import { fixture } from '../../unit/sip/fixtures';

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const encode = emitter(w.bufferLen, w.emit);

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const of = (set: string, min: number, max: number) => fc.string({ minLength: min, maxLength: max, unit: fc.constantFrom(...set) });
const token = of(ALNUM + "-.!%*_+`'~", 1, 12);
const word = of(ALNUM + "-.!%*_+`'~()<>:\\\"/[]?{}", 1, 16);
const uri = fc.tuple(fc.constantFrom('sip', 'sips', 'tel', 'urn'), of(ALNUM + "-_.!~*'()/?:@&=+$,%[];", 1, 24)).map(([s, r]) => `${s}:${r}`);
/** Printable text, Latin-1 bytes above 0x7f included (UTF-8 pieces). */
const text = (max: number) => fc.string({ maxLength: max, unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c)) });
const trimmed = (max: number) => text(max).map((s) => s.replace(/^[ \t]+|[ \t]+$/g, ''));
const host = fc.oneof(of(ALNUM + '-.', 1, 20), fc.ipV4(), fc.ipV6().map((a) => `[${a}]`));
const delta = fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 4294967295 }));
const port = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 65535 }));

const via: fc.Arbitrary<w.Via> = fc.record({
  transport: fc.constantFrom('UDP', 'TCP', 'TLS', 'SCTP', 'udp'), host, port, branch: fc.oneof(fc.constant(''), token),
  received: fc.oneof(fc.constant(''), fc.ipV4(), fc.ipV6()), rport: fc.oneof(fc.constant(-1), fc.constant(0), fc.integer({ min: 1, max: 65535 })),
});
const nameAddr = fc.record({ display: text(20), uri, tag: fc.oneof(fc.constant(''), token) });
const contact: fc.Arbitrary<w.Contact> = fc.oneof(
  { weight: 9, arbitrary: fc.record({ display: text(12), uri, expires: delta }) },
  { weight: 1, arbitrary: fc.constant({ display: '', uri: '*', expires: -1 }) },
);
const qop = fc.oneof(fc.constant(''), fc.array(token, { minLength: 1, maxLength: 3 }).map((q) => q.join(',')));
const challenge: fc.Arbitrary<w.Challenge> = fc.record({
  proxy: fc.boolean(), realm: text(20), nonce: text(40), opaque: text(10), algorithm: fc.oneof(fc.constant(''), token), qop, stale: fc.boolean(),
});
const credentials: fc.Arbitrary<w.Credentials> = fc.record({
  proxy: fc.boolean(), username: text(10), realm: text(10), nonce: text(30), uri: text(20), response: text(64),
  algorithm: fc.oneof(fc.constant(''), token), cnonce: text(16), opaque: text(10), qop: fc.oneof(fc.constant(''), token),
  nc: fc.integer({ min: 0, max: 0xffffffff }),
});

const sipMsg: fc.Arbitrary<w.SipMsg> = fc.record({
  request: fc.boolean(), method: token, ruri: uri, status: fc.integer({ min: 100, max: 699 }), reason: text(24),
  via: fc.array(via, { minLength: 1, maxLength: w.MAX_VIA }), from: nameAddr, to: nameAddr,
  callId: fc.tuple(word, fc.option(word)).map(([a, b]) => (b === null ? a : `${a}@${b}`)),
  cseq: fc.integer({ min: 0, max: 0x7fffffff }), cseqMethod: token,
  contacts: fc.array(contact, { maxLength: w.MAX_CONTACTS }), expires: delta, minExpires: delta,
  maxForwards: fc.integer({ min: -1, max: 255 }), challenges: fc.array(challenge, { maxLength: w.MAX_CHALLENGES }),
  auth: fc.option(credentials), agent: trimmed(30), body: fc.uint8Array({ maxLength: 40 }),
}).map((g) => {
  const m = w.newMsg();
  Object.assign(m, g);
  m.method = g.request ? g.method : '';
  m.uri = g.request ? g.ruri : '';
  m.status = g.request ? 0 : g.status;
  m.reason = g.request ? '' : g.reason;
  if (g.request) m.cseqMethod = g.method;
  delete (m as Partial<typeof g>).request;
  delete (m as Partial<typeof g>).ruri;
  return m;
}).filter((m) => w.bufferLen(m) <= w.MAX_MSG);

const FIXTURES = ['kamailio-200-open.sip', 'kamailio-401-md5.sip', 'kamailio-200-md5.sip', 'kamailio-401-sha256.sip',
  'kamailio-401-wrong-password.sip', 'kamailio-401-stale.sip', 'kamailio-200-unregister.sip'].map(fixture);
const HAND = [
  'REGISTER sip:10.1.100.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.100.100:5060;branch=z9hG4bK1;rport\r\nMax-Forwards: 70\r\nFrom: "Line 1" <sip:1001@10.1.100.1>;tag=a\r\n' +
    'To: <sip:1001@10.1.100.1>\r\nCall-ID: x@y\r\nCSeq: 2 REGISTER\r\nContact: <sip:1001@10.1.100.100:5060>;expires=3600\r\nExpires: 3600\r\n' +
    'Authorization: Digest username="1001", realm="lab", nonce="n", uri="sip:10.1.100.1", response="00", algorithm=MD5, cnonce="c", qop=auth, nc=00000001\r\n' +
    'User-Agent: Dialtone\r\nContent-Length: 0\r\n\r\n',
  'SIP/2.0 407 Proxy Auth\r\nv: SIP/2.0/TCP [::1]:5060 ;branch=z9hG4bK2 , SIP/2.0/UDP h\r\nf: sip:a@b;tag=1\r\nt: <sip:a@b>\r\ni: c\r\nCSeq: 9 REGISTER\r\n' +
    'Proxy-Authenticate: Digest realm="r", nonce="n",\r\n qop="auth,auth-int", stale=TRUE, Digest realm="s"\r\nm: *\r\nl: 4\r\n\r\nbody',
].map(bytes);

const codec: Codec<w.SipMsg> = {
  name: 'sip', parse: w.parse, errors: ['truncated', 'malformed', 'unsupported', 'too-large'], emit: encode,
  seeds: [...FIXTURES, ...HAND], maxLength: w.MAX_MSG + 64, reprs: sipMsg,
  inputs: fc.tuple(
    fc.constantFrom('SIP/2.0 200 OK', 'SIP/2.0 401 Unauthorized', 'REGISTER sip:a SIP/2.0', 'SIP/2.0 100 Trying', 'sip/2.0 423 x'),
    fc.array(fc.tuple(
      fc.constantFrom('Via', 'v', 'From', 'f', 'TO', 't', 'Call-ID', 'i', 'CSeq', 'Contact', 'm', 'Expires', 'Min-Expires', 'Max-Forwards',
        'WWW-Authenticate', 'Proxy-Authenticate', 'Authorization', 'Proxy-Authorization', 'Server', 'User-Agent', 'Content-Length', 'l', 'X-Y'),
      fc.oneof(
        fc.constantFrom('SIP/2.0/UDP h:5060;branch=z9hG4bKa;rport', '<sip:1001@h>;tag=1', 'x@y', '1 REGISTER', '<sip:a@b>;expires=60, *', '0', '3600',
          'Digest realm="r", nonce="n", qop="auth", algorithm=SHA-256, stale=true', 'Digest username="u", nc=00000001, qop=auth', '"q\\"d" <sips:x@y>', ''),
        fc.string({ maxLength: 40, unit: fc.constantFrom(...'<>";,=:@ /\\\t*abc019') }),
      ),
      fc.constantFrom(': ', ':', ' : ', ':\r\n '),
    ), { maxLength: 14 }),
    fc.constantFrom('', 'abc'),
  ).map(([start, hs, body]) => bytes(start + '\r\n' + hs.map(([n, v, c]) => n + c + v + '\r\n').join('') + '\r\n' + body)),
};

fuzzCodec(codec, 0x5100);

describe('sip framer and machine fuzz', () => {
  const runs = fuzzRuns(0.2);

  it(`the framer gives the same messages whatever the chunking and keep-alives (seed 0x5110, ${runs} runs)`, () => {
    return assertSeeded('sip framer', fc.property(fc.array(sipMsg, { minLength: 1, maxLength: 4 }),
      fc.array(fc.constantFrom('', '\r\n', '\r\n\r\n'), { minLength: 4, maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 8 }),
      (msgs, gaps, cuts) => {
        const parts = msgs.map(encode);
        const all: number[] = [];
        parts.forEach((p, i) => { all.push(...bytes(gaps[i]), ...p); });
        const stream = new Uint8Array(all);
        const f = new w.Framer(w.MAX_MSG);
        const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
        const got: string[] = [];
        for (let at = 0, k = 0; at < stream.length; k++) {
          const n = cuts[k % cuts.length];
          const e = f.push(stream.subarray(at, at + n), (m) => got.push(hex(m)));
          if (e !== null) throw new Error(`framing failed: ${e.error} ${e.detail}`);
          at += n;
        }
        if (got.join() !== parts.map(hex).join()) throw new Error(`framed ${got.length} messages, sent ${parts.length}`);
      }), 0x5110, runs);
  });

  it(`the framer never throws on any stream; a failure is typed (seed 0x5111, ${runs} runs)`, () => {
    return assertSeeded('sip framer bytes', fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated([...FIXTURES, ...HAND])), { maxLength: 6 }), (chunks) => {
      const f = new w.Framer(512);
      for (const c of chunks) {
        const e = f.push(c, (m) => { expect(m.length).toBeLessThanOrEqual(512); });
        if (e !== null) {
          expect(['malformed', 'too-large']).toContain(e.error);
          return;
        }
      }
    }), 0x5111, runs);
  });

  it(`the REGISTER machine takes any responses, in UDP and TCP, without throwing (seed 0x5112, ${runs} runs)`, () => {
    const STATES = ['idle', 'connect', 'register', 'registered', 'wait', 'unregister', 'done'];
    const KINDS = ['connect', 'registered', 'failed', 'lost', 'round', 'stopped'];
    let registered = 0;
    // Responses shaped on the request in flight (so they pass the branch/Call-ID/CSeq match), then maybe mutated.
    const step = fc.record({
      kind: fc.constantFrom('matched', 'raw', 'wait', 'down', 'stop'),
      status: fc.constantFrom(100, 200, 401, 401, 407, 403, 423, 500, 503, 302, 606),
      stale: fc.boolean(), expires: fc.integer({ min: -1, max: 7200 }), flip: fc.option(fc.nat()), raw: fc.uint8Array({ maxLength: 200 }),
      ms: fc.integer({ min: 0, max: 70_000 }),
    });
    return assertSeeded('sip machine', fc.property(fc.constantFrom('UDP', 'TCP'), fc.array(step, { maxLength: 24 }), fc.integer(), (tr, steps, seed) => {
      const prng = new Prng(seed);
      const c = new SipRegister({ user: '1001', password: 'pw', transport: tr as 'UDP' | 'TCP', targets: [{ host: 'a', port: 5060 }, { host: 'b', port: 5060 }],
        localIp: 0x0a000002, crypto: new HostCrypto(), random: () => prng.u32() });
      let now = 0;
      let last: Uint8Array | null = null;
      const out = { send: (b: Uint8Array) => { last = b.slice(); return true; } };
      const events: SipEvent[] = [];
      const pump = () => {
        for (let i = 0; i < 50 && c.pollAt() <= now; i++) c.dispatch(now, out);
        for (let e = c.poll(); e !== null; e = c.poll()) {
          events.push(e);
          if (e.kind === 'connect') c.transportUp(now, 5060);
        }
      };
      c.start(now);
      pump();
      pump();
      for (const s of steps) {
        if (s.kind === 'wait') now += s.ms;
        else if (s.kind === 'down') c.transportDown(now, 'closed');
        else if (s.kind === 'stop') c.stop(now);
        else if (s.kind === 'raw') c.receive(s.raw, now);
        else if (last !== null) {
          const req = w.parse(last);
          if (!req.ok) throw new Error('the machine sent what does not parse');
          const m = w.newMsg();
          Object.assign(m, { status: s.status, reason: 'R', via: req.value.via, from: req.value.from, to: req.value.to, callId: req.value.callId,
            cseq: req.value.cseq, cseqMethod: 'REGISTER', expires: s.expires, minExpires: 7200 });
          if (s.status === 401 || s.status === 407) m.challenges = [{ proxy: s.status === 407, realm: 'r', nonce: 'n' + s.ms, opaque: '', algorithm: 'MD5', qop: 'auth', stale: s.stale }];
          const b = encode(m);
          if (s.flip !== null) b[s.flip % b.length] ^= 0x20;
          c.receive(b, now);
        }
        pump();
        expect(STATES).toContain(c.state());
        expect(Number.isNaN(c.pollAt())).toBe(false);
      }
      for (const e of events) expect(KINDS).toContain(e.kind);
      if (events.some((e) => e.kind === 'registered')) registered++;
    }), 0x5112, runs);
    // Runs that never got past the first REGISTER would only have tested the gate.
    if (runs >= 100) expect(registered).toBeGreaterThan(runs / 20);
  });
});
