// Whole boots in the lab (boot steps 1, 2, 3, 4 and the TFTP choice) on virtual time: the
// real loader verifies a signed image, the firmware negotiates power, learns the voice
// VLAN, gets its address and picks its TFTP server, against the lab's switch side and
// DHCP servers. Frames are checked as the switch carried them.
import { describe, it, expect } from 'vitest';
import { Lab } from '../../../tools/lab/lab';
import type { LabOptions } from '../../../tools/lab/lab';
import { ipToString, parseIp } from '../../../firmware/util/bytes';

const READY = (lab: Lab) => () => lab.phones.every((p) => p.board.logs.some((e) => e.tag === 'boot' && e.message.endsWith('-> ready')));

interface Seen { vlan: number; ethertype: number; udpDst: number; inPort: number | null; bytes: Uint8Array }

function boot(options: LabOptions, limitMs = 300_000): { lab: Lab; frames: Seen[]; ready: boolean } {
  const lab = new Lab(options);
  const frames: Seen[] = [];
  lab.sw.tap((frame, inPort, outPort) => {
    // Ingress only: the tap reports each frame again per egress port (rewritten for its VLAN).
    if (inPort === null || outPort !== null) return;
    let at = 12;
    let vlan = 0;
    let type = (frame[12] << 8) | frame[13];
    if (type === 0x8100) {
      vlan = ((frame[14] << 8) | frame[15]) & 0xfff;
      type = (frame[16] << 8) | frame[17];
      at = 16;
    }
    let udpDst = -1;
    if (type === 0x0800 && frame[at + 2 + 9] === 17) {
      const ihl = (frame[at + 2] & 15) * 4;
      udpDst = (frame[at + 2 + ihl + 2] << 8) | frame[at + 2 + ihl + 3];
    }
    frames.push({ vlan, ethertype: type, udpDst, inPort, bytes: frame.slice() });
  });
  lab.start();
  lab.sched.run(limitMs, READY(lab));
  return { lab, frames, ready: READY(lab)() };
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
    const dhcp = frames.filter((f) => f.inPort === phonePort && f.udpDst === 67);
    expect(dhcp.length).toBeGreaterThanOrEqual(2);
    expect(dhcp.every((f) => f.vlan === 100)).toBe(true);
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
    const dhcp = frames.filter((f) => f.inPort === lab.phones[0].port && f.udpDst === 67);
    expect(dhcp.every((f) => f.vlan === 0)).toBe(true);
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
    expect(frames.filter((f) => f.udpDst === 67 || f.udpDst === 68)).toHaveLength(0);
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
    const again = frames.slice(before).filter((f) => f.inPort === lab.phones[0].port && f.udpDst === 67);
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
});
