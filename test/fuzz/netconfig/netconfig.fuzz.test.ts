/**
 * The network settings record (firmware/netconfig.ts, kept in the preferences) under the
 * shared property (test/fuzz/property.ts): decode never throws on arbitrary or mutated
 * records, a failure is a typed error (the nested last lease's included), what decodes
 * encodes back to the same settings, and any valid settings encode and decode to themselves.
 */
import fc from 'fast-check';
import {
  decodeNetworkSettings, encodeNetworkSettings, defaultNetworkSettings, validateNetworkSettings, MAX_DNS, MAX_TFTP,
  type NetworkSettings,
} from '../../../firmware/netconfig';
import { MAX_LIST, type Lease } from '../../../firmware/dhcp/lease';
import { fuzzCodec, type Codec } from '../property';

const LEASE: Lease = {
  source: 'dhcp', address: 0x0a4d006e, mask: 0xffffff00, gateway: 0x0a4d0001, routers: [0x0a4d0001],
  dnsServers: [0x0a4d0001], domain: 'lab.example', ntpServers: [], tftpServers: [0x0a4d0005], tftpServerName: '',
  serverId: 0x0a4d0001, nextServer: 0, leaseSecs: 3600, t1Secs: 1800, t2Secs: 3150, acquiredAtMs: 0,
};

function settings(over: Partial<NetworkSettings>): NetworkSettings {
  return { ...defaultNetworkSettings(), ...over };
}

const SEEDS = [
  settings({}),
  settings({ lastLease: LEASE, adminVlan: 110, tftpServers: [0x0a4d0005], alternateTftp: true }),
  settings({ mode: 'static', address: 0xc0a80132, mask: 0xffffff00, gateway: 0xc0a80101, dnsServers: [0xc0a80101, 0x08080808],
    domain: 'example.net', tftpServers: [0xc0a80105, 0xc0a80106] }),
].map(encodeNetworkSettings);

const u32 = fc.integer({ min: 0, max: 0xffffffff });
/** An address validateNetworkSettings takes for a server: not 0/8, 127/8 or multicast and up. */
const host = fc.tuple(fc.integer({ min: 1, max: 223 }).filter((t) => t !== 127), fc.integer({ min: 0, max: 0xffffff }))
  .map(([top, low]) => ((top << 24) | low) >>> 0);
const text = fc.string({ maxLength: 30, unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
const lease: fc.Arbitrary<Lease> = fc.record({
  source: fc.constant('dhcp' as const), address: fc.integer({ min: 1, max: 0xffffffff }), mask: u32, gateway: u32,
  routers: fc.array(u32, { maxLength: MAX_LIST }), dnsServers: fc.array(u32, { maxLength: MAX_LIST }), domain: text,
  ntpServers: fc.array(u32, { maxLength: MAX_LIST }), tftpServers: fc.array(u32, { maxLength: MAX_LIST }), tftpServerName: text,
  serverId: u32, nextServer: u32, leaseSecs: u32, t1Secs: u32, t2Secs: u32, acquiredAtMs: fc.constant(0),
});

/** Valid settings, built so that validation passes (a filter would reject nearly every static draw). */
const valid: fc.Arbitrary<NetworkSettings> = fc.record({
  static: fc.boolean(), prefix: fc.integer({ min: 8, max: 30 }), net: host, hostPick: fc.nat(), gwPick: fc.option(fc.nat()),
  dnsServers: fc.array(host, { maxLength: MAX_DNS }), domain: text, tftp: fc.array(host, { minLength: 0, maxLength: MAX_TFTP }),
  alternate: fc.boolean(), adminVlan: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4094 })), lastLease: fc.option(lease),
}).map((g) => {
  const mask = (0xffffffff << (32 - g.prefix)) >>> 0;
  const span = 2 ** (32 - g.prefix) - 2;
  const net = (g.net & mask) >>> 0;
  const address = (net + 1 + (g.hostPick % span)) >>> 0;
  let gateway = g.gwPick === null ? 0 : (net + 1 + (g.gwPick % span)) >>> 0;
  if (gateway === address) gateway = 0;
  const tftpServers = g.static && g.tftp.length === 0 ? [0x0a000005] : g.tftp;
  const s: NetworkSettings = {
    mode: g.static ? 'static' : 'dhcp', address: g.static ? address : 0, mask: g.static ? mask : 0, gateway: g.static ? gateway : 0,
    dnsServers: g.dnsServers, domain: g.domain, tftpServers, alternateTftp: g.alternate && tftpServers.length > 0,
    adminVlan: g.adminVlan, lastLease: g.lastLease,
  };
  const v = validateNetworkSettings(s);
  if (!v.ok) throw new Error('generator made invalid settings: ' + v.detail);
  return s;
});

const netconfigCodec: Codec<NetworkSettings> = {
  name: 'network settings record', parse: decodeNetworkSettings,
  errors: ['truncated', 'malformed', 'unsupported', 'too-large'],
  emit: encodeNetworkSettings, maxLength: 300, seeds: SEEDS, reprs: valid,
};

fuzzCodec(netconfigCodec, 0x0e7c);
