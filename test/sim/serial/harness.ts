/**
 * A board in serial recovery on virtual time, and a host beside it: the pieces the serial
 * tests and the bench share. The line is hal/sim's serialPair, paced at baud/10 bytes per
 * second in FIFO-sized chunks, so throughput on virtual time is what the line allows.
 */
import type { Hal } from '../../../hal/index';
import type { SerialPort } from '../../../hal/serial';
import { Scheduler } from '../../../hal/sim/scheduler';
import { SimFlash } from '../../../hal/sim/flash';
import { serialPair, SimSerial } from '../../../hal/sim/serial';
import { HostCrypto } from '../../../hal/sim/crypto-host';
import { RecoveryServer } from '../../../flash/serial/recovery';
import type { RecoveryEvent, RecoveryOptions } from '../../../flash/serial/recovery';
import { runLoader } from '../../../flash/loader';
import type { LoaderResult } from '../../../flash/loader';
import { signImage } from '../../../tools/image/lib';
import { configForKeys } from '../../../tools/image/trust';
import { configKeys } from '../../../flash/config';
import { testKey } from '../../unit/flash/helpers';
import type { SignOptions } from '../../../tools/image/lib';
import { SmpClient } from '../../../tools/flash/client';
import type { Transport } from '../../../tools/flash/client';

/** The board's loader and recovery trust the key the tests sign with (not the development key). */
export const config = configForKeys([testKey]);

/** A signed image with a deterministic payload of `size` bytes (signed with the test key). */
export function makeImage(size: number, options: Partial<SignOptions> = {}): Uint8Array {
  const payload = new Uint8Array(size);
  let x = 0x12345678;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    payload[i] = x >>> 24;
  }
  return signImage(payload, testKey, { loadId: 'DT-TEST.1-0-0', buildTime: 1_700_000_000, ...options });
}

/**
 * The host's end of the line as a Transport, with fault hooks: `toBoard` / `toHost` may
 * change bytes in place (a noisy line) before they go out or after they come in.
 */
export class HostEnd implements Transport {
  toBoard: ((bytes: Uint8Array) => void) | null = null;
  toHost: ((bytes: Uint8Array) => void) | null = null;
  private handlers: Array<(b: Uint8Array) => void> = [];
  constructor(readonly end: SimSerial) {
    end.onData((b) => {
      const c = b.slice();
      if (this.toHost) this.toHost(c);
      for (const h of this.handlers) h(c);
    });
  }
  write(bytes: Uint8Array): void {
    const c = bytes.slice();
    if (this.toBoard) this.toBoard(c);
    this.end.write(c);
  }
  onData(handler: (b: Uint8Array) => void): void {
    this.handlers.push(handler);
  }
}

export interface TestBoard {
  sched: Scheduler;
  flash: SimFlash;
  hal: Hal;
  display: string[];
  logs: string[];
  events: RecoveryEvent[];
  resets: string[];
  server: RecoveryServer;
  host: HostEnd;
  boardSerial: SimSerial;
  /** Power-cycle: a fresh HAL over the same flash runs the loader; startImage calls are recorded
   *  (a hand-over to serial recovery as [-1, -1]). */
  boot(): { result: LoaderResult; started: Array<[number, number]> };
}

function fakeHal(sched: Scheduler, flash: SimFlash, serial: SerialPort, display: string[], logs: string[],
                 resets: string[], started: Array<[number, number]>): Hal {
  const unused = new Proxy({}, { get: () => { throw new Error('not part of the serial tests'); } });
  return {
    clock: sched.clock(),
    flash,
    crypto: new HostCrypto(),
    serial,
    display: { setLine: (i, t) => { display[i] = t; }, clear: () => { display.length = 0; } },
    system: {
      resetReason: () => 'power-on',
      reset: (r) => { resets.push(r); },
      watchdogStart: () => {},
      watchdogFeed: () => {},
      startImage: (o, l) => { started.push([o, l]); },
      startRecovery: () => { started.push([-1, -1]); },
      log: (_lvl, tag, m) => { logs.push(`${tag}: ${m}`); },
    },
    eth: unused as Hal['eth'], poe: unused as Hal['poe'], entropy: unused as Hal['entropy'], tls: unused as Hal['tls'],
  };
}

export function recoveryBoard(options: Partial<RecoveryOptions> & { seed?: number; baud?: number } = {}): TestBoard {
  const sched = new Scheduler(options.seed ?? 1);
  const flash = new SimFlash('nor-4m');
  const [board, hostSerial] = serialPair(sched, options.baud ?? 115200);
  const host = new HostEnd(hostSerial);
  const display: string[] = [];
  const logs: string[] = [];
  const events: RecoveryEvent[] = [];
  const resets: string[] = [];
  const hal = fakeHal(sched, flash, board, display, logs, resets, []);
  const server = new RecoveryServer(hal, { keys: configKeys(hal.crypto, config), ...options, onEvent: (e) => events.push(e) });
  server.start();
  return {
    sched, flash, hal, display, logs, events, resets, server, host, boardSerial: board,
    boot() {
      const started: Array<[number, number]> = [];
      const nothing: SerialPort = { write: () => {}, onData: () => {}, baudRate: () => 115200 };
      const h2 = fakeHal(sched, flash, nothing, [], logs, [], started);
      const result = runLoader(h2, { config });
      return { result, started };
    },
  };
}

export function hostClient(b: TestBoard, answerMs = 1500): SmpClient {
  return new SmpClient(b.host, b.sched.clock(), { answerMs, baud: 115200 });
}
