/**
 * firmware/discovery is target code: bundled the way the firmware is (esbuild es2015 with
 * the unsupported features off) it must pass the project lint (Espruino/XS subset).
 * main.ts does not import discovery yet, so this builds a small entry that does.
 */
import { describe, it, expect } from 'vitest';
import { buildTarget } from '../../../tools/build/build';
import { formatFinding } from '../../../tools/build/lint';

const ENTRY = `
import { DiscoveryService, DiscoveryAgent } from './firmware/discovery/agent';
import * as cdp from './firmware/discovery/cdp';
import * as lldp from './firmware/discovery/lldp';
export function main(hal: any) {
  const s = new DiscoveryService({ mac: hal.eth.mac(), loadId: 'L', platform: 'P', poe: hal.poe },
    { clock: hal.clock, send: (f: Uint8Array) => { hal.eth.send(f); }, system: hal.system, display: hal.display });
  hal.eth.onReceive((f: Uint8Array) => { s.handleFrame(f); });
  s.start();
  return [DiscoveryAgent, cdp.parseFrame, lldp.parseFrame];
}
`;

describe('discovery bundle for the target', () => {
  it('builds and lints clean', async () => {
    const r = await buildTarget({ source: ENTRY, lint: true });
    expect(r.errors.map((e) => e.text)).toEqual([]);
    expect(r.findings.map((f) => formatFinding(f, 'discovery'))).toEqual([]);
    expect(r.ok).toBe(true);
  });
});
