/**
 * `npm start` / `dialtone start`: the lab with simulated phones on virtual time. Prints each
 * phone's display changes and log lines as they happen, stops when every phone has reached
 * the last boot step built so far (or the time limit), and prints a summary. `--pcap FILE`
 * writes every frame the lab switch carried.
 */
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { Lab } from '../lab/lab';
import type { LabOptions } from '../lab/lab';
import { firmwareImage } from '../lab/provision';
import { UserError, runIfMain } from '../errors';
import { LOG_WARN, LOG_ERROR } from '../../hal/system';
import type { LogLevel } from '../../hal/system';
import { parseIp } from '../../lib/bytes';
import { isEngineKind, ENGINE_KINDS } from '../../hal/target/engine';
import { formatReport } from '../../hal/target/runner';

const HELP = `usage: npm start -- [options]

Boots simulated phones in the lab (switch with PoE, CDP/LLDP-MED, DHCP) on virtual time.

options:
  --pcap FILE       write every frame the switch carried to FILE (pcap, opens in Wireshark)
  --seed N          seed of the run (same seed, same run; default 1)
  --phones N        number of phones (default 1)
  --seconds S       virtual time limit (default 300)
  --loss P          frame loss on each phone's cable, 0..1 (default 0)
  --no-cdp          the switch does not speak CDP
  --no-lldp         the switch does not speak LLDP-MED
  --low-power       the switch's PoE budget cannot cover the phone (it stays in low power)
  --static IP/MASK  static address from the phone's settings (no DHCP), TFTP 10.1.100.1
  --quiet           only the display and the summary, no log lines
  --json            print the summary as JSON
  --engine E        what the phones run: native (default; fast), or the real loader and
                    firmware bundles in quickjs or xs (Moddable XS), under the engine's
                    memory gate; the figures are printed at the end`;

function formatTime(ms: number): string {
  return (ms / 1000).toFixed(3).padStart(9);
}

function parseStatic(text: string): { address: number; mask: number } {
  const [a, bits] = text.split('/');
  const address = parseIp(a ?? '');
  const n = Number(bits ?? '24');
  if (address === null || !Number.isInteger(n) || n < 1 || n > 30) {
    throw new UserError(`--static ${text}: expected A.B.C.D/BITS, e.g. 10.1.100.50/24`);
  }
  return { address, mask: (0xffffffff << (32 - n)) >>> 0 };
}

function numberOption(v: string | undefined, name: string, lo: number, hi: number, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < lo || n > hi) throw new UserError(`--${name} ${v}: expected a number from ${lo} to ${hi}`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        pcap: { type: 'string' }, seed: { type: 'string' }, phones: { type: 'string' }, seconds: { type: 'string' },
        loss: { type: 'string' }, 'no-cdp': { type: 'boolean' }, 'no-lldp': { type: 'boolean' },
        'low-power': { type: 'boolean' }, static: { type: 'string' }, quiet: { type: 'boolean' },
        json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, engine: { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (e) {
    throw new UserError(`${(e as Error).message}\n${HELP}`, 2);
  }
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  const seed = numberOption(args.seed, 'seed', 0, 0xffffffff, 1);
  const phones = numberOption(args.phones, 'phones', 1, 200, 1);
  const seconds = numberOption(args.seconds, 'seconds', 1, 7 * 86400, 300);
  const loss = numberOption(args.loss, 'loss', 0, 0.9, 0);
  const quiet = Boolean(args.quiet || args.json);
  const out = (line: string) => { if (!args.json) console.log(line); };
  const engine = args.engine ?? 'native';
  if (!isEngineKind(engine)) throw new UserError(`--engine ${engine}: one of ${ENGINE_KINDS.join(', ')}`, 2);

  const image = await firmwareImage();
  const options: LabOptions = {
    seed, phones, pcap: Boolean(args.pcap), image,
    cdp: !args['no-cdp'], lldp: !args['no-lldp'],
    phone: { faults: { loss } },
    log: (t: number, who: string, level: LogLevel, tag: string, message: string) => {
      if (quiet) return;
      const text = `${pc.dim(formatTime(t))} ${pc.cyan(who.padEnd(12))} ${tag.padEnd(9)} ${message}`;
      out(level >= LOG_ERROR ? pc.red(text) : level >= LOG_WARN ? pc.yellow(text) : text);
    },
  };
  if (args['low-power']) options.pseBudgetMw = 9_000;
  if (args.static) {
    const s = parseStatic(args.static);
    const gw = ((s.address & s.mask) | 1) >>> 0;
    options.phone = { ...options.phone, settings: { mode: 'static', address: s.address, mask: s.mask, gateway: gw, dnsServers: [gw], tftpServers: [parseIp('10.1.100.1')!] } };
  }
  const lab = await Lab.create({ ...options, engine });
  for (const p of lab.phones) {
    p.board.onDisplay((line, text, t) => {
      if (text !== '') out(`${pc.dim(formatTime(t))} ${pc.cyan(p.name.padEnd(12))} ${pc.bold(pc.green(`[${line}] ${text}`))}`);
    });
  }
  out(pc.bold(`Dialtone lab: ${phones} phone(s), seed ${seed}, voice VLAN ${lab.voiceVlan}`));
  lab.start();
  lab.sched.run(seconds * 1000, () => lab.allReady() || lab.engineStopped());
  // Let the last frames of the step (announcements, ACKs) reach the capture.
  lab.sched.runFor(2000);

  const summary = lab.phones.map((p) => ({
    phone: p.name,
    ready: Lab.reachedReady(p),
    display: p.board.display.lines.slice(),
    lowPower: p.board.pd.lowPower(),
    switchAllocatedMw: p.agent.allocatedMw,
  }));
  if (args.pcap) {
    lab.pcap!.writeFile(args.pcap);
  }
  if (args.json) {
    console.log(JSON.stringify({ seed, virtualMs: lab.sched.now(), phones: summary, pcap: args.pcap ?? null }, null, 2));
  } else {
    out('');
    for (const s of summary) {
      out(`${pc.bold(s.phone)}: ${s.ready ? pc.green('reached the last built step') : pc.red('did not finish')}  ` +
        `display: ${s.display.filter((l) => l).map((l) => `"${l}"`).join(' ')}`);
    }
    out(pc.dim(`virtual time ${(lab.sched.now() / 1000).toFixed(1)} s, ${lab.sched.eventsRun} events` +
      (args.pcap ? `, ${lab.pcap!.count} frames written to ${args.pcap}` : '')));
    out(pc.dim('Steps 5-9 (TFTP, trust list, configuration, CallManager, load) are not in this build yet: README.md, "Where the boot stands".'));
  }
  // Engine runs: the memory figures beside the goals; over the gate is a failure.
  let stopped = false;
  for (const p of lab.phones) {
    const r = p.engine.report();
    if (!r) continue;
    if (!args.json) out(`${pc.bold(p.name)} on ${engine}:\n  ${formatReport(r).join('\n  ')}`);
    if (r.stop) {
      stopped = true;
      console.error(pc.red(`${p.name}: ${engine} run stopped (${r.stop.kind}) at ${r.stop.atMs} ms: ${r.stop.message}`));
    }
  }
  lab.dispose();
  return summary.every((s) => s.ready) && !stopped ? 0 : 1;
}

runIfMain(import.meta.url, 'start', run);
