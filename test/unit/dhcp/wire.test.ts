import { describe, it, expect } from 'vitest';
import * as dhcp from '../../../firmware/dhcp/wire';
import { asciiBytes, fromHex } from '../../../lib/bytes';
import { HAVE_FIXTURES, fixtureDhcp, fixtureDhcpPayloads, ip } from './helpers';

const MAC = new Uint8Array([0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);

/** A 240-byte BOOTREPLY header + cookie, field by field, then `options`. */
function message(options: number[], fill?: (b: Uint8Array) => void): Uint8Array {
  const b = new Uint8Array(240 + options.length);
  b[0] = 2;                       // op: BOOTREPLY
  b[1] = 1;                       // htype: Ethernet
  b[2] = 6;                       // hlen
  b[3] = 0;                       // hops
  b.set([0xde, 0xad, 0xbe, 0xef], 4);   // xid
  b.set([0x00, 0x03], 8);         // secs = 3
  b.set([0x80, 0x00], 10);        // flags: broadcast
  b.set([10, 0, 0, 50], 16);      // yiaddr 10.0.0.50
  b.set([10, 0, 0, 1], 20);       // siaddr 10.0.0.1
  b.set(MAC, 28);                 // chaddr (+10 bytes padding)
  b.set([0x63, 0x82, 0x53, 0x63], 236);   // magic cookie
  b.set(options, 240);
  if (fill) fill(b);
  return b;
}

describe('dhcp wire: reference capture (../shared/fixtures)', () => {
  it.skipIf(!HAVE_FIXTURES)('parses the phone DISCOVER with the expected fields', () => {
    const d = fixtureDhcp()[0];
    expect(d.op).toBe(dhcp.OP_BOOTREQUEST);
    expect(d.messageType).toBe(dhcp.DHCPDISCOVER);
    expect(d.xid).toBe(0x12345678);
    expect(d.broadcast).toBe(true);
    expect(Array.from(d.chaddr)).toEqual(Array.from(MAC));
    expect(d.maxMessageSize).toBe(1500);
    expect(Array.from(d.clientId!)).toEqual([1, ...MAC]);
    expect(d.hostName).toBe('SEP001122334455');
    // 38 bytes on the wire: the text and its trailing NUL, kept as sent.
    expect(d.vendorClass).toBe('Cisco Systems, Inc. IP Phone CP-7942G\u0000');
    expect(d.parameterRequestList).toEqual([1, 66, 6, 3, 15, 150, 35]);
    expect(d.ciaddr).toBe(0);
  });

  it.skipIf(!HAVE_FIXTURES)('parses the OFFER: option 150 list, 66 name, lease, mask, router, DNS, domain', () => {
    const o = fixtureDhcp()[1];
    expect(o.op).toBe(dhcp.OP_BOOTREPLY);
    expect(o.messageType).toBe(dhcp.DHCPOFFER);
    expect(o.xid).toBe(0x12345678);
    expect(o.yiaddr).toBe(ip('10.0.0.50'));
    expect(o.siaddr).toBe(ip('10.0.0.1'));
    expect(o.serverId).toBe(ip('10.0.0.1'));
    expect(o.leaseTime).toBe(86400);
    expect(o.subnetMask).toBe(ip('255.255.255.0'));
    expect(o.routers).toEqual([ip('10.0.0.254')]);
    expect(o.dnsServers).toEqual([ip('10.0.0.1')]);
    expect(o.domainName).toBe('voice.example');
    expect(o.tftpServers).toEqual([ip('10.0.0.1'), ip('10.0.0.2')]);
    expect(o.tftpServerName).toBe('tftp.voice.example');
    expect(o.extra).toEqual([]);
  });

  it.skipIf(!HAVE_FIXTURES)('round-trips both messages: parse(emit(parse(x))) == parse(x)', () => {
    const payloads = fixtureDhcpPayloads();
    for (const p of payloads) {
      const a = dhcp.parse(p);
      expect(a.ok).toBe(true);
      if (!a.ok) continue;
      const again = dhcp.parse(dhcp.encode(a.value));
      expect(again).toEqual(a);
      // Same length class as the original: header + options, end, >= 300.
      expect(dhcp.bufferLen(a.value)).toBeGreaterThanOrEqual(dhcp.MIN_MESSAGE_LEN);
    }
  });
});

describe('dhcp wire: emit', () => {
  it('writes every byte it claims (0xa5-filled buffer at an offset)', () => {
    const r = dhcp.emptyRepr(dhcp.OP_BOOTREQUEST, dhcp.DHCPREQUEST, 0xcafef00d, MAC);
    r.requestedIp = ip('10.0.0.50');
    r.serverId = ip('10.0.0.1');
    r.vendorClass = 'Cisco Systems, Inc. IP Phone CP-7942G\u0000';
    r.parameterRequestList = [1, 66, 6, 3, 15, 150, 35, 42];
    const n = dhcp.bufferLen(r);
    const buf = new Uint8Array(n + 20).fill(0xa5);
    expect(dhcp.emit(r, buf, 10)).toBe(n);
    expect(Array.from(buf.subarray(10, 10 + n))).toEqual(Array.from(dhcp.encode(r)));
    expect(buf[9]).toBe(0xa5);
    expect(buf[10 + n]).toBe(0xa5);
    // Field-level checks on the emitted bytes.
    const out = buf.subarray(10, 10 + n);
    expect(Array.from(out.subarray(0, 4))).toEqual([1, 1, 6, 0]);           // op htype hlen hops
    expect(Array.from(out.subarray(4, 8))).toEqual([0xca, 0xfe, 0xf0, 0x0d]); // xid
    expect(Array.from(out.subarray(236, 243))).toEqual([0x63, 0x82, 0x53, 0x63, 53, 1, 3]); // cookie, type
    // 240 + 53(3) + 54(6) + 50(6) + 60(40) + 55(10) + end(1)
    expect(n).toBe(306);
  });

  it('pads a short message to the 300-byte BOOTP minimum with zeros', () => {
    const r = dhcp.emptyRepr(dhcp.OP_BOOTREPLY, dhcp.DHCPNAK, 1, MAC);
    const b = dhcp.encode(r);
    expect(b.length).toBe(dhcp.MIN_MESSAGE_LEN);
    expect(Array.from(b.subarray(240, 244))).toEqual([53, 1, 6, 255]);
    expect(b.subarray(244).every((x) => x === 0)).toBe(true);
  });

  it('throws TypeError on a short buffer (programmer error)', () => {
    const r = dhcp.emptyRepr(dhcp.OP_BOOTREQUEST, dhcp.DHCPDISCOVER, 1, MAC);
    expect(() => dhcp.emit(r, new Uint8Array(100), 0)).toThrow(TypeError);
  });

  it('splits an option over 255 bytes (RFC 3396) and parse joins it again', () => {
    const r = dhcp.emptyRepr(dhcp.OP_BOOTREPLY, dhcp.DHCPACK, 7, MAC);
    const long = 'x'.repeat(300);
    r.extra = [{ code: 224, data: asciiBytes(long) }];
    const bytes = dhcp.encode(r);
    const p = dhcp.parse(bytes);
    expect(p.ok && p.value.extra[0].data.length).toBe(300);
  });
});

describe('dhcp wire: parse of hand-made vectors', () => {
  it('strips the trailing NUL dnsmasq puts on option 66', () => {
    // 53=OFFER, 66 "10.77.0.1\0" (len 10, as dnsmasq 2.90 sends it), end
    const m = message([53, 1, 2, 66, 10, 0x31, 0x30, 0x2e, 0x37, 0x37, 0x2e, 0x30, 0x2e, 0x31, 0x00, 255]);
    const p = dhcp.parse(m);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.value.tftpServerName).toBe('10.77.0.1');
    expect(p.value.secs).toBe(3);
    expect(p.value.xid).toBe(0xdeadbeef);
    expect(p.value.yiaddr).toBe(ip('10.0.0.50'));
  });

  it('accepts pads and a missing end option when the last TLV ends at the end', () => {
    const p = dhcp.parse(message([0, 0, 53, 1, 5, 0, 51, 4, 0, 0, 0x0e, 0x10]));
    expect(p.ok && p.value.leaseTime).toBe(3600);
  });

  it('stops at the end option and ignores what follows', () => {
    const p = dhcp.parse(message([53, 1, 5, 255, 51, 99]));
    expect(p.ok && p.value.leaseTime).toBe(null);
  });

  it.each([
    ['short header', new Uint8Array(239), 'truncated'],
    ['bad op', message([255], (b) => { b[0] = 3; }), 'malformed'],
    ['token ring htype', message([255], (b) => { b[1] = 6; }), 'unsupported'],
    ['no magic cookie (BOOTP)', message([255], (b) => { b[236] = 0; }), 'unsupported'],
    ['option length past the end', message([53, 1, 2, 3, 8, 10, 0, 0, 1]), 'truncated'],
    ['option without its length byte', message([53, 1, 2, 3]), 'truncated'],
    ['option 53 of length 2', message([53, 2, 2, 2, 255]), 'malformed'],
    ['option 150 of length 6', message([53, 1, 2, 150, 6, 10, 0, 0, 1, 10, 0, 255]), 'malformed'],
    ['option 51 of length 3', message([53, 1, 5, 51, 3, 0, 0, 1, 255]), 'malformed'],
    ['option 52 value 4', message([52, 1, 4, 255]), 'malformed'],
    ['empty option 66', message([53, 1, 2, 66, 0, 255]), 'malformed'],
  ])('rejects %s', (_name, bytes, code) => {
    const p = dhcp.parse(bytes as Uint8Array);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.error).toBe(code);
  });

  it('reads options from file and sname under overload 3, in RFC order, and no sname/file text', () => {
    const m = message([53, 1, 2, 52, 1, 3, 255], (b) => {
      b.set([54, 4, 10, 0, 0, 9, 255], 108);           // file: server id
      b.set([150, 4, 10, 0, 0, 7, 52, 1, 1, 255], 44); // sname: option 150, a nested 52 (ignored)
    });
    const p = dhcp.parse(m);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.value.serverId).toBe(ip('10.0.0.9'));
    expect(p.value.tftpServers).toEqual([ip('10.0.0.7')]);
    expect(p.value.sname).toBe('');
    expect(p.value.file).toBe('');
  });

  it('reads sname and file as text when not overloaded', () => {
    const m = message([53, 1, 2, 255], (b) => {
      b.set(asciiBytes('tftp-a'), 44);
      b.set(asciiBytes('SEP001122334455.cnf.xml'), 108);
    });
    const p = dhcp.parse(m);
    expect(p.ok && p.value.sname).toBe('tftp-a');
    expect(p.ok && p.value.file).toBe('SEP001122334455.cnf.xml');
  });

  it('concatenates a repeated option 150 (RFC 3396) and caps address lists', () => {
    const opts = [53, 1, 2, 150, 4, 10, 0, 0, 1, 150, 4, 10, 0, 0, 2, 6, 40];
    for (let i = 0; i < 10; i++) opts.push(10, 1, 1, i);
    opts.push(255);
    const p = dhcp.parse(message(opts));
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.value.tftpServers).toEqual([ip('10.0.0.1'), ip('10.0.0.2')]);
    expect(p.value.dnsServers.length).toBe(dhcp.MAX_ADDRESSES);
  });

  it('bounds the option table: too many distinct codes is too-large, not a crash', () => {
    const opts: number[] = [53, 1, 2];
    for (let c = 100; c < 100 + dhcp.MAX_OPTIONS + 5; c++) opts.push(c, 0);
    opts.push(255);
    const p = dhcp.parse(message(opts));
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.error).toBe('too-large');
  });

  it('keeps unknown options as data', () => {
    const p = dhcp.parse(message([53, 1, 2, 43, 3, 1, 2, 3, 255]));
    expect(p.ok && p.value.extra).toEqual([{ code: 43, data: fromHex('010203') }]);
  });
});

/** The (code, length) of every option TLV in an encoded message's options field. */
function tlvs(b: Uint8Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let i = 240;
  while (i < b.length && b[i] !== 255) {
    if (b[i] === 0) { i++; continue; }
    out.push([b[i], b[i + 1]]);
    i += 2 + b[i + 1];
  }
  return out;
}

describe('dhcp wire: text options made of NULs (issue 9, fuzz regression)', () => {
  it('treats an all-NUL text option as absent, emits no empty option, and round-trips', () => {
    // 53=OFFER, 12 "\0\0\0", 15 "\0", 56 "\0\0", 66 "\0\0\0\0", end
    const m = message([53, 1, 2, 12, 3, 0, 0, 0, 15, 1, 0, 56, 2, 0, 0, 66, 4, 0, 0, 0, 0, 255]);
    const p = dhcp.parse(m);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect([p.value.hostName, p.value.domainName, p.value.message, p.value.tftpServerName]).toEqual([null, null, null, null]);
    const bytes = dhcp.encode(p.value);
    expect(tlvs(bytes).filter((t) => t[1] === 0)).toEqual([]);
    expect(dhcp.parse(bytes)).toEqual(p);
  });

  it('never emits a zero-length text option for an empty string', () => {
    const r = dhcp.emptyRepr(dhcp.OP_BOOTREPLY, dhcp.DHCPACK, 9, MAC);
    r.hostName = '';
    r.domainName = '';
    r.message = '';
    r.vendorClass = '';
    r.tftpServerName = '';
    const bytes = dhcp.encode(r);
    expect(tlvs(bytes)).toEqual([[53, 1]]);
    const p = dhcp.parse(bytes);
    expect(p.ok).toBe(true);
  });

  it('caps a long text option before stripping NULs, so the capped text re-parses the same', () => {
    // Option 66 in two pieces (RFC 3396): 254 'a', a NUL at byte 255, then 5 'b'.
    const text = new Array(254).fill(0x61).concat([0], [0x62, 0x62, 0x62, 0x62, 0x62]);
    const m = message([53, 1, 2, 66, 255].concat(text.slice(0, 255), [66, 5], text.slice(255), [255]));
    const p = dhcp.parse(m);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.value.tftpServerName).toBe('a'.repeat(254));
    expect(dhcp.parse(dhcp.encode(p.value))).toEqual(p);
  });
});
