/**
 * A DNS stub resolver (RFC 1035 7, RFC 1123 6.1.3): A records only, servers from DHCP
 * option 6 (or preferences) via setServers, retries with backoff across the servers, and
 * a cache by TTL.
 *
 * Policy: a query goes to servers[attempt % n]; its timeout is dnsTimeoutMs doubled per
 * round through the server list; after dnsAttempts queries the name fails ('timeout').
 * NXDOMAIN ends at once ('nxdomain'); SERVFAIL/REFUSED move on to the next attempt at once.
 * CNAME chains inside one answer are followed (at most 8 links). A single-label name gets
 * the domain from setServers appended (RFC 1123 6.1.4.3's search, with one domain).
 *
 * Bounds: dnsPending queries in flight (each at most 4 waiting callbacks), dnsCacheEntries
 * cached names (the entry expiring soonest is replaced). One UDP socket, opened at the
 * first query on a random port and kept (deviation: RFC 5452 prefers a fresh port per
 * query; the 16-bit random ID and the source/question checks remain). No TCP fallback on
 * truncation: a TC answer is used if it holds an A record, else it fails.
 * Callbacks always run from a timer or a frame, never inside resolve().
 */
import type { IpLayer } from './options';
import type { UdpSocket, UdpHandler } from './udp';
import * as dns from './wire/dns';
import { parseIp } from '../../lib/bytes';

export type ResolveCallback = (ip: number | null, error?: string) => void;

const MAX_WAITERS = 4;
const MAX_CNAME_LINKS = 8;

interface Query {
  name: string;
  id: number;
  attempt: number;
  waiters: ResolveCallback[];
  timer: number;
  server: number;
}

interface CacheEntry {
  name: string;
  ip: number;
  expires: number;
}

export class DnsResolver {
  private readonly ip: IpLayer;
  private readonly openUdp: (port: number, handler: UdpHandler) => UdpSocket | null;
  private servers: number[] = [];
  private domain = '';
  private sock: UdpSocket | null = null;
  private pending: Query[] = [];
  private cache: CacheEntry[] = [];

  constructor(ip: IpLayer, openUdp: (port: number, handler: UdpHandler) => UdpSocket | null) {
    this.ip = ip;
    this.openUdp = openUdp;
  }

  /** Servers in order of preference (at most 4 kept), and an optional search domain. */
  setServers(servers: number[], domain?: string): void {
    const list: number[] = [];
    for (let i = 0; i < servers.length && list.length < 4; i++) if (servers[i] !== 0) list.push(servers[i] >>> 0);
    this.servers = list;
    this.domain = domain === undefined ? '' : domain.toLowerCase();
  }

  serverList(): number[] {
    return this.servers.slice();
  }

  /** Forget every cached answer (e.g. after a new DHCP lease). */
  flush(): void {
    this.cache = [];
  }

  /** Resolve a name (or a dotted quad) to an IPv4 address. */
  resolve(name: string, cb: ResolveCallback): void {
    const literal = parseIp(name);
    if (literal !== null) {
      this.later(cb, literal, undefined);
      return;
    }
    let fq = name.toLowerCase();
    if (fq.endsWith('.')) fq = fq.substring(0, fq.length - 1);
    if (fq.indexOf('.') < 0 && this.domain.length > 0) fq = fq + '.' + this.domain;
    if (!validName(fq)) {
      this.later(cb, null, 'bad name');
      return;
    }
    const now = this.ip.clock.now();
    for (let i = 0; i < this.cache.length; i++) {
      const c = this.cache[i];
      if (c.name === fq && c.expires > now) {
        this.ip.counters.dnsCacheHits++;
        this.later(cb, c.ip, undefined);
        return;
      }
    }
    for (let i = 0; i < this.pending.length; i++) {
      const q = this.pending[i];
      if (q.name === fq) {
        if (q.waiters.length >= MAX_WAITERS) this.later(cb, null, 'busy');
        else q.waiters.push(cb);
        return;
      }
    }
    if (this.servers.length === 0) {
      this.later(cb, null, 'no dns server');
      return;
    }
    if (this.pending.length >= this.ip.config.dnsPending) {
      this.later(cb, null, 'busy');
      return;
    }
    if (this.sock === null) {
      this.sock = this.openUdp(0, (data, srcIp, srcPort) => this.onResponse(data, srcIp, srcPort));
      if (this.sock === null) {
        this.later(cb, null, 'no socket');
        return;
      }
    }
    const q: Query = { name: fq, id: this.ip.random32() & 0xffff, attempt: 0, waiters: [cb], timer: -1, server: 0 };
    this.pending.push(q);
    this.send(q);
  }

  private later(cb: ResolveCallback, ip: number | null, error: string | undefined): void {
    this.ip.clock.setTimer(0, () => {
      if (error === undefined) cb(ip);
      else cb(ip, error);
    });
  }

  private send(q: Query): void {
    const n = this.servers.length;
    q.server = this.servers[q.attempt % n];
    const round = Math.floor(q.attempt / n);
    const timeout = this.ip.config.dnsTimeoutMs * (1 << (round < 5 ? round : 5));
    q.attempt++;
    const m = dns.query(q.id, q.name, dns.TYPE_A);
    const bytes = new Uint8Array(dns.bufferLen(m));
    dns.emit(m, bytes, 0);
    this.ip.counters.dnsQueries++;
    if (this.sock !== null) this.sock.sendTo(q.server, 53, bytes);
    q.timer = this.ip.clock.setTimer(timeout, () => this.onTimeout(q));
  }

  private onTimeout(q: Query): void {
    q.timer = -1;
    this.retryOrFail(q, 'timeout');
  }

  private retryOrFail(q: Query, error: string): void {
    if (q.attempt >= this.ip.config.dnsAttempts) this.finish(q, null, error);
    else this.send(q);
  }

  private finish(q: Query, ip: number | null, error: string | undefined): void {
    if (q.timer >= 0) this.ip.clock.clearTimer(q.timer);
    q.timer = -1;
    const i = this.pending.indexOf(q);
    if (i >= 0) this.pending.splice(i, 1);
    for (let k = 0; k < q.waiters.length; k++) {
      if (error === undefined) q.waiters[k](ip);
      else q.waiters[k](ip, error);
    }
  }

  private onResponse(data: Uint8Array, srcIp: number, srcPort: number): void {
    if (srcPort !== 53) return;
    const r = dns.parse(data);
    if (!r.ok) return;
    const m = r.value;
    if (!dns.isResponse(m)) return;
    let q: Query | null = null;
    for (let i = 0; i < this.pending.length; i++) if (this.pending[i].id === m.id) q = this.pending[i];
    if (q === null || srcIp !== q.server) return;
    if (m.questions.length !== 1 || m.questions[0].name.toLowerCase() !== q.name) return;
    const rc = dns.rcode(m);
    if (rc === dns.RCODE_NXDOMAIN) {
      this.finish(q, null, 'nxdomain');
      return;
    }
    if (rc !== dns.RCODE_NOERROR) {
      if (q.timer >= 0) this.ip.clock.clearTimer(q.timer);
      q.timer = -1;
      this.retryOrFail(q, 'rcode ' + rc);
      return;
    }
    // Follow a CNAME chain (iteratively, bounded), then take the A record of its end.
    let target = q.name;
    for (let hop = 0; hop < MAX_CNAME_LINKS; hop++) {
      let moved = false;
      for (let i = 0; i < m.answers.length; i++) {
        const a = m.answers[i];
        if (a.type === dns.TYPE_CNAME && a.name.toLowerCase() === target) {
          target = a.target.toLowerCase();
          moved = true;
          break;
        }
      }
      if (!moved) break;
    }
    for (let i = 0; i < m.answers.length; i++) {
      const a = m.answers[i];
      if (a.type === dns.TYPE_A && a.klass === dns.CLASS_IN && a.name.toLowerCase() === target) {
        this.store(q.name, a.address, a.ttl);
        this.finish(q, a.address, undefined);
        return;
      }
    }
    this.finish(q, null, 'no address');
  }

  private store(name: string, ip: number, ttlSec: number): void {
    const cap = this.ip.config.dnsCacheEntries;
    if (cap === 0) return;
    const ttl = ttlSec < this.ip.config.dnsMaxTtlSec ? ttlSec : this.ip.config.dnsMaxTtlSec;
    const expires = this.ip.clock.now() + ttl * 1000;
    let slot = -1;
    for (let i = 0; i < this.cache.length; i++) if (this.cache[i].name === name) slot = i;
    if (slot < 0 && this.cache.length < cap) {
      this.cache.push({ name: name, ip: ip, expires: expires });
      return;
    }
    if (slot < 0) {
      slot = 0;
      for (let i = 1; i < this.cache.length; i++) if (this.cache[i].expires < this.cache[slot].expires) slot = i;
    }
    this.cache[slot] = { name: name, ip: ip, expires: expires };
  }

  /** Cached names (for tests and diagnostics). */
  cacheSize(): number {
    return this.cache.length;
  }
}

function validName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  for (let i = 0; i < labels.length; i++) if (labels[i].length === 0 || labels[i].length > 63) return false;
  return true;
}
