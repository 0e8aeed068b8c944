import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { TLSSocket, createSecureContext } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { HostTls } from '../../../hal/sim/tls-host';
import { IoActivity } from '../../../hal/sim/io';
import type { TlsClientOptions } from '../../../hal/tls';
import { asciiBytes, bytesToAscii } from '../../../lib/bytes';

const OPENSSL = '/usr/bin/openssl';
const haveOpenssl = existsSync(OPENSSL);

interface Cert { key: string; pem: string; der: Uint8Array }
let dir = '';
const certs: Record<string, Cert> = {};

function makeCert(name: string, cn: string): Cert {
  const key = join(dir, name + '.key');
  const crt = join(dir, name + '.crt');
  execFileSync(OPENSSL, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', crt, '-days', '2', '-subj', '/CN=' + cn, '-addext', 'subjectAltName=DNS:' + cn], { stdio: 'ignore' });
  const pem = readFileSync(crt, 'utf8');
  return { key: readFileSync(key, 'utf8'), pem, der: new Uint8Array(new X509Certificate(pem).raw) };
}

beforeAll(() => {
  if (!haveOpenssl) return;
  dir = mkdtempSync(join(tmpdir(), 'dialtone-tls-'));
  certs.cucm = makeCert('cucm', 'cucm.example');
  certs.other = makeCert('other', 'other.example');
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A node:tls server and the HostTls client, each one's ciphertext fed to the other in memory. */
function rig(options: Partial<TlsClientOptions>) {
  const serverIo = new IoActivity();
  const client = new HostTls();
  const log: string[] = [];
  let peerCert: Uint8Array | null = null;
  const received: string[] = [];
  let session: ReturnType<HostTls['connect']> | null = null;
  const wire = new Duplex({
    read() { /* pushed */ },
    write(chunk: Buffer, _e, cb) {
      serverIo.touch();
      const bytes = new Uint8Array(chunk);
      session?.receive(bytes);
      cb();
    },
  });
  const server = new TLSSocket(wire, { isServer: true, secureContext: createSecureContext({ key: certs.cucm.key, cert: certs.cucm.pem }) });
  server.on('data', (d: Buffer) => { serverIo.touch(); received.push(d.toString()); server.write(d.toString().toUpperCase()); });
  server.on('end', () => { serverIo.touch(); log.push('server end'); });
  server.on('error', (e) => { serverIo.touch(); log.push('server error ' + e.message); });
  session = client.connect({ serverName: 'cucm.example', trusted: [certs.cucm.der], checkName: true, ...options }, {
    onSend: (b) => { serverIo.touch(); wire.push(Buffer.from(b)); },
    onConnected: (c) => { peerCert = c; log.push('connected'); },
    onData: (b) => log.push('data ' + bytesToAscii(b)),
    onClose: (r) => log.push('close ' + r),
  });
  const pump = async () => {
    while (client.io.busy() || serverIo.busy()) {
      await client.io.settle();
      await serverIo.settle();
    }
  };
  return { session, log, received, pump, peerCert: () => peerCert };
}

describe.skipIf(!haveOpenssl)('HostTls', () => {
  it('connects to a server whose certificate is trusted, and carries data both ways', async () => {
    const r = rig({});
    r.session.write(asciiBytes('register 1001')); // queued until the handshake is done
    await r.pump();
    expect(r.log).toEqual(['connected', 'data REGISTER 1001']);
    expect(Buffer.compare(r.peerCert()!, certs.cucm.der)).toBe(0);
    expect(r.received).toEqual(['register 1001']);
    r.session.close();
    await r.pump();
    expect(r.log).toContain('server end');
    expect(r.log.filter((l) => l.startsWith('close')).length).toBe(1);
  });

  it('refuses a server whose certificate is not in the trust list', async () => {
    const r = rig({ trusted: [certs.other.der] });
    r.session.write(asciiBytes('secret'));
    await r.pump();
    expect(r.log.some((l) => l === 'connected')).toBe(false);
    expect(r.log.find((l) => l.startsWith('close'))).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|self.signed/i);
    expect(r.received).toEqual([]);
  });

  it('refuses an empty trust list', async () => {
    const r = rig({ trusted: [] });
    await r.pump();
    expect(r.log.some((l) => l === 'connected')).toBe(false);
    expect(r.log.some((l) => l.startsWith('close'))).toBe(true);
  });

  it('checks the name only when asked to', async () => {
    const strict = rig({ serverName: 'cm1.other.example', checkName: true });
    await strict.pump();
    expect(strict.log.some((l) => l === 'connected')).toBe(false);
    expect(strict.log.find((l) => l.startsWith('close'))).toMatch(/ALTNAME|does not match/i);
    const lax = rig({ serverName: '10.1.1.5', checkName: false });
    await lax.pump();
    expect(lax.log[0]).toBe('connected');
  });
});
