import { describe, it, expect } from 'vitest';
import * as dns from '../../../firmware/net/wire/dns';
import { h, filled } from './capture';

// A response as dnsmasq sends it: question, CNAME (compressed name), then A.
const RESPONSE = h(`
  12 34          // ID
  81 80          // QR, RD, RA, NOERROR
  00 01 00 02    // QDCOUNT 1, ANCOUNT 2
  00 00 00 00    // NSCOUNT 0, ARCOUNT 0
  // offset 12: question "tftp.lab.example"
  04 74 66 74 70  03 6c 61 62  07 65 78 61 6d 70 6c 65  00
  00 01 00 01    // type A, class IN
  // answer 1: name = pointer to 12, CNAME
  c0 0c  00 05 00 01  00 00 0e 10  00 07   // CNAME IN TTL 3600, RDLENGTH 7
  04 68 6f 73 74  c0 11                    // "host" + pointer to "lab.example" (offset 17)
  // answer 2: name = pointer to the CNAME target (offset 46), A
  c0 2e  00 01 00 01  00 00 00 3c  00 04   // A IN TTL 60, RDLENGTH 4
  0a 00 00 05                              // 10.0.0.5
`);

describe('dns', () => {
  it('parses a compressed response with a CNAME chain', () => {
    const r = dns.parse(RESPONSE);
    if (!r.ok) throw new Error(r.detail);
    const m = r.value;
    expect(m.id).toBe(0x1234);
    expect(dns.isResponse(m)).toBe(true);
    expect(dns.rcode(m)).toBe(dns.RCODE_NOERROR);
    expect(m.questions).toEqual([{ name: 'tftp.lab.example', type: dns.TYPE_A, klass: dns.CLASS_IN }]);
    expect(m.answers.length).toBe(2);
    expect(m.answers[0].name).toBe('tftp.lab.example');
    expect(m.answers[0].type).toBe(dns.TYPE_CNAME);
    expect(m.answers[0].target).toBe('host.lab.example');
    expect(m.answers[0].ttl).toBe(3600);
    expect(m.answers[1].name).toBe('host.lab.example');
    expect(m.answers[1].address).toBe(0x0a000005);
    expect(m.answers[1].ttl).toBe(60);
  });

  it('emits a query byte for byte', () => {
    const q = dns.query(0x1234, 'tftp.lab.example', dns.TYPE_A);
    const buf = filled(dns.bufferLen(q) + 2);
    expect(dns.emit(q, buf, 1)).toBe(34);
    expect(buf[0]).toBe(0xa5);
    expect(buf[35]).toBe(0xa5);
    const expected = RESPONSE.slice(0, 34);
    expected[2] = 0x01; // flags: RD only
    expected[3] = 0x00;
    expected[7] = 0x00; // ANCOUNT 0
    expect(buf.subarray(1, 35)).toEqual(expected);
  });

  it('round-trips a response, compressing the question name', () => {
    const r = dns.parse(RESPONSE);
    if (!r.ok) throw new Error(r.detail);
    const buf = filled(dns.bufferLen(r.value));
    const n = dns.emit(r.value, buf, 0);
    expect(n).toBe(buf.length);
    expect(buf[34]).toBe(0xc0); // first answer's name is a pointer to offset 12
    expect(buf[35]).toBe(12);
    const again = dns.parse(buf);
    if (!again.ok) throw new Error(again.detail);
    expect(again.value.answers.map((a) => [a.name, a.type, a.ttl, a.address, a.target]))
      .toEqual(r.value.answers.map((a) => [a.name, a.type, a.ttl, a.address, a.target]));
  });

  it('a pointer loop ends in malformed, not a hang', () => {
    const loop = h('0000 8180 0001 0000 0000 0000  c0 0c  0001 0001');
    const r = dns.parse(loop);
    expect(r.ok ? '' : r.error).toBe('malformed');
    // Two pointers pointing at each other.
    const pair = h('0000 8180 0001 0000 0000 0000  c0 0e c0 0c 0001 0001');
    const r2 = dns.parse(pair);
    expect(r2.ok ? '' : r2.error).toBe('malformed');
  });

  it('bounds: names over 255 bytes, labels past the end, bad label types, too many questions', () => {
    // 5 labels of 63 bytes = 320 bytes.
    let name = '';
    for (let i = 0; i < 5; i++) name += '3f' + '61'.repeat(63);
    const long = h('0000 0100 0001 0000 0000 0000' + name + '00 0001 0001');
    const r = dns.parse(long);
    expect(r.ok ? '' : r.error).toBe('malformed');
    const cut = dns.parse(h('0000 0100 0001 0000 0000 0000 05 61 62'));
    expect(cut.ok ? '' : cut.error).toBe('truncated');
    const ext = dns.parse(h('0000 0100 0001 0000 0000 0000 41 00 0001 0001'));
    expect(ext.ok ? '' : ext.error).toBe('malformed');
    const many = dns.parse(h('0000 0100 0005 0000 0000 0000'));
    expect(many.ok ? '' : many.error).toBe('too-large');
    expect(() => dns.nameLen('a..b')).toThrow(TypeError);
    expect(() => dns.nameLen('x'.repeat(64))).toThrow(TypeError);
  });

  it('keeps only the first MAX_ANSWERS answers', () => {
    const m: dns.Repr = { id: 1, flags: dns.FLAG_QR, questions: [{ name: 'a.b', type: 1, klass: 1 }], answers: [],
      answerCount: 0, authorityCount: 0, additionalCount: 0 };
    for (let i = 0; i < 20; i++) {
      m.answers.push({ name: 'a.b', type: 1, klass: 1, ttl: 1, address: i, target: '', data: new Uint8Array(0) });
    }
    const buf = new Uint8Array(dns.bufferLen(m));
    dns.emit(m, buf, 0);
    const r = dns.parse(buf);
    if (!r.ok) throw new Error(r.detail);
    expect(r.value.answerCount).toBe(20);
    expect(r.value.answers.length).toBe(dns.MAX_ANSWERS);
    expect(r.value.answers[15].address).toBe(15);
  });

  it('an A record with RDLENGTH other than 4 is malformed', () => {
    const bad = RESPONSE.slice();
    bad[bad.length - 5] = 3; // RDLENGTH 4 -> 3
    const r = dns.parse(bad.subarray(0, bad.length - 1));
    expect(r.ok ? '' : r.error).toBe('malformed');
  });
});
