/**
 * The HAL contract: everything the firmware and the loader may touch on the board.
 * Interfaces only (no code runs from here). hal/sim implements it on the host for tests and
 * the lab; hal/target binds it to embedded engines. See hal/README.md.
 */
import type { Clock } from './clock';
import type { EthernetPort } from './ethernet';
import type { PoweredDevice } from './poe';
import type { NorFlash } from './flash';
import type { Entropy } from './entropy';
import type { Crypto } from './crypto';
import type { Tls } from './tls';
import type { Display } from './display';
import type { SerialPort } from './serial';
import type { System } from './system';

export interface Hal {
  clock: Clock;
  eth: EthernetPort;
  poe: PoweredDevice;
  flash: NorFlash;
  entropy: Entropy;
  crypto: Crypto;
  tls: Tls;
  display: Display;
  serial: SerialPort;
  system: System;
}

export type { Clock, TimerId } from './clock';
export type { EthernetPort } from './ethernet';
export type { PoweredDevice } from './poe';
export type { NorFlash, FlashGeometry, FlashStatus } from './flash';
export type { Entropy } from './entropy';
export type { Crypto, Sha256 } from './crypto';
export type { Tls, TlsClientOptions, TlsEvents, TlsSession } from './tls';
export type { Display } from './display';
export type { SerialPort } from './serial';
export type { System, ResetReason, LogLevel } from './system';
