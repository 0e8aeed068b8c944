/**
 * The real signed ITL (../shared/fixtures/csptechnologies__ITLFile.tlv) through the phone's
 * parser. Expected values were read off the file by hand (xxd) and with node:crypto's
 * X509Certificate, not produced by the code under test.
 */
import { describe, it, expect } from 'vitest';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { parseHeader, parseRecord, emitHeader, headerLen, emitRecord, recordLen, ROLE_SAST, ROLE_CCM, ROLE_APP_SERVER, DIGEST_SHA1 } from '../../../firmware/trust/tlv';
import { parseCert, KEY_RSA } from '../../../firmware/trust/der';
import { listSink } from '../../../firmware/trust/sink';
import { TrustStore, SLOT_ITL, verifyWith } from '../../../firmware/trust/store';
import { hex } from '../../../lib/bytes';
import { crypto, feed, haveFixtures, mustList, parseList, realItl } from './helpers';

const d = haveFixtures ? describe : describe.skip;

// [offset, length, role, subject (TLV string), serial, SHA-256 of the certificate, key bits]
const RECORDS: [number, number, number, string, string, string, number][] = [
  [388, 1484, ROLE_SAST, 'CN=SAST,O=SAST,OU=SAST', '6ba5de3a260b069337c75b38be3c2d74',
    '5535a3e4e9c60d51c998ac67eb14e73361d903987912e01ba10b942acf11a2e2', 2048],
  [1872, 1675, ROLE_CCM, 'CN=ccm01.csptech.org,O=CSP Technologies,OU=CSP Community PBX Texas', '7b9e9bdbbfe0faa0c8d623061e1e300c',
    '13939fdf4dfc8580247ea4cec960abd1e649b27ceb9462e50f87696c6e801b93', 2048],
  [3547, 1692, ROLE_CCM, 'CN=ccm02.csptech.org,O=CSP Technologies,OU=CSP Community PBX Minnesota', '81a3951a5c4c1c9b7eb4b4f00b8d6e38',
    '429bbd91831365701766d6f5fa8e865ce705a7b5947c75375d120320dee0ebac', 2048],
  [5239, 2585, ROLE_APP_SERVER, 'C=US,O=Internet Security Research Group,CN=ISRG Root X1', '8210cfb0d240e3594463e0bb63828b00',
    '96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffcee05c0bddf08c6', 4096],
  [7824, 2546, ROLE_APP_SERVER, 'C=US,O=Google Trust Services LLC,CN=GTS Root R1', '0203e5936f31b01349886ba217',
    'd947432abde7b7fa90fc2e6b59101b1280e0e1c7e4e40fa3c6887fff57a7f4cf', 4096],
];
const SIG_AT = 0x6b; // "0c 01 00" then 256 signature bytes

d('the real ITL', () => {
  const itl = haveFixtures ? realItl() : new Uint8Array(0);

  it('header: version 1.2, 388 bytes, signer SAST with its serial, SHA1, a 2048-bit signature at 0x6b', () => {
    const h = parseHeader(itl);
    expect(h.ok).toBe(true);
    if (!h.ok) return;
    const v = h.value;
    expect(itl.length).toBe(10370);
    expect(v.version).toBe(0x0102);
    expect(v.length).toBe(388);
    expect(v.signerVersion).toBe(0x0100);
    expect(v.signerName).toBe('CN=SAST,O=SAST,OU=SAST');
    expect(v.issuer).toBe('CN=SAST,O=SAST,OU=SAST');
    expect(hex(v.serial)).toBe('6ba5de3a260b069337c75b38be3c2d74');
    expect(v.digest).toBe(DIGEST_SHA1);
    expect(v.sigAt).toBe(SIG_AT);
    expect(v.signature.length).toBe(256);
    expect(hex(v.signature.subarray(0, 4))).toBe('afa09d65');
    expect(v.filename).toBe('ITLFile.tlv');
    expect(v.timestamp).toBe(0x69540b16); // 2025-12-30T17:25:42Z
  });

  it('five records at the offsets the lengths give: SAST, CCM x2, APP-SERVER x2', () => {
    let p = 388;
    for (const [off, len, role, subject, serial] of RECORDS) {
      expect(p).toBe(off);
      const r = parseRecord(itl.subarray(p));
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.value).toMatchObject({ length: len, role, subject, issuer: subject, ip: -1, hashAlg: -1, dnsName: '' });
      expect(hex(r.value.serial)).toBe(serial);
      expect(r.value.cert.length).toBeGreaterThan(0);
      p += len;
    }
    expect(p).toBe(itl.length);
  });

  it('each certificate: subject, serial, RSA key size and exponent as node:crypto reads them', () => {
    for (const [off, , , subject, serial, sha256, bits] of RECORDS) {
      const r = parseRecord(itl.subarray(off));
      if (!r.ok) throw new Error(r.detail);
      const c = parseCert(r.value.cert);
      expect(c.ok).toBe(true);
      if (!c.ok) return;
      expect(c.value.subject).toBe(subject);
      expect(c.value.issuer).toBe(subject); // all five are self-signed
      expect(hex(c.value.serial)).toBe(serial); // ISRG's DER serial has a sign byte 00; the magnitude does not
      expect(c.value.keyType).toBe(KEY_RSA);
      expect(c.value.modulus.length * 8).toBe(bits);
      expect(hex(c.value.exponent)).toBe('010001');
      expect(c.value.key).toEqual(r.value.publicKey); // tag 7 is the certificate's RSAPublicKey
      expect(createHash('sha256').update(r.value.cert).digest('hex')).toBe(sha256);
    }
    expect(parseCert(parseRecordOrThrow(itl, 388).cert)).toMatchObject({ ok: true, value: { cn: 'SAST' } });
  });

  it('the signed bytes are the file without the SIGNATURE TLV (tag, length and value), SHA1, PKCS#1 v1.5', () => {
    const sast = parseCert(parseRecordOrThrow(itl, 388).cert);
    if (!sast.ok) throw new Error(sast.detail);
    const sig = itl.subarray(SIG_AT + 3, SIG_AT + 3 + 256);
    const key = createPublicKey({ key: { kty: 'RSA', n: Buffer.from(sast.value.modulus).toString('base64url'), e: 'AQAB' }, format: 'jwk' });
    const without = (from: number, to: number) => Buffer.concat([itl.subarray(0, from), itl.subarray(to)]);
    expect(verify('sha1', without(SIG_AT, SIG_AT + 259), key, sig)).toBe(true);
    // Neither the whole file, nor the file with only the value removed, is what was signed.
    expect(verify('sha1', Buffer.from(itl), key, sig)).toBe(false);
    expect(verify('sha1', without(SIG_AT + 3, SIG_AT + 259), key, sig)).toBe(false);
    // The streaming digest is that same SHA1, and HAL crypto verifies it.
    const list = mustList(itl);
    expect(hex(list.digest)).toBe(createHash('sha1').update(without(SIG_AT, SIG_AT + 259)).digest('hex'));
    expect(list.signer).toBe(0);
    expect(verifyWith(crypto, list.header, list.digest, list.entries[0])).toBe(true);
  });

  it('streams the same in any chunk size (1, 3, 7, 512, 1428, whole) and with repeated blocks', () => {
    const want = mustList(itl);
    for (const chunk of [1, 3, 7, 512, 1428, itl.length]) {
      const r = parseList(itl, chunk);
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.value).toEqual(want);
    }
    // A retransmitted block (same offset twice) is ignored.
    const s = listSink(crypto);
    expect(s.write(itl.subarray(0, 1000), 0)).toBe(true);
    expect(s.write(itl.subarray(500, 1000), 500)).toBe(true);
    expect(s.write(itl.subarray(1000), 1000)).toBe(true);
    s.end(itl.length);
    expect(s.result).toEqual({ ok: true, value: want });
  });

  it('the store keeps keys and hashes: the SAST key whole, the others as hashes (entries as expected)', () => {
    const list = mustList(itl);
    expect(list.entries.map((e) => [e.role, e.cn, hex(e.serial), hex(e.certHash), e.modulus.length])).toEqual(
      RECORDS.map(([, , role, subject, serial, sha256]) => [role, cnOf(subject), serial, sha256, role === ROLE_SAST ? 256 : 0]),
    );
    const st = new TrustStore(crypto);
    const o = st.offer(SLOT_ITL, list);
    expect(o.ok && o.value.status).toBe('new');
    if (o.ok) expect(o.value.bytes.length).toBeLessThan(1024); // vs 10370 bytes of file
  });

  it('a changed byte anywhere in the signed part makes the signature fail (sampled every 97 bytes)', () => {
    for (let at = 0; at < itl.length; at += 97) {
      if (at >= SIG_AT && at < SIG_AT + 259) continue;
      const t = itl.slice();
      t[at] ^= 0x01;
      const r = parseList(t);
      if (!r.ok) continue; // the change broke the format: a typed parse error, also a refusal
      const st = new TrustStore(crypto);
      expect(st.offer(SLOT_ITL, r.value)).toMatchObject({ ok: false });
    }
  });

  it('header and records re-emit byte for byte (emit writes this file\'s field order)', () => {
    const h = parseHeader(itl);
    if (!h.ok) throw new Error(h.detail);
    expect(headerLen(h.value)).toBe(388);
    const out = new Uint8Array(388);
    expect(emitHeader(h.value, out, 0)).toBe(388);
    expect(hex(out)).toBe(hex(itl.subarray(0, 388)));
    for (const [off, len] of RECORDS) {
      const r = parseRecordOrThrow(itl, off);
      expect(recordLen(r)).toBe(len);
      const b = new Uint8Array(len);
      expect(emitRecord(r, b, 0)).toBe(len);
      expect(hex(b)).toBe(hex(itl.subarray(off, off + len)));
    }
  });

  it('feeds through the sink with begin-less TFTP semantics: a gap is malformed, end() short is truncated', () => {
    const s = listSink(crypto);
    s.write(itl.subarray(0, 100), 0);
    expect(s.write(itl.subarray(200, 300), 200)).toBe(false);
    expect(s.result).toMatchObject({ ok: false, error: 'malformed' });
    const t = feed(listSink(crypto), itl.subarray(0, 5000));
    expect(t.result).toMatchObject({ ok: false, error: 'truncated' });
  });
});

function parseRecordOrThrow(b: Uint8Array, off: number) {
  const r = parseRecord(b.subarray(off));
  if (!r.ok) throw new Error(r.detail);
  return r.value;
}

function cnOf(subject: string): string {
  const m = /CN=([^,]*)/.exec(subject);
  return m ? m[1] : '';
}
