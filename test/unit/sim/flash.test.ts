import { describe, expect, it } from 'vitest';
import { FLASH_PRESETS, PowerCut, SimFlash, type FlashOp } from '../../../hal/sim/flash';
import { Prng } from '../../../hal/sim/prng';
import { FLASH_E_ALIGN, FLASH_E_IO, FLASH_E_RANGE, FLASH_E_SETBIT, FLASH_OK } from '../../../hal/flash';

const S = 4096;

function read(f: SimFlash, addr: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  expect(f.read(addr, out)).toBe(FLASH_OK);
  return out;
}

function filled(len: number, v: number): Uint8Array {
  return new Uint8Array(len).fill(v);
}

describe('SimFlash NOR semantics', () => {
  it('presets have sane geometry and start erased', () => {
    for (const [name, g] of Object.entries(FLASH_PRESETS)) {
      const f = new SimFlash(name as keyof typeof FLASH_PRESETS);
      expect(f.geometry).toEqual(g);
      expect(g.size % g.sectorSize).toBe(0);
    }
    const f = new SimFlash('tiny');
    expect(read(f, 0, 64).every((b) => b === 0xff)).toBe(true);
    expect(() => new SimFlash({ size: 10000, sectorSize: 4096, writeAlign: 4 })).toThrow(RangeError);
    expect(() => new SimFlash({ size: 8192, sectorSize: 4096, writeAlign: 3 })).toThrow(RangeError);
  });

  it('program clears bits; a program that would set a bit writes nothing', () => {
    const f = new SimFlash('tiny');
    expect(f.program(8, new Uint8Array([0xf0, 0x0f, 0xff, 0x00]))).toBe(FLASH_OK);
    expect([...read(f, 8, 4)]).toEqual([0xf0, 0x0f, 0xff, 0x00]);
    // Clearing more bits of a programmed word is fine (NOR allows it).
    expect(f.program(8, new Uint8Array([0x30, 0x0f, 0xfe, 0x00]))).toBe(FLASH_OK);
    expect([...read(f, 8, 4)]).toEqual([0x30, 0x0f, 0xfe, 0x00]);
    // One bit 0 -> 1 in the last byte: refused, and the first bytes are not written either.
    expect(f.program(8, new Uint8Array([0x00, 0x00, 0x00, 0x01]))).toBe(FLASH_E_SETBIT);
    expect([...read(f, 8, 4)]).toEqual([0x30, 0x0f, 0xfe, 0x00]);
  });

  it('checks alignment of program and erase', () => {
    const f = new SimFlash('tiny');
    expect(f.program(2, filled(4, 0))).toBe(FLASH_E_ALIGN);
    expect(f.program(4, filled(6, 0))).toBe(FLASH_E_ALIGN);
    expect(f.erase(100)).toBe(FLASH_E_ALIGN);
    expect(f.ops).toBe(0); // refused calls never reach the chip
    const b = new SimFlash('tiny-byte');
    expect(b.program(3, filled(5, 0))).toBe(FLASH_OK);
    expect(b.erase(512)).toBe(FLASH_E_ALIGN);
  });

  it('checks ranges of read, program and erase', () => {
    const f = new SimFlash('tiny');
    const size = f.geometry.size;
    expect(f.read(size - 4, new Uint8Array(8))).toBe(FLASH_E_RANGE);
    expect(f.read(-4, new Uint8Array(4))).toBe(FLASH_E_RANGE);
    expect(f.read(1.5, new Uint8Array(4))).toBe(FLASH_E_RANGE);
    expect(f.program(size, filled(4, 0))).toBe(FLASH_E_RANGE);
    expect(f.program(size - 4, filled(8, 0))).toBe(FLASH_E_RANGE);
    expect(f.erase(size)).toBe(FLASH_E_RANGE);
    expect(f.erase(-S)).toBe(FLASH_E_RANGE);
    expect(f.read(size - 4, new Uint8Array(4))).toBe(FLASH_OK);
  });

  it('erase sets the sector (only) to 0xFF and counts cycles and ops', () => {
    const f = new SimFlash('tiny');
    f.program(S - 4, filled(8, 0)); // spans sectors 0 and 1
    expect(f.erase(S)).toBe(FLASH_OK);
    expect([...read(f, S - 4, 8)]).toEqual([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    f.erase(S);
    f.erase(0);
    expect([...f.eraseCounts().subarray(0, 3)]).toEqual([1, 2, 0]);
    expect(f.ops).toBe(4);
  });

  it('a worn sector fails erase with FLASH_E_IO', () => {
    const f = new SimFlash('tiny', { enduranceCycles: 3 });
    for (let i = 0; i < 3; i++) expect(f.erase(0)).toBe(FLASH_OK);
    expect(f.erase(0)).toBe(FLASH_E_IO);
    expect(f.erase(S)).toBe(FLASH_OK);
  });

  it('snapshot and restore', () => {
    const f = new SimFlash('tiny');
    f.program(0, new Uint8Array([1, 2, 3, 4]));
    const snap = f.snapshot();
    f.erase(0);
    f.restore(snap);
    expect([...read(f, 0, 4)]).toEqual([1, 2, 3, 4]);
    expect(() => f.restore(new Uint8Array(10))).toThrow(RangeError);
    const g = new SimFlash('tiny', { contents: snap });
    expect([...read(g, 0, 4)]).toEqual([1, 2, 3, 4]);
  });
});

describe('SimFlash power cuts', () => {
  /** Three operations: erase sector 0, program 16 bytes at 0, program 16 bytes at 16. */
  function script(f: SimFlash): void {
    f.erase(0);
    f.program(0, filled(16, 0x11));
    f.program(16, filled(16, 0x22));
  }

  it("'before': the cut operation does not happen; everything after throws until power returns", () => {
    const f = new SimFlash('tiny');
    f.program(0, filled(4, 0x55));
    f.cutPowerAt(4, 'before'); // op 4 = the script's second program
    expect(() => script(f)).toThrow(PowerCut);
    expect(f.ops).toBe(4);
    expect(f.isPoweredOff()).toBe(true);
    expect(() => f.read(0, new Uint8Array(4))).toThrow(PowerCut);
    expect(() => f.erase(0)).toThrow(PowerCut);
    f.powerRestored();
    expect(read(f, 0, 16).every((b) => b === 0x11)).toBe(true);
    expect(read(f, 16, 16).every((b) => b === 0xff)).toBe(true);
    expect(f.ops).toBe(4); // the refused calls did not count
  });

  it("'after': the cut operation lands whole, then power fails", () => {
    const f = new SimFlash('tiny');
    f.cutPowerAt(2, 'after');
    let err: unknown;
    try { script(f); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(PowerCut);
    expect((err as PowerCut).opIndex).toBe(2);
    f.powerRestored();
    expect(read(f, 0, 16).every((b) => b === 0x11)).toBe(true);
    expect(read(f, 16, 16).every((b) => b === 0xff)).toBe(true);
  });

  it("'torn' program: a prefix lands, the boundary unit is partly programmed, the rest untouched", () => {
    let partial = 0;
    const prefixes = new Set<number>();
    for (let seed = 1; seed <= 200; seed++) {
      const f = new SimFlash('tiny', { prng: new Prng(seed) });
      const data = new Uint8Array(64);
      for (let i = 0; i < 64; i++) data[i] = (i * 37) & 0xff;
      f.cutPowerAt(1, 'torn');
      expect(() => f.program(0, data)).toThrow(PowerCut);
      f.powerRestored();
      const got = read(f, 0, 64);
      let k = 0;
      while (k < 64 && got[k] === data[k]) k++;
      expect(k).toBeLessThan(64); // never complete (data has no 0xff byte a partial clear could hit)
      prefixes.add(k >> 2);
      for (let i = 0; i < 64; i++) {
        expect(got[i] & ~0xff).toBe(0);
        expect(data[i] & ~got[i]).toBe(0); // no bit cleared that the data keeps set
      }
      // After the write unit holding byte k nothing was programmed.
      const unitEnd = (Math.floor(k / 4) + 1) * 4;
      expect(got.subarray(unitEnd).every((b) => b === 0xff)).toBe(true);
      for (let i = k; i < unitEnd; i++) if (got[i] !== 0xff && got[i] !== data[i]) partial++;
    }
    expect(prefixes.size).toBeGreaterThan(8); // different cut points
    expect(partial).toBeGreaterThan(0); // some words half-programmed
  });

  it("'torn' erase: an erased prefix, a stretch of set bits, old contents after; never clears a bit", () => {
    let sawOld = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const f = new SimFlash('tiny', { prng: new Prng(seed) });
      f.program(0, filled(S, 0x00));
      f.cutPowerAt(2, 'torn');
      expect(() => f.erase(0)).toThrow(PowerCut);
      f.powerRestored();
      const got = read(f, 0, S);
      expect(got.every((b) => b === 0xff)).toBe(false);
      let k = 0;
      while (k < S && got[k] === 0xff) k++;
      expect(k).toBeGreaterThan(0);
      if (got[S - 1] === 0x00) sawOld++;
      expect(f.eraseCounts()[0]).toBe(1);
    }
    expect(sawOld).toBeGreaterThan(0);
  });

  it('torn outcomes are reproducible per seed', () => {
    const run = (seed: number) => {
      const f = new SimFlash('tiny', { prng: new Prng(seed) });
      f.cutPowerAt(1, 'torn');
      try { f.program(0, filled(256, 0)); } catch { /* cut */ }
      return Buffer.from(f.snapshot().subarray(0, 256)).toString('hex');
    };
    expect(run(9)).toBe(run(9));
    expect(run(9)).not.toBe(run(10));
  });

  it('a cut fires at exactly operation N for every N and mode (the power-cut-at-every-op loop)', () => {
    for (const mode of ['before', 'after', 'torn'] as const) {
      for (let n = 1; n <= 3; n++) {
        const f = new SimFlash('tiny');
        const seen: FlashOp[] = [];
        f.onOperation((op) => seen.push(op));
        f.cutPowerAt(n, mode);
        expect(() => script(f)).toThrow(PowerCut);
        expect(seen.length).toBe(n);
        expect(seen[n - 1].kind).toBe(n === 1 ? 'erase' : 'program');
      }
    }
  });

  it('a torn program that would set a bit still cuts, writing nothing', () => {
    const f = new SimFlash('tiny');
    f.program(0, filled(4, 0));
    f.cutPowerAt(2, 'torn');
    expect(() => f.program(0, filled(4, 1))).toThrow(PowerCut);
    f.powerRestored();
    expect([...read(f, 0, 4)]).toEqual([0, 0, 0, 0]);
  });

  it('refuses to arm a cut in the past', () => {
    const f = new SimFlash('tiny');
    f.erase(0);
    expect(() => f.cutPowerAt(1, 'before')).toThrow(RangeError);
    f.cutPowerAt(0, 'before'); // disarm
    expect(f.erase(0)).toBe(FLASH_OK);
  });
});
