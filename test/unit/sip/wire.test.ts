/**
 * The SIP codec: real Kamailio responses (fixtures/), the RFC 3261 grammar points a phone
 * meets (compact forms, folding, case, lists in one header or many, quoted strings, IPv6,
 * rport), every typed error, the emitter's exact bytes for a REGISTER, and the stream
 * framer under any chunking.
 */
import { describe, it, expect } from 'vitest';
import * as w from '../../../firmware/callmanager/sip/wire';
import { fixture } from './fixtures';
const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const msg = (...lines: string[]): Uint8Array => bytes(lines.join('\r\n') + '\r\n\r\n');

function ok(b: Uint8Array): w.SipMsg {
  const r = w.parse(b);
  if (!r.ok) throw new Error(`${r.error}: ${r.detail}`);
  return r.value;
}

function err(b: Uint8Array): string {
  const r = w.parse(b);
  return r.ok ? 'ok' : r.error;
}

function emitted(m: w.SipMsg): Uint8Array {
  const b = new Uint8Array(w.bufferLen(m));
  expect(w.emit(m, b, 0)).toBe(b.length);
  return b;
}

const HEAD = ['Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1', 'From: <sip:1001@a>;tag=1', 'To: <sip:1001@a>', 'Call-ID: c1', 'CSeq: 1 REGISTER'];

describe('Kamailio 5.6.3 responses', () => {
  it('401 (MD5, qop=auth): status, Via received/rport, tags, the challenge', () => {
    const m = ok(fixture('kamailio-401-md5.sip'));
    expect(m).toMatchObject({ status: 401, reason: 'Unauthorized', method: '', cseq: 1, cseqMethod: 'REGISTER',
      callId: 'b81a16e7a4d7c049@10.77.0.2', agent: 'kamailio (5.6.3 (x86_64/linux))', contacts: [], expires: -1 });
    expect(m.via).toEqual([{ transport: 'UDP', host: '10.77.0.2', port: 5060, branch: 'z9hG4bK95761e6a68fd531c', received: '10.77.0.2', rport: 5060 }]);
    expect(m.from).toEqual({ display: 'Dialtone 1001', uri: 'sip:1001@10.77.0.3', tag: '6213e7c5feb0d56b' });
    expect(m.to.tag).toBe('3547047c2d0651a04111e9b2d1f76a66.b07c8190');
    expect(m.challenges).toEqual([{ proxy: false, realm: '10.77.0.3', nonce: 'aw/LBWsPywMGC1aYYpYClr/uEENhfDDAE+CBf4A=', opaque: '',
      algorithm: 'MD5', qop: 'auth', stale: false }]);
    expect(m.body.length).toBe(0);
  });

  it('401 with SHA-256, 401 with stale=true, 401 to a wrong password', () => {
    expect(ok(fixture('kamailio-401-sha256.sip')).challenges[0]).toMatchObject({ algorithm: 'SHA-256', qop: 'auth', stale: false });
    expect(ok(fixture('kamailio-401-stale.sip')).challenges[0]).toMatchObject({ algorithm: 'MD5', stale: true });
    expect(ok(fixture('kamailio-401-stale.sip')).cseq).toBe(3);
    expect(ok(fixture('kamailio-401-wrong-password.sip')).challenges[0].stale).toBe(false);
  });

  it('200 OK: the binding and its expires; 200 to an unregister lists none', () => {
    expect(ok(fixture('kamailio-200-md5.sip')).contacts).toEqual([{ display: '', uri: 'sip:1001@10.77.0.2:5060', expires: 3600 }]);
    expect(ok(fixture('kamailio-200-open.sip')).to.display).toBe('Dialtone 1001');
    expect(ok(fixture('kamailio-200-unregister.sip'))).toMatchObject({ status: 200, contacts: [], cseq: 7 });
  });

  it('each re-emits to a message that parses to the same value, and emit is a fixed point', () => {
    for (const f of ['kamailio-401-md5.sip', 'kamailio-401-stale.sip', 'kamailio-200-md5.sip', 'kamailio-200-unregister.sip']) {
      const m = ok(fixture(f));
      const again = emitted(m);
      expect(ok(again)).toEqual(m);
      expect(emitted(ok(again))).toEqual(again);
    }
    // Kamailio's order differs from ours (qop before stale before algorithm): same value, our order.
    expect(text(emitted(ok(fixture('kamailio-401-stale.sip'))))).toContain(
      'WWW-Authenticate: Digest realm="10.77.0.3", nonce="aw/LCGsPywZIptj8AokDvdvvJ0dOS4maE+CGhIA=", algorithm=MD5, qop="auth", stale=true\r\n');
  });
});

describe('RFC 3261 grammar', () => {
  it('compact forms, case-insensitive names, folded lines, blanks around colons', () => {
    const m = ok(msg('SIP/2.0 200 OK', 'v: SIP/2.0/TCP 10.0.0.2:41000;branch=z9hG4bKx;rport', 'F: <sip:1001@a>;TAG=9',
      't:   <sip:1001@a>', 'I: c1@h', 'cseq:  4 REGISTER', 'M: <sip:1001@10.0.0.2:41000;transport=tcp>',
      '  ;expires=120', 'EXPIRES : 300', 'L: 0'));
    expect(m.via[0]).toMatchObject({ transport: 'TCP', port: 41000, branch: 'z9hG4bKx', rport: 0 });
    expect(m.from.tag).toBe('9');
    expect(m).toMatchObject({ callId: 'c1@h', cseq: 4, expires: 300 });
    expect(m.contacts).toEqual([{ display: '', uri: 'sip:1001@10.0.0.2:41000;transport=tcp', expires: 120 }]);
  });

  it('lists: several Vias in one header and in several, several contacts, Contact: *', () => {
    const m = ok(msg('REGISTER sip:a SIP/2.0', 'Via: SIP/2.0/UDP p1:5060;branch=z9hG4bKa , SIP / 2.0 / UDP [2001:db8::1]:5070;received=2001:db8::9',
      'Via: SIP/2.0/TLS p3;branch=z9hG4bKc', ...HEAD.slice(1), 'Contact: "A, B" <sip:x@h;lr>;expires=5, sip:y@h;expires=0;q=0.5', 'Contact: *'));
    expect(m.via.map((v) => [v.host, v.port, v.transport])).toEqual([['p1', 5060, 'UDP'], ['[2001:db8::1]', 5070, 'UDP'], ['p3', 0, 'TLS']]);
    expect(m.via[1].received).toBe('2001:db8::9');
    expect(m.contacts).toEqual([{ display: 'A, B', uri: 'sip:x@h;lr', expires: 5 }, { display: '', uri: 'sip:y@h', expires: 0 },
      { display: '', uri: '*', expires: -1 }]);
  });

  it('display names: quoted with escapes, or bare tokens; addr-spec params belong to the header', () => {
    const m = ok(msg('SIP/2.0 200 OK', HEAD[0], 'From: "Say \\"hi\\" \\\\o/" <sip:1001@a>;tag=1', 'To: Bob  Smith <sips:bob@b>',
      'Call-ID: c1', 'CSeq: 1 REGISTER'));
    expect(m.from.display).toBe('Say "hi" \\o/');
    expect(m.to).toEqual({ display: 'Bob  Smith', uri: 'sips:bob@b', tag: '' });
    expect(ok(msg('SIP/2.0 200 OK', HEAD[0], 'From: sip:1001@a;tag=77', ...HEAD.slice(2))).from).toEqual({ display: '', uri: 'sip:1001@a', tag: '77' });
    expect(text(emitted(ok(msg('SIP/2.0 200 OK', HEAD[0], 'From: "a\\"b" <sip:1001@a>;tag=1', ...HEAD.slice(2)))))).toContain('From: "a\\"b" <sip:1001@a>;tag=1\r\n');
  });

  it('challenges: two in one header, Proxy-Authenticate, other schemes skipped, unknown params ignored', () => {
    const m = ok(msg('SIP/2.0 407 Proxy Authentication Required', ...HEAD,
      'Proxy-Authenticate: Digest realm="r1", nonce="n1", algorithm=SHA-256, qop="auth, auth-int", domain="sip:a", userhash=true, Digest realm="r1", nonce="n1"',
      'Proxy-Authenticate: Basic realm="x"', 'WWW-Authenticate: Newauth zz==, Digest realm = "r2" , nonce="n2", opaque="o\\"p", stale=FALSE'));
    expect(m.challenges).toEqual([
      { proxy: true, realm: 'r1', nonce: 'n1', opaque: '', algorithm: 'SHA-256', qop: 'auth,auth-int', stale: false },
      { proxy: true, realm: 'r1', nonce: 'n1', opaque: '', algorithm: '', qop: '', stale: false },
      { proxy: false, realm: 'r2', nonce: 'n2', opaque: 'o"p', algorithm: '', qop: '', stale: false },
    ]);
  });

  it('credentials (the lab registrar reads them): RFC 3261 22.4 style, nc in hex, qop quoted or not', () => {
    const m = ok(msg('REGISTER sip:a SIP/2.0', ...HEAD,
      'Authorization: Digest username="bob", realm="biloxi.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:bob@biloxi.com", qop="auth",',
      ' nc=0000000A, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"'));
    expect(m.auth).toEqual({ proxy: false, username: 'bob', realm: 'biloxi.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      uri: 'sip:bob@biloxi.com', response: '6629fae49393a05397450978507c4ef1', algorithm: '', cnonce: '0a4f113b',
      opaque: '5ccc069c403ebaf9f0171e9517f40e41', qop: 'auth', nc: 10 });
    expect(ok(msg('REGISTER sip:a SIP/2.0', ...HEAD, 'Authorization: Basic QWxhZGRpbjpvcGVu')).auth).toBeNull();
  });

  it('Content-Length and the body; absent on UDP: the rest of the datagram; bytes past it are ignored (18.3)', () => {
    expect(text(ok(bytes(['SIP/2.0 200 OK', ...HEAD, 'Content-Length: 3', '', 'abcdef'].join('\r\n'))).body)).toBe('abc');
    expect(text(ok(bytes(['SIP/2.0 200 OK', ...HEAD, '', 'xyz'].join('\r\n'))).body)).toBe('xyz');
  });

  it('delta-seconds past 2^32-1 read as 2^32-1 (20.19); Max-Forwards, Min-Expires', () => {
    const m = ok(msg('SIP/2.0 423 Interval Too Brief', ...HEAD, 'Expires: 99999999999', 'Min-Expires: 600', 'Max-Forwards: 70'));
    expect(m).toMatchObject({ expires: 4294967295, minExpires: 600, maxForwards: 70 });
  });
});

describe('typed errors', () => {
  const cases: Array<[string, Uint8Array, string]> = [
    ['no end of headers', bytes('SIP/2.0 200 OK\r\nVia: x\r\n'), 'truncated'],
    ['body shorter than Content-Length', bytes(['SIP/2.0 200 OK', ...HEAD, 'Content-Length: 10', '', 'abc'].join('\r\n')), 'truncated'],
    ['bare LF', bytes(['SIP/2.0 200 OK', ...HEAD].join('\n') + '\r\n\r\n'), 'malformed'],
    ['bare CR', msg('SIP/2.0 200 OK\rX', ...HEAD), 'malformed'],
    ['a NUL in a header', msg('SIP/2.0 200 OK', ...HEAD, 'Server: a\u0000b'), 'malformed'],
    ['folded start line', msg(' SIP/2.0 200 OK', ...HEAD), 'malformed'],
    ['SIP/3.0', msg('SIP/3.0 200 OK', ...HEAD), 'unsupported'],
    ['request SIP/1.0', msg('REGISTER sip:a SIP/1.0', ...HEAD), 'unsupported'],
    ['status 99', msg('SIP/2.0 099 Hm', ...HEAD), 'malformed'],
    ['status 2000', msg('SIP/2.0 2000 OK', ...HEAD), 'malformed'],
    ['no Call-ID', msg('SIP/2.0 200 OK', ...HEAD.filter((h) => !h.startsWith('Call-ID'))), 'malformed'],
    ['no Via', msg('SIP/2.0 200 OK', ...HEAD.slice(1)), 'malformed'],
    ['two CSeq', msg('SIP/2.0 200 OK', ...HEAD, 'CSeq: 2 REGISTER'), 'malformed'],
    ['CSeq of 2^31', msg('SIP/2.0 200 OK', ...HEAD.slice(0, 4), 'CSeq: 2147483648 REGISTER'), 'malformed'],
    ['request whose CSeq is another method', msg('OPTIONS sip:a SIP/2.0', ...HEAD), 'malformed'],
    ['Via without sent-by', msg('SIP/2.0 200 OK', 'Via: SIP/2.0/UDP', ...HEAD.slice(1)), 'malformed'],
    ['Via of SIP/2.1', msg('SIP/2.0 200 OK', 'Via: SIP/2.1/UDP h', ...HEAD.slice(1)), 'malformed'],
    ['Via port 0', msg('SIP/2.0 200 OK', 'Via: SIP/2.0/UDP h:0', ...HEAD.slice(1)), 'malformed'],
    ['Via rport=x', msg('SIP/2.0 200 OK', 'Via: SIP/2.0/UDP h;rport=x', ...HEAD.slice(1)), 'malformed'],
    ['To without a scheme', msg('SIP/2.0 200 OK', ...HEAD.slice(0, 2), 'To: <1001@a>', ...HEAD.slice(3)), 'malformed'],
    ['unterminated quote', msg('SIP/2.0 200 OK', ...HEAD.slice(0, 2), 'To: "x <sip:a@b>', ...HEAD.slice(3)), 'malformed'],
    ['Contact expires=soon', msg('SIP/2.0 200 OK', ...HEAD, 'Contact: <sip:a@b>;expires=soon'), 'malformed'],
    ['Expires: -1', msg('SIP/2.0 200 OK', ...HEAD, 'Expires: -1'), 'malformed'],
    ['stale=maybe', msg('SIP/2.0 401 U', ...HEAD, 'WWW-Authenticate: Digest realm="a", stale=maybe'), 'malformed'],
    ['nc of 7 digits', msg('REGISTER sip:a SIP/2.0', ...HEAD, 'Authorization: Digest nc=0000001'), 'malformed'],
    ['a header line without a colon', msg('SIP/2.0 200 OK', ...HEAD, 'Server'), 'malformed'],
    ['a header name with a space', msg('SIP/2.0 200 OK', ...HEAD, 'Ser ver: x'), 'malformed'],
    ['over MAX_MSG', msg('SIP/2.0 200 OK', ...HEAD, 'Server: ' + 'x'.repeat(w.MAX_MSG)), 'too-large'],
    ['MAX_VIA + 1 Vias', msg('SIP/2.0 200 OK', ...Array(w.MAX_VIA + 1).fill(HEAD[0]), ...HEAD.slice(1)), 'too-large'],
    ['MAX_CONTACTS + 1 contacts', msg('SIP/2.0 200 OK', ...HEAD, 'Contact: ' + Array(w.MAX_CONTACTS + 1).fill('<sip:a@b>').join(',')), 'too-large'],
  ];
  it.each(cases)('%s -> %s', (_name, b, want) => {
    expect(err(b)).toBe(want);
    const r = w.parse(b);
    if (!r.ok) expect(r.detail.length).toBeGreaterThan(0);
  });

  it('an unknown header is checked for its name and skipped; an empty value is fine there', () => {
    expect(err(msg('SIP/2.0 200 OK', ...HEAD, 'X-Whatever:', 'Allow: INVITE, ACK'))).toBe('ok');
    // Authentication-Info (RFC 7615) is not a challenge.
    expect(ok(msg('SIP/2.0 200 OK', ...HEAD, 'Authentication-Info: nextnonce="x", qop=auth')).challenges).toEqual([]);
  });
});

describe('emit', () => {
  const register = (): w.SipMsg => {
    const m = w.newMsg();
    m.method = 'REGISTER';
    m.uri = 'sip:10.1.100.1';
    m.via = [{ transport: 'UDP', host: '10.1.100.100', port: 5060, branch: 'z9hG4bK0a1b', received: '', rport: 0 }];
    m.maxForwards = 70;
    m.from = { display: 'Line 1', uri: 'sip:1001@10.1.100.1', tag: 'f00d' };
    m.to = { display: 'Line 1', uri: 'sip:1001@10.1.100.1', tag: '' };
    m.callId = 'cafe@10.1.100.100';
    m.cseq = 2;
    m.cseqMethod = 'REGISTER';
    m.contacts = [{ display: '', uri: 'sip:1001@10.1.100.100:5060', expires: 3600 }];
    m.expires = 3600;
    m.auth = { proxy: false, username: '1001', realm: 'lab', nonce: 'n"1', uri: 'sip:10.1.100.1', response: 'abcd', algorithm: 'MD5',
      cnonce: 'c1', opaque: '', qop: 'auth', nc: 1 };
    m.agent = 'Dialtone';
    return m;
  };

  it('a REGISTER: start line, headers in our order, full names, Content-Length 0', () => {
    expect(text(emitted(register()))).toBe([
      'REGISTER sip:10.1.100.1 SIP/2.0',
      'Via: SIP/2.0/UDP 10.1.100.100:5060;branch=z9hG4bK0a1b;rport',     // rport asked (RFC 3581)
      'Max-Forwards: 70',
      'From: "Line 1" <sip:1001@10.1.100.1>;tag=f00d',
      'To: "Line 1" <sip:1001@10.1.100.1>',                              // no tag outside a dialog
      'Call-ID: cafe@10.1.100.100',
      'CSeq: 2 REGISTER',
      'Contact: <sip:1001@10.1.100.100:5060>;expires=3600',
      'Expires: 3600',
      'Authorization: Digest username="1001", realm="lab", nonce="n\\"1", uri="sip:10.1.100.1", response="abcd", algorithm=MD5, cnonce="c1", qop=auth, nc=00000001',
      'User-Agent: Dialtone',
      'Content-Length: 0', '', '',
    ].join('\r\n'));
    expect(ok(emitted(register()))).toEqual({ ...register(), body: new Uint8Array(0) });
  });

  it('writes at an offset and exactly bufferLen bytes; a buffer too small is a TypeError', () => {
    const m = register();
    const n = w.bufferLen(m);
    const buf = new Uint8Array(n + 8).fill(0xa5);
    expect(w.emit(m, buf, 4)).toBe(n);
    expect([buf[3], buf[4 + n]]).toEqual([0xa5, 0xa5]);
    expect(() => w.emit(m, new Uint8Array(n - 1), 0)).toThrow(TypeError);
  });

  it('utf8 and uriUser', () => {
    expect(w.utf8('Zoë 📞')).toBe('Zo\u00c3\u00ab \u00f0\u009f\u0093\u009e');
    expect(w.uriUser('sip:1001@10.1.100.1')).toBe('1001');
    expect(w.uriUser('sip:10.1.100.1')).toBe('');
  });
});

describe('Framer (TCP/TLS)', () => {
  const a = fixture('kamailio-401-md5.sip');
  const b = bytes(['SIP/2.0 200 OK', ...HEAD, 'Content-Length: 5', '', 'hello'].join('\r\n'));
  const stream = new Uint8Array([...bytes('\r\n\r\n'), ...a, ...bytes('\r\n'), ...b, ...a]);

  it('gives the same messages whatever the chunking (whole, 1 byte, 7 bytes); keep-alive CRLFs skipped', () => {
    for (const step of [stream.length, 1, 7, 300]) {
      const f = new w.Framer(w.MAX_MSG);
      const got: string[] = [];
      for (let i = 0; i < stream.length; i += step) {
        expect(f.push(stream.subarray(i, i + step), (m) => got.push(text(m)))).toBeNull();
      }
      expect(got).toEqual([text(a), text(b), text(a)]);
    }
  });

  it('a header block without Content-Length, or a message over the buffer, cannot be framed', () => {
    expect(new w.Framer(w.MAX_MSG).push(msg('SIP/2.0 200 OK', ...HEAD), () => {})).toMatchObject({ error: 'malformed' });
    expect(new w.Framer(64).push(a, () => {})).toMatchObject({ error: 'too-large' });
    const big = bytes(['SIP/2.0 200 OK', ...HEAD, 'Content-Length: 3000', '', ''].join('\r\n'));
    expect(new w.Framer(w.MAX_MSG).push(big, () => {})).toMatchObject({ error: 'too-large' });
  });
});
