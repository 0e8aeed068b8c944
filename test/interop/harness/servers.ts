/**
 * Real Linux servers inside a lab namespace, started so that the caller knows when they
 * are ready (from their own log output, never a sleep), and stopped by the lab's teardown.
 */
import { writeFileSync } from 'node:fs';
import type { NetnsLab, LabSegment } from '../../../tools/bridge/lab';
import type { Daemon } from '../../../tools/bridge/proc';

export interface DnsmasqOptions {
  /** Config lines added after the base ones (address=/x/y, dhcp-range=..., enable-tftp, ...). */
  lines?: string[];
  /** DNS port; 0 turns DNS off (a DHCP/TFTP-only server). Default 53. */
  dnsPort?: number;
}

/**
 * dnsmasq bound to the segment's br0 address only (`listen-address` + `bind-interfaces`,
 * see interop.md section 2), no upstream resolvers and no /etc/hosts, logging to stderr.
 * Resolves when it has logged "started".
 */
export async function startDnsmasq(lab: NetnsLab, seg: LabSegment, dir: string, opts: DnsmasqOptions = {}): Promise<Daemon> {
  const conf = `${dir}/dnsmasq-${seg.netns}.conf`;
  const lines = [
    'keep-in-foreground',
    `port=${opts.dnsPort ?? 53}`,
    `listen-address=${seg.ip}`,
    'bind-interfaces',
    'no-resolv',
    'no-hosts',
    'log-queries',
    'log-facility=-',
    `pid-file=${dir}/dnsmasq-${seg.netns}.pid`,
    `dhcp-leasefile=${dir}/dnsmasq-${seg.netns}.leases`,
    'user=root',
    ...(opts.lines ?? []),
  ];
  // dnsmasq wants comments on their own lines; none are written here.
  writeFileSync(conf, lines.join('\n') + '\n');
  const d = lab.spawn(seg.netns, 'dnsmasq', [`--conf-file=${conf}`], `dnsmasq ${seg.netns}`);
  await d.waitForOutput(/started, version/, 10_000);
  return d;
}

/**
 * A TCP server that sends `file` to the first client and closes (socat -u FILE TCP-LISTEN).
 * Resolves when it listens.
 */
export async function serveFileOnce(lab: NetnsLab, netns: string, bindIp: string, port: number, file: string): Promise<Daemon> {
  const d = lab.spawn(netns, 'socat', ['-d', '-d', '-u', `FILE:${file}`, `TCP-LISTEN:${port},bind=${bindIp},reuseaddr`], `tcp source :${port}`);
  await d.waitForOutput(/listening on/, 10_000);
  return d;
}

/**
 * A TCP server that writes what the first client sends into `outFile` and exits when the
 * client closes (socat -u TCP-LISTEN CREATE). Await `daemon.exited` for the end.
 */
export async function receiveFileOnce(lab: NetnsLab, netns: string, bindIp: string, port: number, outFile: string): Promise<Daemon> {
  const d = lab.spawn(netns, 'socat', ['-d', '-d', '-u', `TCP-LISTEN:${port},bind=${bindIp},reuseaddr`, `CREATE:${outFile}`], `tcp sink :${port}`);
  await d.waitForOutput(/listening on/, 10_000);
  return d;
}

/** Resolve with the exit status, reject after `timeoutMs` (the daemon keeps running). */
export function exitWithin(d: Daemon, timeoutMs: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    d.exited.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${d.name} still running after ${timeoutMs} ms; output:\n${d.output()}`)), timeoutMs);
    }),
  ]);
}
