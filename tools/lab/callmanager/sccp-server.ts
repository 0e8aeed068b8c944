/**
 * The lab CallManager's SCCP side, on the phone's own codec (firmware/callmanager/sccp/
 * wire.ts). Transport-agnostic: a listener hands it connections (`SccpConn`: write, close,
 * abort) and it returns their input handlers; `simListener` (a LabHost's NetInterface,
 * port 2000) and `nodeListener` (node:net or node:tls, node.ts) are the two bindings.
 * Time comes from a hal Clock (the scheduler's in the sim, nodeClock() on real sockets).
 *
 * Per connection, as chan-sccp answers a phone:
 *   Register -> device database lookup: RegisterAck (keepalive interval, date template,
 *     secondary keepalive, protocol version = the lower of the phone's and ours) +
 *     CapabilitiesReq; or RegisterReject(text) and close. A Register for a name already
 *     registered elsewhere replaces that session (the phone came back after a failover).
 *   IpPort, CapabilitiesRes: stored.  ButtonTemplateReq -> ButtonTemplate (one line
 *   button per directory number).  SoftKeyTemplateReq / SoftKeySetReq -> the standard
 *   templates (below).  LineStatReq(n) -> LineStat.  TimeDateReq -> DefineTimeDate (epochMs +
 *   clock).  VersionReq -> Version (the device's load ID, else the server's).  KeepAlive ->
 *   KeepAliveAck.  Unregister -> UnregisterAck(0) and close.  Anything else: counted.
 * Keepalive supervision: a connection silent for dropAfterMs (default 2 keepalive
 * intervals + 5 s) is dropped (aborted) and its device unregistered.
 * Commands: `reset(name, type)` sends Reset; `stop(how)` ('close': FIN to every phone,
 * 'reset': RST, 'silent': the process hangs: listeners closed, sessions kept open but
 * answering nothing, so phones detect keepalive loss); `start()` opens the listeners again
 * (sessions left by a silent stop are aborted, as a restarted process has none).
 */
import type { Clock, TimerId } from '../../../hal/clock';
import type { NetInterface } from '../../../firmware/net/iface';
import type { TcpSocket, TcpEvents } from '../../../firmware/net/tcp';
import * as w from '../../../firmware/callmanager/sccp/wire';
import { ipToString } from '../../../lib/bytes';
import { DeviceDb, checkLoadId, type DeviceRecord } from './devices';

export interface SccpConn {
  /** "10.1.100.100:49152" */
  peer: string;
  write(bytes: Uint8Array): void;
  /** Graceful close (FIN). */
  close(): void;
  /** Reset (RST). */
  abort(): void;
}

export interface SccpConnHandlers {
  data(bytes: Uint8Array): void;
  closed(reason: string): void;
}

export interface SccpListener {
  /** Start accepting; false when the port cannot be had. */
  open(accept: (c: SccpConn) => SccpConnHandlers): boolean;
  close(): void;
}

export type StopHow = 'close' | 'reset' | 'silent';

export type CmEvent =
  | { kind: 'registered'; name: string; dns: string[]; auto: boolean; peer: string }
  | { kind: 'rejected'; name: string; text: string; peer: string }
  | { kind: 'unregistered'; name: string }
  | { kind: 'dropped'; name: string; reason: 'keepalive' | 'closed' | 'replaced' | 'framing' | 'stopped' }
  | { kind: 'reset-sent'; name: string; type: number }
  | { kind: 'started' }
  | { kind: 'stopped'; how: StopHow };

export interface SccpServerOptions {
  clock: Clock;
  db: DeviceDb;
  /** Member name in logs ("cm1"). */
  name?: string;
  keepAliveS?: number;
  secondaryKeepAliveS?: number;
  dateTemplate?: string;
  maxProtocolVersion?: number;
  /** Load ID for VersionReq when the device has none (default ''). */
  defaultLoadId?: string;
  /** Unix ms at clock 0, for DefineTimeDate (default 2024-01-15 12:00 UTC). */
  epochMs?: number;
  /** Silence after which a connection is dropped (default 2 x keepAliveS + 5 s). */
  dropAfterMs?: number;
  log?: (line: string) => void;
  onEvent?: (e: CmEvent) => void;
}

/** What the server knows of one connection. */
export interface CmSession {
  conn: SccpConn;
  device: DeviceRecord | null;
  deviceType: number;
  protocolVersion: number;
  rtpPort: number;
  caps: w.Capability[];
  loadInfo: string;
  registeredAt: number;
  lastRxAt: number;
  keepAlives: number;
  /** Messages received with an id this server does not answer. */
  unhandled: number;
}

interface Live {
  s: CmSession;
  reader: w.FrameReader;
  timer: TimerId | null;
  gone: boolean;
}

// The standard softkeys (Skinny softkey events 1..18) and sets, compactly.
const SOFTKEYS = 'Redial NewCall Hold Trnsfer CFwdAll CFwdBusy CFwdNoAnswer << EndCall Resume Answer Info Confrn Park ' +
  'Join MeetMe PickUp GPickUp';
// Key modes 0..10: OnHook, Connected, OnHold, RingIn, OffHook, ConnTrans, DigitsFoll,
// ConnConf, RingOut, OffHookFeat, InUseHint: 1-based template indexes.
const SOFTKEY_SETS = [[1, 2, 5, 17, 18], [3, 9, 4, 13, 14], [10, 2, 9], [11, 9], [1, 9, 5, 17, 18], [3, 9, 4],
  [8, 9], [3, 9, 13], [9, 4], [1, 9], [2]];

export function softKeyTemplate(): w.SoftKeyDef[] {
  return SOFTKEYS.split(' ').map((label, i) => ({ label, event: i + 1 }));
}

export function softKeySets(): w.SoftKeySet[] {
  return SOFTKEY_SETS.map((keys) => {
    const set: w.SoftKeySet = { keys: new Uint8Array(16), info: new Uint8Array(32) };
    keys.forEach((k, i) => {
      set.keys[i] = k;
      set.info[2 * i] = k; // infoIndex (u16 LE): the event of the key
    });
    return set;
  });
}

/** DefineTimeDate for a Unix time in ms (UTC). */
export function timeDate(ms: number): w.TimeDate {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, dayOfWeek: d.getUTCDay(), day: d.getUTCDate(),
    hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), ms: d.getUTCMilliseconds(),
    systemTime: Math.floor(ms / 1000),
  };
}

export class SccpServer {
  readonly name: string;
  readonly db: DeviceDb;
  /** Every event so far (tests read it). */
  readonly events: CmEvent[] = [];
  keepAliveS: number;
  private readonly opts: SccpServerOptions;
  private readonly clock: Clock;
  private readonly listeners: SccpListener[] = [];
  private readonly live = new Set<Live>();
  private up = false;
  private frozen = false;

  constructor(opts: SccpServerOptions) {
    this.opts = opts;
    this.clock = opts.clock;
    this.db = opts.db;
    this.name = opts.name ?? 'cm';
    this.keepAliveS = opts.keepAliveS ?? 30;
    checkLoadId(opts.defaultLoadId);
  }

  /** Add a listener (opened now when the server runs). */
  listen(l: SccpListener): void {
    this.listeners.push(l);
    if (this.up) this.openListener(l);
  }

  running(): boolean {
    return this.up;
  }

  start(): void {
    if (this.up) return;
    for (const l of [...this.live]) this.drop(l, 'stopped', true);
    this.up = true;
    this.frozen = false;
    for (const l of this.listeners) this.openListener(l);
    this.event({ kind: 'started' });
  }

  stop(how: StopHow = 'close'): void {
    if (!this.up) return;
    this.up = false;
    for (const l of this.listeners) l.close();
    if (how === 'silent') {
      this.frozen = true;
      for (const l of this.live) this.unarm(l);
    } else {
      for (const l of [...this.live]) this.drop(l, 'stopped', how === 'reset');
    }
    this.event({ kind: 'stopped', how });
  }

  /** Registered sessions. */
  sessions(): CmSession[] {
    return [...this.live].filter((l) => l.s.device !== null).map((l) => l.s);
  }

  session(name: string): CmSession | undefined {
    return this.sessions().find((s) => s.device?.name === name);
  }

  /** Send Reset (1 reset, 2 restart, 3 apply config) to a registered device; false when it is not registered here. */
  reset(name: string, type: number = w.RESET_RESET): boolean {
    const l = this.find(name);
    if (!l || this.frozen) return false;
    this.send(l, { id: w.RESET, ver: 0, type });
    this.event({ kind: 'reset-sent', name, type });
    return true;
  }

  /** A new connection (listeners call this). */
  accept(conn: SccpConn): SccpConnHandlers {
    const now = this.clock.now();
    const l: Live = {
      s: {
        conn, device: null, deviceType: 0, protocolVersion: 0, rtpPort: 0, caps: [], loadInfo: '', registeredAt: 0,
        lastRxAt: now, keepAlives: 0, unhandled: 0,
      },
      reader: new w.FrameReader(),
      timer: null,
      gone: false,
    };
    this.live.add(l);
    this.arm(l);
    this.log(`${conn.peer} connected`);
    return {
      data: (bytes) => this.data(l, bytes),
      closed: (reason) => {
        if (l.gone) return;
        this.log(`${conn.peer} closed (${reason})`);
        this.forget(l, 'closed');
      },
    };
  }

  // ---- input ----------------------------------------------------------------------------

  private data(l: Live, bytes: Uint8Array): void {
    if (l.gone || this.frozen) return;
    l.s.lastRxAt = this.clock.now();
    const err = l.reader.push(bytes, (f) => { if (!l.gone) this.message(l, f); });
    if (err) {
      this.log(`${l.s.conn.peer}: ${err.error} ${err.detail}`);
      this.drop(l, 'framing', true);
    }
  }

  private message(l: Live, f: Uint8Array): void {
    const r = w.parse(f);
    const s = l.s;
    if (!r.ok) {
      s.unhandled++;
      return;
    }
    const m = r.value;
    if (m.id === w.REGISTER) return this.register(l, m);
    const d = s.device;
    if (d === null) {
      s.unhandled++;
      return;
    }
    switch (m.id) {
      case w.IP_PORT:
        s.rtpPort = m.port;
        return;
      case w.CAPABILITIES_RES:
        s.caps = m.items;
        return;
      case w.KEEPALIVE:
        s.keepAlives++;
        return this.send(l, { id: w.KEEPALIVE_ACK, ver: 0 });
      case w.BUTTON_TEMPLATE_REQ: {
        const items = d.lines.map((_, i) => ({ instance: i + 1, type: w.BUTTON_LINE }));
        return this.send(l, { id: w.BUTTON_TEMPLATE, ver: 0, offset: 0, total: items.length, items });
      }
      case w.SOFTKEY_TEMPLATE_REQ: {
        const items = softKeyTemplate();
        return this.send(l, { id: w.SOFTKEY_TEMPLATE_RES, ver: 0, offset: 0, total: items.length, items });
      }
      case w.SOFTKEY_SET_REQ: {
        const items = softKeySets();
        return this.send(l, { id: w.SOFTKEY_SET_RES, ver: 0, offset: 0, total: items.length, items });
      }
      case w.LINE_STAT_REQ: {
        const line = d.lines[m.line - 1];
        const dn = line ? line.dn : '';
        return this.send(l, {
          id: w.LINE_STAT, ver: 0, line: m.line, dn, name: line ? line.name ?? 'Line ' + dn : '',
          label: line ? line.label ?? dn : '', options: 0,
        });
      }
      case w.TIME_DATE_REQ:
        return this.send(l, { id: w.DEFINE_TIME_DATE, ver: 0, ...timeDate((this.opts.epochMs ?? Date.UTC(2024, 0, 15, 12)) + this.clock.now()) });
      case w.VERSION_REQ:
        return this.send(l, { id: w.VERSION, ver: 0, loadId: d.loadId ?? this.opts.defaultLoadId ?? '' });
      case w.UNREGISTER:
        this.send(l, { id: w.UNREGISTER_ACK, ver: 0, status: 0 });
        this.log(`${d.name} unregistered`);
        this.event({ kind: 'unregistered', name: d.name });
        this.forget(l, null);
        s.conn.close();
        return;
      default:
        s.unhandled++;
    }
  }

  private register(l: Live, m: w.RegisterBody): void {
    const s = l.s;
    if (s.device !== null) {
      s.unhandled++;
      return;
    }
    const res = this.db.lookup(m.name, m.deviceType);
    if (!res.ok) {
      this.log(`${m.name} rejected: ${res.text}`);
      this.event({ kind: 'rejected', name: m.name, text: res.text, peer: s.conn.peer });
      this.send(l, { id: w.REGISTER_REJECT, ver: 0, text: res.text });
      this.forget(l, null);
      s.conn.close();
      return;
    }
    const old = this.find(m.name);
    if (old) this.drop(old, 'replaced', true);
    s.device = res.device;
    s.deviceType = m.deviceType;
    s.loadInfo = m.loadInfo;
    s.registeredAt = this.clock.now();
    const max = this.opts.maxProtocolVersion ?? 20;
    s.protocolVersion = Math.min(m.protocolVersion, max);
    this.send(l, {
      id: w.REGISTER_ACK, ver: 0, keepAlive: this.keepAliveS, dateTemplate: this.opts.dateTemplate ?? 'M/D/YA',
      secondaryKeepAlive: this.opts.secondaryKeepAliveS ?? 60, protocolVersion: s.protocolVersion, features: 0x288000,
    });
    this.send(l, { id: w.CAPABILITIES_REQ, ver: 0 });
    const dns = res.device.lines.map((x) => x.dn);
    this.log(`${m.name} registered${res.created ? ' (auto)' : ''}: ${dns.join(', ')} from ${s.conn.peer}`);
    this.event({ kind: 'registered', name: m.name, dns, auto: res.created, peer: s.conn.peer });
  }

  // ---- output, supervision ----------------------------------------------------------------

  private send(l: Live, m: w.SccpMsg): void {
    const b = new Uint8Array(w.bufferLen(m));
    w.emit(m, b, 0);
    l.s.conn.write(b);
  }

  private dropAfterMs(): number {
    return this.opts.dropAfterMs ?? this.keepAliveS * 2000 + 5000;
  }

  private arm(l: Live): void {
    this.unarm(l);
    const due = l.s.lastRxAt + this.dropAfterMs() - this.clock.now();
    l.timer = this.clock.setTimer(Math.max(0, due), () => {
      l.timer = null;
      if (l.gone) return;
      if (this.clock.now() - l.s.lastRxAt >= this.dropAfterMs()) {
        this.log(`${l.s.device?.name ?? l.s.conn.peer}: no keepalive for ${this.dropAfterMs()} ms, dropped`);
        this.drop(l, 'keepalive', true);
      } else {
        this.arm(l);
      }
    });
  }

  private unarm(l: Live): void {
    if (l.timer !== null) this.clock.clearTimer(l.timer);
    l.timer = null;
  }

  private find(name: string): Live | undefined {
    for (const l of this.live) if (!l.gone && l.s.device?.name === name) return l;
    return undefined;
  }

  /** End a connection from this side. */
  private drop(l: Live, reason: 'keepalive' | 'replaced' | 'framing' | 'stopped', abort: boolean): void {
    if (l.gone) return;
    this.forget(l, reason);
    if (abort) l.s.conn.abort();
    else l.s.conn.close();
  }

  /** Out of the table; a 'dropped' event for a registered device unless `reason` is null. */
  private forget(l: Live, reason: 'keepalive' | 'closed' | 'replaced' | 'framing' | 'stopped' | null): void {
    l.gone = true;
    this.unarm(l);
    this.live.delete(l);
    const d = l.s.device;
    l.s.device = null;
    if (d && reason !== null) this.event({ kind: 'dropped', name: d.name, reason });
  }

  private openListener(l: SccpListener): void {
    if (!l.open((c) => this.accept(c))) this.log('listener could not open');
  }

  private event(e: CmEvent): void {
    this.events.push(e);
    this.opts.onEvent?.(e);
  }

  private log(line: string): void {
    this.opts.log?.(`${this.name}: ${line}`);
  }
}

/** The server on a lab host's TCP port (default 2000), on the simulated wire. */
export function simListener(iface: NetInterface, port: number = w.PORT): SccpListener {
  let listener: { close(): void } | null = null;
  return {
    open(accept) {
      listener = iface.tcpListen(port, (sock: TcpSocket): TcpEvents => {
        let h: SccpConnHandlers | null = null;
        const conn: SccpConn = {
          peer: `${ipToString(sock.remoteIp)}:${sock.remotePort}`,
          write: (b) => { sock.write(b); },
          close: () => sock.close(),
          abort: () => sock.abort(),
        };
        return {
          onConnected: () => { h = accept(conn); },
          onData: (d) => h?.data(d),
          onEnd: () => sock.close(),
          onClose: (reason) => h?.closed(reason),
        };
      });
      return listener !== null;
    },
    close() {
      listener?.close();
      listener = null;
    },
  };
}
