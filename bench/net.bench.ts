/**
 * TCP bulk throughput of the firmware's stack, with Linux's own TCP beside it:
 *
 *  (a) two firmware stacks through the simulated switch (100 Mbit/s phone ports): the
 *      virtual-time throughput (what the protocol achieves on the simulated wire; the
 *      reference is the TCP goodput of a 100 Mbit/s line), and how fast the simulation
 *      itself runs in wall-clock MB/s;
 *  (b) the firmware stack (simulated switch, real time) through the socat bridge to a
 *      Linux TCP server in a namespace, download and upload; the reference is Linux's TCP
 *      over the same bridge path (Node relaying frames between two taps: two socat hops);
 *  (c) Linux's TCP between two namespaces over a veth pair: the kernel-only ceiling.
 *
 * (b) and (c) need root, ip and socat; without them their rows say "skipped". MB = 10^6 bytes.
 */
import { performance } from 'node:perf_hooks';
import type { BenchRow } from './types';
import { NetnsLab, labUnavailable } from '../tools/bridge/lab';
import { sh } from '../tools/bridge/proc';
import { createBridge } from '../tools/bridge/rig';
import type { NetOptions } from '../firmware/net/index';
import { simBulkTransfer, bridgedTransfer } from './net-flows';

/** The stack's defaults (8 KiB send and receive buffers: the phone's memory budget). */
const DEFAULTS: { label: string; options?: NetOptions } = { label: '8 KiB windows (defaults)' };
/** The largest unscaled window, to show what the buffers cost. */
const WIDE: { label: string; options?: NetOptions } = { label: '64 KiB windows', options: { tcpSendBuffer: 65536, tcpRecvBuffer: 65535 } };

/** TCP goodput of a 100 Mbit/s Ethernet line with MSS 1460 (1460 of every 1538 wire bytes). */
export const GOODPUT_100M_MBPS = (100e6 / 8) * (1460 / 1538) / 1e6;

const SIM_BYTES = 8 << 20;
const BRIDGE_BYTES = 8 << 20;
const RELAY_BYTES = 32 << 20;
const VETH_BYTES = 512 << 20;

function skipped(figure: string, unit: string, why: string, reference?: number | null): BenchRow {
  return { figure, ours: null, reference: reference ?? null, unit, note: `skipped: ${why}` };
}

/** Time a socat bulk send of `bytes` from `clientNs` to `server`:5001 in `serverNs`; MB/s. */
async function linuxTcp(lab: NetnsLab, serverNs: string, server: string, clientNs: string, bytes: number): Promise<number> {
  const sink = lab.spawn(serverNs, 'socat', ['-d', '-d', '-u', `TCP-LISTEN:5001,bind=${server},reuseaddr`, 'GOPEN:/dev/null'], 'tcp sink');
  await sink.waitForOutput(/listening on/, 10_000);
  const t0 = performance.now();
  await sh('socat', ['-u', `OPEN:/dev/zero,readbytes=${bytes}`, `TCP:${server}:5001`], { netns: clientNs, timeoutMs: 120_000 });
  await sink.exited;
  const s = (performance.now() - t0) / 1000;
  return bytes / s / 1e6;
}

async function linuxRows(): Promise<{ veth: BenchRow; relay: number | null; relayNote: string }> {
  const vethFig = 'TCP bulk, Linux <-> Linux over veth (kernel only)';
  const why = labUnavailable();
  if (why) return { veth: skipped(vethFig, 'MB/s', why), relay: null, relayNote: why };
  let veth: BenchRow;
  {
    const lab = await NetnsLab.create({ segments: [{ address: '10.77.0.1/24', client: '10.77.0.20/24' }] });
    try {
      const mbps = await linuxTcp(lab, lab.native.netns, '10.77.0.1', lab.native.client!.netns, VETH_BYTES);
      veth = { figure: vethFig, ours: null, reference: mbps, unit: 'MB/s', note: `${VETH_BYTES >> 20} MiB, socat -> socat, the ceiling of the namespace path` };
    } finally {
      await lab.teardown();
    }
  }
  // Two one-tap segments on the same subnet; Node relays frames between their UDP links.
  const lab = await NetnsLab.create({ segments: [{ address: '10.77.0.1/24' }, { address: '10.77.0.2/24' }] });
  try {
    const [a, b] = lab.segments;
    a.link.onFrame((f) => b.link.send(f));
    b.link.onFrame((f) => a.link.send(f));
    const mbps = await linuxTcp(lab, a.netns, '10.77.0.1', b.netns, RELAY_BYTES);
    return { veth, relay: mbps, relayNote: `Linux TCP over the same bridge (tap-socat-Node-socat-tap), ${RELAY_BYTES >> 20} MiB` };
  } finally {
    await lab.teardown();
  }
}

function simRows(): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const cfg of [DEFAULTS, WIDE]) {
    const r = simBulkTransfer(SIM_BYTES, 1, cfg.options);
    const check = r.ok ? 'sha256 ok' : 'TRANSFER FAILED';
    rows.push({ figure: `TCP bulk, 2 stacks via sim switch, ${cfg.label}`, ours: r.bytes / (r.virtualMs / 1000) / 1e6,
      reference: GOODPUT_100M_MBPS, unit: 'MB/s', note: `virtual time, ${SIM_BYTES >> 20} MiB, 100 Mbit/s ports; ref = line goodput; ${check}` });
    rows.push({ figure: `  simulation speed of the above`, ours: r.bytes / (r.wallMs / 1000) / 1e6, reference: null, unit: 'MB/s',
      note: `simulated bytes per wall-clock second, ${Math.round(r.events / (r.wallMs / 1000)).toLocaleString('en-US')} events/s` });
  }
  return rows;
}

async function bridgeRows(relay: number | null, relayNote: string): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const why = labUnavailable();
  for (const cfg of [DEFAULTS, WIDE]) {
    const down = `TCP download, phone stack <- Linux via bridge, ${cfg.label}`;
    const up = `TCP upload, phone stack -> Linux via bridge, ${cfg.label}`;
    if (why) {
      rows.push(skipped(down, 'MB/s', why), skipped(up, 'MB/s', why));
      continue;
    }
    const br = await createBridge({ mode: 'switch', lab: { segments: [{ address: '10.77.0.1/24' }] }, pcap: false });
    try {
      const r = await bridgedTransfer(br, BRIDGE_BYTES, cfg.options);
      const note = `${BRIDGE_BYTES >> 20} MiB${r.ok ? '' : ' TRANSFER FAILED'}; ref = ${relayNote}`;
      rows.push({ figure: down, ours: r.downloadMBps, reference: relay, unit: 'MB/s', note });
      rows.push({ figure: up, ours: r.uploadMBps, reference: relay, unit: 'MB/s', note });
    } finally {
      await br.close();
    }
  }
  return rows;
}

export async function bench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = simRows();
  const linux = await linuxRows();
  rows.push(...(await bridgeRows(linux.relay, linux.relayNote)));
  if (linux.relay !== null) {
    rows.push({ figure: 'TCP bulk, Linux <-> Linux via the bridge', ours: null, reference: linux.relay, unit: 'MB/s', note: linux.relayNote });
  }
  rows.push(linux.veth);
  return rows;
}
