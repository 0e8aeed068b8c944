/**
 * CRCs used on flash and on the serial line, table-free (a 256-entry table costs more RAM
 * on Espruino than the bit loop costs time for records of a few hundred bytes).
 */

/** CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320), as zlib computes it. Chainable via `crc`. */
export function crc32(bytes: Uint8Array, start: number, end: number, crc?: number): number {
  let c = crc === undefined ? 0xffffffff : (~crc) >>> 0;
  for (let i = start; i < end; i++) {
    c ^= bytes[i];
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (~c) >>> 0;
}

/**
 * CRC-16/XMODEM (poly 0x1021, init 0, not reflected): the CRC that MCUboot's serial
 * recovery (and Zephyr's SMP over a console) puts on each frame.
 */
export function crc16Xmodem(bytes: Uint8Array, start: number, end: number, crc?: number): number {
  let c = crc === undefined ? 0 : crc;
  for (let i = start; i < end; i++) {
    c ^= bytes[i] << 8;
    for (let k = 0; k < 8; k++) c = (c & 0x8000) !== 0 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  }
  return c;
}

/** CRC-8 (poly 0x07), for small records such as a boot-state entry. */
export function crc8(bytes: Uint8Array, start: number, end: number): number {
  let c = 0;
  for (let i = start; i < end; i++) {
    c ^= bytes[i];
    for (let k = 0; k < 8; k++) c = (c & 0x80) !== 0 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
  }
  return c;
}
