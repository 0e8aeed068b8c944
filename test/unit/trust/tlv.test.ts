/**
 * The trust-list TLV codec (firmware/trust/tlv.ts) and the list sink's framing on
 * field-commented byte vectors: the smallest valid header and record, then one typed error
 * for each malformation.
 */
import { describe, it, expect } from 'vitest';
import { parseHeader, parseRecord, emitHeader, headerLen, roleName, ROLE_TVS } from '../../../firmware/trust/tlv';
import { listSink, BUF_MAX } from '../../../firmware/trust/sink';
import { fromHex, hex } from '../../../lib/bytes';
import { crypto, feed } from './helpers';

const SIG = '00'.repeat(64);
// 01 0002 0102 | 02 0002 LLLL | 05 0001 2a (serial) | 08 0001 01 (SHA1) | 0c 0040 <64 B> | 0d 0d (padding)
const HEADER = (len = '0058', extra = '') => fromHex(`010002010202000200${len.slice(2)}` + `0500012a` + `08000101` + `0c0040${SIG}` + extra)!;

function header(extra: string): Uint8Array {
  const body = HEADER('0000', extra);
  body[9] = body.length; // HEADER_LENGTH, < 256 here
  return body;
}

describe('TLV header', () => {
  it('the smallest header: version, length, serial, digest, signature; padding bytes have no length', () => {
    const h = parseHeader(header('0d0d'));
    expect(h).toMatchObject({ ok: true, value: { version: 0x0102, length: 87, digest: 1, sigAt: 18, signerVersion: -1, timestamp: -1, filename: '' } });
    if (h.ok) expect(hex(h.value.serial)).toBe('2a');
    // Containers 3, 7, 9 are transparent: their children are read inline (here 9 { 0a 00 }).
    expect(parseHeader(header('0900040a000100'))).toMatchObject({ ok: true });
  });

  it('a typed error for each malformation', () => {
    const cases: [string, Uint8Array, string][] = [
      ['short', fromHex('0100020102')!, 'truncated'],
      ['not VERSION first', fromHex('02000201020200020010')!, 'malformed'],
      ['HEADER_LENGTH past the data', HEADER('00ff'), 'truncated'],
      ['TLV past HEADER_LENGTH', header('0e0009414243'), 'malformed'],
      ['unknown tag 16', header('100000'), 'unsupported'],
      ['tag 0', header('000000'), 'unsupported'],
      ['repeated DIGEST', header('08000102'), 'malformed'],
      ['TIMESTAMP not 4 bytes', header('0f000100'), 'malformed'],
      ['signature algorithm 1 (not RSA)', header('0a000101'), 'unsupported'],
      ['modulus index says 256, signature has 64', header('0b000102'), 'malformed'],
      ['a 3-byte container header cut', header('07'), 'malformed'],
    ];
    for (const [what, b, code] of cases) expect(parseHeader(b), what).toMatchObject({ ok: false, error: code });
    // No signature / an odd signature size.
    expect(parseHeader(fromHex('01000201020200020012' + '0500012a' + '08000101')!)).toMatchObject({ ok: false, error: 'malformed' });
    const odd = fromHex(`010002010202000200${'59'}0500012a080001010c0044${'00'.repeat(68)}`)!;
    expect(parseHeader(odd)).toMatchObject({ ok: false, error: 'malformed' });
  });

  it('emit pads to 4 bytes and writes SIGNER_VERSION and TIMESTAMP only when present', () => {
    const h = parseHeader(header(''));
    if (!h.ok) throw new Error(h.detail);
    const n = headerLen(h.value);
    expect(n % 4).toBe(0);
    const b = new Uint8Array(n);
    emitHeader(h.value, b, 0);
    expect(b[n - 1]).toBe(13);
    expect(parseHeader(b)).toMatchObject({ ok: true, value: { signerVersion: -1, timestamp: -1, length: n } });
  });
});

describe('TLV record', () => {
  // 01 0002 0011 (17 bytes) | 04 0002 0015 (TVS) | 0a 0004 0a010203 (10.1.2.3)
  const REC = fromHex('010002001104000200150a00040a010203')!;

  it('the smallest record: RECORD_LENGTH and ROLE; IP as a number', () => {
    expect(parseRecord(REC)).toMatchObject({ ok: true, value: { length: 17, role: ROLE_TVS, ip: 0x0a010203, subject: '', cert: new Uint8Array(0) } });
    expect(roleName(ROLE_TVS)).toBe('TVS');
    expect(roleName(99)).toBe('role 99');
  });

  it('a typed error for each malformation', () => {
    const cases: [string, string, string][] = [
      ['short', '01000200', 'truncated'],
      ['not RECORD_LENGTH first', '0400020005', 'malformed'],
      ['length below 5', '0100020004', 'malformed'],
      ['length past the data', '010002000a040002', 'truncated'],
      ['TLV past the record', '010002000a0400050000', 'malformed'],
      ['subject past the record', '010002000f04000200010300054142', 'malformed'],
      ['TLV header cut by the record end', '01000200070400', 'malformed'],
      ['unknown tag 13', '010002000d0d00020000040002000100', 'unsupported'],
      ['RECORD_LENGTH inside', '010002000d010002000504000200ff', 'unsupported'],
      ['repeated role', '010002000f0400020001040002000100', 'malformed'],
      ['role not 2 bytes', '01000200090400010000', 'malformed'],
      ['no role', '010002000903000100', 'malformed'],
    ];
    for (const [what, h, code] of cases) expect(parseRecord(fromHex(h)!), what).toMatchObject({ ok: false, error: code });
  });
});

describe('list sink framing', () => {
  it('caps the header and each record at BUF_MAX (too-large), refuses SHA-512 (unsupported) and an empty list', () => {
    const big = fromHex('010002010202000200ff')!;
    big[8] = (BUF_MAX + 4) >> 8;
    big[9] = (BUF_MAX + 4) & 255;
    expect(feed(listSink(crypto), big).result).toMatchObject({ ok: false, error: 'too-large' });
    const h = header('');
    expect(feed(listSink(crypto), h).result).toMatchObject({ ok: false, error: 'malformed', detail: 'no records' });
    const withRec = new Uint8Array([...h, 0x01, 0x00, 0x02, (BUF_MAX + 1) >> 8, (BUF_MAX + 1) & 255]);
    expect(feed(listSink(crypto), withRec).result).toMatchObject({ ok: false, error: 'too-large' });
    const sha512 = header('');
    sha512[17] = 3;
    expect(feed(listSink(crypto), sha512).result).toMatchObject({ ok: false, error: 'unsupported' });
    // A record cut short at the end of the file.
    expect(feed(listSink(crypto), new Uint8Array([...h, 1, 0, 2, 0, 17, 4, 0])).result).toMatchObject({ ok: false, error: 'truncated' });
  });
});
