/**
 * A deterministic TLS engine for the simulation (client for the phone's HAL, server for the
 * lab's CallManager), on node-forge: pure JavaScript and synchronous, so a handshake runs
 * inside virtual time, and every random byte it draws (client/server random, pre-master
 * secret, padding, IVs, blinding) comes from a seeded PRNG, so the same seed gives the same
 * ciphertext: the pcap of a secure boot is byte-identical run after run and engine after
 * engine (the engines' HAL bindings call this same host object).
 *
 * What it is not: a production TLS. forge speaks TLS 1.0/1.1 with RSA key exchange and
 * AES-CBC-SHA only. On a board the HAL TLS is the chip's mbedTLS; tests on real sockets use
 * node:tls (tls-host.ts). The firmware sees the same HAL contract either way.
 *
 * Trust: with `trusted` certificates the peer's must be one of them byte for byte;
 * with none, any certificate is accepted at this layer and handed to onConnected, and the
 * caller pins it (the phone checks it against its trust list) and closes otherwise.
 *
 * Events are delivered synchronously but never nested: input arriving while the engine is
 * delivering is queued and processed right after.
 */
import forge from 'node-forge';
import type { Tls, TlsClientOptions, TlsEvents, TlsSession } from '../tls';
import { Prng } from './prng';

let currentRandom: ((n: number) => string) | null = null;
const randomApi = forge.random as unknown as {
  getBytes: (n: number, cb?: (err: Error | null, bytes: string) => void) => string;
  getBytesSync: (n: number) => string;
};

const hostGetBytesSync = randomApi.getBytesSync.bind(forge.random);
const hostGetBytes = randomApi.getBytes.bind(forge.random);

// One global hook (forge has global PRNG state): inside an engine call the session's seeded
// PRNG answers; elsewhere (tools making certificates with forge) forge's own.
randomApi.getBytesSync = (n: number): string => (currentRandom !== null ? currentRandom(n) : hostGetBytesSync(n));
randomApi.getBytes = (n: number, cb?: (err: Error | null, bytes: string) => void): string => {
  if (currentRandom === null) return hostGetBytes(n, cb);
  const b = currentRandom(n);
  if (cb) cb(null, b);
  return b;
};
// forge stamps each TLS random with `new Date()` (its createRandom is private): while forge
// runs, `new Date()` without arguments is the epoch, so no wall clock leaks into a run.
const RealDate = Date;
class EpochDate extends RealDate {
  constructor(...args: []) {
    if (args.length === 0) super(0);
    else super(...(args as unknown as [number]));
  }
}

function bytesOf(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 255;
  return out;
}

function stringOf(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** DER of a forge certificate. */
function derOf(cert: forge.pki.Certificate): Uint8Array {
  return bytesOf(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes());
}

/** PEM certificate / key text to what forge wants, from DER or PEM. */
export function certPem(cert: Uint8Array | string): string {
  if (typeof cert === 'string') return cert;
  return forge.pki.certificateToPem(forge.pki.certificateFromAsn1(forge.asn1.fromDer(stringOf(cert))));
}

class Session implements TlsSession {
  private readonly conn: forge.tls.Connection;
  private readonly rand: (n: number) => string;
  private readonly events: TlsEvents;
  private readonly inbox: Array<() => void> = [];
  private busy = false;
  private closed = false;
  private connected = false;
  private readonly pendingWrites: Uint8Array[] = [];

  constructor(rand: (n: number) => string, events: TlsEvents, make: (s: Session) => forge.tls.Connection) {
    this.rand = rand;
    this.events = events;
    this.conn = make(this);
  }

  /** Run `fn` inside forge with this session's PRNG, unnested. */
  run(fn: () => void): void {
    this.inbox.push(fn);
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.inbox.length > 0) {
        const next = this.inbox.shift()!;
        const prev = currentRandom;
        currentRandom = this.rand;
        globalThis.Date = EpochDate as DateConstructor;
        try {
          next();
        } finally {
          currentRandom = prev;
          globalThis.Date = RealDate;
        }
      }
    } finally {
      this.busy = false;
    }
  }

  // forge callbacks
  send(c: forge.tls.Connection): void {
    const bytes = bytesOf(c.tlsData.getBytes());
    if (bytes.length > 0) this.events.onSend(bytes);
  }
  data(c: forge.tls.Connection): void {
    const bytes = bytesOf(c.data.getBytes());
    if (!this.closed && bytes.length > 0) this.events.onData(bytes);
  }
  up(peer: Uint8Array): void {
    if (this.closed) return;
    this.connected = true;
    this.events.onConnected(peer);
    for (const w of this.pendingWrites.splice(0)) this.conn.prepare(stringOf(w));
  }
  finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.events.onClose(reason);
  }

  handshake(): void {
    this.run(() => this.conn.handshake());
  }
  receive(bytes: Uint8Array): void {
    if (this.closed) return;
    const s = stringOf(bytes);
    this.run(() => { if (!this.closed) this.conn.process(s); });
  }
  write(bytes: Uint8Array): void {
    if (this.closed) return;
    const copy = bytes.slice();
    this.run(() => {
      if (this.closed) return;
      if (this.connected) this.conn.prepare(stringOf(copy));
      else this.pendingWrites.push(copy);
    });
  }
  close(): void {
    if (this.closed) return;
    this.run(() => {
      if (this.closed) return;
      this.conn.close();
      this.finish('closed locally');
    });
  }
}

function alertText(e: { message?: string; alert?: { description?: number } }): string {
  return `tls: ${e.message ?? 'error'}${e.alert?.description !== undefined ? ` (alert ${e.alert.description})` : ''}`;
}

/** The phone's HAL TLS in the simulation. */
export class SimTls implements Tls {
  private readonly prng: Prng;
  /** Handshakes started (each draws from the one seeded stream, in order). */
  sessions = 0;

  constructor(seed: number) {
    this.prng = new Prng(seed >>> 0);
  }

  private rand = (n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.prng.u32() & 255);
    return s;
  };

  connect(options: TlsClientOptions, events: TlsEvents): TlsSession {
    this.sessions++;
    const trusted = options.trusted;
    let peer: Uint8Array = new Uint8Array(0);
    const session = new Session(this.rand, events, (s) => forge.tls.createConnection({
      server: false,
      sessionId: null,
      verify: (_c, _verified, depth, certs) => {
        if (depth !== 0) return true;
        peer = derOf(certs[0]);
        if (trusted.length > 0 && !trusted.some((t) => sameBytes(t, peer))) {
          return { alert: forge.tls.Alert.Description.bad_certificate, message: 'certificate not in the trusted list' };
        }
        return true;
      },
      connected: () => s.up(peer),
      tlsDataReady: (c) => s.send(c),
      dataReady: (c) => s.data(c),
      closed: () => s.finish('closed by peer'),
      error: (_c, e) => s.finish(alertText(e as never)),
    }));
    // The ClientHello goes out as the first event after connect returns.
    session.handshake();
    return session;
  }
}

export interface SimTlsServerOptions {
  /** The server's certificate (DER or PEM) and RSA private key (PEM). */
  certificate: Uint8Array | string;
  privateKeyPem: string;
  seed: number;
}

/** The lab's TLS listener side: one session per accepted TCP connection. */
export class SimTlsServer {
  private readonly cert: string;
  private readonly key: string;
  private readonly prng: Prng;

  constructor(options: SimTlsServerOptions) {
    this.cert = certPem(options.certificate);
    this.key = options.privateKeyPem;
    this.prng = new Prng(options.seed >>> 0);
  }

  private rand = (n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.prng.u32() & 255);
    return s;
  };

  accept(events: TlsEvents): TlsSession {
    return new Session(this.rand, events, (s) => forge.tls.createConnection({
      server: true,
      sessionId: null,
      verifyClient: false,
      getCertificate: () => this.cert,
      getPrivateKey: () => this.key,
      connected: () => s.up(new Uint8Array(0)),
      tlsDataReady: (c) => s.send(c),
      dataReady: (c) => s.data(c),
      closed: () => s.finish('closed by peer'),
      error: (_c, e) => s.finish(alertText(e as never)),
    }));
  }
}
