/**
 * HAL Tls on node:tls. The engine never touches a socket: a Duplex stands in for it, whose
 * writes (ciphertext) go to `events.onSend` and whose reads come from `session.receive`,
 * i.e. from the firmware's own TCP. Trust is exactly the given DER certificates (the CTL/ITL
 * list), not the host's CA store.
 *
 * node:tls works on Node's event loop, so its events arrive outside virtual time: each is
 * handed to `post` (a board posts them as scheduler events inside its crash guard), and
 * `io` tells `runWithIo` (io.ts) when the engine has work in flight.
 */
import { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import type { Tls, TlsClientOptions, TlsEvents, TlsSession } from '../tls';
import { IoActivity } from './io';

export interface HostTlsOptions {
  /** How engine events reach the firmware (default: called at once). */
  post?: (fn: () => void) => void;
}

/** DER certificate to PEM (what node:tls takes as `ca`). */
export function derToPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  let body = '';
  for (let i = 0; i < b64.length; i += 64) body += b64.slice(i, i + 64) + '\n';
  return '-----BEGIN CERTIFICATE-----\n' + body + '-----END CERTIFICATE-----\n';
}

export class HostTls implements Tls {
  readonly io = new IoActivity();
  private readonly post: (fn: () => void) => void;
  private readonly sockets = new Set<TLSSocket>();

  constructor(options: HostTlsOptions = {}) {
    this.post = options.post ?? ((fn) => fn());
  }

  connect(options: TlsClientOptions, events: TlsEvents): TlsSession {
    const io = this.io;
    let closed = false; // onClose delivered: no more onConnected / onData
    let dead = false; // torn down: not even ciphertext leaves
    const emit = (fn: () => void): void => {
      io.touch();
      this.post(fn);
    };
    const finish = (reason: string): void => {
      if (closed) return;
      closed = true;
      emit(() => events.onClose(reason));
    };
    const wire = new Duplex({
      read() { /* data is pushed by receive() */ },
      write(chunk: Buffer, _enc, cb) {
        // Still forwarded after a local close(): the close_notify alert has to reach the peer.
        const bytes = new Uint8Array(chunk);
        if (!dead) emit(() => events.onSend(bytes));
        cb();
      },
      final(cb) {
        cb();
      },
    });
    const ip = isIP(options.serverName) !== 0;
    const tlsOptions: ConnectionOptions = {
      socket: wire,
      host: options.serverName,
      ca: options.trusted.map(derToPem),
      rejectUnauthorized: true,
    };
    // SNI carries names only; node asserts on keys present with the value undefined.
    if (!ip) tlsOptions.servername = options.serverName;
    if (!options.checkName) tlsOptions.checkServerIdentity = () => undefined;
    const sock = tlsConnect(tlsOptions);
    this.sockets.add(sock);
    io.touch();
    sock.on('secureConnect', () => {
      const raw = sock.getPeerCertificate().raw;
      const cert = raw ? new Uint8Array(raw) : new Uint8Array(0);
      if (!closed) emit(() => events.onConnected(cert));
    });
    sock.on('data', (d: Buffer) => {
      const bytes = new Uint8Array(d);
      if (!closed) emit(() => events.onData(bytes));
    });
    sock.on('error', (e: Error & { code?: string }) => finish(e.code ? `${e.code}: ${e.message}` : e.message));
    sock.on('end', () => finish('closed by peer'));
    sock.on('close', () => {
      dead = true;
      this.sockets.delete(sock);
      finish('closed');
    });
    return {
      receive: (bytes: Uint8Array) => {
        if (closed) return;
        io.touch();
        wire.push(Buffer.from(bytes));
      },
      write: (bytes: Uint8Array) => {
        if (closed) return;
        io.touch();
        sock.write(Buffer.from(bytes));
      },
      close: () => {
        if (closed) return;
        io.touch();
        sock.end();
        finish('closed locally');
      },
    };
  }

  /** Drop every session at once (a board losing power): no events follow. */
  destroyAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }
}
