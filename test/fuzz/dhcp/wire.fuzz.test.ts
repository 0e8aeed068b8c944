/**
 * Property tests of the DHCP codec (fast-check, fixed seeds so CI runs are reproducible):
 * parse never throws on any bytes, emit -> parse is the identity on any valid Repr, and
 * parse -> emit -> parse is stable on mutated real messages.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import * as dhcp from '../../../firmware/dhcp/wire';
import { HAVE_FIXTURES, fixtureDhcpPayloads } from '../../unit/dhcp/helpers';

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

describe('dhcp wire fuzz', () => {
  it('parse never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 700 }), (b) => {
      const r = dhcp.parse(b);
      expect(typeof r.ok).toBe('boolean');
    }), { numRuns: 3000, seed: 42 });
  });

  it('parse never throws on a valid header followed by random option bytes (overload included)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), fc.uint8Array({ minLength: 192, maxLength: 192 }), (opts, snameFile) => {
      const b = new Uint8Array(240 + opts.length);
      b.set([2, 1, 6, 0], 0);
      b.set(snameFile, 44);
      b.set([0x63, 0x82, 0x53, 0x63], 236);
      b.set(opts, 240);
      const r = dhcp.parse(b);
      if (r.ok) {
        // Whatever parsed must emit and parse back to itself.
        expect(dhcp.parse(dhcp.encode(r.value))).toEqual(r);
      }
    }), { numRuns: 3000, seed: 7 });
  });

  it('emit -> parse is the identity on any Repr', () => {
    fc.assert(fc.property(repr, (r) => {
      const bytes = dhcp.encode(r);
      expect(bytes.length).toBe(dhcp.bufferLen(r));
      const p = dhcp.parse(bytes);
      expect(p.ok).toBe(true);
      if (!p.ok) return;
      expect(p.value).toEqual(r);
    }), { numRuns: 1500, seed: 3 });
  });

  it.skipIf(!HAVE_FIXTURES)('mutated reference messages never throw and re-emit stably', () => {
    const seeds = fixtureDhcpPayloads();
    fc.assert(fc.property(fc.integer({ min: 0, max: seeds.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.nat(), (which, flips, cut) => {
        const b = seeds[which].slice();
        for (const [at, v] of flips) b[240 + (at % (b.length - 240))] = v;
        const m = b.subarray(0, b.length - (cut % 40));
        const r = dhcp.parse(m);
        if (r.ok) expect(dhcp.parse(dhcp.encode(r.value))).toEqual(r);
      }), { numRuns: 3000, seed: 11 });
  });
});
