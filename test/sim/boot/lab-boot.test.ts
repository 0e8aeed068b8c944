// Whole boots in the lab (boot steps 1, 2, 3, 4 and the TFTP choice) on virtual time: the
// real loader verifies a signed image, the firmware negotiates power, learns the voice
// VLAN, gets its address and picks its TFTP server, against the lab's switch side and
// DHCP servers. Frames are checked as the switch carried them.
import { describe, it, expect } from 'vitest';
import { Lab } from '../../../tools/lab/lab';
import type { LabOptions } from '../../../tools/lab/lab';
import { ipToString, parseIp } from '../../../lib/bytes';
import { udpOf, type UdpInFrame } from '../../frames';
import * as dhcpWire from '../../../firmware/dhcp/wire';
import * as lldp from '../../../firmware/discovery/lldp';

interface Seen { inPort: number; bytes: Uint8Array; udp: UdpInFrame | null }

function boot(options: LabOptions, limitMs = 300_000): { lab: Lab; frames: Seen[]; ready: boolean } {
  const lab = new Lab(options);
  const frames: Seen[] = [];
  lab.sw.tap((frame, inPort, outPort) => {
    // Ingress only: the tap reports each frame again per egress port (rewritten for its VLAN).
    if (inPort === null || outPort !== null) return;
    const bytes = frame.slice();
    frames.push({ inPort, bytes, udp: udpOf(bytes) });
  });
  lab.start();
  lab.sched.run(limitMs, () => lab.allReady());
  return { lab, frames, ready: lab.allReady() };
}

/** DHCP client-to-server datagrams the phone on `port` sent. */
function dhcpFrom(frames: Seen[], port: number): UdpInFrame[] {
  return frames.filter((f) => f.inPort === port && f.udp !== null && f.udp.dstPort === 67).map((f) => f.udp!);
}

/** DHCP message types the phone on `port` sent, in order. */
function dhcpTypes(frames: Seen[], port: number): number[] {
  return dhcpFrom(frames, port).map((u) => {
    const m = dhcpWire.parse(u.payload);
    return m.ok ? m.value.messageType : -1;
  });
}

function bootLog(lab: Lab, re: RegExp): string[] {
  return lab.phones[0].board.logs.filter((e) => e.tag === 'boot' && re.test(e.message)).map((e) => e.message);
}

describe('lab boot', () => {
  it('boots to a DHCP lease on the voice VLAN with the TFTP server from option 150', () => {
    const { lab, frames, ready } = boot({ seed: 7 });
    expect(ready).toBe(true);
    const phone = lab.phones[0].board;
    expect(bootLog(lab, /^voice VLAN 100 \(cdp/).length).toBe(1);
    expect(phone.display.lines[1]).toMatch(/^IP 10\.1\.100\.1\d\d VLAN 100$/);
    expect(phone.display.lines[2]).toBe('TFTP 10.1.100.1');
    expect(bootLog(lab, /^TFTP servers: 10\.1\.100\.1 \(option150\)/).length).toBe(1);
    // The loader verified the signed image before the firmware ran.
    expect(phone.logs.findIndex((e) => e.tag === 'loader' && /starting/.test(e.message)))
      .toBeLessThan(phone.logs.findIndex((e) => e.tag === 'main'));
    // Power: class power first, then CDP's allocation brings full power.
    expect(phone.pd.lowPower()).toBe(false);
    // Every DHCP frame from the phone's port went out tagged with VLAN 100.
    const phonePort = lab.phones[0].port;
    const dhcp = dhcpFrom(frames, phonePort);
    expect(dhcp.length).toBeGreaterThanOrEqual(2);
    expect(dhcp.every((u) => u.vlan === 100)).toBe(true);
    // CDP from the phone carries Power Requested (TLV 0x19).
    const cdp = frames.filter((f) => f.inPort === phonePort && f.bytes[0] === 0x01 && f.bytes[1] === 0x00 && f.bytes[2] === 0x0c);
    expect(cdp.length).toBeGreaterThan(0);
  });

  it('still gets there with 20% loss on the phone cable', () => {
    const { lab, ready } = boot({ seed: 3, phone: { faults: { loss: 0.2 } } });
    expect(ready).toBe(true);
    expect(lab.phones[0].board.display.lines[1]).toMatch(/VLAN 100$/);
  });

  it('learns the voice VLAN from LLDP-MED when the switch has no CDP', () => {
    const { lab, ready } = boot({ seed: 5, cdp: false });
    expect(ready).toBe(true);
    expect(bootLog(lab, /^voice VLAN 100 \(lldp/).length).toBe(1);
  });

  it('learns the voice VLAN from CDP when the switch has no LLDP', () => {
    const { lab, ready } = boot({ seed: 5, lldp: false });
    expect(ready).toBe(true);
    expect(bootLog(lab, /^voice VLAN 100 \(cdp/).length).toBe(1);
  });

  it('goes on untagged on the native VLAN when neither protocol answers', () => {
    const { lab, frames, ready } = boot({ seed: 5, cdp: false, lldp: false });
    expect(ready).toBe(true);
    expect(bootLog(lab, /^no voice VLAN/).length).toBe(1);
    expect(lab.phones[0].board.display.lines[1]).toMatch(/^IP 10\.1\.1\.1\d\d$/);
    const dhcp = dhcpFrom(frames, lab.phones[0].port);
    expect(dhcp.every((u) => u.vlan === null)).toBe(true);
    // The wait is the agent's 20 s: no address before it.
    const boundAt = lab.phones[0].board.logs.find((e) => /bound/.test(e.message))!.t;
    expect(boundAt).toBeGreaterThanOrEqual(20_000);
  });

  it('stays in low power and says so when the PSE cannot cover the request', () => {
    const { lab, ready } = boot({ seed: 2, pseBudgetMw: 9_000 });
    expect(ready).toBe(true);
    const phone = lab.phones[0].board;
    expect(phone.pd.lowPower()).toBe(true);
    expect(phone.display.lines[3]).toBe('Low power');
    expect(phone.logs.some((e) => /low power/.test(e.message) && e.tag === 'boot')).toBe(true);
  });

  it('uses the static address from its settings and sends no DHCP', () => {
    const address = parseIp('10.1.100.50')!;
    const { lab, frames, ready } = boot({
      seed: 4,
      phone: { settings: { mode: 'static', address, mask: parseIp('255.255.255.0')!, gateway: parseIp('10.1.100.1')!, dnsServers: [], tftpServers: [parseIp('10.1.100.1')!] } },
    });
    expect(ready).toBe(true);
    expect(frames.filter((f) => f.udp !== null && (f.udp.dstPort === 67 || f.udp.dstPort === 68))).toHaveLength(0);
    expect(lab.phones[0].board.display.lines[1]).toBe(`IP ${ipToString(address)} VLAN 100`);
    expect(bootLog(lab, /^TFTP servers: 10\.1\.100\.1 \(static\)/).length).toBe(1);
  });

  it('keeps its lease in the preferences and asks for it again after a reset (INIT-REBOOT)', () => {
    const { lab, frames, ready } = boot({ seed: 9 });
    expect(ready).toBe(true);
    const first = lab.phones[0].board.display.lines[1];
    const before = frames.length;
    lab.phones[0].board.reset('requested');
    lab.sched.runFor(60_000);
    const again = dhcpFrom(frames.slice(before), lab.phones[0].port);
    // INIT-REBOOT: the stored lease is asked for again, and granted: same address.
    expect(again.length).toBeGreaterThan(0);
    expect(lab.phones[0].board.logs.some((e) => /INIT-REBOOT/.test(e.message))).toBe(true);
    expect(lab.phones[0].board.display.lines[1]).toBe(first);
  });

  it('is deterministic: the same seed gives the same capture, byte for byte', () => {
    const a = boot({ seed: 11, pcap: true }).lab.pcap!.toBytes();
    const b = boot({ seed: 11, pcap: true }).lab.pcap!.toBytes();
    const c = boot({ seed: 12, pcap: true }).lab.pcap!.toBytes();
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    expect(Buffer.compare(Buffer.from(a), Buffer.from(c))).not.toBe(0);
  });

  it('with the admin VLAN set, sends one DISCOVER (link-up does not start DHCP twice)', () => {
    const { lab, frames, ready } = boot({ seed: 21, phone: { settings: { adminVlan: 100 } } });
    expect(ready).toBe(true);
    const types = dhcpTypes(frames, lab.phones[0].port);
    expect(types.filter((t) => t === dhcpWire.DHCPDISCOVER)).toHaveLength(1);
    expect(types.slice(0, 2)).toEqual([dhcpWire.DHCPDISCOVER, dhcpWire.DHCPREQUEST]);
    expect(bootLog(lab, /^voice VLAN 100 \(admin/).length).toBe(1);
  });

  it('with the admin VLAN and a stored lease, asks for it by INIT-REBOOT and sends no DISCOVER', () => {
    const { lab, frames, ready } = boot({ seed: 22, phone: { settings: { adminVlan: 100 } } });
    expect(ready).toBe(true);
    const first = lab.phones[0].board.display.lines[1];
    const before = frames.length;
    lab.phones[0].board.reset('requested');
    lab.sched.runFor(60_000);
    const after = frames.slice(before);
    const types = dhcpTypes(after, lab.phones[0].port);
    expect(types.length).toBeGreaterThan(0);
    expect(types).not.toContain(dhcpWire.DHCPDISCOVER);
    const req = dhcpWire.parse(dhcpFrom(after, lab.phones[0].port)[0].payload);
    expect(req.ok && req.value.messageType === dhcpWire.DHCPREQUEST && req.value.requestedIp !== null && req.value.serverId === null).toBe(true);
    expect(lab.phones[0].board.display.lines[1]).toBe(first);
  });

  it('keeps one LLDP chassis ID (its MAC) before and after it has an address', () => {
    const { lab, frames, ready } = boot({ seed: 23 });
    expect(ready).toBe(true);
    lab.sched.runFor(120_000);
    const port = lab.phones[0].port;
    const ids = new Set<string>();
    let n = 0;
    for (const f of frames) {
      if (f.inPort !== port || !lldp.isLldpFrame(f.bytes)) continue;
      const r = lldp.parseFrame(f.bytes);
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      n++;
      ids.add(`${r.value.repr.chassisIdSubtype}:${Buffer.from(r.value.repr.chassisId).toString('hex')}`);
    }
    expect(n).toBeGreaterThan(3);
    expect([...ids]).toEqual([`${lldp.CHASSIS_MAC}:${Buffer.from(lab.phones[0].board.nic.mac()).toString('hex')}`]);
  });
});
