/**
 * The serial recovery decoders (flash/serial) under the shared property
 * (test/fuzz/property.ts): the CBOR subset, base64, and SMP packets over console lines.
 * Decoding never throws on arbitrary or mutated input, a failure is a typed error, and what
 * decodes re-encodes to the same value (base64 byte for byte: its decoder refuses every
 * non-canonical form).
 *
 * Deviations the adapters state (so the properties hold for what the codecs do):
 * - CBOR text is decoded byte by byte as Latin-1 (no UTF-8 check), and CborWriter.text
 *   writes characters above 0x7f as '?'; the emitter here writes text bytes as they came.
 * - CBOR map keys that were unsigned integers come back as strings; they re-encode as text.
 * - FrameWriter always sends SMP flags 0 and keeps 3 bits of the op byte (parseHeader reads
 *   op & 7): flags are not compared (nor the header's length, which the reader checks).
 */
import fc from 'fast-check';
import { CborWriter, cborDecode, type CborValue } from '../../../flash/serial/cbor';
import { base64Decode, base64Encode, base64Length } from '../../../flash/serial/base64';
import { FrameReader, FrameWriter, SMP_OP_WRITE, SMP_OP_READ, PACKET_OVERHEAD } from '../../../flash/serial/frame';
import { GROUP_IMAGE, IMG_UPLOAD } from '../../../flash/serial/smp';
import { ok, fail, type Result } from '../../../lib/result';
import { fuzzCodec, type Codec } from '../property';

// ---------------------------------------------------------------------------------------
// CBOR
// ---------------------------------------------------------------------------------------

function writeValue(w: CborWriter, v: CborValue): void {
  if (typeof v === 'number') w.int(v);
  else if (typeof v === 'string') writeText(w, v);
  else if (typeof v === 'boolean') w.bool(v);
  else if (v === null) w.head(7, 22);
  else if (v instanceof Uint8Array) w.bytes(v);
  else if (Array.isArray(v)) {
    w.array(v.length);
    for (const x of v) writeValue(w, x);
  } else {
    const keys = Object.keys(v);
    w.map(keys.length);
    for (const k of keys) {
      writeText(w, k);
      writeValue(w, v[k]);
    }
  }
}

/** Text as its bytes (Latin-1, as the decoder reads it). */
function writeText(w: CborWriter, s: string): void {
  w.head(3, s.length);
  if (w.pos + s.length > w.buf.length) {
    w.overflow = true;
    return;
  }
  for (let i = 0; i < s.length; i++) w.buf[w.pos++] = s.charCodeAt(i) & 255;
}

function encodeCbor(v: CborValue): Uint8Array {
  const w = new CborWriter(new Uint8Array(8192));
  writeValue(w, v);
  if (w.overflow) throw new Error('CBOR emit overflowed 8 KiB');
  return w.buf.slice(0, w.pos);
}

const cborSeeds = [
  // An image upload request as mcumgr sends it, and the answers the loader writes.
  { image: 0, len: 70000, off: 0, sha: new Uint8Array(32).fill(0xab), data: new Uint8Array(64).fill(7), upgrade: false },
  { off: 4096 },
  { rc: 0, rsn: 'ok', images: [{ slot: 0, version: '1.2.3', hash: new Uint8Array(32), bootable: true, pending: false, confirmed: true, active: true }] },
  [1, -1, 23, 24, 255, 256, 65535, 65536, 4294967295, 4294967296, 2 ** 53 - 1, -(2 ** 53), null, true, false, '', new Uint8Array(0)],
].map((v) => encodeCbor(v as CborValue));

const cborValue = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.maxSafeNat(), fc.integer({ min: -(2 ** 53), max: -1 }), fc.boolean(), fc.constant(null),
    fc.uint8Array({ maxLength: 20 }), fc.string({ unit: 'binary-ascii', maxLength: 10 }),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 5 }).filter((k) => k !== '__proto__'), tie('v'), { maxKeys: 4 })
      .map((d) => Object.assign(Object.create(null), d)),
  ),
})).v as fc.Arbitrary<CborValue>;

/** Within the decoder's nesting cap (6 levels of arrays/maps). */
function depth(v: CborValue): number {
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return 0;
  const items = Array.isArray(v) ? v : Object.values(v);
  let d = 0;
  for (const x of items) d = Math.max(d, depth(x));
  return d + 1;
}

const cborCodec: Codec<CborValue> = {
  name: 'cbor', parse: (b) => cborDecode(b, 0, b.length), errors: ['truncated', 'malformed', 'unsupported', 'too-large'],
  emit: encodeCbor, seeds: cborSeeds, maxLength: 300, truncated: 'truncated',
  reprs: cborValue.filter((v) => depth(v) <= 6),
};

fuzzCodec(cborCodec, 0xcb00);

// ---------------------------------------------------------------------------------------
// base64
// ---------------------------------------------------------------------------------------

/** base64Decode says -1 for any malformed input; the adapter makes that its one error. */
const base64Codec: Codec<Uint8Array> = {
  name: 'base64',
  parse: (b) => {
    const out = new Uint8Array((b.length >> 2) * 3);
    const n = base64Decode(b, 0, b.length, out, 0);
    return n < 0 ? fail('malformed', 'not canonical base64') : ok(out.slice(0, n));
  },
  errors: ['malformed'],
  emit: (v) => {
    const out = new Uint8Array(base64Length(v.length));
    const n = base64Encode(v, 0, v.length, out, 0);
    if (n !== out.length) throw new Error(`base64Encode wrote ${n} of ${out.length}`);
    return out;
  },
  exact: true,
  // Arbitrary bytes are rarely base64 at all: draw from the alphabet and '=' too.
  inputs: fc.array(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/='.split('').map((c) => c.charCodeAt(0)),
    0x20, 0x0a, 0x2d, 0x5f), { maxLength: 40 }).map((a) => new Uint8Array(a)),
  seeds: ['', 'Zg==', 'Zm8=', 'Zm9v', 'Zm9vYmFy', 'AAECAwQFBgcICQoLDA0ODw=='].map((s) => new Uint8Array([...s].map((c) => c.charCodeAt(0)))),
  maxLength: 64,
  reprs: fc.uint8Array({ maxLength: 100 }),
};

fuzzCodec(base64Codec, 0xb640);

// ---------------------------------------------------------------------------------------
// SMP packets over console lines
// ---------------------------------------------------------------------------------------

/** The loader's reader takes packets of up to this many bytes (length prefix and CRC included). */
const CAPACITY = 512;

/** An SMP header and its payload (`len`, from the header, is the payload's length). */
interface Packet { op: number; flags: number; len?: number; group: number; seq: number; id: number; payload: Uint8Array }

/**
 * Feed the bytes to a fresh FrameReader. The reader counts and skips what it drops; the
 * adapter turns a drop into an error (CRC 'checksum', buffer 'too-large', framing
 * 'malformed') and otherwise returns the packets delivered (console noise is ignored).
 */
function readLines(b: Uint8Array): Result<Packet[]> {
  const got: Packet[] = [];
  const r = new FrameReader(CAPACITY, (h, buf, s, e) => got.push({ ...h, payload: buf.slice(s, e) }));
  r.push(b);
  const st = r.stats;
  if (st.packets !== got.length) return fail('malformed', `stats say ${st.packets} packets, ${got.length} delivered`);
  if (st.badCrc > 0) return fail('checksum', JSON.stringify(st));
  if (st.overflow > 0) return fail('too-large', JSON.stringify(st));
  if (st.malformed > 0) return fail('malformed', JSON.stringify(st));
  return ok(got);
}

function writeLines(ps: Packet[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const fw = new FrameWriter(CAPACITY);
  for (const p of ps) {
    const w = fw.begin();
    if (w.pos + p.payload.length > w.buf.length) throw new Error('payload does not fit the writer');
    w.buf.set(p.payload, w.pos);
    w.pos += p.payload.length;
    const lines = fw.finish(p.op, p.group, p.id, p.seq);
    if (lines === null) throw new Error('FrameWriter overflowed');
    parts.push(lines.slice());
  }
  const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let at = 0;
  for (const x of parts) {
    out.set(x, at);
    at += x.length;
  }
  return out;
}

const smpSeeds = [
  writeLines([{ op: SMP_OP_WRITE, flags: 0, group: GROUP_IMAGE, id: IMG_UPLOAD, seq: 1, payload: cborSeeds[0] }]),
  writeLines([{ op: SMP_OP_READ, flags: 0, group: GROUP_IMAGE, id: 0, seq: 2, payload: encodeCbor({}) },
    { op: SMP_OP_WRITE, flags: 0, group: GROUP_IMAGE, id: IMG_UPLOAD, seq: 3, payload: cborSeeds[1] }]),
  // A console line before a packet: noise, not an error.
  (() => {
    const p = writeLines([{ op: SMP_OP_WRITE, flags: 0, group: 1, id: 5, seq: 9, payload: new Uint8Array(200).fill(0x41) }]);
    const t = new TextEncoder().encode('boot: waiting for an image\r\n');
    const out = new Uint8Array(t.length + p.length);
    out.set(t);
    out.set(p, t.length);
    return out;
  })(),
];

const packet: fc.Arbitrary<Packet> = fc.record({
  op: fc.nat(7), flags: fc.constant(0), group: fc.nat(0xffff), seq: fc.nat(255), id: fc.nat(255),
  payload: fc.uint8Array({ maxLength: CAPACITY - PACKET_OVERHEAD }),
});

const smpCodec: Codec<Packet[]> = {
  name: 'smp console lines', parse: readLines, errors: ['checksum', 'too-large', 'malformed'], emit: writeLines,
  same: (ps) => ps.map(({ flags: _f, len: _l, ...p }) => p), seeds: smpSeeds, maxLength: 2048,
  // Framed packets with junk, cuts and line breaks between them.
  inputs: fc.tuple(fc.array(packet, { maxLength: 3 }), fc.array(fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 12 })), { maxLength: 3 }))
    .map(([ps, junk]) => {
      let b = writeLines(ps);
      for (const [at, j] of junk) {
        const k = b.length === 0 ? 0 : at % b.length;
        const out = new Uint8Array(b.length + j.length);
        out.set(b.subarray(0, k));
        out.set(j, k);
        out.set(b.subarray(k), k + j.length);
        b = out;
      }
      return b;
    }),
  reprs: fc.array(packet, { maxLength: 3 }),
};

fuzzCodec(smpCodec, 0x5390);

