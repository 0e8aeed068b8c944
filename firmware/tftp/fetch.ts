/**
 * The fetch a boot step needs, as a sans-IO machine over TftpClient transfers: one file
 * out of ordered candidates (CTLSEP<MAC>.tlv then CTLFile.tlv; SEP<MAC>.cnf.xml then
 * XMLDefault.cnf.xml) from an ordered server list (option 150, option 66, stored, alternate).
 *
 * Rules, per attempt (each on a fresh local port, as the phones in the server log do):
 * - found: 'done' (the data went to the sink `sinkFor(name, server)` gave for the attempt);
 * - file not found: the next candidate on the same server; when none is left and every
 *   candidate is optional: 'absent' (nothing to fetch, not an error); otherwise the server is
 *   marked as lacking the file and the next server is tried;
 * - timeout or any other failure: the next server, from the first candidate again;
 * - after `rounds` passes over the servers (servers that lacked the file are not asked
 *   again): 'failed' with the failure ('not-found' when a server said so, else the last
 *   one) and `retryAt`, when to start over (RETRY_WAIT_MS: 79xx phones in the log start
 *   their sequence again about 51 s after the last attempt timed out; they make three
 *   attempts per file, hence `rounds` 3).
 * Events 'trying' and 'missed' tell the log and the display what happens on the way.
 *
 * Sockets: `out.open()` gives a handle for a fresh UDP port per attempt, `out.close(h)`
 * releases it when the transfer has nothing left to send; a finished download dallies on
 * its port (re-acknowledging a repeated last block) while the next fetch may already run,
 * so at most 2 ports are open. Caps: MAX_SERVERS servers, MAX_FILES candidates, 16 events.
 */
import { TftpClient, TftpClientConfig, TftpFailure, TftpSink, TftpOutput } from './client';
import { PORT } from './wire';

export interface FetchFile {
  name: string;
  /** Its absence is normal (a CTL on a non-secure cluster). */
  optional: boolean;
}

export type FetchEvent =
  | { kind: 'trying'; server: number; name: string }
  | { kind: 'missed'; server: number; name: string; failure: TftpFailure }
  | { kind: 'done'; server: number; name: string; size: number; blksize: number; windowsize: number }
  | { kind: 'absent' }
  | { kind: 'failed'; failure: TftpFailure; retryAt: number };

export interface FetchOutput {
  /** A fresh UDP port for one transfer: a handle >= 0, or -1 when none is free. */
  open(): number;
  send(handle: number, dstIp: number, dstPort: number, data: Uint8Array): void;
  close(handle: number): void;
}

export interface FetchConfig extends TftpClientConfig {
  /** Passes over the server list (default 3). */
  rounds?: number;
  /** Wait suggested in 'failed' (default RETRY_WAIT_MS). */
  retryWaitMs?: number;
  /** Server port (default 69). */
  serverPort?: number;
}

export const RETRY_WAIT_MS = 51000;
export const MAX_SERVERS = 8;
export const MAX_FILES = 8;
const MAX_EVENTS = 16;

type FetchState = 'idle' | 'open' | 'run';

export class TftpFetch {
  private readonly clients: TftpClient[] = [];
  private readonly handles: number[] = [-1, -1];
  private readonly outs: TftpOutput[] = [];
  private readonly rounds: number;
  private readonly retryWaitMs: number;
  private readonly port: number;
  private out: FetchOutput | null = null;
  private st: FetchState = 'idle';
  private cur = -1;
  private servers: number[] = [];
  private files: FetchFile[] = [];
  private lacking: boolean[] = [];
  private sinkFor: ((name: string, server: number) => TftpSink) | null = null;
  private si = 0;
  private fi = 0;
  private round = 0;
  private lastFail: TftpFailure | null = null;
  private sawMissing = false;
  private events: FetchEvent[] = [];

  constructor(config?: FetchConfig) {
    const c = config || {};
    this.rounds = c.rounds !== undefined && c.rounds > 0 ? c.rounds : 3;
    this.retryWaitMs = c.retryWaitMs !== undefined ? c.retryWaitMs : RETRY_WAIT_MS;
    this.port = c.serverPort !== undefined ? c.serverPort : PORT;
    const self = this;
    const adapter = function (k: number): TftpOutput {
      return {
        send: function (ip: number, port: number, data: Uint8Array): void {
          if (self.out !== null && self.handles[k] >= 0) self.out.send(self.handles[k], ip, port, data);
        },
      };
    };
    for (let k = 0; k < 2; k++) {
      this.clients.push(new TftpClient(c));
      this.outs.push(adapter(k));
    }
  }

  /** Fetch the first of `files` found on `servers` (in order). Replaces a running fetch. */
  start(now: number, servers: number[], files: FetchFile[], sinkFor: (name: string, server: number) => TftpSink): void {
    if (servers.length === 0 || servers.length > MAX_SERVERS || files.length === 0 || files.length > MAX_FILES) {
      throw new TypeError('tftp fetch: bad lists');
    }
    this.cancel();
    this.servers = servers.slice(0);
    this.files = files.slice(0);
    this.lacking = [];
    for (let i = 0; i < servers.length; i++) this.lacking.push(false);
    this.sinkFor = sinkFor;
    this.si = 0;
    this.fi = 0;
    this.round = 0;
    this.lastFail = null;
    this.sawMissing = false;
    this.st = 'open';
  }

  /** Abandon the running fetch (ERROR 0 to a server that answered); no event follows. */
  cancel(): void {
    if (this.cur >= 0) {
      const c = this.clients[this.cur];
      c.cancel();
      c.poll();
    }
    this.cur = -1;
    this.st = 'idle';
  }

  busy(): boolean {
    return this.st !== 'idle';
  }

  /** The transfer under way: server, file, bytes so far, size (-1 unknown); null if none. */
  current(): { server: number; name: string; bytes: number; total: number } | null {
    if (this.cur < 0) return null;
    const c = this.clients[this.cur];
    return { server: this.servers[this.si], name: this.files[this.fi].name, bytes: c.received(), total: c.total() };
  }

  pollAt(): number {
    if (this.st === 'open') return 0;
    let t = Infinity;
    for (let k = 0; k < 2; k++) {
      if (this.handles[k] < 0) continue;
      const c = this.clients[k];
      if (c.finished()) return 0;
      const p = c.pollAt();
      if (p < t) t = p;
    }
    return t;
  }

  poll(): FetchEvent | null {
    if (this.events.length === 0) return null;
    return this.events.shift() as FetchEvent;
  }

  /** A datagram that arrived on the port of `handle`. */
  process(handle: number, data: Uint8Array, srcIp: number, srcPort: number, now: number): void {
    for (let k = 0; k < 2; k++) {
      if (this.handles[k] !== handle || handle < 0) continue;
      this.clients[k].process(data, srcIp, srcPort, now);
      if (k === this.cur) this.reap(now);
      return;
    }
  }

  dispatch(now: number, out: FetchOutput): void {
    this.out = out;
    for (let k = 0; k < 2; k++) {
      if (this.handles[k] < 0) continue;
      const c = this.clients[k];
      if (c.pollAt() <= now) c.dispatch(now, this.outs[k]);
      if (k === this.cur) this.reap(now);
      if (c.finished() && k !== this.cur) {
        out.close(this.handles[k]);
        this.handles[k] = -1;
      }
    }
    if (this.st === 'open') this.attempt(now, out);
  }

  private attempt(now: number, out: FetchOutput): void {
    let k = this.handles[0] < 0 ? 0 : (this.handles[1] < 0 ? 1 : -1);
    if (k < 0) {
      // Both ports busy (a dally and a cancelled transfer): end the first.
      k = 0;
      this.clients[0].cancel();
      this.clients[0].dispatch(now, this.outs[0]);
      out.close(this.handles[0]);
      this.handles[0] = -1;
    }
    const h = out.open();
    if (h < 0) {
      this.giveUp(now, { kind: 'refused', code: -1, message: 'no socket' });
      return;
    }
    const server = this.servers[this.si];
    const name = this.files[this.fi].name;
    this.handles[k] = h;
    this.cur = k;
    this.st = 'run';
    this.clients[k].start(now, server, this.port, name, (this.sinkFor as (n: string, s: number) => TftpSink)(name, server));
    this.push({ kind: 'trying', server: server, name: name });
  }

  /** Act on the current transfer's event. */
  private reap(now: number): void {
    const e = this.clients[this.cur].poll();
    if (e === null) return;
    const server = this.servers[this.si];
    const name = this.files[this.fi].name;
    this.cur = -1;
    this.st = 'idle';
    if (e.kind === 'done') {
      this.push({ kind: 'done', server: server, name: name, size: e.size, blksize: e.blksize, windowsize: e.windowsize });
      return;
    }
    const f = e.failure;
    this.push({ kind: 'missed', server: server, name: name, failure: f });
    if (f.kind === 'not-found') {
      this.fi++;
      if (this.fi < this.files.length) {
        this.st = 'open';
        return;
      }
      let optional = true;
      for (let i = 0; i < this.files.length; i++) if (!this.files[i].optional) optional = false;
      if (optional) {
        this.push({ kind: 'absent' });
        return;
      }
      this.lacking[this.si] = true;
      this.sawMissing = true;
    }
    this.lastFail = f;
    this.nextServer(now);
  }

  private nextServer(now: number): void {
    this.fi = 0;
    for (let n = 0; n < this.servers.length; n++) {
      this.si++;
      if (this.si >= this.servers.length) {
        this.si = 0;
        this.round++;
        if (this.round >= this.rounds) break;
      }
      if (!this.lacking[this.si]) {
        this.st = 'open';
        return;
      }
    }
    const f = this.sawMissing ? { kind: 'not-found', code: 1, message: 'not found' } as TftpFailure : this.lastFail as TftpFailure;
    this.giveUp(now, f);
  }

  private giveUp(now: number, f: TftpFailure): void {
    this.st = 'idle';
    this.push({ kind: 'failed', failure: f, retryAt: now + this.retryWaitMs });
  }

  private push(e: FetchEvent): void {
    if (this.events.length >= MAX_EVENTS) this.events.shift();
    this.events.push(e);
  }
}
