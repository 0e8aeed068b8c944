/**
 * An in-memory UDP network on virtual time for the TFTP unit tests: one TftpFetch (the
 * phone, 10.1.0.50) and TftpServerCores by address, datagrams delivered in order after the
 * machines dispatch, optional seeded loss. Small enough to read; the sim tests use the
 * real stack and switch instead.
 */
import { TftpFetch, type FetchEvent, type FetchOutput } from '../../../firmware/tftp/fetch';
import { TftpServerCore, type ServerOutput } from '../../../tools/ota/server';
import { Prng } from '../../../hal/sim/prng';

export const PHONE = 0x0a010032;

interface Dgram {
  toIp: number;
  toPort: number;
  fromIp: number;
  fromPort: number;
  data: Uint8Array;
}

export class MemNet {
  now = 0;
  readonly events: Array<FetchEvent & { t: number }> = [];
  readonly log: string[] = [];
  private queue: Dgram[] = [];
  private readonly servers = new Map<number, { core: TftpServerCore; out: ServerOutput; ports: Map<number, number> }>();
  private readonly phonePorts = new Map<number, number>();
  private nextPort = 49840;
  private readonly rng: Prng;
  loss = 0;
  private readonly fetchOut: FetchOutput;

  constructor(readonly fetch: TftpFetch, seed = 1) {
    this.rng = new Prng(seed);
    this.fetchOut = {
      open: () => {
        for (let h = 0; h < 4; h++) {
          if (!this.phonePorts.has(h)) {
            this.phonePorts.set(h, this.nextPort++);
            return h;
          }
        }
        return -1;
      },
      send: (h, ip, port, data) => this.enqueue({ toIp: ip, toPort: port, fromIp: PHONE, fromPort: this.phonePorts.get(h)!, data: data.slice() }),
      close: (h) => this.phonePorts.delete(h),
    };
  }

  openPhonePorts(): number {
    return this.phonePorts.size;
  }

  addServer(ip: number, core: TftpServerCore): void {
    const ports = new Map<number, number>();
    const out: ServerOutput = {
      send: (id, toIp, toPort, data) => {
        if (!ports.has(id)) ports.set(id, 30000 + id);
        this.enqueue({ toIp, toPort, fromIp: ip, fromPort: ports.get(id)!, data: data.slice() });
        return true;
      },
      close: (id) => ports.delete(id),
    };
    this.servers.set(ip, { core, out, ports });
  }

  private enqueue(d: Dgram): void {
    if (this.loss > 0 && this.rng.chance(this.loss)) return;
    this.queue.push(d);
    const s = new DataView(d.data.buffer, d.data.byteOffset).getUint16(0);
    if (d.fromIp === PHONE && s === 1) this.log.push(`${this.now} RRQ to ${d.toIp >>> 0}`);
  }

  private deliver(): void {
    while (this.queue.length > 0) {
      const d = this.queue.shift()!;
      if (d.toIp === PHONE) {
        for (const [h, p] of this.phonePorts) if (p === d.toPort) this.fetch.process(h, d.data, d.fromIp, d.fromPort, this.now);
        continue;
      }
      const s = this.servers.get(d.toIp);
      if (!s) continue;
      if (d.toPort === 69) {
        s.core.request(d.data, d.fromIp, d.fromPort, this.now);
        continue;
      }
      for (const [id, p] of s.ports) if (p === d.toPort) s.core.process(id, d.data, d.fromIp, d.fromPort, this.now);
    }
  }

  private pumpNow(): void {
    for (let round = 0; round < 100000; round++) {
      this.deliver();
      let any = false;
      if (this.fetch.pollAt() <= this.now) {
        this.fetch.dispatch(this.now, this.fetchOut);
        any = true;
      }
      for (const s of this.servers.values()) {
        if (s.core.pollAt() <= this.now) {
          s.core.dispatch(this.now, s.out);
          any = true;
        }
        while (s.core.poll()) { /* drained */ }
      }
      for (let e = this.fetch.poll(); e; e = this.fetch.poll()) this.events.push({ ...e, t: this.now });
      if (!any && this.queue.length === 0) return;
    }
    throw new Error('memnet: livelock');
  }

  /** Run until `until` or `stop()` holds. */
  run(until: number, stop: () => boolean = () => false): void {
    for (;;) {
      this.pumpNow();
      if (stop()) return;
      let t = this.fetch.pollAt();
      for (const s of this.servers.values()) t = Math.min(t, s.core.pollAt());
      if (t > until) {
        this.now = until;
        return;
      }
      this.now = Math.max(this.now, t);
    }
  }
}
