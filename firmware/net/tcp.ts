/**
 * TCP connections (RFC 9293), client side first, with a small passive open for the lab's
 * servers. Heads up: read RFC 9293 section 3.10 (event processing), RFC 6298 (the
 * retransmission timer), RFC 5681/6582 (congestion control, NewReno) and RFC 5961
 * (challenge ACKs) before changing the input path.
 *
 * What is here: active and passive open with MSS (RFC 9293 3.7.1) and window scale
 * (RFC 7323 2: we offer shift 0, so our own windows are never scaled, and scale the
 * peer's when both sides offered it); RFC 6298 RTO with Karn's rule and exponential backoff;
 * slow start / congestion avoidance, fast retransmit after 3 duplicate ACKs and NewReno
 * partial-ACK recovery; a sliding window bounded by the send buffer and the peer's window;
 * out-of-order segments kept in the receive buffer (up to tcpOooRanges ranges) so one loss
 * costs one retransmission; zero-window probes; FIN in both directions, RST (in-window RST
 * accepted only at RCV.NXT exactly, else a challenge ACK, RFC 5961 3.2); a short TIME-WAIT
 * (tcpTimeWaitMs); keepalive (RFC 9293 3.8.4, off unless enabled).
 *
 * Deviations, stated: no delayed ACK (every data segment is ACKed at once: more frames,
 * less latency, simpler), no Nagle (callers write whole messages), no urgent data, no SACK,
 * no timestamps, no IP fragmentation (the MSS keeps segments within 1500-byte frames), ISS
 * from the HAL entropy source rather than RFC 6528's keyed hash, a shortened TIME-WAIT.
 *
 * Buffers: the send buffer (tcpSendBuffer bytes) holds written data until it is ACKed;
 * write() accepts what fits. Received in-order data is handed to onData straight from the
 * frame (the view is valid only during the call), so the receive buffer (tcpRecvBuffer
 * bytes) only ever holds out-of-order data, and the advertised window is its size.
 *
 * Sequence numbers are unsigned 32-bit; comparisons go through seqDiff (RFC 1982 style).
 */
import type { IpLayer, NetConfig } from './options';
import * as tcp from './wire/tcp';
import { PROTO_TCP } from './wire/ipv4';

export const CLOSED = 'CLOSED';
export const SYN_SENT = 'SYN-SENT';
export const SYN_RECEIVED = 'SYN-RECEIVED';
export const ESTABLISHED = 'ESTABLISHED';
export const FIN_WAIT_1 = 'FIN-WAIT-1';
export const FIN_WAIT_2 = 'FIN-WAIT-2';
export const CLOSING = 'CLOSING';
export const TIME_WAIT = 'TIME-WAIT';
export const CLOSE_WAIT = 'CLOSE-WAIT';
export const LAST_ACK = 'LAST-ACK';

/** Close reasons handed to onClose. */
export const REASON_CLOSED = 'closed';
export const REASON_RESET = 'reset';
export const REASON_REFUSED = 'refused';
export const REASON_TIMEOUT = 'timeout';
export const REASON_KEEPALIVE = 'keepalive timeout';
export const REASON_ABORTED = 'aborted';

export interface TcpEvents {
  /** The handshake completed (client) or the connection was accepted (server). */
  onConnected(): void;
  /** In-order data; the view is valid only during the call. */
  onData(bytes: Uint8Array): void;
  /** `n` bytes of the send buffer were acknowledged (room for more writes). */
  onSent?(n: number): void;
  /**
   * The peer sent FIN (no more data will come). Without this handler the socket closes
   * its own side at once (after sending what is buffered).
   */
  onEnd?(): void;
  /** Called exactly once, when the connection is over; see REASON_*. */
  onClose(reason: string): void;
}

/** a - b in sequence space, as a signed 32-bit number. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

interface Range {
  start: number;
  end: number;
}

/** The handles a socket needs from the interface that owns it. */
export interface TcpHost {
  ip: IpLayer;
  release(s: TcpSocket): void;
  /** A passively opened socket is established: the listener supplies its events (null refuses it). */
  accepted(s: TcpSocket): TcpEvents | null;
}

export class TcpSocket {
  readonly localPort: number;
  readonly remoteIp: number;
  readonly remotePort: number;
  /** Retransmitted segments (timeouts and fast retransmits), for tests and benchmarks. */
  retransmits = 0;
  /** DSCP/ECN byte (0x60 = CS3 for call signalling). */
  tos = 0;

  private readonly host: TcpHost;
  private readonly cfg: NetConfig;
  private events: TcpEvents | null;
  private st = CLOSED;
  private closedNotified = false;

  // Send side (RFC 9293 3.3.1).
  private iss = 0;
  private sndUna = 0;
  private sndNxt = 0;
  private sndMax = 0;
  private sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private sndScale = 0;
  private sndMss = 536;
  private peerWs = -1;
  private readonly sendBuf: Uint8Array;
  /** Index in sendBuf of the byte at sndUna. */
  private sendHead = 0;
  /** Bytes from sndUna on: unacknowledged plus unsent. */
  private sendLen = 0;
  private finQueued = false;
  private finAcked = false;
  private forceOne = false;

  // Receive side.
  private irs = 0;
  private rcvNxt = 0;
  /** Allocated at the first out-of-order segment (most connections never need it). */
  private recvBuf: Uint8Array | null = null;
  private readonly recvSize: number;
  /** Index in recvBuf of the byte at rcvNxt. */
  private recvHead = 0;
  private ooo: Range[] = [];
  /** Sequence number of a FIN that arrived ahead of missing data, or -1. */
  private finSeqIn = -1;
  private ackNeeded = false;

  // Congestion control (RFC 5681, RFC 6582).
  private cwnd = 0;
  private ssthresh = 65535;
  private dupAcks = 0;
  private inRecovery = false;
  private recover = 0;
  /** RFC 3042 limited transmit: extra room granted by the first two duplicate ACKs. */
  private limitedExtra = 0;

  // RTT and timers (RFC 6298).
  private srtt = -1;
  private rttvar = 0;
  private rto: number;
  private rttSeq = -1;
  private rttStart = 0;
  private retries = 0;
  private rtxTimer = -1;
  private stateTimer = -1;
  private keepTimer = -1;
  private keepIdleMs: number;
  private keepProbes = 0;
  private lastRxAt = 0;

  constructor(host: TcpHost, localPort: number, remoteIp: number, remotePort: number, events: TcpEvents | null) {
    this.host = host;
    this.cfg = host.ip.config;
    this.localPort = localPort;
    this.remoteIp = remoteIp;
    this.remotePort = remotePort;
    this.events = events;
    this.sendBuf = new Uint8Array(this.cfg.tcpSendBuffer);
    this.recvSize = this.cfg.tcpRecvBuffer;
    this.rto = this.cfg.tcpInitialRtoMs;
    this.keepIdleMs = this.cfg.tcpKeepIdleMs;
  }

  // ---- public API ----

  /** True once the connection is over (callbacks may close it under our feet). */
  isClosed(): boolean {
    return this.st === CLOSED;
  }

  /** RFC 9293 state name ("ESTABLISHED", ...). */
  state(): string {
    return this.st;
  }

  /** Free room in the send buffer. */
  sendSpace(): number {
    if (this.finQueued || !this.canSendData()) return 0;
    return this.sendBuf.length - this.sendLen;
  }

  /** Bytes written but not yet acknowledged. */
  unacked(): number {
    return this.sendLen;
  }

  /** Copy as much of `bytes` as fits into the send buffer; returns the count accepted. */
  write(bytes: Uint8Array): number {
    if (this.finQueued || !this.canSendData()) return 0;
    const room = this.sendBuf.length - this.sendLen;
    const n = bytes.length < room ? bytes.length : room;
    if (n <= 0) return 0;
    const size = this.sendBuf.length;
    let at = (this.sendHead + this.sendLen) % size;
    const first = n < size - at ? n : size - at;
    this.sendBuf.set(bytes.subarray(0, first), at);
    if (first < n) {
      at = 0;
      this.sendBuf.set(bytes.subarray(first, n), 0);
    }
    this.sendLen += n;
    if (this.st !== SYN_SENT && this.st !== SYN_RECEIVED) this.output();
    return n;
  }

  /** Graceful close: FIN after the buffered data. onClose fires when the exchange is over. */
  close(): void {
    if (this.st === SYN_SENT) {
      this.finish(REASON_CLOSED, false);
      return;
    }
    if (this.finQueued || this.st === CLOSED) return;
    if (this.st === ESTABLISHED || this.st === SYN_RECEIVED) this.setState(FIN_WAIT_1);
    else if (this.st === CLOSE_WAIT) this.setState(LAST_ACK);
    else return;
    this.finQueued = true;
    this.output();
  }

  /** Send RST and drop the connection at once. */
  abort(): void {
    if (this.st === CLOSED) return;
    if (this.st !== SYN_SENT && this.st !== TIME_WAIT) this.sendRst(this.sndNxt, this.rcvNxt, true);
    this.finish(REASON_ABORTED, false);
  }

  /** Enable (idleMs > 0) or disable (0) keepalive probes on this connection. */
  setKeepAlive(idleMs: number): void {
    this.keepIdleMs = idleMs;
    this.armKeepalive();
  }

  /** Current retransmission timeout (ms), for tests and diagnostics. */
  currentRto(): number {
    return this.rto;
  }

  // ---- opening (called by the interface) ----

  /** Active open: send SYN. */
  connect(): void {
    this.iss = this.host.ip.random32() >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndMax = this.sndNxt;
    this.setState(SYN_SENT);
    this.sendSyn(false);
    this.armRtx();
  }

  /** Passive open: a SYN arrived for a listener; answer SYN-ACK. */
  accept(syn: tcp.Repr): void {
    this.irs = syn.seq;
    this.rcvNxt = seqAdd(syn.seq, 1);
    this.takeSynOptions(syn);
    this.iss = this.host.ip.random32() >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndMax = this.sndNxt;
    this.sndWnd = syn.window; // never scaled in a SYN (RFC 7323 2.2)
    this.sndWl1 = syn.seq;
    this.sndWl2 = this.iss;
    this.lastRxAt = this.host.ip.clock.now();
    this.setState(SYN_RECEIVED);
    this.sendSyn(true);
    this.armRtx();
  }

  /** Set once a passively opened socket is established (the listener's onAccept result). */
  setEvents(events: TcpEvents): void {
    this.events = events;
  }

  // ---- segment arrival (RFC 9293 3.10.7) ----

  input(seg: tcp.Repr): void {
    if (this.st === CLOSED) return;
    this.lastRxAt = this.host.ip.clock.now();
    this.keepProbes = 0;
    if (this.st === SYN_SENT) {
      this.inputSynSent(seg);
      return;
    }
    const rst = (seg.flags & tcp.FLAG_RST) !== 0;
    const syn = (seg.flags & tcp.FLAG_SYN) !== 0;
    // Our SYN-ACK was lost and the peer repeats its SYN.
    if (this.st === SYN_RECEIVED && syn && !rst && seg.seq === this.irs) {
      this.sendSyn(true);
      return;
    }
    if (!this.acceptable(seg)) {
      if (!rst) this.sendAck();
      return;
    }
    if (rst) {
      if (seg.seq !== this.rcvNxt) {
        this.sendAck(); // challenge ACK (RFC 5961 3.2)
        return;
      }
      // RFC 9293 3.10.7.4: in CLOSING, LAST-ACK and TIME-WAIT a RST just ends the connection.
      // With every byte delivered and only our FIN unacknowledged (the peer's TIME-WAIT
      // ended first, as a short one may), nothing was lost: report it as closed.
      const late = (this.st === LAST_ACK || this.st === CLOSING || this.st === TIME_WAIT) && this.sendLen === 0;
      this.finish(late ? REASON_CLOSED : REASON_RESET, false);
      return;
    }
    if (syn) {
      this.sendAck(); // challenge ACK (RFC 5961 4.2)
      return;
    }
    if ((seg.flags & tcp.FLAG_ACK) === 0) return;

    if (this.st === SYN_RECEIVED) {
      if (seqDiff(seg.ack, this.sndUna) <= 0 || seqDiff(seg.ack, this.sndMax) > 0) {
        this.sendRst(seg.ack, 0, false);
        return;
      }
      this.setState(ESTABLISHED);
      // Our SYN is acknowledged: it took one sequence number, not a byte of the send buffer.
      this.sndUna = seqAdd(this.iss, 1);
      this.retries = 0;
      this.clearRtx();
      this.sndWnd = seg.window << this.sndScale;
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      this.processAck(seg);
      this.armKeepalive();
      if (this.events === null) {
        this.events = this.host.accepted(this);
        if (this.events === null) {
          this.abort();
          return;
        }
      }
      this.events.onConnected();
      if (this.isClosed()) return;
    } else {
      this.processAck(seg);
      if (this.isClosed()) return;
    }

    if (this.finAcked) {
      if (this.st === FIN_WAIT_1) this.enterFinWait2();
      else if (this.st === CLOSING) this.enterTimeWait();
      else if (this.st === LAST_ACK) {
        this.finish(REASON_CLOSED, false);
        return;
      }
    }

    if (this.st === ESTABLISHED || this.st === FIN_WAIT_1 || this.st === FIN_WAIT_2) {
      if (seg.payload.length > 0) this.processData(seg.seq, seg.payload);
      if (this.isClosed()) return;
      if ((seg.flags & tcp.FLAG_FIN) !== 0) {
        const fs = seqAdd(seg.seq, seg.payload.length);
        if (this.finSeqIn < 0) this.finSeqIn = fs;
        this.ackNeeded = true;
      }
      if (this.finSeqIn >= 0 && this.finSeqIn === this.rcvNxt) this.processFin();
      if (this.isClosed()) return;
    } else if (this.st === TIME_WAIT && (seg.flags & tcp.FLAG_FIN) !== 0) {
      this.ackNeeded = true; // a retransmitted FIN: ACK again and restart the wait
      this.enterTimeWait();
    }
    this.output();
    if (this.ackNeeded) this.sendAck();
  }

  private inputSynSent(seg: tcp.Repr): void {
    const hasAck = (seg.flags & tcp.FLAG_ACK) !== 0;
    if (hasAck && seg.ack !== this.sndNxt) {
      if ((seg.flags & tcp.FLAG_RST) === 0) this.sendRst(seg.ack, 0, false);
      return;
    }
    if ((seg.flags & tcp.FLAG_RST) !== 0) {
      if (hasAck) this.finish(REASON_REFUSED, false);
      return;
    }
    if ((seg.flags & tcp.FLAG_SYN) === 0 || !hasAck) return; // simultaneous open is not supported
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.takeSynOptions(seg);
    this.sndUna = seg.ack;
    this.sndWnd = seg.window; // never scaled in a SYN (RFC 7323 2.2)
    this.sndWl1 = seg.seq;
    this.sndWl2 = seg.ack;
    this.sampleRtt(seg.ack);
    this.retries = 0;
    this.clearRtx();
    this.setState(ESTABLISHED);
    this.sendAck();
    this.armKeepalive();
    if (this.events !== null) this.events.onConnected();
    if (this.st === ESTABLISHED || this.st === FIN_WAIT_1) this.output();
  }

  private takeSynOptions(seg: tcp.Repr): void {
    const peer = seg.mss > 0 ? seg.mss : 536; // RFC 9293 3.7.1 default
    this.sndMss = peer < this.cfg.tcpMss ? peer : this.cfg.tcpMss;
    this.peerWs = seg.windowScale;
    this.sndScale = seg.windowScale >= 0 ? seg.windowScale : 0;
    this.cwnd = this.initialCwnd();
  }

  /** RFC 5681 3.1 initial window. */
  private initialCwnd(): number {
    if (this.sndMss > 2190) return 2 * this.sndMss;
    if (this.sndMss > 1095) return 3 * this.sndMss;
    return 4 * this.sndMss;
  }

  private rcvWnd(): number {
    return this.recvSize;
  }

  /** RFC 9293 3.10.7.4 segment acceptability. */
  private acceptable(seg: tcp.Repr): boolean {
    const len = tcp.segLen(seg);
    const wnd = this.rcvWnd();
    const d = seqDiff(seg.seq, this.rcvNxt);
    if (len === 0) return d === 0 || (d >= 0 && d < wnd);
    const dEnd = seqDiff(seqAdd(seg.seq, len - 1), this.rcvNxt);
    return (d >= 0 && d < wnd) || (dEnd >= 0 && dEnd < wnd);
  }

  private processAck(seg: tcp.Repr): void {
    const ack = seg.ack;
    if (seqDiff(ack, this.sndMax) > 0) {
      this.ackNeeded = true; // ACKs something not yet sent
      return;
    }
    const advance = seqDiff(ack, this.sndUna);
    const oldWnd = this.sndWnd;
    // Window update (RFC 9293 3.10.7.4, SND.WL1/WL2 rule).
    if (seqDiff(seg.seq, this.sndWl1) > 0 || (seg.seq === this.sndWl1 && seqDiff(ack, this.sndWl2) >= 0)) {
      this.sndWnd = seg.window << this.sndScale;
      this.sndWl1 = seg.seq;
      this.sndWl2 = ack;
    }
    if (advance > 0) {
      let acked = advance;
      // The FIN takes one sequence number after the data.
      if (this.finQueued && acked > this.sendLen) {
        this.finAcked = true;
        acked = this.sendLen;
      }
      this.sendHead = (this.sendHead + acked) % this.sendBuf.length;
      this.sendLen -= acked;
      this.sndUna = ack;
      if (seqDiff(this.sndNxt, this.sndUna) < 0) this.sndNxt = this.sndUna;
      this.sampleRtt(ack);
      this.retries = 0;
      this.forceOne = false;
      this.congestionOnAck(advance);
      this.dupAcks = 0;
      this.limitedExtra = 0;
      this.clearRtx();
      if (this.sndUna !== this.sndMax) this.armRtx();
      if (acked > 0 && this.events !== null && this.events.onSent) this.events.onSent(acked);
    } else if (advance === 0 && seg.payload.length === 0 && (seg.flags & (tcp.FLAG_SYN | tcp.FLAG_FIN)) === 0 &&
      this.sndWnd === oldWnd && this.sndUna !== this.sndMax) {
      this.onDupAck();
    }
  }

  private congestionOnAck(advance: number): void {
    if (this.inRecovery) {
      if (seqDiff(this.sndUna, this.recover) >= 0) {
        this.inRecovery = false; // full ACK: leave fast recovery (RFC 6582 3.2 step 3)
        this.cwnd = this.ssthresh;
      } else {
        // Partial ACK: retransmit the next hole, deflate by what was ACKed (RFC 6582 3.2 step 4).
        this.retransmitFirst();
        this.cwnd = this.cwnd > advance ? this.cwnd - advance + this.sndMss : this.sndMss;
      }
      return;
    }
    if (this.cwnd < this.ssthresh) this.cwnd += advance < this.sndMss ? advance : this.sndMss;
    else this.cwnd += Math.max(1, Math.floor((this.sndMss * this.sndMss) / this.cwnd));
    const cap = this.sendBuf.length + this.sndMss;
    if (this.cwnd > cap) this.cwnd = cap;
  }

  private onDupAck(): void {
    this.dupAcks++;
    if (this.dupAcks < 3 && !this.inRecovery) {
      // RFC 3042: each of the first two duplicate ACKs may send one new segment, so a small
      // window still produces the third duplicate ACK that fast retransmit needs.
      this.limitedExtra = this.dupAcks * this.sndMss;
      this.output();
    } else if (this.dupAcks === 3 && !this.inRecovery) {
      this.limitedExtra = 0;
      // Fast retransmit (RFC 5681 3.2), NewReno recovery point (RFC 6582).
      const flight = seqDiff(this.sndMax, this.sndUna);
      this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.sndMss);
      this.recover = this.sndMax;
      this.inRecovery = true;
      this.host.ip.counters.tcpFastRetransmits++;
      this.retransmitFirst();
      this.cwnd = this.ssthresh + 3 * this.sndMss;
      this.rttSeq = -1;
    } else if (this.inRecovery) {
      this.cwnd += this.sndMss;
    }
  }

  private sampleRtt(ack: number): void {
    if (this.rttSeq < 0 || seqDiff(ack, this.rttSeq) < 0) return;
    const r = this.host.ip.clock.now() - this.rttStart;
    this.rttSeq = -1;
    if (this.srtt < 0) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      const d = this.srtt > r ? this.srtt - r : r - this.srtt;
      this.rttvar = 0.75 * this.rttvar + 0.25 * d;
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    // RFC 6298 2.3, clock granularity G = 1 ms.
    this.rto = this.clampRto(this.srtt + Math.max(1, 4 * this.rttvar));
  }

  private clampRto(v: number): number {
    if (v < this.cfg.tcpRtoMinMs) return this.cfg.tcpRtoMinMs;
    if (v > this.cfg.tcpRtoMaxMs) return this.cfg.tcpRtoMaxMs;
    return Math.ceil(v);
  }

  /** In-order data goes to the app; data ahead of a hole waits in the receive buffer. */
  private processData(seq: number, payload: Uint8Array): void {
    this.ackNeeded = true;
    const wnd = this.rcvWnd();
    let off = seqDiff(seq, this.rcvNxt);
    let data = payload;
    if (off < 0) {
      if (-off >= data.length) return; // all old (a retransmission we already have)
      data = data.subarray(-off);
      off = 0;
    }
    if (off + data.length > wnd) {
      if (off >= wnd) return;
      data = data.subarray(0, wnd - off);
    }
    if (off > 0) {
      this.storeOoo(off, data);
      return;
    }
    this.deliver(data);
    // Now drain what the buffer holds contiguously from rcvNxt.
    while (this.st !== CLOSED && this.ooo.length > 0) {
      const r = this.ooo[0];
      const s = seqDiff(r.start, this.rcvNxt);
      const e = seqDiff(r.end, this.rcvNxt);
      if (e <= 0) {
        this.ooo.shift();
        continue;
      }
      if (s > 0) break;
      this.ooo.shift();
      this.deliverFromBuffer(e);
    }
  }

  private advanceRcv(n: number): void {
    this.rcvNxt = seqAdd(this.rcvNxt, n);
    this.recvHead = (this.recvHead + n) % this.recvSize;
  }

  private deliver(data: Uint8Array): void {
    if (data.length === 0) return;
    this.advanceRcv(data.length);
    if (this.events !== null) this.events.onData(data);
  }

  /** Hand over `n` buffered bytes starting at rcvNxt (in up to two pieces: the buffer wraps). */
  private deliverFromBuffer(n: number): void {
    const buf = this.recvBuf;
    if (buf === null) return; // ranges exist only once the buffer does
    const size = this.recvSize;
    const head = this.recvHead;
    const first = n < size - head ? n : size - head;
    const a = buf.subarray(head, head + first);
    this.advanceRcv(n);
    if (this.events !== null) {
      this.events.onData(a);
      if (first < n && this.st !== CLOSED && this.events !== null) this.events.onData(buf.subarray(0, n - first));
    }
  }

  /** Keep data `off` bytes past rcvNxt; merged into a bounded, sorted list of ranges. */
  private storeOoo(off: number, data: Uint8Array): void {
    const start = seqAdd(this.rcvNxt, off);
    const end = seqAdd(start, data.length);
    // Merge with the existing ranges first to know whether it fits the cap.
    const merged: Range[] = [];
    let cur: Range = { start: start, end: end };
    let placed = false;
    for (let i = 0; i < this.ooo.length; i++) {
      const r = this.ooo[i];
      if (seqDiff(r.end, cur.start) < 0) {
        merged.push(r);
      } else if (seqDiff(r.start, cur.end) > 0) {
        if (!placed) {
          merged.push(cur);
          placed = true;
        }
        merged.push(r);
      } else {
        cur = {
          start: seqDiff(r.start, cur.start) < 0 ? r.start : cur.start,
          end: seqDiff(r.end, cur.end) > 0 ? r.end : cur.end,
        };
      }
    }
    if (!placed) merged.push(cur);
    if (merged.length > this.cfg.tcpOooRanges) return; // over the cap: drop, the peer resends
    if (this.recvBuf === null) this.recvBuf = new Uint8Array(this.recvSize);
    const buf = this.recvBuf;
    const size = this.recvSize;
    let at = (this.recvHead + off) % size;
    const first = data.length < size - at ? data.length : size - at;
    buf.set(data.subarray(0, first), at);
    if (first < data.length) {
      at = 0;
      buf.set(data.subarray(first), 0);
    }
    this.ooo = merged;
  }

  private processFin(): void {
    this.finSeqIn = -1;
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.ackNeeded = true;
    if (this.st === ESTABLISHED) {
      this.setState(CLOSE_WAIT);
      if (this.events !== null && this.events.onEnd) this.events.onEnd();
      else this.close();
    } else if (this.st === FIN_WAIT_1) {
      // Our FIN not yet ACKed (else we would be in FIN-WAIT-2): simultaneous close.
      this.setState(CLOSING);
    } else if (this.st === FIN_WAIT_2) {
      this.enterTimeWait();
    }
  }

  private enterFinWait2(): void {
    this.setState(FIN_WAIT_2);
    this.clearStateTimer();
    this.stateTimer = this.host.ip.clock.setTimer(this.cfg.tcpFinWait2Ms, () => this.onStateTimer());
  }

  private enterTimeWait(): void {
    const first = this.st !== TIME_WAIT;
    this.setState(TIME_WAIT);
    this.clearRtx();
    this.clearKeepalive();
    this.clearStateTimer();
    this.stateTimer = this.host.ip.clock.setTimer(this.cfg.tcpTimeWaitMs, () => this.onStateTimer());
    // The application is done with the connection now; the socket lingers to ACK a lost FIN.
    if (first) this.notifyClose(REASON_CLOSED);
  }

  private onStateTimer(): void {
    this.stateTimer = -1;
    if (this.st === TIME_WAIT) this.finish(REASON_CLOSED, false);
    else if (this.st === FIN_WAIT_2) this.finish(REASON_TIMEOUT, false);
  }

  // ---- output ----

  private canSendData(): boolean {
    return this.st === ESTABLISHED || this.st === CLOSE_WAIT || this.st === SYN_SENT || this.st === SYN_RECEIVED;
  }

  private sendingState(): boolean {
    return this.st === ESTABLISHED || this.st === CLOSE_WAIT || this.st === FIN_WAIT_1 || this.st === CLOSING ||
      this.st === LAST_ACK;
  }

  /** Send what the windows allow: new data, then the FIN. */
  private output(): void {
    if (!this.sendingState()) return;
    for (;;) {
      const flight = seqDiff(this.sndNxt, this.sndUna);
      const avail = this.sendLen - flight;
      const cw = this.cwnd + this.limitedExtra;
      let win = this.sndWnd < cw ? this.sndWnd : cw;
      if (this.forceOne && win < 1) win = 1; // zero-window probe
      if (avail > 0) {
        const room = win - flight;
        if (room <= 0) {
          if (this.sndWnd === 0 && flight === 0 && this.rtxTimer < 0) this.armRtx(); // persist
          break;
        }
        let n = avail < this.sndMss ? avail : this.sndMss;
        if (n > room) n = room;
        this.sendData(this.sndNxt, flight, n, n === avail);
        this.sndNxt = seqAdd(this.sndNxt, n);
      } else if (this.finQueued && !this.finAcked && avail === 0 && this.sndNxt === seqAdd(this.sndUna, this.sendLen)) {
        this.sendSegment(this.sndNxt, tcp.FLAG_FIN | tcp.FLAG_ACK, -1, 0);
        this.sndNxt = seqAdd(this.sndNxt, 1);
      } else {
        break;
      }
      if (seqDiff(this.sndNxt, this.sndMax) > 0) this.sndMax = this.sndNxt;
      if (this.rtxTimer < 0) this.armRtx();
    }
  }

  /** Send `n` bytes from the send buffer at `offset` (relative to sndUna) as sequence `seq`. */
  private sendData(seq: number, offset: number, n: number, push: boolean): void {
    if (this.rttSeq < 0 && seq === this.sndMax) {
      // Time this segment (Karn: never a retransmission).
      this.rttSeq = seqAdd(seq, n);
      this.rttStart = this.host.ip.clock.now();
    }
    this.sendSegment(seq, tcp.FLAG_ACK | (push ? tcp.FLAG_PSH : 0), offset, n);
  }

  /** Retransmit the first unacknowledged segment (data, or the FIN). */
  private retransmitFirst(): void {
    this.retransmits++;
    this.host.ip.counters.tcpRetransmits++;
    if (this.sendLen > 0) {
      const n = this.sendLen < this.sndMss ? this.sendLen : this.sndMss;
      this.sendSegment(this.sndUna, tcp.FLAG_ACK | tcp.FLAG_PSH, 0, n);
      const end = seqAdd(this.sndUna, n);
      if (seqDiff(this.sndNxt, end) < 0) this.sndNxt = end;
    } else if (this.finQueued && !this.finAcked) {
      this.sendSegment(this.sndUna, tcp.FLAG_FIN | tcp.FLAG_ACK, -1, 0);
      if (this.sndNxt === this.sndUna) this.sndNxt = seqAdd(this.sndUna, 1);
    }
  }

  private sendSyn(withAck: boolean): void {
    const buf = this.host.ip.txPayload();
    const repr = {
      srcPort: this.localPort, dstPort: this.remotePort, seq: this.iss, ack: withAck ? this.rcvNxt : 0,
      flags: tcp.FLAG_SYN | (withAck ? tcp.FLAG_ACK : 0), window: this.rcvWnd(), urgent: 0, mss: this.cfg.tcpMss,
      // Offer window scale on an active open; on a passive one only if the peer offered it.
      windowScale: !withAck || this.peerWs >= 0 ? 0 : -1,
    };
    const n = tcp.emitHeaderInPlace(repr, 0, buf, 0, this.host.ip.address(), this.remoteIp);
    this.host.ip.sendIp(this.remoteIp, PROTO_TCP, n, this.tos);
  }

  /** One segment; `offset` < 0 means no data. Always carries ACK = rcvNxt and our window. */
  private sendSegment(seq: number, flags: number, offset: number, n: number): void {
    const buf = this.host.ip.txPayload();
    if (offset >= 0 && n > 0) {
      const size = this.sendBuf.length;
      const at = (this.sendHead + offset) % size;
      const first = n < size - at ? n : size - at;
      buf.set(this.sendBuf.subarray(at, at + first), tcp.HEADER_LEN);
      if (first < n) buf.set(this.sendBuf.subarray(0, n - first), tcp.HEADER_LEN + first);
    }
    const len = tcp.emitHeaderInPlace({
      srcPort: this.localPort, dstPort: this.remotePort, seq: seq, ack: this.rcvNxt, flags: flags,
      window: this.rcvWnd(), urgent: 0, mss: 0, windowScale: -1,
    }, offset >= 0 ? n : 0, buf, 0, this.host.ip.address(), this.remoteIp);
    this.ackNeeded = false;
    this.host.ip.sendIp(this.remoteIp, PROTO_TCP, len, this.tos);
  }

  private sendAck(): void {
    this.sendSegment(this.sndNxt, tcp.FLAG_ACK, -1, 0);
  }

  private sendRst(seq: number, ack: number, withAck: boolean): void {
    const buf = this.host.ip.txPayload();
    const len = tcp.emitHeaderInPlace({
      srcPort: this.localPort, dstPort: this.remotePort, seq: seq, ack: ack,
      flags: tcp.FLAG_RST | (withAck ? tcp.FLAG_ACK : 0), window: 0, urgent: 0, mss: 0, windowScale: -1,
    }, 0, buf, 0, this.host.ip.address(), this.remoteIp);
    this.host.ip.sendIp(this.remoteIp, PROTO_TCP, len, this.tos);
  }

  // ---- timers ----

  private armRtx(): void {
    this.clearRtx();
    this.rtxTimer = this.host.ip.clock.setTimer(this.rto, () => this.onRtx());
  }

  private clearRtx(): void {
    if (this.rtxTimer >= 0) this.host.ip.clock.clearTimer(this.rtxTimer);
    this.rtxTimer = -1;
  }

  /** RFC 6298 5.4-5.7: retransmit the earliest segment, back off, restart the timer. */
  private onRtx(): void {
    this.rtxTimer = -1;
    if (this.st === CLOSED || this.st === TIME_WAIT || this.st === FIN_WAIT_2 && this.sndUna === this.sndMax) return;
    const limit = this.st === SYN_SENT || this.st === SYN_RECEIVED ? this.cfg.tcpSynRetries : this.cfg.tcpMaxRetries;
    const flight = seqDiff(this.sndMax, this.sndUna);
    const zeroWindowProbe = flight === 0 && this.sendLen > 0 && this.sndWnd === 0;
    if (flight === 0 && !zeroWindowProbe) return;
    if (this.retries >= limit) {
      this.host.ip.counters.tcpTimeouts++;
      if (this.st !== SYN_SENT) this.sendRst(this.sndNxt, this.rcvNxt, true);
      this.finish(REASON_TIMEOUT, false);
      return;
    }
    this.retries++;
    this.rto = this.clampRto(this.rto * 2);
    this.rttSeq = -1;
    if (this.st === SYN_SENT || this.st === SYN_RECEIVED) {
      this.retransmits++;
      this.host.ip.counters.tcpRetransmits++;
      this.sendSyn(this.st === SYN_RECEIVED);
      this.armRtx();
      return;
    }
    if (zeroWindowProbe) {
      this.forceOne = true;
      this.output();
      this.armRtx();
      return;
    }
    // RFC 5681 3.1 (equation 4) and go-back-N from sndUna.
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.sndMss);
    this.cwnd = this.sndMss;
    this.inRecovery = false;
    this.dupAcks = 0;
    this.limitedExtra = 0;
    this.sndNxt = this.sndUna;
    this.retransmitFirst();
    this.armRtx();
  }

  private armKeepalive(): void {
    this.clearKeepalive();
    if (this.keepIdleMs > 0 && (this.st === ESTABLISHED || this.st === CLOSE_WAIT)) {
      this.keepTimer = this.host.ip.clock.setTimer(this.keepIdleMs, () => this.onKeepalive());
    }
  }

  private clearKeepalive(): void {
    if (this.keepTimer >= 0) this.host.ip.clock.clearTimer(this.keepTimer);
    this.keepTimer = -1;
  }

  /** RFC 9293 3.8.4: after idle time, probe with SEG.SEQ = SND.NXT - 1 to draw an ACK. */
  private onKeepalive(): void {
    this.keepTimer = -1;
    if (this.st !== ESTABLISHED && this.st !== CLOSE_WAIT) return;
    const now = this.host.ip.clock.now();
    const idle = now - this.lastRxAt;
    if (this.keepProbes === 0 && idle < this.keepIdleMs) {
      this.keepTimer = this.host.ip.clock.setTimer(this.keepIdleMs - idle, () => this.onKeepalive());
      return;
    }
    if (this.keepProbes >= this.cfg.tcpKeepCount) {
      this.sendRst(this.sndNxt, this.rcvNxt, true);
      this.finish(REASON_KEEPALIVE, false);
      return;
    }
    this.keepProbes++;
    if (this.sndUna === this.sndMax) this.sendSegment(seqAdd(this.sndUna, 0xffffffff), tcp.FLAG_ACK, -1, 0);
    this.keepTimer = this.host.ip.clock.setTimer(this.cfg.tcpKeepIntervalMs, () => this.onKeepalive());
  }

  private clearStateTimer(): void {
    if (this.stateTimer >= 0) this.host.ip.clock.clearTimer(this.stateTimer);
    this.stateTimer = -1;
  }

  // ---- state ----

  /** The one place the state changes (smoltcp's set_state). */
  private setState(s: string): void {
    this.st = s;
  }

  private notifyClose(reason: string): void {
    if (this.closedNotified) return;
    this.closedNotified = true;
    if (this.events !== null) this.events.onClose(reason);
  }

  /** Leave the connection: timers off, out of the interface's table, onClose once. */
  private finish(reason: string, silent: boolean): void {
    this.setState(CLOSED);
    this.clearRtx();
    this.clearKeepalive();
    this.clearStateTimer();
    this.ooo = [];
    this.host.release(this);
    if (!silent) this.notifyClose(reason);
  }
}
