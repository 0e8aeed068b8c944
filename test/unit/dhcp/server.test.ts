/**
 * The lab DHCP server core, alone and against the phone's client (both sans-IO, wired back
 * to back on fake time: no network, no loss).
 */
import { describe, it, expect } from 'vitest';
import { DhcpServerCore, DhcpPoolConfig, DhcpMisbehaviour, DhcpReply } from '../../../tools/lab/dhcp-server';
import { DhcpClient, DhcpEvent } from '../../../firmware/dhcp/client';
import * as dhcp from '../../../firmware/dhcp/wire';
import { Prng } from '../../../hal/sim/prng';
import { ip } from './helpers';

function pool(over: Partial<DhcpPoolConfig> = {}): DhcpPoolConfig {
  return {
    name: 'voice', vlan: 110, serverIp: ip('10.1.110.1'), subnet: ip('10.1.110.0'), mask: ip('255.255.255.0'),
    rangeStart: ip('10.1.110.100'), rangeEnd: ip('10.1.110.102'), leaseSecs: 3600,
    routers: [ip('10.1.110.1')], dnsServers: [ip('10.1.110.1')], domain: 'voice.example',
    tftpServers: [ip('10.1.110.5'), ip('10.1.110.6')], tftpServerName: '10.1.110.5', ...over,
  };
}

function mac(n: number): Uint8Array {
  return new Uint8Array([0x00, 0x1e, 0x4a, 0, 0, n]);
}

/** Client + server back to back. */
function pair(p: DhcpPoolConfig, mis: DhcpMisbehaviour = {}, m = mac(1)) {
  const server = new DhcpServerCore(p, mis);
  const prng = new Prng(5);
  const client = new DhcpClient({ mac: m, model: '8845', random: () => prng.u32(), checkAddress: false });
  const events: DhcpEvent[] = [];
  const replies: DhcpReply[] = [];
  let now = 0;
  const out = {
    send: (_dst: number, msg: dhcp.DhcpRepr) => {
      const r = server.handle(dhcp.encode(msg), 0, now);
      if (r) { replies.push(r); client.process(r.bytes, p.serverIp, now); }
    },
    probe: () => undefined,
  };
  return {
    server, client, events, replies,
    run(until: number) {
      for (let i = 0; i < 10000; i++) {
        const at = client.pollAt();
        if (at > until) break;
        now = Math.max(now, at);
        client.dispatch(now, out);
        for (let e = client.poll(); e; e = client.poll()) events.push(e);
      }
      now = until;
    },
  };
}

function request(type: number, m: Uint8Array, set: (r: dhcp.DhcpRepr) => void = () => undefined): Uint8Array {
  const r = dhcp.emptyRepr(dhcp.OP_BOOTREQUEST, type, 99, m);
  r.clientId = new Uint8Array([1, ...m]);
  r.broadcast = true;
  set(r);
  return dhcp.encode(r);
}

describe('DhcpServerCore', () => {
  it('binds the client with options 150/66/3/6/15 and a lease by client id', () => {
    const t = pair(pool());
    t.client.start(0);
    t.run(10_000);
    expect(t.client.state()).toBe('BOUND');
    const b = t.events.find((e) => e.kind === 'bound');
    expect(b).toMatchObject({ lease: {
      address: ip('10.1.110.100'), tftpServers: [ip('10.1.110.5'), ip('10.1.110.6')], tftpServerName: '10.1.110.5',
      gateway: ip('10.1.110.1'), dnsServers: [ip('10.1.110.1')], domain: 'voice.example', serverId: ip('10.1.110.1'),
    } });
    expect(t.server.leaseOf('01001e4a000001')).toMatchObject({ address: ip('10.1.110.100'), state: 'bound' });
    expect(t.server.log).toEqual(['OFFER 10.1.110.100 to 01001e4a000001', 'ACK 10.1.110.100 to 01001e4a000001']);
  });

  it('renews over a day of virtual time; the lease stays the same address', () => {
    const t = pair(pool({ leaseSecs: 600 }));
    t.client.start(0);
    t.run(24 * 3600_000);
    expect(t.client.state()).toBe('BOUND');
    expect(t.events.filter((e) => e.kind === 'bound').length).toBe(1);
    expect(t.events.filter((e) => e.kind === 'renewed').length).toBeGreaterThanOrEqual(24 * 3600 / 300 - 2);
    expect(t.events.some((e) => e.kind === 'lost')).toBe(false);
  });

  it('misbehaviour: drop first N, no option 150, option 66 with NUL (the client strips it)', () => {
    const t = pair(pool(), { dropFirst: 2, noOption150: true, option66Nul: true });
    t.client.start(0);
    t.run(60_000);
    expect(t.server.counters.dropped).toBe(2);
    const b = t.events.find((e) => e.kind === 'bound');
    if (b?.kind !== 'bound') throw new Error('not bound');
    expect(b.lease.tftpServers).toEqual([]);
    expect(b.lease.tftpServerName).toBe('10.1.110.5');
    // The NUL really was on the wire.
    const ack = t.replies[t.replies.length - 1].bytes;
    const at = ack.indexOf(66, 240);
    expect(ack[at + 1]).toBe('10.1.110.5'.length + 1);
    expect(ack[at + 2 + 10]).toBe(0);
    // Two DISCOVERs dropped: bound only after the 2nd retransmission (4 s + 8 s, +/- jitter).
    expect(t.server.counters.offers).toBe(1);
  });

  it('NAKs a wrong INIT-REBOOT (other subnet, or held by another client) and ACKs a right one', () => {
    const s = new DhcpServerCore(pool());
    const a = mac(1);
    const b = mac(2);
    // Client A binds .100.
    expect(s.handle(request(dhcp.DHCPDISCOVER, a), 0, 0)?.repr.yiaddr).toBe(ip('10.1.110.100'));
    expect(s.handle(request(dhcp.DHCPREQUEST, a, (r) => { r.requestedIp = ip('10.1.110.100'); r.serverId = ip('10.1.110.1'); }), 0, 0)?.repr.messageType).toBe(dhcp.DHCPACK);
    // B INIT-REBOOTs from another VLAN's subnet: NAK, broadcast.
    const wrongNet = s.handle(request(dhcp.DHCPREQUEST, b, (r) => { r.requestedIp = ip('10.1.100.50'); }), 0, 1);
    expect(wrongNet?.repr.messageType).toBe(dhcp.DHCPNAK);
    expect(wrongNet?.repr.message).toBe('wrong network');
    expect(wrongNet?.dstIp).toBe(0xffffffff);
    // B asks for A's address: NAK.
    expect(s.handle(request(dhcp.DHCPREQUEST, b, (r) => { r.requestedIp = ip('10.1.110.100'); }), 0, 2)?.repr.messageType).toBe(dhcp.DHCPNAK);
    // A INIT-REBOOTs with its own address: ACK.
    expect(s.handle(request(dhcp.DHCPREQUEST, a, (r) => { r.requestedIp = ip('10.1.110.100'); }), 0, 3)?.repr.messageType).toBe(dhcp.DHCPACK);
  });

  it('DECLINE marks the address bad; the next DISCOVER gets another one', () => {
    const s = new DhcpServerCore(pool());
    const a = mac(1);
    s.handle(request(dhcp.DHCPDISCOVER, a), 0, 0);
    s.handle(request(dhcp.DHCPREQUEST, a, (r) => { r.requestedIp = ip('10.1.110.100'); r.serverId = ip('10.1.110.1'); }), 0, 0);
    s.handle(request(dhcp.DHCPDECLINE, a, (r) => { r.requestedIp = ip('10.1.110.100'); r.serverId = ip('10.1.110.1'); }), 0, 0);
    expect(s.declined()).toEqual([ip('10.1.110.100')]);
    expect(s.handle(request(dhcp.DHCPDISCOVER, a), 0, 0)?.repr.yiaddr).toBe(ip('10.1.110.101'));
    expect(s.handle(request(dhcp.DHCPDISCOVER, mac(3), (r) => { r.requestedIp = ip('10.1.110.100'); }), 0, 0)?.repr.yiaddr).toBe(ip('10.1.110.102'));
  });

  it('RELEASE frees the address; REQUEST for another server withdraws the offer; exhaustion is silent', () => {
    const s = new DhcpServerCore(pool({ rangeEnd: ip('10.1.110.100') }));
    const a = mac(1);
    s.handle(request(dhcp.DHCPDISCOVER, a), 0, 0);
    expect(s.handle(request(dhcp.DHCPREQUEST, a, (r) => { r.requestedIp = ip('10.1.110.100'); r.serverId = ip('10.9.9.9'); }), 0, 0)).toBe(null);
    expect(s.leaseOf('01001e4a000001')).toBeUndefined();
    s.handle(request(dhcp.DHCPDISCOVER, a), 0, 0);
    s.handle(request(dhcp.DHCPREQUEST, a, (r) => { r.requestedIp = ip('10.1.110.100'); r.serverId = ip('10.1.110.1'); }), 0, 0);
    expect(s.handle(request(dhcp.DHCPDISCOVER, mac(2)), 0, 0)).toBe(null);   // pool of one, taken
    s.handle(request(dhcp.DHCPRELEASE, a, (r) => { r.ciaddr = ip('10.1.110.100'); r.serverId = ip('10.1.110.1'); }), 0, 0);
    expect(s.handle(request(dhcp.DHCPDISCOVER, mac(2)), 0, 0)?.repr.yiaddr).toBe(ip('10.1.110.100'));
  });

  it('RENEW unicast answered to ciaddr; INFORM gets options without an address; garbage counted', () => {
    const s = new DhcpServerCore(pool());
    const a = mac(1);
    s.handle(request(dhcp.DHCPDISCOVER, a), 0, 0);
    s.handle(request(dhcp.DHCPREQUEST, a, (r) => { r.requestedIp = ip('10.1.110.100'); r.serverId = ip('10.1.110.1'); }), 0, 0);
    const renew = s.handle(request(dhcp.DHCPREQUEST, a, (r) => { r.ciaddr = ip('10.1.110.100'); r.broadcast = false; }), ip('10.1.110.100'), 1000);
    expect(renew?.repr.messageType).toBe(dhcp.DHCPACK);
    expect(renew?.dstIp).toBe(ip('10.1.110.100'));
    const inform = s.handle(request(dhcp.DHCPINFORM, mac(9), (r) => { r.ciaddr = ip('10.1.110.50'); }), ip('10.1.110.50'), 0);
    expect(inform?.repr.yiaddr).toBe(0);
    expect(inform?.repr.leaseTime).toBe(null);
    expect(inform?.repr.tftpServers).toEqual([ip('10.1.110.5'), ip('10.1.110.6')]);
    expect(s.handle(new Uint8Array(50), 0, 0)).toBe(null);
    expect(s.counters.malformed).toBe(1);
  });
});
