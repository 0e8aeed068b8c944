/**
 * The real loader bundle (dist/bootloader.js as built) boots the real firmware bundle,
 * signed with the development key, inside QuickJS: it
 * verifies SHA-256 and Ed25519 through the HAL, starts the image, and the firmware begins
 * its boot. A tampered image is refused and the board goes to serial recovery instead.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTarget, REPO_ROOT } from '../../tools/build/build';
import { Scheduler } from '../../hal/sim/scheduler';
import { SimFlash } from '../../hal/sim/flash';
import { QuickJsBoard } from '../../hal/target/quickjs';
import { provisionFlash, devImage } from '../../tools/lab/provision';
import { asciiBytes } from '../../lib/bytes';

async function bundle(entry: string, globalName: string): Promise<string> {
  const r = await buildTarget({ entry: path.join(REPO_ROOT, entry), globalName });
  expect(r.errors).toEqual([]);
  expect(r.findings).toEqual([]);
  return r.code;
}

async function bootWith(image: Uint8Array) {
  const loader = await bundle('flash/main.ts', 'DialtoneLoader');
  const flash = new SimFlash('nor-4m');
  provisionFlash(flash, { image });
  const sched = new Scheduler(1);
  const recovery = await bundle('flash/recovery-main.ts', 'DialtoneRecovery');
  // Verification and hand-over are what this checks; the memory gates are held against the
  // real boot in the lab (gates.test.ts), so a generous budget here.
  const qb = await QuickJsBoard.create({
    sched, budgetBytes: 16 << 20, board: { flash },
    bundle: { code: loader, filename: 'bootloader.js', globalName: 'DialtoneLoader' },
    recovery: { code: recovery, filename: 'recovery.js', globalName: 'DialtoneRecovery' },
  });
  try {
    const report = qb.run(5_000);
    return { report, logs: qb.board.logs.slice(), display: qb.board.display.lines.slice() };
  } finally {
    qb.dispose();
  }
}

describe('loader bundle in QuickJS', () => {
  it('verifies the signed firmware bundle and starts it', async () => {
    const firmware = await bundle('firmware/main.ts', 'DialtoneFirmware');
    const { report, logs } = await bootWith(devImage(asciiBytes(firmware), 'DT7960.9-9-9'));
    expect(report.stop).toBeNull();
    expect(report.imagesStarted).toBe(1);
    expect(logs.some((e) => e.tag === 'loader' && /starting DT7960\.9-9-9/.test(e.message))).toBe(true);
    expect(logs.some((e) => e.tag === 'main' && /^running DT7960\.9-9-9/.test(e.message))).toBe(true);
    // No cable here: the boot starts and waits for the link (the lab runs are in gates.test.ts).
    expect(logs.some((e) => e.tag === 'boot')).toBe(true);
  }, 60_000);

  it('refuses a tampered image and enters serial recovery', async () => {
    const firmware = await bundle('firmware/main.ts', 'DialtoneFirmware');
    const image = devImage(asciiBytes(firmware));
    image[200] ^= 0x01; // one bit of the payload
    const { report, logs, display } = await bootWith(image);
    expect(report.stop).toBeNull();
    expect(report.imagesStarted).toBe(0);
    expect(logs.some((e) => e.tag === 'main')).toBe(false);
    expect(display.join(' ')).toMatch(/[Rr]ecovery/);
  }, 60_000);
});
