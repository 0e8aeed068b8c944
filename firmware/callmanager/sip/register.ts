/**
 * SIP registration of one line (RFC 3261 section 10) as a sans-IO machine in the driver
 * shape: bytes in through `receive(bytes, now)`, bytes out through `dispatch(now, out)`,
 * events via `poll()`, time as hal clock ms. One registrar at a time; the caller owns the
 * transport and acts on the events (SipLink in link.ts does it on firmware/net).
 *
 * Transport: 'UDP' is datagram mode (one message per receive, RFC 3261 17.1.2.2 timers:
 * retransmit after T1, doubling to T2, every T2 once a 1xx came; Timer F = 64*T1 ends the
 * transaction). 'TCP' / 'TLS' are stream mode (the Framer splits by Content-Length, no
 * retransmission, Timer F still bounds the wait). sipTransport() maps the configuration's
 * transportLayerProtocol: 1 TCP, 2 UDP, 3 TLS, 4 TCP.
 *
 * Flow: start -> event 'connect' (index 0) -> the caller opens the transport and calls
 * up(now, localPort) -> REGISTER (Contact expires and Expires = the requested time).
 *   401 / 407: answered with Authorization / Proxy-Authorization from the first challenge
 *     whose algorithm is supported (MD5, SHA-256, -sess) with qop auth or none. Once per
 *     challenge: a second 401/407 to a request that answered a challenge is 'failed' "wrong
 *     password", unless it says stale=true (a new nonce: answered again, MAX_STALE in a
 *     row at most). Credentials are kept and reused on refreshes (nc counts up).
 *   423: once more with Min-Expires.
 *   2xx: the granted time is our Contact's expires, else Expires, else what we asked:
 *     event 'registered'; the refresh goes out when min(granted / 2, MARGIN_S) is left,
 *     counted from when the REGISTER was first sent.
 *   408, 480, 5xx, Timer F, a closed or refused transport: event 'lost' (the caller drops
 *     that transport) and 'connect' to the next registrar; after a whole round without a
 *     registration, event 'round' and a wait of backoffMs[min(round, last)] before the
 *     first again. A registration resets the round.
 *   Other final answers (403, 404, wrong password, ...): event 'failed' with the status and
 *     text; the same registrar is tried again after retryMs (the transport is kept).
 *   stop(): with a binding, REGISTER with Expires 0 (Contact expires=0), then 'stopped'
 *     (acked on a 2xx) within stopTimeoutMs; without one, 'stopped' at once.
 * Responses are matched by the top Via branch, Call-ID and CSeq; others are counted and
 * dropped, as are messages that do not parse. One Call-ID, From tag and CSeq sequence for
 * the life of the machine (10.2: one Call-ID per boot cycle).
 *
 * Deviations, stated: one credential per request (the latest challenge, WWW or Proxy);
 * no 3xx redirect (a 3xx is 'failed'); no fallback to a higher registrar while registered
 * to a lower one; no outbound keep-alives (RFC 5626).
 *
 * Bounds: MAX_TARGETS registrars, MAX_EVENTS events, one request in flight (its bytes kept
 * for retransmission, < wire.MAX_MSG), one Framer of wire.MAX_MSG bytes in stream mode.
 */
import type { Crypto } from '../../../hal/crypto';
import { ipToString } from '../../../lib/bytes';
import * as w from './wire';
import { digestResponse, supported } from './digest';

export type SipTransport = 'UDP' | 'TCP' | 'TLS';

/** transportLayerProtocol (Config.transport) to the transport used. */
export function sipTransport(t: number): SipTransport {
  return t === 2 ? 'UDP' : t === 3 ? 'TLS' : 'TCP';
}

export interface SipTarget { host: string; port: number }

export interface SipPolicy {
  t1Ms: number;
  t2Ms: number;
  /** Wait for up() after 'connect'. */
  connectTimeoutMs: number;
  /** After 'failed', before the same registrar is asked again. */
  retryMs: number;
  /** Between rounds of registrars that all failed. */
  backoffMs: number[];
  stopTimeoutMs: number;
}

export const DEFAULT_SIP_POLICY: SipPolicy = {
  t1Ms: 500, t2Ms: 4000, connectTimeoutMs: 10000, retryMs: 60000, backoffMs: [5000, 10000, 30000, 60000],
  stopTimeoutMs: 4000,
};

export interface SipRegConfig {
  /** Line name: the AoR user ("1001"). */
  user: string;
  /** Digest username ('' or absent: user). */
  authName?: string;
  password: string;
  displayName?: string;
  /** AoR and Request-URI domain ('' or absent: the registrar's host). */
  domain?: string;
  transport: SipTransport;
  /** In failover order (sipTargets(cfg, line)). */
  targets: SipTarget[];
  /** Station IPv4 (host order), for Via and Contact. */
  localIp: number;
  crypto: Crypto;
  /** u32 random source (hal.entropy.u32): Call-ID, tag, branch, cnonce. */
  random: () => number;
  userAgent?: string;
  /** Requested registration time, s (default 3600). */
  expires?: number;
  policy?: SipPolicy;
}

export type SipEvent =
  /** Open the transport to target `index` (drop any other), then call up() or down(). */
  | { kind: 'connect'; index: number; host: string; port: number }
  | { kind: 'registered'; index: number; expires: number; refresh: boolean }
  /** A final refusal from the registrar (shown); retried after retryMs. */
  | { kind: 'failed'; index: number; code: number; text: string }
  /** This registrar is unusable (timeout, transport, 5xx): drop its transport. */
  | { kind: 'lost'; index: number; code: number; text: string }
  /** Every registrar failed in turn ("No registrar available"); again from the first at retryAt. */
  | { kind: 'round'; retryAt: number }
  | { kind: 'stopped'; acked: boolean };

export interface SipOutput {
  /** Send one whole message; false when the transport refused it. */
  send(bytes: Uint8Array): boolean;
}

export interface SipCounters {
  sent: number;
  retransmits: number;
  received: number;
  malformed: number;
  ignored: number;
}

export type SipState = 'idle' | 'connect' | 'register' | 'registered' | 'wait' | 'unregister' | 'done';

export const MAX_TARGETS = 6;
export const MAX_EVENTS = 8;
export const MAX_STALE = 3;
/** The refresh goes out when at most this much of the granted time is left. */
export const MARGIN_S = 64;

function opt<T>(v: T | undefined, d: T): T {
  return v !== undefined ? v : d;
}

export class SipRegister {
  readonly counters: SipCounters = { sent: 0, retransmits: 0, received: 0, malformed: 0, ignored: 0 };
  private readonly cfg: SipRegConfig;
  private readonly pol: SipPolicy;
  private readonly user: string;
  private readonly authName: string;
  private readonly password: string;
  private readonly display: string;
  private readonly stream: boolean;
  private readonly callId: string;
  private readonly tag: string;
  private expires: number;
  private st: SipState = 'idle';
  private events: SipEvent[] = [];
  private index = 0;
  private tried = 0;
  private round = 0;
  private up = false;
  private localPort = 0;
  private framer: w.Framer | null = null;
  /** A binding is held (registered, or refreshing one). */
  private bound = false;
  /** connect / wait / registered: when dispatch acts. */
  private at = Infinity;
  // The request in flight.
  private cseq = 0;
  private branch = '';
  private txBytes: Uint8Array | null = null;
  private txSend = false;
  private txSentAt = 0;
  private txNext = Infinity;
  private txGap = 0;
  private txEnd = Infinity;
  // Digest state: the challenge answered, its nonce count, our cnonce.
  private ch: w.Challenge | null = null;
  private nc = 0;
  private cnonce = '';
  private fresh = false;
  private sentFresh = false;
  private stales = 0;

  constructor(cfg: SipRegConfig) {
    if (cfg.targets.length === 0 || cfg.targets.length > MAX_TARGETS) throw new TypeError('SipRegister: targets');
    this.cfg = cfg;
    this.pol = opt(cfg.policy, DEFAULT_SIP_POLICY);
    this.user = w.utf8(cfg.user);
    this.authName = w.utf8(cfg.authName ? cfg.authName : cfg.user);
    this.password = w.utf8(cfg.password);
    this.display = w.utf8(opt(cfg.displayName, ''));
    this.stream = cfg.transport !== 'UDP';
    this.expires = opt(cfg.expires, 3600);
    this.callId = this.rnd() + '@' + ipToString(cfg.localIp);
    this.tag = this.rnd();
  }

  state(): SipState {
    return this.st;
  }

  /** The registrar in use (index into targets). */
  target(): number {
    return this.index;
  }

  /** Begin with the first registrar. */
  start(now: number): void {
    if (this.st !== 'idle') return;
    this.connect(0, now);
  }

  /** The transport to the current target is ready; `localPort` goes into Via and Contact. */
  transportUp(now: number, localPort: number): void {
    if (this.st !== 'connect') return;
    this.up = true;
    this.localPort = localPort;
    this.framer = this.stream ? new w.Framer(w.MAX_MSG) : null;
    this.register(this.expires, now);
  }

  /** The transport went away (closed, refused, name not resolved). */
  transportDown(now: number, reason: string): void {
    if (!this.up && this.st !== 'connect') return;
    this.up = false;
    if (this.st === 'unregister') this.finish(false);
    else if (this.st !== 'wait' && this.st !== 'done' && this.st !== 'idle') this.lose(0, reason, now);
  }

  /** Orderly shutdown: unregister when a binding is held. */
  stop(now: number): void {
    if (this.st === 'idle' || this.st === 'done' || this.st === 'unregister') return;
    if (this.bound && this.up) this.register(0, now);
    else this.finish(false);
  }

  /** One UDP datagram, or stream bytes in any chunking. */
  receive(bytes: Uint8Array, now: number): void {
    if (this.framer === null) {
      this.onMsg(bytes, now);
      return;
    }
    const self = this;
    const e = this.framer.push(bytes, function (m: Uint8Array): void { self.onMsg(m, now); });
    if (e !== null && this.up) this.transportDown(now, 'framing');
  }

  pollAt(): number {
    if (this.txSend) return 0;
    return Math.min(this.at, this.txNext, this.txEnd);
  }

  poll(): SipEvent | null {
    return this.events.length > 0 ? this.events.shift() as SipEvent : null;
  }

  dispatch(now: number, out: SipOutput): void {
    const tx = this.txBytes;
    if (tx !== null && (this.txSend || now >= this.txNext) && now < this.txEnd) {
      if (!this.txSend) {
        this.counters.retransmits++;
        this.txGap = Math.min(this.txGap * 2, this.pol.t2Ms);
      }
      this.txNext = this.stream ? Infinity : now + this.txGap;
      this.txSend = false;
      this.counters.sent++;
      if (!out.send(tx) && this.stream) this.transportDown(now, 'write');
      return;
    }
    if (now >= this.txEnd) {
      this.endTx();
      if (this.st === 'unregister') this.finish(false);
      else this.lose(0, 'timeout', now);
      return;
    }
    if (now < this.at) return;
    this.at = Infinity;
    if (this.st === 'connect') this.lose(0, 'timeout', now);
    else if (this.st === 'registered') this.register(this.expires, now);
    else if (this.st === 'wait') {
      if (this.up) this.register(this.expires, now);
      else this.connect(this.index, now);
    }
  }

  // ---- responses -----------------------------------------------------------------------------

  private onMsg(b: Uint8Array, now: number): void {
    this.counters.received++;
    const r = w.parse(b);
    if (!r.ok) {
      this.counters.malformed++;
      return;
    }
    const m = r.value;
    if (m.status === 0 || m.via[0].branch !== this.branch || this.txBytes === null || m.callId !== this.callId ||
        m.cseq !== this.cseq || m.cseqMethod !== 'REGISTER') {
      this.counters.ignored++;
      return;
    }
    const code = m.status;
    if (code < 200) {
      if (this.txGap > 0) this.txGap = this.pol.t2Ms;
      return;
    }
    const sentAt = this.txSentAt;
    this.endTx();
    const un = this.st === 'unregister';
    let why = '';
    if (code === 401 || code === 407) {
      why = this.answer(m);
      if (why === '') return this.register(un ? 0 : this.expires, now);
    }
    if (un) return this.finish(code < 300);
    if (code < 300) return this.granted(m, sentAt, now);
    if (code === 423 && m.minExpires > this.expires) {
      this.expires = m.minExpires;
      return this.register(this.expires, now);
    }
    if (code === 408 || code === 480 || (code >= 500 && code < 600)) return this.lose(code, m.reason, now);
    this.failed(code, why !== '' ? why : m.reason, now);
  }

  /** Take a 401/407's challenge: '' when the request is to be sent again, else why not. */
  private answer(m: w.SipMsg): string {
    const proxy = m.status === 407;
    let c: w.Challenge | null = null;
    for (let i = 0; i < m.challenges.length && c === null; i++) {
      const x = m.challenges[i];
      if (x.proxy === proxy && supported(x.algorithm) && (x.qop === '' || x.qop.split(',').indexOf('auth') >= 0)) c = x;
    }
    if (c === null) return 'no usable challenge';
    if (this.password === '') return 'no password';
    if (c.stale) {
      if (++this.stales > MAX_STALE) return 'stale nonce';
    } else if (this.sentFresh && this.ch !== null && this.ch.proxy === proxy) {
      return 'wrong password';
    }
    this.ch = c;
    this.nc = 0;
    this.cnonce = this.rnd();
    this.fresh = true;
    return '';
  }

  private granted(m: w.SipMsg, sentAt: number, now: number): void {
    const mine = this.contact().toLowerCase();
    let exp = -1;
    for (let i = 0; i < m.contacts.length && exp < 0; i++) {
      if (m.contacts[i].uri.toLowerCase() === mine) exp = m.contacts[i].expires;
    }
    if (exp < 0) exp = m.expires;
    if (exp < 0) exp = this.expires;
    if (exp === 0) return this.failed(m.status, 'no binding', now);
    const refresh = this.bound;
    this.bound = true;
    this.stales = 0;
    this.tried = 0;
    this.round = 0;
    this.setState('registered');
    this.at = sentAt + exp * 1000 - Math.min(exp * 500, MARGIN_S * 1000);
    this.push({ kind: 'registered', index: this.index, expires: exp, refresh: refresh });
  }

  // ---- requests ------------------------------------------------------------------------------

  private contact(): string {
    return 'sip:' + this.user + '@' + ipToString(this.cfg.localIp) + ':' + this.localPort +
      (this.stream ? ';transport=' + this.cfg.transport.toLowerCase() : '');
  }

  /** Start a REGISTER transaction asking for `expires` s (0: unregister). */
  private register(expires: number, now: number): void {
    const t = this.cfg.targets[this.index];
    const dflt = this.cfg.transport === 'TLS' ? w.TLS_PORT : w.PORT;
    const domain = this.cfg.domain ? this.cfg.domain : t.host + (t.port !== dflt ? ':' + t.port : '');
    const ruri = 'sip:' + domain;
    const aor = 'sip:' + this.user + '@' + domain;
    const m = w.newMsg();
    m.method = 'REGISTER';
    m.uri = ruri;
    this.branch = 'z9hG4bK' + this.rnd();
    m.via = [{ transport: this.cfg.transport, host: ipToString(this.cfg.localIp), port: this.localPort, branch: this.branch,
      received: '', rport: 0 }];
    m.maxForwards = 70;
    m.from = { display: this.display, uri: aor, tag: this.tag };
    m.to = { display: this.display, uri: aor, tag: '' };
    m.callId = this.callId;
    m.cseq = ++this.cseq;
    m.cseqMethod = 'REGISTER';
    m.contacts = [{ display: '', uri: this.contact(), expires: expires }];
    m.expires = expires;
    m.agent = opt(this.cfg.userAgent, 'Dialtone');
    const c = this.ch;
    if (c !== null) {
      this.nc++;
      const qop = c.qop === '' ? '' : 'auth';
      const resp = digestResponse(this.cfg.crypto, {
        algorithm: c.algorithm, username: this.authName, realm: c.realm, password: this.password, method: 'REGISTER',
        uri: ruri, nonce: c.nonce, qop: qop, cnonce: this.cnonce, nc: this.nc,
      }) as string;
      m.auth = { proxy: c.proxy, username: this.authName, realm: c.realm, nonce: c.nonce, uri: ruri, response: resp,
        algorithm: c.algorithm, cnonce: qop !== '' ? this.cnonce : '', opaque: c.opaque, qop: qop, nc: qop !== '' ? this.nc : 0 };
    }
    this.sentFresh = c !== null && this.fresh;
    this.fresh = false;
    const b = new Uint8Array(w.bufferLen(m));
    w.emit(m, b, 0);
    this.txBytes = b;
    this.txSend = true;
    this.txSentAt = now;
    this.txGap = this.stream ? 0 : this.pol.t1Ms;
    this.txNext = Infinity;
    this.txEnd = now + (expires === 0 ? Math.min(64 * this.pol.t1Ms, this.pol.stopTimeoutMs) : 64 * this.pol.t1Ms);
    this.at = Infinity;
    this.setState(expires === 0 ? 'unregister' : 'register');
  }

  private endTx(): void {
    this.txBytes = null;
    this.txSend = false;
    this.txNext = Infinity;
    this.txEnd = Infinity;
  }

  // ---- outcomes ------------------------------------------------------------------------------

  private connect(index: number, now: number): void {
    this.index = index;
    this.up = false;
    this.ch = null;
    this.stales = 0;
    this.setState('connect');
    this.at = now + this.pol.connectTimeoutMs;
    const t = this.cfg.targets[index];
    this.push({ kind: 'connect', index: index, host: t.host, port: t.port });
  }

  private failed(code: number, text: string, now: number): void {
    this.bound = false;
    this.ch = null;
    this.setState('wait');
    this.at = now + this.pol.retryMs;
    this.push({ kind: 'failed', index: this.index, code: code, text: text });
  }

  private lose(code: number, text: string, now: number): void {
    this.endTx();
    this.bound = false;
    this.up = false;
    this.push({ kind: 'lost', index: this.index, code: code, text: text });
    const n = this.cfg.targets.length;
    if (++this.tried < n) return this.connect((this.index + 1) % n, now);
    const b = this.pol.backoffMs;
    const wait = b[Math.min(this.round, b.length - 1)];
    this.tried = 0;
    this.round++;
    this.index = 0;
    this.setState('wait');
    this.at = now + wait;
    this.push({ kind: 'round', retryAt: this.at });
  }

  private finish(acked: boolean): void {
    this.endTx();
    this.bound = false;
    this.at = Infinity;
    this.setState('done');
    this.push({ kind: 'stopped', acked: acked });
  }

  private push(e: SipEvent): void {
    if (this.events.length >= MAX_EVENTS) this.events.shift();
    this.events.push(e);
  }

  /** The one place the state changes. */
  private setState(s: SipState): void {
    this.st = s;
  }

  private rnd(): string {
    let s = '';
    for (let i = 0; i < 2; i++) {
      let x = (this.cfg.random() >>> 0).toString(16);
      while (x.length < 8) x = '0' + x;
      s += x;
    }
    return s;
  }
}
