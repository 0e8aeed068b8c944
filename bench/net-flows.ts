/**
 * The TCP flows behind bench/net.bench.ts (not a *.bench.ts: run.ts does not pick it up).
 */
import { createHash } from 'node:crypto';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Scheduler } from '../hal/sim/scheduler';
import { Prng } from '../hal/sim/prng';
import { SimNic } from '../hal/sim/ether';
import { SimSwitch } from '../hal/sim/switch';
import type { NetOptions } from '../firmware/net/index';
import type { Bridge } from '../tools/bridge/rig';
import { hostInterface, parseCidr, ipOf, receiveAll, sendAll, serveData, startPhoneStack, type Flow } from '../tools/bridge/phone';

export interface SimResult {
  bytes: number;
  /** Virtual ms from the handshake to the close. */
  virtualMs: number;
  /** Wall-clock ms the simulation took for it. */
  wallMs: number;
  events: number;
  ok: boolean;
}

/**
 * Two stacks on a simulated switch (100 Mbit/s cables, no faults): B serves `bytes`, A
 * downloads them. Runs on virtual time as fast as the CPU allows.
 */
export function simBulkTransfer(bytes: number, seed: number, options?: NetOptions): SimResult {
  const sched = new Scheduler(seed);
  const sw = new SimSwitch(sched, { ports: 2 });
  const nicA = new SimNic(sched, new Uint8Array([0x02, 0, 0, 0, 0, 0x0a]));
  const nicB = new SimNic(sched, new Uint8Array([0x02, 0, 0, 0, 0, 0x0b]));
  sw.connect(0, nicA);
  sw.connect(1, nicB);
  const a = hostInterface(sched, nicA, { seed: seed + 1, options });
  const b = hostInterface(sched, nicB, { seed: seed + 2, options });
  const A = parseCidr('10.0.0.1/24');
  const B = parseCidr('10.0.0.2/24');
  a.setAddress(A.ip, A.mask, 0);
  b.setAddress(B.ip, B.mask, 0);
  const data = seededBytes(seed, bytes);
  serveData(b, 5001, data);
  const flow = receiveAll(a, B.ip, 5001);
  const e0 = sched.eventsRun;
  const t0 = performance.now();
  sched.run(600_000, () => flow.closed !== null);
  const wallMs = performance.now() - t0;
  const expected = sha256(data);
  return {
    bytes: flow.bytes,
    virtualMs: (flow.closedAt ?? sched.now()) - (flow.connectedAt ?? 0),
    wallMs,
    events: sched.eventsRun - e0,
    ok: flow.closed === 'closed' && flow.bytes === bytes && flow.sha256 === expected,
  };
}

/** The payload of a flow: `n` bytes from a seeded PRNG, the same every run. */
function seededBytes(seed: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  new Prng(seed).bytes(b);
  return b;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface BridgedResult {
  downloadMBps: number;
  uploadMBps: number;
  ok: boolean;
}

/**
 * The phone stack on the bridge (switch mode) against socat in the lab namespace:
 * download `bytes`, then upload `bytes`. Times are virtual ms, which follow the wall clock.
 */
export async function bridgedTransfer(br: Bridge, bytes: number, options?: NetOptions): Promise<BridgedResult> {
  const dir = mkdtempSync(join(tmpdir(), 'dialtone-bench-'));
  try {
    const seg = br.lab.native;
    const phone = startPhoneStack(br, { address: '10.77.0.2/24', gateway: seg.ip, options });
    const data = seededBytes(0xb41c, bytes);
    writeFileSync(join(dir, 'down.bin'), data);
    const src = br.lab.spawn(seg.netns, 'socat', ['-d', '-d', '-u', `FILE:${join(dir, 'down.bin')}`, `TCP-LISTEN:5001,bind=${seg.ip},reuseaddr`]);
    await src.waitForOutput(/listening on/, 10_000);
    let down: Flow | null = null;
    br.driver.inject(() => {
      down = receiveAll(phone.iface, ipOf(seg.ip), 5001);
    });
    await br.driver.until(() => down !== null && down.closed !== null, 120_000, 'bench download');
    const sink = br.lab.spawn(seg.netns, 'socat', ['-d', '-d', '-u', `TCP-LISTEN:5002,bind=${seg.ip},reuseaddr`, 'GOPEN:/dev/null']);
    await sink.waitForOutput(/listening on/, 10_000);
    let up: Flow | null = null;
    br.driver.inject(() => {
      up = sendAll(phone.iface, ipOf(seg.ip), 5002, data);
    });
    await br.driver.until(() => up !== null && up.closed !== null, 120_000, 'bench upload');
    const d = down!;
    const u = up!;
    const rate = (f: Flow): number => f.bytes / (((f.closedAt ?? 0) - (f.connectedAt ?? 0)) / 1000) / 1e6;
    return {
      downloadMBps: rate(d),
      uploadMBps: rate(u),
      ok: d.closed === 'closed' && u.closed === 'closed' && d.bytes === bytes && u.bytes === bytes && d.sha256 === sha256(data),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
