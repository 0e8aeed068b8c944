import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { TLSSocket, createSecureContext } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { Scheduler } from '../../../hal/sim/scheduler';
import { SimBoard } from '../../../hal/sim/board';
import { IoActivity, runWithIo } from '../../../hal/sim/io';
import type { TlsSession } from '../../../hal/tls';
import { asciiBytes, bytesToAscii } from '../../../lib/bytes';

const OPENSSL = '/usr/bin/openssl';
const dir = existsSync(OPENSSL) ? mkdtempSync(join(tmpdir(), 'dialtone-btls-')) : '';
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe.skipIf(!dir)('SimBoard TLS on virtual time', () => {
  it('a firmware TLS session completes between virtual events, and its callbacks run inside the board', async () => {
    execFileSync(OPENSSL, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '2', '-subj', '/CN=cucm1'], { stdio: 'ignore' });
    const pem = readFileSync(join(dir, 'c.pem'), 'utf8');
    const der = new Uint8Array(new X509Certificate(pem).raw);
    const sched = new Scheduler(1);
    const serverIo = new IoActivity();
    let session: TlsSession | null = null;
    const events: string[] = [];
    // The "TCP" between board and server: 2 ms each way on virtual time.
    const wire = new Duplex({
      read() { /* pushed */ },
      write(chunk: Buffer, _e, cb) {
        serverIo.touch();
        const bytes = new Uint8Array(chunk);
        sched.after(2, () => session?.receive(bytes));
        cb();
      },
    });
    const server = new TLSSocket(wire, { isServer: true, secureContext: createSecureContext({ key: readFileSync(join(dir, 'k.pem')), cert: pem }) });
    server.on('data', (d: Buffer) => { serverIo.touch(); server.write('ack ' + d.toString()); });
    const board = new SimBoard(sched, {
      tls: 'host',
      name: 'SEP0001', mac: new Uint8Array([0, 1, 2, 3, 4, 5]), flash: 'tiny',
      boot: (hal) => {
        session = hal.tls.connect({ serverName: 'cucm1', trusted: [der], checkName: false }, {
          onSend: (b) => sched.after(2, () => { serverIo.touch(); wire.push(Buffer.from(b)); }),
          onConnected: () => { events.push(`connected t=${hal.clock.now()}`); session!.write(asciiBytes('RegisterReq')); },
          onData: (b) => { events.push(`data ${bytesToAscii(b)}`); throw new Error('firmware bug in onData'); },
          onClose: (r) => events.push('close ' + r),
        });
      },
    });
    board.powerOn();
    await runWithIo(sched, 1000, [board.io, serverIo]);
    expect(events[0]).toMatch(/^connected t=\d+$/);
    const t = Number(events[0].split('=')[1]);
    expect(t).toBeGreaterThanOrEqual(4); // at least one round trip of 2 + 2 ms
    expect(t).toBeLessThan(50);
    expect(events[1]).toBe('data ack RegisterReq');
    // The throw in onData was contained by the board: a crash and a reset, not a failed run.
    expect(board.crashes.length).toBe(1);
    expect(board.resetReason()).toBe('crash');
  });
});
