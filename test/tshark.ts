/**
 * tshark as the tests' independent dissector. tshark exits 0 even on malformed frames, so
 * the output is what is checked. Checksum validation is switched on for IP, TCP and UDP,
 * which turns a bad checksum into an expert error (reference/interop.md section 6).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PcapWriter } from '../hal/sim/pcap';

export const haveTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;

export const CHECKSUM_PREFS = [
  '-o', 'ip.check_checksum:TRUE',
  '-o', 'tcp.check_checksum:TRUE',
  '-o', 'udp.check_checksum:TRUE',
];

function tshark(file: string, args: string[], decodeAs: string[] = []): string {
  const d = decodeAs.flatMap((x) => ['-d', x]);
  return execFileSync('tshark', ['-n', '-r', file, ...CHECKSUM_PREFS, ...d, ...args], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 * 1024 * 1024, timeout: 120_000,
  });
}

export interface TsharkReport {
  /** Frames in the capture. */
  frames: number;
  /** One line per problem frame: "frame N: [malformed] <group>: <message>". Empty when clean. */
  problems: string[];
  /** Protocol column counts ("TCP" -> 812), to check the capture holds what the test did. */
  protocols: Record<string, number>;
}

/** Dissect `file`; `decodeAs` are extra `-d` rules like 'udp.port==1069,tftp'. */
export function tsharkReport(file: string, decodeAs: string[] = []): TsharkReport {
  const protocols: Record<string, number> = {};
  let frames = 0;
  for (const line of tshark(file, ['-T', 'fields', '-e', 'frame.number', '-e', '_ws.col.Protocol'], decodeAs).split('\n')) {
    if (!line.trim()) continue;
    frames++;
    const proto = line.split('\t')[1] ?? '?';
    protocols[proto] = (protocols[proto] ?? 0) + 1;
  }
  const bad = tshark(file, [
    '-Y', '_ws.malformed || _ws.expert.severity >= error',
    '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|',
    '-e', 'frame.number', '-e', '_ws.malformed', '-e', '_ws.expert.group', '-e', '_ws.expert.message',
  ], decodeAs);
  const problems: string[] = [];
  for (const line of bad.split('\n')) {
    if (!line.trim()) continue;
    const [n, malformed, group, message] = line.split('\t');
    problems.push(`frame ${n}: ${malformed ? 'malformed ' : ''}${group ?? ''}: ${message ?? ''}`.trim());
  }
  return { frames, problems, protocols };
}

/** One row per frame matching `filter`, the fields in order (several occurrences joined by ','). */
export function tsharkFields(file: string, fields: string[], filter?: string): string[][] {
  const args = ['-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  if (filter) args.push('-Y', filter);
  for (const f of fields) args.push('-e', f);
  return tshark(file, args).split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

/**
 * Write a capture to a fresh temp folder and return its path: a pcap file's bytes as they
 * are, a writer's capture, or frames (stamped 0, 1, 2 ... ms).
 */
export function tempCapture(name: string, content: Uint8Array | PcapWriter | Uint8Array[]): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'dialtone-cap-')), name);
  if (content instanceof Uint8Array) {
    writeFileSync(file, content);
    return file;
  }
  let w: PcapWriter;
  if (content instanceof PcapWriter) {
    w = content;
  } else {
    w = new PcapWriter();
    content.forEach((f, i) => w.write(f, i));
  }
  w.writeFile(file);
  return file;
}
