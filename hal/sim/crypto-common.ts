/**
 * Constants shared by the host and portable crypto: the DER DigestInfo prefixes of
 * RFC 8017 section 9.2 note 1. No Node APIs here (crypto-portable must stay bundleable).
 */
export const DIGEST_INFO_PREFIX: Record<'sha1' | 'sha256', { bytes: Uint8Array; digestLength: number }> = {
  // SEQUENCE { SEQUENCE { OID 1.3.14.3.2.26, NULL }, OCTET STRING (20) }
  sha1: {
    bytes: new Uint8Array([0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14]),
    digestLength: 20,
  },
  // SEQUENCE { SEQUENCE { OID 2.16.840.1.101.3.4.2.1, NULL }, OCTET STRING (32) }
  sha256: {
    bytes: new Uint8Array([0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]),
    digestLength: 32,
  },
};

export function stripLeadingZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return b.subarray(i);
}

/** Equality without an early exit (the lengths are public). */
export function bytesEqualCt(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}
