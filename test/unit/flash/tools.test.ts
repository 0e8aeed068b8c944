import { afterAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as keygen } from '../../../tools/image/keygen';
import { run as sign } from '../../../tools/image/sign';
import { run as image } from '../../../tools/image/cli';
import { UserError } from '../../../tools/errors';
import { largestImage } from '../../../tools/image/lib';

const dir = mkdtempSync(join(tmpdir(), 'dialtone-image-'));
const p = (f: string) => join(dir, f);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run a command, capturing stdout/stderr lines. */
async function cli(fn: (a: string[]) => Promise<number>, argv: string[]) {
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((m: string) => { out.push(String(m)); });
  const err = vi.spyOn(console, 'error').mockImplementation((m: string) => { out.push(String(m)); });
  try {
    return { code: await fn(argv), out: out.join('\n') };
  } catch (e) {
    if (e instanceof UserError) return { code: e.exitCode, out: 'dialtone: ' + e.message };
    throw e;
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

describe('dialtone keygen / sign / image', () => {
  writeFileSync(p('fw.js'), 'function main(hal) { hal.system.log(1, "fw", "hello"); }\n'.repeat(50));

  it('keygen writes a private key only its owner can read, and the public key beside it', async () => {
    expect((await cli(keygen, ['-o', p('k.pem')])).code).toBe(0);
    expect(statSync(p('k.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(p('k.pem.pub'), 'utf8')).toMatch(/BEGIN PUBLIC KEY/);
    expect((await cli(keygen, ['-o', p('k.json')])).code).toBe(0);
    expect(JSON.parse(readFileSync(p('k.json'), 'utf8')).type).toBe('ed25519');
    const again = await cli(keygen, ['-o', p('k.pem')]);
    expect(again).toMatchObject({ code: 1, out: expect.stringMatching(/exists/) });
  });

  it('sign -> show -> verify round trip; verify with the wrong key fails with the reason', async () => {
    const s = await cli(sign, ['--key', p('k.pem'), '--load-id', 'SIP78xx.14-1-1', '--version', '14.1.1+2', '--security-counter', '5', '--build-time', '1700000000', p('fw.js'), '-o', p('img')]);
    expect(s.code).toBe(0);
    const show = await cli(image, ['show', p('img')]);
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/load ID +SIP78xx\.14-1-1/);
    expect(show.out).toMatch(/version +14\.1\.1\+2/);
    expect(show.out).toMatch(/SEC_CNT \(0x50\) +5/);
    expect(show.out).toMatch(/KEYID \(0x01\) +[0-9a-f]{16}/);
    expect((await cli(image, ['verify', p('img'), '--pub', p('k.pem.pub')])).code).toBe(0);
    expect((await cli(image, ['verify', p('img'), '--key', p('k.pem')])).code).toBe(0);
    const wrong = await cli(image, ['verify', p('img'), '--key', p('k.json')]);
    expect(wrong).toMatchObject({ code: 1, out: expect.stringMatching(/INVALID: unknown-key/) });
    const bytes = readFileSync(p('img'));
    bytes[100] ^= 1;
    writeFileSync(p('bad'), bytes);
    expect(await cli(image, ['verify', p('bad'), '--pub', p('k.pem.pub')])).toMatchObject({ code: 1, out: expect.stringMatching(/hash-mismatch/) });
  });

  it('keygen prints the next commands; sign derives the counter from the version and says so', async () => {
    const k = await cli(keygen, ['-o', p('n.pem')]);
    expect(k.out).toMatch(/^next: npm run build -- --trust .*n\.pem\.pub/m);
    expect(k.out).toMatch(/^then: npx dialtone sign --key .*n\.pem /m);
    const s = await cli(sign, ['--key', p('n.pem'), '--load-id', 'L.2', '--version', '3.7.1', '--build-time', '1', p('fw.js'), '-o', p('d')]);
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/security counter 775 \(derived from version 3\.7: major x 256 \+ minor\)/);
    expect((await cli(image, ['show', p('d')])).out).toMatch(/SEC_CNT \(0x50\) +775/);
    const given = await cli(sign, ['--key', p('n.pem'), '--load-id', 'L.2', '--version', '3.7.1', '--security-counter', '9', '--build-time', '1', p('fw.js'), '-o', p('e')]);
    expect(given.out).toMatch(/security counter 9 ->/);
  });

  it('the same inputs sign to the same bytes (Ed25519 is deterministic; build time given)', async () => {
    const args = ['--key', p('k.json'), '--load-id', 'L.1', '--security-counter', '1', '--build-time', '1', p('fw.js'), '-o'];
    await cli(sign, [...args, p('a')]);
    await cli(sign, [...args, p('b')]);
    expect(readFileSync(p('a'))).toEqual(readFileSync(p('b')));
  });

  it('bad input is one clear line with a non-zero exit', async () => {
    writeFileSync(p('big.js'), new Uint8Array(largestImage() - 100));
    const cases: Array<[string[], RegExp]> = [
      [['--key', p('k.pem'), '--load-id', 'X', p('big.js'), '-o', p('x')], /exceeds the largest image that fits a slot, \d+ bytes/],
      [['--key', p('missing'), '--load-id', 'X', p('fw.js'), '-o', p('x')], /cannot read key .*no such file/],
      [['--key', p('fw.js'), '--load-id', 'X', p('fw.js'), '-o', p('x')], /not a PEM, JSON or 32-byte hex Ed25519 key/],
      [['--key', p('k.pem.pub'), '--load-id', 'X', p('fw.js'), '-o', p('x')], /needs a private key/],
      [['--key', p('k.pem'), '--load-id', 'has space', p('fw.js'), '-o', p('x')], /load ID/],
      [['--key', p('k.pem'), '--load-id', 'X', '--version', '1.2', p('fw.js'), '-o', p('x')], /MAJOR\.MINOR\.REVISION/],
      [['--key', p('k.pem'), p('fw.js'), '-o', p('x')], /--load-id is required/],
    ];
    const noCounter = await cli(sign, ['--key', p('k.pem'), '--load-id', 'X.nocounter', p('fw.js'), '-o', p('x')]);
    expect(noCounter.code).toBe(2);
    expect(noCounter.out.split('\n')[0]).toMatch(/--security-counter N is required \(or --version, from which it is derived/);
    for (const [argv, re] of cases) {
      const r = await cli(sign, argv.includes('--load-id') && !argv.includes('X.nocounter') ? [...argv, '--security-counter', '1'] : argv);
      expect(r.code).not.toBe(0);
      expect(r.out.split('\n')[0]).toMatch(re);
    }
    expect((await cli(image, ['show', p('fw.js')])).out).toMatch(/not an image/);
    expect((await cli(image, ['verify', p('img')])).out).toMatch(/exactly one of --key KEY or --pub PUB/);
  });
});
