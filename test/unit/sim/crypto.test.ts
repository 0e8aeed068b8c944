import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { HostCrypto } from '../../../hal/sim/crypto-host';
import { PortableCrypto } from '../../../hal/sim/crypto-portable';
import { fromHex, hex } from '../../../lib/bytes';
import { asciiBytes } from '../../../lib/bytes';
import { Prng } from '../../../hal/sim/prng';

const engines = [['host', new HostCrypto()], ['portable', new PortableCrypto()]] as const;

function h(s: string): Uint8Array {
  const b = fromHex(s);
  if (!b) throw new Error('bad hex in test');
  return b;
}

// RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2 (one byte 0x72).
const RFC8032 = [
  {
    pub: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    msg: '',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    pub: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    msg: '72',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
];

// A fixed 2048-bit key (generated once with openssl genpkey), so the tests are deterministic.
const rsaKey = createPrivateKey(readFileSync(new URL('./fixtures/rsa2048-key.pem', import.meta.url)));
const rsaJwk = createPublicKey(rsaKey).export({ format: 'jwk' });
const modulus = new Uint8Array(Buffer.from(rsaJwk.n as string, 'base64url'));
const exponent = new Uint8Array(Buffer.from(rsaJwk.e as string, 'base64url'));

describe.each(engines)('%s crypto', (_name, c) => {
  it('streams SHA-256 and SHA-1 (FIPS 180 "abc" and chunked input)', () => {
    const s = c.sha256();
    s.update(asciiBytes('ab'));
    s.update(asciiBytes('c'));
    expect(hex(s.digest())).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const s1 = c.sha1();
    s1.update(asciiBytes('abc'));
    expect(hex(s1.digest())).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    const big = new Uint8Array(100_000);
    new Prng(3).bytes(big);
    const chunked = c.sha256();
    for (let i = 0; i < big.length; i += 777) chunked.update(big.subarray(i, i + 777));
    expect(hex(chunked.digest())).toBe(createHash('sha256').update(big).digest('hex'));
  });

  it('verifies the RFC 8032 Ed25519 vectors and refuses tampered ones', () => {
    for (const v of RFC8032) {
      const sig = h(v.sig);
      const msg = h(v.msg);
      const pub = h(v.pub);
      expect(c.ed25519Verify(sig, msg, pub)).toBe(true);
      const badSig = sig.slice();
      badSig[5] ^= 1;
      expect(c.ed25519Verify(badSig, msg, pub)).toBe(false);
      expect(c.ed25519Verify(sig, new Uint8Array([1, ...msg]), pub)).toBe(false);
      expect(c.ed25519Verify(sig.subarray(0, 63), msg, pub)).toBe(false);
      expect(c.ed25519Verify(sig, msg, pub.subarray(0, 31))).toBe(false);
      expect(c.ed25519Verify(sig, msg, new Uint8Array(32).fill(0xff))).toBe(false); // not a point
    }
  });

  it.each(['sha256', 'sha1'] as const)('verifies an RSA PKCS#1 v1.5 %s signature made by node:crypto', (alg) => {
    const message = asciiBytes('CTLFile.tlv signed by the SAST');
    const signature = new Uint8Array(sign(alg, message, rsaKey));
    const digest = new Uint8Array(createHash(alg).update(message).digest());
    expect(c.rsaPkcs1Verify(alg, digest, signature, modulus, exponent)).toBe(true);
    // With a leading zero on the modulus (as DER INTEGERs carry it).
    expect(c.rsaPkcs1Verify(alg, digest, signature, new Uint8Array([0, ...modulus]), exponent)).toBe(true);
    const badSig = signature.slice();
    badSig[100] ^= 0x10;
    expect(c.rsaPkcs1Verify(alg, digest, badSig, modulus, exponent)).toBe(false);
    const badDigest = digest.slice();
    badDigest[0] ^= 1;
    expect(c.rsaPkcs1Verify(alg, badDigest, signature, modulus, exponent)).toBe(false);
    const other = alg === 'sha1' ? 'sha256' : 'sha1';
    expect(c.rsaPkcs1Verify(other, new Uint8Array(other === 'sha1' ? 20 : 32), signature, modulus, exponent)).toBe(false);
    expect(c.rsaPkcs1Verify(alg, digest.subarray(1), signature, modulus, exponent)).toBe(false);
    expect(c.rsaPkcs1Verify(alg, digest, signature.subarray(1), modulus, exponent)).toBe(false);
    expect(c.rsaPkcs1Verify(alg, digest, signature, new Uint8Array(0), exponent)).toBe(false);
    expect(c.rsaPkcs1Verify(alg, digest, signature, modulus, new Uint8Array(0))).toBe(false);
    expect(c.rsaPkcs1Verify(alg, digest, new Uint8Array(256).fill(0xff), modulus, exponent)).toBe(false); // >= n
    expect(c.rsaPkcs1Verify('md5' as 'sha1', digest, signature, modulus, exponent)).toBe(false);
  });
});

describe('host and portable agree', () => {
  it('on random garbage and on bit flips of valid inputs', () => {
    const [host, portable] = [engines[0][1], engines[1][1]];
    const rng = new Prng(77);
    const message = asciiBytes('SEP001E4A123456.cnf.xml.sgn');
    const signature = new Uint8Array(sign('sha256', message, rsaKey));
    const digest = new Uint8Array(createHash('sha256').update(message).digest());
    for (let i = 0; i < 40; i++) {
      const s = signature.slice();
      s[rng.int(0, 255)] ^= 1 << rng.int(0, 7);
      expect(portable.rsaPkcs1Verify('sha256', digest, s, modulus, exponent)).toBe(host.rsaPkcs1Verify('sha256', digest, s, modulus, exponent));
      const e = new Uint8Array(rng.int(1, 4));
      rng.bytes(e);
      expect(portable.rsaPkcs1Verify('sha256', digest, signature, modulus, e)).toBe(host.rsaPkcs1Verify('sha256', digest, signature, modulus, e));
      const v = RFC8032[i % 2];
      const sig = h(v.sig);
      sig[rng.int(0, 63)] ^= 1 << rng.int(0, 7);
      const pub = new Uint8Array(32);
      rng.bytes(pub);
      expect(portable.ed25519Verify(sig, h(v.msg), h(v.pub))).toBe(host.ed25519Verify(sig, h(v.msg), h(v.pub)));
      expect(portable.ed25519Verify(h(v.sig), h(v.msg), pub)).toBe(host.ed25519Verify(h(v.sig), h(v.msg), pub));
    }
  });
});
