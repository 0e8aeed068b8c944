/**
 * Binds a SipRegister to the phone's stack (firmware/net) and the clock through the one
 * Driver. On 'connect' it finds the target's address (an IPv4 literal, else DNS), opens a
 * UDP socket (local port 5060, else an ephemeral one) or a CmStream (TCP, or TLS through
 * the HAL engine with the caller's certificate pin: firmware/callmanager/transport.ts) and
 * tells the machine; on 'lost' and 'stopped' it closes that transport. Every event then
 * goes to `onEvent`. Callbacks of a transport already dropped are ignored (a generation
 * count), so a late datagram or close cannot reach the next registrar's attempt.
 */
import type { Clock } from '../../../hal/clock';
import type { Tls } from '../../../hal/tls';
import { parseIp } from '../../../lib/bytes';
import { Driver } from '../../driver';
import type { NetInterface } from '../../net/iface';
import type { UdpSocket } from '../../net/udp';
import type { TcpEvents, TcpSocket } from '../../net/tcp';
import { CmStream } from '../transport';
import type { StreamNet } from '../transport';
import { PORT } from './wire';
import { SipRegister } from './register';
import type { SipEvent, SipOutput, SipTransport } from './register';

export interface SipLinkOptions {
  transport: SipTransport;
  /** TLS: the engine and the pin on the server's certificate (the trust list's CCM records). */
  tls?: Tls | null;
  pin?: (der: Uint8Array) => boolean;
}

export class SipLink {
  readonly client: SipRegister;
  private readonly net: NetInterface;
  private readonly clock: Clock;
  private readonly opts: SipLinkOptions;
  private readonly driver: Driver<SipOutput, SipEvent>;
  private udp: UdpSocket | null = null;
  private stream: CmStream | null = null;
  private ip = 0;
  private port = 0;
  private lport = 0;
  private gen = 0;

  constructor(net: NetInterface, clock: Clock, client: SipRegister, opts: SipLinkOptions, onEvent: (e: SipEvent) => void) {
    this.net = net;
    this.clock = clock;
    this.client = client;
    this.opts = opts;
    const self = this;
    const out: SipOutput = {
      send: function (b: Uint8Array): boolean {
        if (self.udp !== null) return self.udp.sendTo(self.ip, self.port, b);
        return self.stream !== null && self.stream.write(b);
      },
    };
    this.driver = new Driver(clock, client, out, function (e: SipEvent): void {
      if (e.kind === 'connect') self.open(e.host, e.port);
      else if (e.kind === 'lost' || e.kind === 'stopped') self.drop();
      onEvent(e);
    });
  }

  start(): void {
    this.client.start(this.clock.now());
    this.driver.start();
  }

  /** Orderly shutdown: unregister, then 'stopped' (the transport is closed after it). */
  stop(): void {
    this.client.stop(this.clock.now());
    this.driver.kick();
  }

  /** Drop everything now (no unregister). */
  close(): void {
    this.drop();
    this.driver.stop();
  }

  private open(host: string, port: number): void {
    this.drop();
    const g = this.gen;
    const self = this;
    const ip = parseIp(host);
    if (ip !== null) return this.dial(ip, port, g);
    this.net.dns.resolve(host, function (a: number | null, err?: string): void {
      if (g !== self.gen) return;
      if (a === null) self.down('dns: ' + err);
      else self.dial(a, port, g);
    });
  }

  private dial(ip: number, port: number, g: number): void {
    const self = this;
    this.ip = ip;
    this.port = port;
    if (this.opts.transport === 'UDP') {
      const rx = function (d: Uint8Array): void {
        if (g !== self.gen) return;
        self.client.receive(d, self.clock.now());
        self.driver.kick();
      };
      this.udp = this.net.udpOpen(PORT, rx);
      if (this.udp === null) this.udp = this.net.udpOpen(0, rx);
      if (this.udp === null) return this.down('no socket');
      this.client.transportUp(this.clock.now(), this.udp.localPort);
      this.driver.kick();
      return;
    }
    const net = this.net;
    // CmStream does not show its socket: note the local port (Via, Contact) as it opens.
    const sn: StreamNet = {
      tcpConnect: function (a: number, p: number, ev: TcpEvents): TcpSocket | null {
        const s = net.tcpConnect(a, p, ev);
        self.lport = s !== null ? s.localPort : 0;
        return s;
      },
    };
    const tls = this.opts.transport === 'TLS' ? this.opts.tls : null;
    if (this.opts.transport === 'TLS' && !tls) return this.down('no TLS engine');
    const pin = this.opts.pin;
    this.stream = new CmStream(sn, {
      ip: ip, port: port, tls: tls ? tls : null, serverName: '',
      pin: function (der: Uint8Array): boolean { return pin !== undefined && pin(der); },
    }, {
      onConnected: function (): void {
        if (g !== self.gen) return;
        self.client.transportUp(self.clock.now(), self.lport);
        self.driver.kick();
      },
      onData: function (b: Uint8Array): void {
        if (g !== self.gen) return;
        self.client.receive(b, self.clock.now());
        self.driver.kick();
      },
      onClose: function (reason: string): void {
        if (g === self.gen) self.down(reason);
      },
    });
    if (this.stream.noSocket) this.down('no socket');
  }

  private down(reason: string): void {
    this.client.transportDown(this.clock.now(), reason);
    this.driver.kick();
  }

  private drop(): void {
    this.gen++;
    const u = this.udp;
    const s = this.stream;
    this.udp = null;
    this.stream = null;
    if (u !== null) u.close();
    if (s !== null) s.close();
  }
}
