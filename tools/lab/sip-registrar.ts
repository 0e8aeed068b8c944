/**
 * The lab's SIP registrar (RFC 3261 section 10.3) with Digest authentication (RFC 7616 /
 * 2617), on the phone's own codec (firmware/callmanager/sip/wire.ts) and digest code.
 * Transport-agnostic: `handle(bytes, peer)` takes one request and returns the response
 * bytes (or null: dropped). `simRegistrar` binds it to a LabHost's UDP and TCP port 5060
 * (and TLS 5061 through the deterministic engine, hal/sim/tls-sim.ts) on the simulated wire. Time from a hal Clock; bindings expire lazily.
 *
 * Per REGISTER:
 *   - mode 'silent' drops it (a hung registrar: the phone's Timer F fires); 'unavailable'
 *     answers 503; a retransmission (same Via branch and Call-ID) gets the answer it had.
 *   - with `users`: the To user must be an account, else 403 Forbidden. No credentials,
 *     credentials for another realm or user, an unknown nonce, or a wrong response: 401 with
 *     a fresh nonce (one challenge per algorithm in `algorithms`, qop=auth unless qop is
 *     off). A right response on a nonce older than nonceTtlMs, or a nonce count that does
 *     not grow: 401 with stale=true. Without `users` every user registers.
 *   - Contacts: `*` with Expires 0 removes every binding of the AoR. Otherwise each
 *     contact's expires (its parameter, else Expires, else defaultExpires), capped at
 *     maxExpires; 0 removes it; below minExpires: 423 with Min-Expires.
 *   - 200 OK lists every binding of the AoR with the time it has left.
 * The top Via of a response gets received= and, when the request asked (RFC 3581), rport.
 *
 * Host code: bounds are generous, not board-sized (64 nonces, 64 cached answers).
 */
import type { Clock } from '../../hal/clock';
import type { Crypto } from '../../hal/crypto';
import type { NetInterface } from '../../firmware/net/iface';
import type { TcpSocket, TcpEvents } from '../../firmware/net/tcp';
import type { TlsSession } from '../../hal/tls';
import { SimTlsServer } from '../../hal/sim/tls-sim';
import * as w from '../../firmware/callmanager/sip/wire';
import { digestResponse } from '../../firmware/callmanager/sip/digest';
import { ipToString } from '../../lib/bytes';

export interface SipAccount {
  /** AoR user ("1001"). */
  user: string;
  password: string;
  /** Digest username when it is not the user. */
  authName?: string;
}

export interface SipRegistrarOptions {
  clock: Clock;
  crypto: Crypto;
  /** u32 source for nonces and tags (seeded in tests). */
  random: () => number;
  realm: string;
  /** Accounts; absent: no authentication. */
  users?: SipAccount[];
  /** Challenges offered, in preference order (default ['MD5']). */
  algorithms?: string[];
  /** Offer qop=auth (default true). */
  qop?: boolean;
  /** Nonce lifetime (default 300 s, Kamailio's nonce_expire). */
  nonceTtlMs?: number;
  defaultExpires?: number;
  maxExpires?: number;
  minExpires?: number;
  name?: string;
  log?: (line: string) => void;
  onEvent?: (e: RegistrarEvent) => void;
}

export interface Peer {
  ip: number;
  port: number;
  transport: 'UDP' | 'TCP' | 'TLS';
}

export interface Binding {
  aor: string;
  contact: string;
  expiresAt: number;
  callId: string;
  cseq: number;
  source: string;
  agent: string;
}

export type RegistrarEvent =
  | { kind: 'registered'; aor: string; contact: string; expires: number; source: string }
  | { kind: 'unregistered'; aor: string; contact: string }
  | { kind: 'challenged'; aor: string; stale: boolean; why: string }
  | { kind: 'refused'; aor: string; code: number; reason: string };

export type RegistrarMode = 'up' | 'silent' | 'unavailable';

interface Nonce { issuedAt: number; nc: number }

const MAX_NONCES = 64;
const MAX_CACHE = 64;

export class SipRegistrar {
  readonly events: RegistrarEvent[] = [];
  readonly name: string;
  mode: RegistrarMode = 'up';
  /** Requests that did not parse, for tests. */
  malformed = 0;
  private readonly o: SipRegistrarOptions;
  private readonly nonces = new Map<string, Nonce>();
  private readonly cache = new Map<string, Uint8Array>();
  private readonly table: Binding[] = [];

  constructor(options: SipRegistrarOptions) {
    this.o = options;
    this.name = options.name ?? 'registrar';
  }

  /** Live bindings, of one AoR user when given. */
  bindings(user?: string): Binding[] {
    this.expire();
    return this.table.filter((b) => user === undefined || w.uriUser(b.aor) === user);
  }

  /** One request from `peer`; the response bytes, or null when nothing is sent. */
  handle(bytes: Uint8Array, peer: Peer): Uint8Array | null {
    const r = w.parse(bytes);
    if (!r.ok) {
      this.malformed++;
      this.log(`dropped: ${r.error}: ${r.detail}`);
      return null;
    }
    const req = r.value;
    if (req.status !== 0 || this.mode === 'silent') return null;
    const key = `${req.via[0].branch} ${req.callId} ${req.cseq}`;
    const again = this.cache.get(key);
    if (again) return again;
    const res = this.answer(req, peer);
    const out = new Uint8Array(w.bufferLen(res));
    w.emit(res, out, 0);
    if (req.via[0].branch !== '') {
      this.cache.set(key, out);
      if (this.cache.size > MAX_CACHE) this.cache.delete(this.cache.keys().next().value!);
    }
    return out;
  }

  /** Forget every binding and nonce (a restarted registrar). */
  reset(): void {
    this.table.length = 0;
    this.nonces.clear();
    this.cache.clear();
  }

  private answer(req: w.SipMsg, peer: Peer): w.SipMsg {
    if (this.mode === 'unavailable') return this.reply(req, peer, 503, 'Service Unavailable');
    if (req.method !== 'REGISTER') return this.reply(req, peer, 501, 'Not Implemented');
    const aor = req.to.uri;
    const user = w.uriUser(aor);
    if (this.o.users) {
      const acct = this.o.users.find((u) => u.user === user);
      if (!acct) return this.refuse(req, peer, aor, 403, 'Forbidden');
      const why = this.check(req, acct);
      if (why !== '') {
        const stale = why === 'stale nonce';
        this.event({ kind: 'challenged', aor, stale, why });
        return this.challenge(req, peer, stale);
      }
    }
    return this.bind(req, peer, aor);
  }

  /** '' when the credentials are good, else why not ('stale nonce' asks for stale=true). */
  private check(req: w.SipMsg, acct: SipAccount): string {
    const c = req.auth;
    const name = acct.authName ?? acct.user;
    if (c === null || c.proxy) return 'no credentials';
    if (c.realm !== this.o.realm || c.username !== w.utf8(name)) return 'other realm or user';
    const n = this.nonces.get(c.nonce);
    if (!n) return 'unknown nonce';
    const algs = this.o.algorithms ?? ['MD5'];
    const alg = c.algorithm === '' ? 'MD5' : c.algorithm;
    if (!algs.some((a) => a.toUpperCase() === alg.toUpperCase())) return 'algorithm not offered';
    const qop = this.o.qop === false ? '' : 'auth';
    if (c.qop !== qop) return 'qop';
    const want = digestResponse(this.o.crypto, {
      algorithm: c.algorithm, username: c.username, realm: c.realm, password: w.utf8(acct.password), method: req.method,
      uri: c.uri, nonce: c.nonce, qop: c.qop, cnonce: c.cnonce, nc: c.nc,
    });
    if (want === null || want !== c.response.toLowerCase()) return 'wrong password';
    if (this.o.clock.now() - n.issuedAt >= (this.o.nonceTtlMs ?? 300_000)) return 'stale nonce';
    if (qop !== '') {
      if (c.nc <= n.nc) return 'stale nonce';
      n.nc = c.nc;
    }
    return '';
  }

  private challenge(req: w.SipMsg, peer: Peer, stale: boolean): w.SipMsg {
    const res = this.reply(req, peer, 401, 'Unauthorized');
    const nonce = this.hex(4);
    this.nonces.set(nonce, { issuedAt: this.o.clock.now(), nc: 0 });
    if (this.nonces.size > MAX_NONCES) this.nonces.delete(this.nonces.keys().next().value!);
    res.challenges = (this.o.algorithms ?? ['MD5']).map((algorithm) => ({
      proxy: false, realm: this.o.realm, nonce, opaque: '', algorithm, qop: this.o.qop === false ? '' : 'auth', stale,
    }));
    return res;
  }

  private bind(req: w.SipMsg, peer: Peer, aor: string): w.SipMsg {
    const now = this.o.clock.now();
    this.expire();
    const source = `${peer.transport} ${ipToString(peer.ip)}:${peer.port}`;
    const star = req.contacts.some((c) => c.uri === '*');
    if (star) {
      if (req.contacts.length !== 1 || req.expires !== 0) return this.refuse(req, peer, aor, 400, 'Bad Request');
      for (const b of this.table.filter((x) => x.aor === aor)) this.remove(b);
    }
    const min = this.o.minExpires ?? 60;
    for (const c of star ? [] : req.contacts) {
      let e = c.expires >= 0 ? c.expires : req.expires >= 0 ? req.expires : this.o.defaultExpires ?? 3600;
      if (e > 0 && e < min) {
        const res = this.refuse(req, peer, aor, 423, 'Interval Too Brief');
        res.minExpires = min;
        return res;
      }
      e = Math.min(e, this.o.maxExpires ?? 3600);
      const old = this.table.find((b) => b.aor === aor && b.contact.toLowerCase() === c.uri.toLowerCase());
      if (e === 0) {
        if (old) this.remove(old);
        continue;
      }
      const b: Binding = { aor, contact: c.uri, expiresAt: now + e * 1000, callId: req.callId, cseq: req.cseq, source, agent: req.agent };
      if (old) Object.assign(old, b);
      else this.table.push(b);
      this.event({ kind: 'registered', aor, contact: c.uri, expires: e, source });
    }
    const res = this.reply(req, peer, 200, 'OK');
    res.contacts = this.table.filter((b) => b.aor === aor).map((b) => ({
      display: '', uri: b.contact, expires: Math.round((b.expiresAt - now) / 1000),
    }));
    return res;
  }

  private remove(b: Binding): void {
    this.table.splice(this.table.indexOf(b), 1);
    this.event({ kind: 'unregistered', aor: b.aor, contact: b.contact });
  }

  private expire(): void {
    const now = this.o.clock.now();
    for (let i = this.table.length - 1; i >= 0; i--) if (this.table[i].expiresAt <= now) this.table.splice(i, 1);
  }

  private refuse(req: w.SipMsg, peer: Peer, aor: string, code: number, reason: string): w.SipMsg {
    this.event({ kind: 'refused', aor, code, reason });
    return this.reply(req, peer, code, reason);
  }

  /** A response to `req`: its Vias (the top one with received/rport), From, To with our tag, Call-ID, CSeq. */
  private reply(req: w.SipMsg, peer: Peer, code: number, reason: string): w.SipMsg {
    const m = w.newMsg();
    m.status = code;
    m.reason = reason;
    m.via = req.via.map((v) => ({ ...v }));
    const top = m.via[0];
    top.received = ipToString(peer.ip);
    if (top.rport === 0) top.rport = peer.port;
    m.from = { ...req.from };
    m.to = { ...req.to, tag: req.to.tag !== '' ? req.to.tag : this.hex(2) };
    m.callId = req.callId;
    m.cseq = req.cseq;
    m.cseqMethod = req.cseqMethod;
    m.agent = 'Dialtone lab registrar';
    return m;
  }

  private hex(words: number): string {
    let s = '';
    for (let i = 0; i < words; i++) s += (this.o.random() >>> 0).toString(16).padStart(8, '0');
    return s;
  }

  private event(e: RegistrarEvent): void {
    this.events.push(e);
    this.log(`${e.kind} ${e.aor}${e.kind === 'refused' ? ` ${e.code}` : ''}`);
    this.o.onEvent?.(e);
  }

  private log(line: string): void {
    this.o.log?.(`${this.name}: ${line}`);
  }
}

export interface SimRegistrarPort {
  /** Stop answering: the UDP port and TCP/TLS listeners close, their connections are reset. */
  close(): void;
  /** Open them again. */
  open(): boolean;
}

export interface SimRegistrarOptions {
  /** UDP and TCP port (default 5060). */
  port?: number;
  /** Also TLS on tlsPort (default 5061): the deterministic engine with this certificate. */
  tls?: { certPem: string; keyPem: string; seed: number };
  tlsPort?: number;
}

/**
 * The registrar on a lab host's UDP and TCP port 5060 (and TLS 5061 when given a
 * certificate), on the simulated wire; TCP and TLS framed by Content-Length.
 */
export function simRegistrar(iface: NetInterface, reg: SipRegistrar, options: SimRegistrarOptions = {}): SimRegistrarPort {
  const port = options.port ?? w.PORT;
  let udp: ReturnType<NetInterface['udpOpen']> = null;
  const listeners: Array<{ close(): void }> = [];
  const conns = new Set<TcpSocket>();
  const engine = options.tls ? new SimTlsServer({ certificate: options.tls.certPem, privateKeyPem: options.tls.keyPem, seed: options.tls.seed }) : null;
  const listen = (p: number, transport: 'TCP' | 'TLS'): boolean => {
    const l = iface.tcpListen(p, (sock): TcpEvents => {
      const framer = new w.Framer(w.MAX_MSG);
      let tls: TlsSession | null = null;
      const send = (b: Uint8Array): void => {
        if (tls) tls.write(b);
        else sock.write(b);
      };
      const input = (d: Uint8Array): void => {
        const err = framer.push(d, (m) => {
          const out = reg.handle(m, { ip: sock.remoteIp, port: sock.remotePort, transport });
          if (out) send(out);
        });
        if (err) sock.abort();
      };
      conns.add(sock);
      return {
        onConnected: () => {
          if (engine && transport === 'TLS') {
            tls = engine.accept({ onSend: (b) => { sock.write(b); }, onConnected: () => {}, onData: input, onClose: () => sock.close() });
          }
        },
        onData: (d) => (tls ? tls.receive(d) : input(d)),
        onEnd: () => sock.close(),
        onClose: () => { conns.delete(sock); },
      };
    });
    if (l) listeners.push(l);
    return l !== null;
  };
  const api: SimRegistrarPort = {
    open() {
      udp = iface.udpOpen(port, (data, srcIp, srcPort) => {
        const out = reg.handle(data, { ip: srcIp, port: srcPort, transport: 'UDP' });
        if (out && udp) udp.sendTo(srcIp, srcPort, out);
      });
      let good = udp !== null && listen(port, 'TCP');
      if (engine) good = listen(options.tlsPort ?? w.TLS_PORT, 'TLS') && good;
      return good;
    },
    close() {
      udp?.close();
      udp = null;
      for (const l of listeners.splice(0)) l.close();
      for (const s of [...conns]) s.abort();
      conns.clear();
    },
  };
  api.open();
  return api;
}
