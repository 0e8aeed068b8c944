/**
 * HAL Crypto in portable JavaScript (@noble + BigInt): what an engine with BigInt but no
 * native crypto would run. No Node APIs, so it bundles for such an engine. Never throws on
 * bad input. Ed25519 verification is RFC 8032 strict (zip215: false), as OpenSSL's is, so
 * host and portable agree on every input.
 */
import * as ed from '@noble/ed25519';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { sha1, md5 } from '@noble/hashes/legacy.js';
import type { Crypto, Sha256 } from '../crypto';
import { DIGEST_INFO_PREFIX, bytesEqualCt, stripLeadingZeros } from './crypto-common';

ed.hashes.sha512 = sha512;

function toBig(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = 0; i < b.length; i++) v = (v << 8n) | BigInt(b[i]);
  return v;
}

/** I2OSP (RFC 8017 4.1): big-endian, exactly `len` bytes (the caller knows v < 256^len). */
function toBytes(v: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = v;
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

export class PortableCrypto implements Crypto {
  sha256(): Sha256 {
    const h = sha256.create();
    return { update: (d: Uint8Array) => { h.update(d); }, digest: () => h.digest() };
  }

  sha1(): Sha256 {
    const h = sha1.create();
    return { update: (d: Uint8Array) => { h.update(d); }, digest: () => h.digest() };
  }

  md5(): Sha256 {
    const h = md5.create();
    return { update: (d: Uint8Array) => { h.update(d); }, digest: () => h.digest() };
  }

  ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    try {
      return ed.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  }

  rsaPkcs1Verify(hash: 'sha1' | 'sha256', digest: Uint8Array, signature: Uint8Array,
                 modulus: Uint8Array, exponent: Uint8Array): boolean {
    try {
      const prefix = DIGEST_INFO_PREFIX[hash];
      if (!prefix || digest.length !== prefix.digestLength) return false;
      const nBytes = stripLeadingZeros(modulus);
      const eBytes = stripLeadingZeros(exponent);
      const k = nBytes.length;
      // Same floor as the host (OpenSSL refuses tiny moduli): 512 bits.
      if (k < 64 || eBytes.length === 0 || signature.length !== k) return false;
      const n = toBig(nBytes);
      const e = toBig(eBytes);
      const s = toBig(signature);
      if (s >= n || (n & 1n) === 0n) return false; // RSAVP1 step 1; an even modulus is no RSA key
      const em = toBytes(modPow(s, e, n), k);
      // EMSA-PKCS1-v1_5: 00 01 FF..FF 00 || DigestInfo || digest, at least 8 bytes of FF.
      const tLen = prefix.bytes.length + digest.length;
      if (k < tLen + 11) return false;
      const expected = new Uint8Array(k);
      expected[1] = 0x01;
      expected.fill(0xff, 2, k - tLen - 1);
      expected.set(prefix.bytes, k - tLen);
      expected.set(digest, k - digest.length);
      return bytesEqualCt(em, expected);
    } catch {
      return false;
    }
  }
}
