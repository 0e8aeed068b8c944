/**
 * The lab CallManager on real sockets: a hal Clock on the host's timers and an
 * SccpListener over node:net (or node:tls: pass a factory), for interop tests in a network
 * namespace and for `dialtone lab` against real phones.
 */
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../../hal/clock';
import { PORT } from '../../../firmware/callmanager/sccp/wire';
import type { SccpConnHandlers, SccpListener } from './sccp-server';

/** Milliseconds since the clock was made, on Node timers. */
export function nodeClock(): Clock {
  const t0 = performance.now();
  const timers = new Map<number, NodeJS.Timeout>();
  let next = 1;
  return {
    now: () => Math.floor(performance.now() - t0),
    setTimer(delayMs, cb) {
      const id = next++;
      timers.set(id, setTimeout(() => { timers.delete(id); cb(); }, delayMs));
      return id;
    },
    clearTimer(id) {
      const t = timers.get(id);
      if (t) clearTimeout(t);
      timers.delete(id);
    },
  };
}

export interface NodeListener extends SccpListener {
  /** Resolves once listening (after open), with the bound address. */
  ready(): Promise<net.AddressInfo>;
}

/**
 * Listen on `host:port` (port 0: any). `makeServer` builds the server around the socket
 * handler: default net.createServer; for TLS `(h) => tls.createServer(opts, h)` (the
 * handler then gets each TLS socket after its handshake).
 */
export function nodeListener(port: number = PORT, host = '0.0.0.0',
  makeServer: (onSocket: (s: net.Socket) => void) => net.Server = (h) => net.createServer(h)): NodeListener {
  let server: net.Server | null = null;
  let listening: Promise<net.AddressInfo> | null = null;
  return {
    open(accept) {
      const srv = makeServer((sock) => {
        let closed = false;
        const h: SccpConnHandlers = accept({
          peer: `${sock.remoteAddress}:${sock.remotePort}`,
          write: (b) => { if (!closed) sock.write(b); },
          close: () => { closed = true; sock.end(); },
          abort: () => { closed = true; sock.resetAndDestroy(); },
        });
        sock.on('data', (d: Buffer) => h.data(new Uint8Array(d.buffer, d.byteOffset, d.length)));
        sock.on('end', () => sock.end());
        sock.on('error', () => undefined);
        sock.on('close', (hadError) => h.closed(hadError ? 'reset' : 'closed'));
      });
      server = srv;
      listening = new Promise((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(port, host, () => resolve(srv.address() as net.AddressInfo));
      });
      listening.catch(() => undefined);
      return true;
    },
    close() {
      server?.close();
      server = null;
    },
    ready() {
      if (!listening) return Promise.reject(new Error('nodeListener: not open'));
      return listening;
    },
  };
}
