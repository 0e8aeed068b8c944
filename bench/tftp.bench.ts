/**
 * TFTP download speed of the phone's client (firmware/tftp) beside real clients:
 *
 *  (a) the phone's client (blksize 1428, windowsize 16; the firmware stack on a NIC that
 *      is the bridge's tap, in real time) downloading 16 MiB from tftpd-hpa and from
 *      atftpd in the lab namespace; beside it, on the same servers, the tftp-hpa client
 *      (512, no options) and atftp (--option "blksize 1428" --option "windowsize 16") in
 *      a client namespace on a veth (the kernel path);
 *  (b) the frame rate the bridge itself carries towards Node (1442-byte frames blasted
 *      from the namespace, counted as Node receives them): the ceiling of the phone's
 *      path, and the phone client's frames per second (DATA + ACK) as its share of it;
 *  (c) in process: the phone's client and the lab's TFTP server (tools/lab) on the
 *      simulated wire, 16 MiB, in MiB per CPU-second of this process (and the virtual-time
 *      rate the protocol reaches on the simulated 100 Mbit/s port).
 *
 * TFTP_BENCH_MODE=switch puts the simulated switch and the phone's 100 Mbit/s port (with
 * its serialization and latency, which virtual time makes real) between the phone and the
 * bridge; the default, direct, measures the client against the bridge alone.
 *
 * (a) and (b) need root, socat, tftpd-hpa, tftp-hpa, atftp and the unpacked atftpd
 * (.ci/run); without them their rows say "skipped". MiB = 2^20 bytes.
 */
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchRow } from './types';
import { NetnsLab, labUnavailable } from '../tools/bridge/lab';
import { createBridge, type Bridge } from '../tools/bridge/rig';
import { sh } from '../tools/bridge/proc';
import { startPhoneStack, ipOf } from '../tools/bridge/phone';
import { TftpService } from '../firmware/tftp/service';
import type { FetchEvent } from '../firmware/tftp/fetch';
import { Scheduler } from '../hal/sim/scheduler';
import { SimNic } from '../hal/sim/ether';
import { SimSwitch } from '../hal/sim/switch';
import { simHostHal } from '../hal/sim/host';
import { NetInterface } from '../firmware/net/iface';
import { LabHost } from '../tools/lab/host';
import { attachTftpServer } from '../tools/lab/tftp-server';
import { parseIp } from '../lib/bytes';
import { Prng } from '../hal/sim/prng';
import { atftpdPath, addAddress, startTftpdHpa, startAtftpd } from '../test/interop/tftp/servers';

const MIB = 1 << 20;
const SIZE = 16 * MIB;
const PHONE_OPTS = { blksize: 1428, windowsize: 16 };
const SERVER = '10.77.0.1';
const HPA = '10.77.0.2';
const ATFTPD = '10.77.0.3';
const CLIENT = '10.77.0.20';
const BLAST = 200_000;
const MODE = (process.env.TFTP_BENCH_MODE as 'switch' | 'direct' | undefined) ?? 'direct';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** `n` bytes from a seeded PRNG: the same payload every run (test/fuzz/seeded.test.ts). */
function seededBytes(seed: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  new Prng(seed).bytes(b);
  return b;
}

function skipped(figure: string, unit: string, why: string): BenchRow {
  return { figure, ours: null, reference: null, unit, note: `skipped: ${why}` };
}

interface PhoneRun {
  mibps: number;
  framesPerS: number;
  ok: boolean;
  blksize: number;
  windowsize: number;
}

/** The phone's client downloads big.bin from `server` through the bridge. */
async function phoneDownload(br: Bridge, iface: NetInterface, server: string, want: string): Promise<PhoneRun> {
  const hash = createHash('sha256');
  let ev: FetchEvent | null = null;
  let t0 = 0;
  const link = br.lab.native.link;
  const f0 = link.counters.rxFrames + link.counters.txFrames;
  br.driver.inject(() => {
    const tftp = new TftpService(iface, iface.clock, PHONE_OPTS);
    t0 = performance.now();
    tftp.fetch([ipOf(server)], [{ name: 'big.bin', optional: false }], () => ({
      write: (d) => { hash.update(d); return true; },
      end: () => undefined,
      abort: () => undefined,
    }), (e) => {
      if (e.kind === 'done' || e.kind === 'failed') ev = e;
    });
  });
  await br.driver.until(() => ev !== null, 300_000, `16 MiB from ${server}`);
  const s = (performance.now() - t0) / 1000;
  const e = ev as FetchEvent | null;
  const frames = link.counters.rxFrames + link.counters.txFrames - f0;
  const done = e !== null && e.kind === 'done' ? e : null;
  return {
    mibps: SIZE / MIB / s, framesPerS: frames / s, ok: done !== null && hash.digest('hex') === want,
    blksize: done ? done.blksize : 0, windowsize: done ? done.windowsize : 0,
  };
}

/** A Linux client in the client namespace; MiB/s, or null when the file came out wrong. */
async function linuxClient(lab: NetnsLab, cmd: string, args: string[], out: string, want: string): Promise<number | null> {
  const t0 = performance.now();
  await sh(cmd, args, { netns: lab.native.client!.netns, timeoutMs: 300_000 });
  const s = (performance.now() - t0) / 1000;
  const ok = sha(readFileSync(out)) === want;
  rmSync(out, { force: true });
  return ok ? SIZE / MIB / s : null;
}

async function bridgeRows(): Promise<{ rows: BenchRow[]; phoneFps: number[] }> {
  const why = labUnavailable(['in.tftpd', 'tftp', 'atftp', 'ss']) ?? (atftpdPath() ? null : 'atftpd not unpacked in .cache/atftpd (.ci/run does it)');
  const figs = ['TFTP 16 MiB <- tftpd-hpa, phone client via bridge', 'TFTP 16 MiB <- atftpd, phone client via bridge'];
  if (why) {
    return { rows: figs.map((f) => skipped(f, 'MiB/s', why)), phoneFps: [] };
  }
  const dir = mkdtempSync(join(tmpdir(), 'dialtone-tftp-bench-'));
  const br = await createBridge({ mode: MODE, lab: { segments: [{ address: `${SERVER}/24`, client: `${CLIENT}/24` }] }, pcap: false });
  try {
    const seg = br.lab.native;
    const root = join(dir, 'root');
    mkdirSync(root);
    const data = seededBytes(0x7f7b01, SIZE);
    const want = sha(data);
    writeFileSync(join(root, 'big.bin'), data);
    await addAddress(br.lab, seg.netns, `${HPA}/24`);
    await addAddress(br.lab, seg.netns, `${ATFTPD}/24`);
    await startTftpdHpa(br.lab, seg.netns, HPA, root);
    await startAtftpd(br.lab, seg.netns, ATFTPD, root);
    const phone = startPhoneStack(br, { address: '10.77.0.50/24', gateway: SERVER });
    const rows: BenchRow[] = [];
    const phoneFps: number[] = [];
    const out = join(dir, 'out.bin');
    for (const [name, ip, fig] of [['tftpd-hpa', HPA, figs[0]], ['atftpd', ATFTPD, figs[1]]] as const) {
      const p = await phoneDownload(br, phone.iface, ip, want);
      const hpa = await linuxClient(br.lab, 'tftp', ['-m', 'binary', ip, '-c', 'get', 'big.bin', out], out, want);
      const at = await linuxClient(br.lab, 'atftp', ['-g', '-r', 'big.bin', '-l', out, '--option', 'blksize 1428', '--option', 'windowsize 16', ip], out, want);
      phoneFps.push(p.framesPerS);
      rows.push({
        figure: fig, ours: p.ok ? p.mibps : null, reference: at, unit: 'MiB/s',
        note: `${p.ok ? `granted blksize ${p.blksize}, windowsize ${p.windowsize}` : 'TRANSFER FAILED'}, ${MODE} mode; ref = atftp blksize 1428 windowsize 16 from a client netns (kernel path)`,
      });
      rows.push({ figure: `  tftp-hpa client (512, no options) <- ${name}`, ours: null, reference: hpa, unit: 'MiB/s', note: 'same server, client netns over veth' });
      rows.push({ figure: `  atftp blksize 1428 windowsize 16 <- ${name}`, ours: null, reference: at, unit: 'MiB/s', note: `same server, client netns over veth${name === 'tftpd-hpa' ? ' (tftpd-hpa grants no windowsize)' : ''}` });
      rows.push({ figure: `  phone client frames through the bridge <- ${name}`, ours: p.framesPerS, reference: null, unit: 'frames/s', note: 'DATA in + ACK out, counted at Node\'s end of the bridge' });
    }
    return { rows, phoneFps };
  } finally {
    await br.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Frames per second the bridge delivers to Node: 1400-byte datagrams blasted by socat in the namespace. */
async function bridgeCeiling(): Promise<number | null> {
  if (labUnavailable()) return null;
  const lab = await NetnsLab.create({ segments: [{ address: `${SERVER}/24` }] });
  try {
    const seg = lab.native;
    let n = 0;
    let first = 0;
    let last = 0;
    seg.link.onFrame(() => {
      const t = performance.now();
      if (n === 0) first = t;
      last = t;
      n++;
    });
    // An address whose MAC nobody owns: br0 floods the frames to the tap, i.e. to Node.
    await lab.exec(seg.netns, 'ip', ['neigh', 'replace', '10.77.0.99', 'lladdr', '02:00:00:00:00:99', 'dev', 'br0', 'nud', 'permanent']);
    await lab.exec(seg.netns, 'socat', ['-u', '-b', '1400', `OPEN:/dev/zero,readbytes=${1400 * BLAST}`, 'UDP-SENDTO:10.77.0.99:9999'], { timeoutMs: 120_000 });
    await new Promise((r) => setTimeout(r, 300));   // let the last frames drain (a bench, not a test)
    return n > 1 ? (n - 1) / ((last - first) / 1000) : null;
  } finally {
    await lab.teardown();
  }
}

/** Phone client and lab server on the simulated wire, virtual time, 16 MiB. */
function inProcess(): BenchRow[] {
  const sched = new Scheduler(1);
  const sw = new SimSwitch(sched, { ports: 2, name: 'sw' });
  const mask = parseIp('255.255.255.0')!;
  const nic = new SimNic(sched, new Uint8Array([0x00, 0x1e, 0x4a, 0x12, 0x34, 0x56]));
  sw.connect(0, nic);
  const hal = simHostHal(sched, nic, { label: 'phone' });
  const iface = new NetInterface(hal);
  iface.setAddress(parseIp('10.1.100.50')!, mask, 0);
  const host = new LabHost(sched, sw, 1, { name: 'tftp', mac: new Uint8Array([2, 0, 0, 0, 0, 1]), ip: parseIp('10.1.100.1')!, mask });
  const data = seededBytes(0x7f7b02, SIZE);
  attachTftpServer(host.iface, { 'big.bin': data });
  const tftp = new TftpService(iface, hal.clock, PHONE_OPTS);
  const hash = createHash('sha256');
  let ev: FetchEvent | null = null;
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  tftp.fetch([parseIp('10.1.100.1')!], [{ name: 'big.bin', optional: false }], () => ({
    write: (d) => { hash.update(d); return true; },
    end: () => undefined,
    abort: () => undefined,
  }), (e) => {
    if (e.kind === 'done' || e.kind === 'failed') ev = e;
  });
  const v0 = sched.now();
  sched.run(sched.now() + 600_000, () => ev !== null);
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const wallS = (performance.now() - w0) / 1000;
  const e = ev as FetchEvent | null;
  const ok = e !== null && e.kind === 'done' && hash.digest('hex') === sha(data);
  const virtS = (sched.now() - v0) / 1000;
  return [
    { figure: 'TFTP 16 MiB in process: phone client <- lab server, sim wire', ours: ok ? SIZE / MIB / cpuS : null, reference: null, unit: 'MiB/CPU-s',
      note: `${ok ? '' : 'TRANSFER FAILED; '}blksize 1428 windowsize 16; both stacks, the switch and sha256 in this process; ${(SIZE / MIB / wallS).toFixed(1)} MiB/s wall` },
    { figure: '  the same on virtual time (100 Mbit/s sim port)', ours: ok ? SIZE / MIB / virtS : null, reference: (100e6 / 8) * (1428 / 1520) / MIB, unit: 'MiB/s',
      note: 'ref = 100 Mbit/s line rate of 1428-byte blocks' },
  ];
}

export async function bench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const b = await bridgeRows();
  rows.push(...b.rows);
  const ceiling = await bridgeCeiling();
  const fig = 'bridge frame rate, namespace -> Node (1442-byte frames, socat)';
  if (ceiling === null) rows.push(skipped(fig, 'frames/s', labUnavailable() ?? 'no frames'));
  else {
    rows.push({ figure: fig, ours: null, reference: ceiling, unit: 'frames/s', note: `${BLAST.toLocaleString('en-US')} datagrams blasted; the ceiling of the phone's path` });
    b.phoneFps.forEach((f, i) => rows.push({
      figure: `  phone client's share of it <- ${i === 0 ? 'tftpd-hpa' : 'atftpd'}`, ours: (100 * f) / ceiling, reference: 100, unit: '%',
      note: `${Math.round(f).toLocaleString('en-US')} of ${Math.round(ceiling).toLocaleString('en-US')} frames/s`,
    }));
  }
  rows.push(...inProcess());
  return rows;
}
