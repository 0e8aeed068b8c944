/**
 * A small lab for the DHCP sim tests: a SimSwitch, hosts made of a SimNic + the firmware's
 * NetInterface on virtual time, and the lab DHCP server with one pool per VLAN.
 *
 *   port 0: the phone (access VLAN 1, voice VLAN 110, optional loss on its cable)
 *   port 1: the server's voice-VLAN leg (access VLAN 110)   10.1.110.1/24
 *   port 2: the server's data-VLAN leg  (access VLAN 1)     10.1.1.1/24
 *   port 3: a spare host (e.g. one that squats on an address)
 */
import { Scheduler } from '../../../hal/sim/scheduler';
import { SimNic, type LinkOptions } from '../../../hal/sim/ether';
import { SimSwitch } from '../../../hal/sim/switch';
import { PcapWriter, attachPcap } from '../../../hal/sim/pcap';
import type { Entropy } from '../../../hal/entropy';
import { simHostHal } from '../../../hal/sim/host';
import type { Clock } from '../../../hal/clock';
import { NetInterface } from '../../../firmware/net/iface';
import { LabDhcpServer, type DhcpPoolConfig, type DhcpMisbehaviour } from '../../../tools/lab/dhcp-server';
import { parseIp } from '../../../lib/bytes';

export function ip(t: string): number {
  const v = parseIp(t);
  if (v === null) throw new Error(t);
  return v;
}

export const VOICE_VLAN = 110;
export const PHONE_MAC = new Uint8Array([0x00, 0x1e, 0x4a, 0x12, 0x34, 0x56]);

export function voicePool(over: Partial<DhcpPoolConfig> = {}): DhcpPoolConfig {
  return {
    name: 'voice', vlan: VOICE_VLAN, serverIp: ip('10.1.110.1'), subnet: ip('10.1.110.0'), mask: ip('255.255.255.0'),
    rangeStart: ip('10.1.110.100'), rangeEnd: ip('10.1.110.199'), leaseSecs: 3600,
    routers: [ip('10.1.110.1')], dnsServers: [ip('10.1.110.1')], domain: 'voice.example',
    tftpServers: [ip('10.1.110.5'), ip('10.1.110.6')], tftpServerName: 'tftp.voice.example', ...over,
  };
}

export function dataPool(over: Partial<DhcpPoolConfig> = {}): DhcpPoolConfig {
  return {
    name: 'data', vlan: 1, serverIp: ip('10.1.1.1'), subnet: ip('10.1.1.0'), mask: ip('255.255.255.0'),
    rangeStart: ip('10.1.1.100'), rangeEnd: ip('10.1.1.199'), leaseSecs: 3600,
    routers: [ip('10.1.1.1')], dnsServers: [], ...over,
  };
}

export interface Host {
  nic: SimNic;
  iface: NetInterface;
  entropy: Entropy;
  clock: Clock;
  logs: string[];
}

export function makeHost(sched: Scheduler, mac: Uint8Array, label: string): Host {
  const logs: string[] = [];
  const nic = new SimNic(sched, mac);
  const hal = simHostHal(sched, nic, { label, log: (_l, tag, m) => { logs.push(tag + ': ' + m); } });
  const iface = new NetInterface(hal);
  const entropy = hal.entropy;
  const clock = hal.clock;
  return { nic, iface, entropy, clock, logs };
}

export interface LabOpts {
  seed?: number;
  phoneCable?: LinkOptions;
  voice?: Partial<DhcpPoolConfig>;
  misbehave?: DhcpMisbehaviour;
}

export function makeLab(o: LabOpts = {}) {
  const sched = new Scheduler(o.seed ?? 1);
  const sw = new SimSwitch(sched, { ports: 4, name: 'sw' });
  const pcap = new PcapWriter();
  attachPcap(sw, pcap);
  sw.setAccessVlan(0, 1);
  sw.setVoiceVlan(0, VOICE_VLAN);
  sw.setAccessVlan(1, VOICE_VLAN);
  sw.setAccessVlan(2, 1);
  sw.setAccessVlan(3, VOICE_VLAN);
  const phone = makeHost(sched, PHONE_MAC, 'phone');
  sw.connect(0, phone.nic, o.phoneCable ?? {});
  const srvVoice = makeHost(sched, new Uint8Array([0x02, 0, 0, 0, 0, 0x01]), 'srv-voice');
  const srvData = makeHost(sched, new Uint8Array([0x02, 0, 0, 0, 0, 0x02]), 'srv-data');
  sw.connect(1, srvVoice.nic);
  sw.connect(2, srvData.nic);
  const vp = voicePool(o.voice);
  const dp = dataPool();
  srvVoice.iface.setAddress(vp.serverIp, vp.mask, 0);
  srvData.iface.setAddress(dp.serverIp, dp.mask, 0);
  const server = new LabDhcpServer(() => sched.now());
  const voice = server.attach(srvVoice.iface, vp, o.misbehave ?? {});
  const data = server.attach(srvData.iface, dp);
  /** UDP 67/68 frames seen on the switch, with VLAN and direction. */
  const dhcpFrames: { t: number; inPort: number | null; vlan: number | null; srcPort: number }[] = [];
  sw.tap((frame, inPort, outPort, t) => {
    if (outPort !== null) return;   // ingress and switch-originated only: each frame once
    let at = 12;
    let vlan: number | null = null;
    if (frame[12] === 0x81 && frame[13] === 0x00) { vlan = ((frame[14] << 8) | frame[15]) & 0xfff; at = 16; }
    if (frame[at] !== 0x08 || frame[at + 1] !== 0x00) return;
    const ipAt = at + 2;
    if (frame[ipAt + 9] !== 17) return;
    const u = ipAt + (frame[ipAt] & 15) * 4;
    const sp = (frame[u] << 8) | frame[u + 1];
    const dp2 = (frame[u + 2] << 8) | frame[u + 3];
    if ((sp === 67 || sp === 68) && (dp2 === 67 || dp2 === 68)) dhcpFrames.push({ t, inPort, vlan, srcPort: sp });
  });
  return { sched, sw, pcap, phone, srvVoice, srvData, server, voice, data, dhcpFrames };
}
