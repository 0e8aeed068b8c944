import { describe, expect, it } from 'vitest';
import { PcapWriter } from '../../../hal/sim/pcap';
import { haveTshark, tempCapture, tsharkReport, tsharkFields } from '../../tshark';
import { runScenario } from './traffic';

describe('PcapWriter', () => {
  it('writes the classic header and records with virtual-time stamps', () => {
    const w = new PcapWriter();
    w.write(new Uint8Array([1, 2, 3]), 1234.5678);
    w.write(new Uint8Array(0), 1999.9996); // rounds up into the next second
    const b = w.toBytes();
    const v = new DataView(b.buffer);
    expect(b.length).toBe(24 + 16 + 3 + 16);
    expect(Buffer.from(b.subarray(0, 24)).toString('hex')).toBe(
      'd4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + 'ffff0000' + '01000000');
    expect([v.getUint32(24, true), v.getUint32(28, true), v.getUint32(32, true), v.getUint32(36, true)]).toEqual([1, 234568, 3, 3]);
    expect([...b.subarray(40, 43)]).toEqual([1, 2, 3]);
    expect([v.getUint32(43, true), v.getUint32(47, true)]).toEqual([2, 0]);
    expect(w.count).toBe(2);
  });
});

describe('pcap of a simulated run', () => {
  it('is the same bytes for the same seed and differs for another seed', () => {
    const a = runScenario(42);
    const b = runScenario(42);
    const c = runScenario(43);
    expect(a.count).toBeGreaterThan(150);
    expect(Buffer.compare(a.pcap, b.pcap)).toBe(0);
    expect(Buffer.compare(a.pcap, c.pcap)).not.toBe(0);
  });

  it.skipIf(!haveTshark)('opens in tshark with no malformed frame or expert error', () => {
    const run = runScenario(7);
    const path = tempCapture('run.pcap', run.pcap);
    const report = tsharkReport(path);
    expect(report.frames).toBe(run.count);
    expect(report.protocols.ARP).toBeGreaterThan(0);
    expect((report.protocols.UDP ?? 0) + (report.protocols.DISCARD ?? 0)).toBeGreaterThan(0);
    expect(tsharkFields(path, ['frame.number'], 'vlan.id == 100').length).toBeGreaterThan(0);
    expect(report.problems).toEqual([]);
  });
});
