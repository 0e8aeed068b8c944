/**
 * HAL Crypto on node:crypto (OpenSSL): what the simulated boards and the lab use by default.
 * Never throws on bad input: a malformed key or signature verifies as false.
 */
import { createHash, createPublicKey, publicDecrypt, verify, constants, type KeyObject } from 'node:crypto';
import type { Crypto, Sha256 } from '../crypto';
import { DIGEST_INFO_PREFIX, bytesEqualCt, stripLeadingZeros } from './crypto-common';

/** SubjectPublicKeyInfo header of an Ed25519 key (RFC 8410): SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (33) }. */
const ED25519_SPKI_PREFIX = new Uint8Array([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

function streaming(algorithm: 'sha256' | 'sha1' | 'md5'): Sha256 {
  const h = createHash(algorithm);
  return {
    update: (data: Uint8Array) => { h.update(data); },
    digest: () => new Uint8Array(h.digest()),
  };
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

export class HostCrypto implements Crypto {
  sha256(): Sha256 {
    return streaming('sha256');
  }

  sha1(): Sha256 {
    return streaming('sha1');
  }

  md5(): Sha256 {
    return streaming('md5');
  }

  ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    try {
      const der = new Uint8Array(ED25519_SPKI_PREFIX.length + 32);
      der.set(ED25519_SPKI_PREFIX, 0);
      der.set(publicKey, ED25519_SPKI_PREFIX.length);
      const key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
      return verify(null, message, key, signature);
    } catch {
      return false;
    }
  }

  rsaPkcs1Verify(hash: 'sha1' | 'sha256', digest: Uint8Array, signature: Uint8Array,
                 modulus: Uint8Array, exponent: Uint8Array): boolean {
    const prefix = DIGEST_INFO_PREFIX[hash];
    if (!prefix || digest.length !== prefix.digestLength) return false;
    const n = stripLeadingZeros(modulus);
    const e = stripLeadingZeros(exponent);
    if (n.length < 64 || e.length === 0 || signature.length !== n.length) return false;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' });
    } catch {
      return false;
    }
    try {
      // The digest is already computed, so recover the signed DigestInfo (RSAVP1 + EMSA-PKCS1-v1_5
      // type 1 unpadding in OpenSSL) and compare it whole, as RFC 8017 8.2.2 step 4 does.
      const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
      const expected = new Uint8Array(prefix.bytes.length + digest.length);
      expected.set(prefix.bytes, 0);
      expected.set(digest, prefix.bytes.length);
      return bytesEqualCt(new Uint8Array(recovered), expected);
    } catch {
      return false;
    }
  }
}
