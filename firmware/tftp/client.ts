/**
 * TFTP download client, one transfer per `start`, as a sans-IO machine (the DHCP client's
 * shape): `process(bytes, srcIp, srcPort, now)` feeds a datagram, `pollAt()` says when
 * `dispatch(now, out)` has work, `poll()` yields the one 'done' or 'failed' event. It owns
 * no socket and no timer; fetch.ts sequences transfers, service.ts binds them to UDP.
 *
 * Protocol: RFC 1350 read requests (octet mode) with options RFC 2347: blksize (2348),
 * timeout and tsize (2349), windowsize (7440).
 * - The OACK may lower blksize/windowsize (honoured); a value above the request, an option
 *   not asked for, or an OACK to a plain request gets ERROR 8 and fails 'protocol'.
 * - A server that ignores options answers DATA 1 (512 bytes, window 1): taken as is.
 * - ERROR 8 to the request with options: the same request again without options, once.
 * - Transfer ID (RFC 1350 section 4): the first reply's source port is the server's TID;
 *   a packet from any other address or port gets ERROR 5 and is otherwise ignored.
 * - ERROR 1 fails 'not-found', any other ERROR 'server' (code and message kept).
 * - Retransmission: the request, then the last ACK, after `rto` without progress; `rto`
 *   starts at retry.firstMs and doubles to retry.maxMs; progress resets it; `giveUpMs`
 *   without progress fails 'timeout'. DEFAULT_RETRY sends at 0, 1, 3, 7, 11, 15, 19 s and
 *   gives up at 20 s; PHONE_RETRY is the 79xx's every 4 s, five sends, 20 s (the server log
 *   in the fixtures).
 * - Duplicates (RFC 1123 4.2.3.1, Sorcerer's Apprentice): a duplicate DATA or OACK is
 *   counted and never answered; only the timer resends an ACK. So a server that sends
 *   twice for each ACK gets one ACK per block and its duplicates die out. After the last
 *   block the client dallies `dallyMs`, re-acknowledging a repeated last block (nothing
 *   follows it, so this cannot multiply).
 * - Window (RFC 7440): an ACK after each `windowsize` blocks in order and after the last.
 *   A block ahead of the next expected one by at most `reorder` is held in a slot and
 *   delivered when the gap fills (bounded reordering); a block further ahead, or the
 *   window's last block (or a short block) arriving with a gap, gets one ACK of the last
 *   in-order block at once, and the server resends from there.
 * - Block numbers roll over to 0 after 65535 (tftpd-hpa's default), so files may exceed
 *   65535 blocks.
 *
 * Streaming: each in-order block goes to the sink as it arrives (`write(data, offset)`,
 * the view valid only during the call); `begin(tsize or -1)` comes first, on the OACK or
 * DATA 1, `end(size)` after the last block, `abort(failure)` on a failure after begin. A
 * sink that returns false aborts the transfer (ERROR 0 to the server, 'refused'); so does a
 * file over `maxSize` (ERROR 3, 'too-large', from tsize or while counting).
 *
 * Memory: a 400-byte transmit buffer, `reorder` slots of `blksize` bytes (allocated when a
 * block first arrives out of order, released when the transfer ends: an in-order transfer
 * never holds them; none with windowsize 1), one event. Never the file.
 */
import {
  parse, emit, emitAck, optionNumber, TftpOption,
  OP_RRQ, OP_DATA, OP_ERROR, OP_OACK, PORT,
  ERR_UNDEFINED, ERR_NOT_FOUND, ERR_DISK_FULL, ERR_ILLEGAL, ERR_UNKNOWN_TID, ERR_OPTIONS,
  DEFAULT_BLKSIZE, MIN_BLKSIZE, MAX_BLKSIZE, MAX_WINDOWSIZE, MAX_STRING,
} from './wire';

export type TftpFailKind = 'not-found' | 'timeout' | 'server' | 'protocol' | 'refused' | 'too-large' | 'cancelled';

/** Why a transfer failed: `code` is the ERROR code sent or received, -1 when none. */
export interface TftpFailure {
  kind: TftpFailKind;
  code: number;
  message: string;
}

/** Where the file goes, block by block. */
export interface TftpSink {
  /** The transfer is accepted; `size` from tsize, -1 when unknown. False refuses it. */
  begin?(size: number): boolean;
  /** `data` (valid during the call) at byte `offset`; false refuses and aborts. */
  write(data: Uint8Array, offset: number): boolean;
  end(size: number): void;
  abort(reason: TftpFailure): void;
}

export interface TftpOutput {
  send(dstIp: number, dstPort: number, data: Uint8Array): void;
}

export type TftpEvent =
  | { kind: 'done'; size: number; blksize: number; windowsize: number }
  | { kind: 'failed'; failure: TftpFailure };

export interface TftpRetry {
  firstMs: number;
  maxMs: number;
  /** Without progress this long, fail 'timeout'. */
  giveUpMs: number;
}

export const DEFAULT_RETRY: TftpRetry = { firstMs: 1000, maxMs: 4000, giveUpMs: 20000 };
/** 79xx phones in the server log: the request every 4 s, five times, then a new attempt. */
export const PHONE_RETRY: TftpRetry = { firstMs: 4000, maxMs: 4000, giveUpMs: 20000 };

export interface TftpClientConfig {
  /** blksize to ask (default 1428; 512 asks none). */
  blksize?: number;
  /** windowsize to ask (default 8; 1 asks none). */
  windowsize?: number;
  /** timeout option in seconds (default 1; 0 asks none). */
  timeoutS?: number;
  /** Ask tsize (default true). */
  tsize?: boolean;
  /** Largest file accepted in bytes (default 0: no limit). */
  maxSize?: number;
  /** Out-of-order blocks held (default 2; capped at windowsize - 1). */
  reorder?: number;
  retry?: TftpRetry;
  /** Time to re-acknowledge a repeated last block (default 2000 ms). */
  dallyMs?: number;
}

export type TftpClientState = 'idle' | 'request' | 'receiving' | 'dally' | 'done' | 'failed';

export interface TftpCounters {
  acks: number;
  retransmits: number;
  duplicates: number;
  stray: number;
  malformed: number;
  reordered: number;
  gapAcks: number;
  fallbacks: number;
}

/** States as numbers (smaller on the target); `state()` names them. */
const S_IDLE = 0;
const S_REQUEST = 1;
const S_RECEIVING = 2;
const S_DALLY = 3;
const S_DONE = 4;
const S_FAILED = 5;
const STATE_NAMES: TftpClientState[] = ['idle', 'request', 'receiving', 'dally', 'done', 'failed'];

const TX_LEN = 400;
const TX_NONE = 0;
const TX_RRQ = 1;
const TX_ACK = 2;
const TX_ERROR = 3;

function intIn(v: number | undefined, dflt: number, min: number, max: number, what: string): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || v !== Math.floor(v) || v < min || v > max) throw new TypeError('tftp: bad ' + what);
  return v;
}

export class TftpClient {
  readonly counters: TftpCounters = {
    acks: 0, retransmits: 0, duplicates: 0, stray: 0, malformed: 0, reordered: 0, gapAcks: 0, fallbacks: 0,
  };
  private readonly reqBlk: number;
  private readonly reqWin: number;
  private readonly timeoutS: number;
  private readonly askTsize: boolean;
  private readonly maxSize: number;
  private readonly retry: TftpRetry;
  private readonly dallyMs: number;
  private readonly tx = new Uint8Array(TX_LEN);
  /** Reorder slots: `nSlots` blocks of reqBlk bytes; slotAt[i] = block count held or -1. */
  private readonly nSlots: number;
  private slots: Uint8Array | null = null;
  private readonly slotAt: number[] = [];
  private readonly slotLen: number[] = [];

  private st = S_IDLE;
  private server = 0;
  private serverPort = PORT;
  /** Server TID; -1 until the first reply. */
  private tid = -1;
  private name = '';
  private sink: TftpSink | null = null;
  private begun = false;
  /** Request without options (never asked, or after ERROR 8). */
  private plain = false;
  private blk = DEFAULT_BLKSIZE;
  private win = 1;
  private usable = 0;
  private tsize = -1;
  private bytes = 0;
  /** Next block expected (a count; the wire number is count & 0xffff). */
  private expect = 1;
  private acked = 0;
  /** `expect` when the last gap ACK went out (one per gap). */
  private gapFor = -1;
  private txKind = TX_NONE;
  private ackCount = 0;
  private errCode = 0;
  private errMsg = '';
  private strayIp = 0;
  private strayPort = -1;
  private rto = 0;
  private lastTx = 0;
  private lastRx = 0;
  private timerAt = Infinity;
  private event: TftpEvent | null = null;

  constructor(config?: TftpClientConfig) {
    const c = config || {};
    this.reqBlk = intIn(c.blksize, 1428, MIN_BLKSIZE, MAX_BLKSIZE, 'blksize');
    this.reqWin = intIn(c.windowsize, 8, 1, MAX_WINDOWSIZE, 'windowsize');
    this.timeoutS = intIn(c.timeoutS, 1, 0, 255, 'timeout');
    this.askTsize = c.tsize !== false;
    this.maxSize = intIn(c.maxSize, 0, 0, 0x7fffffff, 'maxSize');
    this.retry = c.retry || DEFAULT_RETRY;
    this.dallyMs = intIn(c.dallyMs, 2000, 0, 600000, 'dallyMs');
    let n = intIn(c.reorder, 2, 0, 64, 'reorder');
    if (n > this.reqWin - 1) n = this.reqWin - 1;
    this.nSlots = n;
    for (let i = 0; i < n; i++) {
      this.slotAt.push(-1);
      this.slotLen.push(0);
    }
  }

  /** Begin a download of `name` from `serverIp` (port `serverPort`, normally 69). */
  start(now: number, serverIp: number, serverPort: number, name: string, sink: TftpSink): void {
    if (name.length === 0 || name.length > MAX_STRING) throw new TypeError('tftp: bad name');
    this.server = serverIp >>> 0;
    this.serverPort = serverPort;
    this.name = name;
    this.sink = sink;
    this.begun = false;
    this.plain = this.reqBlk === DEFAULT_BLKSIZE && this.reqWin === 1 && this.timeoutS === 0 && !this.askTsize;
    this.tid = -1;
    this.blk = DEFAULT_BLKSIZE;
    this.win = 1;
    this.usable = 0;
    this.tsize = -1;
    this.bytes = 0;
    this.expect = 1;
    this.acked = 0;
    this.gapFor = -1;
    this.strayPort = -1;
    this.event = null;
    this.timerAt = Infinity;
    this.clearSlots();
    this.st = S_REQUEST;
    this.lastRx = now;
    this.rto = this.retry.firstMs;
    this.txKind = TX_RRQ;
  }

  /** Stop: ERROR 0 to the server when one answered; fails 'cancelled'. Ends a dally. */
  cancel(): void {
    if (this.st === S_REQUEST || this.st === S_RECEIVING) this.failWith('cancelled', ERR_UNDEFINED, 'cancelled', true);
    else if (this.st === S_DALLY) this.finish();
  }

  state(): TftpClientState {
    return STATE_NAMES[this.st];
  }

  /** Nothing left to send or wait for: the socket may close. */
  finished(): boolean {
    return (this.st === S_DONE || this.st === S_FAILED || this.st === S_IDLE) && this.txKind === TX_NONE && this.strayPort < 0;
  }

  /** Bytes delivered so far. */
  received(): number {
    return this.bytes;
  }

  /** The size from tsize, -1 while unknown. */
  total(): number {
    return this.tsize;
  }

  pollAt(): number {
    if (this.txKind !== TX_NONE || this.strayPort >= 0) return 0;
    return this.timerAt;
  }

  poll(): TftpEvent | null {
    const e = this.event;
    this.event = null;
    return e;
  }

  /** Feed one datagram that arrived on this transfer's port. Never throws on its content. */
  process(data: Uint8Array, srcIp: number, srcPort: number, now: number): void {
    const st = this.st;
    if (st !== S_REQUEST && st !== S_RECEIVING && st !== S_DALLY) return;
    if ((srcIp >>> 0) !== this.server || (this.tid >= 0 && srcPort !== this.tid)) {
      this.counters.stray++;
      if (this.strayPort < 0) {
        this.strayIp = srcIp >>> 0;
        this.strayPort = srcPort;
      }
      return;
    }
    const res = parse(data);
    if (!res.ok) {
      this.counters.malformed++;
      return;
    }
    const r = res.value;
    if (st === S_REQUEST) {
      if (r.op === OP_OACK) {
        this.tid = srcPort;
        this.onOack(r.options, now);
      } else if (r.op === OP_DATA && r.block === 1) {
        this.tid = srcPort;
        this.accept(now);
        if (this.st === S_RECEIVING) this.onData(r.block, r.data, now);
      } else if (r.op === OP_ERROR) {
        if (r.code === ERR_OPTIONS && !this.plain) {
          // RFC 2347: the server refused the options; ask again without them.
          this.counters.fallbacks++;
          this.plain = true;
          this.lastRx = now;
          this.rto = this.retry.firstMs;
          this.txKind = TX_RRQ;
        } else {
          this.failFrom(r.code, r.message);
        }
      } else {
        this.counters.duplicates++;
      }
    } else if (st === S_RECEIVING) {
      if (r.op === OP_DATA) this.onData(r.block, r.data, now);
      else if (r.op === OP_ERROR) this.failFrom(r.code, r.message);
      else this.counters.duplicates++;
    } else if (r.op === OP_DATA && r.block === ((this.expect - 1) & 0xffff)) {
      this.counters.duplicates++;
      this.queueAck(this.expect - 1);
    }
  }

  dispatch(now: number, out: TftpOutput): void {
    if (this.strayPort >= 0) {
      const n = emit({ op: OP_ERROR, code: ERR_UNKNOWN_TID, message: 'unknown TID' }, this.tx, 0);
      out.send(this.strayIp, this.strayPort, this.tx.subarray(0, n));
      this.strayPort = -1;
    }
    if (this.txKind !== TX_NONE) this.transmit(now, out);
    if (now >= this.timerAt) this.onTimer(now, out);
  }

  // ---- receiving -----------------------------------------------------------------------

  private onOack(o: TftpOption[], now: number): void {
    if (this.plain) {
      this.failWith('protocol', ERR_OPTIONS, 'bad OACK', true);
      return;
    }
    let blk = DEFAULT_BLKSIZE;
    let win = 1;
    let size = -1;
    for (let i = 0; i < o.length; i++) {
      const k = o[i].name.toLowerCase();
      const n = optionNumber(o[i].value);
      let good = false;
      if (k === 'blksize') {
        good = n >= MIN_BLKSIZE && n <= this.reqBlk;
        blk = n;
      } else if (k === 'windowsize') {
        good = this.reqWin > 1 && n >= 1 && n <= this.reqWin;
        win = n;
      } else if (k === 'timeout') {
        good = this.timeoutS > 0 && n >= 1 && n <= 255;
      } else if (k === 'tsize') {
        good = this.askTsize && n >= 0;
        size = n;
      }
      if (!good) {
        this.failWith('protocol', ERR_OPTIONS, 'bad OACK', true);
        return;
      }
    }
    this.blk = blk;
    this.win = win;
    this.tsize = size;
    this.accept(now);
    if (this.st === S_RECEIVING) this.queueAck(0);
  }

  /** The server answered: check the size, begin the sink, start receiving. */
  private accept(now: number): void {
    if (this.maxSize > 0 && this.tsize > this.maxSize) {
      this.failWith('too-large', ERR_DISK_FULL, 'too large', true);
      return;
    }
    this.begun = true;
    const s = this.sink as TftpSink;
    if (s.begin && !s.begin(this.tsize)) {
      this.failWith('refused', ERR_DISK_FULL, 'refused', true);
      return;
    }
    this.usable = this.nSlots < this.win ? this.nSlots : this.win - 1;
    this.st = S_RECEIVING;
    this.lastRx = now;
    this.rto = this.retry.firstMs;
  }

  private onData(block: number, data: Uint8Array, now: number): void {
    if (data.length > this.blk) {
      this.failWith('protocol', ERR_ILLEGAL, 'block too big', true);
      return;
    }
    const d = (block - this.expect) & 0xffff;
    if (d === 0) {
      if (!this.deliver(data, now)) return;
      const n = this.usable;
      while (n > 0 && this.st === S_RECEIVING) {
        const i = this.expect % n;
        if (this.slotAt[i] !== this.expect) break;
        this.slotAt[i] = -1;
        const at = i * this.reqBlk;
        if (!this.deliver((this.slots as Uint8Array).subarray(at, at + this.slotLen[i]), now)) return;
      }
      if (this.st === S_RECEIVING && this.expect - 1 - this.acked >= this.win) this.queueAck(this.expect - 1);
      return;
    }
    if (d >= 0x8000 || d >= this.win) {
      this.counters.duplicates++;   // behind us (a repeat), or beyond any window
      return;
    }
    const count = this.expect + d;
    if (d <= this.usable) {
      const i = count % this.usable;
      if (this.slotAt[i] === count) {
        this.counters.duplicates++;
        return;
      }
      if (this.slots === null) this.slots = new Uint8Array(this.nSlots * this.reqBlk);
      this.slots.set(data, i * this.reqBlk);
      this.slotAt[i] = count;
      this.slotLen[i] = data.length;
      this.counters.reordered++;
      if (data.length === this.blk && count !== this.acked + this.win) return;
    }
    // A gap the slots cannot bridge, or the server's window (or file) ended past a gap.
    if (this.gapFor !== this.expect) {
      this.gapFor = this.expect;
      this.counters.gapAcks++;
      this.queueAck(this.expect - 1);
    }
  }

  /** One in-order block to the sink; false when the transfer ended in failure. */
  private deliver(data: Uint8Array, now: number): boolean {
    const len = data.length;
    if (this.maxSize > 0 && this.bytes + len > this.maxSize) {
      this.failWith('too-large', ERR_DISK_FULL, 'too large', true);
      return false;
    }
    if (len > 0 && !(this.sink as TftpSink).write(data, this.bytes)) {
      this.failWith('refused', ERR_UNDEFINED, 'refused', true);
      return false;
    }
    this.bytes += len;
    this.expect++;
    this.lastRx = now;
    this.rto = this.retry.firstMs;
    if (len < this.blk) {
      this.queueAck(this.expect - 1);
      this.st = S_DALLY;
      this.timerAt = now + this.dallyMs;
      this.clearSlots();
      (this.sink as TftpSink).end(this.bytes);
      this.event = { kind: 'done', size: this.bytes, blksize: this.blk, windowsize: this.win };
    }
    return true;
  }

  private queueAck(count: number): void {
    this.txKind = TX_ACK;
    this.ackCount = count;
    this.acked = count;
  }

  private clearSlots(): void {
    for (let i = 0; i < this.nSlots; i++) this.slotAt[i] = -1;
    this.slots = null;
  }

  // ---- sending and timing --------------------------------------------------------------

  private transmit(now: number, out: TftpOutput): void {
    const kind = this.txKind;
    this.txKind = TX_NONE;
    let n = 0;
    let port = this.tid;
    if (kind === TX_RRQ) {
      n = emit({ op: OP_RRQ, filename: this.name, mode: 'octet', options: this.requestOptions() }, this.tx, 0);
      port = this.serverPort;
    } else if (kind === TX_ACK) {
      n = emitAck(this.ackCount, this.tx, 0);
      this.counters.acks++;
    } else {
      n = emit({ op: OP_ERROR, code: this.errCode, message: this.errMsg }, this.tx, 0);
    }
    out.send(this.server, port, this.tx.subarray(0, n));
    if (kind === TX_ERROR || this.st === S_DALLY) return;
    this.lastTx = now;
    let t = now + this.rto;
    const g = this.lastRx + this.retry.giveUpMs;
    if (g < t) t = g;
    if (t < this.timerAt) this.timerAt = t;
  }

  private requestOptions(): TftpOption[] {
    const o: TftpOption[] = [];
    if (this.plain) return o;
    if (this.reqBlk !== DEFAULT_BLKSIZE) o.push({ name: 'blksize', value: String(this.reqBlk) });
    if (this.askTsize) o.push({ name: 'tsize', value: '0' });
    if (this.timeoutS > 0) o.push({ name: 'timeout', value: String(this.timeoutS) });
    if (this.reqWin > 1) o.push({ name: 'windowsize', value: String(this.reqWin) });
    return o;
  }

  private onTimer(now: number, out: TftpOutput): void {
    if (this.st === S_DALLY) {
      this.finish();
      return;
    }
    if (this.st !== S_REQUEST && this.st !== S_RECEIVING) {
      this.timerAt = Infinity;
      return;
    }
    const g = this.lastRx + this.retry.giveUpMs;
    if (now >= g) {
      this.failWith('timeout', -1, 'timeout', false);
      return;
    }
    const due = (this.lastTx > this.lastRx ? this.lastTx : this.lastRx) + this.rto;
    if (now < due) {
      this.timerAt = due < g ? due : g;
      return;
    }
    this.counters.retransmits++;
    this.rto = this.rto * 2 > this.retry.maxMs ? this.retry.maxMs : this.rto * 2;
    if (this.st === S_REQUEST) this.txKind = TX_RRQ;
    else this.queueAck(this.expect - 1);
    this.timerAt = Infinity;
    this.transmit(now, out);
  }

  private finish(): void {
    this.st = S_DONE;
    this.timerAt = Infinity;
  }

  private failFrom(code: number, message: string): void {
    this.failWith(code === ERR_NOT_FOUND ? 'not-found' : 'server', code, message, false);
  }

  private failWith(kind: TftpFailKind, code: number, message: string, tell: boolean): void {
    const f: TftpFailure = { kind: kind, code: code, message: message };
    this.txKind = TX_NONE;
    if (tell && this.tid >= 0) {
      this.txKind = TX_ERROR;
      this.errCode = code < 0 ? ERR_UNDEFINED : code;
      this.errMsg = message;
    }
    this.st = S_FAILED;
    this.timerAt = Infinity;
    this.clearSlots();
    if (this.begun) (this.sink as TftpSink).abort(f);
    this.sink = null;
    this.event = { kind: 'failed', failure: f };
  }
}
