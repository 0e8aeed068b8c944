/**
 * Serial recovery end to end on virtual time: a board in recovery (RecoveryServer on a
 * SimFlash), `dialtone flash`'s job on the host, a UART pair paced at 115200 baud between
 * them. Deterministic: no wall clock anywhere.
 */
import { describe, expect, it } from 'vitest';
import { FlashJob, FlashError } from '../../../tools/flash/job';
import type { FlashOptions, FlashResult } from '../../../tools/flash/job';
import { SLOT_A } from '../../../flash/constants';
import { computeLayout } from '../../../flash/layout';
import { IMAGE_HEADER_SIZE } from '../../../flash/constants';
import { generateKey, parseKey, signImage } from '../../../tools/image/lib';
import { hostClient, makeImage, recoveryBoard } from './harness';
import type { TestBoard } from './harness';

interface Outcome { err: FlashError | null; result: FlashResult | null; chunks: number[] }

function flash(b: TestBoard, image: Uint8Array, options: FlashOptions = {}, stopAt?: number): { job: FlashJob; out: Outcome } {
  const out: Outcome = { err: null, result: null, chunks: [] };
  const job = new FlashJob(hostClient(b), b.sched.clock(), image, options, {
    onChunk: (off) => { out.chunks.push(off); },
    onProgress: (off) => { if (stopAt !== undefined && off >= stopAt) job.abort(); },
  });
  job.start((err, result) => { out.err = err; out.result = result; });
  return { job, out };
}

function runUntil(b: TestBoard, cond: () => boolean, maxMs = 600_000): void {
  b.sched.run(b.sched.now() + maxMs, cond);
}

const layout = () => {
  const l = computeLayout({ size: 4 * 1024 * 1024, sectorSize: 4096, writeAlign: 4 });
  if (!l.ok) throw new Error(l.detail);
  return l.value;
};

describe('serial recovery on virtual time at 115200 baud', () => {
  it('uploads a signed image, verifies it, confirms it, resets, and the loader boots it', () => {
    const b = recoveryBoard();
    const image = makeImage(60_000, { loadId: 'DT78XX.1-0-0' });
    const { out } = flash(b, image);
    runUntil(b, () => out.err !== null || out.result !== null);
    expect(out.err).toBeNull();
    const r = out.result!;
    expect(r.resumedFrom).toBe(0);
    expect(r.bytesSent).toBe(image.length);
    expect(r.confirmed).toBe(true);
    expect(r.slot).toBe(SLOT_A);
    expect(r.loadId).toBe('DT78XX.1-0-0');
    // Chunks went out in order, each once (no resends on a clean line).
    expect(r.resent).toBe(0);
    expect(out.chunks).toEqual(out.chunks.slice().sort((x, y) => x - y));
    // Throughput: most of the line's ~11.5 KB/s (payload per wire byte is ~0.72 with base64).
    const kbps = image.length / r.uploadMs; // bytes per ms = KB/s
    expect(kbps).toBeGreaterThan(7);
    expect(kbps).toBeLessThan(11.52);
    // The board said what happened, and reset once the answer was out.
    runUntil(b, () => b.resets.length > 0, 1000);
    expect(b.events.map((e) => e.kind)).toEqual(['start', 'upload-start', 'marked', 'upload-done', 'marked', 'reset']);
    expect(b.resets).toEqual(['requested']);
    expect(b.display[1]).toBe('Image OK: DT78XX.1-0-0');
    // Power-cycle: the loader boots the confirmed slot with this payload.
    const boot = b.boot();
    expect(boot.result.decision.action).toBe('confirmed');
    expect(boot.result.info?.loadId).toBe('DT78XX.1-0-0');
    expect(boot.started).toEqual([[layout().slots[SLOT_A].offset + IMAGE_HEADER_SIZE, 60_000]]);
    expect(b.server.frameStats().badCrc + b.server.frameStats().malformed).toBe(0);
  });

  it('marks a test boot with --test: the loader test-boots it once', () => {
    const b = recoveryBoard();
    const { out } = flash(b, makeImage(5_000), { test: true });
    runUntil(b, () => out.err !== null || out.result !== null);
    expect(out.err).toBeNull();
    expect(out.result!.confirmed).toBe(false);
    expect(b.boot().result.decision.action).toBe('test');
  });

  it('resumes an interrupted upload from the board\'s offset, not from 0', () => {
    const b = recoveryBoard();
    const image = makeImage(80_000);
    const first = flash(b, image, {}, 40_000);
    runUntil(b, () => first.out.chunks.length > 0 && b.events.some((e) => e.kind === 'upload-start') &&
      b.server['upload'] !== null && (b.server['upload'] as { off: number }).off >= 40_000);
    // The host went away mid-upload; let the line drain, well inside the inactivity timeout.
    runUntil(b, () => false, 2_000);
    const held = (b.server['upload'] as { off: number }).off;
    expect(held).toBeGreaterThanOrEqual(40_000);
    expect(held).toBeLessThan(image.length);
    const second = flash(b, image);
    runUntil(b, () => second.out.err !== null || second.out.result !== null);
    expect(second.out.err).toBeNull();
    const r = second.out.result!;
    expect(r.resumedFrom).toBe(held);
    // The second run announced at 0 (length + SHA-256), then went straight to the board's offset.
    expect(second.out.chunks[0]).toBe(0);
    expect(second.out.chunks[1]).toBe(held);
    expect(r.bytesSent).toBe(image.length - held);
    expect(b.events.filter((e) => e.kind === 'upload-resume').map((e) => e.off)).toEqual([held]);
    expect(b.boot().result.info?.hash).toEqual(r.hash);
  });

  it('refuses a tampered image with the reason, and nothing becomes bootable', () => {
    const b = recoveryBoard();
    const image = makeImage(20_000);
    image[IMAGE_HEADER_SIZE + 1234] ^= 0x01; // one payload bit
    const { out } = flash(b, image);
    runUntil(b, () => out.err !== null || out.result !== null);
    expect(out.err?.kind).toBe('refused');
    expect(out.err?.message).toMatch(/hash-mismatch/);
    expect(b.events.find((e) => e.kind === 'refused')?.detail).toMatch(/hash-mismatch/);
    expect(b.display[1]).toBe('Image refused');
    expect(b.boot().result.decision.action).toBe('recovery');
  });

  it('refuses an image signed with an untrusted key', () => {
    const b = recoveryBoard();
    const other = parseKey(generateKey().json, 'other');
    const image = signImage(new Uint8Array(3000).fill(7), other, { loadId: 'DT-ROGUE', buildTime: 1 });
    const { out } = flash(b, image);
    runUntil(b, () => out.err !== null || out.result !== null);
    expect(out.err?.kind).toBe('refused');
    expect(out.err?.message).toMatch(/unknown-key/);
    expect(b.boot().result.decision.action).toBe('recovery');
  });

  it('refuses a file that is not an image before sending anything', () => {
    const b = recoveryBoard();
    expect(() => new FlashJob(hostClient(b), b.sched.clock(), new Uint8Array(100).fill(0x41))).toThrow(/not a Dialtone image/);
  });

  it('drops an aborted upload after the inactivity timeout; the next upload starts from 0', () => {
    const b = recoveryBoard({ inactivityMs: 10_000 });
    const image = makeImage(40_000);
    const first = flash(b, image, {}, 15_000);
    runUntil(b, () => b.events.some((e) => e.kind === 'timeout'), 60_000);
    const t = b.events.find((e) => e.kind === 'timeout')!;
    expect(t.off).toBeGreaterThanOrEqual(15_000);
    expect(t.detail).toMatch(/abandoned/);
    expect(b.display[1]).toBe('Upload timed out');
    expect(b.resets).toEqual([]); // nothing valid to boot: stay in recovery
    expect(first.out.result).toBeNull();
    const second = flash(b, image);
    runUntil(b, () => second.out.err !== null || second.out.result !== null);
    expect(second.out.err).toBeNull();
    expect(second.out.result!.resumedFrom).toBe(0);
    expect(second.out.result!.bytesSent).toBe(image.length);
  });

  it('resets into the new image when the host vanishes after a valid upload', () => {
    const b = recoveryBoard({ inactivityMs: 10_000 });
    const { out } = flash(b, makeImage(8_000), { reset: false, test: true });
    runUntil(b, () => out.result !== null || out.err !== null);
    expect(out.err).toBeNull();
    expect(b.resets).toEqual([]);
    const t0 = b.sched.now();
    runUntil(b, () => b.resets.length > 0, 60_000);
    expect(b.resets).toEqual(['requested']);
    expect(b.sched.now() - t0).toBeGreaterThanOrEqual(9_000);
    expect(b.boot().result.decision.action).toBe('test');
  });

  it('survives corrupt frames on the line: they are counted, resent, and the image still lands', () => {
    const b = recoveryBoard();
    // One write in 7 towards the board and one chunk in 23 towards the host get a bit flipped.
    let n = 0;
    b.host.toBoard = (bytes) => { if (++n % 7 === 0) bytes[bytes.length >> 1] ^= 0x20; };
    let m = 0;
    b.host.toHost = (bytes) => { if (++m % 23 === 0) bytes[0] ^= 0x01; };
    const image = makeImage(30_000);
    const { out } = flash(b, image);
    runUntil(b, () => out.err !== null || out.result !== null);
    expect(out.err).toBeNull();
    expect(out.result!.resent).toBeGreaterThan(0);
    const s = b.server.frameStats();
    expect(s.badCrc + s.malformed).toBeGreaterThan(0);
    expect(b.boot().result.info?.hash).toEqual(out.result!.hash);
  });

  it('answers echo, params, list and unknown commands; a request that is not a map gets EINVAL', () => {
    const b = recoveryBoard();
    const c = hostClient(b);
    const answers: unknown[] = [];
    c.request(2, 0, 0, (w) => { w.map(1); w.text('d'); w.text('hello'); }, (e, r) => answers.push(r));
    runUntil(b, () => answers.length === 1);
    c.request(0, 0, 6, (w) => w.map(0), (e, r) => answers.push(r));
    runUntil(b, () => answers.length === 2);
    c.request(0, 1, 0, (w) => w.map(0), (e, r) => answers.push(r));
    runUntil(b, () => answers.length === 3);
    c.request(0, 9, 9, (w) => w.map(0), (e, r) => answers.push(r));
    runUntil(b, () => answers.length === 4);
    c.request(2, 1, 1, (w) => w.int(5), (e, r) => answers.push(r));
    runUntil(b, () => answers.length === 5);
    expect({ ...(answers[0] as object) }).toEqual({ r: 'hello' });
    expect({ ...(answers[1] as object) }).toEqual({ buf_size: 2048, buf_count: 1 });
    expect({ ...(answers[2] as object) }).toEqual({ images: [] });
    expect({ ...(answers[3] as object) }).toEqual({ rc: 8 });
    expect((answers[4] as { rc: number }).rc).toBe(3);
    expect(b.server.badRequests).toBe(1);
  });

  it('keeps uploads in step: wrong offsets get the offset it wants; bad chunks are refused', () => {
    const b = recoveryBoard();
    const c = hostClient(b);
    const ask = (fields: (w: import('../../../flash/serial/cbor').CborWriter) => void): Record<string, unknown> => {
      let got: Record<string, unknown> | null = null;
      c.request(2, 1, 1, fields, (e, r) => { got = { ...(r ?? { err: e }) }; });
      runUntil(b, () => got !== null, 10_000);
      return got!;
    };
    const sha = new Uint8Array(32).fill(0x5a);
    const data = (n: number) => new Uint8Array(n).fill(0xee);
    // No upload yet: a later offset is a bad state.
    expect(ask((w) => { w.map(2); w.text('off'); w.int(100); w.text('data'); w.bytes(data(4)); })).toMatchObject({ rc: 6 });
    // The first chunk needs len; len must fit a slot.
    expect(ask((w) => { w.map(2); w.text('off'); w.int(0); w.text('data'); w.bytes(data(4)); })).toMatchObject({ rc: 3 });
    const big = ask((w) => { w.map(4); w.text('off'); w.int(0); w.text('data'); w.bytes(data(4)); w.text('len'); w.int(8_000_000); w.text('sha'); w.bytes(sha); });
    expect(big).toMatchObject({ rc: 3 });
    expect(String(big.rsn)).toMatch(/^oversized: image of 8000000 bytes, a slot holds \d+/);
    const first = (w: import('../../../flash/serial/cbor').CborWriter) => {
      w.map(4); w.text('off'); w.int(0); w.text('data'); w.bytes(data(100)); w.text('len'); w.int(1000); w.text('sha'); w.bytes(sha);
    };
    expect(ask(first)).toEqual({ rc: 0, off: 100 });
    // The same first chunk again: resume, nothing written twice.
    expect(ask(first)).toEqual({ rc: 0, off: 100 });
    // Behind or ahead of the board: it answers where it is.
    expect(ask((w) => { w.map(2); w.text('off'); w.int(50); w.text('data'); w.bytes(data(10)); })).toEqual({ rc: 0, off: 100 });
    expect(ask((w) => { w.map(2); w.text('off'); w.int(400); w.text('data'); w.bytes(data(10)); })).toEqual({ rc: 0, off: 100 });
    // Past the announced length.
    expect(ask((w) => { w.map(2); w.text('off'); w.int(100); w.text('data'); w.bytes(data(901)); })).toMatchObject({ rc: 3 });
    expect(ask((w) => { w.map(2); w.text('off'); w.int(100); w.text('data'); w.bytes(data(900)); })).toMatchObject({ rc: 9, match: false, off: 1000 });
    expect(b.events.filter((e) => e.kind === 'upload-start').length).toBe(1);
    expect(b.events.filter((e) => e.kind === 'upload-resume').length).toBe(1);
  });
});
