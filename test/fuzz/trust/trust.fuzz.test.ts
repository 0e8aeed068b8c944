/**
 * Every trust parser fuzzed (fast-check, fixed seeds; test/fuzz/property.ts): the DER
 * certificate and RSA key readers, the TLV header and record codecs (round trip through
 * emit), the stored form (canonical: decode then encode is the input), and the streaming
 * sinks on mutated real files cut into random chunks: never a throw, only typed errors,
 * the same outcome whatever the chunking, and a signed file's content ends downstream only
 * when its signature verifies. Seeds: the real ITL (../shared/fixtures), the lab's lists,
 * an openssl-made EC certificate.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { fuzzCodec, emitter, assertSeeded, fuzzRuns, mutated, hexOf } from '../property';
import { parseCert, parseRsaKey } from '../../../firmware/trust/der';
import { parseHeader, parseRecord, emitHeader, headerLen, emitRecord, recordLen, type Header, type TrustRecord } from '../../../firmware/trust/tlv';
import { encodeStore, decodeStore, TrustStore, SLOT_CTL, type Entry } from '../../../firmware/trust/store';
import { listSink, signedSink } from '../../../firmware/trust/sink';
import { labTrust, labSign } from '../../../tools/lab/trust';
import { fromHex } from '../../../lib/bytes';
import { crypto, feed, haveFixtures, mustList, realItl, storeWith } from '../../unit/trust/helpers';

const t = labTrust();
const itl = haveFixtures ? realItl() : null;
const files = itl ? [itl, t.ctl, t.itl] : [t.ctl, t.itl];

function records(f: Uint8Array): Uint8Array[] {
  const h = parseHeader(f);
  if (!h.ok) throw new Error(h.detail);
  const out: Uint8Array[] = [];
  for (let p = h.value.length; p < f.length;) {
    const r = parseRecord(f.subarray(p));
    if (!r.ok) throw new Error(r.detail);
    out.push(f.slice(p, p + r.value.length));
    p += r.value.length;
  }
  return out;
}

const recs = files.flatMap(records);
const certs = recs.map((r) => { const p = parseRecord(r); return p.ok ? p.value.cert.slice() : new Uint8Array(0); });
const keys = recs.map((r) => { const p = parseRecord(r); return p.ok ? p.value.publicKey.slice() : new Uint8Array(0); });
const EC = fromHex('308201bb30820160a003020102020300ff01300a06082a8648ce3d040302303b3114301206035504030c0b65632e6c61622e7465737431163014060355040a0c0d4469616c746f6e652054657374310b3009060355040613024e5a301e170d3236313230323036353630335a170d3336313132393036353630335a303b3114301206035504030c0b65632e6c61622e7465737431163014060355040a0c0d4469616c746f6e652054657374310b3009060355040613024e5a3059301306072a8648ce3d020106082a8648ce3d03010703420004e74b3b80d69aa5d636b1afea400f7c2c3676cf8fab4835d6227aae06fab955fa91b8c842993e0f8f487c1dda4d379e7b657f1faed630c40a42498f4deaba8baca3533051301d0603551d0e04160414ac14b85bffe1f7815e6e01eb64839495be0c1d6c301f0603551d23041830168014ac14b85bffe1f7815e6e01eb64839495be0c1d6c300f0603551d130101ff040530030101ff300a06082a8648ce3d0403020349003046022100af1411c5d54751c4d4ed3a72c485fbaafe377c4eac2f320c5f99f486d102d2f402210095164a48709cfd4278fb2cc1901fffe64cd1ca6450a2de9d9b5de38ffb12a697')!;
const sgn = labSign('SEP001122334455.cnf.xml', new TextEncoder().encode('<device><deviceProtocol>SCCP</deviceProtocol></device>\n'));
const headers = [...files, sgn].map((f) => f.slice(0, (parseHeader(f) as { value: Header }).value.length));

const ascii = fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x01-\x7e]/g, 'x'));
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

fuzzCodec({ name: 'trust DER certificate', parse: parseCert, errors: ['malformed'], seeds: [...certs, EC], maxLength: 800 }, 0x7401);
fuzzCodec({ name: 'trust RSA key', parse: parseRsaKey, errors: ['malformed'], seeds: keys, maxLength: 600 }, 0x7411);

fuzzCodec<Header>({
  name: 'trust TLV header', parse: parseHeader, errors: ['truncated', 'malformed', 'unsupported'],
  emit: emitter(headerLen, emitHeader), same: (h) => ({ ...h, length: 0, sigAt: 0 }), seeds: headers, maxLength: 600,
  reprs: fc.record({
    version: fc.integer({ min: 0, max: 0xffff }), signerVersion: fc.integer({ min: -1, max: 0xffff }), signerName: ascii, issuer: ascii,
    serial: bytes(1, 20), digest: fc.integer({ min: 0, max: 255 }),
    signature: fc.constantFrom(64, 128, 256, 512).chain((n) => bytes(n, n)), filename: ascii,
    timestamp: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 0xffffffff })), length: fc.constant(0), sigAt: fc.constant(0),
  }),
}, 0x7421);

fuzzCodec<TrustRecord>({
  name: 'trust TLV record', parse: parseRecord, errors: ['truncated', 'malformed', 'unsupported'],
  emit: emitter(recordLen, emitRecord), same: (r) => ({ ...r, length: 0 }), seeds: recs, maxLength: 3000,
  reprs: fc.record({
    role: fc.integer({ min: 0, max: 0xffff }), subject: ascii, issuer: ascii, dnsName: ascii, serial: bytes(0, 20),
    publicKey: bytes(0, 300), certSig: bytes(0, 64), cert: bytes(0, 300), certHash: bytes(0, 32),
    ip: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 0xffffffff })), hashAlg: fc.integer({ min: -1, max: 255 }), length: fc.constant(0),
  }),
}, 0x7431);

const storeSeeds = [storeWith([[SLOT_CTL, t.ctl], [1, t.itl]]).entries, ...(itl ? [mustList(itl).entries] : [])]
  .map((e) => { const r = encodeStore(e); if (!r.ok) throw new Error(r.detail); return r.value; });
fuzzCodec<Entry[]>({
  name: 'trust stored form', parse: decodeStore, errors: ['truncated', 'malformed', 'unsupported', 'too-large'],
  emit: (e) => { const r = encodeStore(e); if (!r.ok) throw new Error(r.detail); return r.value; }, exact: true,
  seeds: storeSeeds, maxLength: 2200,
}, 0x7441);

/** The bytes a signature covers: the file without its SIGNATURE TLV. */
function signedPart(b: Uint8Array): Uint8Array {
  const h = parseHeader(b);
  if (!h.ok) throw new Error(h.detail);
  const end = h.value.sigAt + 3 + h.value.signature.length;
  return new Uint8Array([...b.subarray(0, h.value.sigAt), ...b.subarray(end)]);
}

const LIST_ERRORS = ['truncated', 'malformed', 'unsupported', 'too-large'];
const chunks = fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 6 });

function feedChunks(sink: { write(d: Uint8Array, o: number): boolean; end(n: number): void }, b: Uint8Array, sizes: number[]): void {
  let o = 0;
  for (let i = 0; o < b.length; i++) {
    const n = sizes[i % sizes.length];
    if (!sink.write(b.subarray(o, Math.min(b.length, o + n)), o)) break;
    o += n;
  }
  sink.end(b.length);
}

describe('trust sinks fuzz', () => {
  const runs = fuzzRuns(0.1);
  const store = storeWith([[SLOT_CTL, t.ctl]]);

  it(`list sink on mutated real files in random chunks: typed errors, same outcome as whole (seed 0x7451, ${runs} runs)`, () => {
    let parsed = 0;
    let verified = 0;
    assertSeeded('trust list sink', fc.property(mutated(files, 12_000), chunks, (b, sizes) => {
      const whole = feed(listSink(crypto), b, b.length || 1).result!;
      const s = listSink(crypto);
      feedChunks(s, b, sizes);
      expect(s.result).toEqual(whole);
      if (!whole.ok) { expect(LIST_ERRORS).toContain(whole.error); expect(whole.detail.length).toBeGreaterThan(0); return; }
      parsed++;
      if (whole.value.signer >= 0) verified++;
      const o = new TrustStore(crypto).offer(SLOT_CTL, whole.value);
      if (!o.ok) expect(['refused', 'signature', 'too-large']).toContain(o.error);
    }), 0x7451, runs);
    // Enough mutations get past the format to reach the records and the signature check.
    expect(parsed).toBeGreaterThan(runs / 20);
    expect(verified).toBeGreaterThan(0);
  });

  it(`signed sink on mutated .sgn files: content ends downstream only when signed (seed 0x7461, ${runs * 5} runs)`, () => {
    assertSeeded('trust signed sink', fc.property(mutated([sgn], 2000), chunks, (b, sizes) => {
      let ended = -1;
      let aborted = false;
      let got = 0;
      const next = { write: (d: Uint8Array, o: number) => { expect(o).toBe(got); got += d.length; return true; }, end: (n: number) => { ended = n; }, abort: () => { aborted = true; } };
      const s = signedSink(crypto, store, next);
      feedChunks(s, b, sizes);
      const r = s.result!;
      if (r.ok) {
        expect(ended).toBe(got);
        expect(aborted).toBe(false);
        // Only a file whose signed bytes are unchanged verifies.
        expect(hexOf(signedPart(b), 1e6)).toBe(hexOf(signedPart(sgn), 1e6));
      } else {
        expect([...LIST_ERRORS, 'refused', 'signature']).toContain(r.error);
        expect(ended).toBe(-1);
      }
    }), 0x7461, runs * 5);
  });
});
