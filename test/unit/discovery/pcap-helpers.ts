/**
 * Test helpers for discovery: a tiny classic-pcap reader and writer (LINKTYPE_ETHERNET,
 * microsecond records), the fixtures folder, and a tshark runner. Host code (Node) only.
 */
import { readFileSync, writeFileSync, existsSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, dirname, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** ../shared/fixtures beside the checkout. */
export const FIXTURES = resolve(here, '../../../../shared/fixtures');
export const haveFixtures = existsSync(FIXTURES);
export const TSHARK = '/usr/bin/tshark';
export const haveTshark = existsSync(TSHARK);

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

/** Frames of a classic pcap (either byte order, micro or nano seconds). */
export function readPcap(path: string): Uint8Array[] {
  const b = new Uint8Array(readFileSync(path));
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const magic = dv.getUint32(0, true);
  let le: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else throw new Error('not a classic pcap: ' + path);
  const out: Uint8Array[] = [];
  let at = 24;
  while (at + 16 <= b.length) {
    const incl = dv.getUint32(at + 8, le);
    at += 16;
    if (at + incl > b.length) throw new Error('truncated pcap record in ' + path);
    out.push(b.slice(at, at + incl));
    at += incl;
  }
  return out;
}

/** Write frames (with times in ms) to a classic little-endian pcap. */
export function writePcap(path: string, frames: Uint8Array[], timesMs?: number[]): void {
  let total = 24;
  for (const f of frames) total += 16 + f.length;
  const b = new Uint8Array(total);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 65535, true);
  dv.setUint32(20, 1, true);
  let at = 24;
  frames.forEach((f, i) => {
    const t = timesMs ? timesMs[i] : i;
    dv.setUint32(at, Math.floor(t / 1000), true);
    dv.setUint32(at + 4, Math.round((t % 1000) * 1000), true);
    dv.setUint32(at + 8, f.length, true);
    dv.setUint32(at + 12, f.length, true);
    b.set(f, at + 16);
    at += 16 + f.length;
  });
  writeFileSync(path, b);
}

export function tempPcap(name: string): string {
  return join(mkdtempSync(join(tmpdir(), 'dialtone-disc-')), name);
}

/** Run tshark on a pcap; returns stdout. */
export function tshark(path: string, args: string[]): string {
  return execFileSync(TSHARK, ['-r', path, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/** Frame numbers tshark calls malformed or with expert severity >= error (should be empty). */
export function tsharkProblems(path: string): string {
  return tshark(path, ['-Y', '_ws.malformed || _ws.expert.severity >= error', '-T', 'fields', '-e', 'frame.number',
    '-e', '_ws.expert.message']).trim();
}

/** One line per frame, tab-separated fields (empty string for an absent field). */
export function tsharkFields(path: string, fields: string[], filter?: string): string[][] {
  const args = ['-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  if (filter) args.push('-Y', filter);
  for (const f of fields) args.push('-e', f);
  const out = tshark(path, args);
  return out.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}
