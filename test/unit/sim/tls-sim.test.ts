// The deterministic simulation TLS engine (hal/sim/tls-sim.ts): a forge client and server
// joined back to back, as the phone and the lab CallManager are over the simulated TCP.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SimTls, SimTlsServer } from '../../../hal/sim/tls-sim';
import type { TlsSession } from '../../../hal/tls';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-sim-'));
// A fixed key and certificate made once per run by openssl (installed by .ci/run).
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out',
  path.join(dir, 'c.pem'), '-days', '3650', '-subj', '/CN=cm1'], { stdio: 'ignore' });
const KEY = fs.readFileSync(path.join(dir, 'k.pem'), 'utf8');
const CERT = fs.readFileSync(path.join(dir, 'c.pem'), 'utf8');
const CERT_DER = new Uint8Array(Buffer.from(CERT.replace(/-----[^-]+-----|\s/g, ''), 'base64'));

function pair(seed: number, trusted: Uint8Array[]) {
  const wire: string[] = [];
  const log: string[] = [];
  let toServer: TlsSession | null = null;
  const q: Array<() => void> = [];
  const server = new SimTlsServer({ certificate: CERT, privateKeyPem: KEY, seed: seed + 1 }).accept({
    onSend: (b) => { wire.push(`s${Buffer.from(b).toString('hex')}`); q.push(() => client.receive(b)); },
    onConnected: () => log.push('server up'),
    onData: (b) => { log.push(`server got ${Buffer.from(b)}`); server.write(new TextEncoder().encode('pong')); },
    onClose: (r) => log.push(`server closed: ${r}`),
  });
  toServer = server;
  const client = new SimTls(seed).connect({ serverName: '10.1.100.1', trusted, checkName: false }, {
    onSend: (b) => { wire.push(`c${Buffer.from(b).toString('hex')}`); q.push(() => toServer!.receive(b)); },
    onConnected: (peer) => { log.push(`client up ${peer.length}`); client.write(new TextEncoder().encode('ping')); },
    onData: (b) => log.push(`client got ${Buffer.from(b)}`),
    onClose: (r) => log.push(`client closed: ${r}`),
  });
  for (let i = 0; i < 100 && q.length > 0; i++) q.shift()!();
  return { wire, log };
}

describe('SimTls', () => {
  it('handshakes and carries data both ways', () => {
    const { log } = pair(1, []);
    expect(log).toContain(`client up ${CERT_DER.length}`);
    expect(log).toContain('server got ping');
    expect(log).toContain('client got pong');
  });

  it('is deterministic: the same seed gives the same ciphertext, another seed another', () => {
    const a = pair(7, []).wire.join();
    const b = pair(7, []).wire.join();
    const c = pair(8, []).wire.join();
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('with a trusted list, refuses a certificate not in it', () => {
    const ok = pair(3, [CERT_DER]).log;
    expect(ok).toContain('client got pong');
    const other = CERT_DER.slice();
    other[other.length - 5] ^= 1;
    const bad = pair(3, [other]).log;
    expect(bad.some((l) => l.startsWith('client closed: tls: certificate not in the trusted list'))).toBe(true);
    expect(bad).not.toContain('server got ping');
  });
});
