/**
 * The serial recovery codec: base64, the CBOR subset, SMP packets and console lines. Byte
 * vectors are commented field by field; fuzzing checks that damaged input is dropped and
 * counted, never thrown.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { base64Decode, base64Encode, base64Length } from '../../../flash/serial/base64';
import { CborWriter, cborDecode, isMap } from '../../../flash/serial/cbor';
import type { CborValue } from '../../../flash/serial/cbor';
import {
  FrameReader, FrameWriter, framedLength, LINE_MAX, SMP_OP_WRITE, PACKET_OVERHEAD,
} from '../../../flash/serial/frame';
import type { SmpHeader } from '../../../flash/serial/frame';
import { crc16Xmodem } from '../../../lib/crc';
import { GROUP_IMAGE, IMG_UPLOAD } from '../../../flash/serial/smp';

const ascii = (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0)));
const text = (b: Uint8Array) => String.fromCharCode(...b);

function b64(bytes: Uint8Array): string {
  const out = new Uint8Array(base64Length(bytes.length));
  const n = base64Encode(bytes, 0, bytes.length, out, 0);
  return text(out.subarray(0, n));
}

function unb64(s: string): Uint8Array | null {
  const src = ascii(s);
  const out = new Uint8Array(s.length);
  const n = base64Decode(src, 0, src.length, out, 0);
  return n < 0 ? null : out.slice(0, n);
}

describe('base64', () => {
  it('matches RFC 4648 section 10 vectors', () => {
    const vectors: Array<[string, string]> = [
      ['', ''], ['f', 'Zg=='], ['fo', 'Zm8='], ['foo', 'Zm9v'], ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='], ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, enc] of vectors) {
      expect(b64(ascii(plain))).toBe(enc);
      expect(text(unb64(enc)!)).toBe(plain);
    }
  });

  it('round-trips any bytes and agrees with Node', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const enc = b64(bytes);
      expect(enc).toBe(Buffer.from(bytes).toString('base64'));
      expect(unb64(enc)).toEqual(bytes);
    }), { seed: 0x5e1a, numRuns: 1000 });
  });

  it('refuses bad characters, bad lengths, inner padding and non-canonical bits', () => {
    for (const bad of ['Zg=', 'Zm9', 'Zm9v!', 'Zg==Zm9v', 'Z===', '====', 'Zh==', 'Zm9=', 'Zm 9v']) {
      expect(unb64(bad), bad).toBeNull();
    }
  });

  it('never writes past the limit', () => {
    const src = ascii('Zm9vYmFy');
    const out = new Uint8Array(8).fill(0xa5);
    expect(base64Decode(src, 0, src.length, out, 0, 5)).toBe(-1);
    expect(out[5]).toBe(0xa5);
    expect(base64Decode(src, 0, src.length, out, 2, 8)).toBe(6);
  });
});

function cbor(write: (w: CborWriter) => void, size = 256): Uint8Array {
  const w = new CborWriter(new Uint8Array(size));
  write(w);
  expect(w.overflow).toBe(false);
  return w.buf.slice(0, w.pos);
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('CBOR subset', () => {
  it('writes RFC 8949 Appendix A encodings', () => {
    expect(hex(cbor((w) => w.int(0)))).toBe('00');
    expect(hex(cbor((w) => w.int(23)))).toBe('17');
    expect(hex(cbor((w) => w.int(24)))).toBe('1818');
    expect(hex(cbor((w) => w.int(1000)))).toBe('1903e8');
    expect(hex(cbor((w) => w.int(1000000)))).toBe('1a000f4240');
    expect(hex(cbor((w) => w.int(1000000000000)))).toBe('1b000000e8d4a51000');
    expect(hex(cbor((w) => w.int(-1)))).toBe('20');
    expect(hex(cbor((w) => w.int(-1000)))).toBe('3903e7');
    expect(hex(cbor((w) => w.bytes(new Uint8Array([1, 2, 3, 4]))))).toBe('4401020304');
    expect(hex(cbor((w) => w.text('IETF')))).toBe('6449455446');
    expect(hex(cbor((w) => { w.bool(false); w.bool(true); }))).toBe('f4f5');
    // {"a": 1, "b": [2, 3]}
    expect(hex(cbor((w) => { w.map(2); w.text('a'); w.int(1); w.text('b'); w.array(2); w.int(2); w.int(3); })))
      .toBe('a26161016162820203');
  });

  it('reads an mcumgr upload request', () => {
    // {"off": 0, "data": h'0102', "len": 300, "sha": h'aa'}
    const bytes = new Uint8Array(Buffer.from('a4' + '636f6666' + '00' + '6464617461' + '420102' + '636c656e' + '19012c' + '63736861' + '41aa', 'hex'));
    const r = cborDecode(bytes, 0, bytes.length);
    expect(r.ok).toBe(true);
    if (!r.ok || !isMap(r.value)) throw new Error('not a map');
    expect(r.value.off).toBe(0);
    expect(r.value.len).toBe(300);
    expect(r.value.data).toEqual(new Uint8Array([1, 2]));
    expect(r.value.sha).toEqual(new Uint8Array([0xaa]));
  });

  it('refuses what the subset does not carry, with a typed error', () => {
    const cases: Array<[string, string]> = [
      ['', 'truncated'],
      ['19', 'truncated'],            // u16 argument missing
      ['9f01ff', 'unsupported'],      // indefinite array
      ['f93c00', 'unsupported'],      // half float
      ['c100', 'unsupported'],        // tag 1
      ['a2616101616102', 'malformed'],// duplicate key "a"
      ['a1f401', 'malformed'],        // key false
      ['9affffffff', 'truncated'],    // array count above the bytes left
      ['1b0020000000000000', 'too-large'], // 2^53
      ['0000', 'malformed'],          // trailing byte
      ['8181818181818101', 'too-large'],   // nesting 7 deep
    ];
    for (const [h, code] of cases) {
      const b = Buffer.from(h, 'hex');
      const r = cborDecode(b, 0, b.length);
      expect(r.ok, h).toBe(false);
      if (!r.ok) expect(r.error, h).toBe(code);
    }
  });

  const value = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.nat(), fc.integer({ min: -100000, max: -1 }), fc.boolean(), fc.constant(null),
      fc.uint8Array({ maxLength: 20 }), fc.string({ unit: 'binary-ascii', maxLength: 10 }).filter((s) => !/[\x80-\xff]/.test(s)),
      fc.array(tie('v'), { maxLength: 4 }),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }).filter((k) => k !== '__proto__' && /^[\x20-\x7e]*$/.test(k)), tie('v'), { maxKeys: 4 }),
    ),
  })).v as fc.Arbitrary<CborValue>;

  function writeValue(w: CborWriter, v: CborValue): void {
    if (typeof v === 'number') w.int(v);
    else if (typeof v === 'string') w.text(v);
    else if (typeof v === 'boolean') w.bool(v);
    else if (v === null) { w.head(7, 22); }
    else if (v instanceof Uint8Array) w.bytes(v);
    else if (Array.isArray(v)) { w.array(v.length); for (const x of v) writeValue(w, x); }
    else { const keys = Object.keys(v); w.map(keys.length); for (const k of keys) { w.text(k); writeValue(w, v[k]); } }
  }

  it('round-trips generated values (depth within the cap)', () => {
    fc.assert(fc.property(value, (v) => {
      const w = new CborWriter(new Uint8Array(4096));
      writeValue(w, v);
      const r = cborDecode(w.buf, 0, w.pos);
      if (!r.ok) {
        expect(r.error).toBe('too-large'); // only nesting beyond the cap may fail
        return;
      }
      expect(JSON.parse(JSON.stringify(r.value, (_k, x) => x instanceof Uint8Array ? [...x] : x)))
        .toEqual(JSON.parse(JSON.stringify(v, (_k, x) => x instanceof Uint8Array ? [...x] : x)));
    }), { seed: 0x5e1b, numRuns: 1000 });
  });

  it('never throws on random or mutated input', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const r = cborDecode(bytes, 0, bytes.length);
      expect(typeof r.ok).toBe('boolean');
    }), { seed: 0x5e1c, numRuns: 5000 });
  });

  it('flags overflow instead of writing past the buffer', () => {
    const buf = new Uint8Array(6).fill(0xa5);
    const w = new CborWriter(buf.subarray(0, 4));
    w.bytes(new Uint8Array([1, 2, 3, 4]));
    expect(w.overflow).toBe(true);
    expect(buf[4]).toBe(0xa5);
  });
});

interface Got { h: SmpHeader; payload: Uint8Array }

function reader(capacity = 512, lineMax?: number): { r: FrameReader; got: Got[] } {
  const got: Got[] = [];
  const r = new FrameReader(capacity, (h, buf, s, e) => got.push({ h, payload: buf.slice(s, e) }), lineMax);
  return { r, got };
}

function packet(payload: (w: CborWriter) => void, seq = 7, capacity = 512): Uint8Array {
  const fw = new FrameWriter(capacity);
  payload(fw.begin());
  const lines = fw.finish(SMP_OP_WRITE, GROUP_IMAGE, IMG_UPLOAD, seq);
  expect(lines).not.toBeNull();
  return lines!.slice();
}

describe('SMP console framing', () => {
  it('frames an echo request byte for byte as mcumgr does', () => {
    // {"d": "hi"}: a1 61 64 62 68 69 (6 bytes)
    const fw = new FrameWriter(64);
    const w = fw.begin();
    w.map(1); w.text('d'); w.text('hi');
    const lines = fw.finish(SMP_OP_WRITE, 0, 0, 0x42)!;
    const body = Buffer.from([
      0x00, 0x10,                               // len = 8 header + 6 payload + 2 CRC
      0x02, 0x00, 0x00, 0x06, 0x00, 0x00, 0x42, 0x00, // op write, flags, len 6, group 0, seq, id 0 (echo)
      0xa1, 0x61, 0x64, 0x62, 0x68, 0x69,       // {"d": "hi"}
    ]);
    const crc = crc16Xmodem(body, 2, body.length);
    const packetBytes = Buffer.concat([body, Buffer.from([crc >> 8, crc & 255])]);
    expect(text(lines)).toBe('\x06\x09' + packetBytes.toString('base64') + '\n');
    // The example in flash/serial/README.md.
    expect(text(lines)).toBe('\x06\x09ABACAAAGAABCAKFhZGJoaXBh\n');
    // CRC-16/XMODEM check value (catalogue): "123456789" -> 0x31c3.
    expect(crc16Xmodem(ascii('123456789'), 0, 9)).toBe(0x31c3);
    // Over the payload and its big-endian CRC the residue is zero.
    expect(crc16Xmodem(packetBytes, 2, packetBytes.length)).toBe(0);
  });

  it('splits long packets into lines of at most 127 bytes that decode on their own', () => {
    const data = new Uint8Array(1000).map((_, i) => i * 7);
    const wire = packet((w) => { w.map(2); w.text('off'); w.int(0); w.text('data'); w.bytes(data); }, 1, 2048);
    const lines = text(wire).split('\n').slice(0, -1);
    expect(lines.length).toBeGreaterThan(10);
    expect(lines[0].startsWith('\x06\x09')).toBe(true);
    for (const l of lines.slice(1)) expect(l.startsWith('\x04\x14')).toBe(true);
    for (const l of lines) {
      expect(l.length + 1).toBeLessThanOrEqual(LINE_MAX);
      expect((l.length - 2) % 4).toBe(0);
    }
    expect(wire.length).toBe(framedLength(1000 + 4 + 1 + 5 + 3 + PACKET_OVERHEAD + 1));
    const { r, got } = reader(2048);
    r.push(wire);
    expect(got.length).toBe(1);
    expect(got[0].h).toMatchObject({ op: SMP_OP_WRITE, group: GROUP_IMAGE, id: IMG_UPLOAD, seq: 1 });
    const v = cborDecode(got[0].payload, 0, got[0].payload.length);
    expect(v.ok && isMap(v.value) && v.value.data).toEqual(data);
  });

  it('reassembles from any chunking, with CRs and console noise between packets', () => {
    const a = packet((w) => { w.map(1); w.text('off'); w.int(5); }, 1);
    const b = packet((w) => { w.map(1); w.text('off'); w.int(6); }, 2);
    const stream = Buffer.concat([Buffer.from('boot: hello\r\n'), a, Buffer.from('\r'), b]);
    fc.assert(fc.property(fc.array(fc.nat(stream.length), { maxLength: 8 }), (cuts) => {
      const { r, got } = reader();
      const points = [0, ...cuts.sort((x, y) => x - y), stream.length];
      for (let i = 0; i + 1 < points.length; i++) r.push(stream, points[i], points[i + 1]);
      expect(got.map((g) => g.h.seq)).toEqual([1, 2]);
      expect(r.stats.noise).toBe(1);
      expect(r.stats.badCrc + r.stats.malformed + r.stats.overflow).toBe(0);
    }), { seed: 0x5e1d, numRuns: 1000 });
  });

  it('counts a flipped bit as a CRC error and keeps going', () => {
    const a = packet((w) => { w.map(1); w.text('off'); w.int(5); }, 1);
    const bad = a.slice();
    bad[6] = bad[6] === 0x41 ? 0x42 : 0x41; // one base64 character changed
    const { r, got } = reader();
    r.push(bad);
    r.push(a);
    expect(got.map((g) => g.h.seq)).toEqual([1]);
    expect(r.stats.badCrc + r.stats.malformed).toBe(1);
  });

  it('drops a stray continuation, an unfinished packet, an over-long line and an oversized packet', () => {
    const { r, got } = reader(64);
    r.push(ascii('\x04\x14AAAA\n'));                            // continuation without a start
    expect(r.stats.malformed).toBe(1);
    const big = packet((w) => { w.bytes(new Uint8Array(100)); }, 3, 256);
    r.push(big);                                                 // declares 100+ bytes > 64
    expect(r.stats.overflow).toBe(1);
    r.push(ascii('\x06\x09' + 'A'.repeat(400) + '\n'));          // line longer than the buffer
    expect(r.stats.overflow).toBe(2);
    const ok1 = packet((w) => { w.int(1); }, 4, 64);
    r.push(ok1.subarray(0, 10));                                 // unfinished...
    r.push(ascii('\n'));                                         // (a line cut short: bad base64)
    r.push(ok1);
    expect(got.map((g) => g.h.seq)).toEqual([4]);
  });

  it('refuses a header whose length disagrees with the packet', () => {
    const body = Buffer.from([0x00, 0x0b, 0x02, 0x00, 0x00, 0x05, 0x00, 0x01, 0x09, 0x01, 0x00]);
    const crc = crc16Xmodem(body, 2, body.length);
    const p = Buffer.concat([body, Buffer.from([crc >> 8, crc & 255])]);
    const { r, got } = reader();
    r.push(ascii('\x06\x09' + p.toString('base64') + '\n'));
    expect(got.length).toBe(0);
    expect(r.stats.malformed).toBe(1);
  });

  it('fuzz: corrupted streams never throw, and a clean packet after them still arrives', () => {
    const good = packet((w) => { w.map(1); w.text('off'); w.int(9); }, 9);
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.uint8Array({ maxLength: 200 }),
      (flips, junk) => {
        const bad = good.slice();
        for (const [at, v] of flips) bad[at] = v;
        const { r, got } = reader();
        r.push(bad);
        r.push(junk);
        r.push(ascii('\n'));
        r.push(good);
        // The clean packet always arrives; the damaged one only if the damage was a no-op.
        expect(got.length).toBeGreaterThanOrEqual(1);
        expect(got[got.length - 1].h.seq).toBe(9);
      }), { seed: 0x5e1e, numRuns: 3000 });
  });
});
