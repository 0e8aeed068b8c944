/**
 * A simulated UART line (8N1): two endpoints, each the HAL SerialPort of one side. Bytes
 * are paced on virtual time at baud/10 bytes per second (start + 8 data + stop bits) and
 * arrive in chunks of at most `chunkBytes`, as a UART's receive FIFO hands them over: a
 * chunk is delivered when its last byte has arrived, or earlier when the line goes idle.
 *
 * `attachToStream` bridges an endpoint to a real byte stream (a pty's master side) so a
 * simulated board can be flashed by the real host tools; drive the scheduler with
 * `RealtimeDriver` (realtime.ts) and pass its `inject` as `post`.
 */
import type { Duplex } from 'node:stream';
import type { SerialPort } from '../serial';
import type { Scheduler } from './scheduler';

export const DEFAULT_BAUD = 115200;
/** Bytes per receive callback at most (a typical UART RX FIFO threshold). */
export const DEFAULT_CHUNK_BYTES = 64;

export interface SerialCounters {
  txBytes: number;
  rxBytes: number;
  /** Bytes that arrived while nobody listened (no handler, or powered off). */
  dropped: number;
}

export class SimSerial implements SerialPort {
  private readonly sched: Scheduler;
  private readonly baud: number;
  private readonly chunkBytes: number;
  private peer: SimSerial | null = null;
  private queue: Uint8Array[] = [];
  private queued = 0;
  private inFlight = 0;
  private sending = false;
  private handler: ((bytes: Uint8Array) => void) | null = null;
  /** Wraps each receive callback (a board catches crashes and power cuts here). */
  guard: (fn: () => void) => void = (fn) => fn();
  /** False while the side is unpowered: received bytes are dropped, writes ignored. */
  powered = true;
  readonly counters: SerialCounters = { txBytes: 0, rxBytes: 0, dropped: 0 };

  constructor(sched: Scheduler, baud = DEFAULT_BAUD, chunkBytes = DEFAULT_CHUNK_BYTES) {
    if (!(baud > 0)) throw new RangeError('SimSerial: baud must be > 0');
    this.sched = sched;
    this.baud = baud;
    this.chunkBytes = Math.max(1, chunkBytes);
  }

  /** Wire two endpoints together (serialPair does this). */
  connect(peer: SimSerial): void {
    this.peer = peer;
    peer.peer = this;
  }

  write(bytes: Uint8Array): void {
    if (!this.powered || bytes.length === 0) return;
    this.queue.push(bytes.slice());
    this.queued += bytes.length;
    if (!this.sending) this.pump();
  }

  onData(handler: (bytes: Uint8Array) => void): void {
    this.handler = handler;
  }

  baudRate(): number {
    return this.baud;
  }

  /** Bytes written but not yet on the far side. */
  pending(): number {
    return this.queued + this.inFlight;
  }

  /** Drop what is queued for transmission and the receive handler (a board losing power). */
  reset(): void {
    this.queue = [];
    this.queued = 0;
    this.handler = null;
  }

  /** Bytes that arrived on the line (called by the peer, or by a stream bridge). */
  receive(bytes: Uint8Array): void {
    const h = this.handler;
    if (!this.powered || !h) {
      this.counters.dropped += bytes.length;
      return;
    }
    this.counters.rxBytes += bytes.length;
    this.guard(() => h(bytes));
  }

  private pump(): void {
    if (this.queued === 0 || !this.peer) {
      this.sending = false;
      // Without a peer the bytes go nowhere, as on an unplugged line.
      this.queue = [];
      this.queued = 0;
      return;
    }
    this.sending = true;
    const chunk = this.take(this.chunkBytes);
    this.inFlight = chunk.length;
    const ms = (chunk.length * 10 * 1000) / this.baud;
    this.sched.after(ms, () => {
      this.inFlight = 0;
      this.counters.txBytes += chunk.length;
      if (this.peer) this.peer.receive(chunk);
      this.pump();
    });
  }

  private take(n: number): Uint8Array {
    const out = new Uint8Array(Math.min(n, this.queued));
    let o = 0;
    while (o < out.length) {
      const head = this.queue[0];
      const k = Math.min(head.length, out.length - o);
      out.set(head.subarray(0, k), o);
      o += k;
      if (k === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(k);
    }
    this.queued -= out.length;
    return out;
  }
}

/** Two endpoints joined by a null-modem line at `baud`. */
export function serialPair(sched: Scheduler, baud = DEFAULT_BAUD, chunkBytes = DEFAULT_CHUNK_BYTES): [SimSerial, SimSerial] {
  const a = new SimSerial(sched, baud, chunkBytes);
  const b = new SimSerial(sched, baud, chunkBytes);
  a.connect(b);
  return [a, b];
}

/**
 * Bridge an endpoint to a real byte stream: what the endpoint receives from its peer is
 * written to the stream, and what the stream yields is written into the line (paced at the
 * baud rate towards the peer). `post` runs stream input inside the simulation (a real-time
 * driver's `inject`, so the bytes enter at the current virtual time); without it the input
 * is written at once. Returns a function that detaches the bridge.
 */
export function attachToStream(endpoint: SimSerial, stream: Duplex, post?: (fn: () => void) => void): () => void {
  endpoint.onData((bytes) => {
    stream.write(Buffer.from(bytes));
  });
  const onData = (d: Buffer | string) => {
    const bytes = typeof d === 'string' ? new Uint8Array(Buffer.from(d)) : new Uint8Array(d);
    if (post) post(() => endpoint.write(bytes));
    else endpoint.write(bytes);
  };
  stream.on('data', onData);
  return () => {
    stream.off('data', onData);
    endpoint.onData(() => undefined);
  };
}
