/**
 * The phone's SCCP session with one CallManager, sans-IO and transport-agnostic (TCP or
 * TLS below it is the caller's business): bytes in through `receive(bytes, now)`, bytes out
 * through `dispatch(now, out)` calling `out.write(frame)`, time as hal clock ms, events via
 * `poll()`; firmware/driver.ts drives it (pollAt/dispatch/poll).
 *
 * Flow (reference/cisco_protocols.md 6.4, chan-sccp's order):
 *   start: Register (124-byte body) + IpPort                          -> 'registering'
 *   RegisterAck: keepalives begin every keepAlive s; ButtonTemplateReq, SoftKeyTemplateReq,
 *     SoftKeySetReq                                                   -> 'configuring'
 *   CapabilitiesReq (any time): CapabilitiesRes (G.711 mu-law, A-law, G.729A)
 *   ButtonTemplate: LineStatReq for each line button (at most maxLines)
 *   every LineStat in: event 'registered' (the lines and their directory numbers), then
 *     TimeDateReq and VersionReq                                      -> 'registered'
 *   DefineTimeDate: event 'time'; Version: event 'version' (the load ID the CM wants)
 *   Reset: event 'reset' (1 reset, 2 restart, 3 apply config); the caller decides what next
 *   stop(): Unregister, then UnregisterAck or stopTimeoutMs: event 'stopped' -> 'done'
 * Failures end the session ('done') with one event: 'rejected' (RegisterReject text) or
 * 'lost': 'timeout' (not registered within registerTimeoutMs of start), 'keepalive'
 * (keepAliveMisses KeepAlives in a row unanswered when the next one falls due), 'closed'
 * (the caller reported the transport gone), 'framing' (a frame over the receive buffer or
 * a bad length: the caller must close the connection), 'write' (the transport refused a
 * frame). A message that frames but does not parse is counted and skipped; an unknown id
 * is skipped by its length and reported once ('unknown', first UNKNOWN_IDS ids).
 *
 * Header version: 0 until RegisterAck, then the negotiated protocol version (the lower of
 * ours and the CM's), as the real capture's device does.
 *
 * Bounds: one FrameReader (rxBuffer bytes, default MAX_FRAME 2048), one transmit buffer of
 * TX_MAX bytes, at most MAX_QUEUE queued messages, MAX_EVENTS events, MAX_LINES lines.
 */
import { Fail } from '../../../lib/result';
import { macToDeviceId } from '../../../lib/bytes';
import * as w from './wire';

export type SccpState = 'idle' | 'registering' | 'configuring' | 'registered' | 'unregistering' | 'done';
export type LostReason = 'timeout' | 'keepalive' | 'closed' | 'framing' | 'write';

export interface SccpLine {
  /** Line button instance (1-based). */
  line: number;
  /** Directory number ("1001"). */
  dn: string;
  /** Fully qualified display name. */
  name: string;
  /** Text label. */
  label: string;
}

export type SccpEvent =
  | { kind: 'registered'; lines: SccpLine[]; keepAliveS: number; secondaryKeepAliveS: number; protocolVersion: number;
      dateTemplate: string }
  | { kind: 'rejected'; text: string }
  | { kind: 'lost'; reason: LostReason; detail: string }
  | { kind: 'reset'; type: number }
  | { kind: 'version'; loadId: string }
  | { kind: 'time'; time: w.TimeDate }
  | { kind: 'unknown'; id: number }
  | { kind: 'stopped'; acked: boolean };

export interface SccpOutput {
  /** Send one whole frame; false when the transport cannot take all of it (the session ends: lost 'write'). */
  write(bytes: Uint8Array): boolean;
}

export interface SccpClientConfig {
  /** 6 bytes; the name is SEP<MAC> unless `name` is given. */
  mac: Uint8Array;
  /** Station IPv4, host order. */
  ip: number;
  /** Device type (7942 = 434, 7962 = 404, 7941 = 115, 7960 = 7). */
  deviceType: number;
  /** Running load ("SCCP42.9-4-2SR3-1S"). */
  loadInfo: string;
  name?: string;
  /** Offered protocol version (default 17). */
  protocolVersion?: number;
  /** phoneFeatures, 3 bytes little-endian (default 0x857200, a 7941 at v17). */
  features?: number;
  maxStreams?: number;
  /** Lines asked for (default 2, at most MAX_LINES). */
  maxLines?: number;
  /** IpPort value (default 0, as real phones). */
  rtpPort?: number;
  codecs?: w.Capability[];
  /** Register to 'registered' (default 15 s). */
  registerTimeoutMs?: number;
  /** KeepAlives unanswered in a row before 'lost' (default 2). */
  keepAliveMisses?: number;
  /** Wait for UnregisterAck (default 2 s). */
  stopTimeoutMs?: number;
  /** Send VersionReq after registering (default true). */
  versionReq?: boolean;
  /** Receive buffer bytes (default MAX_FRAME). */
  rxBuffer?: number;
}

export interface SccpCounters {
  received: number;
  /** Framed but did not parse. */
  malformed: number;
  /** Unknown ids skipped. */
  unknown: number;
  /** Known but not expected now (or from the wrong side). */
  ignored: number;
  sent: number;
  keepAlives: number;
  keepAliveAcks: number;
  softKeys: number;
  softKeySets: number;
}

export const MAX_LINES = 8;
export const MAX_QUEUE = 16;
export const MAX_EVENTS = 16;
export const UNKNOWN_IDS = 16;
/** CapabilitiesRes with 18 slots is the largest message the phone sends (304 bytes). */
export const TX_MAX = 320;

function cap(codec: number, frames: number): w.Capability {
  return { codec: codec, frames: frames, p1: 0, p2: 0 };
}

function opt(v: number | undefined, d: number): number {
  return v !== undefined ? v : d;
}

export class SccpClient {
  readonly counters: SccpCounters = {
    received: 0, malformed: 0, unknown: 0, ignored: 0, sent: 0, keepAlives: 0, keepAliveAcks: 0, softKeys: 0,
    softKeySets: 0,
  };
  readonly name: string;
  private readonly cfg: SccpClientConfig;
  private readonly rxSize: number;
  private readonly tx: Uint8Array = new Uint8Array(TX_MAX);
  private reader: w.FrameReader | null = null;
  private st: SccpState = 'idle';
  private ver = 0;
  private q: w.SccpMsg[] = [];
  private events: SccpEvent[] = [];
  private seen: number[] = [];
  private deadline = Infinity;
  // Configuring and registered.
  private ack: w.RegisterAckBody | null = null;
  private kaMs = 0;
  private kaAt = Infinity;
  private kaWait = false;
  private misses = 0;
  private lineList: SccpLine[] = [];
  private linesDue = -1;
  private now = 0;

  constructor(cfg: SccpClientConfig) {
    if (!cfg.mac || cfg.mac.length !== 6) throw new TypeError('SccpClient: mac');
    this.cfg = cfg;
    this.name = cfg.name !== undefined ? cfg.name : 'SEP' + macToDeviceId(cfg.mac);
    this.rxSize = opt(cfg.rxBuffer, w.MAX_FRAME);
  }

  state(): SccpState {
    return this.st;
  }

  /** The lines learnt (complete once 'registered'). */
  lines(): SccpLine[] {
    return this.lineList;
  }

  /** The RegisterAck in force, or null. */
  registerAck(): w.RegisterAckBody | null {
    return this.ack;
  }

  /** The transport is up: register. Starts a fresh session (any previous one is forgotten). */
  start(now: number): void {
    this.reader = new w.FrameReader(this.rxSize);
    this.q = [];
    this.seen = [];
    this.ver = 0;
    this.ack = null;
    this.kaAt = Infinity;
    this.kaWait = false;
    this.misses = 0;
    this.lineList = [];
    this.linesDue = -1;
    this.setState('registering');
    this.deadline = now + opt(this.cfg.registerTimeoutMs, 15000);
    const c = this.cfg;
    const mac = new Uint8Array(12);
    mac.set(c.mac, 0);
    this.send({
      id: w.REGISTER, ver: 0, name: this.name, userId: 0, instance: 1, ip: c.ip, deviceType: c.deviceType,
      maxStreams: opt(c.maxStreams, 5), activeStreams: 0, protocolVersion: opt(c.protocolVersion, 17),
      features: opt(c.features, 0x857200), maxConferences: 0, activeConferences: 0, mac: mac, ipv4Scope: 0,
      maxLines: opt(c.maxLines, 2), ipv6: new Uint8Array(16), ipv6Scope: 0, loadInfo: c.loadInfo,
    });
    this.send({ id: w.IP_PORT, ver: 0, port: opt(c.rtpPort, 0) });
  }

  /** Orderly stop: Unregister when registered, then 'stopped'. */
  stop(now: number): void {
    if (this.st === 'configuring' || this.st === 'registered') {
      this.setState('unregistering');
      this.kaAt = Infinity;
      this.deadline = now + opt(this.cfg.stopTimeoutMs, 2000);
      this.send({ id: w.UNREGISTER, ver: this.ver });
    } else if (this.st === 'registering') {
      this.finish({ kind: 'stopped', acked: false });
    }
  }

  /** The transport closed under the session. */
  closed(now: number): void {
    this.now = now;
    if (this.st === 'unregistering') this.finish({ kind: 'stopped', acked: false });
    else this.lose('closed', '');
  }

  /** Bytes from the transport (any chunking); the view may be reused after the call. */
  receive(bytes: Uint8Array, now: number): void {
    const r = this.reader;
    if (r === null || this.st === 'idle' || this.st === 'done') return;
    this.now = now;
    const self = this;
    const err: Fail | null = r.push(bytes, function (f: Uint8Array): void {
      if (self.st !== 'done') self.process(f);
    });
    if (err !== null) this.lose('framing', err.error + ': ' + err.detail);
  }

  pollAt(): number {
    if (this.st === 'idle' || this.st === 'done') return Infinity;
    if (this.q.length > 0) return 0;
    return this.deadline < this.kaAt ? this.deadline : this.kaAt;
  }

  poll(): SccpEvent | null {
    return this.events.length > 0 ? this.events.shift() as SccpEvent : null;
  }

  dispatch(now: number, out: SccpOutput): void {
    this.now = now;
    while (this.q.length > 0 && this.st !== 'done') {
      const m = this.q.shift() as w.SccpMsg;
      const n = w.emit(m, this.tx, 0);
      if (!out.write(this.tx.subarray(0, n))) {
        this.lose('write', '');
        return;
      }
      this.counters.sent++;
    }
    if (this.st === 'done') return;
    if (now >= this.deadline) {
      if (this.st === 'unregistering') this.finish({ kind: 'stopped', acked: false });
      else this.lose('timeout', '');
      return;
    }
    if (now >= this.kaAt) {
      if (this.kaWait && ++this.misses >= opt(this.cfg.keepAliveMisses, 2)) {
        this.lose('keepalive', '');
        return;
      }
      this.kaWait = true;
      this.kaAt = now + this.kaMs;
      this.counters.keepAlives++;
      this.send({ id: w.KEEPALIVE, ver: this.ver });
    }
  }

  // ---- input --------------------------------------------------------------------------

  private process(f: Uint8Array): void {
    this.counters.received++;
    const res = w.parse(f);
    if (!res.ok) {
      this.counters.malformed++;
      return;
    }
    const m = res.value;
    const st = this.st;
    const up = st === 'configuring' || st === 'registered';
    switch (m.id) {
      case w.REGISTER_ACK:
        if (st === 'registering') return this.onAck(m);
        break;
      case w.REGISTER_REJECT:
        if (st === 'registering' || up) return this.finish({ kind: 'rejected', text: m.text });
        break;
      case w.CAPABILITIES_REQ:
        if (st !== 'unregistering') {
          const c = this.cfg.codecs;
          this.send({ id: w.CAPABILITIES_RES, ver: this.ver, items: c !== undefined ? c :
            [cap(w.CODEC_G711_ULAW, 40), cap(w.CODEC_G711_ALAW, 40), cap(w.CODEC_G729A, 60)] });
          return;
        }
        break;
      case w.BUTTON_TEMPLATE:
        if (st === 'configuring' && this.linesDue < 0) return this.onButtons(m.items);
        break;
      case w.LINE_STAT:
        if (up) return this.onLine(m);
        break;
      case w.KEEPALIVE_ACK:
        if (up || st === 'unregistering') {
          this.counters.keepAliveAcks++;
          this.kaWait = false;
          this.misses = 0;
          return;
        }
        break;
      case w.SOFTKEY_TEMPLATE_RES:
        this.counters.softKeys = m.items.length;
        return;
      case w.SOFTKEY_SET_RES:
        this.counters.softKeySets = m.items.length;
        return;
      case w.DEFINE_TIME_DATE:
        return this.push({ kind: 'time', time: m });
      case w.VERSION:
        return this.push({ kind: 'version', loadId: m.loadId });
      case w.RESET:
        if (up) return this.push({ kind: 'reset', type: m.type });
        break;
      case w.UNREGISTER_ACK:
        if (st === 'unregistering') return this.finish({ kind: 'stopped', acked: m.status === 0 });
        break;
      case w.UNKNOWN:
        this.counters.unknown++;
        if (this.seen.indexOf(m.msgId) < 0 && this.seen.length < UNKNOWN_IDS) {
          this.seen.push(m.msgId);
          this.push({ kind: 'unknown', id: m.msgId });
        }
        return;
      default:
        break;
    }
    this.counters.ignored++;
  }

  private onAck(a: w.RegisterAckBody): void {
    this.ack = a;
    const ours = opt(this.cfg.protocolVersion, 17);
    const theirs = a.protocolVersion !== undefined ? a.protocolVersion : 0;
    this.ver = theirs < ours ? theirs : ours;
    this.kaMs = (a.keepAlive > 0 ? a.keepAlive : 30) * 1000;
    this.kaAt = this.now + this.kaMs;
    this.setState('configuring');
    this.send({ id: w.BUTTON_TEMPLATE_REQ, ver: this.ver });
    this.send({ id: w.SOFTKEY_TEMPLATE_REQ, ver: this.ver });
    this.send({ id: w.SOFTKEY_SET_REQ, ver: this.ver });
  }

  private onButtons(items: w.ButtonDef[]): void {
    const max = Math.min(opt(this.cfg.maxLines, 2), MAX_LINES);
    for (let i = 0; i < items.length && this.lineList.length < max; i++) {
      const b = items[i];
      if (b.type !== w.BUTTON_LINE || this.findLine(b.instance) !== null) continue;
      this.lineList.push({ line: b.instance, dn: '', name: '', label: '' });
      this.send({ id: w.LINE_STAT_REQ, ver: this.ver, line: b.instance });
    }
    this.linesDue = this.lineList.length;
    if (this.linesDue === 0) this.registered();
  }

  private onLine(m: w.LineStatBody): void {
    const l = this.findLine(m.line);
    if (l === null) {
      this.counters.ignored++;
      return;
    }
    const fresh = l.dn === '' && l.name === '' && l.label === '';
    l.dn = m.dn;
    l.name = m.name;
    l.label = m.label !== undefined ? m.label : '';
    if (this.st === 'configuring' && fresh && --this.linesDue === 0) this.registered();
  }

  private findLine(n: number): SccpLine | null {
    for (let i = 0; i < this.lineList.length; i++) if (this.lineList[i].line === n) return this.lineList[i];
    return null;
  }

  private registered(): void {
    const a = this.ack as w.RegisterAckBody;
    this.setState('registered');
    this.deadline = Infinity;
    this.push({
      kind: 'registered', lines: this.lineList, keepAliveS: this.kaMs / 1000, secondaryKeepAliveS: a.secondaryKeepAlive,
      protocolVersion: this.ver, dateTemplate: a.dateTemplate,
    });
    this.send({ id: w.TIME_DATE_REQ, ver: this.ver });
    if (this.cfg.versionReq !== false) this.send({ id: w.VERSION_REQ, ver: this.ver });
  }

  // ---- output and state ---------------------------------------------------------------

  private send(m: w.SccpMsg): void {
    if (this.q.length < MAX_QUEUE) this.q.push(m);
    else this.lose('write', 'queue');
  }

  private push(e: SccpEvent): void {
    if (this.events.length >= MAX_EVENTS) this.events.shift();
    this.events.push(e);
  }

  private lose(reason: LostReason, detail: string): void {
    if (this.st === 'idle' || this.st === 'done') return;
    this.finish({ kind: 'lost', reason: reason, detail: detail });
  }

  private finish(e: SccpEvent): void {
    this.setState('done');
    this.q = [];
    this.deadline = Infinity;
    this.kaAt = Infinity;
    this.push(e);
  }

  /** The one place the state changes. */
  private setState(s: SccpState): void {
    this.st = s;
  }
}
