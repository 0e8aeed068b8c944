/**
 * UDP sockets (RFC 768): bind a local port, send datagrams, receive them through a
 * callback. Datagrams are never queued: a received one is handed over during the frame's
 * callback (the view is valid only during the call), and sendTo builds its datagram in the
 * interface's transmit buffer at once. Memory per socket: a few fields, no buffer.
 */
import type { IpLayer } from './options';
import * as udp from './wire/udp';
import { PROTO_UDP } from './wire/ipv4';

export type UdpHandler = (data: Uint8Array, srcIp: number, srcPort: number, dstIp: number) => void;

/** The largest datagram payload that fits one unfragmented IPv4 packet on Ethernet. */
export const UDP_MAX_PAYLOAD = 1500 - 20 - udp.HEADER_LEN;

export class UdpSocket {
  readonly localPort: number;
  private readonly ip: IpLayer;
  private handler: UdpHandler;
  private readonly release: (s: UdpSocket) => void;
  private open = true;
  /** DSCP/ECN byte for what this socket sends (e.g. 0xb8 = EF for RTP, 0x60 = CS3 for signalling). */
  tos = 0;

  constructor(ip: IpLayer, localPort: number, handler: UdpHandler, release: (s: UdpSocket) => void) {
    this.ip = ip;
    this.localPort = localPort;
    this.handler = handler;
    this.release = release;
  }

  /**
   * Send one datagram. Works without an address (source 0.0.0.0, as DHCP needs) and to
   * 255.255.255.255 (broadcast MAC, no ARP). False when closed, too large, or dropped at once
   * (no route, ARP queue full, link down); a datagram waiting for ARP counts as sent.
   */
  sendTo(dstIp: number, dstPort: number, data: Uint8Array): boolean {
    if (!this.open) return false;
    if (data.length > UDP_MAX_PAYLOAD) throw new TypeError('UdpSocket.sendTo: ' + data.length + ' bytes > ' + UDP_MAX_PAYLOAD);
    const buf = this.ip.txPayload();
    buf.set(data, udp.HEADER_LEN);
    const n = udp.emitHeaderInPlace(this.localPort, dstPort & 0xffff, data.length, buf, 0, this.ip.address(), dstIp >>> 0);
    return this.ip.sendIp(dstIp >>> 0, PROTO_UDP, n, this.tos);
  }

  /** Replace the receive callback. */
  onDatagram(handler: UdpHandler): void {
    this.handler = handler;
  }

  isOpen(): boolean {
    return this.open;
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.release(this);
  }

  /** Called by the interface for each datagram to this port. */
  deliver(data: Uint8Array, srcIp: number, srcPort: number, dstIp: number): void {
    if (this.open) this.handler(data, srcIp, srcPort, dstIp);
  }
}
