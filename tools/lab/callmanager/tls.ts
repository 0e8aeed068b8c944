/**
 * The lab CallManager's TLS listener on the simulated wire: TCP from the host's own stack,
 * TLS from the deterministic simulation engine (hal/sim/tls-sim.ts) with the member's
 * certificate and key, so a secure boot is as reproducible as a plain one. The SCCP server
 * sees plain connections, as behind any TLS listener.
 */
import type { NetInterface } from '../../../firmware/net/iface';
import type { TcpSocket, TcpEvents } from '../../../firmware/net/tcp';
import type { TlsSession } from '../../../hal/tls';
import { ipToString } from '../../../lib/bytes';
import { SimTlsServer } from '../../../hal/sim/tls-sim';
import type { SccpConn, SccpConnHandlers, SccpListener } from './sccp-server';

export interface SimTlsListenerOptions {
  certPem: string;
  keyPem: string;
  /** Seed of the server's TLS randomness. */
  seed: number;
}

export function simTlsListener(iface: NetInterface, port: number, options: SimTlsListenerOptions): SccpListener {
  let listener: { close(): void } | null = null;
  const engine = new SimTlsServer({ certificate: options.certPem, privateKeyPem: options.keyPem, seed: options.seed });
  return {
    open(accept) {
      listener = iface.tcpListen(port, (sock: TcpSocket): TcpEvents => {
        let h: SccpConnHandlers | null = null;
        let tls: TlsSession | null = null;
        const conn: SccpConn = {
          peer: `${ipToString(sock.remoteIp)}:${sock.remotePort}`,
          write: (b) => { tls?.write(b); },
          close: () => { tls?.close(); sock.close(); },
          abort: () => sock.abort(),
        };
        return {
          onConnected: () => {
            tls = engine.accept({
              onSend: (b) => { sock.write(b); },
              onConnected: () => { h = accept(conn); },
              onData: (d) => h?.data(d),
              onClose: (reason) => {
                if (h) h.closed(`tls: ${reason}`);
                h = null;
                sock.close();
              },
            });
          },
          onData: (d) => tls?.receive(d),
          onEnd: () => sock.close(),
          onClose: (reason) => {
            const was = h;
            h = null;
            was?.closed(reason);
          },
        };
      });
      return listener !== null;
    },
    close() {
      listener?.close();
      listener = null;
    },
  };
}
