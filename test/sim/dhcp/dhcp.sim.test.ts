/**
 * The phone's DHCP client and the lab server on a simulated switch, on virtual time:
 * boot to BOUND on the voice VLAN through 20 % loss, lease renew/rebind/expiry over hours,
 * a conflict leading to DECLINE and a new address, INIT-REBOOT, static mode without any
 * DHCP packet, and tshark's opinion of every frame of a run.
 */
import { describe, it, expect } from 'vitest';
import { DhcpService, AddressAgent } from '../../../firmware/dhcp/service';
import type { DhcpEvent } from '../../../firmware/dhcp/client';
import { defaultNetworkSettings } from '../../../firmware/netconfig';
import { haveTshark, tempCapture, tsharkReport, tsharkFields } from '../../tshark';
import { makeLab, makeHost, ip, VOICE_VLAN } from './lab';

function startPhone(lab: ReturnType<typeof makeLab>, opts: { lastLease?: import('../../../firmware/dhcp/lease').Lease } = {}) {
  const events: DhcpEvent[] = [];
  const log: string[] = [];
  lab.phone.iface.setVlan(VOICE_VLAN, 5);
  const svc = new DhcpService(lab.phone.iface, lab.phone.clock, lab.phone.entropy, {
    mac: lab.phone.nic.mac(), model: '7942G', onEvent: (e) => events.push(e), log: (l) => log.push(l),
  });
  svc.start(opts.lastLease ?? null);
  return { svc, events, log };
}

describe('DHCP on the simulated switch', () => {
  it('boots to BOUND on the voice VLAN through 20 % loss, with the TFTP servers from option 150', () => {
    const lab = makeLab({ seed: 3, phoneCable: { loss: 0.2 } });
    const p = startPhone(lab);
    lab.sched.run(15 * 60_000, () => p.svc.client.state() === 'BOUND');
    expect(p.svc.client.state()).toBe('BOUND');
    const lease = p.svc.client.currentLease()!;
    expect((lease.address & 0xffffff00) >>> 0).toBe(ip('10.1.110.0'));
    expect(lease.tftpServers).toEqual([ip('10.1.110.5'), ip('10.1.110.6')]);
    expect(lease.tftpServerName).toBe('tftp.voice.example');
    expect(lab.phone.iface.address()).toBe(lease.address);
    expect(lab.phone.iface.gateway()).toBe(ip('10.1.110.1'));
    // Every DHCP frame the phone sent went out tagged with the voice VLAN.
    const fromPhone = lab.dhcpFrames.filter((f) => f.inPort === 0);
    expect(fromPhone.length).toBeGreaterThan(0);
    expect(fromPhone.every((f) => f.vlan === VOICE_VLAN)).toBe(true);
    // The data VLAN's pool never saw the phone.
    expect(lab.data.counters.received).toBe(0);
    expect(lab.voice.leases().some((l) => l.address === lease.address && l.state === 'bound')).toBe(true);
    expect(p.svc.client.counters.malformed).toBe(0);
  });

  it('many seeds with 20 % loss all bind, on the voice VLAN', () => {
    for (let seed = 10; seed < 20; seed++) {
      const lab = makeLab({ seed, phoneCable: { loss: 0.2 } });
      const p = startPhone(lab);
      lab.sched.run(15 * 60_000, () => p.svc.client.state() === 'BOUND');
      expect(p.svc.client.state(), 'seed ' + seed).toBe('BOUND');
    }
  });

  it('drops the client while it rests in BOUND; a new one renews at T1 and counts on in the same counters', () => {
    const lab = makeLab({ seed: 5, voice: { leaseSecs: 600 } });
    const p = startPhone(lab);
    lab.sched.run(60_000, () => p.svc.client.state() === 'BOUND');
    lab.sched.run(lab.phone.clock.now() + 1);
    expect(p.svc.client.isParked()).toBe(true);
    expect(p.svc.client.state()).toBe('BOUND');
    const lease = p.svc.client.currentLease()!;
    const sent = p.svc.client.counters.sent;
    // T1 of a 600 s lease: the renewal REQUEST, the ACK, and parked again.
    lab.sched.run(lab.phone.clock.now() + 310_000, () => p.events.some((e) => e.kind === 'renewed'));
    expect(p.events.filter((e) => e.kind === 'renewed').length).toBe(1);
    expect(p.svc.client.counters.sent).toBe(sent + 1);
    expect(p.svc.client.currentLease()!.address).toBe(lease.address);
    lab.sched.run(lab.phone.clock.now() + 1);
    expect(p.svc.client.isParked()).toBe(true);
    expect(p.log.filter((l) => l.includes('BOUND -> RENEWING')).length).toBe(1);
  });

  it('renews at T1 for hours; with the server gone it rebinds, then loses the lease at expiry', () => {
    const lab = makeLab({ seed: 4, voice: { leaseSecs: 600 } });
    const p = startPhone(lab);
    lab.sched.run(60_000, () => p.svc.client.state() === 'BOUND');
    const bound = p.svc.client.currentLease()!;
    lab.sched.run(lab.sched.now() + 6 * 3600_000);
    expect(p.svc.client.state()).toBe('BOUND');
    const renewed = p.events.filter((e) => e.kind === 'renewed').length;
    expect(renewed).toBeGreaterThanOrEqual(6 * 3600 / 300 - 2);
    expect(p.svc.client.currentLease()!.address).toBe(bound.address);
    // The server stops answering.
    lab.voice.misbehave.silent = true;
    const t0 = lab.sched.now();
    lab.sched.run(t0 + 600_000 + 1000);
    expect(p.log.some((l) => l.includes('RENEWING -> REBINDING'))).toBe(true);
    expect(p.events.some((e) => e.kind === 'lost' && e.reason === 'expired')).toBe(true);
    expect(lab.phone.iface.address()).toBe(0);
    // Back: the phone finds it again (DISCOVER asks for the old address).
    lab.voice.misbehave.silent = false;
    lab.sched.run(lab.sched.now() + 5 * 60_000, () => p.svc.client.state() === 'BOUND');
    expect(p.svc.client.currentLease()!.address).toBe(bound.address);
  });

  it('an address already in use: the probe sees it, DECLINE, the server marks it bad, a new address', () => {
    const lab = makeLab({ seed: 5 });
    // A squatter on the first address of the pool, on the voice VLAN.
    const squat = makeHost(lab.sched, new Uint8Array([0x02, 0, 0, 0, 0, 0x99]), 'squatter');
    lab.sw.connect(3, squat.nic);
    squat.iface.setAddress(ip('10.1.110.100'), ip('255.255.255.0'), 0);
    const p = startPhone(lab);
    lab.sched.run(5 * 60_000, () => p.svc.client.state() === 'BOUND');
    expect(p.events.some((e) => e.kind === 'conflict-declined' && e.address === ip('10.1.110.100'))).toBe(true);
    expect(lab.voice.declined()).toEqual([ip('10.1.110.100')]);
    expect(p.svc.client.state()).toBe('BOUND');
    expect(p.svc.client.currentLease()!.address).toBe(ip('10.1.110.101'));
  });

  it('INIT-REBOOT with the last lease is ACKed by the lab server; from the wrong VLAN it is NAKed', () => {
    const lab = makeLab({ seed: 6 });
    const p = startPhone(lab);
    lab.sched.run(60_000, () => p.svc.client.state() === 'BOUND');
    const lease = p.svc.client.currentLease()!;
    // Power cycle: a new client with the lease from preferences.
    p.svc.stop();
    const again = startPhone(lab, { lastLease: lease });
    lab.sched.run(lab.sched.now() + 60_000, () => again.svc.client.state() === 'BOUND');
    expect(again.svc.client.currentLease()!.address).toBe(lease.address);
    expect(again.log).toContain('dhcp: INIT-REBOOT -> REBOOTING');
    expect(again.events.some((e) => e.kind === 'nak')).toBe(false);
    // Moved to the data VLAN (no voice VLAN learned): the old lease is NAKed, a data address follows.
    again.svc.stop();
    lab.phone.iface.setVlan(0, 0);
    const events: DhcpEvent[] = [];
    const svc = new DhcpService(lab.phone.iface, lab.phone.clock, lab.phone.entropy, {
      mac: lab.phone.nic.mac(), model: '7942G', onEvent: (e) => events.push(e),
    });
    svc.start(lease);
    lab.sched.run(lab.sched.now() + 120_000, () => svc.client.state() === 'BOUND');
    expect(events.find((e) => e.kind === 'nak')).toMatchObject({ kind: 'nak', serverId: ip('10.1.1.1'), message: 'wrong network' });
    expect((svc.client.currentLease()!.address & 0xffffff00) >>> 0).toBe(ip('10.1.1.0'));
  });

  it('static mode: the configured address, and not one DHCP packet on the wire', () => {
    const lab = makeLab({ seed: 7 });
    lab.phone.iface.setVlan(VOICE_VLAN, 5);
    const s = defaultNetworkSettings();
    s.mode = 'static';
    s.address = ip('10.1.110.20');
    s.mask = ip('255.255.255.0');
    s.gateway = ip('10.1.110.1');
    s.dnsServers = [ip('10.1.110.1')];
    s.tftpServers = [ip('10.1.110.5')];
    const events: DhcpEvent[] = [];
    const agent = new AddressAgent(lab.phone.iface, lab.phone.clock, lab.phone.entropy, {
      mac: lab.phone.nic.mac(), model: '7942G', onEvent: (e) => events.push(e),
    });
    agent.start(s);
    lab.sched.run(10 * 60_000);
    expect(agent.activeMode()).toBe('static');
    expect(lab.phone.iface.address()).toBe(ip('10.1.110.20'));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'bound', lease: { source: 'static', address: ip('10.1.110.20') } });
    expect(lab.dhcpFrames).toEqual([]);
    expect(lab.voice.counters.received + lab.data.counters.received).toBe(0);
    // Broken static settings fall back to DHCP rather than leave the phone off the net.
    s.mask = ip('255.0.255.0');
    const agent2 = new AddressAgent(lab.phone.iface, lab.phone.clock, lab.phone.entropy, { mac: lab.phone.nic.mac(), model: '7942G' });
    agent.stop();
    agent2.start(s);
    lab.sched.run(lab.sched.now() + 60_000, () => agent2.dhcp.client.state() === 'BOUND');
    expect(agent2.activeMode()).toBe('dhcp');
    expect(agent2.dhcp.client.state()).toBe('BOUND');
  });

  it('malformed DHCP replies are counted and ignored; the phone still binds', () => {
    const lab = makeLab({ seed: 8 });
    // A rogue host on the voice VLAN that sprays garbage at port 68.
    const rogue = makeHost(lab.sched, new Uint8Array([0x02, 0, 0, 0, 0, 0x66]), 'rogue');
    lab.sw.connect(3, rogue.nic);
    rogue.iface.setAddress(ip('10.1.110.66'), ip('255.255.255.0'), 0);
    const sock = rogue.iface.udpOpen(67, () => undefined)!;
    const p = startPhone(lab);
    const junk = [new Uint8Array(5), new Uint8Array(300).fill(0xff), (() => { const b = new Uint8Array(260); b[0] = 2; b[1] = 1; b[2] = 6; b.set([0x63, 0x82, 0x53, 0x63], 236); b.set([53, 9, 2], 240); return b; })()];
    for (let i = 0; i < 30; i++) lab.sched.at(i * 200, () => sock.sendTo(0xffffffff, 68, junk[i % junk.length]));
    lab.sched.run(60_000, () => p.svc.client.state() === 'BOUND');
    expect(p.svc.client.state()).toBe('BOUND');
    expect(p.svc.client.counters.malformed).toBeGreaterThanOrEqual(20);
  });

  it.skipIf(!haveTshark)('tshark dissects every frame of a run cleanly, with correct UDP/IP checksums', () => {
    const lab = makeLab({ seed: 9, phoneCable: { loss: 0.1 } });
    const p = startPhone(lab);
    lab.sched.run(5 * 60_000, () => p.svc.client.state() === 'BOUND');
    p.svc.stop(true);   // RELEASE too (unicast: ARP for the server first)
    lab.sched.run(lab.sched.now() + 5000);
    expect(lab.voice.counters.releases).toBe(1);
    expect(lab.phone.iface.address()).toBe(0);
    const f = tempCapture('dhcp.pcap', lab.pcap);
    // Bad checksums are expert errors with validation on (test/tshark.ts).
    expect(tsharkReport(f).problems).toEqual([]);
    const rows = tsharkFields(f, ['vlan.id', 'dhcp.option.dhcp', 'dhcp.option.vendor_class_id', 'dhcp.option.request_list_item', 'udp.checksum.status'],
      'dhcp && eth.src == 00:1e:4a:12:34:56');
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const types = new Set<string>();
    for (const [vid, type, vendor, prl, ck] of rows) {
      expect(vid).toBe(String(VOICE_VLAN));
      types.add(type);
      if (type === '1' || type === '3') {
        // tshark shows the text without its NUL (the unit tests check the 38 bytes).
        expect(vendor).toBe('Cisco Systems, Inc. IP Phone CP-7942G');
        expect(prl).toBe('1,66,6,3,15,150,35,42');
      }
      expect(ck).toBe('1');   // Wireshark checksum status: 0 bad, 1 good, 2 unverified
    }
    expect(types.has('1') && types.has('3') && types.has('7')).toBe(true);   // DISCOVER, REQUEST, RELEASE
    const offer = tsharkFields(f, ['dhcp.option.tftp_server_address'], 'dhcp.option.dhcp == 2');
    expect(offer[0][0]).toBe('10.1.110.5,10.1.110.6');
  });
});
