/**
 * The XS runner: runs built target bundles inside Moddable's XS engine, through
 * dialtone-xs-worker (@agoric/xsnap 0.15.0's xsnap-worker, rebuilt from the package's XS
 * sources with three small changes: tools/target/xs/build-worker.mjs), against a host-side
 * `Hal` on the simulation's virtual time, under the XS gate (budgets.ts).
 *
 * Carrier. The worker is a child process; the host speaks netstrings to it over two FIFOs
 * (its fd 3 in, fd 4 out), read and written with blocking fs calls, so a whole guest event
 * runs synchronously inside one scheduler event, as in QuickJS:
 *   host -> guest  `e<source>` evaluates; `?<event>` calls the guest's `handleCommand`
 *                  (timer fired, frame in, link change, serial bytes: prelude.ts XS_EVENT).
 *   guest -> host  while a command runs, each HAL call is the guest's synchronous
 *                  `issueCommand(buffer, length)`: `?<slots>,<chunks>;<request>`; the host
 *                  answers `/<result>` and the guest goes on.
 *   end            `.` + meter JSON (`currentHeapCount`, `chunks`) + 0x01, or `!` + error.
 * The guest side is XS_HOST_SHIM (the same `__host` as QuickJS's, generated from
 * host-calls.ts HOST_CALLS) + GUEST_PRELUDE + XS_EVENT_TAIL; the host side of every call
 * is host-calls.ts `makeHostCalls`, shared with QuickJS. So both engines see the same HAL.
 *
 * Memory (budgets.ts): live slots and chunk bytes after a full GC, at every host call and
 * at the end of every event, over the machine with the HAL prelude loaded; slots count 16 B
 * (a 32-bit board), chunks as measured. Over the gate the guest is made to throw at its next
 * host call and the run stops with the figure and the event.
 *
 * One runner = one worker process = one machine = one board's RAM for one stretch (a
 * power-on's loader, or a started image): `dispose()` ends the process.
 *
 * Host code (Node).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hal } from '../index';
import type { Scheduler } from '../sim/scheduler';
import { GUEST_PRELUDE, XS_EVENT, XS_EVENT_TAIL, XS_HOST_SHIM, XS_RESULT } from './prelude';
import { HOST_CALLS, makeHostCalls, type HostValue } from './host-calls';
import { MemoryTracker, XS_BUDGET, XS_BOARD_SLOT_BYTES, XS_HOST_SLOT_BYTES } from './budgets';
import { EngineBoard, GuestStopped, type EngineBoardOptions, type EngineRunner, type RunnerReport, type StopKind, type StopReason } from './runner';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where tools/target/xs/build-worker.mjs puts the worker (npm ci runs it). */
export const XS_WORKER = path.join(REPO_ROOT, 'node_modules', '.cache', 'dialtone-xs', 'bin', 'lin', 'release', 'dialtone-xs-worker');

export function xsWorkerAvailable(): boolean {
  return fs.existsSync(XS_WORKER);
}

interface Meter { slots: number; chunks: number; code?: number }

type Reply = { ok: true; meter: Meter; result: Buffer } | { ok: false; message: string };

/**
 * One dialtone-xs-worker process and its two FIFOs, spoken to synchronously. The FIFOs are
 * opened so that neither open blocks and the child holds the only other end of each: the
 * host reads EOF if the child dies, and the child reads EOF if the host goes away.
 */
class XsWorker {
  private readonly child: ChildProcess;
  private readonly toChild: number;
  private readonly fromChild: number;
  private buf = Buffer.allocUnsafe(1 << 20);
  private start = 0;
  private end = 0;
  private closed = false;

  constructor() {
    if (!xsWorkerAvailable()) {
      throw new Error(`XS worker not built (${path.relative(process.cwd(), XS_WORKER)}): run 'node tools/target/xs/build-worker.mjs' (npm ci does)`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-xs-'));
    const down = path.join(dir, 'down');
    const up = path.join(dir, 'up');
    try {
      execFileSync('mkfifo', [down, up]);
      // down: host writes, child reads. An O_RDWR end first, so the other opens do not block.
      const tmpDown = fs.openSync(down, 'r+');
      this.toChild = fs.openSync(down, 'w');
      const childIn = fs.openSync(down, 'r');
      fs.closeSync(tmpDown);
      // up: child writes, host reads.
      const tmpUp = fs.openSync(up, 'r+');
      this.fromChild = fs.openSync(up, 'r');
      const childOut = fs.openSync(up, 'w');
      fs.closeSync(tmpUp);
      this.child = spawn(XS_WORKER, [], { stdio: ['ignore', 'ignore', 'inherit', childIn, childOut] });
      fs.closeSync(childIn);
      fs.closeSync(childOut);
      this.child.unref();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  send(kind: string, payload: Uint8Array | string): void {
    const body = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
    const head = Buffer.from(`${body.length + 1}:${kind}`, 'latin1');
    this.writeAll(Buffer.concat([head, body, Buffer.from(',')]));
  }

  private writeAll(b: Buffer): void {
    let off = 0;
    while (off < b.length) off += fs.writeSync(this.toChild, b, off, b.length - off);
  }

  /** Read one netstring's payload (blocking). */
  read(): Buffer {
    for (;;) {
      const colon = this.buf.indexOf(0x3a, this.start);
      if (colon >= 0 && colon < this.end) {
        const len = Number(this.buf.toString('latin1', this.start, colon));
        if (!Number.isFinite(len)) throw new Error('XS worker: bad netstring length');
        const need = colon + 1 + len + 1;
        if (need <= this.end) {
          if (this.buf[need - 1] !== 0x2c) throw new Error('XS worker: netstring without its comma');
          const out = Buffer.from(this.buf.subarray(colon + 1, colon + 1 + len));
          this.start = need;
          return out;
        }
        this.ensure(need - this.start);
      } else {
        this.ensure(32);
      }
      const n = fs.readSync(this.fromChild, this.buf, this.end, this.buf.length - this.end, null);
      if (n === 0) throw new Error('XS worker exited');
      this.end += n;
    }
  }

  /** Room for `bytes` from `start`: compact, then grow. */
  private ensure(bytes: number): void {
    if (this.start > 0 && this.start === this.end) {
      this.start = this.end = 0;
    }
    if (this.buf.length - this.start >= bytes && this.end < this.buf.length) return;
    const size = Math.max(this.buf.length, bytes * 2);
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, this.start, this.end);
    this.end -= this.start;
    this.start = 0;
    this.buf = next;
  }

  /**
   * Send a command and serve the guest's host calls until it ends. `onCall(meter, request)`
   * returns the reply body (without the `/`).
   */
  command(kind: 'e' | '?', payload: Uint8Array | string, onCall: (meter: Meter, request: Buffer) => Uint8Array): Reply {
    this.send(kind, payload);
    for (;;) {
      const m = this.read();
      const k = m[0];
      if (k === 0x3f) { // '?': a host call
        const semi = m.indexOf(0x3b);
        const [s, c] = m.toString('latin1', 1, semi).split(',');
        const reply = onCall({ slots: Number(s), chunks: Number(c) }, m.subarray(semi + 1));
        this.send('/', reply);
      } else if (k === 0x2e) { // '.': done
        const sep = m.indexOf(0x01);
        const json = JSON.parse(m.toString('latin1', 1, sep)) as { currentHeapCount: number; chunks: number; code: number };
        return { ok: true, meter: { slots: json.currentHeapCount, chunks: json.chunks, code: json.code }, result: m.subarray(sep + 1) };
      } else if (k === 0x21) { // '!': uncaught
        return { ok: false, message: m.toString('utf8', 1) };
      } else {
        throw new Error(`XS worker: unexpected message '${String.fromCharCode(k)}'`);
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try { fs.closeSync(this.toChild); } catch { /* already gone */ }
    try { fs.closeSync(this.fromChild); } catch { /* already gone */ }
    this.child.kill('SIGKILL');
  }
}

// --- the wire of the carrier (prelude.ts XS_HOST_SHIM) -----------------------------------------

function decodeArgs(spec: string, req: Buffer): HostValue[] {
  const out: HostValue[] = [];
  let p = 1;
  for (const k of spec) {
    if (k === 'n') {
      out.push(req.readDoubleLE(p));
      p += 8;
    } else if (k === 's') {
      const n = req.readUInt32LE(p);
      out.push(req.toString('utf16le', p + 4, p + 4 + 2 * n));
      p += 4 + 2 * n;
    } else {
      const n = req.readUInt32LE(p);
      out.push(new Uint8Array(req.subarray(p + 4, p + 4 + n)));
      p += 4 + n;
    }
  }
  return out;
}

function stringReply(tag: number, s: string): Uint8Array {
  const b = Buffer.alloc(5 + 2 * s.length);
  b[0] = tag;
  b.writeUInt32LE(s.length, 1);
  b.write(s, 5, 'utf16le');
  return b;
}

function encodeResult(v: HostValue): Uint8Array {
  if (v === undefined) return Uint8Array.of(XS_RESULT.undefined);
  if (v === true) return Uint8Array.of(XS_RESULT.true);
  if (v === false) return Uint8Array.of(XS_RESULT.false);
  if (typeof v === 'number') {
    const b = Buffer.alloc(9);
    b[0] = XS_RESULT.number;
    b.writeDoubleLE(v, 1);
    return b;
  }
  if (typeof v === 'string') return stringReply(XS_RESULT.string, v);
  const b = new Uint8Array(1 + v.length);
  b[0] = XS_RESULT.bytes;
  b.set(v, 1);
  return b;
}

function eventMessage(kind: number, body?: Uint8Array): Uint8Array {
  const b = new Uint8Array(1 + (body ? body.length : 0));
  b[0] = kind;
  if (body) b.set(body, 1);
  return b;
}

export interface XsRunnerOptions {
  sched: Scheduler;
  hal: Hal;
  /** The gate (default 160 KiB, budgets.ts). */
  budgetBytes?: number;
  onStop?: (stop: StopReason) => void;
  /** Guest text evaluated after the HAL prelude, before any bundle (counted with the binding). */
  extraPrelude?: string;
}

/** One XS machine (one worker process): the engine of one board for one stretch. */
export class XsRunner implements EngineRunner {
  readonly budget: number;
  private readonly worker: XsWorker;
  private readonly hal: Hal;
  private readonly sched: Scheduler;
  private readonly onStop?: (stop: StopReason) => void;
  private readonly memory: MemoryTracker;
  private readonly calls: Record<string, (...a: HostValue[]) => HostValue>;
  /** The machine with the HAL prelude loaded, after GC: ROM on a board. */
  private readonly base: Meter;
  private last: Meter;
  private hostError: { error: unknown } | null = null;
  private pendingStop: StopReason | null = null;
  private inCommand = false;
  private where = '';
  private peakHostBytes = 0;
  private events = 0;
  private hostCalls = 0;
  private disposed = false;
  stop: StopReason | null = null;

  constructor(opts: XsRunnerOptions) {
    this.budget = opts.budgetBytes ?? XS_BUDGET.gate;
    this.memory = new MemoryTracker(XS_BUDGET, this.budget);
    this.hal = opts.hal;
    this.sched = opts.sched;
    this.onStop = opts.onStop;
    this.calls = makeHostCalls(this.hal, (id) => {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(id, 0);
      this.dispatch('fire', eventMessage(XS_EVENT.fire, b));
    });
    this.worker = new XsWorker();
    let m = this.setup(XS_HOST_SHIM + GUEST_PRELUDE + XS_EVENT_TAIL, 'HAL prelude');
    if (opts.extraPrelude) m = this.setup(opts.extraPrelude, 'extra prelude');
    this.base = m;
    this.last = m;
    const hal = this.hal;
    hal.eth.onReceive((frame) => this.dispatch('rx', eventMessage(XS_EVENT.rx, frame)));
    hal.eth.onLinkChange((up) => this.dispatch('link', eventMessage(XS_EVENT.link, Uint8Array.of(up ? 1 : 0))));
    hal.serial.onData((bytes) => this.dispatch('serial', eventMessage(XS_EVENT.serial, bytes)));
  }

  private setup(code: string, what: string): Meter {
    // The prelude reads the flash geometry: calls are served, not sampled (no base yet).
    const r = this.worker.command('e', code, (_m, req) => {
      this.hostCalls++;
      const entry = HOST_CALLS[req[0]];
      if (!entry) return stringReply(XS_RESULT.error, `unknown host call ${req[0]}`);
      return encodeResult(this.calls[entry[0]](...decodeArgs(entry[1], req)));
    });
    if (!r.ok) {
      this.worker.close();
      throw new Error(`XS ${what} failed: ${r.message}`);
    }
    return r.meter;
  }

  /** Board bytes over the base: slots at 16 B + chunk bytes. */
  private figure(m: Meter): number {
    return (m.slots - this.base.slots) * XS_BOARD_SLOT_BYTES + (m.chunks - this.base.chunks);
  }

  private track(m: Meter, where: string, atEventEnd: boolean): number {
    const host = m.slots * XS_HOST_SLOT_BYTES + m.chunks;
    if (host > this.peakHostBytes) this.peakHostBytes = host;
    const bytes = this.figure(m);
    const over = this.memory.sample(bytes, where, this.sched.now(), atEventEnd,
      { slots: m.slots - this.base.slots, chunks: m.chunks - this.base.chunks });
    if (over && !this.pendingStop) this.pendingStop = this.makeStop('budget', over);
    return bytes;
  }

  private makeStop(kind: StopKind, message: string): StopReason {
    return { kind, message, atMs: this.sched.now() };
  }

  private fail(stop: StopReason): never {
    if (!this.stop) {
      this.stop = stop;
      this.onStop?.(stop);
    }
    throw new GuestStopped(stop);
  }

  markSteady(): void {
    this.memory.markSteady();
  }

  /** A host call from the guest: sample, then serve it (or make the guest throw). */
  private onCall(meter: Meter, req: Buffer): Uint8Array {
    this.hostCalls++;
    const op = req[0];
    const entry = HOST_CALLS[op];
    if (!entry) return stringReply(XS_RESULT.error, `unknown host call ${op}`);
    const [name, spec] = entry;
    this.track(meter, `${this.where} / ${name}`, false);
    // After a reset, a power cut or the gate, every further call throws too: the guest unwinds.
    if (this.pendingStop) return stringReply(XS_RESULT.error, this.pendingStop.message);
    if (this.hostError) return stringReply(XS_RESULT.error, 'the board stopped (reset or power cut)');
    try {
      return encodeResult(this.calls[name](...decodeArgs(spec, req)));
    } catch (err) {
      if (this.hostError === null) this.hostError = { error: err };
      return stringReply(XS_RESULT.error, err instanceof Error ? err.message : String(err));
    }
  }

  /** One host -> guest entry. Throws to the caller (the board's guard) on any failure. */
  private enter(where: string, kind: 'e' | '?', payload: Uint8Array | string, loadsCode = false): void {
    if (this.disposed) return;
    if (this.stop) throw new GuestStopped(this.stop);
    if (this.inCommand) throw new Error(`XS runner: ${where} entered while the guest is in a host call`);
    this.events++;
    this.hostError = null;
    this.where = where;
    const before = this.last;
    this.inCommand = true;
    let r: Reply;
    try {
      r = this.worker.command(kind, payload, (m, req) => this.onCall(m, req));
    } catch (e) {
      this.fail(this.makeStop('crash', `${where}: ${e instanceof Error ? e.message : String(e)}`));
    } finally {
      this.inCommand = false;
    }
    if (!r.ok) {
      this.rethrowHostError();
      if (this.pendingStop) this.fail(this.pendingStop);
      this.fail(this.makeStop('crash', `uncaught in ${where}: ${r.message}`));
    }
    this.last = r.meter;
    this.rethrowHostError();
    this.track(r.meter, where, true);
    if (loadsCode) {
      const slots = r.meter.slots - before.slots;
      const chunks = r.meter.chunks - before.chunks;
      this.memory.addLoad(slots * XS_BOARD_SLOT_BYTES + chunks, { slots, chunks });
    }
    if (this.pendingStop) this.fail(this.pendingStop);
  }

  private rethrowHostError(): void {
    if (this.hostError) {
      const e = this.hostError.error;
      this.hostError = null;
      throw e;
    }
  }

  private dispatch(kind: string, msg: Uint8Array): void {
    if (this.disposed) return;
    this.enter(kind, '?', msg);
  }

  start(code: string, filename: string, globalName: string): void {
    // Indirect eval at global scope: the bundle's `var <Global>` becomes a global, as on a board.
    this.enter(`eval ${filename}`, 'e', code, true);
    this.enter(`${globalName}.main`, 'e', `${globalName}.main(__dialtone.hal);`);
  }

  report(): RunnerReport {
    const memory = this.memory.figures();
    return {
      engine: 'xs',
      budget: this.budget,
      peakAppHeap: memory.peak.bytes,
      // Evaluated code, kept in place as a mod's is in flash (less the HAL prelude's).
      bytecode: (this.last.code ?? 0) - (this.base.code ?? 0),
      emptyContext: this.base.slots * XS_HOST_SLOT_BYTES + this.base.chunks,
      binding: 0,
      codeAtoms: 0,
      peakTotal: this.peakHostBytes,
      events: this.events,
      hostCalls: this.hostCalls,
      virtualMs: this.sched.now(),
      imagesStarted: 0,
      runs: 1,
      memory,
      stop: this.stop,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.worker.close();
  }
}

export interface XsBoardOptions extends EngineBoardOptions {
  /** The gate (default 160 KiB, budgets.ts). */
  budgetBytes?: number;
  extraPrelude?: string;
}

/** An EngineBoard (runner.ts) whose engine is XS: a fresh worker per power-on and per image start. */
export class XsBoard extends EngineBoard {
  constructor(opts: XsBoardOptions) {
    const gate = opts.budgetBytes ?? XS_BUDGET.gate;
    super('xs', gate, opts, (ctx) => new XsRunner({
      sched: ctx.sched, hal: ctx.hal, budgetBytes: gate, extraPrelude: opts.extraPrelude, onStop: ctx.onStop,
    }));
  }
}
