/**
 * `dialtone ota serve` (tools/ota) on real sockets against real clients on loopback: the
 * tftp-hpa client (no options, 512-byte lock-step) and atftp (blksize 1428, windowsize 16),
 * a boot storm of 20 atftp clients at once, path traversal refused, and the CLI itself
 * started as a user would (its banner, one log line per transfer, Ctrl-C).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash } from 'node:crypto';
import { writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOtaServer, type OtaServer } from '../../../tools/ota/serve';
import { sh, Daemon, hasCommand } from '../../../tools/bridge/proc';
import { tempDir } from '../harness/index';
import { Prng } from '../../../hal/sim/prng';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** `n` bytes from a seeded PRNG: the same payload every run (test/fuzz/seeded.test.ts). */
function seededBytes(seed: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  new Prng(seed).bytes(b);
  return b;
}
const missing = ['tftp', 'atftp'].filter((t) => !hasCommand(t));
if (missing.length) process.stderr.write(`[interop] skipping ota serve: missing ${missing.join(', ')} (apt-get install tftp-hpa atftp)\n`);

describe.skipIf(missing.length > 0)('dialtone ota serve against tftp-hpa and atftp', () => {
  const tmp = tempDir('dialtone-ota-');
  const root = tmp.file('root');
  const big = seededBytes(0x07a5e1, 3 << 20);
  let server: OtaServer;
  const log: string[] = [];

  beforeAll(async () => {
    mkdirSync(root);
    mkdirSync(path.join(root, 'firmware'));
    writeFileSync(path.join(root, 'big.bin'), big);
    writeFileSync(path.join(root, 'firmware', 'SEP001E4A123456.cnf.xml'), '<device/>');
    writeFileSync(tmp.file('secret'), 'outside the root');
    server = await startOtaServer({ root, port: 0, address: '127.0.0.1', log: (l) => log.push(l) });
  });
  afterAll(async () => {
    await server?.close();
    tmp.cleanup();
  });

  const port = (): string => String(server.port);

  it('the tftp-hpa client (no options, 512-byte blocks) gets a file intact', async () => {
    const out = tmp.file('hpa.bin');
    await sh('tftp', ['-m', 'binary', '127.0.0.1', port(), '-c', 'get', 'big.bin', out], { timeoutMs: 60_000 });
    expect(sha(readFileSync(out))).toBe(sha(big));
    const t = server.transfers.at(-1)!;
    expect(t).toMatchObject({ result: 'ok', file: 'big.bin', blksize: 512, windowsize: 1, options: '' });
    expect(log.at(-1)).toMatch(/^127\.0\.0\.1:\d+ big\.bin: sent 3145728 bytes in \d+ ms \(blksize 512, windowsize 1\)/);
  });

  it('atftp with blksize 1428 and windowsize 16 gets them granted and the file intact', async () => {
    const out = tmp.file('atftp.bin');
    await sh('atftp', ['-g', '-r', 'big.bin', '-l', out, '--option', 'blksize 1428', '--option', 'windowsize 16', '127.0.0.1', port()], { timeoutMs: 60_000 });
    expect(sha(readFileSync(out))).toBe(sha(big));
    expect(server.transfers.at(-1)).toMatchObject({ result: 'ok', blksize: 1428, windowsize: 16 });
  });

  it('a leading slash and a subfolder work; .. is refused with ERROR 2 (the client says so)', async () => {
    const out = tmp.file('cnf.xml');
    await sh('tftp', ['-m', 'binary', '127.0.0.1', port(), '-c', 'get', '/firmware/SEP001E4A123456.cnf.xml', out]);
    expect(readFileSync(out, 'utf8')).toBe('<device/>');
    const bad = await sh('atftp', ['-g', '-r', '../secret', '-l', tmp.file('stolen'), '127.0.0.1', port()], { allowFail: true });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr + bad.stdout).toMatch(/access violation/i);
    expect(server.transfers.at(-1)).toMatchObject({ result: 'error', code: 2 });
  });

  it('a boot storm: 20 atftp clients fetch the same file at once, each gets it intact', async () => {
    const n = 20;
    const before = server.transfers.length;
    const runs = Array.from({ length: n }, (_, i) =>
      sh('atftp', ['-g', '-r', 'big.bin', '-l', tmp.file(`storm${i}.bin`), '--option', 'blksize 1428', '127.0.0.1', port()], { timeoutMs: 120_000 }));
    await Promise.all(runs);
    for (let i = 0; i < n; i++) expect(sha(readFileSync(tmp.file(`storm${i}.bin`)))).toBe(sha(big));
    const storm = server.transfers.slice(before);
    expect(storm.filter((t) => t.result === 'ok').length).toBe(n);
    expect(new Set(storm.map((t) => t.port)).size).toBe(n);
  });

  it('the CLI: banner with the port, a line per transfer, Ctrl-C stops it', async () => {
    const d = new Daemon(path.join(REPO, 'node_modules', '.bin', 'tsx'), [path.join(REPO, 'tools', 'cli.ts'), 'ota', 'serve', '--root', root, '--port', '0', '--address', '127.0.0.1'], { name: 'ota serve' });
    try {
      const m = await d.waitForOutput(/serving .* on 127\.0\.0\.1:(\d+) \(Ctrl-C to stop\)/, 30_000);
      const out = tmp.file('cli.bin');
      await sh('tftp', ['-m', 'binary', '127.0.0.1', m[1], '-c', 'get', 'big.bin', out], { timeoutMs: 60_000 });
      expect(sha(readFileSync(out))).toBe(sha(big));
      await d.waitForOutput(/Z 127\.0\.0\.1:\d+ big\.bin: sent 3145728 bytes/, 10_000);
      await d.stop('SIGINT', 5_000);
      expect(d.output()).toMatch(/ota serve: stopped after 1 transfers/);
    } finally {
      await d.stop('SIGKILL', 1_000);
    }
  });

  it('the CLI refuses mistakes with one line', async () => {
    const tsx = path.join(REPO, 'node_modules', '.bin', 'tsx');
    const cli = path.join(REPO, 'tools', 'cli.ts');
    const r1 = await sh(tsx, [cli, 'ota', 'serve'], { allowFail: true });
    expect([r1.code, r1.stderr.trim()]).toEqual([2, 'dialtone: ota serve: --root DIR is required']);
    const r2 = await sh(tsx, [cli, 'ota', 'serve', '--root', root, '--port', 'x'], { allowFail: true });
    expect(r2.stderr.trim()).toBe("dialtone: ota serve: --port wants a whole number 0..65535, got 'x'");
    const r3 = await sh(tsx, [cli, 'ota', 'serve', '--root', root, '--port', String(server.port), '--address', '127.0.0.1'], { allowFail: true });
    expect(r3.stderr.trim()).toMatch(/^dialtone: ota serve: 127\.0\.0\.1:\d+ is in use/);
  });
});
