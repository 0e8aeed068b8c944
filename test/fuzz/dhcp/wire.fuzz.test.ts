/**
 * The DHCP codec (firmware/dhcp/wire.ts) and the lease record (firmware/dhcp/lease.ts) under
 * the shared property (test/fuzz/property.ts): parse never throws on arbitrary bytes, on
 * mutations of the reference capture's messages or on a valid header followed by random
 * options (overload included); a failure is one of the codec's typed errors; what parses
 * re-emits to the same Repr; and any generated Repr emits and parses back to itself.
 */
import fc from 'fast-check';
import * as dhcp from '../../../firmware/dhcp/wire';
import { encodeLease, decodeLease, MAX_LIST, type Lease } from '../../../firmware/dhcp/lease';
import { HAVE_FIXTURES, fixtureDhcpPayloads } from '../../unit/dhcp/helpers';
import { fuzzCodec, emitter, type Codec } from '../property';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const addrs = fc.array(u32, { minLength: 0, maxLength: dhcp.MAX_ADDRESSES });
// Text options lose trailing NULs on parse and stop nothing else: generate without NULs.
const text = fc.string({ minLength: 1, maxLength: 60, unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)) });
const knownCodes = new Set([0, 1, 3, 6, 12, 15, 42, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 66, 150, 255]);
const extraCode = fc.integer({ min: 1, max: 254 }).filter((c) => !knownCodes.has(c));

const repr = fc.record({
  op: fc.constantFrom(1, 2), hops: fc.integer({ min: 0, max: 255 }), xid: u32,
  secs: fc.integer({ min: 0, max: 0xffff }), broadcast: fc.boolean(),
  ciaddr: u32, yiaddr: u32, siaddr: u32, giaddr: u32,
  chaddr: fc.uint8Array({ minLength: 6, maxLength: 6 }),
  sname: fc.string({ maxLength: 20, unit: fc.constantFrom('a', 'b', '.', '-', '1') }),
  file: fc.string({ maxLength: 40, unit: fc.constantFrom('S', 'E', 'P', '.', 'x') }),
  messageType: fc.integer({ min: 1, max: 8 }),
  subnetMask: fc.option(u32), routers: addrs, dnsServers: addrs, hostName: fc.option(text),
  domainName: fc.option(text), ntpServers: addrs, requestedIp: fc.option(u32), leaseTime: fc.option(u32),
  serverId: fc.option(u32), parameterRequestList: fc.option(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 20 })),
  message: fc.option(text), maxMessageSize: fc.option(fc.integer({ min: 0, max: 0xffff })),
  renewalTime: fc.option(u32), rebindingTime: fc.option(u32),
  vendorClass: fc.option(fc.string({ minLength: 1, maxLength: 300, unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)) })),
  clientId: fc.option(fc.uint8Array({ minLength: 2, maxLength: 20 })),
  tftpServerName: fc.option(text), tftpServers: addrs,
  extra: fc.uniqueArray(fc.record({ code: extraCode, data: fc.uint8Array({ maxLength: 40 }) }), { maxLength: 5, selector: (o) => o.code }),
}) as fc.Arbitrary<dhcp.DhcpRepr>;

/** A valid BOOTP header and cookie, then random options (sname and file random too, for overload). */
const headerThenOptions = fc.tuple(fc.uint8Array({ maxLength: 400 }), fc.uint8Array({ minLength: 192, maxLength: 192 }))
  .map(([opts, snameFile]) => {
    const b = new Uint8Array(240 + opts.length);
    b.set([2, 1, 6, 0], 0);
    b.set(snameFile, 44);
    b.set([0x63, 0x82, 0x53, 0x63], 236);
    b.set(opts, 240);
    return b;
  });

/** A DISCOVER like the phone's, for a checkout without the reference captures. */
const SAMPLE: dhcp.DhcpRepr = {
  op: 1, hops: 0, xid: 0x1234, secs: 0, broadcast: false, ciaddr: 0, yiaddr: 0, siaddr: 0, giaddr: 0,
  chaddr: new Uint8Array([0, 0x1e, 0x4a, 1, 2, 3]), sname: '', file: '', messageType: 1, subnetMask: null,
  routers: [], dnsServers: [], hostName: null, domainName: null, ntpServers: [], requestedIp: null, leaseTime: null,
  serverId: null, parameterRequestList: [1, 3, 6, 150], message: null, maxMessageSize: 1500, renewalTime: null,
  rebindingTime: null, vendorClass: 'Cisco Systems, Inc. IP Phone CP-7942G', clientId: null, tftpServerName: null,
  tftpServers: [], extra: [],
};

const dhcpCodec: Codec<dhcp.DhcpRepr> = {
  name: 'dhcp', parse: dhcp.parse, errors: ['truncated', 'malformed', 'unsupported', 'too-large'],
  emit: emitter(dhcp.bufferLen, dhcp.emit), maxLength: 700,
  seeds: HAVE_FIXTURES ? fixtureDhcpPayloads() : [dhcp.encode(SAMPLE)],
  inputs: headerThenOptions,
  reprs: repr,
};

const addrList = fc.array(u32, { maxLength: MAX_LIST });
const ascii = fc.string({ maxLength: 40, unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)) });
const lease: fc.Arbitrary<Lease> = fc.record({
  source: fc.constantFrom('dhcp' as const, 'static' as const), address: fc.integer({ min: 1, max: 0xffffffff }), mask: u32,
  gateway: u32, routers: addrList, dnsServers: addrList, domain: ascii, ntpServers: addrList, tftpServers: addrList,
  tftpServerName: ascii, serverId: u32, nextServer: u32, leaseSecs: u32, t1Secs: u32, t2Secs: u32, acquiredAtMs: fc.constant(0),
});

const leaseCodec: Codec<Lease> = {
  name: 'lease record', parse: decodeLease, errors: ['truncated', 'malformed', 'unsupported'],
  emit: encodeLease, maxLength: 200, truncated: 'truncated',
  exact: true, // one encoding per lease: lists and strings are length-prefixed, nothing trails
  seeds: [encodeLease({ source: 'dhcp', address: 0x0a4d006e, mask: 0xffffff00, gateway: 0x0a4d0001, routers: [0x0a4d0001],
    dnsServers: [0x0a4d0001, 0x08080808], domain: 'lab.example', ntpServers: [], tftpServers: [0x0a4d0005, 0x0a4d0006],
    tftpServerName: '10.77.0.5', serverId: 0x0a4d0001, nextServer: 0, leaseSecs: 3600, t1Secs: 1800, t2Secs: 3150, acquiredAtMs: 0 }),
  encodeLease({ source: 'static', address: 0xc0a80132, mask: 0xffffff00, gateway: 0, routers: [], dnsServers: [], domain: '',
    ntpServers: [], tftpServers: [0xc0a80101], tftpServerName: '', serverId: 0, nextServer: 0, leaseSecs: 0xffffffff,
    t1Secs: 0xffffffff, t2Secs: 0xffffffff, acquiredAtMs: 0 })],
  reprs: lease,
};

fuzzCodec(dhcpCodec, 0xd4c0);
fuzzCodec(leaseCodec, 0x1ea5);
