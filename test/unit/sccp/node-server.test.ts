// The lab CallManager on real loopback sockets (node:net, nodeClock): the same server the
// sim uses, reached by the phone's session through a real TCP socket. Waits are for
// events, not for time.
import { describe, it, expect } from 'vitest';
import * as net from 'node:net';
import { DeviceDb } from '../../../tools/lab/callmanager/devices';
import { SccpServer } from '../../../tools/lab/callmanager/sccp-server';
import { nodeClock, nodeListener } from '../../../tools/lab/callmanager/node';
import { SccpClient, type SccpEvent } from '../../../firmware/callmanager/sccp/client';
import { SccpLink } from '../../../firmware/callmanager/sccp/link';

describe('lab CallManager on node:net', () => {
  it('a phone session registers, gets its load ID, and unregisters over a real socket', async () => {
    const clock = nodeClock();
    const db = new DeviceDb({ devices: [{ name: 'SEP001E4A123456', lines: [{ dn: '1001' }], loadId: 'SCCP42.9-4-2SR3' }] });
    const server = new SccpServer({ clock, db, name: 'cm1' });
    const listener = nodeListener(0, '127.0.0.1');
    server.listen(listener);
    server.start();
    const addr = await listener.ready();
    const events: SccpEvent[] = [];
    let notify = () => {};
    const client = new SccpClient({ mac: new Uint8Array([0, 0x1e, 0x4a, 0x12, 0x34, 0x56]), ip: 0x7f000001, deviceType: 434, loadInfo: 'SCCP42.9-3-1SR1-1S' });
    const link = new SccpLink(clock, client, (e) => { events.push(e); notify(); });
    const until = (kind: SccpEvent['kind']) => new Promise<void>((resolve) => {
      notify = () => { if (events.some((e) => e.kind === kind)) resolve(); };
      notify();
    });
    const sock = net.connect(addr.port, '127.0.0.1');
    sock.on('connect', () => link.connected({ write: (b) => { sock.write(b); return true; }, close: () => sock.end() }));
    sock.on('data', (d) => link.data(new Uint8Array(d.buffer, d.byteOffset, d.length)));
    sock.on('close', () => link.closed());
    await until('version');
    expect(events.find((e) => e.kind === 'registered')).toMatchObject({ lines: [{ dn: '1001' }] });
    expect(events.find((e) => e.kind === 'version')).toEqual({ kind: 'version', loadId: 'SCCP42.9-4-2SR3' });
    expect(server.sessions().map((s) => s.device?.name)).toEqual(['SEP001E4A123456']);
    link.stop();
    await until('stopped');
    expect(events.at(-1)).toEqual({ kind: 'stopped', acked: true });
    expect(server.events.at(-1)).toEqual({ kind: 'unregistered', name: 'SEP001E4A123456' });
    server.stop('close');
  });
});
