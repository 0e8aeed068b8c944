/**
 * The SCCP session against the lab CallManager on the simulated wire: two LabHosts (the
 * CallManager and a "phone" running only firmware/net) on a SimSwitch, the phone's
 * SccpClient bound to a TCP connection through SccpLink and the one Driver, a pcap of
 * everything the switch carried.
 */
import { Scheduler } from '../../../hal/sim/scheduler';
import { SimSwitch } from '../../../hal/sim/switch';
import { PcapWriter, attachPcap } from '../../../hal/sim/pcap';
import type { LinkOptions } from '../../../hal/sim/ether';
import { LabHost } from '../../../tools/lab/host';
import { DeviceDb, type DeviceDbOptions } from '../../../tools/lab/callmanager/devices';
import { SccpServer, simListener, type SccpServerOptions } from '../../../tools/lab/callmanager/sccp-server';
import { SccpClient, type SccpClientConfig, type SccpEvent } from '../../../firmware/callmanager/sccp/client';
import { SccpLink } from '../../../firmware/callmanager/sccp/link';
import { PORT } from '../../../firmware/callmanager/sccp/wire';
import { parseIp } from '../../../lib/bytes';
import type { TcpSocket } from '../../../firmware/net/tcp';

export function ip(t: string): number {
  const v = parseIp(t);
  if (v === null) throw new Error(t);
  return v;
}

export const CM_IP = ip('10.1.100.1');
export const PHONE_IP = ip('10.1.100.100');
export const PHONE_MAC = new Uint8Array([0x00, 0x1e, 0x4a, 0x12, 0x34, 0x56]);
export const PHONE_NAME = 'SEP001E4A123456';
/** The load the CallManager wants (SCCP Version: at most 16 characters). */
export const LOAD_ID = 'SCCP42.9-4-2SR3';
export const RUNNING_LOAD = 'SCCP42.9-3-1SR1-1S';
const MASK = ip('255.255.255.0');

export interface SccpLabOptions {
  seed?: number;
  db?: DeviceDbOptions;
  server?: Partial<SccpServerOptions>;
  client?: Partial<SccpClientConfig>;
  faults?: LinkOptions;
}

export function makeSccpLab(o: SccpLabOptions = {}) {
  const sched = new Scheduler(o.seed ?? 1);
  const sw = new SimSwitch(sched, { ports: 4 });
  const pcap = new PcapWriter();
  attachPcap(sw, pcap);
  const log: string[] = [];
  const cmHost = new LabHost(sched, sw, 0, { name: 'cm1', mac: new Uint8Array([2, 0, 0, 0, 0, 1]), ip: CM_IP, mask: MASK });
  const phoneHost = new LabHost(sched, sw, 1, { name: 'phone', mac: PHONE_MAC, ip: PHONE_IP, mask: MASK });
  if (o.faults) sw.connect(1, phoneHost.nic, o.faults);
  const db = new DeviceDb(o.db ?? { devices: [{ name: PHONE_NAME, lines: [{ dn: '1001' }, { dn: '1002', label: 'Sales' }], loadId: LOAD_ID }] });
  const clock = sched.clock(0);
  const server = new SccpServer({ clock, db, name: 'cm1', log: (l) => log.push(`${sched.now()} ${l}`), ...o.server });
  server.listen(simListener(cmHost.iface, PORT));
  server.start();

  const client = new SccpClient({
    mac: PHONE_MAC, ip: PHONE_IP, deviceType: 434, loadInfo: RUNNING_LOAD, maxLines: 2, ...o.client,
  });
  const events: Array<SccpEvent & { at: number }> = [];
  const link = new SccpLink(clock, client, (e) => events.push({ ...e, at: sched.now() }));
  const tcp = { closes: [] as string[], sock: null as TcpSocket | null };

  /** Open the TCP connection to the CallManager and register over it. */
  function connect(): void {
    const sock: TcpSocket | null = phoneHost.iface.tcpConnect(CM_IP, PORT, {
      onConnected: () => link.connected({ write: (b) => sock!.write(b) === b.length, close: () => sock!.close() }),
      onData: (d) => link.data(d),
      onClose: (r) => { tcp.closes.push(r); link.closed(); },
    });
    if (!sock) throw new Error('tcpConnect failed');
    tcp.sock = sock;
  }

  const has = (kind: SccpEvent['kind']) => () => events.some((e) => e.kind === kind);
  return { sched, sw, pcap, cmHost, phoneHost, db, server, client, link, events, log, tcp, connect, has };
}
