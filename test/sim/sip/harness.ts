/**
 * The phone's SIP registration against the lab registrar on the simulated wire: registrar
 * hosts (10.1.100.1 and .2, each a LabHost running tools/lab/sip-registrar.ts on UDP and TCP
 * 5060) and a "phone" host running only firmware/net, with SipRegister bound to it by
 * SipLink and the one Driver; a pcap of everything the switch carried.
 */
import { Scheduler } from '../../../hal/sim/scheduler';
import { SimSwitch } from '../../../hal/sim/switch';
import { PcapWriter, attachPcap } from '../../../hal/sim/pcap';
import { HostCrypto } from '../../../hal/sim/crypto-host';
import type { LinkOptions } from '../../../hal/sim/ether';
import { LabHost } from '../../../tools/lab/host';
import { SipRegistrar, simRegistrar, type SipRegistrarOptions, type SimRegistrarPort } from '../../../tools/lab/sip-registrar';
import { SipRegister, type SipEvent, type SipRegConfig, type SipTransport } from '../../../firmware/callmanager/sip/register';
import { SipLink } from '../../../firmware/callmanager/sip/link';
import { SimTls } from '../../../hal/sim/tls-sim';
import { labTrust } from '../../../tools/lab/trust';
import { parseIp } from '../../../lib/bytes';

export function ip(t: string): number {
  const v = parseIp(t);
  if (v === null) throw new Error(t);
  return v;
}

export const PHONE_IP = ip('10.1.100.100');
export const REGISTRARS = ['10.1.100.1', '10.1.100.2'];
export const USERS = [{ user: '1001', password: 'secret1001' }, { user: '1002', password: 'secret1002' }];
const MASK = ip('255.255.255.0');

export interface SipLabOptions {
  seed?: number;
  transport?: SipTransport;
  /** Registrar hosts (1 or 2). */
  registrars?: number;
  registrar?: Partial<SipRegistrarOptions>;
  client?: Partial<SipRegConfig>;
  faults?: LinkOptions;
  /** TLS: the registrars listen on 5061 with cm1's certificate; the phone pins `pin` (default cm1's). */
  pin?: Uint8Array;
}

export function makeSipLab(o: SipLabOptions = {}) {
  const sched = new Scheduler(o.seed ?? 1);
  const sw = new SimSwitch(sched, { ports: 4 });
  const pcap = new PcapWriter();
  attachPcap(sw, pcap);
  const log: string[] = [];
  const clock = sched.clock(0);
  const crypto = new HostCrypto();
  const transport = o.transport ?? 'UDP';
  const regs: Array<{ host: LabHost; reg: SipRegistrar; port: SimRegistrarPort }> = [];
  for (let i = 0; i < (o.registrars ?? 1); i++) {
    const host = new LabHost(sched, sw, i === 0 ? 0 : 2, { name: `reg${i + 1}`, mac: new Uint8Array([2, 0, 0, 0, 0, i + 1]), ip: ip(REGISTRARS[i]), mask: MASK });
    const rng = sched.rng.fork(`reg${i + 1}`);
    const reg = new SipRegistrar({
      clock, crypto, random: () => rng.u32(), realm: 'lab', users: USERS, name: `reg${i + 1}`,
      log: (l) => log.push(`${sched.now()} ${l}`), ...o.registrar,
    });
    const cm1 = labTrust().cm1;
    const tls = transport === 'TLS' ? { certPem: cm1.certPem, keyPem: cm1.keyPem, seed: 40 + i } : undefined;
    regs.push({ host, reg, port: simRegistrar(host.iface, reg, { tls }) });
  }
  const phoneHost = new LabHost(sched, sw, 1, { name: 'phone', mac: new Uint8Array([0x00, 0x1e, 0x4a, 0x12, 0x34, 0x56]), ip: PHONE_IP, mask: MASK });
  if (o.faults) sw.connect(1, phoneHost.nic, o.faults);
  const rng = sched.rng.fork('phone-sip');
  const client = new SipRegister({
    user: '1001', password: 'secret1001', displayName: 'Line 1', transport, localIp: PHONE_IP, crypto,
    random: () => rng.u32(), targets: regs.map((_, i) => ({ host: REGISTRARS[i], port: transport === 'TLS' ? 5061 : 5060 })), userAgent: 'Dialtone-test',
    ...o.client,
  });
  const events: Array<SipEvent & { at: number }> = [];
  const pin = o.pin ?? labTrust().cm1.cert;
  const link = new SipLink(phoneHost.iface, clock, client, {
    transport, tls: new SimTls(9), pin: (der) => Buffer.compare(Buffer.from(der), Buffer.from(pin)) === 0,
  }, (e) => events.push({ ...e, at: sched.now() }));
  const has = (kind: SipEvent['kind'], n = 1) => () => events.filter((e) => e.kind === kind).length >= n;
  const of = <K extends SipEvent['kind']>(kind: K) => events.filter((e) => e.kind === kind) as Array<Extract<SipEvent, { kind: K }> & { at: number }>;
  return { sched, sw, pcap, regs, reg: regs[0].reg, phoneHost, client, link, events, log, has, of };
}
