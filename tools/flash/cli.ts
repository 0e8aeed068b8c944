/**
 * `dialtone flash --port PATH IMAGE [--baud 115200] [--timeout S] [--test] [--no-reset]`:
 * upload a signed image to a board in serial recovery (flash/serial/) over a serial port,
 * with a progress bar and throughput, resume, the board's verification, then confirm (or
 * mark for a test boot) and reset. A thin bin over FlashJob (job.ts).
 *
 * Expected failures print one line (tools/cli.ts): port missing, busy or not permitted; no
 * answer within the timeout; the image refused by the board and why; a verify mismatch.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SerialPort } from 'serialport';
import cliProgress from 'cli-progress';
import pc from 'picocolors';
import { UserError } from '../errors';
import { SmpClient, wallClock } from './client';
import type { Transport } from './client';
import { FlashError, FlashJob, checkImage } from './job';
import type { FlashOptions, FlashResult } from './job';

const USAGE = `usage: dialtone flash --port PATH IMAGE [options]

Upload a signed image (dialtone sign) to a board waiting in serial recovery.

options:
  --port PATH      serial device (/dev/ttyUSB0, a pty, ...)          required
  --baud N         line rate                                          115200
  --timeout S      give up when the board is silent this long         5
  --test           mark the image for one test boot (default: confirm it)
  --no-reset       leave the board in recovery after the upload
  --chunk N        data bytes per chunk at most (default: the board's buffer)
  -h, --help       this text`;

export interface FlashCliOptions extends FlashOptions {
  port: string;
  image: string;
  baud: number;
  timeoutS: number;
}

/** Normalize argv once (STYLE: tools normalize options once). */
export function parseFlashArgs(argv: string[]): FlashCliOptions | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        baud: { type: 'string', default: '115200' },
        timeout: { type: 'string', default: '5' },
        test: { type: 'boolean', default: false },
        'no-reset': { type: 'boolean', default: false },
        chunk: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    throw new UserError(`flash: ${(e as Error).message}\n${USAGE}`, 2);
  }
  const v = parsed.values;
  if (v.help) return null;
  if (!v.port) throw new UserError(`flash: --port PATH is required\n${USAGE}`, 2);
  if (parsed.positionals.length !== 1) throw new UserError(`flash: give exactly one IMAGE\n${USAGE}`, 2);
  const baud = Number(v.baud);
  if (!Number.isInteger(baud) || baud < 300 || baud > 4_000_000) throw new UserError(`flash: --baud ${v.baud}: a whole number from 300 to 4000000`, 2);
  const timeoutS = Number(v.timeout);
  if (!(timeoutS > 0) || timeoutS > 3600) throw new UserError(`flash: --timeout ${v.timeout}: seconds, more than 0`, 2);
  let chunkSize: number | undefined;
  if (v.chunk !== undefined) {
    chunkSize = Number(v.chunk);
    if (!Number.isInteger(chunkSize) || chunkSize < 16) throw new UserError(`flash: --chunk ${v.chunk}: a whole number of bytes, at least 16`, 2);
  }
  return {
    port: v.port, image: parsed.positionals[0], baud, timeoutS,
    test: v.test, reset: !v['no-reset'], chunkSize,
  };
}

/** Open the port, turning the usual failures into one clear line. */
export function openPort(path: string, baud: number): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: baud, autoOpen: false, lock: true });
    port.open((err) => {
      if (!err) return resolve(port);
      const msg = err.message;
      if (/lock|Resource temporarily unavailable|EBUSY|busy/i.test(msg)) {
        reject(new UserError(`port ${path} is busy: another program has it open (a terminal, another flash?)`));
      } else if (/No such file|ENOENT/i.test(msg)) {
        reject(new UserError(`no serial port at ${path}`));
      } else if (/Permission denied|EACCES/i.test(msg)) {
        reject(new UserError(`permission denied opening ${path} (join the dialout group, or run with access to it)`));
      } else {
        reject(new UserError(`cannot open ${path}: ${msg}`));
      }
    });
  });
}

function readImage(path: string): Uint8Array {
  try {
    if (!statSync(path).isFile()) throw new UserError(`${path} is not a file`);
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot read image ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

const kb = (bytes: number, ms: number) => (ms > 0 ? bytes / ms : 0).toFixed(1); // bytes/ms = KB/s

/** Print the summary of a finished run (stdout) and return it as text for tests. */
export function describeResult(r: FlashResult): string {
  const slot = r.slot === 0 ? 'A' : r.slot === 1 ? 'B' : '?';
  const lines = [
    `${pc.green('flashed')} ${r.loadId} ${r.version} (${r.imageSize} bytes) into slot ${slot}` +
      (r.resumedFrom > 0 ? `, resumed at ${r.resumedFrom}` : ''),
    `  ${r.bytesSent} bytes in ${(r.uploadMs / 1000).toFixed(1)} s: ${kb(r.bytesSent, r.uploadMs)} KB/s; ` +
      `${(r.bytesSent / Math.max(1, r.wireOut)).toFixed(2)} image bytes per byte on the wire; ${r.resent} resent`,
    `  verified by the board: SHA-256 ${Buffer.from(r.hash).toString('hex')}, signature OK; ` +
      (r.confirmed ? 'confirmed' : 'marked for a test boot'),
  ];
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const opts = parseFlashArgs(argv);
  if (!opts) {
    console.log(USAGE);
    return 0;
  }
  const image = readImage(opts.image);
  try {
    checkImage(image);
  } catch (e) {
    if (e instanceof FlashError) throw new UserError(`${opts.image}: ${e.message}`);
    throw e;
  }
  const port = await openPort(opts.port, opts.baud);
  const clock = wallClock();
  const transport: Transport = {
    write: (bytes) => { port.write(Buffer.from(bytes)); },
    onData: (handler) => { port.on('data', (d: Buffer) => handler(new Uint8Array(d))); },
  };
  // Three tries within the timeout (the line time of each request comes on top).
  const client = new SmpClient(transport, clock, { answerMs: Math.max(200, (opts.timeoutS * 1000) / 3), retries: 2, baud: opts.baud });
  const tty = process.stderr.isTTY === true;
  const bar = new cliProgress.SingleBar({
    format: '{bar} {percentage}% | {value}/{total} B | {speed} KB/s | eta {eta_formatted}',
    stream: process.stderr,
    hideCursor: tty,
    noTTYOutput: false,
  }, cliProgress.Presets.shades_classic);
  let barOn = false;
  let runStart = 0;
  let runStartOff = 0;
  const events = {
    onPhase: (phase: string, detail: string) => {
      if (phase === 'upload' && detail.startsWith('resuming')) process.stderr.write(`${detail}\n`);
      if (phase === 'reset' && detail.startsWith('no answer')) process.stderr.write(`${pc.yellow('warning')}: ${detail}\n`);
    },
    onProgress: (off: number, len: number, startOff: number) => {
      if (!barOn) {
        barOn = true;
        runStart = clock.now();
        runStartOff = Math.max(0, startOff);
        bar.start(len, off, { speed: '0.0' });
      }
      bar.update(off, { speed: kb(off - runStartOff, clock.now() - runStart) });
    },
  };
  let job: FlashJob;
  try {
    job = new FlashJob(client, clock, image, opts, events);
  } catch (e) {
    port.close();
    if (e instanceof FlashError) throw new UserError(e.message);
    throw e;
  }
  try {
    const result = await new Promise<FlashResult>((resolve, reject) => {
      job.start((err, res) => (err ? reject(err) : resolve(res!)));
    });
    if (barOn) bar.stop();
    console.log(describeResult(result));
    console.log(opts.reset === false ? '  board left in recovery (--no-reset)' : '  board reset: it boots the new image');
    return 0;
  } catch (e) {
    if (barOn) bar.stop();
    if (e instanceof FlashError) {
      const prefix = e.kind === 'no-answer' ? `no answer from ${opts.port} within ${opts.timeoutS} s` : e.kind === 'refused' ? 'refused' : e.kind;
      throw new UserError(e.kind === 'no-answer' ? `${prefix}: ${e.message}` : e.message);
    }
    throw e;
  } finally {
    client.close();
    clock.cancelAll();
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
