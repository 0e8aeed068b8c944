/**
 * SMP over a console line, as MCUboot's serial recovery and Zephyr's SMP shell transport
 * frame it (flash/serial/README.md has the byte layout):
 *
 *   packet = len (u16 BE) | SMP header (8 B) | CBOR payload | CRC-16/XMODEM (u16 BE)
 *            len counts header + payload + CRC; the CRC covers header + payload.
 *   lines  = base64(packet) cut into pieces of at most 124 characters (31 whole quanta, so
 *            each line decodes on its own); the first line starts 0x06 0x09, the others
 *            0x04 0x14; every line ends in '\n' (127 bytes at most, MCUboot's limit).
 *
 * One codec for both ends: the loader's recovery server and `dialtone flash` use the same
 * FrameReader (bounded line and packet buffers, counts what it drops, never throws) and
 * FrameWriter (builds a packet in a fixed buffer and frames it).
 */
import { crc16Xmodem } from '../../lib/crc';
import { base64Decode, base64Encode, base64Length } from './base64';
import { CborWriter } from './cbor';

export const SMP_OP_READ = 0;
export const SMP_OP_READ_RSP = 1;
export const SMP_OP_WRITE = 2;
export const SMP_OP_WRITE_RSP = 3;

export const SMP_HEADER_LEN = 8;
/** Length prefix + SMP header + CRC around a CBOR payload. */
export const PACKET_OVERHEAD = 2 + SMP_HEADER_LEN + 2;
/** Where the CBOR payload starts inside a packet buffer. */
export const PAYLOAD_OFFSET = 2 + SMP_HEADER_LEN;

export const LINE_START_0 = 0x06;
export const LINE_START_1 = 0x09;
export const LINE_CONT_0 = 0x04;
export const LINE_CONT_1 = 0x14;
const NEWLINE = 0x0a;
const CR = 0x0d;

/** Base64 characters per line (31 quanta of 3 bytes = 93 packet bytes). */
export const LINE_BASE64_MAX = 124;
export const LINE_PACKET_BYTES = 93;
/** The longest line we send: marker + base64 + newline. */
export const LINE_MAX = 2 + LINE_BASE64_MAX + 1;

export interface SmpHeader {
  op: number;
  flags: number;
  /** Payload length in bytes. */
  len: number;
  group: number;
  seq: number;
  id: number;
}

/** Parse the 8-byte header at `at` (the caller checked 8 bytes are there). */
export function parseHeader(b: Uint8Array, at: number): SmpHeader {
  return {
    op: b[at] & 7,
    flags: b[at + 1],
    len: (b[at + 2] << 8) | b[at + 3],
    group: (b[at + 4] << 8) | b[at + 5],
    seq: b[at + 6],
    id: b[at + 7],
  };
}

/** Bytes on the wire for a packet of `packetLen` bytes. */
export function framedLength(packetLen: number): number {
  const chars = base64Length(packetLen);
  const lines = ((packetLen + LINE_PACKET_BYTES - 1) / LINE_PACKET_BYTES) | 0;
  return chars + 3 * lines;
}

/**
 * Frame packet[start, end) into console lines at out[offset]; returns the bytes written.
 * `out` must hold framedLength(end - start) bytes from offset.
 */
export function frameLines(packet: Uint8Array, start: number, end: number, out: Uint8Array, offset: number): number {
  let o = offset;
  let first = true;
  for (let p = start; p < end; p += LINE_PACKET_BYTES) {
    out[o++] = first ? LINE_START_0 : LINE_CONT_0;
    out[o++] = first ? LINE_START_1 : LINE_CONT_1;
    first = false;
    const e = p + LINE_PACKET_BYTES < end ? p + LINE_PACKET_BYTES : end;
    o += base64Encode(packet, p, e, out, o);
    out[o++] = NEWLINE;
  }
  return o - offset;
}

/**
 * Builds one packet at a time in a fixed buffer: `begin()` hands a CborWriter positioned
 * after the header, `finish()` fills in length, header and CRC and returns the framed
 * lines (a view into the writer's own output buffer, valid until the next finish()).
 */
export class FrameWriter {
  readonly packet: Uint8Array;
  private readonly wire: Uint8Array;
  private readonly cbor: CborWriter;

  /** `capacity`: the largest packet (length prefix and CRC included) this writer builds. */
  constructor(capacity: number) {
    this.packet = new Uint8Array(capacity);
    this.wire = new Uint8Array(framedLength(capacity));
    // The writer stops two bytes short of the end: room for the CRC.
    this.cbor = new CborWriter(this.packet.subarray(0, capacity - 2), PAYLOAD_OFFSET);
  }

  /** Start a packet; write the CBOR payload through the returned writer. */
  begin(): CborWriter {
    const w = this.cbor;
    w.pos = PAYLOAD_OFFSET;
    w.overflow = false;
    return w;
  }

  /** Seal the packet begun last; null when the payload overflowed the buffer. */
  finish(op: number, group: number, id: number, seq: number): Uint8Array | null {
    const w = this.cbor;
    if (w.overflow) return null;
    const b = this.packet;
    const payloadLen = w.pos - PAYLOAD_OFFSET;
    const len = SMP_HEADER_LEN + payloadLen + 2;
    b[0] = len >> 8;
    b[1] = len & 255;
    b[2] = op & 7;
    b[3] = 0;
    b[4] = payloadLen >> 8;
    b[5] = payloadLen & 255;
    b[6] = group >> 8;
    b[7] = group & 255;
    b[8] = seq & 255;
    b[9] = id & 255;
    const crc = crc16Xmodem(b, 2, w.pos);
    b[w.pos] = crc >> 8;
    b[w.pos + 1] = crc & 255;
    const n = frameLines(b, 0, w.pos + 2, this.wire, 0);
    return this.wire.subarray(0, n);
  }
}

/** Called for each whole, CRC-checked packet: the payload is buf[start, end), valid during the call. */
export type PacketHandler = (header: SmpHeader, buf: Uint8Array, start: number, end: number) => void;

/** What a FrameReader dropped, by reason. */
export interface FrameStats {
  /** Packets delivered. */
  packets: number;
  /** Packets whose CRC did not check. */
  badCrc: number;
  /** Lines or packets that broke the framing (bad base64, bad length, stray continuation, header length). */
  malformed: number;
  /** Lines longer than the line buffer, or packets longer than the packet buffer. */
  overflow: number;
  /** Lines without a frame marker (console text); ignored. */
  noise: number;
}

/**
 * Reassembles packets from console lines. Memory is two buffers sized at construction;
 * nothing grows with the input. Any damage drops the packet in progress and is counted;
 * the reader then waits for the next start line.
 */
export class FrameReader {
  readonly stats: FrameStats;
  private readonly line: Uint8Array;
  private lineLen: number;
  private discarding: boolean;
  private readonly packet: Uint8Array;
  private packetLen: number;
  private inPacket: boolean;
  private readonly handler: PacketHandler;

  /** `capacity`: largest packet accepted (length prefix and CRC included); `lineMax`: longest line. */
  constructor(capacity: number, handler: PacketHandler, lineMax?: number) {
    this.line = new Uint8Array(lineMax === undefined ? LINE_MAX + 1 : lineMax);
    this.lineLen = 0;
    this.discarding = false;
    this.packet = new Uint8Array(capacity);
    this.packetLen = 0;
    this.inPacket = false;
    this.handler = handler;
    this.stats = { packets: 0, badCrc: 0, malformed: 0, overflow: 0, noise: 0 };
  }

  /** Forget a packet in progress (inactivity timeout). */
  reset(): void {
    this.inPacket = false;
    this.packetLen = 0;
    this.lineLen = 0;
    this.discarding = false;
  }

  /** True while a packet is half received. */
  busy(): boolean {
    return this.inPacket || this.lineLen > 0;
  }

  /** Feed received bytes bytes[start, end) (whole array when omitted). */
  push(bytes: Uint8Array, start?: number, end?: number): void {
    const s = start === undefined ? 0 : start;
    const e = end === undefined ? bytes.length : end;
    for (let i = s; i < e; i++) {
      const c = bytes[i];
      if (c === NEWLINE) {
        if (this.discarding) this.discarding = false;
        else if (this.lineLen > 0) this.onLine(this.lineLen);
        this.lineLen = 0;
      } else if (c === CR || this.discarding) {
        // MCUboot ends lines "\n\r": a CR is never part of a line.
      } else if (this.lineLen < this.line.length) {
        this.line[this.lineLen++] = c;
      } else {
        this.stats.overflow++;
        this.discarding = true;
        this.lineLen = 0;
        this.inPacket = false;
      }
    }
  }

  private drop(overflow: boolean): void {
    if (overflow) this.stats.overflow++;
    else this.stats.malformed++;
    this.inPacket = false;
    this.packetLen = 0;
  }

  private onLine(n: number): void {
    const l = this.line;
    const start = n >= 2 && l[0] === LINE_START_0 && l[1] === LINE_START_1;
    const cont = n >= 2 && l[0] === LINE_CONT_0 && l[1] === LINE_CONT_1;
    if (!start && !cont) {
      this.stats.noise++;
      return;
    }
    if (start) {
      if (this.inPacket) this.stats.malformed++; // the previous packet never finished
      this.inPacket = true;
      this.packetLen = 0;
    } else if (!this.inPacket) {
      this.stats.malformed++;
      return;
    }
    const got = base64Decode(l, 2, n, this.packet, this.packetLen, this.packet.length);
    if (got < 0) {
      // Either bad characters or more bytes than the buffer holds.
      this.drop((n - 2) % 4 === 0 && this.packetLen + ((n - 2) / 4) * 3 - 2 > this.packet.length);
      return;
    }
    this.packetLen += got;
    if (this.packetLen < 2) return;
    const total = ((this.packet[0] << 8) | this.packet[1]) + 2;
    if (total < PACKET_OVERHEAD) { this.drop(false); return; }
    if (total > this.packet.length) { this.drop(true); return; }
    if (this.packetLen < total) return;
    if (this.packetLen > total) { this.drop(false); return; }
    this.inPacket = false;
    this.packetLen = 0;
    if (crc16Xmodem(this.packet, 2, total) !== 0) {
      this.stats.badCrc++;
      return;
    }
    const h = parseHeader(this.packet, 2);
    if (h.len !== total - PACKET_OVERHEAD) {
      this.stats.malformed++;
      return;
    }
    this.stats.packets++;
    this.handler(h, this.packet, PAYLOAD_OFFSET, PAYLOAD_OFFSET + h.len);
  }
}
