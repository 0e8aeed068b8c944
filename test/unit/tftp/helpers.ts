/**
 * Helpers for the TFTP unit tests: a memory sink, packet builders on the shared codec, and
 * a rig that drives one sans-IO machine on a virtual clock (dispatch whenever pollAt is
 * due, time jumps to the next pollAt), recording what it sends with timestamps.
 */
import * as tftp from '../../../firmware/tftp/wire';
import type { TftpSink, TftpFailure } from '../../../firmware/tftp/client';

export const SERVER = 0x0a010064; // 10.1.0.100
export const OTHER = 0x0a010065;

export interface MemSink extends TftpSink {
  data: Uint8Array;
  began: number | null;
  ended: number | null;
  aborted: TftpFailure | null;
  writes: number;
}

/** A sink that keeps up to `cap` bytes; `refuseAt` makes write return false at that offset. */
export function memSink(cap = 1 << 22, refuseAt = -1, refuseBegin = false): MemSink {
  const buf = new Uint8Array(cap);
  let len = 0;
  const s: MemSink = {
    data: buf.subarray(0, 0), began: null, ended: null, aborted: null, writes: 0,
    begin(size) { s.began = size; return !refuseBegin; },
    write(d, off) {
      if (off === refuseAt) return false;
      if (off !== len) throw new Error(`write at ${off}, expected ${len}`);
      buf.set(d, off);
      len += d.length;
      s.writes++;
      s.data = buf.subarray(0, len);
      return true;
    },
    end(size) { s.ended = size; },
    abort(r) { s.aborted = r; },
  };
  return s;
}

export function pattern(n: number, seed = 7): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

export function enc(r: tftp.TftpRepr): Uint8Array {
  const b = new Uint8Array(tftp.bufferLen(r));
  tftp.emit(r, b, 0);
  return b;
}

export const data = (block: number, d: Uint8Array): Uint8Array => enc({ op: tftp.OP_DATA, block, data: d });
export const oack = (o: Record<string, string>): Uint8Array =>
  enc({ op: tftp.OP_OACK, options: Object.entries(o).map(([name, value]) => ({ name, value })) });
export const error = (code: number, message: string): Uint8Array => enc({ op: tftp.OP_ERROR, code, message });

export interface Sent {
  t: number;
  ip: number;
  port: number;
  p: tftp.TftpRepr;
}

export function decode(b: Uint8Array): tftp.TftpRepr {
  const r = tftp.parse(b);
  if (!r.ok) throw new Error(`sent a malformed packet: ${r.error} ${r.detail}`);
  const v = r.value;
  // DATA views point into reused buffers: copy.
  return v.op === tftp.OP_DATA ? { ...v, data: v.data.slice() } : v;
}

/** Drive a machine with dispatch(now, out)/pollAt on virtual time. */
export class Rig<O> {
  now = 0;
  constructor(private readonly m: { pollAt(): number; dispatch(now: number, out: O): void }, private readonly out: O) {}
  /** Dispatch everything due now. */
  pump(): void {
    for (let i = 0; i < 1000 && this.m.pollAt() <= this.now; i++) this.m.dispatch(this.now, this.out);
  }
  /** Advance to `t`, dispatching at every due time on the way. */
  runUntil(t: number): void {
    this.pump();
    for (let i = 0; i < 100000; i++) {
      const at = this.m.pollAt();
      if (at > t) break;
      this.now = Math.max(this.now, at);
      this.pump();
    }
    this.now = Math.max(this.now, t);
  }
}

export function kinds(sent: Sent[]): string[] {
  return sent.map((s) => {
    const p = s.p;
    switch (p.op) {
      case tftp.OP_RRQ: return `RRQ ${p.filename}${p.options.length ? ' ' + p.options.map((o) => o.name + '=' + o.value).join(',') : ''}`;
      case tftp.OP_ACK: return `ACK ${p.block}`;
      case tftp.OP_DATA: return `DATA ${p.block} ${p.data.length}`;
      case tftp.OP_ERROR: return `ERROR ${p.code}`;
      case tftp.OP_OACK: return `OACK ${p.options.map((o) => o.name + '=' + o.value).join(',')}`;
      default: return '?';
    }
  });
}
