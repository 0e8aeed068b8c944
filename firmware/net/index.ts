/**
 * The IP stack's public surface (see README.md). Firmware modules import from here.
 */
export { NetInterface, TcpListener, PROBE_WAIT, PROBE_NUM, PROBE_MIN, PROBE_MAX, ANNOUNCE_WAIT, ANNOUNCE_NUM,
  ANNOUNCE_INTERVAL, DEFEND_INTERVAL, IP_MTU } from './iface';
export type { NetHal } from './iface';
export { UdpSocket, UDP_MAX_PAYLOAD } from './udp';
export type { UdpHandler } from './udp';
export { TcpSocket } from './tcp';
export type { TcpEvents } from './tcp';
export { DnsResolver } from './resolver';
export type { ResolveCallback } from './resolver';
export { resolveOptions, newCounters } from './options';
export type { NetOptions, NetConfig, NetCounters, IpLayer } from './options';
