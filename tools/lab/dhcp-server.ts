/**
 * The lab's DHCP server (RFC 2131 section 4.3), a host on the simulated wire like the
 * phone: it speaks through firmware's own NetInterface and the same codec as the phone's
 * client (firmware/dhcp/wire.ts).
 *
 * Two layers, as in the firmware:
 * - `DhcpServerCore`: sans-IO. One pool (one VLAN's subnet). `handle(bytes, srcIp, now)`
 *   returns the reply to send (or null). Leases are keyed by client id (option 61, else
 *   the MAC). DISCOVER -> OFFER (the client's lease, its requested address when free, else
 *   the lowest free one); REQUEST in SELECTING / INIT-REBOOT / RENEWING / REBINDING -> ACK
 *   or NAK (NAK on a wrong INIT-REBOOT: address off this subnet or held by someone else);
 *   DECLINE marks the address bad (never offered again); RELEASE frees it; INFORM gets the
 *   options without an address.
 * - `LabDhcpServer`: binds one core per VLAN to a NetInterface (UDP port 67) of the lab's
 *   server host; `attach(iface, pool)`.
 *
 * Misbehaviour for tests (`DhcpMisbehaviour`): drop the first N messages, leave out option
 * 150, send option 66 with a trailing NUL (as dnsmasq does), NAK every REQUEST, or stay
 * silent.
 *
 * Replies go (RFC 2131 4.1): to the relay (giaddr) on port 67; to ciaddr when set (not for
 * NAK); else broadcast. The simulated stack cannot unicast to an address the client does
 * not hold yet, so "unicast to yiaddr" is sent as a broadcast, which clients accept.
 */
import * as dhcp from '../../firmware/dhcp/wire';
import { hex, ipToString } from '../../lib/bytes';

export interface DhcpPoolConfig {
  /** For logs ("voice", "data"). */
  name: string;
  /** VLAN the pool serves (0 = native/untagged); informational for the core. */
  vlan: number;
  /** The server's own address on this subnet (option 54). */
  serverIp: number;
  subnet: number;
  mask: number;
  /** Inclusive address range handed out. */
  rangeStart: number;
  rangeEnd: number;
  /** Seconds (option 51). */
  leaseSecs: number;
  routers: number[];
  dnsServers: number[];
  domain?: string;
  ntpServers?: number[];
  /** Option 150 list. */
  tftpServers?: number[];
  /** Option 66 text. */
  tftpServerName?: string;
  /** siaddr. */
  nextServer?: number;
  /** Options 58/59 (default: the client computes 50 % / 87.5 %). */
  renewalSecs?: number;
  rebindingSecs?: number;
  /** Answer unknown INIT-REBOOT clients when the address is free (dnsmasq dhcp-authoritative). Default true. */
  authoritative?: boolean;
}

export interface DhcpMisbehaviour {
  /** Drop the first N messages received. */
  dropFirst?: number;
  /** Never send option 150. */
  noOption150?: boolean;
  /** Send option 66 with a trailing NUL. */
  option66Nul?: boolean;
  /** NAK every REQUEST. */
  nakAll?: boolean;
  /** Answer nothing. */
  silent?: boolean;
}

export interface ServerLease {
  clientKey: string;
  mac: Uint8Array;
  address: number;
  state: 'offered' | 'bound' | 'released';
  /** Virtual ms. */
  expiresAt: number;
}

export interface DhcpReply {
  dstIp: number;
  dstPort: number;
  repr: dhcp.DhcpRepr;
  bytes: Uint8Array;
}

export interface DhcpServerCounters {
  received: number;
  malformed: number;
  dropped: number;
  discovers: number;
  requests: number;
  offers: number;
  acks: number;
  naks: number;
  declines: number;
  releases: number;
  informs: number;
}

/** How long an OFFER holds its address for the client. */
const OFFER_HOLD_MS = 60_000;

export class DhcpServerCore {
  readonly pool: DhcpPoolConfig;
  readonly misbehave: DhcpMisbehaviour;
  readonly counters: DhcpServerCounters = {
    received: 0, malformed: 0, dropped: 0, discovers: 0, requests: 0, offers: 0, acks: 0, naks: 0,
    declines: 0, releases: 0, informs: 0,
  };
  /** Every message handled, for tests: type name and the decision. */
  readonly log: string[] = [];
  private readonly byKey = new Map<string, ServerLease>();
  private readonly bad = new Set<number>();

  constructor(pool: DhcpPoolConfig, misbehave: DhcpMisbehaviour = {}) {
    if (pool.rangeStart > pool.rangeEnd) throw new RangeError(`DhcpServerCore: empty range in pool ${pool.name}`);
    if (((pool.rangeStart & pool.mask) >>> 0) !== pool.subnet || ((pool.rangeEnd & pool.mask) >>> 0) !== pool.subnet) {
      throw new RangeError(`DhcpServerCore: range of pool ${pool.name} is off its subnet`);
    }
    this.pool = pool;
    this.misbehave = misbehave;
  }

  leases(): ServerLease[] {
    return [...this.byKey.values()];
  }

  /** Addresses marked bad by DECLINE. */
  declined(): number[] {
    return [...this.bad];
  }

  leaseOf(clientKey: string): ServerLease | undefined {
    return this.byKey.get(clientKey);
  }

  /** Handle one message from port 68; the reply to send, or null. */
  handle(bytes: Uint8Array, srcIp: number, now: number): DhcpReply | null {
    this.counters.received++;
    if (this.misbehave.dropFirst && this.counters.received <= this.misbehave.dropFirst) {
      this.counters.dropped++;
      this.log.push('drop (misbehaviour)');
      return null;
    }
    const p = dhcp.parse(bytes);
    if (!p.ok) {
      this.counters.malformed++;
      this.log.push('malformed: ' + p.detail);
      return null;
    }
    const m = p.value;
    if (m.op !== dhcp.OP_BOOTREQUEST || m.messageType === 0) {
      this.counters.malformed++;
      return null;
    }
    if (this.misbehave.silent) return null;
    const key = clientKey(m);
    switch (m.messageType) {
      case dhcp.DHCPDISCOVER: return this.onDiscover(m, key, now);
      case dhcp.DHCPREQUEST: return this.onRequest(m, key, now);
      case dhcp.DHCPDECLINE: this.onDecline(m, key); return null;
      case dhcp.DHCPRELEASE: this.onRelease(m, key); return null;
      case dhcp.DHCPINFORM: return this.onInform(m, srcIp);
      default:
        this.log.push('ignored ' + dhcp.messageTypeName(m.messageType));
        return null;
    }
  }

  // ---- RFC 2131 4.3.1 ----

  private onDiscover(m: dhcp.DhcpRepr, key: string, now: number): DhcpReply | null {
    this.counters.discovers++;
    const addr = this.pick(key, m.requestedIp, now);
    if (addr === 0) {
      this.log.push('DISCOVER from ' + key + ': pool exhausted');
      return null;
    }
    this.byKey.set(key, { clientKey: key, mac: m.chaddr, address: addr, state: 'offered', expiresAt: now + OFFER_HOLD_MS });
    this.counters.offers++;
    this.log.push('OFFER ' + ipToString(addr) + ' to ' + key);
    return this.reply(m, dhcp.DHCPOFFER, addr);
  }

  // ---- RFC 2131 4.3.2 ----

  private onRequest(m: dhcp.DhcpRepr, key: string, now: number): DhcpReply | null {
    this.counters.requests++;
    const pool = this.pool;
    const lease = this.byKey.get(key);
    if (this.misbehave.nakAll) return this.nak(m, 'refused (misbehaviour)');
    if (m.serverId !== null) {
      // SELECTING: the client picked a server.
      if (m.serverId !== pool.serverIp) {
        if (lease && lease.state === 'offered') this.byKey.delete(key);
        this.log.push('REQUEST for another server from ' + key);
        return null;
      }
      if (!lease || m.requestedIp === null || lease.address !== m.requestedIp) return this.nak(m, 'no such offer');
      return this.ack(m, lease, now);
    }
    if (m.ciaddr === 0) {
      // INIT-REBOOT: verify the client's notion of its address.
      const want = m.requestedIp;
      if (want === null) return this.nak(m, 'no requested address');
      if (!this.onSubnet(want)) return this.nak(m, 'wrong network');
      if (lease && lease.address === want) return this.ack(m, lease, now);
      const holder = this.holderOf(want, now);
      if (this.bad.has(want) || (holder !== null && holder.clientKey !== key) || !this.inRange(want)) {
        return this.nak(m, 'address not available');
      }
      if (!lease && pool.authoritative === false) {
        this.log.push('INIT-REBOOT from unknown ' + key + ': silent');
        return null;
      }
      const fresh: ServerLease = { clientKey: key, mac: m.chaddr, address: want, state: 'bound', expiresAt: 0 };
      this.byKey.set(key, fresh);
      return this.ack(m, fresh, now);
    }
    // RENEWING (unicast) or REBINDING (broadcast): ciaddr is the client's address.
    if (lease && lease.address === m.ciaddr && lease.state === 'bound') return this.ack(m, lease, now);
    if (!this.onSubnet(m.ciaddr)) {
      this.log.push('RENEW for an address off this subnet from ' + key + ': silent');
      return null;
    }
    return this.nak(m, 'lease unknown');
  }

  private onDecline(m: dhcp.DhcpRepr, key: string): void {
    this.counters.declines++;
    const a = m.requestedIp;
    if (a === null || !this.onSubnet(a)) return;
    this.bad.add(a);
    const lease = this.byKey.get(key);
    if (lease && lease.address === a) this.byKey.delete(key);
    this.log.push('DECLINE ' + ipToString(a) + ' from ' + key + ': marked bad');
  }

  private onRelease(m: dhcp.DhcpRepr, key: string): void {
    this.counters.releases++;
    const lease = this.byKey.get(key);
    if (lease && lease.address === m.ciaddr) {
      lease.state = 'released';
      this.log.push('RELEASE ' + ipToString(m.ciaddr) + ' from ' + key);
    }
  }

  private onInform(m: dhcp.DhcpRepr, srcIp: number): DhcpReply | null {
    this.counters.informs++;
    const r = this.replyRepr(m, dhcp.DHCPACK, 0);
    r.leaseTime = null;
    r.renewalTime = null;
    r.rebindingTime = null;
    const dst = m.ciaddr !== 0 ? m.ciaddr : srcIp;
    return { dstIp: dst, dstPort: dhcp.CLIENT_PORT, repr: r, bytes: dhcp.encode(r) };
  }

  // ---- helpers ----

  private ack(m: dhcp.DhcpRepr, lease: ServerLease, now: number): DhcpReply {
    lease.state = 'bound';
    lease.mac = m.chaddr;
    lease.expiresAt = now + this.pool.leaseSecs * 1000;
    this.counters.acks++;
    this.log.push('ACK ' + ipToString(lease.address) + ' to ' + lease.clientKey);
    return this.reply(m, dhcp.DHCPACK, lease.address);
  }

  private nak(m: dhcp.DhcpRepr, why: string): DhcpReply {
    this.counters.naks++;
    this.log.push('NAK to ' + clientKey(m) + ': ' + why);
    const r = dhcp.emptyRepr(dhcp.OP_BOOTREPLY, dhcp.DHCPNAK, m.xid, m.chaddr);
    r.broadcast = m.broadcast;
    r.giaddr = m.giaddr;
    r.serverId = this.pool.serverIp;
    r.message = why;
    if (m.clientId !== null) r.clientId = m.clientId;
    // NAK: broadcast (or to the relay), never to ciaddr (RFC 2131 4.1).
    const relay = m.giaddr !== 0;
    return { dstIp: relay ? m.giaddr : 0xffffffff, dstPort: relay ? dhcp.SERVER_PORT : dhcp.CLIENT_PORT, repr: r, bytes: dhcp.encode(r) };
  }

  private replyRepr(m: dhcp.DhcpRepr, type: number, yiaddr: number): dhcp.DhcpRepr {
    const pool = this.pool;
    const r = dhcp.emptyRepr(dhcp.OP_BOOTREPLY, type, m.xid, m.chaddr);
    r.broadcast = m.broadcast;
    r.ciaddr = m.ciaddr;
    r.giaddr = m.giaddr;
    r.yiaddr = yiaddr;
    r.siaddr = pool.nextServer ?? 0;
    r.serverId = pool.serverIp;
    r.leaseTime = pool.leaseSecs;
    if (pool.renewalSecs !== undefined) r.renewalTime = pool.renewalSecs;
    if (pool.rebindingSecs !== undefined) r.rebindingTime = pool.rebindingSecs;
    r.subnetMask = pool.mask;
    r.routers = pool.routers.slice();
    r.dnsServers = pool.dnsServers.slice();
    if (pool.domain) r.domainName = pool.domain;
    if (pool.ntpServers) r.ntpServers = pool.ntpServers.slice();
    if (pool.tftpServers && !this.misbehave.noOption150) r.tftpServers = pool.tftpServers.slice();
    if (pool.tftpServerName) r.tftpServerName = pool.tftpServerName + (this.misbehave.option66Nul ? '\u0000' : '');
    return r;
  }

  private reply(m: dhcp.DhcpRepr, type: number, yiaddr: number): DhcpReply {
    const r = this.replyRepr(m, type, yiaddr);
    let dst = 0xffffffff;
    let port = dhcp.CLIENT_PORT;
    if (m.giaddr !== 0) {
      dst = m.giaddr;
      port = dhcp.SERVER_PORT;
    } else if (m.ciaddr !== 0) {
      dst = m.ciaddr;
    }
    // The codec strips trailing NULs from text options on parse, so build the bytes with
    // option 66 as configured (NUL included when misbehaving).
    return { dstIp: dst, dstPort: port, repr: r, bytes: dhcp.encode(r) };
  }

  private onSubnet(a: number): boolean {
    return ((a & this.pool.mask) >>> 0) === this.pool.subnet;
  }

  private inRange(a: number): boolean {
    return a >= this.pool.rangeStart && a <= this.pool.rangeEnd && a !== this.pool.serverIp;
  }

  /** The live lease holding `a` (offered and not expired, or bound and not expired). */
  private holderOf(a: number, now: number): ServerLease | null {
    for (const l of this.byKey.values()) {
      if (l.address !== a || l.state === 'released') continue;
      if (l.expiresAt !== 0 && l.expiresAt <= now) continue;
      return l;
    }
    return null;
  }

  private free(a: number, key: string, now: number): boolean {
    if (!this.inRange(a) || this.bad.has(a)) return false;
    if (this.pool.routers.includes(a) || this.pool.dnsServers.includes(a)) return false;
    const h = this.holderOf(a, now);
    return h === null || h.clientKey === key;
  }

  /** The client's own address, else its requested one, else the lowest free. 0 = none. */
  private pick(key: string, requested: number | null, now: number): number {
    const own = this.byKey.get(key);
    if (own && this.free(own.address, key, now)) return own.address;
    if (requested !== null && this.free(requested, key, now)) return requested;
    for (let a = this.pool.rangeStart; a <= this.pool.rangeEnd; a++) {
      if (this.free(a >>> 0, key, now)) return a >>> 0;
    }
    return 0;
  }
}

/** Option 61 in hex when present ("01001e4a123456"), else "mac:" + the MAC. */
export function clientKey(m: dhcp.DhcpRepr): string {
  if (m.clientId !== null) return hex(m.clientId);
  return 'mac:' + hex(m.chaddr);
}

/** What the lab server needs of a host's network interface (firmware/net/iface.ts NetInterface). */
export interface LabNetIf {
  udpOpen(localPort: number, onDatagram: (data: Uint8Array, srcIp: number, srcPort: number, dstIp: number) => void):
    { sendTo(dstIp: number, dstPort: number, data: Uint8Array): boolean; close(): void } | null;
}

/**
 * The lab's DHCP server on the simulated wire: one DhcpServerCore per attached interface
 * (one interface per VLAN, each with the server's address on that VLAN's subnet).
 */
export class LabDhcpServer {
  readonly cores: DhcpServerCore[] = [];
  private readonly now: () => number;
  private readonly closers: (() => void)[] = [];

  constructor(now: () => number) {
    this.now = now;
  }

  /** Serve `pool` on `iface` (UDP port 67). The caller has given iface its address. */
  attach(iface: LabNetIf, pool: DhcpPoolConfig, misbehave: DhcpMisbehaviour = {}): DhcpServerCore {
    const core = new DhcpServerCore(pool, misbehave);
    const sock = iface.udpOpen(dhcp.SERVER_PORT, (data, srcIp, srcPort) => {
      if (srcPort !== dhcp.CLIENT_PORT && srcPort !== dhcp.SERVER_PORT) return;
      const r = core.handle(data, srcIp, this.now());
      if (r) sock!.sendTo(r.dstIp, r.dstPort, r.bytes);
    });
    if (!sock) throw new Error(`LabDhcpServer: UDP port 67 is taken on pool ${pool.name}'s interface`);
    this.cores.push(core);
    this.closers.push(() => sock.close());
    return core;
  }

  /** The core serving `name`. */
  pool(name: string): DhcpServerCore {
    const c = this.cores.find((x) => x.pool.name === name);
    if (!c) throw new RangeError(`LabDhcpServer: no pool ${name}`);
    return c;
  }

  close(): void {
    for (const c of this.closers) c();
    this.closers.length = 0;
  }
}
