/**
 * The DHCP client as DhcpService holds it. While an exchange runs it is a DhcpClient
 * (client.ts); once the client rests in BOUND, all it holds is the lease and the time of
 * T1, so the machine keeps just those and drops the client, whose code is a lazy module
 * (firmware/lazy/dhcp-client.ts): a bound phone does not keep the DHCP machine resident for
 * the hours between renewals. A new client takes over in BOUND (DhcpClient.resumeBound)
 * when T1 comes, or for a conflict, a restart or a stop, counting on in the same counters.
 *
 * While parked every datagram to port 68 is counted as received and ignored without being
 * parsed (a client in BOUND uses none: what it would have counted as malformed counts as
 * ignored). The shape is the client's, so the service and its tests see one machine.
 */
import type { DhcpClient, DhcpClientConfig, DhcpCounters, DhcpEvent, DhcpOutput, DhcpState } from './client';
import type { Lease } from './lease';
import { loadDhcpClient } from '../lazy/dhcp-client';

export class DhcpMachine {
  readonly counters: DhcpCounters;
  private readonly config: DhcpClientConfig;
  private client: DhcpClient | null = null;
  /** Parked in BOUND: the lease, and when dispatch has work again (T1). */
  private parked: Lease | null = null;
  private wakeAt = Infinity;

  constructor(config: DhcpClientConfig) {
    const kit = loadDhcpClient();
    this.counters = kit.newCounters();
    config.counters = this.counters;
    this.config = config;
    // The checks of the config happen now, not at the first use.
    this.client = new kit.DhcpClient(config);
  }

  state(): DhcpState {
    if (this.client !== null) return this.client.state();
    return this.parked !== null ? 'BOUND' : 'STOPPED';
  }

  currentLease(): Lease | null {
    return this.client !== null ? this.client.currentLease() : this.parked;
  }

  /** Whether the client is dropped (parked in BOUND). */
  isParked(): boolean {
    return this.client === null;
  }

  start(now: number, lastLease?: Lease | null): void {
    this.live(now).start(now, lastLease);
  }

  restart(now: number): void {
    this.live(now).restart(now);
  }

  stop(now: number, release?: boolean): void {
    if (this.client === null && this.parked === null) return;
    this.live(now).stop(now, release);
  }

  probeResult(address: number, conflict: boolean, now: number): void {
    if (this.client !== null) this.client.probeResult(address, conflict, now);
  }

  conflict(address: number, now: number): void {
    if (this.client === null && this.parked === null) return;
    this.live(now).conflict(address, now);
  }

  process(bytes: Uint8Array, srcIp: number, now: number): void {
    if (this.client !== null) {
      this.client.process(bytes, srcIp, now);
      return;
    }
    this.counters.received++;
    this.counters.ignored++;
  }

  pollAt(): number {
    if (this.client !== null) return this.client.pollAt();
    return this.parked !== null ? this.wakeAt : Infinity;
  }

  dispatch(now: number, out: DhcpOutput): void {
    if (this.client === null && (this.parked === null || now < this.wakeAt)) return;
    this.live(now).dispatch(now, out);
  }

  /** The next event; once none is left and the client rests in BOUND, it is dropped. */
  poll(): DhcpEvent | null {
    const c = this.client;
    if (c === null) return null;
    const e = c.poll();
    if (e === null && c.resting()) {
      this.parked = c.currentLease();
      this.wakeAt = c.pollAt();
      this.client = null;
    }
    return e;
  }

  /** The client, made anew in BOUND from the parked lease when it was dropped. */
  private live(now: number): DhcpClient {
    let c = this.client;
    if (c === null) {
      c = new (loadDhcpClient().DhcpClient)(this.config);
      if (this.parked !== null) c.resumeBound(now, this.parked);
      this.client = c;
      this.parked = null;
    }
    return c;
  }
}
