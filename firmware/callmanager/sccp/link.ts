/**
 * Binds an SccpClient to a byte stream (a TcpSocket, or TLS over one) and to the clock
 * through the one Driver. The owner of the connection calls `connected(stream)` once the
 * transport is up, `data(bytes)` from its onData, `closed()` from its onClose, and `stop()`
 * for an orderly Unregister. When the session ends (any terminal event) the link closes
 * the stream itself: after a framing error or keepalive loss the connection is useless.
 */
import type { Clock } from '../../../hal/clock';
import { Driver } from '../../driver';
import { SccpClient, SccpEvent, SccpOutput } from './client';

/** What the link needs of the connection (firmware/callmanager/transport.ts CmStream fits). */
export interface SccpStream {
  /** Send one whole frame; false when it could not all be taken (the session ends: lost 'write'). */
  write(bytes: Uint8Array): boolean;
  close(): void;
}

export class SccpLink {
  readonly client: SccpClient;
  private readonly clock: Clock;
  private readonly driver: Driver<SccpOutput, SccpEvent>;
  private stream: SccpStream | null = null;

  constructor(clock: Clock, client: SccpClient, onEvent: (e: SccpEvent) => void) {
    this.clock = clock;
    this.client = client;
    const self = this;
    const out: SccpOutput = {
      write: function (b: Uint8Array): boolean { return self.stream !== null && self.stream.write(b); },
    };
    this.driver = new Driver(clock, client, out, function (e: SccpEvent): void {
      onEvent(e);
      if (client.state() === 'done') self.drop();
    });
  }

  connected(stream: SccpStream): void {
    this.stream = stream;
    this.client.start(this.clock.now());
    this.driver.start();
  }

  data(bytes: Uint8Array): void {
    this.client.receive(bytes, this.clock.now());
    this.driver.kick();
  }

  closed(): void {
    this.stream = null;
    this.client.closed(this.clock.now());
    this.driver.kick();
  }

  stop(): void {
    this.client.stop(this.clock.now());
    this.driver.kick();
  }

  private drop(): void {
    const s = this.stream;
    this.stream = null;
    if (s !== null) s.close();
  }
}
