/**
 * Real TFTP servers for the interop tests and the benchmark: tftpd-hpa (Debian package),
 * atftpd (unpacked from its .deb into .cache/atftpd, since the package conflicts with
 * tftpd-hpa: reference/interop.md section 0; .ci/run fetches it), each bound to its own
 * address in a lab namespace, ready when it listens (never a sleep).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NetnsLab } from '../../../tools/bridge/lab';
import type { Daemon } from '../../../tools/bridge/proc';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The unpacked atftpd: $DIALTONE_ATFTPD, else .cache/atftpd/root/usr/sbin/atftpd; null when absent. */
export function atftpdPath(): string | null {
  const p = process.env.DIALTONE_ATFTPD ?? path.join(REPO, '.cache', 'atftpd', 'root', 'usr', 'sbin', 'atftpd');
  return existsSync(p) ? p : null;
}

export const ATFTPD_HINT = 'atftpd not unpacked: mkdir -p .cache/atftpd && cd .cache/atftpd && apt-get download atftpd && dpkg-deb -x atftpd_*.deb root (.ci/run does this)';

/** Resolve once `ip:port` is bound for UDP in `netns` (polls `ss`, bounded). */
export async function waitUdpListening(lab: NetnsLab, netns: string, ip: string, port: number, d: Daemon, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await lab.exec(netns, 'ss', ['-Hnlu', 'src', `${ip}:${port}`], { allowFail: true });
    if (r.stdout.includes(`${ip}:${port}`)) return;
    if (Date.now() > until) throw new Error(`${d.name} not listening on ${ip}:${port} after ${timeoutMs} ms; output:\n${d.output()}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Add `ip/prefix` to br0 of `netns` (one address per server, all on port 69). */
export async function addAddress(lab: NetnsLab, netns: string, cidr: string): Promise<void> {
  await lab.exec(netns, 'ip', ['addr', 'add', cidr, 'dev', 'br0']);
}

/** tftpd-hpa 5.2 (no windowsize; blksize up to 65464), serving `dir`. */
export async function startTftpdHpa(lab: NetnsLab, netns: string, ip: string, dir: string): Promise<Daemon> {
  const d = lab.spawn(netns, 'in.tftpd', ['--foreground', '--listen', '--address', `${ip}:69`, '--user', 'root', '--secure', dir], 'tftpd-hpa');
  await waitUdpListening(lab, netns, ip, 69, d);
  return d;
}

/** atftpd 0.8.0 (windowsize, RFC 7440), serving `dir`, logging to stdout. */
export async function startAtftpd(lab: NetnsLab, netns: string, ip: string, dir: string): Promise<Daemon> {
  const bin = atftpdPath();
  if (!bin) throw new Error(ATFTPD_HINT);
  const d = lab.spawn(netns, bin, ['--daemon', '--no-fork', '--bind-address', ip, '--port', '69', '--user', 'root.root', '--logfile', '-', dir], 'atftpd');
  await d.waitForOutput(/Advanced Trivial FTP server started/, 10_000);
  await waitUdpListening(lab, netns, ip, 69, d);
  return d;
}
