// ARP, ICMP echo, UDP (broadcast without an address), VLAN tagging: two stacks on a cable.
import { describe, it, expect } from 'vitest';
import { Scheduler } from '../../../hal/sim/scheduler';
import { connectNics } from '../../../hal/sim/ether';
import * as ethernet from '../../../firmware/net/wire/ethernet';
import { makeHost, ip } from './harness';

const MASK = ip('255.255.255.0');

function pair(seed: number, options?: Parameters<typeof makeHost>[2]) {
  const sched = new Scheduler(seed);
  const a = makeHost(sched, 0xa, options);
  const b = makeHost(sched, 0xb, options);
  const cable = connectNics(sched, a.nic, b.nic);
  return { sched, a, b, cable };
}

describe('ARP', () => {
  it('resolves, caches, and expires', () => {
    const { sched, a, b } = pair(1, { arpTimeoutMs: 30000 });
    a.net.setAddress(ip('10.0.0.10'), MASK, 0);
    b.net.setAddress(ip('10.0.0.20'), MASK, 0);
    const got: number[] = [];
    b.net.udpOpen(9, (d) => got.push(d.length));
    const s = a.net.udpOpen(0, () => {})!;
    // The first datagram waits for ARP in the queue, then goes.
    expect(s.sendTo(ip('10.0.0.20'), 9, new Uint8Array(3))).toBe(true);
    sched.runFor(100);
    expect(got).toEqual([3]);
    expect(a.net.counters.arpRequestsSent).toBe(1);
    expect(b.net.counters.arpRepliesSent).toBe(1);
    expect(a.net.arpEntries().map((e) => e.ip)).toEqual([ip('10.0.0.20')]);
    // B learned A from the request addressed to it (RFC 826).
    expect(b.net.arpEntries().map((e) => e.ip)).toEqual([ip('10.0.0.10')]);
    // Cached: no new request.
    s.sendTo(ip('10.0.0.20'), 9, new Uint8Array(4));
    sched.runFor(100);
    expect(got).toEqual([3, 4]);
    expect(a.net.counters.arpRequestsSent).toBe(1);
    // Expired after 30 s: the next datagram asks again.
    sched.runFor(30000);
    expect(a.net.arpEntries()).toEqual([]);
    s.sendTo(ip('10.0.0.20'), 9, new Uint8Array(5));
    sched.runFor(100);
    expect(got).toEqual([3, 4, 5]);
    expect(a.net.counters.arpRequestsSent).toBe(2);
  });

  it('gives up after arpRetries and drops the queued packets; the queue is bounded', () => {
    const { sched, a } = pair(2, { arpQueuePackets: 3, arpRetries: 3, arpRetryMs: 1000 });
    a.net.setAddress(ip('10.0.0.10'), MASK, 0);
    const s = a.net.udpOpen(0, () => {})!;
    for (let i = 0; i < 5; i++) s.sendTo(ip('10.0.0.99'), 9, new Uint8Array(1));
    expect(a.net.counters.arpQueueFull).toBe(2);
    sched.runFor(10000);
    expect(a.net.counters.arpRequestsSent).toBe(3);
    expect(a.net.counters.arpUnresolved).toBe(3);
  });

  it('off-link traffic goes to the gateway; no gateway is no route', () => {
    const { sched, a, b } = pair(3);
    a.net.setAddress(ip('10.0.0.10'), MASK, ip('10.0.0.1'));
    b.net.setAddress(ip('10.0.0.1'), MASK, 0);
    let seen = 0;
    b.nic.onReceive((f) => {
      const e = ethernet.parse(f);
      if (e.ok && e.value.ethertype === 0x0800) seen++;
      if (e.ok && e.value.ethertype === 0x0806) {
        // answer ARP as B would (B's own handler was replaced)
        const reply = new Uint8Array(42);
        reply.set(f.subarray(6, 12), 0);
        reply.set(b.nic.mac(), 6);
        reply[12] = 8; reply[13] = 6;
        reply.set([0, 1, 8, 0, 6, 4, 0, 2], 14);
        reply.set(b.nic.mac(), 22);
        reply.set(f.subarray(38, 42), 28);
        reply.set(f.subarray(22, 32), 32);
        b.nic.send(reply);
      }
    });
    const s = a.net.udpOpen(0, () => {})!;
    s.sendTo(ip('192.0.2.1'), 9, new Uint8Array(1));
    sched.runFor(100);
    expect(seen).toBe(1);
    expect(a.net.arpEntries().map((e) => e.ip)).toEqual([ip('10.0.0.1')]);
    a.net.setAddress(ip('10.0.0.10'), MASK, 0);
    expect(s.sendTo(ip('192.0.2.1'), 9, new Uint8Array(1))).toBe(false);
    expect(a.net.counters.noRoute).toBe(1);
  });
});

describe('ICMP echo', () => {
  it('answers pings and times out without a peer', () => {
    const { sched, a, b } = pair(4);
    a.net.setAddress(ip('10.0.0.10'), MASK, 0);
    b.net.setAddress(ip('10.0.0.20'), MASK, 0);
    const rtts: Array<number | null> = [];
    expect(a.net.ping(ip('10.0.0.20'), 56, 1000, (r) => rtts.push(r))).toBe(true);
    sched.runFor(2000);
    expect(rtts.length).toBe(1);
    expect(rtts[0]).not.toBeNull();
    expect(rtts[0]!).toBeLessThan(5);
    expect(b.net.counters.icmpEchoReplies).toBe(1);
    a.net.ping(ip('10.0.0.30'), 8, 1000, (r) => rtts.push(r));
    sched.runFor(2000);
    expect(rtts[1]).toBeNull();
  });
});

describe('UDP', () => {
  it('broadcast from an unconfigured host reaches a bound port; replies come back by broadcast', () => {
    const { sched, a, b } = pair(5);
    b.net.setAddress(ip('10.0.0.1'), MASK, 0);
    const atServer: Array<[number, number, number, string]> = [];
    const server = b.net.udpOpen(67, (d, src, sport, dst) => {
      atServer.push([src, sport, dst, String.fromCharCode(...d)]);
      server.sendTo(0xffffffff, 68, new Uint8Array([0x4f, 0x4b]));
    })!;
    const atClient: string[] = [];
    const client = a.net.udpOpen(68, (d) => atClient.push(String.fromCharCode(...d)))!;
    expect(a.net.address()).toBe(0);
    expect(client.sendTo(0xffffffff, 67, new Uint8Array([0x48, 0x49]))).toBe(true);
    sched.runFor(100);
    expect(atServer).toEqual([[0, 68, 0xffffffff, 'HI']]);
    expect(atClient).toEqual(['OK']);
    // No ARP was needed either way.
    expect(a.net.counters.arpRequestsSent + b.net.counters.arpRequestsSent).toBe(0);
    // Unicast without an address has no route.
    expect(client.sendTo(ip('10.0.0.1'), 67, new Uint8Array(1))).toBe(false);
    // A second bind of the same port fails; close frees it.
    expect(a.net.udpOpen(68, () => {})).toBeNull();
    client.close();
    expect(a.net.udpOpen(68, () => {})).not.toBeNull();
  });

  it('counts datagrams to closed ports and bad checksums', () => {
    const { sched, a, b } = pair(6);
    a.net.setAddress(ip('10.0.0.10'), MASK, 0);
    b.net.setAddress(ip('10.0.0.20'), MASK, 0);
    const s = a.net.udpOpen(0, () => {})!;
    s.sendTo(ip('10.0.0.20'), 4444, new Uint8Array(10));
    sched.runFor(100);
    expect(b.net.counters.rxNoSocket).toBe(1);
  });

  it('the socket table is bounded', () => {
    const { a } = pair(7, { udpSockets: 2 });
    expect(a.net.udpOpen(1, () => {})).not.toBeNull();
    expect(a.net.udpOpen(2, () => {})).not.toBeNull();
    expect(a.net.udpOpen(3, () => {})).toBeNull();
  });
});

describe('VLAN', () => {
  it('tags every frame and drops other VLANs', () => {
    const { sched, a, b } = pair(8);
    a.net.setAddress(ip('10.0.0.10'), MASK, 0);
    b.net.setAddress(ip('10.0.0.20'), MASK, 0);
    a.net.setVlan(100, 5);
    const tags: string[] = [];
    const orig = b.nic;
    const seen: Uint8Array[] = [];
    // Tap B's receive side to see A's frames, then hand them on.
    const handler = (b.net as unknown as { receive(f: Uint8Array): void });
    orig.onReceive((f) => {
      seen.push(f.slice());
      const e = ethernet.parse(f);
      if (e.ok) tags.push(e.value.tag ? e.value.tag.vid + '/' + e.value.tag.pcp : 'untagged');
      handler.receive(f);
    });
    const got: number[] = [];
    b.net.udpOpen(9, (d) => got.push(d.length));
    a.net.udpOpen(0, () => {})!.sendTo(ip('10.0.0.20'), 9, new Uint8Array(7));
    sched.runFor(100);
    // ARP request and the datagram, both tagged 100/5. B (no VLAN set) drops them.
    expect(tags).toEqual(['100/5']);
    expect(b.net.counters.rxWrongVlan).toBe(1);
    b.net.setVlan(100, 5);
    sched.runFor(1500); // ARP retry
    expect(got).toEqual([7]);
    expect(tags.every((t) => t === '100/5')).toBe(true);
    expect(seen.length).toBeGreaterThan(2);
  });

  it('hands non-IP frames to onFrame and sends raw frames', () => {
    const { sched, a, b } = pair(9);
    const frames: number[] = [];
    b.net.onFrame((f) => frames.push((f[12] << 8) | f[13]));
    const lldp = new Uint8Array(60);
    lldp.set([0x01, 0x80, 0xc2, 0, 0, 0x0e], 0);
    lldp.set(a.net.mac, 6);
    lldp[12] = 0x88; lldp[13] = 0xcc;
    expect(a.net.sendFrame(lldp)).toBe(true);
    sched.runFor(10);
    expect(frames).toEqual([0x88cc]);
    expect(b.net.counters.rxOther).toBe(1);
  });
});
