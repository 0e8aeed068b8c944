/**
 * The harness's tshark check must actually catch what it is there to catch: a clean report
 * from the interop tests is only worth something if a bad checksum or a malformed frame
 * would have shown up. Needs tshark only (no root): the pcap is written by PcapWriter.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PcapWriter } from '../../../hal/sim/pcap';
import { hasCommand } from '../../../tools/bridge/proc';
import { tsharkReport, tempDir } from '../harness/index';
import { ethernet, mac, inetChecksum } from '../harness/frames';

/** IPv4/UDP 10.77.0.2:4000 -> 10.77.0.1:4001 with a correct IP header and UDP checksum. */
function udpFrame(payload: Uint8Array): Uint8Array {
  const ip = new Uint8Array(20 + 8 + payload.length);
  ip.set([0x45, 0, (ip.length >> 8) & 0xff, ip.length & 0xff, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 77, 0, 2, 10, 77, 0, 1]);
  const c = inetChecksum(ip.subarray(0, 20));
  ip[10] = c >> 8; ip[11] = c & 0xff;
  const u = ip.subarray(20);
  u.set([0x0f, 0xa0, 0x0f, 0xa1, ((8 + payload.length) >> 8) & 0xff, (8 + payload.length) & 0xff, 0, 0]);
  u.set(payload, 8);
  // Pseudo header (RFC 768): src, dst, zero, protocol, UDP length.
  const pseudo = new Uint8Array(12 + u.length);
  pseudo.set(ip.subarray(12, 20), 0);
  pseudo[9] = 17; pseudo[10] = u[4]; pseudo[11] = u[5];
  pseudo.set(u, 12);
  const uc = inetChecksum(pseudo) || 0xffff;
  u[6] = uc >> 8; u[7] = uc & 0xff;
  return ethernet(mac('02:00:00:00:00:01'), mac('02:00:00:00:00:02'), 0x0800, ip);
}

describe.skipIf(!hasCommand('tshark'))('tsharkReport', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('passes a clean frame and flags a bad UDP checksum, a bad IP checksum and a truncated packet', async () => {
    const w = new PcapWriter();
    const payload = new TextEncoder().encode('hello dialtone');
    w.write(udpFrame(payload), 0); // 1: clean
    const badUdp = udpFrame(payload);
    badUdp[14 + 20 + 6] ^= 0x55; // 2: UDP checksum wrong
    w.write(badUdp, 1);
    const badIp = udpFrame(payload);
    badIp[14 + 10] ^= 0x55; // 3: IPv4 header checksum wrong
    w.write(badIp, 2);
    const truncated = udpFrame(payload).subarray(0, 14 + 20 + 4); // 4: IP total length beyond the frame
    w.write(truncated, 3);
    const file = tmp.file('bad.pcap');
    w.writeFile(file);
    const r = tsharkReport(file);
    expect(r.frames).toBe(4);
    const flagged = r.problems.map((p) => Number(/^frame (\d+)/.exec(p)![1]));
    expect(flagged).not.toContain(1);
    expect(flagged).toEqual(expect.arrayContaining([2, 3, 4]));
  });
});
