import { describe, it, expect } from 'vitest';
import {
  defaultNetworkSettings, validateNetworkSettings, staticLease, tftpCandidates,
  encodeNetworkSettings, decodeNetworkSettings, NetworkSettings, isContiguousMask,
} from '../../../firmware/netconfig';
import { encodeLease, decodeLease, describeLease, Lease, INFINITE_LEASE } from '../../../firmware/dhcp/lease';
import { ip } from './helpers';

function staticSettings(): NetworkSettings {
  const s = defaultNetworkSettings();
  s.mode = 'static';
  s.address = ip('10.1.110.20');
  s.mask = ip('255.255.255.0');
  s.gateway = ip('10.1.110.1');
  s.dnsServers = [ip('10.1.0.53')];
  s.domain = 'voice.example';
  s.tftpServers = [ip('10.1.0.10'), ip('10.1.0.11')];
  return s;
}

function dhcpLease(): Lease {
  return {
    source: 'dhcp', address: ip('10.0.0.50'), mask: ip('255.255.255.0'), gateway: ip('10.0.0.254'),
    routers: [ip('10.0.0.254'), ip('10.0.0.253')], dnsServers: [ip('10.0.0.1')], domain: 'voice.example',
    ntpServers: [ip('10.0.0.3')], tftpServers: [ip('10.0.0.1'), ip('10.0.0.2')], tftpServerName: 'tftp.voice.example',
    serverId: ip('10.0.0.1'), nextServer: ip('10.0.0.9'), leaseSecs: 86400, t1Secs: 43200, t2Secs: 75600,
    acquiredAtMs: 0,
  };
}

describe('Lease record', () => {
  it('round-trips through its byte encoding', () => {
    const l = dhcpLease();
    const d = decodeLease(encodeLease(l));
    expect(d).toEqual({ ok: true, value: l });
    expect(describeLease(l)).toBe('10.0.0.50/24 gw 10.0.0.254 via dhcp from 10.0.0.1, 86400 s');
  });

  it('rejects every truncation and a trailing byte without throwing', () => {
    const b = encodeLease(dhcpLease());
    for (let n = 0; n < b.length; n++) expect(decodeLease(b.subarray(0, n)).ok).toBe(false);
    const longer = new Uint8Array(b.length + 1);
    longer.set(b);
    expect(decodeLease(longer).ok).toBe(false);
    const badFormat = b.slice();
    badFormat[0] = 9;
    expect(decodeLease(badFormat)).toMatchObject({ ok: false, error: 'unsupported' });
  });
});

describe('NetworkSettings', () => {
  it('defaults to DHCP and validates', () => {
    const s = defaultNetworkSettings();
    expect(s.mode).toBe('dhcp');
    expect(validateNetworkSettings(s).ok).toBe(true);
  });

  it.each([
    ['non-contiguous mask', (s: NetworkSettings) => { s.mask = ip('255.0.255.0'); }],
    ['network address', (s: NetworkSettings) => { s.address = ip('10.1.110.0'); }],
    ['broadcast address', (s: NetworkSettings) => { s.address = ip('10.1.110.255'); }],
    ['gateway off subnet', (s: NetworkSettings) => { s.gateway = ip('10.2.0.1'); }],
    ['loopback address', (s: NetworkSettings) => { s.address = ip('127.0.0.2'); s.gateway = 0; s.mask = ip('255.0.0.0'); }],
    ['no TFTP server in static mode', (s: NetworkSettings) => { s.tftpServers = []; }],
    ['admin VLAN 4095', (s: NetworkSettings) => { s.adminVlan = 4095; }],
    ['four DNS servers', (s: NetworkSettings) => { s.dnsServers = [1, 2, 3, 4].map((i) => ip('10.0.0.' + i)); }],
    ['multicast DNS server', (s: NetworkSettings) => { s.dnsServers = [ip('224.0.0.1')]; }],
  ])('rejects a static configuration with %s', (_n, mutate) => {
    const s = staticSettings();
    mutate(s);
    expect(validateNetworkSettings(s).ok).toBe(false);
    expect(staticLease(s, 0).ok).toBe(false);
  });

  it('isContiguousMask', () => {
    expect(isContiguousMask(ip('255.255.255.0'))).toBe(true);
    expect(isContiguousMask(ip('255.255.255.255'))).toBe(true);
    expect(isContiguousMask(ip('255.255.0.255'))).toBe(false);
    expect(isContiguousMask(0)).toBe(false);
  });

  it('static mode gives the same Lease shape as DHCP, infinite, no server', () => {
    const r = staticLease(staticSettings(), 1234);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      source: 'static', address: ip('10.1.110.20'), gateway: ip('10.1.110.1'), routers: [ip('10.1.110.1')],
      dnsServers: [ip('10.1.0.53')], tftpServers: [ip('10.1.0.10'), ip('10.1.0.11')], serverId: 0,
      leaseSecs: INFINITE_LEASE, acquiredAtMs: 1234,
    });
    expect(staticLease(defaultNetworkSettings(), 0)).toMatchObject({ ok: false, error: 'refused' });
  });

  it('round-trips through bytes with and without a last lease; truncations fail cleanly', () => {
    const a = staticSettings();
    a.adminVlan = 110;
    a.alternateTftp = true;
    expect(decodeNetworkSettings(encodeNetworkSettings(a))).toEqual({ ok: true, value: a });
    const b = defaultNetworkSettings();
    b.lastLease = dhcpLease();
    const bytes = encodeNetworkSettings(b);
    expect(decodeNetworkSettings(bytes)).toEqual({ ok: true, value: b });
    for (let n = 0; n < bytes.length; n++) expect(decodeNetworkSettings(bytes.subarray(0, n)).ok).toBe(false);
  });
});

describe('TFTP server order (boot step 5)', () => {
  it('150 list, then 66 (name to resolve), then the configured servers, then siaddr', () => {
    const s = defaultNetworkSettings();
    s.tftpServers = [ip('10.9.9.9')];
    expect(tftpCandidates(dhcpLease(), s)).toEqual([
      { ip: ip('10.0.0.1'), name: '', source: 'option150' },
      { ip: ip('10.0.0.2'), name: '', source: 'option150' },
      { ip: 0, name: 'tftp.voice.example', source: 'option66' },
      { ip: ip('10.9.9.9'), name: '', source: 'static' },
      { ip: ip('10.0.0.9'), name: '', source: 'siaddr' },
    ]);
  });

  it('option 66 as a dotted quad is an address; duplicates are dropped', () => {
    const l = dhcpLease();
    l.tftpServers = [];
    l.tftpServerName = '10.0.0.1';
    l.nextServer = ip('10.0.0.1');
    expect(tftpCandidates(l, defaultNetworkSettings())).toEqual([{ ip: ip('10.0.0.1'), name: '', source: 'option66' }]);
  });

  it('Alternate TFTP puts the configured servers first', () => {
    const s = defaultNetworkSettings();
    s.tftpServers = [ip('10.9.9.9')];
    s.alternateTftp = true;
    expect(tftpCandidates(dhcpLease(), s)[0]).toEqual({ ip: ip('10.9.9.9'), name: '', source: 'alternate' });
  });

  it('static lease: only the configured servers', () => {
    const s = staticSettings();
    const l = staticLease(s, 0);
    if (!l.ok) throw new Error(l.detail);
    expect(tftpCandidates(l.value, s).map((c) => c.ip)).toEqual([ip('10.1.0.10'), ip('10.1.0.11')]);
  });
});
