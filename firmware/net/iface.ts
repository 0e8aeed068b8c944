/**
 * The network interface: one Ethernet port, one IPv4 address, and the glue between the
 * wire codecs and the sockets (smoltcp's iface/). Event-driven: frames come in through
 * the port's receive callback, time through HAL timers; nothing polls.
 *
 * Receive path: Ethernet (VLAN filter: untagged, priority-tagged or our VID) -> ARP, IPv4,
 * or the onFrame handlers (CDP, LLDP, anything else) -> ICMP echo / UDP / TCP. IPv4 is
 * accepted for our address, 255.255.255.255 and the subnet broadcast, and for any address
 * while unconfigured (a DHCP server may unicast the offer to the address it offers,
 * RFC 2131 4.1). Every drop is counted (NetCounters) with its reason.
 *
 * Transmit path: sockets write their transport header and data straight into the one
 * transmit buffer (txPayload), sendIp adds the IPv4 and Ethernet headers (802.1Q tag
 * when a VLAN is set) and hands the frame to the port, which copies it. A packet whose
 * next hop is not in the ARP cache is copied into a bounded queue until the reply comes.
 *
 * ARP (RFC 826, RFC 1122 2.3.2): a cache of arpEntries with arpTimeoutMs lifetime; an
 * unresolved address is asked arpRetries times arpRetryMs apart, then its queued packets
 * are dropped. RFC 5227: probeAddress (PROBE_WAIT, PROBE_NUM probes PROBE_MIN..PROBE_MAX
 * apart, ANNOUNCE_WAIT, then ANNOUNCE_NUM announcements), conflict detection while bound
 * (onConflict) and one defence per DEFEND_INTERVAL (2.4 (b)).
 *
 * Deviations: no IP reassembly (fragments dropped and counted), no IP options sent, no
 * ICMP errors sent (port/protocol unreachable), no multicast (IGMP), no loopback to our
 * own address, one address per interface.
 */
import type { Clock } from '../../hal/clock';
import type { EthernetPort } from '../../hal/ethernet';
import type { Entropy } from '../../hal/entropy';
import type { System } from '../../hal/system';
import { LOG_WARN } from '../../hal/system';
import { type NetOptions, type NetConfig, type NetCounters, type IpLayer, resolveOptions, newCounters } from './options';
import * as ethernet from './wire/ethernet';
import * as vlan from './wire/vlan';
import * as arp from './wire/arp';
import * as ipv4 from './wire/ipv4';
import * as icmp from './wire/icmp';
import * as udpWire from './wire/udp';
import * as tcpWire from './wire/tcp';
import { UdpSocket, type UdpHandler } from './udp';
import type { TcpSocket, TcpEvents, TcpHost } from './tcp';
import { loadTcp } from '../lazy/tcp';
import type { TcpModule } from '../lazy/tcp';
import { DnsResolver } from './resolver';
import { bytesEqual, copyBytes, ipToString, macToString } from '../../lib/bytes';

/** RFC 5227 section 1.1 constants (ms). */
export const PROBE_WAIT = 1000;
export const PROBE_NUM = 3;
export const PROBE_MIN = 1000;
export const PROBE_MAX = 2000;
export const ANNOUNCE_WAIT = 2000;
export const ANNOUNCE_NUM = 2;
export const ANNOUNCE_INTERVAL = 2000;
export const DEFEND_INTERVAL = 10000;

/** The largest IPv4 payload in one 1500-byte frame. */
export const IP_MTU = 1500;
export const MAX_L4 = IP_MTU - ipv4.HEADER_LEN;
export const MAX_FRAME_HANDLERS = 4;

const ZERO_MAC = new Uint8Array(6);

export interface NetHal {
  clock: Clock;
  eth: EthernetPort;
  entropy: Entropy;
  system: System;
}

interface ArpEntry {
  ip: number;
  mac: Uint8Array;
  resolved: boolean;
  expires: number;
  tries: number;
  timer: number;
}

interface Held {
  hop: number;
  packet: Uint8Array;
}

interface Probe {
  ip: number;
  cb: (conflict: boolean) => void;
  sent: number;
  timer: number;
}

interface Ping {
  ip: number;
  ident: number;
  seq: number;
  sentAt: number;
  timer: number;
  cb: (rttMs: number | null) => void;
}

export class TcpListener {
  readonly port: number;
  readonly onAccept: (s: TcpSocket) => TcpEvents | null;
  private readonly release: (l: TcpListener) => void;
  open = true;

  constructor(port: number, onAccept: (s: TcpSocket) => TcpEvents | null, release: (l: TcpListener) => void) {
    this.port = port;
    this.onAccept = onAccept;
    this.release = release;
  }

  /** Stop accepting (connections already accepted go on). */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.release(this);
  }
}

export class NetInterface implements IpLayer {
  readonly mac: Uint8Array;
  readonly clock: Clock;
  readonly counters: NetCounters;
  readonly config: NetConfig;
  readonly dns: DnsResolver;

  private readonly eth: EthernetPort;
  private readonly entropy: Entropy;
  private readonly system: System;
  /** The one transmit buffer: the largest tagged frame. */
  private readonly txBuf = new Uint8Array(ethernet.TAGGED_HEADER_LEN + IP_MTU);
  private tag: vlan.Repr | null = null;
  private vid = 0;
  private addr = 0;
  private mask = 0;
  private gw = 0;
  private ident = 0;
  private arpTable: ArpEntry[] = [];
  private held: Held[] = [];
  private probe: Probe | null = null;
  private lastDefence = -DEFEND_INTERVAL;
  private frameHandlers: Array<(frame: Uint8Array) => void> = [];
  private conflictHandlers: Array<(ip: number, mac: Uint8Array) => void> = [];
  private udpSockets: UdpSocket[] = [];
  private tcpSockets: TcpSocket[] = [];
  /** The TCP machine's module while any socket exists (a lazy module: firmware/lazy/tcp.ts). */
  private tcpModule: TcpModule | null = null;
  private listeners: TcpListener[] = [];
  private pings: Ping[] = [];
  private pingSeq = 0;
  private readonly tcpHost: TcpHost;

  constructor(hal: NetHal, options?: NetOptions) {
    this.clock = hal.clock;
    this.eth = hal.eth;
    this.entropy = hal.entropy;
    this.system = hal.system;
    this.config = resolveOptions(options);
    this.counters = newCounters();
    this.mac = copyBytes(hal.eth.mac(), 0, 6);
    this.ident = this.entropy.u32() & 0xffff;
    this.tcpHost = {
      ip: this,
      release: (s: TcpSocket) => this.releaseTcp(s),
      accepted: (s: TcpSocket) => this.acceptedTcp(s),
    };
    this.dns = new DnsResolver(this, (port: number, handler: UdpHandler) => this.udpOpen(port, handler));
    hal.eth.onReceive((frame: Uint8Array) => this.receive(frame));
  }

  // ---- configuration ----

  /** Tag every frame with `vid` (0 = untagged) and priority `pcp`; accept that VID or untagged. */
  setVlan(vid: number, pcp: number): void {
    if (vid < 0 || vid > vlan.VID_MAX || pcp < 0 || pcp > 7) throw new TypeError('setVlan: vid 0..4094, pcp 0..7');
    this.vid = vid;
    this.tag = vid === 0 ? null : { pcp: pcp, dei: 0, vid: vid };
  }

  vlanId(): number {
    return this.vid;
  }

  /** 0.0.0.0 = unconfigured. A change of address empties the ARP cache. */
  setAddress(ip: number, mask: number, gateway: number): void {
    const changed = (ip >>> 0) !== this.addr;
    this.addr = ip >>> 0;
    this.mask = mask >>> 0;
    this.gw = gateway >>> 0;
    if (changed) this.flushArp();
  }

  address(): number {
    return this.addr;
  }

  netmask(): number {
    return this.mask;
  }

  gateway(): number {
    return this.gw;
  }

  setDnsServers(servers: number[], domain?: string): void {
    this.dns.setServers(servers, domain);
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    if (this.frameHandlers.length >= MAX_FRAME_HANDLERS) throw new TypeError('onFrame: at most ' + MAX_FRAME_HANDLERS + ' handlers');
    this.frameHandlers.push(handler);
  }

  onConflict(handler: (ip: number, mac: Uint8Array) => void): void {
    if (this.conflictHandlers.length >= MAX_FRAME_HANDLERS) throw new TypeError('onConflict: too many handlers');
    this.conflictHandlers.push(handler);
  }

  /** Send a whole frame as-is (CDP/LLDP agents build their own). */
  sendFrame(frame: Uint8Array): boolean {
    const sent = this.eth.send(frame);
    if (sent) this.counters.txFrames++;
    else this.counters.txFailed++;
    return sent;
  }

  random32(): number {
    return this.entropy.u32() >>> 0;
  }

  // ---- sockets ----

  /** Bind a UDP port (0 = an ephemeral one). Null when the port is taken or the table is full. */
  udpOpen(localPort: number, onDatagram: UdpHandler): UdpSocket | null {
    if (this.udpSockets.length >= this.config.udpSockets) return null;
    let port = localPort;
    if (port === 0) port = this.ephemeralPort(true);
    if (port <= 0 || port > 0xffff || this.udpPortUsed(port)) return null;
    const s = new UdpSocket(this, port, onDatagram, (x: UdpSocket) => this.releaseUdp(x));
    this.udpSockets.push(s);
    return s;
  }

  /** Open a TCP connection (active open). Null when the socket table is full or no port is free. */
  tcpConnect(ip: number, port: number, events: TcpEvents): TcpSocket | null {
    if (this.tcpSockets.length >= this.config.tcpSockets) return null;
    const local = this.ephemeralPort(false);
    if (local <= 0) return null;
    const s = new (this.tcp().TcpSocket)(this.tcpHost, local, ip >>> 0, port, events);
    this.tcpSockets.push(s);
    s.connect();
    return s;
  }

  /** Accept connections on `port`; onAccept returns the events for each (null refuses it). */
  tcpListen(port: number, onAccept: (s: TcpSocket) => TcpEvents | null): TcpListener | null {
    if (this.listeners.length >= this.config.tcpListeners) return null;
    for (let i = 0; i < this.listeners.length; i++) if (this.listeners[i].port === port) return null;
    const l = new TcpListener(port, onAccept, (x: TcpListener) => this.releaseListener(x));
    this.listeners.push(l);
    return l;
  }

  /** Sockets currently in the table (for tests and diagnostics). */
  tcpSocketCount(): number {
    return this.tcpSockets.length;
  }

  private udpPortUsed(port: number): boolean {
    for (let i = 0; i < this.udpSockets.length; i++) if (this.udpSockets[i].localPort === port) return true;
    return false;
  }

  private tcpPortUsed(port: number): boolean {
    for (let i = 0; i < this.tcpSockets.length; i++) if (this.tcpSockets[i].localPort === port) return true;
    for (let i = 0; i < this.listeners.length; i++) if (this.listeners[i].port === port) return true;
    return false;
  }

  /** A random free port in 49152..65535 (RFC 6335 dynamic range; RFC 6056 randomization). */
  private ephemeralPort(udp: boolean): number {
    for (let tries = 0; tries < 32; tries++) {
      const p = 49152 + (this.entropy.u32() % 16384);
      if (udp ? !this.udpPortUsed(p) : !this.tcpPortUsed(p)) return p;
    }
    return -1;
  }

  private releaseUdp(s: UdpSocket): void {
    const i = this.udpSockets.indexOf(s);
    if (i >= 0) this.udpSockets.splice(i, 1);
  }

  private releaseTcp(s: TcpSocket): void {
    const i = this.tcpSockets.indexOf(s);
    if (i >= 0) this.tcpSockets.splice(i, 1);
    // One copy for every socket; dropped with the last one.
    if (this.tcpSockets.length === 0) this.tcpModule = null;
  }

  private tcp(): TcpModule {
    if (this.tcpModule === null) this.tcpModule = loadTcp();
    return this.tcpModule;
  }

  private releaseListener(l: TcpListener): void {
    const i = this.listeners.indexOf(l);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  private acceptedTcp(s: TcpSocket): TcpEvents | null {
    for (let i = 0; i < this.listeners.length; i++) {
      if (this.listeners[i].port === s.localPort) return this.listeners[i].onAccept(s);
    }
    return null;
  }

  // ---- ICMP echo ----

  /**
   * Send an ICMP echo request with `size` bytes of data; cb(rtt in ms) on the reply, or
   * cb(null) after timeoutMs. False when the ping table is full or the packet was dropped.
   */
  ping(ip: number, size: number, timeoutMs: number, cb: (rttMs: number | null) => void): boolean {
    if (this.pings.length >= this.config.pings) return false;
    if (size < 0 || size > MAX_L4 - icmp.HEADER_LEN) throw new TypeError('ping: size 0..' + (MAX_L4 - icmp.HEADER_LEN));
    const p: Ping = { ip: ip >>> 0, ident: 0xd1a1, seq: (this.pingSeq++) & 0xffff, sentAt: this.clock.now(), timer: -1, cb: cb };
    const buf = this.txPayload();
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = i & 255;
    const n = icmp.emit({ type: icmp.TYPE_ECHO_REQUEST, code: 0, ident: p.ident, seq: p.seq, rest: 0, payload: data }, buf, 0);
    if (!this.sendIp(p.ip, ipv4.PROTO_ICMP, n, 0)) return false;
    p.timer = this.clock.setTimer(timeoutMs, () => this.pingDone(p, null));
    this.pings.push(p);
    return true;
  }

  private pingDone(p: Ping, rtt: number | null): void {
    const i = this.pings.indexOf(p);
    if (i < 0) return;
    this.pings.splice(i, 1);
    if (rtt !== null) this.clock.clearTimer(p.timer);
    p.cb(rtt);
  }

  // ---- ARP and RFC 5227 ----

  /**
   * RFC 5227 2.1: probe for `ip`, then (no conflict) announce it. onResult(true) as soon as
   * a conflict is seen; onResult(false) after ANNOUNCE_WAIT, when the first announcement
   * goes out (the second follows ANNOUNCE_INTERVAL later). A new probe cancels an old one
   * (whose callback is not called). Times are multiplied by options.probeTimeScale.
   */
  probeAddress(ip: number, onResult: (conflict: boolean) => void): void {
    this.cancelProbe();
    const p: Probe = { ip: ip >>> 0, cb: onResult, sent: 0, timer: -1 };
    this.probe = p;
    const wait = this.scaled(PROBE_WAIT) * (this.entropy.u32() / 4294967296);
    p.timer = this.clock.setTimer(wait, () => this.probeStep(p));
  }

  /** Stop a probe in progress without calling its callback. */
  cancelProbe(): void {
    if (this.probe !== null && this.probe.timer >= 0) this.clock.clearTimer(this.probe.timer);
    this.probe = null;
  }

  /** Send one ARP announcement (RFC 5227 2.3: a request with sender IP = target IP = ip). */
  announce(ip: number): void {
    this.counters.arpAnnouncementsSent++;
    this.sendArp(arp.OP_REQUEST, ip >>> 0, ZERO_MAC, ip >>> 0, ethernet.BROADCAST_MAC);
  }

  private scaled(ms: number): number {
    return ms * this.config.probeTimeScale;
  }

  private probeStep(p: Probe): void {
    if (this.probe !== p) return;
    p.timer = -1;
    if (p.sent < PROBE_NUM) {
      p.sent++;
      this.counters.arpProbesSent++;
      this.sendArp(arp.OP_REQUEST, 0, ZERO_MAC, p.ip, ethernet.BROADCAST_MAC);
      const next = p.sent < PROBE_NUM
        ? this.scaled(PROBE_MIN) + (this.scaled(PROBE_MAX) - this.scaled(PROBE_MIN)) * (this.entropy.u32() / 4294967296)
        : this.scaled(ANNOUNCE_WAIT);
      p.timer = this.clock.setTimer(next, () => this.probeStep(p));
      return;
    }
    this.probe = null;
    this.announce(p.ip);
    this.clock.setTimer(this.scaled(ANNOUNCE_INTERVAL), () => this.announce(p.ip));
    p.cb(false);
  }

  private probeConflict(): void {
    const p = this.probe;
    if (p === null) return;
    this.cancelProbe();
    this.counters.arpConflicts++;
    p.cb(true);
  }

  /** Resolved MAC for a next hop, or null. Expired entries are dropped here (lazily). */
  private arpLookup(ip: number): Uint8Array | null {
    const now = this.clock.now();
    for (let i = 0; i < this.arpTable.length; i++) {
      const e = this.arpTable[i];
      if (e.ip !== ip) continue;
      if (!e.resolved) return null;
      if (e.expires > now) return e.mac;
      this.arpTable.splice(i, 1);
      return null;
    }
    return null;
  }

  private arpFind(ip: number): ArpEntry | null {
    for (let i = 0; i < this.arpTable.length; i++) if (this.arpTable[i].ip === ip) return this.arpTable[i];
    return null;
  }

  /** A free slot: expired entries first, then the resolved entry that expires soonest. */
  private arpSlot(): boolean {
    if (this.arpTable.length < this.config.arpEntries) return true;
    const now = this.clock.now();
    let victim = -1;
    for (let i = 0; i < this.arpTable.length; i++) {
      const e = this.arpTable[i];
      if (!e.resolved) continue;
      if (e.expires <= now) {
        victim = i;
        break;
      }
      if (victim < 0 || e.expires < this.arpTable[victim].expires) victim = i;
    }
    if (victim < 0) return false;
    this.arpTable.splice(victim, 1);
    return true;
  }

  private arpLearn(ip: number, mac: Uint8Array): void {
    let e = this.arpFind(ip);
    if (e === null) {
      if (!this.arpSlot()) return;
      e = { ip: ip, mac: new Uint8Array(6), resolved: false, expires: 0, tries: 0, timer: -1 };
      this.arpTable.push(e);
    }
    e.mac.set(mac.subarray(0, 6));
    e.resolved = true;
    e.expires = this.clock.now() + this.config.arpTimeoutMs;
    if (e.timer >= 0) this.clock.clearTimer(e.timer);
    e.timer = -1;
    this.flushHeld(ip, e.mac);
  }

  private arpResolve(ip: number): boolean {
    if (this.arpFind(ip) !== null) return true; // already resolving
    if (!this.arpSlot()) return false;
    const e: ArpEntry = { ip: ip, mac: new Uint8Array(6), resolved: false, expires: 0, tries: 1, timer: -1 };
    this.arpTable.push(e);
    this.counters.arpRequestsSent++;
    this.sendArp(arp.OP_REQUEST, this.addr, ZERO_MAC, ip, ethernet.BROADCAST_MAC);
    e.timer = this.clock.setTimer(this.config.arpRetryMs, () => this.arpRetry(e));
    return true;
  }

  private arpRetry(e: ArpEntry): void {
    e.timer = -1;
    if (e.resolved || this.arpTable.indexOf(e) < 0) return;
    if (e.tries >= this.config.arpRetries) {
      this.arpTable.splice(this.arpTable.indexOf(e), 1);
      this.dropHeld(e.ip);
      return;
    }
    e.tries++;
    this.counters.arpRequestsSent++;
    this.sendArp(arp.OP_REQUEST, this.addr, ZERO_MAC, e.ip, ethernet.BROADCAST_MAC);
    e.timer = this.clock.setTimer(this.config.arpRetryMs, () => this.arpRetry(e));
  }

  private flushArp(): void {
    for (let i = 0; i < this.arpTable.length; i++) {
      if (this.arpTable[i].timer >= 0) this.clock.clearTimer(this.arpTable[i].timer);
    }
    this.arpTable = [];
    this.held = [];
  }

  /** ARP cache entries (resolved and not expired) for tests and diagnostics. */
  arpEntries(): Array<{ ip: number; mac: Uint8Array }> {
    const out: Array<{ ip: number; mac: Uint8Array }> = [];
    const now = this.clock.now();
    for (let i = 0; i < this.arpTable.length; i++) {
      const e = this.arpTable[i];
      if (e.resolved && e.expires > now) out.push({ ip: e.ip, mac: copyBytes(e.mac) });
    }
    return out;
  }

  private flushHeld(ip: number, mac: Uint8Array): void {
    let i = 0;
    while (i < this.held.length) {
      const h = this.held[i];
      if (h.hop !== ip) {
        i++;
        continue;
      }
      this.held.splice(i, 1);
      const off = this.l2Len();
      this.txBuf.set(h.packet, off);
      this.transmit(mac, ethernet.ETHERTYPE_IPV4, h.packet.length);
    }
  }

  private dropHeld(ip: number): void {
    let i = 0;
    while (i < this.held.length) {
      if (this.held[i].hop === ip) {
        this.held.splice(i, 1);
        this.counters.arpUnresolved++;
      } else {
        i++;
      }
    }
  }

  private sendArp(op: number, senderIp: number, targetMac: Uint8Array, targetIp: number, dstMac: Uint8Array): void {
    const off = this.l2Len();
    const n = arp.emit({ op: op, senderMac: this.mac, senderIp: senderIp, targetMac: targetMac, targetIp: targetIp },
      this.txBuf, off);
    this.transmit(dstMac, ethernet.ETHERTYPE_ARP, n);
  }

  private handleArp(payload: Uint8Array): void {
    const r = arp.parse(payload);
    if (!r.ok) {
      this.counters.rxMalformed++;
      return;
    }
    this.counters.rxArp++;
    const a = r.value;
    if (bytesEqual(a.senderMac, this.mac)) return; // our own frame, looped back
    const p = this.probe;
    if (p !== null && (a.senderIp === p.ip || (a.op === arp.OP_REQUEST && a.senderIp === 0 && a.targetIp === p.ip))) {
      this.probeConflict(); // RFC 5227 2.1.1
      return;
    }
    if (this.addr !== 0 && a.senderIp === this.addr) {
      this.onAddressConflict(a.senderMac);
      return;
    }
    // RFC 826 merge: refresh an entry we already have for the sender.
    let merged = false;
    if (a.senderIp !== 0 && this.arpFind(a.senderIp) !== null) {
      this.arpLearn(a.senderIp, a.senderMac);
      merged = true;
    }
    if (this.addr === 0 || a.targetIp !== this.addr) return;
    if (!merged && a.senderIp !== 0) this.arpLearn(a.senderIp, a.senderMac);
    if (a.op === arp.OP_REQUEST) {
      this.counters.arpRepliesSent++;
      this.sendArp(arp.OP_REPLY, this.addr, a.senderMac, a.senderIp, a.senderMac);
    }
  }

  /** RFC 5227 2.4: another host uses our address. Defend once per DEFEND_INTERVAL and tell the owner. */
  private onAddressConflict(mac: Uint8Array): void {
    this.counters.arpConflicts++;
    this.system.log(LOG_WARN, 'net', 'address conflict: ' + ipToString(this.addr) + ' claimed by ' + macToString(mac));
    const now = this.clock.now();
    if (now - this.lastDefence >= DEFEND_INTERVAL) {
      this.lastDefence = now;
      this.announce(this.addr);
    }
    const ip = this.addr;
    for (let i = 0; i < this.conflictHandlers.length; i++) this.conflictHandlers[i](ip, copyBytes(mac));
  }

  // ---- IPv4 output (IpLayer) ----

  private l2Len(): number {
    return this.tag === null ? ethernet.HEADER_LEN : ethernet.TAGGED_HEADER_LEN;
  }

  txPayload(): Uint8Array {
    const off = this.l2Len() + ipv4.HEADER_LEN;
    return this.txBuf.subarray(off, off + MAX_L4);
  }

  private isBroadcast(ip: number): boolean {
    if (ip === ipv4.BROADCAST) return true;
    return this.addr !== 0 && this.mask !== 0 && this.mask !== 0xffffffff && ip === ((this.addr | ~this.mask) >>> 0);
  }

  private onLink(ip: number): boolean {
    return this.addr !== 0 && ((ip & this.mask) >>> 0) === ((this.addr & this.mask) >>> 0);
  }

  sendIp(dst: number, protocol: number, l4Len: number, tos: number): boolean {
    if (l4Len > MAX_L4) throw new TypeError('sendIp: ' + l4Len + ' bytes > ' + MAX_L4);
    const off = this.l2Len();
    ipv4.emitHeader({
      src: this.addr, dst: dst, protocol: protocol, ttl: this.config.ttl, tos: tos, ident: this.ident,
      dontFragment: true, moreFragments: false, fragmentOffset: 0,
    }, l4Len, this.txBuf, off);
    this.ident = (this.ident + 1) & 0xffff;
    const len = ipv4.HEADER_LEN + l4Len;
    if (this.isBroadcast(dst)) return this.transmit(ethernet.BROADCAST_MAC, ethernet.ETHERTYPE_IPV4, len);
    let hop = dst;
    if (!this.onLink(dst)) hop = this.gw;
    if (this.addr === 0 || hop === 0 || dst === this.addr) {
      this.counters.noRoute++;
      return false;
    }
    const mac = this.arpLookup(hop);
    if (mac !== null) return this.transmit(mac, ethernet.ETHERTYPE_IPV4, len);
    if (this.held.length >= this.config.arpQueuePackets) {
      this.counters.arpQueueFull++;
      this.arpResolve(hop);
      return false;
    }
    const copy = copyBytes(this.txBuf, off, off + len);
    if (!this.arpResolve(hop)) {
      this.counters.arpQueueFull++;
      return false;
    }
    this.held.push({ hop: hop, packet: copy });
    return true;
  }

  /** Ethernet header in front of `payloadLen` bytes already at txBuf[l2Len..]; pad and send. */
  private transmit(dstMac: Uint8Array, ethertype: number, payloadLen: number): boolean {
    const h = ethernet.emitHeader({ dst: dstMac, src: this.mac, ethertype: ethertype, tag: this.tag }, this.txBuf, 0);
    const len = ethernet.padFrame(this.txBuf, 0, h + payloadLen);
    const sent = this.eth.send(this.txBuf.subarray(0, len));
    if (sent) this.counters.txFrames++;
    else this.counters.txFailed++;
    return sent;
  }

  // ---- receive ----

  private receive(frame: Uint8Array): void {
    this.counters.rxFrames++;
    const r = ethernet.parse(frame);
    if (!r.ok) {
      this.counters.rxRunt++;
      return;
    }
    const e = r.value;
    if (e.tag !== null && e.tag.vid !== 0 && e.tag.vid !== this.vid) {
      this.counters.rxWrongVlan++;
      return;
    }
    if (!ethernet.isMulticast(e.dst) && !bytesEqual(e.dst, this.mac)) {
      this.counters.rxNotForUs++;
      return;
    }
    if (e.ethertype === ethernet.ETHERTYPE_ARP) {
      this.handleArp(e.payload);
    } else if (e.ethertype === ethernet.ETHERTYPE_IPV4) {
      this.handleIp(e.payload);
    } else if (this.frameHandlers.length > 0) {
      this.counters.rxOther++;
      for (let i = 0; i < this.frameHandlers.length; i++) this.frameHandlers[i](frame);
    } else {
      this.counters.rxUnhandled++;
    }
  }

  private countBad(error: string): void {
    if (error === 'checksum') this.counters.rxBadChecksum++;
    else this.counters.rxMalformed++;
  }

  private handleIp(payload: Uint8Array): void {
    const r = ipv4.parse(payload);
    if (!r.ok) {
      this.countBad(r.error);
      return;
    }
    this.counters.rxIp++;
    const p = r.value;
    if (ipv4.isFragment(p)) {
      this.counters.rxFragments++;
      return;
    }
    const unicast = this.addr !== 0 && p.dst === this.addr;
    if (!unicast && !this.isBroadcast(p.dst) && this.addr !== 0) {
      this.counters.rxIpNotForUs++;
      return;
    }
    if (p.protocol === ipv4.PROTO_UDP) this.handleUdp(p);
    else if (p.protocol === ipv4.PROTO_TCP) {
      if (unicast) this.handleTcp(p);
      else this.counters.rxIpNotForUs++;
    } else if (p.protocol === ipv4.PROTO_ICMP) this.handleIcmp(p, unicast);
    else this.counters.rxUnknownProtocol++;
  }

  private handleIcmp(p: ipv4.Repr, unicast: boolean): void {
    const r = icmp.parse(p.payload);
    if (!r.ok) {
      this.countBad(r.error);
      return;
    }
    this.counters.rxIcmp++;
    const m = r.value;
    if (m.type === icmp.TYPE_ECHO_REQUEST && m.code === 0 && unicast) {
      // RFC 1122 3.2.2.6: same identifier, sequence and data. Not to broadcasts (deviation
      // allowed by 3.2.2.6: "MAY be silently discarded").
      const buf = this.txPayload();
      const n = icmp.emit({ type: icmp.TYPE_ECHO_REPLY, code: 0, ident: m.ident, seq: m.seq, rest: 0, payload: m.payload }, buf, 0);
      this.counters.icmpEchoReplies++;
      this.sendIp(p.src, ipv4.PROTO_ICMP, n, p.tos);
    } else if (m.type === icmp.TYPE_ECHO_REPLY) {
      for (let i = 0; i < this.pings.length; i++) {
        const g = this.pings[i];
        if (g.ip === p.src && g.ident === m.ident && g.seq === m.seq) {
          this.pingDone(g, this.clock.now() - g.sentAt);
          return;
        }
      }
    }
  }

  private handleUdp(p: ipv4.Repr): void {
    const r = udpWire.parse(p.payload, p.src, p.dst);
    if (!r.ok) {
      this.countBad(r.error);
      return;
    }
    this.counters.rxUdp++;
    const u = r.value;
    for (let i = 0; i < this.udpSockets.length; i++) {
      const s = this.udpSockets[i];
      if (s.localPort === u.dstPort) {
        s.deliver(u.payload, p.src, u.srcPort, p.dst);
        return;
      }
    }
    this.counters.rxNoSocket++;
  }

  private handleTcp(p: ipv4.Repr): void {
    const r = tcpWire.parse(p.payload, p.src, p.dst);
    if (!r.ok) {
      this.countBad(r.error);
      return;
    }
    this.counters.rxTcp++;
    const t = r.value;
    for (let i = 0; i < this.tcpSockets.length; i++) {
      const s = this.tcpSockets[i];
      if (s.localPort === t.dstPort && s.remotePort === t.srcPort && s.remoteIp === p.src) {
        s.input(t);
        return;
      }
    }
    const rst = (t.flags & tcpWire.FLAG_RST) !== 0;
    const synOnly = (t.flags & (tcpWire.FLAG_SYN | tcpWire.FLAG_ACK | tcpWire.FLAG_RST)) === tcpWire.FLAG_SYN;
    if (synOnly) {
      for (let i = 0; i < this.listeners.length; i++) {
        if (this.listeners[i].port === t.dstPort && this.tcpSockets.length < this.config.tcpSockets) {
          const s = new (this.tcp().TcpSocket)(this.tcpHost, t.dstPort, p.src, t.srcPort, null);
          this.tcpSockets.push(s);
          s.accept(t);
          return;
        }
      }
    }
    if (!rst) this.resetFor(p, t);
  }

  /** RFC 9293 3.10.7.1: a segment for no connection gets a RST. */
  private resetFor(p: ipv4.Repr, t: tcpWire.Repr): void {
    this.counters.tcpResets++;
    const hasAck = (t.flags & tcpWire.FLAG_ACK) !== 0;
    const buf = this.txPayload();
    const n = tcpWire.emitHeaderInPlace({
      srcPort: t.dstPort, dstPort: t.srcPort, seq: hasAck ? t.ack : 0,
      ack: hasAck ? 0 : (t.seq + tcpWire.segLen(t)) >>> 0,
      flags: hasAck ? tcpWire.FLAG_RST : tcpWire.FLAG_RST | tcpWire.FLAG_ACK, window: 0, urgent: 0, mss: 0, windowScale: -1,
    }, 0, buf, 0, this.addr, p.src);
    this.sendIp(p.src, ipv4.PROTO_TCP, n, 0);
  }
}
