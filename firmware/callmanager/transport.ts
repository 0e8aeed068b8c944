/**
 * The byte stream to one CallManager member: plain TCP from the phone's own stack, or TLS
 * through the HAL TLS engine over that TCP (device security mode 2 or 3). In secure mode
 * the peer's certificate must pass `pin` (the trust list's CCM / CCM+TFTP records) or the
 * session is closed with REASON_UNTRUSTED; there is never a fallback to plain TCP here:
 * the caller chose the mode from the configuration, not from what the server offers.
 *
 * Writes are whole protocol messages; what the TCP send buffer cannot take at once waits
 * in a bounded queue (PENDING_MAX) and is flushed on onSent. A message that would overflow
 * it closes the stream with REASON_OVERFLOW rather than drop part of a frame.
 */
import type { Tls, TlsSession } from '../../hal/tls';
import type { TcpSocket, TcpEvents } from '../net/tcp';

export const REASON_UNTRUSTED = 'untrusted certificate';
export const REASON_OVERFLOW = 'send queue full';
export const PENDING_MAX = 4096;

export interface StreamEvents {
  onConnected(): void;
  onData(bytes: Uint8Array): void;
  onClose(reason: string): void;
}

/** What the stream needs of the interface (NetInterface satisfies it). */
export interface StreamNet {
  tcpConnect(ip: number, port: number, events: TcpEvents): TcpSocket | null;
}

export interface StreamOptions {
  ip: number;
  port: number;
  /** TLS when set: the engine and the name for SNI. */
  tls: Tls | null;
  serverName: string;
  /** Secure mode: is this DER certificate one the phone trusts for a CallManager? */
  pin: (der: Uint8Array) => boolean;
}

export class CmStream {
  private readonly events: StreamEvents;
  private tcp: TcpSocket | null = null;
  private session: TlsSession | null = null;
  private pending: Uint8Array | null = null;
  private pendingLen = 0;
  private open = false;
  private closed = false;

  constructor(net: StreamNet, options: StreamOptions, events: StreamEvents) {
    this.events = events;
    const self = this;
    const secure = options.tls !== null;
    const tcp = net.tcpConnect(options.ip, options.port, {
      onConnected: function (): void {
        if (!secure) {
          self.up();
          return;
        }
        self.session = (options.tls as Tls).connect({ serverName: options.serverName, trusted: [], checkName: false }, {
          onSend: function (b: Uint8Array): void { self.toTcp(b); },
          onConnected: function (peer: Uint8Array): void {
            if (!options.pin(peer)) self.fail(REASON_UNTRUSTED);
            else self.up();
          },
          onData: function (b: Uint8Array): void { if (self.open) self.events.onData(b); },
          onClose: function (reason: string): void { if (!self.closed) self.fail('tls: ' + reason); },
        });
      },
      onData: function (b: Uint8Array): void {
        if (self.session !== null) self.session.receive(b);
        else if (self.open) self.events.onData(b);
      },
      onSent: function (): void { self.flush(); },
      onClose: function (reason: string): void {
        if (self.closed) return;
        self.tcp = null;
        self.fail(reason);
      },
    });
    this.tcp = tcp;
    this.noSocket = tcp === null;
    if (tcp === null) this.closed = true;
  }

  /** True when no TCP socket was free (the caller treats it as a refused attempt). */
  readonly noSocket: boolean;

  isOpen(): boolean {
    return this.open;
  }

  /** Send one whole message; false when the stream is not open or the queue is full. */
  write(bytes: Uint8Array): boolean {
    if (!this.open) return false;
    if (this.session !== null) {
      this.session.write(bytes);
      return !this.closed;
    }
    return this.toTcp(bytes);
  }

  /** Orderly close (TLS close_notify, then FIN). The owner closed it: no onClose follows. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    const session = this.session;
    const tcp = this.tcp;
    this.session = null;
    this.tcp = null;
    this.pending = null;
    if (session !== null) session.close();
    if (tcp !== null) tcp.close();
  }

  private up(): void {
    if (this.closed) return;
    this.open = true;
    this.events.onConnected();
  }

  private toTcp(b: Uint8Array): boolean {
    const tcp = this.tcp;
    if (tcp === null) return false;
    let n = 0;
    if (this.pendingLen === 0) n = tcp.write(b);
    if (n === b.length) return true;
    const rest = b.length - n;
    if (this.pendingLen + rest > PENDING_MAX) {
      this.fail(REASON_OVERFLOW);
      return false;
    }
    if (this.pending === null) this.pending = new Uint8Array(PENDING_MAX);
    this.pending.set(b.subarray(n), this.pendingLen);
    this.pendingLen += rest;
    return true;
  }

  private flush(): void {
    const tcp = this.tcp;
    const p = this.pending;
    if (tcp === null || p === null || this.pendingLen === 0) return;
    const n = tcp.write(p.subarray(0, this.pendingLen));
    // copyWithin is missing on Espruino: move the rest down by hand.
    for (let i = n; i < this.pendingLen; i++) p[i - n] = p[i];
    this.pendingLen -= n;
  }

  private fail(reason: string): void {
    if (this.closed) return;
    const session = this.session;
    const tcp = this.tcp;
    this.closed = true;
    this.open = false;
    this.session = null;
    this.tcp = null;
    this.pending = null;
    this.pendingLen = 0;
    // Their own close callbacks find the stream closed and stay quiet.
    if (session !== null) session.close();
    if (tcp !== null) tcp.abort();
    this.events.onClose(reason);
  }
}
