/**
 * Classic libpcap capture files (https://wiki.wireshark.org/Development/LibpcapFileFormat):
 * magic a1b2c3d4 written little-endian, version 2.4, snaplen 65535, LINKTYPE_ETHERNET (1),
 * 16-byte record headers with microsecond timestamps. Timestamps are virtual ms, so a
 * capture of a seeded run is the same bytes every time.
 */
import { writeFileSync } from 'node:fs';
import type { SimSwitch } from './switch';

export const PCAP_MAGIC = 0xa1b2c3d4;
export const LINKTYPE_ETHERNET = 1;
export const PCAP_SNAPLEN = 65535;

export class PcapWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  /** Records written so far. */
  count = 0;

  constructor() {
    const h = new Uint8Array(24);
    const v = new DataView(h.buffer);
    v.setUint32(0, PCAP_MAGIC, true);
    v.setUint16(4, 2, true); // version major
    v.setUint16(6, 4, true); // version minor
    v.setInt32(8, 0, true); // thiszone: timestamps are UTC (here: virtual time from 0)
    v.setUint32(12, 0, true); // sigfigs
    v.setUint32(16, PCAP_SNAPLEN, true);
    v.setUint32(20, LINKTYPE_ETHERNET, true);
    this.push(h);
  }

  /** Append one frame seen at virtual time `timeMs` (the bytes are copied). */
  write(frame: Uint8Array, timeMs: number): void {
    // Round to whole microseconds first so 999.9996 us carries into the next second.
    const us = Math.max(0, Math.round(timeMs * 1000));
    const caplen = Math.min(frame.length, PCAP_SNAPLEN);
    const r = new Uint8Array(16 + caplen);
    const v = new DataView(r.buffer);
    v.setUint32(0, Math.floor(us / 1_000_000), true);
    v.setUint32(4, us % 1_000_000, true);
    v.setUint32(8, caplen, true);
    v.setUint32(12, frame.length, true);
    r.set(frame.subarray(0, caplen), 16);
    this.push(r);
    this.count++;
  }

  /** The whole file so far. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  writeFile(path: string): void {
    writeFileSync(path, this.toBytes());
  }

  private push(c: Uint8Array): void {
    this.chunks.push(c);
    this.size += c.length;
  }
}

/**
 * Record every frame on the switch's wires once: as it enters the switch from a port, and
 * each control frame the switch itself sends. Returns a function that stops recording.
 */
export function attachPcap(sw: SimSwitch, writer: PcapWriter): () => void {
  return sw.tap((frame, inPort, outPort, timeMs) => {
    if (outPort === null || inPort === null) writer.write(frame, timeMs);
  });
}
