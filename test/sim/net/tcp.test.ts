// TCP between two stacks: exact delivery under loss, duplication and reordering; handshake,
// close, reset, retransmission timer and keepalive behaviour.
import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { Scheduler } from '../../../hal/sim/scheduler';
import { connectNics, type LinkOptions } from '../../../hal/sim/ether';
import type { TcpSocket, TcpEvents } from '../../../firmware/net/tcp';
import type { NetOptions } from '../../../firmware/net/options';
import { makeHost, ip, type Host } from './harness';
import type { Scheduler as Sched } from '../../../hal/sim/scheduler';

const MASK = ip('255.255.255.0');
const A_IP = ip('10.0.0.10');
const B_IP = ip('10.0.0.20');

function setup(seed: number, faults: LinkOptions, options?: NetOptions) {
  const sched = new Scheduler(seed);
  const a = makeHost(sched, 0xa, options);
  const b = makeHost(sched, 0xb, options);
  const cable = connectNics(sched, a.nic, b.nic, faults);
  a.net.setAddress(A_IP, MASK, 0);
  b.net.setAddress(B_IP, MASK, 0);
  return { sched, a, b, cable };
}

/** A deterministic pseudo-random payload. */
function payload(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

interface Sink {
  hash: ReturnType<typeof createHash>;
  bytes: number;
  closed: string | null;
  ended: boolean;
}

/** B listens and hashes what arrives; when the client closes, B closes too. */
function listenSink(b: Host, port: number): Sink {
  const sink: Sink = { hash: createHash('sha256'), bytes: 0, closed: null, ended: false };
  b.net.tcpListen(port, (s: TcpSocket): TcpEvents => ({
    onConnected: () => {},
    onData: (d) => { sink.hash.update(d); sink.bytes += d.length; },
    onEnd: () => { sink.ended = true; s.close(); },
    onClose: (r) => { sink.closed = r; },
  }));
  return sink;
}

/** A sends `data` over a new connection, writing as the send buffer frees, then closes. */
function sendAll(a: Host, data: Uint8Array, port: number) {
  const st = { sent: 0, connected: false, closed: null as string | null, sock: null as TcpSocket | null };
  const pump = () => {
    const s = st.sock!;
    while (st.sent < data.length) {
      const n = s.write(data.subarray(st.sent, Math.min(data.length, st.sent + 4096)));
      if (n === 0) break;
      st.sent += n;
    }
    if (st.sent === data.length) s.close();
  };
  st.sock = a.net.tcpConnect(B_IP, port, {
    onConnected: () => { st.connected = true; pump(); },
    onData: () => {},
    onSent: () => { if (st.sent < data.length) pump(); },
    onClose: (r) => { st.closed = r; },
  });
  return st;
}

function sha(d: Uint8Array): string {
  return createHash('sha256').update(d).digest('hex');
}

describe('TCP bulk transfer', () => {
  it('1 MiB arrives exactly on a clean link', () => {
    const { sched, a, b } = setup(11, {});
    const data = payload(1 << 20, 1);
    const sink = listenSink(b, 5000);
    const st = sendAll(a, data, 5000);
    sched.runFor(60_000, () => st.closed !== null && sink.closed !== null);
    expect(sink.bytes).toBe(data.length);
    expect(sink.hash.digest('hex')).toBe(sha(data));
    expect(st.closed).toBe('closed');
    expect(sink.closed).toBe('closed');
    expect(st.sock!.retransmits).toBe(0);
    expect(sched.now()).toBeLessThan(2_000); // 100 Mbit/s, 8 KiB window: well under a second
  });

  const LOSSY: Array<[string, number, NetOptions | undefined]> = [
    ['RFC defaults (RTO min 1 s, 8 KiB buffers)', 12, undefined],
    ['LAN tuning (RTO min 200 ms, 32 KiB buffers)', 12, { tcpRtoMinMs: 200, tcpSendBuffer: 32768, tcpRecvBuffer: 32768 }],
    ['LAN tuning, another seed', 13, { tcpRtoMinMs: 200, tcpSendBuffer: 32768, tcpRecvBuffer: 32768 }],
  ];
  for (const [label, seed, options] of LOSSY) {
    it('1 MiB arrives exactly under 20% loss, duplication and reordering (both directions): ' + label, () => {
      const faults = { loss: 0.2, duplicate: 0.2, reorder: 0.2, jitterMs: 0.5 };
      const { sched, a, b, cable } = setup(seed, faults, options);
      const data = payload(1 << 20, seed);
      const sink = listenSink(b, 5001);
      const st = sendAll(a, data, 5001);
      const LIMIT_MS = 30 * 60_000;
      sched.runFor(LIMIT_MS, () => st.closed !== null && sink.closed !== null);
      expect(sink.bytes).toBe(data.length);
      expect(sink.hash.digest('hex')).toBe(sha(data));
      expect(st.closed).toBe('closed');
      expect(sink.closed).toBe('closed');
      const lost = cable.counters(a.nic).lost + cable.counters(b.nic).lost;
      const dup = cable.counters(a.nic).duplicated + cable.counters(b.nic).duplicated;
      const reo = cable.counters(a.nic).reordered + cable.counters(b.nic).reordered;
      expect(lost).toBeGreaterThan(100);
      expect(dup).toBeGreaterThan(100);
      expect(reo).toBeGreaterThan(100);
      expect(st.sock!.retransmits).toBeGreaterThan(0);
      expect(sched.now()).toBeLessThan(LIMIT_MS);
      // Figures for the report (deterministic for this seed).
      console.log(`lossy 1 MiB, ${label}: ${(sched.now() / 1000).toFixed(1)} s virtual, ${st.sock!.retransmits} ` +
        `retransmissions (${a.net.counters.tcpFastRetransmits} fast), frames lost ${lost}, duplicated ${dup}, reordered ${reo}`);
    });
  }
});

/** Times (ms) and TCP flags+length of every TCP segment host `h` sends. */
function tapTcp(sched: Sched, h: Host): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  const orig = h.nic.send.bind(h.nic);
  h.nic.send = (f: Uint8Array) => {
    if (f[12] === 0x08 && f[13] === 0x00 && f[23] === 6) {
      const ihl = (f[14] & 15) * 4;
      const t = 14 + ihl;
      const total = (f[16] << 8) | f[17];
      const hl = (f[t + 12] >> 4) * 4;
      out.push([sched.now(), f[t + 13], total - ihl - hl]);
    }
    return orig(f);
  };
  return out;
}

function quietEvents(log: string[]): TcpEvents {
  return {
    onConnected: () => log.push('connected'),
    onData: (d) => log.push('data ' + d.length),
    onClose: (r) => log.push('close ' + r),
  };
}

describe('TCP connection lifecycle', () => {
  it('connection refused: RST to a SYN on a closed port', () => {
    const { sched, a, b } = setup(41, {});
    const log: string[] = [];
    a.net.tcpConnect(B_IP, 81, quietEvents(log));
    sched.runFor(1000);
    expect(log).toEqual(['close refused']);
    expect(b.net.counters.tcpResets).toBe(1);
    expect(a.net.tcpSocketCount()).toBe(0);
  });

  it('connect timeout: SYN retransmitted with exponential backoff, then "timeout"', () => {
    const { sched, a, b, cable } = setup(42, {}, { tcpSynRetries: 3 });
    a.net.ping(B_IP, 0, 1000, () => {}); // resolve ARP first
    sched.runFor(100);
    cable.setFaults({ loss: 1 }, a.nic);
    const sent = tapTcp(sched, a);
    const log: string[] = [];
    const t0 = sched.now();
    let closedAt = 0;
    a.net.tcpConnect(B_IP, 80, { ...quietEvents(log), onClose: (r) => { log.push('close ' + r); closedAt = sched.now() - t0; } });
    sched.runFor(60_000);
    expect(sent.map(([t, flags]) => [Math.round(t - t0), flags])).toEqual([[0, 2], [1000, 2], [3000, 2], [7000, 2]]);
    expect(log).toEqual(['close timeout']);
    expect(Math.round(closedAt)).toBe(15000);
    expect(a.net.counters.tcpTimeouts).toBe(1);
    expect(a.net.tcpSocketCount()).toBe(0);
    expect(b.net.counters.rxTcp).toBe(0);
  });

  it('RFC 6298 timeline: RTO 1 s (min), doubled per retransmission; gives up after tcpMaxRetries with RST', () => {
    const { sched, a, b, cable } = setup(43, {}, { tcpMaxRetries: 4 });
    const log: string[] = [];
    listenSink(b, 7000);
    const s = a.net.tcpConnect(B_IP, 7000, quietEvents(log))!;
    sched.runFor(100);
    expect(s.state()).toBe('ESTABLISHED');
    const sent = tapTcp(sched, a);
    cable.setFaults({ loss: 1 }, a.nic); // A's frames no longer arrive
    const t0 = sched.now();
    s.write(new Uint8Array(100));
    sched.runFor(60_000);
    const times = sent.map(([t]) => Math.round(t - t0));
    // Original, then retransmissions at +1, +3, +7, +15 s; at +31 s the RST (flags 0x14).
    expect(times).toEqual([0, 1000, 3000, 7000, 15000, 31000]);
    expect(sent.slice(0, 5).every(([, , len]) => len === 100)).toBe(true);
    expect(sent[5][1] & 0x04).toBe(0x04);
    expect(log).toEqual(['connected', 'close timeout']);
    expect(s.retransmits).toBe(4);
  });

  it('abort sends RST; the peer closes with "reset"', () => {
    const { sched, a, b } = setup(44, {});
    const peer: string[] = [];
    b.net.tcpListen(7001, () => quietEvents(peer));
    const log: string[] = [];
    const s = a.net.tcpConnect(B_IP, 7001, quietEvents(log))!;
    sched.runFor(100);
    s.abort();
    sched.runFor(100);
    expect(log).toEqual(['connected', 'close aborted']);
    expect(peer).toEqual(['connected', 'close reset']);
    expect(a.net.tcpSocketCount()).toBe(0);
    expect(b.net.tcpSocketCount()).toBe(0);
  });

  it('a refused accept (onAccept returns null) resets the client', () => {
    const { sched, a, b } = setup(45, {});
    b.net.tcpListen(7002, () => null);
    const log: string[] = [];
    a.net.tcpConnect(B_IP, 7002, quietEvents(log));
    sched.runFor(100);
    expect(log).toEqual(['connected', 'close reset']);
  });

  it('graceful close both ways; TIME-WAIT frees the socket after tcpTimeWaitMs', () => {
    const { sched, a, b } = setup(46, {}, { tcpTimeWaitMs: 500 });
    const peerLog: string[] = [];
    b.net.tcpListen(7003, (s) => ({
      onConnected: () => { s.write(new Uint8Array([1, 2, 3])); s.close(); },
      onData: () => {},
      onClose: (r) => peerLog.push('close ' + r),
    }));
    const log: string[] = [];
    let ended = false;
    const s = a.net.tcpConnect(B_IP, 7003, {
      onConnected: () => log.push('connected'),
      onData: (d) => log.push('data ' + d.length),
      onEnd: () => { ended = true; s.close(); },
      onClose: (r) => log.push('close ' + r),
    })!;
    sched.runFor(100);
    expect(ended).toBe(true);
    expect(log).toEqual(['connected', 'data 3', 'close closed']);
    expect(peerLog).toEqual(['close closed']);
    // B closed first, so B is the one in TIME-WAIT; A is gone already.
    expect(a.net.tcpSocketCount()).toBe(0);
    expect(b.net.tcpSocketCount()).toBe(1);
    sched.runFor(600);
    expect(b.net.tcpSocketCount()).toBe(0);
  });

  it('keepalive: an idle connection whose peer vanished ends with "keepalive timeout"', () => {
    const { sched, a, b, cable } = setup(47, {}, { tcpKeepIntervalMs: 1000, tcpKeepCount: 3 });
    listenSink(b, 7004);
    const log: string[] = [];
    const s = a.net.tcpConnect(B_IP, 7004, quietEvents(log))!;
    s.setKeepAlive(5000);
    sched.runFor(100);
    // Peer alive: probes are answered and the connection stays.
    sched.runFor(20_000);
    expect(s.state()).toBe('ESTABLISHED');
    cable.setFaults({ loss: 1 });
    sched.runFor(20_000);
    expect(log).toEqual(['connected', 'close keepalive timeout']);
  });

  it('write() is bounded by the send buffer', () => {
    const { sched, a, b, cable } = setup(48, {}, { tcpSendBuffer: 4096 });
    listenSink(b, 7005);
    const s = a.net.tcpConnect(B_IP, 7005, quietEvents([]))!;
    sched.runFor(100);
    cable.setFaults({ loss: 1 }, a.nic);
    expect(s.write(new Uint8Array(10000))).toBe(4096);
    expect(s.write(new Uint8Array(1))).toBe(0);
    expect(s.sendSpace()).toBe(0);
    cable.setFaults({}, a.nic);
    sched.runFor(5000);
    expect(s.unacked()).toBe(0);
    expect(s.sendSpace()).toBe(4096);
  });

  it('the socket table is bounded', () => {
    const { a } = setup(49, {}, { tcpSockets: 2 });
    expect(a.net.tcpConnect(B_IP, 1, quietEvents([]))).not.toBeNull();
    expect(a.net.tcpConnect(B_IP, 2, quietEvents([]))).not.toBeNull();
    expect(a.net.tcpConnect(B_IP, 3, quietEvents([]))).toBeNull();
  });
});
