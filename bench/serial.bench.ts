/**
 * Serial flashing figures (issue 5): a simulated board (SimBoard running the loader, which
 * enters serial recovery on an empty flash) paced at 115200 baud on virtual time, flashed
 * by `dialtone flash`'s job over hal/sim's serialPair.
 *
 *  - image bytes per byte on the wire (host to board, every request and resend counted);
 *    the ceiling of base64 framing is 0.75;
 *  - throughput beside the line's rate (115200 / 10 bits = 11.52 KB/s) and MCUboot's serial
 *    recovery (about 1 KB/s with its defaults, about 4 KB/s with a 4 KiB MTU: mcu-tools/
 *    mcuboot PR #2640, issue #1547), with our default 2 KiB board buffer and with MCUboot's
 *    default 512-byte receive buffer;
 *  - resume: bytes sent twice when an upload is interrupted at half and run again.
 * KB = 1000 bytes.
 */
import type { BenchRow } from './types';
import { Scheduler } from '../hal/sim/scheduler';
import { SimBoard } from '../hal/sim/board';
import { runLoader } from '../flash/loader';
import { developmentConfig, configKeys } from '../flash/config';
import { serialRecovery } from '../flash/serial/recovery';
import { devKey, signImage } from '../tools/image/lib';
import { SmpClient } from '../tools/flash/client';
import { FlashJob } from '../tools/flash/job';
import type { FlashResult } from '../tools/flash/job';

const BAUD = 115200;
const LINE_KBS = BAUD / 10 / 1000;

function image(size: number): Uint8Array {
  const key = devKey();
  const payload = new Uint8Array(size);
  let x = 1;
  for (let i = 0; i < size; i++) { x = (x * 1103515245 + 12345) >>> 0; payload[i] = x >>> 24; }
  return signImage(payload, key, { loadId: 'DT-BENCH.1', buildTime: 1_700_000_000 });
}

interface Run { result: FlashResult; started: boolean; firstHalfSent: number; secondSent: number }

/** Flash `img` into a fresh simulated board; optionally interrupt once at half and run again. */
function flashOnce(img: Uint8Array, bufferSize: number, interrupt: boolean): Run {
  const sched = new Scheduler(7);
  let started = false;
  const board = new SimBoard(sched, {
    name: 'bench', mac: new Uint8Array([0, 0x1e, 0x4a, 0, 0, 9]), baud: BAUD,
    // A development loader (it trusts the development key the bench signs with).
    boot: (hal) => runLoader(hal, { config: developmentConfig() }),
    startRecovery: (hal) => serialRecovery(hal, { keys: configKeys(hal.crypto, developmentConfig()), bufferSize }),
    startImage: () => { started = true; },
  });
  board.powerOn();
  const transport = { write: (b: Uint8Array) => board.serial.write(b), onData: (h: (b: Uint8Array) => void) => board.serial.onData(h) };
  let firstHalfSent = 0;
  if (interrupt) {
    const c1 = new SmpClient(transport, sched.clock(), { baud: BAUD });
    const j1 = new FlashJob(c1, sched.clock(), img, {}, {
      onChunk: (_off, n) => { firstHalfSent += n; },
      onProgress: (off) => { if (off >= img.length / 2) j1.abort(); },
    });
    let stopped = false;
    j1.start(() => { stopped = true; });
    sched.run(sched.now() + 3_600_000, () => stopped || c1.stats.requests > 0 && firstHalfSent >= img.length / 2);
    sched.runFor(1000);
  }
  let result: FlashResult | null = null;
  let error: Error | null = null;
  let secondSent = 0;
  const job = new FlashJob(new SmpClient(transport, sched.clock(), { baud: BAUD }), sched.clock(), img, {}, {
    onChunk: (_off, n) => { secondSent += n; },
  });
  job.start((e, r) => { error = e; result = r; });
  sched.run(sched.now() + 3_600_000, () => result !== null || error !== null);
  sched.runFor(1000);
  if (error || !result) throw new Error('bench flash failed: ' + (error ? (error as Error).message : 'no result'));
  return { result, started, firstHalfSent, secondSent };
}

export async function bench(): Promise<BenchRow[]> {
  const img = image(256 * 1024);
  const big = flashOnce(img, 2048, false);
  const small = flashOnce(img, 512, false);
  const resumed = flashOnce(img, 2048, true);
  const kbs = (r: FlashResult) => r.bytesSent / r.uploadMs;
  const rows: BenchRow[] = [
    {
      figure: 'Serial flashing: image bytes per byte on the wire (2 KiB board buffer)',
      ours: big.result.imageSize / big.result.wireOut, reference: 0.75, unit: 'B/B',
      note: 'reference: base64 ceiling (3 bytes in 4 characters)',
    },
    {
      figure: 'Serial flashing: image bytes per byte on the wire (512 B board buffer, MCUboot default)',
      ours: small.result.imageSize / small.result.wireOut, reference: 0.75, unit: 'B/B',
      note: 'same framing, smaller chunks: more headers per byte',
    },
    {
      figure: `Serial flashing throughput, sim board at ${BAUD} baud, 256 KiB image (2 KiB buffer)`,
      ours: kbs(big.result), reference: LINE_KBS, unit: 'KB/s',
      note: `reference: the line rate; MCUboot serial recovery ~1 KB/s default, ~4 KB/s with 4 KiB MTU; ${(100 * kbs(big.result) / LINE_KBS).toFixed(0)}% of the line${big.started ? '; the image booted' : '; IMAGE DID NOT BOOT'}`,
    },
    {
      figure: `Serial flashing throughput, sim board at ${BAUD} baud (512 B buffer, MCUboot default)`,
      ours: kbs(small.result), reference: '1-4', unit: 'KB/s',
      note: 'reference: MCUboot serial recovery (PR #2640, issue #1547)',
    },
    {
      figure: 'Serial flashing: image bytes sent twice after an interruption at 50% (resume)',
      ours: resumed.firstHalfSent + resumed.secondSent - img.length, reference: resumed.firstHalfSent, unit: 'B',
      note: `reference: what a restart from 0 resends; ours is the first chunk that announces length and SHA-256; resumed at ${resumed.result.resumedFrom} of ${img.length}`,
    },
  ];
  return rows;
}
