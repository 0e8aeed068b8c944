/**
 * The Node end of a TAP bridge: a UDP socket on 127.0.0.1 that exchanges one whole
 * Ethernet frame (destination MAC on, no FCS) per datagram with the helper (socat) that
 * owns the TAP device. The same wire format as QEMU's `-netdev dgram`.
 *
 * Datagrams from any other source than the helper's port are ignored, so a stray packet
 * on loopback never becomes a frame.
 */
import dgram from 'node:dgram';

/** Largest frame accepted from the helper: 1518 + one 802.1Q tag (the HAL's bound). */
export const MAX_FRAME = 1522;

export interface LinkCounters {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  /** Datagrams dropped: too short, too long, or from an unexpected source. */
  rxDropped: number;
  /** Send errors reported by the socket (e.g. ECONNREFUSED while the helper is down). */
  txErrors: number;
}

export class UdpFrameLink {
  readonly counters: LinkCounters = { rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, rxDropped: 0, txErrors: 0 };
  private sock: dgram.Socket;
  private handler: ((frame: Uint8Array) => void) | null = null;
  private localPort = 0;
  private closed = false;

  /**
   * @param peerPort the helper's UDP port on 127.0.0.1; 0 = set later with `setPeer`, or
   * learned from the first datagram that arrives (for `dialtone bridge --listen`).
   */
  private constructor(private peerPort: number) {
    this.sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  }

  /** Bind a new link on 127.0.0.1 (`port` 0 = any free port). */
  static async open(peerPort = 0, port = 0): Promise<UdpFrameLink> {
    const link = new UdpFrameLink(peerPort);
    await new Promise<void>((resolve, reject) => {
      link.sock.once('error', reject);
      link.sock.bind(port, '127.0.0.1', () => {
        link.sock.off('error', reject);
        resolve();
      });
    });
    link.localPort = link.sock.address().port;
    // The helper may not be up yet (or restarts): ICMP port unreachable shows up as an
    // async error on the socket; count it, never crash.
    link.sock.on('error', () => link.counters.txErrors++);
    link.sock.on('message', (msg, rinfo) => link.receive(msg, rinfo));
    return link;
  }

  /** Our own UDP port (the helper sends here). */
  get port(): number {
    return this.localPort;
  }

  get peer(): number {
    return this.peerPort;
  }

  setPeer(port: number): void {
    this.peerPort = port;
  }

  /** One call per received frame. The bytes are a fresh copy owned by the handler. */
  onFrame(handler: (frame: Uint8Array) => void): void {
    this.handler = handler;
  }

  /** Send one frame (copied). Returns false when closed or no peer is set. */
  send(frame: Uint8Array): boolean {
    if (this.closed || this.peerPort === 0) return false;
    this.counters.txFrames++;
    this.counters.txBytes += frame.length;
    this.sock.send(frame, this.peerPort, '127.0.0.1', (err) => {
      if (err) this.counters.txErrors++;
    });
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.close();
  }

  private receive(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (rinfo.address !== '127.0.0.1' || (this.peerPort !== 0 && rinfo.port !== this.peerPort)) {
      this.counters.rxDropped++;
      return;
    }
    // Without a configured peer the first sender on loopback becomes the peer.
    if (this.peerPort === 0) this.peerPort = rinfo.port;
    if (msg.length < 14 || msg.length > MAX_FRAME) {
      this.counters.rxDropped++;
      return;
    }
    this.counters.rxFrames++;
    this.counters.rxBytes += msg.length;
    // A plain Uint8Array copy: target code never sees a Buffer.
    const frame = new Uint8Array(msg.length);
    frame.set(msg);
    if (this.handler) this.handler(frame);
  }
}

/**
 * A UDP port on 127.0.0.1 that is free right now (bound then released). There is a short
 * window before the helper binds it; `startTapHelper` retries on a bind failure.
 */
export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve());
  });
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
