/**
 * The SCCP byte streams of a capture: TCP payloads per direction in sequence order, with
 * retransmissions dropped (the real nDPI capture has one), cut into frames by the codec's
 * FrameReader. The TCP header is read by hand: the real capture's checksums are offloaded.
 */
import * as ethernet from '../../../firmware/net/wire/ethernet';
import * as ipv4 from '../../../firmware/net/wire/ipv4';
import { FrameReader, PORT } from '../../../firmware/callmanager/sccp/wire';
import { copyBytes } from '../../../lib/bytes';

export interface SccpFrame {
  /** True for phone -> CallManager (destination port 2000). */
  toCm: boolean;
  /** Index of the capture frame that completed it. */
  frame: number;
  bytes: Uint8Array;
}

export function sccpFrames(frames: Uint8Array[], port = PORT): SccpFrame[] {
  const out: SccpFrame[] = [];
  const next = new Map<string, number>();
  const readers = new Map<string, FrameReader>();
  frames.forEach((f, index) => {
    const e = ethernet.parse(f);
    if (!e.ok || e.value.ethertype !== ethernet.ETHERTYPE_IPV4) return;
    const ip = ipv4.parse(e.value.payload);
    if (!ip.ok || ip.value.protocol !== 6) return;
    const seg = ip.value.payload;
    const src = (seg[0] << 8) | seg[1];
    const dst = (seg[2] << 8) | seg[3];
    if (src !== port && dst !== port) return;
    const seq = ((seg[4] << 24) | (seg[5] << 16) | (seg[6] << 8) | seg[7]) >>> 0;
    const flags = seg[13];
    const data = seg.subarray((seg[12] >> 4) * 4);
    const key = `${ip.value.src}:${src}>${ip.value.dst}:${dst}`;
    if (flags & 0x02) { next.set(key, (seq + 1) >>> 0); return; }
    if (data.length === 0) return;
    const want = next.get(key);
    if (want !== undefined && want !== seq) return; // retransmission (or a hole: not in these captures)
    next.set(key, (seq + data.length) >>> 0);
    let r = readers.get(key);
    if (!r) { r = new FrameReader(); readers.set(key, r); }
    const err = r.push(data, (fr) => out.push({ toCm: dst === port, frame: index, bytes: copyBytes(fr) }));
    if (err) throw new Error(`${key}: ${err.error} ${err.detail}`);
  });
  return out;
}
