/** Raw frame builders for the sim tests (the firmware's wire codecs are not used here, so these tests stand alone). */
export const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export function mac(last: number): Uint8Array {
  return new Uint8Array([0x00, 0x1e, 0x4a, 0x00, 0x00, last]);
}

/** An untagged Ethernet II frame with a 2-byte sequence number in the payload. */
export function frame(dst: Uint8Array, src: Uint8Array, seq = 0, etherType = 0x88b5, length = 64): Uint8Array {
  const f = new Uint8Array(length);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = etherType >> 8;
  f[13] = etherType & 0xff;
  f[14] = seq >> 8;
  f[15] = seq & 0xff;
  for (let i = 16; i < length; i++) f[i] = (i * 7) & 0xff;
  return f;
}

/** The same with an 802.1Q tag. */
export function tagged(dst: Uint8Array, src: Uint8Array, vid: number, seq = 0, pcp = 5): Uint8Array {
  const inner = frame(dst, src, seq);
  const f = new Uint8Array(inner.length + 4);
  f.set(inner.subarray(0, 12), 0);
  f[12] = 0x81;
  f[13] = 0x00;
  f[14] = (pcp << 5) | (vid >> 8);
  f[15] = vid & 0xff;
  f.set(inner.subarray(12), 16);
  return f;
}

export function vlanOf(f: Uint8Array): number | null {
  if (f[12] === 0x81 && f[13] === 0x00) return ((f[14] << 8) | f[15]) & 0x0fff;
  return null;
}

/** Sequence number of a frame() / tagged() frame. */
export function seqOf(f: Uint8Array): number {
  const o = vlanOf(f) === null ? 14 : 18;
  return (f[o] << 8) | f[o + 1];
}
