/**
 * Boot steps 5-7's transport: binds the sans-IO TftpFetch (fetch.ts) to the network
 * interface (one ephemeral UDP port per attempt, at most 2 open) and to the clock through
 * the one Driver (firmware/driver.ts). One fetch at a time; `fetch` while one runs replaces
 * it. The interface is the structural `TftpNetIf`, which firmware/net's NetInterface
 * satisfies.
 *
 *   const tftp = new TftpService(iface, hal.clock, { log: ... });
 *   tftp.fetch([server1, server2], [{ name: 'CTLSEP' + mac + '.tlv', optional: true },
 *     { name: 'CTLFile.tlv', optional: true }], function (name, server) { return sink; },
 *     function (e) { ... 'done' | 'absent' | 'failed' (retryAt) ... });
 *
 * blksize is capped at what one unfragmented datagram carries (the stack does no IP
 * reassembly): 1468.
 */
import type { Clock } from '../../hal/clock';
import { Driver } from '../driver';
import { ipToString } from '../../lib/bytes';
import { UDP_MAX_PAYLOAD } from '../net/udp';
import { TftpFetch, FetchConfig, FetchEvent, FetchFile, FetchOutput } from './fetch';
import type { TftpSink, TftpFailure } from './client';
import { HEADER_LEN } from './wire';

export interface TftpUdpSocket {
  sendTo(dstIp: number, dstPort: number, data: Uint8Array): boolean;
  close(): void;
}

export interface TftpNetIf {
  udpOpen(localPort: number, onDatagram: (data: Uint8Array, srcIp: number, srcPort: number, dstIp: number) => void): TftpUdpSocket | null;
}

export interface TftpServiceOptions extends FetchConfig {
  /** One line per attempt and outcome. */
  log?: (line: string) => void;
}

export const MAX_DATAGRAM_BLKSIZE = UDP_MAX_PAYLOAD - HEADER_LEN;

function failText(f: TftpFailure): string {
  return f.kind + (f.code >= 0 ? ' (ERROR ' + f.code + (f.message !== '' ? ' ' + f.message : '') + ')' : '');
}

export class TftpService {
  readonly fetcher: TftpFetch;
  private readonly clock: Clock;
  private readonly driver: Driver<FetchOutput, FetchEvent>;
  private readonly socks: Array<TftpUdpSocket | null> = [null, null];
  private readonly logLine: ((line: string) => void) | null;
  private onEvent: ((e: FetchEvent) => void) | null = null;

  constructor(iface: TftpNetIf, clock: Clock, opts?: TftpServiceOptions) {
    const o = opts || {};
    let blk = o.blksize !== undefined ? o.blksize : 1428;
    if (blk > MAX_DATAGRAM_BLKSIZE) blk = MAX_DATAGRAM_BLKSIZE;
    this.clock = clock;
    this.logLine = o.log !== undefined ? o.log : null;
    const fetcher = new TftpFetch({
      blksize: blk, windowsize: o.windowsize, timeoutS: o.timeoutS, tsize: o.tsize, maxSize: o.maxSize, reorder: o.reorder,
      retry: o.retry, dallyMs: o.dallyMs, rounds: o.rounds, retryWaitMs: o.retryWaitMs, serverPort: o.serverPort,
    });
    this.fetcher = fetcher;
    const self = this;
    const socks = this.socks;
    const handler = function (h: number): (data: Uint8Array, srcIp: number, srcPort: number) => void {
      return function (data: Uint8Array, srcIp: number, srcPort: number): void {
        fetcher.process(h, data, srcIp, srcPort, clock.now());
        self.driver.kick();
      };
    };
    const out: FetchOutput = {
      open: function (): number {
        const h = socks[0] === null ? 0 : (socks[1] === null ? 1 : -1);
        if (h < 0) return -1;
        const s = iface.udpOpen(0, handler(h));
        if (s === null) return -1;
        socks[h] = s;
        return h;
      },
      send: function (h: number, ip: number, port: number, data: Uint8Array): void {
        const s = socks[h];
        if (s) s.sendTo(ip, port, data);
      },
      close: function (h: number): void {
        const s = socks[h];
        if (s) s.close();
        socks[h] = null;
      },
    };
    this.driver = new Driver(clock, fetcher, out, function (e: FetchEvent): void {
      self.log(e);
      if (self.onEvent !== null) self.onEvent(e);
    });
    this.driver.start();
  }

  /** Fetch the first of `files` found on `servers`; `sinkFor` gives a sink per attempt. */
  fetch(servers: number[], files: FetchFile[], sinkFor: (name: string, server: number) => TftpSink, onEvent: (e: FetchEvent) => void): void {
    this.onEvent = onEvent;
    this.fetcher.start(this.clock.now(), servers, files, sinkFor);
    this.driver.kick();
  }

  /** Abandon the running fetch; no event follows. */
  cancel(): void {
    this.fetcher.cancel();
    this.onEvent = null;
    this.driver.kick();
  }

  busy(): boolean {
    return this.fetcher.busy();
  }

  /** The transfer under way (for "Upgrading 43%"), or null. */
  progress(): { server: number; name: string; bytes: number; total: number } | null {
    return this.fetcher.current();
  }

  private log(e: FetchEvent): void {
    const l = this.logLine;
    if (l === null) return;
    if (e.kind === 'trying') l('tftp: RRQ ' + e.name + ' to ' + ipToString(e.server));
    else if (e.kind === 'missed') l('tftp: ' + e.name + ' from ' + ipToString(e.server) + ': ' + failText(e.failure));
    else if (e.kind === 'done') {
      l('tftp: ' + e.name + ' from ' + ipToString(e.server) + ': ' + e.size + ' bytes (blksize ' + e.blksize + ', window ' + e.windowsize + ')');
    } else if (e.kind === 'absent') l('tftp: none of the optional files exists');
    else l('tftp: failed: ' + failText(e.failure) + ', retry in ' + Math.round((e.retryAt - this.clock.now()) / 1000) + ' s');
  }
}
