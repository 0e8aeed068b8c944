/**
 * Simulated NOR flash with power-cut injection (reference/flash_boot.md section 4).
 *
 * Semantics: erase sets a sector to 0xFF; program only clears bits (a program that would
 * set a bit writes nothing and returns FLASH_E_SETBIT: the sim is stricter than silicon,
 * which would AND, so a missed erase is a visible bug); program address and length are
 * multiples of writeAlign; erase takes a sector-aligned address. A program may span
 * sectors (the board adapter splits it into pages; the 256-byte page wrap of SPI NOR is
 * the adapter's business, not modelled).
 *
 * Operations are numbered 1, 2, ... over program + erase calls that pass the argument
 * checks (those reach the chip). `cutPowerAt(n, mode)` makes operation n fail:
 *   'before': nothing happens;  'after': it completes;
 *   'torn':   a program lands a prefix of its bytes, and the bits of the rest of the write
 *             unit at the boundary are cleared only in part; an erase leaves a prefix of the
 *             sector at 0xFF, then a stretch with random bits set (an undefined mix), then
 *             the old contents.
 * In every mode SimFlash then throws `PowerCut`, and every later call (reads too) throws
 * it again until `powerRestored()`, as a board without power runs nothing.
 * Torn outcomes come from the flash's own seeded Prng.
 */
import type { FlashGeometry, FlashStatus, NorFlash } from '../flash';
import { FLASH_E_ALIGN, FLASH_E_IO, FLASH_E_RANGE, FLASH_E_SETBIT, FLASH_OK } from '../flash';
import { Prng } from './prng';

/** Thrown by SimFlash when the injected power cut happens (host only: target code never sees it). */
export class PowerCut extends Error {
  /** The operation number at which power failed. */
  readonly opIndex: number;
  constructor(opIndex: number, detail: string) {
    super(`power cut at flash operation ${opIndex} (${detail})`);
    this.name = 'PowerCut';
    this.opIndex = opIndex;
  }
}

export type PowerCutMode = 'before' | 'after' | 'torn';

const KiB = 1024;
const MiB = 1024 * KiB;

export const FLASH_PRESETS = {
  /** A 4 MiB SPI NOR with 4 KiB sectors (W25Q32-like), 4-byte program unit (ESP32 flash API). */
  'nor-4m': { size: 4 * MiB, sectorSize: 4 * KiB, writeAlign: 4 },
  /** 8 MiB erased in 64 KiB blocks. */
  'nor-8m-64k': { size: 8 * MiB, sectorSize: 64 * KiB, writeAlign: 4 },
  /** 16 MiB, 4 KiB sectors, 16-byte program unit (as with ESP32 flash encryption). */
  'nor-16m-align16': { size: 16 * MiB, sectorSize: 4 * KiB, writeAlign: 16 },
  /** Small enough for exhaustive power-cut loops: 64 KiB, 4 KiB sectors, 4-byte unit. */
  'tiny': { size: 64 * KiB, sectorSize: 4 * KiB, writeAlign: 4 },
  /** Byte-programmable, 1 KiB sectors (odd sizes catch alignment assumptions). */
  'tiny-byte': { size: 16 * KiB, sectorSize: 1 * KiB, writeAlign: 1 },
} as const satisfies Record<string, FlashGeometry>;

export type FlashPreset = keyof typeof FLASH_PRESETS;

export interface SimFlashOptions {
  /** Random stream for torn outcomes (default: a fixed seed, so a flash alone is deterministic). */
  prng?: Prng;
  /** Erase cycles a sector survives; the next erase of a worn sector returns FLASH_E_IO. Default: unlimited. */
  enduranceCycles?: number;
  /** Initial contents (default all 0xFF, as shipped). */
  contents?: Uint8Array;
}

export interface FlashOp {
  index: number;
  kind: 'program' | 'erase';
  addr: number;
  length: number;
}

function isPow2(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

export class SimFlash implements NorFlash {
  readonly geometry: FlashGeometry;
  private mem: Uint8Array;
  private readonly erases: Uint32Array;
  private readonly rng: Prng;
  private readonly endurance: number;
  private cutAt = 0;
  private cutMode: PowerCutMode = 'before';
  private dead: PowerCut | null = null;
  private opHook: ((op: FlashOp) => void) | null = null;
  /** Program + erase operations so far (a cut operation counts). */
  ops = 0;

  constructor(geometry: FlashGeometry | FlashPreset, options: SimFlashOptions = {}) {
    const g = typeof geometry === 'string' ? FLASH_PRESETS[geometry] : geometry;
    if (!g) throw new RangeError(`SimFlash: unknown preset ${String(geometry)}`);
    if (!isPow2(g.sectorSize) || !isPow2(g.writeAlign) || g.writeAlign > g.sectorSize) {
      throw new RangeError('SimFlash: sectorSize and writeAlign must be powers of two, writeAlign <= sectorSize');
    }
    if (!Number.isInteger(g.size) || g.size <= 0 || g.size % g.sectorSize !== 0) {
      throw new RangeError('SimFlash: size must be a positive multiple of sectorSize');
    }
    this.geometry = { size: g.size, sectorSize: g.sectorSize, writeAlign: g.writeAlign };
    this.mem = new Uint8Array(g.size).fill(0xff);
    if (options.contents) this.restore(options.contents);
    this.erases = new Uint32Array(g.size / g.sectorSize);
    this.rng = options.prng ?? new Prng(0x5eed_f1a5);
    this.endurance = options.enduranceCycles ?? Infinity;
  }

  read(addr: number, out: Uint8Array): FlashStatus {
    this.checkPower();
    if (!this.inRange(addr, out.length)) return FLASH_E_RANGE;
    out.set(this.mem.subarray(addr, addr + out.length));
    return FLASH_OK;
  }

  program(addr: number, data: Uint8Array): FlashStatus {
    this.checkPower();
    if (!this.inRange(addr, data.length)) return FLASH_E_RANGE;
    const a = this.geometry.writeAlign;
    if (addr % a !== 0 || data.length % a !== 0) return FLASH_E_ALIGN;
    if (data.length === 0) return FLASH_OK;
    const index = this.beginOp('program', addr, data.length);
    for (let i = 0; i < data.length; i++) {
      if ((data[i] & ~this.mem[addr + i]) !== 0) {
        this.endOp(index);
        return FLASH_E_SETBIT;
      }
    }
    if (index === this.cutAt && this.cutMode === 'torn') {
      this.tornProgram(addr, data);
      throw this.cut(index, 'torn program');
    }
    this.mem.set(data, addr);
    this.endOp(index);
    return FLASH_OK;
  }

  erase(addr: number): FlashStatus {
    this.checkPower();
    const s = this.geometry.sectorSize;
    if (!Number.isInteger(addr) || addr < 0 || addr >= this.geometry.size) return FLASH_E_RANGE;
    if (addr % s !== 0) return FLASH_E_ALIGN;
    const sector = addr / s;
    if (this.erases[sector] >= this.endurance) return FLASH_E_IO;
    const index = this.beginOp('erase', addr, s);
    this.erases[sector]++;
    if (index === this.cutAt && this.cutMode === 'torn') {
      this.tornErase(addr);
      throw this.cut(index, 'torn erase');
    }
    this.mem.fill(0xff, addr, addr + s);
    this.endOp(index);
    return FLASH_OK;
  }

  /** Arm a power cut at operation `opIndex` (1-based, counted from this flash's creation; compare `ops`). 0 disarms. */
  cutPowerAt(opIndex: number, mode: PowerCutMode): void {
    if (!Number.isInteger(opIndex) || opIndex < 0) throw new RangeError('cutPowerAt: opIndex must be an integer >= 0');
    if (opIndex !== 0 && opIndex <= this.ops) throw new RangeError(`cutPowerAt: operation ${opIndex} already happened (ops = ${this.ops})`);
    this.cutAt = opIndex;
    this.cutMode = mode;
  }

  /** True between a cut and powerRestored(). */
  isPoweredOff(): boolean {
    return this.dead !== null;
  }

  /** Power is back: operations work again (the contents are whatever the cut left). */
  powerRestored(): void {
    this.dead = null;
  }

  /** Erase cycles per sector so far. */
  eraseCounts(): Uint32Array {
    return this.erases.slice();
  }

  /** A copy of the whole contents (works while powered off, for inspection). */
  snapshot(): Uint8Array {
    return this.mem.slice();
  }

  /** Replace the whole contents (erase counts and the op counter are kept). */
  restore(bytes: Uint8Array): void {
    if (bytes.length !== this.geometry.size) throw new RangeError(`SimFlash.restore: need ${this.geometry.size} bytes, got ${bytes.length}`);
    this.mem = bytes.slice();
  }

  /** Observe each operation as it starts (for tests that map op numbers to what the code was doing). */
  onOperation(hook: ((op: FlashOp) => void) | null): void {
    this.opHook = hook;
  }

  private inRange(addr: number, length: number): boolean {
    return Number.isInteger(addr) && addr >= 0 && addr + length <= this.geometry.size;
  }

  private checkPower(): void {
    if (this.dead) throw this.dead;
  }

  /** Count the operation; a 'before' cut fires here, before anything changes. */
  private beginOp(kind: 'program' | 'erase', addr: number, length: number): number {
    const index = ++this.ops;
    if (this.opHook) this.opHook({ index, kind, addr, length });
    if (index === this.cutAt && this.cutMode === 'before') throw this.cut(index, `before ${kind} @0x${addr.toString(16)}`);
    return index;
  }

  /** An 'after' cut fires once the operation has fully landed (or failed with nothing to tear). */
  private endOp(index: number): void {
    if (index === this.cutAt && this.cutMode !== 'before') throw this.cut(index, this.cutMode === 'after' ? 'after' : 'torn, nothing written');
  }

  private cut(index: number, detail: string): PowerCut {
    this.cutAt = 0;
    this.dead = new PowerCut(index, detail);
    return this.dead;
  }

  private tornProgram(addr: number, data: Uint8Array): void {
    const a = this.geometry.writeAlign;
    // k bytes land whole (0 <= k < length, so the write is never complete).
    const k = this.rng.int(0, data.length - 1);
    this.mem.set(data.subarray(0, k), addr);
    // The rest of the write unit holding byte k: only some of its 1 -> 0 transitions happen.
    const end = Math.min(data.length, (Math.floor(k / a) + 1) * a);
    for (let i = k; i < end; i++) {
      const old = this.mem[addr + i];
      const clears = old & ~data[i] & 0xff;
      this.mem[addr + i] = old & ~(clears & this.rng.int(0, 255));
    }
  }

  private tornErase(addr: number): void {
    const s = this.geometry.sectorSize;
    const k = this.rng.int(0, s - 1);
    this.mem.fill(0xff, addr, addr + k);
    // An undefined mix after the erased prefix: some bits set, never cleared.
    const mixEnd = Math.min(s, k + this.rng.int(1, Math.max(1, s >> 2)));
    for (let i = k; i < mixEnd; i++) this.mem[addr + i] |= this.rng.int(0, 255);
  }
}
