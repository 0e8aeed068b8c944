/**
 * The TFTP server core, sans-IO (host code), shared by the lab's server on the simulated
 * wire (tools/lab/tftp-server.ts) and `dialtone ota serve` on real sockets (serve.ts). It
 * speaks through the firmware's codec (firmware/tftp/wire.ts), the same one the phone uses.
 *
 *   request(bytes, ip, port, now)      a datagram to port 69
 *   process(id, bytes, ip, port, now)  a datagram to session `id`'s own port (its TID)
 *   pollAt() / dispatch(now, out) / poll()   (firmware/driver.ts drives it)
 *
 * `out.send(id, ...)` sends from session `id`'s port (the binding opens one per session on
 * first use and returns false when it cannot: the session is then dropped and the client's
 * retransmitted request tries again), `out.close(id)` releases it.
 *
 * Read requests only (a WRQ gets ERROR 2), octet and netascii (netascii is served as
 * stored, no CR/LF conversion: a deviation). Options (RFC 2347): blksize (2348, capped at
 * `maxBlksize`), timeout and tsize (2349), windowsize (7440, capped at `maxWindowsize`);
 * an OACK carries what was accepted and DATA starts after ACK 0; unknown options are
 * ignored. Sending (RFC 7440): a window of blocks, then wait; an ACK of a block inside the
 * window resends from the block after it; a duplicate or old ACK is ignored (RFC 1123
 * 4.2.3.1: no Sorcerer's Apprentice); on timeout the window is resent from the last
 * acknowledged block, `retries` times, then the session ends. A packet to a session's port
 * from another address/port gets ERROR 5. A repeated request from a peer that has a
 * session is ignored (it is the client retransmitting).
 *
 * Bounds: at most `maxSessions` sessions (more requests are dropped unanswered, counted in
 * `counters.busy`, so a boot storm of phones is served in turns as their requests repeat);
 * one `blksize + 4` buffer per session; the file is read block by block from `files`.
 *
 * Misbehaviour for tests: `ignoreOptions` (an RFC 1350 server), `maxBlksize` (dnsmasq caps
 * at 1468), `noWindowsize` (tftpd-hpa), `noTimeout`, `noTsize`, `rejectOptions` (ERROR 8 to
 * any request with options), `dieAfterBlocks` (a session goes silent after sending that
 * many blocks, as a server that dies mid-transfer), `drop` / `duplicate` (probability per
 * sent packet, from `random`), `kill()` / `revive()` (the whole server silent).
 */
import * as tftp from '../../firmware/tftp/wire';

export interface ServedFile {
  size: number;
  /** Copy up to `len` bytes at `offset` into `buf[at..]`; returns the count. */
  read(offset: number, buf: Uint8Array, at: number, len: number): number;
  close?(): void;
}

export interface OpenError {
  error: number;
  message: string;
}

export interface FileSource {
  open(name: string): ServedFile | OpenError;
}

export interface ServerKnobs {
  ignoreOptions?: boolean;
  maxBlksize?: number;
  maxWindowsize?: number;
  noWindowsize?: boolean;
  noTimeout?: boolean;
  noTsize?: boolean;
  rejectOptions?: boolean;
  dieAfterBlocks?: number;
  drop?: number;
  duplicate?: number;
  /** Uniform [0, 1) for drop/duplicate (a seeded PRNG in tests). */
  random?: () => number;
}

export interface ServerConfig extends ServerKnobs {
  files: FileSource;
  /** Default 64. */
  maxSessions?: number;
  /** Retransmission wait when the client asks no timeout (default 1000 ms). */
  timeoutMs?: number;
  /** Retransmissions before a session gives up (default 5). */
  retries?: number;
}

export interface ServerOutput {
  send(id: number, ip: number, port: number, data: Uint8Array): boolean;
  close(id: number): void;
}

export type TransferResult = 'ok' | 'error' | 'timeout' | 'aborted' | 'dead' | 'busy';

export interface TransferRecord {
  id: number;
  ip: number;
  port: number;
  file: string;
  result: TransferResult;
  /** ERROR code sent (result 'error') or received ('aborted'); -1 otherwise. */
  code: number;
  detail: string;
  /** Bytes acknowledged by the client. */
  bytes: number;
  size: number;
  blksize: number;
  windowsize: number;
  options: string;
  startedAt: number;
  endedAt: number;
  retransmits: number;
}

export type ServerEvent = { kind: 'start'; t: TransferRecord } | { kind: 'end'; t: TransferRecord };

export interface ServerCounters {
  requests: number;
  malformed: number;
  repeats: number;
  busy: number;
  sessions: number;
  stray: number;
  packetsSent: number;
  dropped: number;
  duplicated: number;
}

type SessionState = 'error' | 'oack' | 'data' | 'dead' | 'end';

interface Session {
  id: number;
  ip: number;
  port: number;
  key: string;
  st: SessionState;
  file: ServedFile | null;
  rec: TransferRecord;
  blk: number;
  win: number;
  timeoutMs: number;
  /** Last block count acknowledged; next block count to send; the final block's count. */
  base: number;
  next: number;
  last: number;
  oack: Uint8Array | null;
  buf: Uint8Array;
  due: boolean;
  deadline: number;
  tries: number;
  sentBlocks: number;
  strayIp: number;
  strayPort: number;
}

/** "a/b.cnf" from what a client sent: leading '/' and './' dropped, '\' as '/'; null if unsafe. */
export function normalizeName(name: string): string | null {
  let n = name.replace(/\\/g, '/');
  while (n.startsWith('/') || n.startsWith('./')) n = n.startsWith('/') ? n.slice(1) : n.slice(2);
  if (n === '' || n.includes('\0')) return null;
  for (const part of n.split('/')) if (part === '..') return null;
  return n;
}

/** Files from memory (name -> bytes); names as normalizeName gives them. */
export function mapSource(files: Map<string, Uint8Array> | Record<string, Uint8Array>): FileSource & { set(name: string, data: Uint8Array | null): void } {
  const map = files instanceof Map ? files : new Map(Object.entries(files));
  return {
    set(name, data) {
      if (data === null) map.delete(name);
      else map.set(name, data);
    },
    open(name) {
      const n = normalizeName(name);
      if (n === null) return { error: tftp.ERR_ACCESS, message: 'access violation' };
      const data = map.get(n);
      if (!data) return { error: tftp.ERR_NOT_FOUND, message: 'file not found' };
      return {
        size: data.length,
        read(offset, buf, at, len) {
          const n2 = Math.max(0, Math.min(len, data.length - offset));
          buf.set(data.subarray(offset, offset + n2), at);
          return n2;
        },
      };
    },
  };
}

const MAX_OPTIONS_TEXT = 120;
const UNKNOWN_TID = ((): Uint8Array => {
  const rep: tftp.TftpRepr = { op: tftp.OP_ERROR, code: tftp.ERR_UNKNOWN_TID, message: 'unknown transfer ID' };
  const b = new Uint8Array(tftp.bufferLen(rep));
  tftp.emit(rep, b, 0);
  return b;
})();

export class TftpServerCore {
  readonly counters: ServerCounters = { requests: 0, malformed: 0, repeats: 0, busy: 0, sessions: 0, stray: 0, packetsSent: 0, dropped: 0, duplicated: 0 };
  readonly config: ServerConfig;
  private readonly sessions = new Map<number, Session>();
  private readonly byPeer = new Map<string, Session>();
  private readonly events: ServerEvent[] = [];
  private nextId = 1;
  private silent = false;

  constructor(config: ServerConfig) {
    this.config = config;
  }

  /** Go silent: sessions stop, requests are ignored (a server that died). */
  kill(): void {
    this.silent = true;
    for (const s of this.sessions.values()) if (s.st !== 'end') this.goDead(s, 0);
  }

  revive(): void {
    this.silent = false;
  }

  activeSessions(): number {
    return this.sessions.size;
  }

  poll(): ServerEvent | null {
    return this.events.shift() ?? null;
  }

  pollAt(): number {
    let t = Infinity;
    for (const s of this.sessions.values()) {
      if (s.due || s.st === 'end' || s.strayPort >= 0) return 0;
      if (s.deadline < t) t = s.deadline;
    }
    return t;
  }

  /** A datagram to the listening port. */
  request(data: Uint8Array, ip: number, port: number, now: number): void {
    if (this.silent) return;
    const r = tftp.parse(data);
    if (!r.ok || (r.value.op !== tftp.OP_RRQ && r.value.op !== tftp.OP_WRQ)) {
      this.counters.malformed++;
      return;
    }
    this.counters.requests++;
    const key = `${ip >>> 0}:${port}`;
    if (this.byPeer.has(key)) {
      this.counters.repeats++;
      return;
    }
    if (this.sessions.size >= (this.config.maxSessions ?? 64)) {
      this.counters.busy++;
      return;
    }
    const req = r.value;
    const c = this.config;
    const s: Session = {
      id: this.nextId++, ip: ip >>> 0, port, key, st: 'error', file: null,
      rec: {
        id: 0, ip: ip >>> 0, port, file: req.filename, result: 'ok', code: -1, detail: '', bytes: 0, size: -1,
        blksize: tftp.DEFAULT_BLKSIZE, windowsize: 1, options: '', startedAt: now, endedAt: now, retransmits: 0,
      },
      blk: tftp.DEFAULT_BLKSIZE, win: 1, timeoutMs: c.timeoutMs ?? 1000, base: 0, next: 1, last: 1, oack: null,
      buf: new Uint8Array(0), due: true, deadline: Infinity, tries: 0, sentBlocks: 0, strayIp: 0, strayPort: -1,
    };
    s.rec.id = s.id;
    s.rec.options = req.options.map((o) => `${o.name}=${o.value}`).join(' ').slice(0, MAX_OPTIONS_TEXT);
    this.sessions.set(s.id, s);
    this.byPeer.set(key, s);
    this.counters.sessions++;
    this.events.push({ kind: 'start', t: s.rec });
    this.setup(s, req);
  }

  private setup(s: Session, req: tftp.RequestRepr): void {
    const c = this.config;
    const mode = req.mode.toLowerCase();
    if (req.op === tftp.OP_WRQ) return this.refuse(s, tftp.ERR_ACCESS, 'read-only server');
    if (mode !== 'octet' && mode !== 'netascii') return this.refuse(s, tftp.ERR_ILLEGAL, 'unsupported mode');
    if (req.options.length > 0 && c.rejectOptions) return this.refuse(s, tftp.ERR_OPTIONS, 'options refused');
    const f = c.files.open(req.filename);
    if ('error' in f) return this.refuse(s, f.error, f.message);
    s.file = f;
    s.rec.size = f.size;
    const accepted: tftp.TftpOption[] = [];
    if (!c.ignoreOptions) {
      for (const o of req.options) {
        const name = o.name.toLowerCase();
        const n = tftp.optionNumber(o.value);
        if (name === 'blksize' && n >= tftp.MIN_BLKSIZE) {
          s.blk = Math.min(n, c.maxBlksize ?? tftp.MAX_BLKSIZE, tftp.MAX_BLKSIZE);
          accepted.push({ name: o.name, value: String(s.blk) });
        } else if (name === 'windowsize' && !c.noWindowsize && n >= 1 && n <= tftp.MAX_WINDOWSIZE) {
          s.win = Math.min(n, c.maxWindowsize ?? 64);
          accepted.push({ name: o.name, value: String(s.win) });
        } else if (name === 'timeout' && !c.noTimeout && n >= 1 && n <= 255) {
          s.timeoutMs = n * 1000;
          accepted.push({ name: o.name, value: o.value });
        } else if (name === 'tsize' && !c.noTsize && n >= 0) {
          accepted.push({ name: o.name, value: String(f.size) });
        }
      }
    }
    s.rec.blksize = s.blk;
    s.rec.windowsize = s.win;
    s.buf = new Uint8Array(s.blk + tftp.HEADER_LEN);
    s.last = Math.floor(f.size / s.blk) + 1;
    if (accepted.length > 0) {
      const rep: tftp.TftpRepr = { op: tftp.OP_OACK, options: accepted };
      s.oack = new Uint8Array(tftp.bufferLen(rep));
      tftp.emit(rep, s.oack, 0);
      s.st = 'oack';
    } else {
      s.st = 'data';
    }
  }

  private refuse(s: Session, code: number, message: string): void {
    s.st = 'error';
    s.rec.code = code;
    s.rec.detail = message;
    s.due = true;
  }

  /** A datagram to session `id`'s port. */
  process(id: number, data: Uint8Array, ip: number, port: number, now: number): void {
    const s = this.sessions.get(id);
    if (!s || s.st === 'end' || s.st === 'dead') return;
    if ((ip >>> 0) !== s.ip || port !== s.port) {
      this.counters.stray++;
      if (s.strayPort < 0) {
        s.strayIp = ip >>> 0;
        s.strayPort = port;
      }
      return;
    }
    const r = tftp.parse(data);
    if (!r.ok) {
      this.counters.malformed++;
      return;
    }
    const p = r.value;
    if (p.op === tftp.OP_ERROR) {
      s.rec.code = p.code;
      s.rec.detail = p.message;
      this.end(s, 'aborted', now);
      return;
    }
    if (p.op !== tftp.OP_ACK) return;
    if (s.st === 'oack') {
      if (p.block !== 0) return;
      s.st = 'data';
      s.base = 0;
      s.next = 1;
      s.tries = 0;
      s.due = true;
      return;
    }
    if (s.st !== 'data') return;
    const c = s.base + ((p.block - s.base) & 0xffff);
    if (c <= s.base || c >= s.next) return;   // a duplicate, an old or a future ACK: ignored
    s.base = c;
    s.rec.bytes = Math.min(c * s.blk, s.rec.size);
    s.tries = 0;
    if (c === s.last) {
      this.end(s, 'ok', now);
      return;
    }
    if (c < s.next - 1) s.next = c + 1;   // the client missed a block of the window
    s.due = true;
  }

  dispatch(now: number, out: ServerOutput): void {
    for (const s of [...this.sessions.values()]) {
      if (s.strayPort >= 0) {
        out.send(s.id, s.strayIp, s.strayPort, UNKNOWN_TID);
        s.strayPort = -1;
      }
      if (s.st === 'end') {
        out.close(s.id);
        this.sessions.delete(s.id);
        if (this.byPeer.get(s.key) === s) this.byPeer.delete(s.key);
        continue;
      }
      if (!s.due && now < s.deadline) continue;
      if (s.st === 'dead') {
        this.end(s, 'dead', now);
        continue;
      }
      const timedOut = !s.due;
      s.due = false;
      if (timedOut) {
        if (s.tries >= (this.config.retries ?? 5)) {
          this.end(s, 'timeout', now);
          continue;
        }
        s.tries++;
        s.rec.retransmits++;
        if (s.st === 'data') s.next = s.base + 1;
      }
      this.act(s, now, out);
    }
  }

  private act(s: Session, now: number, out: ServerOutput): void {
    if (s.st === 'error') {
      const rep: tftp.TftpRepr = { op: tftp.OP_ERROR, code: s.rec.code, message: s.rec.detail };
      const b = new Uint8Array(tftp.bufferLen(rep));
      tftp.emit(rep, b, 0);
      this.sendPkt(s, out, b, now);
      this.end(s, 'error', now);
      return;
    }
    if (s.st === 'oack') {
      if (!this.sendPkt(s, out, s.oack as Uint8Array, now)) return;
    } else {
      const end = Math.min(s.base + s.win, s.last);
      const f = s.file as ServedFile;
      while (s.next <= end) {
        if (this.config.dieAfterBlocks !== undefined && s.sentBlocks >= this.config.dieAfterBlocks) {
          this.goDead(s, now);
          return;
        }
        const off = (s.next - 1) * s.blk;
        const len = off >= f.size ? 0 : f.read(off, s.buf, tftp.HEADER_LEN, Math.min(s.blk, f.size - off));
        tftp.emitDataHeader(s.next, s.buf, 0);
        if (!this.sendPkt(s, out, s.buf.subarray(0, tftp.HEADER_LEN + len), now)) return;
        s.sentBlocks++;
        s.next++;
      }
    }
    s.deadline = now + s.timeoutMs;
  }

  /** Send with the drop/duplicate knobs; false when the session could not get a port. */
  private sendPkt(s: Session, out: ServerOutput, b: Uint8Array, now: number): boolean {
    const c = this.config;
    const rnd = c.random ?? Math.random;
    if (c.drop && rnd() < c.drop) {
      this.counters.dropped++;
      return true;
    }
    if (!out.send(s.id, s.ip, s.port, b)) {
      this.counters.busy++;
      s.rec.detail = 'no port';
      this.end(s, 'busy', now);
      return false;
    }
    this.counters.packetsSent++;
    if (c.duplicate && rnd() < c.duplicate) {
      out.send(s.id, s.ip, s.port, b);
      this.counters.duplicated++;
      this.counters.packetsSent++;
    }
    return true;
  }

  private goDead(s: Session, now: number): void {
    s.st = 'dead';
    s.due = false;
    // Linger as long as the client could keep retrying, then forget the session silently.
    s.deadline = now + s.timeoutMs * ((this.config.retries ?? 5) + 1);
  }

  private end(s: Session, result: TransferResult, now: number): void {
    if (s.st === 'end') return;
    s.st = 'end';
    s.due = false;
    s.rec.result = result;
    s.rec.endedAt = Math.max(now, s.rec.startedAt);
    if (s.file?.close) s.file.close();
    s.file = null;
    this.events.push({ kind: 'end', t: s.rec });
  }
}

/** One log line per finished transfer. */
export function describeTransfer(t: TransferRecord, ipText: (ip: number) => string): string {
  const who = `${ipText(t.ip)}:${t.port} ${t.file}`;
  const ms = Math.round(t.endedAt - t.startedAt);
  const opts = `blksize ${t.blksize}, windowsize ${t.windowsize}${t.options ? `; asked ${t.options}` : ''}`;
  switch (t.result) {
    case 'ok':
      return `${who}: sent ${t.size} bytes in ${ms} ms (${opts}${t.retransmits ? `, ${t.retransmits} timeouts` : ''})`;
    case 'error':
      return `${who}: ERROR ${t.code} ${t.detail}`;
    case 'aborted':
      return `${who}: aborted by the client after ${t.bytes} bytes (ERROR ${t.code} ${t.detail})`;
    case 'timeout':
      return `${who}: client gone after ${t.bytes} of ${t.size} bytes (${opts})`;
    case 'dead':
      return `${who}: went silent after ${t.bytes} bytes (test knob)`;
    default:
      return `${who}: dropped (${t.detail || 'busy'})`;
  }
}
