/**
 * The phone's DHCP client (firmware stack, simulated switch, voice VLAN 110) against real
 * Linux DHCP servers in a namespace, through the socat TAP bridge (tools/bridge):
 * dnsmasq with options 150 and 66 (its option 66 ends in a NUL), isc-dhcp-server with
 * `option cisco-tftp code 150 = array of ip-address`, and Kea bound to one address
 * ("br0/ADDR", interop.md section 2: otherwise one OFFER per address on br0).
 * Root only; skipped with the reason elsewhere. CI installs dnsmasq, isc-dhcp-server,
 * kea-dhcp4-server, socat, iproute2, tshark.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { createBridge, type Bridge } from '../../../tools/bridge/index';
import { skipInterop, startDnsmasq, tsharkReport, tempDir, type TempDir } from '../harness/index';
import { simHostHal } from '../../../hal/sim/host';
import { NetInterface } from '../../../firmware/net/iface';
import { DhcpService } from '../../../firmware/dhcp/service';
import type { DhcpEvent } from '../../../firmware/dhcp/client';
import { parseIp, ipToString } from '../../../lib/bytes';

const VLAN = 110;
const ip = (t: string): number => parseIp(t)!;

interface Phone {
  svc: DhcpService;
  iface: NetInterface;
  events: DhcpEvent[];
  log: string[];
}

function startPhone(br: Bridge): Promise<Phone> {
  return new Promise((resolve) => {
    br.driver.inject(() => {
      const log: string[] = [];
      const hal = simHostHal(br.sched, br.phoneEth, { label: 'phone', log: (_l, t, m) => { log.push(t + ': ' + m); } });
      const { clock, entropy } = hal;
      const iface = new NetInterface(hal);
      iface.setVlan(VLAN, 5);
      const events: DhcpEvent[] = [];
      const svc = new DhcpService(iface, clock, entropy, {
        mac: br.phoneMac, model: '7942G', onEvent: (e) => events.push(e), log: (l) => log.push(l),
      });
      svc.start(null);
      resolve({ svc, iface, events, log });
    });
  });
}

/** Poll (real time) until `cond` or fail after `ms` with `what`. */
async function until(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out: ' + what());
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function voiceBridge(): Promise<Bridge> {
  return createBridge({
    mode: 'switch',
    lab: { segments: [{ address: '10.77.0.1/24' }, { vlan: VLAN, address: '10.77.110.1/24' }] },
  });
}

async function bindAndCheck(br: Bridge, tmp: TempDir, expectNamed66: string, serverLog: () => string): Promise<Phone> {
  const p = await startPhone(br);
  await until(() => p.svc.client.state() === 'BOUND', 40_000,
    () => `phone state ${p.svc.client.state()}\n${p.log.join('\n')}\nserver:\n${serverLog()}`);
  const lease = p.svc.client.currentLease()!;
  expect(ipToString((lease.address & 0xffffff00) >>> 0)).toBe('10.77.110.0');
  expect(lease.serverId).toBe(ip('10.77.110.1'));
  expect(lease.tftpServers).toEqual([ip('10.77.110.5'), ip('10.77.110.6')]);
  expect(lease.tftpServerName).toBe(expectNamed66);   // no trailing NUL, whoever sent it
  expect(lease.gateway).toBe(ip('10.77.110.1'));
  expect(p.svc.client.counters.malformed).toBe(0);
  // Every frame the phone and the server exchanged dissects cleanly (checksums verified).
  const f = tmp.file('switch.pcap');
  br.pcap!.writeFile(f);
  const r = tsharkReport(f);
  expect(r.protocols.DHCP ?? 0).toBeGreaterThanOrEqual(4);
  expect(r.problems).toEqual([]);
  return p;
}

describe.skipIf(skipInterop('DHCP interop', ['tshark', 'dnsmasq', 'dhcpd', 'kea-dhcp4']))('DHCP: the phone against real servers on the voice VLAN', () => {
  let br: Bridge | null = null;
  let tmp: TempDir | null = null;

  afterEach(async () => {
    await br?.close();
    br = null;
    tmp?.cleanup();
    tmp = null;
  });

  it('dnsmasq with options 150 and 66 (NUL-terminated): BOUND, NUL stripped, lease on the server', async () => {
    tmp = tempDir();
    br = await voiceBridge();
    const seg = br.lab.segment(VLAN);
    const d = await startDnsmasq(br.lab, seg, tmp.path, { dnsPort: 0, lines: [
      'dhcp-range=10.77.110.100,10.77.110.150,255.255.255.0,1h',
      'dhcp-option=option:router,10.77.110.1',
      'dhcp-option=150,10.77.110.5,10.77.110.6',
      'dhcp-option=66,"10.77.110.5"',
      'dhcp-authoritative',
      'no-ping',
      'log-dhcp',
    ] });
    const p = await bindAndCheck(br, tmp, '10.77.110.5', () => d.output());
    // The NUL really was on the wire: option 66, length 12, "10.77.110.5\0".
    const wire = Buffer.from(br.pcap!.toBytes());
    expect(wire.includes(Buffer.from([66, 12, ...Buffer.from('10.77.110.5'), 0]))).toBe(true);
    const addr = ipToString(p.svc.client.currentLease()!.address);
    expect(d.output()).toMatch(new RegExp('DHCPACK\\(br0\\) ' + addr.replace(/\./g, '\\.') + ' 00:1e:4a:12:34:56'));
    // dnsmasq logs the vendor class it saw (option 60, NUL and all as the phone sent it).
    expect(d.output()).toMatch(/vendor class: Cisco Systems, Inc\. IP Phone CP-7942G/);
  });

  it('isc-dhcp-server (option cisco-tftp code 150 = array of ip-address): BOUND with both TFTP servers', async () => {
    tmp = tempDir();
    br = await voiceBridge();
    const seg = br.lab.segment(VLAN);
    const conf = tmp.file('dhcpd.conf');
    writeFileSync(conf, [
      'option cisco-tftp code 150 = array of ip-address;',
      'authoritative;',
      'default-lease-time 3600;',
      'max-lease-time 7200;',
      'ddns-update-style none;',
      'subnet 10.77.110.0 netmask 255.255.255.0 {',
      '  range 10.77.110.100 10.77.110.150;',
      '  option routers 10.77.110.1;',
      '  option domain-name "voice.example";',
      '  option tftp-server-name "tftp.voice.example";',
      '  option cisco-tftp 10.77.110.5, 10.77.110.6;',
      '  next-server 10.77.110.5;',
      '}',
      '',
    ].join('\n'));
    const leases = tmp.file('dhcpd.leases');
    writeFileSync(leases, '');
    const d = br.lab.spawn(seg.netns, 'dhcpd', ['-4', '-f', '-d', '-cf', conf, '-lf', leases, '-pf', tmp.file('dhcpd.pid'), 'br0'], 'dhcpd');
    await d.waitForOutput(/Server starting service/, 15_000);
    const p = await bindAndCheck(br, tmp, 'tftp.voice.example', () => d.output());
    expect(p.svc.client.currentLease()!.domain).toBe('voice.example');
    expect(p.svc.client.currentLease()!.nextServer).toBe(ip('10.77.110.5'));
    expect(d.output()).toMatch(/DHCPACK on 10\.77\.110\.\d+ to 00:1e:4a:12:34:56/);
  });

  it('kea-dhcp4 bound to one address of br0: exactly one OFFER per DISCOVER, BOUND', async () => {
    tmp = tempDir();
    br = await voiceBridge();
    const seg = br.lab.segment(VLAN);
    const conf = tmp.file('kea-dhcp4.conf');
    writeFileSync(conf, JSON.stringify({ Dhcp4: {
      'interfaces-config': { interfaces: ['br0/10.77.110.1'], 'dhcp-socket-type': 'raw' },
      'lease-database': { type: 'memfile', persist: false },
      'valid-lifetime': 3600,
      'option-def': [{ name: 'cisco-tftp', code: 150, space: 'dhcp4', type: 'ipv4-address', array: true }],
      subnet4: [{ id: 1, subnet: '10.77.110.0/24', pools: [{ pool: '10.77.110.100 - 10.77.110.150' }],
        'option-data': [
          { name: 'routers', data: '10.77.110.1' },
          { name: 'tftp-server-name', data: '10.77.110.5', 'always-send': true },
          { name: 'cisco-tftp', data: '10.77.110.5, 10.77.110.6', 'always-send': true },
        ] }],
      loggers: [{ name: 'kea-dhcp4', output_options: [{ output: 'stdout' }], severity: 'INFO' }],
    } }, null, 2));
    const d = br.lab.spawn(seg.netns, 'env', [`KEA_PIDFILE_DIR=${tmp.path}`, `KEA_LOCKFILE_DIR=${tmp.path}`, 'kea-dhcp4', '-c', conf], 'kea-dhcp4');
    await d.waitForOutput(/DHCP4_STARTED|DHCPSRV_CFGMGR_ADD_IFACE|server version .* started/, 20_000);
    const p = await bindAndCheck(br, tmp, '10.77.110.5', () => d.output());
    expect(p.svc.client.counters.ignored).toBe(0);   // no duplicate OFFERs from extra raw sockets
  });
});
