// Reads the frames of a pcap or pcapng file (little-endian, as the fixtures are) for tests.
import { readFileSync } from 'node:fs';

export const FIXTURES = '/work/shared/fixtures';

export function readFrames(path: string): Uint8Array[] {
  const b = new Uint8Array(readFileSync(path));
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const frames: Uint8Array[] = [];
  if (dv.getUint32(0, true) === 0xa1b2c3d4) {
    let at = 24;
    while (at + 16 <= b.length) {
      const cap = dv.getUint32(at + 8, true);
      frames.push(b.slice(at + 16, at + 16 + cap));
      at += 16 + cap;
    }
    return frames;
  }
  if (dv.getUint32(0, true) !== 0x0a0d0d0a) throw new Error('not a capture: ' + path);
  let at = 0;
  while (at + 12 <= b.length) {
    const type = dv.getUint32(at, true);
    const len = dv.getUint32(at + 4, true);
    if (len < 12) break;
    if (type === 6) {
      const cap = dv.getUint32(at + 20, true);
      frames.push(b.slice(at + 28, at + 28 + cap));
    }
    at += len;
  }
  return frames;
}

export function h(text: string): Uint8Array {
  // Hex with whitespace and // comments (field-commented vectors).
  const clean = text.replace(/\/\/[^\n]*/g, '').replace(/[^0-9a-fA-F]/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function filled(n: number): Uint8Array {
  return new Uint8Array(n).fill(0xa5);
}
