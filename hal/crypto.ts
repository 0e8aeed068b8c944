/**
 * Crypto that needs native speed or big integers. On a board this is the chip's
 * accelerator (ESP32 SHA/RSA peripherals) or a native module; on an engine with BigInt it
 * can be @noble (hal/sim/crypto-portable.ts); on the host it is node:crypto. Calls are
 * synchronous and never throw on bad input: a wrong key or signature verifies as false.
 */
export interface Sha256 {
  update(data: Uint8Array): void;
  /** The 32-byte digest; the object must not be used afterwards. */
  digest(): Uint8Array;
}

export interface Crypto {
  /** A streaming SHA-256 (memory does not grow with the input). */
  sha256(): Sha256;
  /** A streaming SHA-1 (CTL/ITL files and older .sgn signatures use it). */
  sha1(): Sha256;
  /** A streaming MD5 (RFC 1321): SIP digest authentication (RFC 2617, RFC 7616 MD5). */
  md5(): Sha256;
  /** Ed25519 (RFC 8032) verify of `signature` (64 B) over `message` with `publicKey` (32 B). */
  ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /**
   * RSASSA-PKCS1-v1_5 verify (RFC 8017 8.2.2) of `signature` over an already computed
   * `digest`, `hash` naming the digest algorithm for the DigestInfo; the key is the
   * big-endian modulus and public exponent.
   */
  rsaPkcs1Verify(hash: 'sha1' | 'sha256', digest: Uint8Array, signature: Uint8Array,
                 modulus: Uint8Array, exponent: Uint8Array): boolean;
}
