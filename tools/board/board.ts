/**
 * A simulated board whose loader's serial recovery listens on a real serial device: the
 * API under `dialtone board`. SimBoard (hal/sim/board.ts) runs the bootstrap loader
 * (flash/main.ts) natively with the configuration given (the keys it trusts: `--trust`,
 * default the development key), and on its recovery row the serial recovery module
 * (flash/recovery-main.ts, through hal.system.startRecovery) with the same; the board's
 * console line is bridged to the device (a pty from socat, a USB-serial adapter looped to
 * another) and the scheduler follows the wall clock (RealtimeDriver), so the line is paced
 * at the board's baud rate in real time.
 *
 * Images started by the loader run as the sim's "evaluate the bundle from flash": the
 * payload is evaluated as a bundle declaring `var DialtoneFirmware = { main }` (what
 * `npm run build` makes) and `main(hal)` is called; the log says which image started.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import type { Hal } from '../../hal/index';
import { LOG_INFO, LOG_WARN } from '../../hal/system';
import { Scheduler } from '../../hal/sim/scheduler';
import { SimFlash } from '../../hal/sim/flash';
import { SimBoard } from '../../hal/sim/board';
import type { LogEntry } from '../../hal/sim/board';
import { attachToStream } from '../../hal/sim/serial';
import { RealtimeDriver } from '../../hal/sim/realtime';
import { main as loaderMain } from '../../flash/main';
import { serialRecovery } from '../../flash/serial/recovery';
import type { LoaderConfig } from '../../flash/config';
import { developmentConfig, configKeys, downgradeAllowed } from '../../flash/config';
import { computeLayout } from '../../flash/layout';
import type { FlashLayout } from '../../flash/layout';
import { BootStateStore, copyBootState } from '../../flash/bootstate';
import { beginStaging } from '../../flash/stage';
import { flashSource, readImageInfo, versionToString } from '../../flash/image';
import { SLOT_A, SLOT_NONE } from '../../flash/constants';

export interface BoardOptions {
  /** What the loader trusts (tools/image/trust.ts configForKeys); default: the development key. */
  config?: LoaderConfig;
  /** Flash contents to start from (a file written by an earlier run), if any. */
  flashFile?: string;
  /** A signed image written into slot A and confirmed before power-on. */
  image?: Uint8Array;
  baud?: number;
  /** Serial recovery's inactivity timeout, ms. */
  inactivityMs?: number;
  /** Called for each log line and display change (the CLI prints them). */
  onLog?(e: LogEntry): void;
  onDisplay?(line: number, text: string, t: number): void;
  /** Called when the loader started an image and its main returned. */
  onImageStarted?(loadId: string, version: string): void;
}

export interface RunningBoard {
  board: SimBoard;
  sched: Scheduler;
  driver: RealtimeDriver;
  layout: FlashLayout;
  /** Write the flash contents to options.flashFile (no-op without one). */
  save(): void;
  stop(): void;
}

/** Write `image` into slot A of `flash` and confirm it (a board shipped with firmware). */
export function seedImage(flash: SimFlash, layout: FlashLayout, image: Uint8Array): void {
  const boot = new BootStateStore(flash, layout);
  const st = beginStaging(flash, layout, boot, { slot: SLOT_A, totalLength: image.length });
  if (!st.ok) throw new Error('seed: ' + st.detail);
  const w = st.value.write(image);
  if (!w.ok) throw new Error('seed: ' + w.detail);
  const f = st.value.finish();
  if (!f.ok) throw new Error('seed: ' + f.detail);
  const next = copyBootState(boot.load());
  next.confirmed = SLOT_A;
  next.pending = SLOT_NONE;
  next.tried = false;
  const r = boot.write(next);
  if (!r.ok) throw new Error('seed: ' + r.detail);
}

/** Evaluate a firmware bundle's text and call its main(hal); false when it declares none. */
function runBundle(hal: Hal, text: string): boolean {
  // The sim's stand-in for "the engine evaluates the bundle from flash". Signed images only
  // reach here (the loader verified it).
  const factory = new Function(`${text}\n;return typeof DialtoneFirmware !== 'undefined' ? DialtoneFirmware : null;`);
  const fw = factory() as { main?: (hal: Hal) => void } | null;
  if (!fw || typeof fw.main !== 'function') return false;
  fw.main(hal);
  return true;
}

export function startBoard(stream: Duplex, options: BoardOptions = {}): RunningBoard {
  const sched = new Scheduler(1);
  const config = options.config ?? developmentConfig();
  const flash = new SimFlash('nor-4m');
  if (options.flashFile && existsSync(options.flashFile)) {
    const bytes = new Uint8Array(readFileSync(options.flashFile));
    if (bytes.length !== flash.geometry.size) throw new Error(`${options.flashFile}: ${bytes.length} bytes, the board's flash has ${flash.geometry.size}`);
    flash.restore(bytes);
  }
  const lay = computeLayout(flash.geometry);
  if (!lay.ok) throw new Error(lay.detail);
  const layout = lay.value;
  if (options.image) seedImage(flash, layout, options.image);
  const save = () => {
    if (options.flashFile) writeFileSync(options.flashFile, flash.snapshot());
  };
  const board = new SimBoard(sched, {
    name: 'board',
    mac: new Uint8Array([0x00, 0x1e, 0x4a, 0x00, 0x00, 0x01]),
    flash,
    baud: options.baud ?? 115200,
    boot: (hal) => loaderMain(hal, config),
    // What flash/recovery-main.ts does, plus the CLI's inactivity timeout.
    startRecovery: (hal) => serialRecovery(hal, {
      layout, keys: configKeys(hal.crypto, config), allowDowngrade: downgradeAllowed(config), inactivityMs: options.inactivityMs,
    }),
    startImage: (hal, offset, length) => {
      save();
      let loadId = '?';
      let version = '?';
      for (const slot of layout.slots) {
        if (offset >= slot.offset && offset < slot.offset + slot.size) {
          const info = readImageInfo(flashSource(flash, slot.offset, slot.size));
          if (info.ok) { loadId = info.value.loadId; version = versionToString(info.value.header.version); }
        }
      }
      hal.system.log(LOG_INFO, 'image', `firmware started: ${loadId} ${version} (${length} bytes at 0x${offset.toString(16)})`);
      hal.display.setLine(0, loadId);
      const payload = new Uint8Array(length);
      flash.read(offset, payload);
      const ran = runBundle(hal, Buffer.from(payload).toString('latin1'));
      if (!ran) hal.system.log(LOG_WARN, 'image', 'the payload declares no DialtoneFirmware.main; nothing more runs');
      options.onImageStarted?.(loadId, version);
    },
  });
  if (options.onLog) board.onLog(options.onLog);
  if (options.onDisplay) board.onDisplay(options.onDisplay);
  const driver = new RealtimeDriver(sched);
  const detach = attachToStream(board.serial, stream, (fn) => driver.inject(fn));
  board.onLog((e) => { if (e.tag === 'board' && e.message.startsWith('reset requested')) save(); });
  board.powerOn();
  driver.start();
  return {
    board, sched, driver, layout, save,
    stop() {
      driver.stop();
      detach();
      board.powerOff();
      save();
    },
  };
}
