/**
 * The SIP code on the target: it bundles and passes the project lint (it reaches
 * dist/firmware.js once the CallManager stage imports it), and target-entry.ts gives the
 * same log natively and inside QuickJS (the md5/sha256 host calls of the HAL prelude),
 * plain and under the Espruino-semantics prelude.
 */
import { describe, it, expect } from 'vitest';
import path from 'node:path';
import { buildTarget, REPO_ROOT } from '../../../tools/build/build';
import { Scheduler } from '../../../hal/sim/scheduler';
import { HostCrypto } from '../../../hal/sim/crypto-host';
import { QuickJsBoard } from '../../../hal/target/quickjs';
import { ESPRUINO_SEMANTICS } from '../../../hal/target/espruino-semantics';
import type { Hal } from '../../../hal/index';
import { main } from './target-entry';

const ENTRY = path.join(REPO_ROOT, 'test', 'unit', 'sip', 'target-entry.ts');

function native(): string[] {
  const lines: string[] = [];
  main({ crypto: new HostCrypto(), system: { log: (_l: number, tag: string, m: string) => lines.push(`${tag}: ${m}`) } } as unknown as Hal);
  return lines;
}

describe('sip on the target', () => {
  it('SipRegister, SipLink, wire and digest bundle and lint clean', async () => {
    const r = await buildTarget({ source: `
import { SipRegister, sipTransport } from './firmware/callmanager/sip/register';
import { SipLink } from './firmware/callmanager/sip/link';
export function main(hal: any): void {
  const c = new SipRegister({ user: '1001', password: 'x', transport: sipTransport(2), targets: [{ host: 'a', port: 5060 }], localIp: 1,
    crypto: hal.crypto, random: hal.entropy.u32 });
  new SipLink(hal.net, hal.clock, c, { transport: 'UDP' }, function (e: any): void { hal.log(e.kind); }).start();
}` });
    expect(r.errors).toEqual([]);
    expect(r.findings).toEqual([]);
    const js = Object.keys(r.metafile!.outputs).find((k) => k.endsWith('.js'))!;
    const sizes = Object.entries(r.metafile!.outputs[js].inputs)
      .filter(([f]) => f.includes('sip/')).map(([f, v]) => `${path.basename(f)} ${v.bytesInOutput}`);
    console.log(`[target] SIP bundle ${r.bytes} bytes minified (${sizes.join(', ')})`);
  });

  it('the same log natively and in QuickJS, plain and with Espruino semantics', async () => {
    const want = native();
    expect(want[0]).toBe('sip: rfc2617 6629fae49393a05397450978507c4ef1');
    expect(want[1]).toBe('sip: rfc7616 753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    // 401 then 200; a refresh 401 stale=true (SHA-256) then 200; a refresh with the cached nonce; the unregister.
    expect(want.filter((l) => l.startsWith('sip: event'))).toEqual(['sip: event connect', 'sip: event registered 120 false',
      'sip: event registered 120 true', 'sip: event registered 120 true', 'sip: event stopped']);
    // The SHA-256 challenge answered, then reused by the next refresh and the unregister.
    expect(want.filter((l) => l.includes('algorithm=SHA-256'))).toHaveLength(3);
    expect(want.at(-1)).toMatch(/^sip: state done at \d+$/);
    const r = await buildTarget({ entry: ENTRY });
    expect(r.findings).toEqual([]);
    for (const extraPrelude of [undefined, ESPRUINO_SEMANTICS]) {
      const sched = new Scheduler(1);
      const qb = await QuickJsBoard.create({ sched, bundle: { code: r.code, filename: 'sip.js', globalName: 'DialtoneFirmware' }, extraPrelude });
      try {
        qb.run(1000);
        expect(qb.board.crashes).toEqual([]);
        expect(qb.board.logs.filter((l) => l.tag === 'sip').map((l) => `${l.tag}: ${l.message}`)).toEqual(want);
      } finally {
        qb.dispose();
      }
    }
  });
});
