/**
 * The HAL a simulated host's IP stack needs (a lab server, a test peer, a stack bridged to
 * Linux): the scheduler's clock, entropy from its own PRNG stream, and a System that only
 * logs. A host has no loader and no watchdog: reset and startImage throw, since a call
 * would be a bug in the caller.
 */
import type { Clock } from '../clock';
import type { EthernetPort } from '../ethernet';
import type { Entropy } from '../entropy';
import type { System, LogLevel } from '../system';
import type { Scheduler } from './scheduler';
import { Prng } from './prng';

export interface SimHostHal {
  clock: Clock;
  eth: EthernetPort;
  entropy: Entropy;
  system: System;
}

export interface SimHostOptions {
  /** Names the host's PRNG stream (forked from the scheduler's) unless `prng` is given. */
  label: string;
  prng?: Prng;
  /** When the host "powered on" (its clock's zero); 0 by default. */
  bootAtMs?: number;
  log?: (level: LogLevel, tag: string, message: string) => void;
}

export function simHostHal(sched: Scheduler, eth: EthernetPort, options: SimHostOptions): SimHostHal {
  const prng = options.prng ?? sched.rng.fork(options.label);
  const log = options.log;
  return {
    clock: sched.clock(options.bootAtMs ?? 0),
    eth,
    entropy: { fill: (out) => prng.bytes(out), u32: () => prng.u32() },
    system: {
      resetReason: () => 'power-on',
      reset: (reason) => { throw new Error(`${options.label}: a simulated host cannot reset (${reason})`); },
      watchdogStart: () => undefined,
      watchdogFeed: () => undefined,
      startImage: () => { throw new Error(`${options.label}: a simulated host has no images to start`); },
      startRecovery: () => { throw new Error(`${options.label}: a simulated host has no loader`); },
      log: (level, tag, message) => { if (log) log(level, tag, message); },
    },
  };
}
