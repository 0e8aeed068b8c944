/**
 * The target's DER reader (firmware/trust/der.ts) on certificates it did not make: an EC
 * certificate made once by openssl (bytes below), the lab's forge-made RSA ones, and
 * hand-broken shapes, each a typed error.
 */
import { describe, it, expect } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { parseCert, parseRsaKey, Der, KEY_EC, KEY_RSA } from '../../../firmware/trust/der';
import { fromHex, hex } from '../../../lib/bytes';
import { labTrust } from '../../../tools/lab/trust';

// openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj "/CN=ec.lab.test/O=Dialtone Test/C=NZ" -set_serial 0x00ff01
const EC_CERT = fromHex(
  '308201bb30820160a003020102020300ff01300a06082a8648ce3d040302303b3114301206035504030c0b65632e6c61622e7465737431163014060355040a0c0d4469616c746f6e652054657374310b3009060355040613024e5a301e170d3236313230323036353630335a170d3336313132393036353630335a303b3114301206035504030c0b65632e6c61622e7465737431163014060355040a0c0d4469616c746f6e652054657374310b3009060355040613024e5a3059301306072a8648ce3d020106082a8648ce3d03010703420004e74b3b80d69aa5d636b1afea400f7c2c3676cf8fab4835d6227aae06fab955fa91b8c842993e0f8f487c1dda4d379e7b657f1faed630c40a42498f4deaba8baca3533051301d0603551d0e04160414ac14b85bffe1f7815e6e01eb64839495be0c1d6c301f0603551d23041830168014ac14b85bffe1f7815e6e01eb64839495be0c1d6c300f0603551d130101ff040530030101ff300a06082a8648ce3d0403020349003046022100af1411c5d54751c4d4ed3a72c485fbaafe377c4eac2f320c5f99f486d102d2f402210095164a48709cfd4278fb2cc1901fffe64cd1ca6450a2de9d9b5de38ffb12a697',
)!;

describe('DER reader', () => {
  it('reads an EC certificate: names, serial without its sign byte, the key noted as EC with its point', () => {
    const c = parseCert(EC_CERT);
    expect(c.ok).toBe(true);
    if (!c.ok) return;
    expect(c.value).toMatchObject({ subject: 'CN=ec.lab.test,O=Dialtone Test,C=NZ', issuer: 'CN=ec.lab.test,O=Dialtone Test,C=NZ', cn: 'ec.lab.test', keyType: KEY_EC });
    expect(hex(c.value.serial)).toBe('ff01'); // DER 00 ff 01
    expect(hex(c.value.key)).toBe('04e74b3b80d69aa5d636b1afea400f7c2c3676cf8fab4835d6227aae06fab955fa91b8c842993e0f8f487c1dda4d379e7b657f1faed630c40a42498f4deaba8bac');
    expect(c.value.modulus.length).toBe(0);
  });

  it('reads the lab certificates as node:crypto does (subject, serial, 2048-bit key)', () => {
    const t = labTrust();
    for (const id of [t.sast, t.cm1, t.cm2, t.rogue]) {
      const c = parseCert(id.cert);
      if (!c.ok) throw new Error(c.detail);
      const x = new X509Certificate(id.cert);
      expect(c.value.subject).toBe(x.subject.split('\n').join(','));
      expect(hex(c.value.serial)).toBe(x.serialNumber.toLowerCase());
      expect(c.value.keyType).toBe(KEY_RSA);
      expect(c.value.modulus.length).toBe(256);
      expect(hex(c.value.exponent)).toBe('010001');
      const jwk = x.publicKey.export({ format: 'jwk' });
      expect(Buffer.from(c.value.modulus).toString('base64url')).toBe(jwk.n);
    }
  });

  it('refuses what DER does not allow: indefinite or long-for-short lengths, high tags, trailing bytes, truncation', () => {
    const d = new Der(fromHex('3080')!); // indefinite length
    expect(d.read(0, 2, 0x30)).toBe(false);
    expect(new Der(fromHex('30810100')!).read(0, 4, 0x30)).toBe(false); // 1-byte length in long form
    expect(new Der(fromHex('3082000100')!).read(0, 5, 0x30)).toBe(false); // leading zero length byte
    expect(new Der(fromHex('1f0100')!).read(0, 3, -1)).toBe(false); // high tag number form
    expect(new Der(fromHex('3084000000010000')!).read(0, 8, 0x30)).toBe(false); // 4 length bytes
    expect(new Der(fromHex('300300')!).read(0, 3, 0x30)).toBe(false); // content past the end
    expect(new Der(fromHex('3000')!).read(0, 2, 0x31)).toBe(false); // wrong tag
    const withTail = new Uint8Array(EC_CERT.length + 1);
    withTail.set(EC_CERT);
    expect(parseCert(withTail)).toMatchObject({ ok: false, error: 'malformed' });
    for (const cut of [0, 1, 4, 100, EC_CERT.length - 1]) expect(parseCert(EC_CERT.subarray(0, cut))).toMatchObject({ ok: false, error: 'malformed' });
  });

  it('RSAPublicKey: modulus and exponent without sign bytes; anything else malformed', () => {
    expect(parseRsaKey(fromHex('3008020300c5a7020103')!)).toEqual({ ok: true, value: [fromHex('c5a7'), fromHex('03')] });
    expect(parseRsaKey(fromHex('3008020300c5a702010300')!)).toMatchObject({ ok: false, error: 'malformed' });
    expect(parseRsaKey(fromHex('3005020300c5a7')!)).toMatchObject({ ok: false, error: 'malformed' });
  });
});
