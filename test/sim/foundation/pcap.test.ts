import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '../../../hal/sim/pcap';
import { runScenario } from './traffic';

const TSHARK = '/usr/bin/tshark';

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

  it.skipIf(!existsSync(TSHARK))('opens in tshark with no malformed frame or expert error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dialtone-pcap-'));
    try {
      const path = join(dir, 'run.pcap');
      const run = runScenario(7);
      writeFileSync(path, run.pcap);
      const lines = execFileSync(TSHARK, ['-r', path, '-T', 'fields', '-e', 'frame.number', '-e', '_ws.col.Protocol'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .trim().split('\n');
      expect(lines.length).toBe(run.count);
      const protos = new Set(lines.map((l) => l.split('\t')[1]));
      expect(protos.has('ARP')).toBe(true);
      expect(protos.has('UDP') || protos.has('DISCARD')).toBe(true);
      const vlan = execFileSync(TSHARK, ['-r', path, '-Y', 'vlan.id == 100', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      expect(vlan.trim().length).toBeGreaterThan(0);
      const bad = execFileSync(TSHARK, ['-r', path, '-Y', '_ws.malformed || _ws.expert.severity >= error', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      expect(bad.trim()).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
