/**
 * Hand-built frames for testing the bridge itself, independent of the firmware's codecs
 * (so a codec bug cannot hide a bridge bug, and the bridge can be tested before the stack
 * exists). Field offsets are spelled out; see RFC 826 (ARP) and RFC 791 (IPv4).
 */

export function mac(text: string): Uint8Array {
  const parts = text.split(':');
  if (parts.length !== 6) throw new RangeError(`mac: '${text}'`);
  return new Uint8Array(parts.map((p) => parseInt(p, 16)));
}

export function macText(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

export function ip(text: string): Uint8Array {
  return new Uint8Array(text.split('.').map(Number));
}

export function ipText(b: Uint8Array): string {
  return Array.from(b).join('.');
}

/** Ethernet header (+ an 802.1Q tag when `vlan` is given) around `payload`, padded to 60. */
export function ethernet(dst: Uint8Array, src: Uint8Array, ethertype: number, payload: Uint8Array, vlan?: number, pcp = 0): Uint8Array {
  const hdr = vlan === undefined ? 14 : 18;
  const f = new Uint8Array(Math.max(60, hdr + payload.length));
  f.set(dst, 0);
  f.set(src, 6);
  let o = 12;
  if (vlan !== undefined) {
    f[12] = 0x81; f[13] = 0x00;                  // TPID 802.1Q
    f[14] = (pcp << 5) | (vlan >> 8); f[15] = vlan & 0xff; // PCP, DEI=0, VID
    o = 16;
  }
  f[o] = ethertype >> 8;
  f[o + 1] = ethertype & 0xff;
  f.set(payload, hdr);
  return f;
}

/** An ARP request (RFC 826) who-has `targetIp` tell `senderIp`, broadcast. */
export function arpRequest(senderMac: Uint8Array, senderIp: Uint8Array, targetIp: Uint8Array, vlan?: number): Uint8Array {
  const a = new Uint8Array(28);
  a.set([0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01], 0); // htype Ethernet, ptype IPv4, hlen, plen, op request
  a.set(senderMac, 8);
  a.set(senderIp, 14);
  // target hardware address 18..24 stays zero
  a.set(targetIp, 24);
  return ethernet(mac('ff:ff:ff:ff:ff:ff'), senderMac, 0x0806, a, vlan);
}

export interface EthInfo {
  dst: string;
  src: string;
  /** VID when tagged, else null. */
  vlan: number | null;
  ethertype: number;
  payload: Uint8Array;
}

export function parseEthernet(f: Uint8Array): EthInfo | null {
  if (f.length < 14) return null;
  let type = (f[12] << 8) | f[13];
  let o = 14;
  let vlan: number | null = null;
  if (type === 0x8100) {
    if (f.length < 18) return null;
    vlan = ((f[14] << 8) | f[15]) & 0x0fff;
    type = (f[16] << 8) | f[17];
    o = 18;
  }
  return { dst: macText(f.subarray(0, 6)), src: macText(f.subarray(6, 12)), vlan, ethertype: type, payload: f.subarray(o) };
}

export interface ArpInfo {
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
  vlan: number | null;
}

export function parseArp(f: Uint8Array): ArpInfo | null {
  const e = parseEthernet(f);
  if (!e || e.ethertype !== 0x0806 || e.payload.length < 28) return null;
  const a = e.payload;
  return {
    op: (a[6] << 8) | a[7],
    senderMac: macText(a.subarray(8, 14)),
    senderIp: ipText(a.subarray(14, 18)),
    targetMac: macText(a.subarray(18, 24)),
    targetIp: ipText(a.subarray(24, 28)),
    vlan: e.vlan,
  };
}

/** RFC 1071 sum over `b`, complemented. */
export function inetChecksum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i] << 8) | b[i + 1];
  if (b.length & 1) s += b[b.length - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export interface UdpInfo {
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  /** IPv4 header checksum verifies (sum over the header is 0). */
  ipChecksumOk: boolean;
  payload: Uint8Array;
  vlan: number | null;
  dstMac: string;
}

/** An IPv4/UDP frame's addresses and payload, or null when it is something else. */
export function parseUdp(f: Uint8Array): UdpInfo | null {
  const e = parseEthernet(f);
  if (!e || e.ethertype !== 0x0800 || e.payload.length < 20) return null;
  const p = e.payload;
  const ihl = (p[0] & 15) * 4;
  const total = (p[2] << 8) | p[3];
  if (p[9] !== 17 || ihl < 20 || total > p.length || total < ihl + 8) return null;
  const u = p.subarray(ihl, total);
  return {
    srcIp: ipText(p.subarray(12, 16)),
    dstIp: ipText(p.subarray(16, 20)),
    srcPort: (u[0] << 8) | u[1],
    dstPort: (u[2] << 8) | u[3],
    ipChecksumOk: inetChecksum(p.subarray(0, ihl)) === 0,
    payload: u.subarray(8, (u[4] << 8) | u[5]),
    vlan: e.vlan,
    dstMac: e.dst,
  };
}

/** Resolve with the first frame `match` accepts; reject after `timeoutMs`. */
export function nextFrame<T>(
  subscribe: (handler: (f: Uint8Array) => void) => void, match: (f: Uint8Array) => T | null, timeoutMs: number, what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    subscribe((f) => {
      if (done) return;
      const m = match(f);
      if (m !== null) {
        done = true;
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
}
