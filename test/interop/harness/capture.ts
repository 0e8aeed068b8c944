/**
 * Packet captures and tshark checks for interop tests.
 *
 * `startCapture` runs tcpdump inside a lab namespace on one interface (usually the
 * segment's tap, which carries exactly the frames crossing the bridge). Per
 * reference/interop.md it uses `--immediate-mode -U` (else a short test captures nothing)
 * and is stopped with SIGINT so the file is flushed.
 *
 * `tsharkProblems` dissects a pcap with checksum validation on for IP, TCP, UDP and ICMP
 * and returns every frame that is malformed or carries an expert item of severity error
 * (bad checksums are errors once validation is on). tshark exits 0 even on malformed
 * frames, so the output is what is tested.
 */
import type { NetnsLab } from '../../../tools/bridge/lab';
import { sh, type Daemon } from '../../../tools/bridge/proc';

export const CHECKSUM_PREFS = [
  '-o', 'ip.check_checksum:TRUE',
  '-o', 'tcp.check_checksum:TRUE',
  '-o', 'udp.check_checksum:TRUE',
];

export interface Capture {
  file: string;
  daemon: Daemon;
  /** SIGINT, wait for tcpdump to flush and exit; returns the file. */
  stop(): Promise<string>;
}

/** Start tcpdump in `netns` on `iface`, writing `file`; resolves once it is listening. */
export async function startCapture(lab: NetnsLab, netns: string, iface: string, file: string, filter: string[] = []): Promise<Capture> {
  const daemon = lab.spawn(netns, 'tcpdump', ['--immediate-mode', '-U', '-Z', 'root', '-i', iface, '-n', '-s', '0', '-w', file, ...filter], `tcpdump ${iface}`);
  await daemon.waitForOutput(/listening on/, 10_000);
  return {
    file,
    daemon,
    stop: async () => {
      await daemon.stop('SIGINT', 5_000);
      return file;
    },
  };
}

export interface TsharkReport {
  /** Frames in the capture. */
  frames: number;
  /** One line per problem frame: "frame N: <severity> <group>: <message>" or "frame N: malformed". */
  problems: string[];
  /** Protocol column counts ("TCP" -> 812), to check the capture holds what the test did. */
  protocols: Record<string, number>;
}

/** Dissect `file`; `decodeAs` are extra `-d` rules like 'udp.port==1069,tftp'. */
export async function tsharkProblems(file: string, decodeAs: string[] = []): Promise<TsharkReport> {
  const d = decodeAs.flatMap((x) => ['-d', x]);
  const base = ['-n', '-r', file, ...CHECKSUM_PREFS, ...d];
  const all = await sh('tshark', [...base, '-T', 'fields', '-e', 'frame.number', '-e', '_ws.col.Protocol'], { timeoutMs: 120_000 });
  const protocols: Record<string, number> = {};
  let frames = 0;
  for (const line of all.stdout.split('\n')) {
    if (!line.trim()) continue;
    frames++;
    const proto = line.split('\t')[1] ?? '?';
    protocols[proto] = (protocols[proto] ?? 0) + 1;
  }
  const bad = await sh('tshark', [
    ...base, '-Y', '_ws.malformed || _ws.expert.severity >= error',
    '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|',
    '-e', 'frame.number', '-e', '_ws.malformed', '-e', '_ws.expert.group', '-e', '_ws.expert.message',
  ], { timeoutMs: 120_000 });
  const problems: string[] = [];
  for (const line of bad.stdout.split('\n')) {
    if (!line.trim()) continue;
    const [n, malformed, group, message] = line.split('\t');
    problems.push(`frame ${n}: ${malformed ? 'malformed ' : ''}${group ?? ''}: ${message ?? ''}`.trim());
  }
  return { frames, problems, protocols };
}
