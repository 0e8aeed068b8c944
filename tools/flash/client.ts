/**
 * The host end of SMP over a console line: one request at a time, matched to its answer by
 * sequence number, group and command; resent on silence. It uses the same codec as the
 * loader (flash/serial/frame.ts, cbor.ts) and is driven by a HAL-style Clock, so tests run
 * it on the simulation's virtual time and the CLI on the wall clock.
 */
import type { Clock } from '../../hal/clock';
import { FrameReader, FrameWriter, framedLength } from '../../flash/serial/frame';
import type { SmpHeader } from '../../flash/serial/frame';
import { cborDecode, isMap } from '../../flash/serial/cbor';
import type { CborMap, CborWriter } from '../../flash/serial/cbor';

/** A byte pipe to the board (a serial port, a simulated UART). */
export interface Transport {
  write(bytes: Uint8Array): void;
  onData(handler: (bytes: Uint8Array) => void): void;
}

export interface ClientOptions {
  /** Largest packet the client builds (it also caps requests at the board's buf_size). */
  bufferSize?: number;
  /** Wait for an answer beyond the line time of request and answer, in ms (default 1500). */
  answerMs?: number;
  /** Resends after the first try before giving up (default 3). */
  retries?: number;
  /** Line rate used to add the transmit time of each request to its wait (default 115200). */
  baud?: number;
}

export type ClientFailure = { kind: 'no-answer'; detail: string } | { kind: 'closed'; detail: string };

export type AnswerCallback = (err: ClientFailure | null, answer: CborMap | null) => void;

interface Pending {
  op: number;
  group: number;
  id: number;
  seq: number;
  wire: Uint8Array;
  tries: number;
  timer: number;
  waitMs: number;
  done: AnswerCallback;
}

/** Answers are small; the host reads lines up to this long (MCUboot answers in one line). */
const HOST_LINE_MAX = 8192;

export class SmpClient {
  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly writer: FrameWriter;
  private readonly reader: FrameReader;
  private readonly answerMs: number;
  private readonly retries: number;
  private readonly baud: number;
  /** The largest packet this client builds (length prefix and CRC included). */
  readonly capacity: number;
  private seq = 0;
  private pending: Pending | null = null;
  private closed = false;
  /** Wire bytes written (resends included) and read; requests resent. */
  readonly stats = { wireOut: 0, wireIn: 0, resent: 0, requests: 0 };

  constructor(transport: Transport, clock: Clock, options: ClientOptions = {}) {
    this.transport = transport;
    this.clock = clock;
    const size = options.bufferSize ?? 8192;
    this.capacity = size;
    this.writer = new FrameWriter(size);
    this.reader = new FrameReader(size, (h, buf, s, e) => this.onPacket(h, buf, s, e), HOST_LINE_MAX);
    this.answerMs = options.answerMs ?? 1500;
    this.retries = options.retries ?? 3;
    this.baud = options.baud ?? 115200;
    transport.onData((bytes) => {
      if (this.closed) return;
      this.stats.wireIn += bytes.length;
      this.reader.push(bytes);
    });
  }

  /** What the client's own reader dropped (damaged answers). */
  frameStats() {
    return this.reader.stats;
  }

  /** Line time of `bytes` at the configured rate, in ms (10 bits a byte). */
  lineMs(bytes: number): number {
    return Math.ceil((bytes * 10 * 1000) / this.baud);
  }

  /**
   * Send one request; `body` writes the CBOR map. `done` gets the answer map, or a failure
   * after the resends. Only one request may be outstanding.
   */
  request(op: number, group: number, id: number, body: (w: CborWriter) => void, done: AnswerCallback): void {
    if (this.closed) { done({ kind: 'closed', detail: 'client closed' }, null); return; }
    if (this.pending) throw new Error('SmpClient.request: a request is already outstanding');
    const w = this.writer.begin();
    body(w);
    const seq = this.seq = (this.seq + 1) & 255;
    const wire = this.writer.finish(op, group, id, seq);
    if (!wire) throw new RangeError('SmpClient.request: request larger than the client buffer');
    const copy = wire.slice();
    // Wait for the request to leave, the answer (up to 512 bytes framed) to come back, and the board to think.
    const waitMs = this.lineMs(copy.length) + this.lineMs(framedLength(512)) + this.answerMs;
    this.pending = { op, group, id, seq, wire: copy, tries: 0, timer: -1, waitMs, done };
    this.stats.requests++;
    this.transmit();
  }

  private transmit(): void {
    const p = this.pending;
    if (!p) return;
    p.tries++;
    if (p.tries > 1) this.stats.resent++;
    this.stats.wireOut += p.wire.length;
    this.transport.write(p.wire);
    p.timer = this.clock.setTimer(p.waitMs, () => this.onTimeout(p));
  }

  private onTimeout(p: Pending): void {
    if (this.pending !== p) return;
    if (p.tries <= this.retries) {
      this.transmit();
      return;
    }
    this.pending = null;
    p.done({ kind: 'no-answer', detail: `no answer after ${p.tries} tries of ${p.waitMs} ms` }, null);
  }

  private onPacket(h: SmpHeader, buf: Uint8Array, start: number, end: number): void {
    const p = this.pending;
    if (!p || h.seq !== p.seq || h.group !== p.group || h.id !== p.id || h.op !== p.op + 1) return;
    const v = cborDecode(buf, start, end);
    if (!v.ok || !isMap(v.value)) return; // a damaged answer: wait for the resend
    this.pending = null;
    this.clock.clearTimer(p.timer);
    p.done(null, v.value);
  }

  /** Stop: pending timers cancelled, later bytes ignored, the outstanding request dropped silently. */
  close(): void {
    this.closed = true;
    if (this.pending) this.clock.clearTimer(this.pending.timer);
    this.pending = null;
  }
}

/** A Clock on the wall clock (setTimeout), for the CLI. */
export function wallClock(): Clock & { cancelAll(): void } {
  const t0 = performance.now();
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  let next = 1;
  return {
    now: () => Math.floor(performance.now() - t0),
    setTimer(delayMs, callback) {
      const id = next++;
      timers.set(id, setTimeout(() => { timers.delete(id); callback(); }, Math.max(0, delayMs)));
      return id;
    },
    clearTimer(id) {
      const t = timers.get(id);
      if (t !== undefined) { clearTimeout(t); timers.delete(id); }
    },
    cancelAll() {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}
