// The SCCP codec and session build for the target and pass the project lint on their own
// (they reach dist/firmware.js once the CallManager stage imports them).
import { describe, it, expect } from 'vitest';
import { buildTarget } from '../../../tools/build/build';

const ENTRY = `
import { SccpClient } from './firmware/callmanager/sccp/client';
import { SccpLink } from './firmware/callmanager/sccp/link';
export function main(hal: any): void {
  const c = new SccpClient({ mac: new Uint8Array(6), ip: 1, deviceType: 434, loadInfo: 'x' });
  const l = new SccpLink(hal.clock, c, function (e: any): void { hal.log(e.kind); });
  l.connected({ write: function (b: Uint8Array): boolean { return b.length > 0; }, close: function (): void {} });
  l.data(new Uint8Array(12));
}
`;

describe('sccp on the target', () => {
  it('bundles and lints clean', async () => {
    const r = await buildTarget({ source: ENTRY });
    expect(r.errors).toEqual([]);
    expect(r.findings).toEqual([]);
    expect(r.ok).toBe(true);
  });
});
