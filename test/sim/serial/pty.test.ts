/**
 * `dialtone flash` against `dialtone board` over a real pseudo-terminal pair (socat
 * `pty,raw,echo=0` twice), in real time: the board's line is paced at 115200 baud by the
 * simulation following the wall clock. Waits are on events (a log line, a file appearing,
 * a process exit) under an overall bound; no fixed sleeps. Skipped only when socat is absent.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run as flashRun, openPort } from '../../../tools/flash/cli';
import { startBoard } from '../../../tools/board/board';
import type { RunningBoard } from '../../../tools/board/board';
import { SmpClient, wallClock } from '../../../tools/flash/client';
import { FlashJob } from '../../../tools/flash/job';
import { UserError } from '../../../tools/errors';
import { IMAGE_HEADER_SIZE } from '../../../flash/constants';
import { signImage } from '../../../tools/image/lib';
import { configForKeys } from '../../../tools/image/trust';
import { hex } from '../../../lib/bytes';
import { testKey } from '../../unit/flash/helpers';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
// Colour depends on the environment (picocolors turns it on when CI is set): compare plain text.
const stripAnsi = (t: string): string => t.replace(/\x1b\[[0-9;]*m/g, '');
const haveSocat = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;

/** The boards here trust the key the images are signed with (`--trust` for the child process). */
const config = configForKeys([testKey]);

/** A firmware bundle that says it runs, padded to `size` bytes, signed with the test key. */
function testFirmware(size: number, loadId: string): Uint8Array {
  const js = `var DialtoneFirmware = { main: function (hal) { hal.system.log(1, 'app', 'hello from ${loadId}'); hal.display.setLine(1, 'Test firmware running'); } };\n`;
  const pad = '/*' + 'x'.repeat(Math.max(0, size - js.length - 4)) + '*/';
  return signImage(new TextEncoder().encode(js + pad), testKey, {
    loadId, version: { major: 1, minor: 2, revision: 3, build: 4 }, buildTime: 1_700_000_000,
  });
}

/** Resolve when `cond` holds, checking on every event-loop turn that brings I/O; reject after `ms`. */
function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const check = () => {
      if (cond()) return resolve();
      if (Date.now() - t0 > ms) return reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      setTimeout(check, 20);
    };
    check();
  });
}

interface PtyPair { a: string; b: string; proc: ChildProcess }

async function ptyPair(dir: string, name: string): Promise<PtyPair> {
  const a = path.join(dir, `${name}-board`);
  const b = path.join(dir, `${name}-host`);
  const proc = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  await waitFor(() => existsSync(a) && existsSync(b), 10_000, 'socat to create the pty links');
  return { a, b, proc };
}

describe.skipIf(!haveSocat)('flashing over a real pty pair (socat)', () => {
  let dir = '';
  const cleanups: Array<() => void | Promise<void>> = [];

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dialtone-pty-'));
  });
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
    vi.restoreAllMocks();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function pair(name: string): Promise<PtyPair> {
    return ptyPair(dir, name).then((p) => {
      cleanups.push(() => { p.proc.kill(); });
      return p;
    });
  }

  it('dialtone board (a child process) is flashed by dialtone flash, and the image boots', async () => {
    const p = await pair('e2e');
    const imagePath = path.join(dir, 'e2e.img');
    writeFileSync(imagePath, testFirmware(12_000, 'DT-E2E.1-2-3'));
    const pubPath = path.join(dir, 'owner.pub');
    writeFileSync(pubPath, hex(testKey.publicKey) + '\n');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'tools/cli.ts'), 'board', '--serial', p.a, '--trust', pubPath, '--exit-after-start'],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { out += d; });
    let exitCode: number | null = null;
    child.on('exit', (c) => { exitCode = c ?? -1; });
    cleanups.push(() => { if (exitCode === null) child.kill(); });
    await waitFor(() => out.includes('recovery: serial recovery') || exitCode !== null, 30_000, 'the board to enter serial recovery');
    expect(out).toMatch(/decision row 7: recovery/);
    expect(out).toMatch(/loader trusts .*owner\.pub/);
    expect(out).not.toMatch(/development key/);
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { printed.push(stripAnsi(a.join(' '))); });
    const code = await flashRun(['--port', p.b, imagePath]);
    expect(code).toBe(0);
    expect(printed.join('\n')).toMatch(/flashed DT-E2E\.1-2-3 1\.2\.3\+4 \(\d+ bytes\) into slot A/);
    expect(printed.join('\n')).toMatch(/verified by the board: SHA-256 [0-9a-f]{64}, signature OK; confirmed/);
    await waitFor(() => exitCode !== null, 20_000, 'the board to start the image and exit');
    expect(exitCode).toBe(0);
    expect(out).toMatch(/recovery: image DT-E2E\.1-2-3 1\.2\.3\+4 verified in slot A/);
    expect(out).toMatch(/loader: decision row 5: confirmed A/);
    expect(out).toMatch(/image: firmware started: DT-E2E\.1-2-3/);
    expect(out).toMatch(/app: hello from DT-E2E\.1-2-3/);
    expect(out).toMatch(/display\[1\] "Test firmware running"/);
  });

  it('an upload interrupted mid-way resumes from the board\'s offset', async () => {
    const p = await pair('resume');
    const image = testFirmware(24_000, 'DT-RESUME.1');
    const imagePath = path.join(dir, 'resume.img');
    writeFileSync(imagePath, image);
    const logs: string[] = [];
    const boardPort = await openPort(p.a, 115200);
    let started = '';
    const rb: RunningBoard = startBoard(boardPort, {
      config,
      onLog: (e) => logs.push(`${e.tag}: ${e.message}`),
      onImageStarted: (id) => { started = id; },
    });
    cleanups.push(() => new Promise<void>((r) => { rb.stop(); boardPort.close(() => r()); }));
    // First run: a host that goes away once the board holds half of the image.
    const hostPort = await openPort(p.b, 115200);
    const clock = wallClock();
    const client = new SmpClient({
      write: (b) => { hostPort.write(Buffer.from(b)); },
      onData: (h) => { hostPort.on('data', (d: Buffer) => h(new Uint8Array(d))); },
    }, clock);
    let aborted = -1;
    const job = new FlashJob(client, clock, image, {}, {
      onProgress: (off) => { if (aborted < 0 && off >= image.length / 2) { aborted = off; job.abort(); } },
    });
    job.start(() => {});
    await waitFor(() => aborted >= 0, 30_000, 'half of the image to be uploaded');
    clock.cancelAll();
    await new Promise<void>((r) => hostPort.close(() => r()));
    // Second run: the CLI, from the board's offset.
    const said: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { said.push(a.join(' ')); });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { said.push(String(s)); return true; });
    const code = await flashRun(['--port', p.b, imagePath]);
    stderr.mockRestore();
    expect(code).toBe(0);
    const text = said.join('\n');
    const m = /resuming at (\d+) of (\d+) bytes/.exec(text);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(aborted);
    expect(Number(m![1])).toBeLessThan(image.length);
    expect(text).toMatch(new RegExp(`into slot A, resumed at ${m![1]}`));
    expect(logs).toContain(`recovery: upload resumed at ${m![1]} of ${image.length}`);
    await waitFor(() => started !== '', 10_000, 'the image to start');
    expect(started).toBe('DT-RESUME.1');
    expect(logs).toContain('app: hello from DT-RESUME.1');
  });

  it('prints one clear line for a refused image, a busy port, a silent line and a missing port', async () => {
    const p = await pair('fail');
    const boardPort = await openPort(p.a, 115200);
    const rb = startBoard(boardPort, { config });
    cleanups.push(() => new Promise<void>((r) => { rb.stop(); boardPort.close(() => r()); }));
    // A tampered image: the board refuses it with the reason.
    const bad = testFirmware(4_000, 'DT-BAD.1');
    bad[IMAGE_HEADER_SIZE + 100] ^= 0x04;
    const badPath = path.join(dir, 'bad.img');
    writeFileSync(badPath, bad);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    /** The run fails with a UserError: one line (no newline), matching `re`. */
    const oneLine = async (argv: string[], re: RegExp) => {
      const err = await flashRun(argv).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      const msg = (err as UserError).message;
      expect(msg).toMatch(re);
      expect(msg).not.toContain('\n');
    };
    await oneLine(['--port', p.b, badPath], /^image refused by the board: hash-mismatch: content does not match its SHA-256/);
    // Busy: someone else holds the port.
    const holder = await openPort(p.b, 115200);
    await oneLine(['--port', p.b, badPath], /^port .* is busy/);
    await new Promise<void>((r) => holder.close(() => r()));
    // Silence: a pty with nobody on the other end.
    const q = await pair('silent');
    const t0 = Date.now();
    await oneLine(['--port', q.b, '--timeout', '1', badPath], /^no answer from .* within 1 s/);
    expect(Date.now() - t0).toBeLessThan(5_000);
    // Missing port, and a file that is no image (refused before opening anything).
    await oneLine(['--port', path.join(dir, 'nope'), badPath], /^no serial port at /);
    const junk = path.join(dir, 'junk.bin');
    writeFileSync(junk, 'hello');
    await oneLine(['--port', path.join(dir, 'nope'), junk], /not a Dialtone image/);
  });
});
