/**
 * The TFTP codec (firmware/tftp/wire.ts): byte vectors written field by field from RFC 1350
 * / 2347, emit into 0xa5-filled buffers, round trips, and every typed parse error.
 */
import { describe, it, expect } from 'vitest';
import * as tftp from '../../../firmware/tftp/wire';
import { asciiBytes } from '../../../lib/bytes';
import { enc } from './helpers';

const z = (s: string): number[] => [...asciiBytes(s), 0];

// An RRQ as a phone with options sends it (RFC 2347 section 2 layout).
const RRQ = new Uint8Array([
  0x00, 0x01,                       // opcode 1 RRQ
  ...z('SEP001E4A123456.cnf.xml'),  // filename
  ...z('octet'),                    // mode
  ...z('blksize'), ...z('1428'),    // RFC 2348
  ...z('tsize'), ...z('0'),         // RFC 2349
  ...z('windowsize'), ...z('8'),    // RFC 7440
]);

describe('tftp wire: vectors', () => {
  it('parses an RRQ with options', () => {
    const r = tftp.parse(RRQ);
    expect(r.ok && r.value).toEqual({
      op: 1, filename: 'SEP001E4A123456.cnf.xml', mode: 'octet',
      options: [{ name: 'blksize', value: '1428' }, { name: 'tsize', value: '0' }, { name: 'windowsize', value: '8' }],
    });
  });

  it('emits the same RRQ bytes into a 0xa5-filled buffer, touching only its length', () => {
    const r = tftp.parse(RRQ);
    if (!r.ok) throw new Error('parse');
    const buf = new Uint8Array(RRQ.length + 6).fill(0xa5);
    expect(tftp.emit(r.value, buf, 3)).toBe(RRQ.length);
    expect(Array.from(buf.subarray(3, 3 + RRQ.length))).toEqual(Array.from(RRQ));
    expect(Array.from(buf.subarray(0, 3))).toEqual([0xa5, 0xa5, 0xa5]);
    expect(Array.from(buf.subarray(3 + RRQ.length))).toEqual([0xa5, 0xa5, 0xa5]);
  });

  it('DATA: block number and a view of the payload', () => {
    const b = new Uint8Array([0x00, 0x03, 0x01, 0x02, 0xde, 0xad]);   // DATA block 258, 2 bytes
    const r = tftp.parse(b);
    expect(r.ok).toBe(true);
    if (!r.ok || r.value.op !== tftp.OP_DATA) return;
    expect(r.value.block).toBe(258);
    expect(Array.from(r.value.data)).toEqual([0xde, 0xad]);
    expect(r.value.data.buffer).toBe(b.buffer);   // no copy
    // An empty DATA is the last block of a file of a multiple of blksize.
    const e = tftp.parse(new Uint8Array([0, 3, 0, 9]));
    expect(e.ok && e.value.op === tftp.OP_DATA && e.value.data.length).toBe(0);
  });

  it('ACK, ERROR and OACK', () => {
    expect(tftp.parse(new Uint8Array([0, 4, 0xff, 0xff]))).toEqual({ ok: true, value: { op: 4, block: 65535 } });
    expect(tftp.parse(new Uint8Array([0, 5, 0, 1, ...z('File not found')]))).toEqual({ ok: true, value: { op: 5, code: 1, message: 'File not found' } });
    expect(tftp.parse(new Uint8Array([0, 6, ...z('blksize'), ...z('1468'), ...z('tsize'), ...z('4521')]))).toEqual({
      ok: true, value: { op: 6, options: [{ name: 'blksize', value: '1468' }, { name: 'tsize', value: '4521' }] },
    });
    expect(Array.from(enc({ op: 4, block: 0x10203 }))).toEqual([0, 4, 0x02, 0x03]);   // block wraps at 16 bits
    expect(Array.from(enc({ op: 5, code: 8, message: 'x' }))).toEqual([0, 5, 0, 8, 0x78, 0]);
  });

  it('is lenient where servers are: an ERROR without its NUL, bytes after an ACK', () => {
    expect(tftp.parse(new Uint8Array([0, 5, 0, 2, 0x41, 0x42]))).toEqual({ ok: true, value: { op: 5, code: 2, message: 'AB' } });
    expect(tftp.parse(new Uint8Array([0, 4, 0, 7, 0, 0]))).toEqual({ ok: true, value: { op: 4, block: 7 } });
  });

  it('fast-path ACK and DATA headers match emit', () => {
    const a = new Uint8Array(4);
    tftp.emitAck(70000, a, 0);
    expect(Array.from(a)).toEqual(Array.from(enc({ op: 4, block: 70000 })));
    const d = new Uint8Array(4);
    tftp.emitDataHeader(3, d, 0);
    expect(Array.from(d)).toEqual([0, 3, 0, 3]);
  });
});

describe('tftp wire: typed errors', () => {
  const cases: Array<[string, number[], string]> = [
    ['empty', [], 'truncated'],
    ['one byte', [0], 'truncated'],
    ['unknown opcode 7', [0, 7, 0, 0], 'unsupported'],
    ['opcode 0', [0, 0], 'unsupported'],
    ['RRQ without a NUL after the name', [0, 1, 0x61, 0x62], 'truncated'],
    ['RRQ without a mode', [0, 1, 0x61, 0], 'truncated'],
    ['RRQ with an empty name', [0, 1, 0, ...z('octet')], 'malformed'],
    ['RRQ option without value', [0, 1, ...z('a'), ...z('octet'), ...z('blksize')], 'malformed'],
    ['RRQ option value without NUL', [0, 1, ...z('a'), ...z('octet'), ...z('blksize'), 0x31], 'truncated'],
    ['RRQ empty option name', [0, 1, ...z('a'), ...z('octet'), 0, ...z('1')], 'malformed'],
    ['ACK cut short', [0, 4, 0], 'truncated'],
    ['DATA cut short', [0, 3, 1], 'truncated'],
    ['ERROR cut short', [0, 5, 0], 'truncated'],
    ['OACK name without NUL', [0, 6, 0x61], 'truncated'],
  ];
  for (const [what, bytes, code] of cases) {
    it(what, () => {
      const r = tftp.parse(new Uint8Array(bytes));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toBe(code);
    });
  }

  it('caps: options, string length, DATA size', () => {
    const many: number[] = [0, 6];
    for (let i = 0; i <= tftp.MAX_OPTIONS; i++) many.push(...z('o' + i), ...z('1'));
    expect(tftp.parse(new Uint8Array(many))).toMatchObject({ ok: false, error: 'too-large' });
    const long = [0, 1, ...z('x'.repeat(tftp.MAX_STRING + 1)), ...z('octet')];
    expect(tftp.parse(new Uint8Array(long))).toMatchObject({ ok: false, error: 'too-large' });
    const okLong = [0, 1, ...z('x'.repeat(tftp.MAX_STRING)), ...z('octet')];
    expect(tftp.parse(new Uint8Array(okLong)).ok).toBe(true);
    const big = new Uint8Array(4 + tftp.MAX_BLKSIZE + 1);
    big[1] = 3;
    expect(tftp.parse(big)).toMatchObject({ ok: false, error: 'too-large' });
    expect(tftp.parse(big.subarray(0, 4 + tftp.MAX_BLKSIZE)).ok).toBe(true);
  });

  it('emit throws TypeError on a buffer too small', () => {
    expect(() => tftp.emit({ op: 4, block: 1 }, new Uint8Array(3), 0)).toThrow(TypeError);
  });
});

describe('tftp wire: option helpers', () => {
  it('optionValue is case-insensitive, optionNumber takes digits only', () => {
    const o = [{ name: 'BlkSize', value: '1428' }, { name: 'tsize', value: '12x' }];
    expect(tftp.optionValue(o, 'blksize')).toBe('1428');
    expect(tftp.optionValue(o, 'windowsize')).toBeNull();
    expect(tftp.optionNumber('1428')).toBe(1428);
    expect(tftp.optionNumber('12x')).toBe(-1);
    expect(tftp.optionNumber('')).toBe(-1);
    expect(tftp.optionNumber('-1')).toBe(-1);
    expect(tftp.optionNumber('12345678901')).toBe(-1);
    expect(tftp.optionNumber(null)).toBe(-1);
  });
});
