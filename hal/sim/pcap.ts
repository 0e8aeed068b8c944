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

/** One frame of a capture and its time stamp in milliseconds. */
export interface CaptureRecord {
  frame: Uint8Array;
  timeMs: number;
}

const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER = 0x1a2b3c4d;
const PCAPNG_EPB = 6;

/**
 * The frames of a capture file: classic pcap (either byte order, micro- or nanosecond
 * stamps) or pcapng (enhanced packet blocks; stamps assume the default microsecond
 * resolution). Host code for tests and tools: throws on what it cannot read.
 */
export function readCapture(bytes: Uint8Array): CaptureRecord[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 24) throw new Error('capture: shorter than a pcap header');
  const out: CaptureRecord[] = [];
  if (v.getUint32(0, true) === PCAPNG_SHB) {
    const le = v.getUint32(8, true) === PCAPNG_BYTE_ORDER;
    let at = 0;
    while (at + 12 <= bytes.length) {
      const type = v.getUint32(at, le);
      const len = v.getUint32(at + 4, le);
      if (len < 12 || at + len > bytes.length) throw new Error(`capture: bad pcapng block at ${at}`);
      if (type === PCAPNG_EPB) {
        const stamp = v.getUint32(at + 12, le) * 4294967296 + v.getUint32(at + 16, le);
        const cap = v.getUint32(at + 20, le);
        out.push({ frame: bytes.slice(at + 28, at + 28 + cap), timeMs: stamp / 1000 });
      }
      at += len;
    }
    return out;
  }
  const magicLe = v.getUint32(0, true);
  const magicBe = v.getUint32(0, false);
  const micro = magicLe === PCAP_MAGIC || magicBe === PCAP_MAGIC;
  const nano = magicLe === 0xa1b23c4d || magicBe === 0xa1b23c4d;
  if (!micro && !nano) throw new Error('capture: neither pcap nor pcapng');
  const le = magicLe === PCAP_MAGIC || magicLe === 0xa1b23c4d;
  const fraction = nano ? 1e6 : 1e3;
  let at = 24;
  while (at + 16 <= bytes.length) {
    const incl = v.getUint32(at + 8, le);
    if (at + 16 + incl > bytes.length) throw new Error(`capture: truncated record at ${at}`);
    const timeMs = v.getUint32(at, le) * 1000 + v.getUint32(at + 4, le) / fraction;
    out.push({ frame: bytes.slice(at + 16, at + 16 + incl), timeMs });
    at += 16 + incl;
  }
  return out;
}
