/**
 * The firmware's network stack (firmware/net) on a host: a minimal HAL for it (scheduler
 * clock, seeded entropy, a System that logs), starting it on a bridged phone port with a
 * static address, and bulk TCP flows with SHA-256 digests for the interop tests and the
 * benchmarks. Used by `dialtone bridge --phone`, test/interop/net and bench/net.bench.ts.
 */
import { createHash, type Hash } from 'node:crypto';
import type { EthernetPort } from '../../hal/ethernet';
import type { Scheduler } from '../../hal/sim/scheduler';
import { Prng } from '../../hal/sim/prng';
import { simHostHal } from '../../hal/sim/host';
import { NetInterface, type NetOptions, type TcpSocket } from '../../firmware/net/index';
import { parseIp, ipToString } from '../../lib/bytes';
import type { Bridge } from './rig';

export interface HostNetOptions {
  seed?: number;
  /** Log lines of the stack (warnings on conflicts etc.); default: dropped. */
  log?: (level: number, tag: string, message: string) => void;
  options?: NetOptions;
}

/** A NetInterface on `eth`, timed by `sched`, entropy from a seeded PRNG. */
export function hostInterface(sched: Scheduler, eth: EthernetPort, opts: HostNetOptions = {}): NetInterface {
  const hal = simHostHal(sched, eth, { label: 'bridged-stack', prng: new Prng(opts.seed ?? 1), bootAtMs: sched.now(), log: opts.log });
  return new NetInterface(hal, opts.options);
}

/** "10.77.0.2/24" -> address and mask as numbers. */
export function parseCidr(cidr: string): { ip: number; mask: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
  const ip = m ? parseIp(m[1]) : null;
  const len = m ? Number(m[2]) : -1;
  if (ip === null || !(len >= 0 && len <= 32)) throw new RangeError(`bad CIDR '${cidr}'`);
  return { ip, mask: len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0 };
}

export function ipOf(text: string): number {
  const ip = parseIp(text);
  if (ip === null) throw new RangeError(`bad IPv4 address '${text}'`);
  return ip;
}

export interface PhoneStackOptions {
  /** The phone's address with prefix, e.g. '10.77.0.2/24'. */
  address: string;
  gateway: string;
  /** VLAN to tag (0 / omitted = untagged). */
  vlan?: number;
  dnsServers?: string[];
  options?: NetOptions;
  seed?: number;
  log?: (level: number, tag: string, message: string) => void;
}

export interface PhoneStack {
  iface: NetInterface;
  describe(): string;
}

/** Start the firmware's stack on the bridge's phone port with a static address. */
export function startPhoneStack(br: Bridge, opts: PhoneStackOptions): PhoneStack {
  const iface = hostInterface(br.sched, br.phoneEth, { seed: opts.seed, log: opts.log, options: opts.options });
  const { ip, mask } = parseCidr(opts.address);
  br.driver.inject(() => {
    if (opts.vlan) iface.setVlan(opts.vlan, 5);
    iface.setAddress(ip, mask, ipOf(opts.gateway));
    if (opts.dnsServers) iface.setDnsServers(opts.dnsServers.map(ipOf));
    // Gratuitous ARP so Linux learns the phone at once (RFC 5227 2.3 announcement).
    iface.announce(ip);
  });
  return {
    iface,
    describe: () => `firmware stack ${opts.address} gw ${opts.gateway}${opts.vlan ? ` VLAN ${opts.vlan}` : ''}, MAC ${Array.from(br.phoneMac, (b) => b.toString(16).padStart(2, '0')).join(':')}`,
  };
}

/** Progress and result of one bulk flow; `done` once the connection closed. */
export interface Flow {
  bytes: number;
  sha256: string | null;
  /** The close reason (tcp REASON_*), null while open. */
  closed: string | null;
  connectedAt: number | null;
  closedAt: number | null;
  /** Received bytes (receive flows with `keep`), for byte-exact comparisons. */
  data: Uint8Array | null;
}

function newFlow(): Flow {
  return { bytes: 0, sha256: null, closed: null, connectedAt: null, closedAt: null, data: null };
}

/**
 * Receive everything the peer sends until it closes (FIN), then close our side. With
 * `keep` the bytes are kept (up to `keep` bytes) in `flow.data`.
 */
export function receiveAll(iface: NetInterface, ip: number, port: number, keep = 0): Flow {
  const flow = newFlow();
  const hash: Hash = createHash('sha256');
  const buf = keep > 0 ? new Uint8Array(keep) : null;
  let sock: TcpSocket | null = null;
  sock = iface.tcpConnect(ip, port, {
    onConnected: () => {
      flow.connectedAt = iface.clock.now();
    },
    onData: (bytes) => {
      hash.update(bytes);
      if (buf && flow.bytes + bytes.length <= buf.length) buf.set(bytes, flow.bytes);
      flow.bytes += bytes.length;
    },
    onEnd: () => sock?.close(),
    onClose: (reason) => {
      flow.closed = reason;
      flow.closedAt = iface.clock.now();
      flow.sha256 = hash.digest('hex');
      flow.data = buf ? buf.subarray(0, Math.min(flow.bytes, buf.length)) : null;
    },
  });
  if (!sock) throw new Error(`tcpConnect to ${ipToString(ip)}:${port} refused locally (socket table full)`);
  return flow;
}

/** Write `data` on a socket as the send buffer frees up, then close. */
function pump(sock: TcpSocket, data: Uint8Array, state: { off: number; closing: boolean }): void {
  while (state.off < data.length) {
    const n = sock.write(data.subarray(state.off, Math.min(data.length, state.off + 65536)));
    if (n <= 0) break;
    state.off += n;
  }
  if (state.off >= data.length && !state.closing) {
    state.closing = true;
    sock.close();
  }
}

/** Connect, send all of `data`, close; `flow.bytes` counts acknowledged bytes. */
export function sendAll(iface: NetInterface, ip: number, port: number, data: Uint8Array): Flow {
  const flow = newFlow();
  flow.sha256 = createHash('sha256').update(data).digest('hex');
  const state = { off: 0, closing: false };
  let sock: TcpSocket | null = null;
  sock = iface.tcpConnect(ip, port, {
    onConnected: () => {
      flow.connectedAt = iface.clock.now();
      pump(sock!, data, state);
    },
    onData: () => {},
    onSent: (n) => {
      flow.bytes += n;
      pump(sock!, data, state);
    },
    onClose: (reason) => {
      flow.closed = reason;
      flow.closedAt = iface.clock.now();
    },
  });
  if (!sock) throw new Error(`tcpConnect to ${ipToString(ip)}:${port} refused locally (socket table full)`);
  return flow;
}

/** Serve `data` to each client on `port` (then close), as a TCP source for benchmarks. */
export function serveData(iface: NetInterface, port: number, data: Uint8Array): void {
  const l = iface.tcpListen(port, (sock) => {
    const state = { off: 0, closing: false };
    return {
      onConnected: () => pump(sock, data, state),
      onData: () => {},
      onSent: () => pump(sock, data, state),
      onClose: () => {},
    };
  });
  if (!l) throw new Error(`tcpListen ${port} failed`);
}
