/**
 * Property tests of the TFTP codec and machines (fast-check, fixed seeds): parse never
 * throws and fails only with the codec's typed errors; emit -> parse is the identity on any
 * valid Repr and parse -> emit -> parse is stable; the client and the server core take any
 * sequence of datagrams (random bytes and mutated valid packets, from the right and wrong
 * ports) without throwing, and the client's sink only ever sees contiguous writes.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { assertSeeded, fuzzRuns } from '../property';
import * as tftp from '../../../firmware/tftp/wire';
import { TftpClient } from '../../../firmware/tftp/client';
import { TftpServerCore, mapSource } from '../../../tools/ota/server';

const ERRORS = new Set(['truncated', 'malformed', 'unsupported', 'too-large']);
const ch = fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c));
const str = (min: number, max: number): fc.Arbitrary<string> => fc.string({ minLength: min, maxLength: max, unit: ch });
const options = fc.array(fc.record({ name: str(1, 20), value: str(0, 20) }), { maxLength: tftp.MAX_OPTIONS });

const repr: fc.Arbitrary<tftp.TftpRepr> = fc.oneof(
  fc.record({ op: fc.constantFrom(1 as const, 2 as const), filename: str(1, 255), mode: str(0, 10), options }),
  fc.record({ op: fc.constant(3 as const), block: fc.integer({ min: 0, max: 0xffff }), data: fc.uint8Array({ maxLength: 1500 }) }),
  fc.record({ op: fc.constant(4 as const), block: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ op: fc.constant(5 as const), code: fc.integer({ min: 0, max: 0xffff }), message: str(0, 255) }),
  fc.record({ op: fc.constant(6 as const), options }),
);

function encode(r: tftp.TftpRepr): Uint8Array {
  const b = new Uint8Array(tftp.bufferLen(r));
  tftp.emit(r, b, 0);
  return b;
}

/** Valid packets a server might send, then possibly mutated. */
const serverPacket: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.record({ block: fc.integer({ min: 0, max: 12 }), n: fc.integer({ min: 0, max: 600 }) }).map(({ block, n }) => encode({ op: 3, block, data: new Uint8Array(n).fill(block) })),
  fc.record({ b: fc.constantFrom('8', '512', '1428', '9999', 'x', ''), w: fc.constantFrom('1', '4', '8', '0', '99'), t: fc.constantFrom('0', '100', '-1') })
    .map(({ b, w, t }) => encode({ op: 6, options: [{ name: 'blksize', value: b }, { name: 'windowsize', value: w }, { name: 'tsize', value: t }] })),
  fc.integer({ min: 0, max: 9 }).map((code) => encode({ op: 5, code, message: 'e' })),
  fc.integer({ min: 0, max: 12 }).map((block) => encode({ op: 4, block })),
).chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 })).map(([p, where, v]) => {
  if (p.length === 0 || where === 0) return p;
  const q = p.slice();
  q[(where * 7) % q.length] = v;
  return q;
}));

describe('tftp wire fuzz', () => {
  it('parse never throws; failures are typed; successes re-emit to the same Repr', () => {
    assertSeeded('tftp fuzz seed 1350', fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
      const r = tftp.parse(b);
      if (!r.ok) {
        expect(ERRORS.has(r.error)).toBe(true);
        return;
      }
      const again = tftp.parse(encode(r.value));
      expect(again.ok && again.value).toEqual(r.value);
    }), 1350, fuzzRuns());
  });

  it('parse(emit(r)) is r for any valid Repr', () => {
    assertSeeded('tftp fuzz seed 2347', fc.property(repr, (r) => {
      const p = tftp.parse(encode(r));
      expect(p.ok).toBe(true);
      if (p.ok) expect(p.value.op === 3 ? { ...p.value, data: p.value.data.slice() } : p.value).toEqual(r);
    }), 2347, fuzzRuns());
  });

  it('parse never throws on mutated valid packets', () => {
    assertSeeded('tftp fuzz seed 7440', fc.property(repr, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(), (r, at, v, cut) => {
      const b = encode(r);
      if (b.length > 0) b[at % b.length] = v;
      const res = tftp.parse(b.subarray(0, b.length - (cut % (b.length + 1))));
      if (!res.ok) expect(ERRORS.has(res.error)).toBe(true);
    }), 7440, fuzzRuns());
  });
});

describe('tftp machines fuzz', () => {
  it('the client takes any datagram sequence without throwing; writes stay contiguous', () => {
    assertSeeded('tftp fuzz seed 1123', fc.property(
      fc.array(fc.record({ p: serverPacket, port: fc.constantFrom(5000, 5000, 5000, 6000), dt: fc.integer({ min: 0, max: 3000 }) }), { maxLength: 60 }),
      fc.record({ windowsize: fc.integer({ min: 1, max: 8 }), reorder: fc.integer({ min: 0, max: 4 }), blksize: fc.constantFrom(512, 1428) }),
      (seq, cfg) => {
        const c = new TftpClient(cfg);
        let next = 0;
        let ended = false;
        c.start(0, 1, 69, 'f', {
          write: (d, off) => {
            expect(off).toBe(next);
            expect(ended).toBe(false);
            next += d.length;
            return true;
          },
          end: (size) => {
            expect(size).toBe(next);
            ended = true;
          },
          abort: () => undefined,
        });
        const out = { send: (_ip: number, _port: number, d: Uint8Array) => expect(tftp.parse(d).ok).toBe(true) };
        let now = 0;
        for (const s of seq) {
          now += s.dt;
          c.process(s.p, 1, s.port, now);
          for (let i = 0; i < 10 && c.pollAt() <= now; i++) c.dispatch(now, out);
          c.poll();
        }
      },
    ), 1123, fuzzRuns());
  });

  it('the server core takes any datagram sequence without throwing', () => {
    const files = mapSource({ a: new Uint8Array(5000), b: new Uint8Array(0) });
    assertSeeded('tftp fuzz seed 2090', fc.property(
      fc.array(fc.record({
        kind: fc.constantFrom('request', 'session'),
        p: fc.oneof(serverPacket, repr.map(encode), fc.constantFrom('a', 'b', '../x', 'c').map((f) => encode({ op: 1, filename: f, mode: 'octet', options: [{ name: 'windowsize', value: '4' }, { name: 'blksize', value: '600' }] }))),
        id: fc.integer({ min: 1, max: 4 }), port: fc.constantFrom(1000, 1001), dt: fc.integer({ min: 0, max: 2500 }),
      }), { maxLength: 60 }),
      (seq) => {
        const core = new TftpServerCore({ files, maxSessions: 3 });
        const out = { send: (_id: number, _ip: number, _port: number, d: Uint8Array) => { expect(tftp.parse(d).ok).toBe(true); return true; }, close: () => undefined };
        let now = 0;
        for (const s of seq) {
          now += s.dt;
          if (s.kind === 'request') core.request(s.p, 9, s.port, now);
          else core.process(s.id, s.p, 9, s.port, now);
          for (let i = 0; i < 10 && core.pollAt() <= now; i++) core.dispatch(now, out);
          while (core.poll());
        }
        expect(core.activeSessions()).toBeLessThanOrEqual(3);
      },
    ), 2090, fuzzRuns());
  });
});
