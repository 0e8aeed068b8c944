/**
 * Policy and bounds of the stack in one place (smoltcp's RetryConfig, lwIP's opt.h):
 * every table, queue and buffer has its cap here, and README.md turns them into bytes.
 * `resolveOptions` fills the defaults once; the rest of the stack reads NetConfig only.
 */
import type { Clock } from '../../hal/clock';

export interface NetOptions {
  /** ARP cache entries (resolved + resolving). */
  arpEntries?: number;
  /** How long a resolved entry stays valid (ms). */
  arpTimeoutMs?: number;
  /** Interval between ARP requests for an unresolved address (ms). */
  arpRetryMs?: number;
  /** Requests sent before an unresolved address and its queued packets are given up. */
  arpRetries?: number;
  /** IP packets held while their next hop resolves (all addresses together). */
  arpQueuePackets?: number;
  /** RFC 5227 timing multiplier (1 = the RFC's PROBE_WAIT/PROBE_MIN/.../ANNOUNCE_INTERVAL). */
  probeTimeScale?: number;
  udpSockets?: number;
  tcpSockets?: number;
  tcpListeners?: number;
  /** Per-socket send buffer (bytes not yet acknowledged plus bytes not yet sent). */
  tcpSendBuffer?: number;
  /**
   * Per-socket receive buffer: holds out-of-order data only (in-order data goes straight to
   * onData), allocated at the first out-of-order segment; its size is the advertised window.
   */
  tcpRecvBuffer?: number;
  /** Out-of-order ranges held per socket. */
  tcpOooRanges?: number;
  /** MSS we advertise and our largest segment (1460 for a 1500-byte MTU). */
  tcpMss?: number;
  tcpInitialRtoMs?: number;
  tcpRtoMinMs?: number;
  tcpRtoMaxMs?: number;
  /** Retransmissions of one segment before the connection is dropped. */
  tcpMaxRetries?: number;
  /** SYN retransmissions before connect fails. */
  tcpSynRetries?: number;
  /** TIME-WAIT (RFC 9293 says 2*MSL = 4 min; a phone reopening to the same server shortens it). */
  tcpTimeWaitMs?: number;
  /** FIN-WAIT-2 without the peer's FIN before the socket is dropped (as Linux's tcp_fin_timeout). */
  tcpFinWait2Ms?: number;
  /** Keepalive idle time (0 = off by default; a socket may enable it with setKeepAlive). */
  tcpKeepIdleMs?: number;
  tcpKeepIntervalMs?: number;
  tcpKeepCount?: number;
  dnsCacheEntries?: number;
  dnsPending?: number;
  /** First wait for a DNS answer; doubled on each retry. */
  dnsTimeoutMs?: number;
  /** Queries sent per name before giving up (spread over the servers in turn). */
  dnsAttempts?: number;
  /** TTLs above this are capped (seconds). */
  dnsMaxTtlSec?: number;
  /** Outstanding pings. */
  pings?: number;
  ttl?: number;
}

export interface NetConfig {
  arpEntries: number;
  arpTimeoutMs: number;
  arpRetryMs: number;
  arpRetries: number;
  arpQueuePackets: number;
  probeTimeScale: number;
  udpSockets: number;
  tcpSockets: number;
  tcpListeners: number;
  tcpSendBuffer: number;
  tcpRecvBuffer: number;
  tcpOooRanges: number;
  tcpMss: number;
  tcpInitialRtoMs: number;
  tcpRtoMinMs: number;
  tcpRtoMaxMs: number;
  tcpMaxRetries: number;
  tcpSynRetries: number;
  tcpTimeWaitMs: number;
  tcpFinWait2Ms: number;
  tcpKeepIdleMs: number;
  tcpKeepIntervalMs: number;
  tcpKeepCount: number;
  dnsCacheEntries: number;
  dnsPending: number;
  dnsTimeoutMs: number;
  dnsAttempts: number;
  dnsMaxTtlSec: number;
  pings: number;
  ttl: number;
}

function pick(v: number | undefined, d: number, min: number, max: number, name: string): number {
  const x = v === undefined ? d : v;
  if (typeof x !== 'number' || x !== x || x < min || x > max) {
    throw new TypeError('NetOptions.' + name + ' must be in ' + min + '..' + max + ', got ' + x);
  }
  return x;
}

export function resolveOptions(o?: NetOptions): NetConfig {
  const p = o === undefined ? {} as NetOptions : o;
  return {
    arpEntries: pick(p.arpEntries, 16, 1, 1024, 'arpEntries'),
    arpTimeoutMs: pick(p.arpTimeoutMs, 60000, 1000, 86400000, 'arpTimeoutMs'),
    arpRetryMs: pick(p.arpRetryMs, 1000, 1, 60000, 'arpRetryMs'),
    arpRetries: pick(p.arpRetries, 3, 1, 100, 'arpRetries'),
    arpQueuePackets: pick(p.arpQueuePackets, 8, 0, 1024, 'arpQueuePackets'),
    probeTimeScale: pick(p.probeTimeScale, 1, 0.001, 100, 'probeTimeScale'),
    udpSockets: pick(p.udpSockets, 8, 1, 1024, 'udpSockets'),
    tcpSockets: pick(p.tcpSockets, 4, 1, 1024, 'tcpSockets'),
    tcpListeners: pick(p.tcpListeners, 4, 0, 64, 'tcpListeners'),
    tcpSendBuffer: pick(p.tcpSendBuffer, 8192, 536, 1048576, 'tcpSendBuffer'),
    tcpRecvBuffer: pick(p.tcpRecvBuffer, 8192, 536, 65535, 'tcpRecvBuffer'),
    tcpOooRanges: pick(p.tcpOooRanges, 4, 0, 64, 'tcpOooRanges'),
    tcpMss: pick(p.tcpMss, 1460, 88, 1460, 'tcpMss'),
    tcpInitialRtoMs: pick(p.tcpInitialRtoMs, 1000, 1, 60000, 'tcpInitialRtoMs'),
    tcpRtoMinMs: pick(p.tcpRtoMinMs, 1000, 1, 60000, 'tcpRtoMinMs'),
    tcpRtoMaxMs: pick(p.tcpRtoMaxMs, 60000, 1, 600000, 'tcpRtoMaxMs'),
    tcpMaxRetries: pick(p.tcpMaxRetries, 12, 1, 100, 'tcpMaxRetries'),
    tcpSynRetries: pick(p.tcpSynRetries, 5, 0, 100, 'tcpSynRetries'),
    tcpTimeWaitMs: pick(p.tcpTimeWaitMs, 2000, 0, 240000, 'tcpTimeWaitMs'),
    tcpFinWait2Ms: pick(p.tcpFinWait2Ms, 60000, 1, 3600000, 'tcpFinWait2Ms'),
    tcpKeepIdleMs: pick(p.tcpKeepIdleMs, 0, 0, 86400000, 'tcpKeepIdleMs'),
    tcpKeepIntervalMs: pick(p.tcpKeepIntervalMs, 75000, 1, 3600000, 'tcpKeepIntervalMs'),
    tcpKeepCount: pick(p.tcpKeepCount, 9, 1, 100, 'tcpKeepCount'),
    dnsCacheEntries: pick(p.dnsCacheEntries, 16, 0, 1024, 'dnsCacheEntries'),
    dnsPending: pick(p.dnsPending, 4, 1, 64, 'dnsPending'),
    dnsTimeoutMs: pick(p.dnsTimeoutMs, 2000, 1, 60000, 'dnsTimeoutMs'),
    dnsAttempts: pick(p.dnsAttempts, 4, 1, 32, 'dnsAttempts'),
    dnsMaxTtlSec: pick(p.dnsMaxTtlSec, 86400, 0, 604800, 'dnsMaxTtlSec'),
    pings: pick(p.pings, 4, 1, 64, 'pings'),
    ttl: pick(p.ttl, 64, 1, 255, 'ttl'),
  };
}

/** Counts of what the stack did and, above all, what it dropped and why. */
export interface NetCounters {
  rxFrames: number;
  txFrames: number;
  /** The port refused a frame (link down or its queue full). */
  txFailed: number;
  /** Frames too short for an Ethernet header. */
  rxRunt: number;
  /** Tagged with a VLAN other than ours. */
  rxWrongVlan: number;
  /** Unicast to another MAC. */
  rxNotForUs: number;
  /** Handed to onFrame handlers (CDP, LLDP, ...). */
  rxOther: number;
  /** Nothing took them (no onFrame handler). */
  rxUnhandled: number;
  rxArp: number;
  arpRequestsSent: number;
  arpRepliesSent: number;
  arpAnnouncementsSent: number;
  arpProbesSent: number;
  /** A packet could not be queued: the ARP queue or the cache was full. */
  arpQueueFull: number;
  /** Queued packets dropped because their next hop never answered. */
  arpUnresolved: number;
  /** Another MAC claimed our bound address. */
  arpConflicts: number;
  rxIp: number;
  /** Wrong checksum at any layer (IPv4 header, ICMP, UDP, TCP). */
  rxBadChecksum: number;
  /** Truncated / malformed / unsupported at any layer. */
  rxMalformed: number;
  rxFragments: number;
  /** IPv4 to an address that is not ours. */
  rxIpNotForUs: number;
  rxUnknownProtocol: number;
  rxIcmp: number;
  icmpEchoReplies: number;
  rxUdp: number;
  /** UDP to a port nobody listens on. */
  rxNoSocket: number;
  rxTcp: number;
  /** TCP to no connection or listener: answered with RST. */
  tcpResets: number;
  tcpRetransmits: number;
  tcpFastRetransmits: number;
  tcpTimeouts: number;
  /** No next hop (no address, or off-link without a gateway). */
  noRoute: number;
  dnsQueries: number;
  dnsCacheHits: number;
}

export function newCounters(): NetCounters {
  return {
    rxFrames: 0, txFrames: 0, txFailed: 0, rxRunt: 0, rxWrongVlan: 0, rxNotForUs: 0, rxOther: 0, rxUnhandled: 0,
    rxArp: 0, arpRequestsSent: 0, arpRepliesSent: 0, arpAnnouncementsSent: 0, arpProbesSent: 0, arpQueueFull: 0,
    arpUnresolved: 0, arpConflicts: 0, rxIp: 0, rxBadChecksum: 0, rxMalformed: 0, rxFragments: 0, rxIpNotForUs: 0,
    rxUnknownProtocol: 0, rxIcmp: 0, icmpEchoReplies: 0, rxUdp: 0, rxNoSocket: 0, rxTcp: 0, tcpResets: 0,
    tcpRetransmits: 0, tcpFastRetransmits: 0, tcpTimeouts: 0, noRoute: 0, dnsQueries: 0, dnsCacheHits: 0,
  };
}

/**
 * What sockets need from the interface (kept apart from iface.ts so the socket modules do
 * not import the interface: no import cycles).
 */
export interface IpLayer {
  readonly clock: Clock;
  readonly counters: NetCounters;
  readonly config: NetConfig;
  address(): number;
  /**
   * Where the next transport header and data go: a view into the transmit buffer after
   * the Ethernet and IPv4 headers, as long as the largest IPv4 payload (1480 bytes).
   * Valid until the next sendIp.
   */
  txPayload(): Uint8Array;
  /** Send `l4Len` bytes written at txPayload() to `dst`. False when dropped at once. */
  sendIp(dst: number, protocol: number, l4Len: number, tos: number): boolean;
  random32(): number;
}
