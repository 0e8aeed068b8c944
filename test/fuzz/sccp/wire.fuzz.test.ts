/**
 * Property tests of the SCCP codec, frame reader and session (fast-check, fixed seeds):
 * parse never throws and fails only with its typed errors; every generated message
 * round-trips (fields back, bytes stable); known ids with random bodies re-emit stably;
 * the reader gives the same frames whatever the chunking; the session survives any input.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { assertSeeded, fuzzRuns } from '../property';
import * as w from '../../../firmware/callmanager/sccp/wire';
import { SccpClient } from '../../../firmware/callmanager/sccp/client';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u8 = fc.integer({ min: 0, max: 255 });
const u24 = fc.integer({ min: 0, max: 0xffffff });
const str = (n: number) => fc.string({ maxLength: n, unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)) });
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const ver = fc.constantFrom(0, 17, 18, 20, 0xffffffff);
const items = <T>(a: fc.Arbitrary<T>, max: number) => fc.array(a, { maxLength: max });
const rest = fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined });
const paged = { ver, offset: u32, total: u32, rest };

const EMPTY = [w.KEEPALIVE, w.TIME_DATE_REQ, w.VERSION_REQ, w.SOFTKEY_SET_REQ, w.SOFTKEY_TEMPLATE_REQ, w.CAPABILITIES_REQ, w.KEEPALIVE_ACK] as const;
const KNOWN = [...EMPTY, w.REGISTER, w.IP_PORT, w.LINE_STAT_REQ, w.BUTTON_TEMPLATE_REQ, w.CAPABILITIES_RES, w.UNREGISTER,
  w.REGISTER_ACK, w.LINE_STAT, w.DEFINE_TIME_DATE, w.BUTTON_TEMPLATE, w.VERSION, w.REGISTER_REJECT, w.RESET,
  w.SOFTKEY_TEMPLATE_RES, w.SOFTKEY_SET_RES, w.UNREGISTER_ACK];

const msg: fc.Arbitrary<w.SccpMsg> = fc.oneof(
  fc.record({ id: fc.constantFrom(...EMPTY), ver }),
  fc.record({
    id: fc.constant(w.REGISTER), ver, name: str(16), userId: u32, instance: u32, ip: u32, deviceType: u32, maxStreams: u32,
    activeStreams: u32, protocolVersion: u8, features: u24, maxConferences: u32, activeConferences: u32, mac: bytes(12),
    ipv4Scope: u32, maxLines: u32, ipv6: bytes(16), ipv6Scope: u32, loadInfo: str(32),
  }),
  fc.record({ id: fc.constant(w.IP_PORT), ver, port: u32 }),
  fc.record({ id: fc.constant(w.LINE_STAT_REQ), ver, line: u32 }),
  fc.record({ id: fc.constant(w.BUTTON_TEMPLATE_REQ), ver, total: u32 }, { requiredKeys: ['id', 'ver'] }),
  fc.record({ id: fc.constant(w.UNREGISTER), ver, reason: u32 }, { requiredKeys: ['id', 'ver'] }),
  fc.record({ id: fc.constant(w.CAPABILITIES_RES), ver, rest, items: items(fc.record({ codec: u32, frames: u32, p1: u32, p2: u32 }), 18) }),
  fc.tuple(fc.record({ id: fc.constant(w.REGISTER_ACK), ver, keepAlive: u32, dateTemplate: str(8), secondaryKeepAlive: u32 }),
    fc.option(fc.record({ protocolVersion: u8, features: u24 }), { nil: undefined })).map(([a, b]) => ({ ...a, ...b })),
  fc.tuple(fc.record({ id: fc.constant(w.LINE_STAT), ver, line: u32, dn: str(24), name: str(40) }),
    fc.option(fc.record({ label: str(40), options: fc.option(u32, { nil: undefined }) }), { nil: undefined }))
    .map(([a, b]) => (b ? (b.options === undefined ? { ...a, label: b.label } : { ...a, ...b }) : a)),
  fc.record({ id: fc.constant(w.DEFINE_TIME_DATE), ver, year: u32, month: u32, dayOfWeek: u32, day: u32, hour: u32, minute: u32, second: u32, ms: u32, systemTime: u32 }),
  fc.record({ id: fc.constant(w.BUTTON_TEMPLATE), ...paged, items: items(fc.record({ instance: u8, type: u8 }), 56) }),
  fc.record({ id: fc.constant(w.VERSION), ver, loadId: str(16) }),
  fc.record({ id: fc.constant(w.REGISTER_REJECT), ver, text: str(32) }),
  fc.record({ id: fc.constant(w.RESET), ver, type: u32 }),
  fc.record({ id: fc.constant(w.SOFTKEY_TEMPLATE_RES), ...paged, items: items(fc.record({ label: str(16), event: u32 }), 32) }),
  fc.record({ id: fc.constant(w.SOFTKEY_SET_RES), ...paged, items: items(fc.record({ keys: bytes(16), info: bytes(32) }), 16) }),
  fc.record({ id: fc.constant(w.UNREGISTER_ACK), ver, status: u32 }),
  fc.record({ id: fc.constant(w.UNKNOWN), ver, msgId: fc.integer({ min: 0x200, max: 0xffffffff }), body: fc.uint8Array({ maxLength: 100 }) }),
) as fc.Arbitrary<w.SccpMsg>;

function emitted(m: w.SccpMsg): Uint8Array {
  const b = new Uint8Array(w.bufferLen(m));
  expect(w.emit(m, b, 0)).toBe(b.length);
  return b;
}

/** A parsed message re-emits to the same bytes and parses to the same value. */
function stable(b: Uint8Array): w.SccpMsg | null {
  const r = w.parse(b);
  if (!r.ok) {
    expect(['truncated', 'malformed']).toContain(r.error);
    return null;
  }
  const again = emitted(r.value);
  const r2 = w.parse(again);
  expect(r2.ok).toBe(true);
  if (r2.ok) expect(r2.value).toEqual(r.value);
  expect(emitted(r2.ok ? r2.value : r.value)).toEqual(again);
  return r.value;
}

function header(len: number, v: number, id: number): number[] {
  const out: number[] = [];
  for (const x of [len, v, id]) out.push(x & 255, (x >>> 8) & 255, (x >>> 16) & 255, x >>> 24);
  return out;
}

describe('sccp wire fuzz', () => {
  it('parse never throws on arbitrary bytes; a success is stable', () => {
    assertSeeded('sccp fuzz seed 0x5cc9', fc.property(fc.uint8Array({ maxLength: 300 }), (b) => { stable(b); }), 0x5cc9, fuzzRuns());
  });

  it('known ids with random bodies: typed errors or a stable round trip', () => {
    assertSeeded('sccp fuzz seed 0x5cca', fc.property(fc.constantFrom(...KNOWN), ver, fc.uint8Array({ maxLength: 900 }), (id, v, body) => {
      stable(new Uint8Array([...header(body.length + 4, v, id), ...body]));
    }), 0x5cca, fuzzRuns());
  });

  it('every generated message round-trips: fields back, bytes stable', () => {
    assertSeeded('sccp fuzz seed 0x5ccb', fc.property(msg, (m) => {
      const b = emitted(m);
      expect(w.frameLen(b)).toBe(b.length);
      const p = stable(b);
      expect(p).not.toBeNull();
      const got = p as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(m)) if (k !== 'rest' && k !== 'count') expect(got[k], k).toEqual(v);
      if ('rest' in m && m.rest !== undefined) expect(got.rest).toEqual(m.rest);
    }), 0x5ccb, fuzzRuns());
  });

  it('the frame reader gives the same frames whatever the chunking', () => {
    assertSeeded('sccp fuzz seed 0x5ccc', fc.property(fc.array(msg, { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 50 }), (ms, cuts) => {
      const frames = ms.map(emitted).filter((f) => f.length <= w.MAX_FRAME);
      const stream = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
      let at = 0;
      for (const f of frames) { stream.set(f, at); at += f.length; }
      const r = new w.FrameReader();
      const got: Uint8Array[] = [];
      let i = 0;
      let c = 0;
      while (i < stream.length) {
        const n = cuts[c++ % cuts.length];
        expect(r.push(stream.subarray(i, i + n), (f) => got.push(f.slice()))).toBeNull();
        i += n;
      }
      expect(got).toEqual(frames);
      expect(r.pending()).toBe(0);
    }), 0x5ccc, fuzzRuns());
  });

  it('the frame reader on arbitrary bytes: frames that fit, or one typed error', () => {
    assertSeeded('sccp fuzz seed 0x5ccd', fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), fc.integer({ min: 16, max: 4096 }), (chunks, size) => {
      const r = new w.FrameReader(size);
      for (const ch of chunks) {
        const e = r.push(ch, (f) => {
          expect(f.length).toBeLessThanOrEqual(size);
          expect(w.frameLen(f)).toBe(f.length);
        });
        if (e) expect(['malformed', 'too-large']).toContain(e.error);
      }
    }), 0x5ccd, fuzzRuns());
  });

  it('the session survives any stream the CallManager sends', () => {
    const frames = fc.oneof(msg.map(emitted), fc.uint8Array({ maxLength: 80 }));
    assertSeeded('sccp fuzz seed 0x5cce', fc.property(fc.array(frames, { maxLength: 30 }), fc.integer({ min: 1, max: 97 }), (fs, step) => {
      const c = new SccpClient({ mac: new Uint8Array(6), ip: 1, deviceType: 434, loadInfo: 'x', registerTimeoutMs: 1e9 });
      const out = { write: (b: Uint8Array) => { expect(w.parse(b).ok).toBe(true); return true; } };
      c.start(0);
      let now = 0;
      for (const f of fs) {
        for (let i = 0; i < f.length; i += step) c.receive(f.subarray(i, i + step), now);
        now += 1000;
        for (let k = 0; k < 40 && c.pollAt() <= now; k++) c.dispatch(now, out);
        let n = 0;
        while (c.poll() !== null) n++;
        expect(n).toBeLessThanOrEqual(16);
      }
      expect(['registering', 'configuring', 'registered', 'done']).toContain(c.state());
    }), 0x5cce, fuzzRuns());
  });
});
