/**
 * The Internet checksum (RFC 1071): one's-complement sum of 16-bit big-endian words.
 * `sum16` accumulates so pseudo headers and payloads can be summed apart; `fold` finishes.
 * An odd final byte is padded with a zero low byte (RFC 1071 4.1). CDP differs on odd
 * lengths (Cisco sums the last byte as a signed value): see firmware/discovery/cdp.
 */
export function sum16(bytes: Uint8Array, start: number, end: number, acc: number): number {
  let sum = acc;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  // Fold now and then so the sum stays a small integer on engines with 32-bit ints.
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** Final fold and complement; 0 is returned as 0 (callers map it as their protocol says). */
export function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return (~s) & 0xffff;
}

export function internetChecksum(bytes: Uint8Array, start: number, end: number): number {
  return fold(sum16(bytes, start, end, 0));
}
