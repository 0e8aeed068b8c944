/** `dialtone flash` option parsing: normalized once, bad input is one UserError with exit code 2. */
import { describe, expect, it } from 'vitest';
import { parseFlashArgs, describeResult } from '../../../tools/flash/cli';
import { UserError } from '../../../tools/errors';

describe('dialtone flash options', () => {
  it('normalizes a full command line', () => {
    expect(parseFlashArgs(['--port', '/dev/ttyUSB0', 'fw.img', '--baud', '921600', '--timeout', '2.5', '--test', '--no-reset', '--chunk', '512']))
      .toEqual({ port: '/dev/ttyUSB0', image: 'fw.img', baud: 921600, timeoutS: 2.5, test: true, reset: false, chunkSize: 512 });
    expect(parseFlashArgs(['--port', '/tmp/p', 'x'])).toMatchObject({ baud: 115200, timeoutS: 5, test: false, reset: true, chunkSize: undefined });
    expect(parseFlashArgs(['--help'])).toBeNull();
  });

  it('refuses bad options with exit code 2', () => {
    const bad: string[][] = [
      ['fw.img'], ['--port', '/tmp/p'], ['--port', '/tmp/p', 'a', 'b'], ['--port', '/tmp/p', 'x', '--baud', 'fast'],
      ['--port', '/tmp/p', 'x', '--timeout', '0'], ['--port', '/tmp/p', 'x', '--chunk', '3'], ['--port', '/tmp/p', 'x', '--frobnicate'],
    ];
    for (const argv of bad) {
      let err: unknown = null;
      try { parseFlashArgs(argv); } catch (e) { err = e; }
      expect(err, argv.join(' ')).toBeInstanceOf(UserError);
      expect((err as UserError).exitCode).toBe(2);
    }
  });

  it('summarizes a run with throughput and wire efficiency', () => {
    const text = describeResult({
      resumedFrom: 1000, bytesSent: 9000, imageSize: 10000, wireOut: 12500, wireIn: 800, resent: 1, uploadMs: 1000,
      slot: 1, hash: new Uint8Array(32).fill(0xab), loadId: 'DT.1', version: '1.0.0+0', confirmed: false, chunkSize: 1964,
    });
    expect(text).toMatch(/DT\.1 1\.0\.0\+0 \(10000 bytes\) into slot B, resumed at 1000/);
    expect(text).toMatch(/9000 bytes in 1\.0 s: 9\.0 KB\/s; 0\.72 image bytes per byte on the wire; 1 resent/);
    expect(text).toMatch(/SHA-256 (ab){32}, signature OK; marked for a test boot/);
  });
});
