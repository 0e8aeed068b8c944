/**
 * `dialtone bridge`: set up the namespace lab and a simulated switch in real time, print
 * what was set up, and keep running until Ctrl-C, which tears everything down.
 *
 * The phone port (switch port 0, or the tap itself with --mode direct) is either
 * - `--phone CIDR`: the firmware's own IP stack with a static address (ping it, connect to it), or
 * - exposed as a UDP endpoint (`--listen PORT`, one frame per datagram) so another process
 *   can plug a NIC into it.
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { UserError } from '../errors';
import { labUnavailable, type SegmentSpec } from './lab';
import { createBridge, type Bridge } from './rig';
import { UdpFrameLink } from './udp-link';

const USAGE = `usage: dialtone bridge [options]

Bridge a simulated switch (or one phone port) into Linux network namespaces through
TAP devices (socat, one Ethernet frame per UDP datagram). Needs root, ip and socat.

options:
  --address CIDR     br0 address of the native (untagged) segment   [10.77.0.1/24]
  --vlan VID[=CIDR]  add a segment for a VLAN; the switch tags it on the phone port
                     (the voice VLAN); default CIDR 10.77.VID.1/24 for VID <= 255
  --client CIDR      add a client namespace on a veth into the native segment
  --mode M           switch (phone on switch port 0) | direct (phone port is the tap) [switch]
  --phone CIDR       run the firmware's IP stack on the phone port with this address
  --gateway IP       the phone's default gateway (with --phone)             [br0 address]
  --listen PORT      expose the phone port on udp 127.0.0.1:PORT (without --phone) [any]
  --pcap FILE        write the switch capture to FILE on exit (switch mode)
  --prefix NAME      name prefix for namespaces and taps (<= 11 chars)     [dt<pid>x0]
  -h, --help         this text`;

export interface BridgeCliOptions {
  address: string;
  vlans: Array<{ vid: number; address: string }>;
  client: string | null;
  mode: 'switch' | 'direct';
  phone: string | null;
  gateway: string | null;
  listen: number | null;
  pcap: string | null;
  prefix: string | null;
}

const CIDR = /^\d+\.\d+\.\d+\.\d+\/\d+$/;

/** Normalize argv once; every user mistake is a UserError with one line. */
export function parseBridgeArgs(argv: string[]): BridgeCliOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        address: { type: 'string' },
        vlan: { type: 'string', multiple: true },
        client: { type: 'string' },
        mode: { type: 'string' },
        phone: { type: 'string' },
        gateway: { type: 'string' },
        listen: { type: 'string' },
        pcap: { type: 'string' },
        prefix: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new UserError(`bridge: ${(err as Error).message}`, 2);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const cidr = (name: string, x: string | undefined, dflt: string | null): string | null => {
    if (x === undefined) return dflt;
    if (!CIDR.test(x)) throw new UserError(`bridge: --${name} wants A.B.C.D/N, got '${x}'`, 2);
    return x;
  };
  const vlans = (v.vlan ?? []).map((s) => {
    const m = /^(\d+)(?:=(.+))?$/.exec(s);
    const vid = m ? Number(m[1]) : NaN;
    if (!m || !(vid >= 1 && vid <= 4094)) throw new UserError(`bridge: --vlan wants VID[=CIDR] with VID 1..4094, got '${s}'`, 2);
    let address = m[2];
    if (address === undefined) {
      if (vid > 255) throw new UserError(`bridge: --vlan ${vid} needs an address (--vlan ${vid}=A.B.C.D/N)`, 2);
      address = `10.77.${vid}.1/24`;
    }
    return { vid, address: cidr('vlan', address, null)! };
  });
  const mode = v.mode ?? 'switch';
  if (mode !== 'switch' && mode !== 'direct') throw new UserError(`bridge: --mode is switch or direct, got '${mode}'`, 2);
  if (mode === 'direct' && vlans.length > 0) throw new UserError('bridge: --vlan needs --mode switch (the switch does the tagging)', 2);
  if (v.phone !== undefined && v.listen !== undefined) throw new UserError('bridge: --phone and --listen exclude each other', 2);
  let listen: number | null = null;
  if (v.listen !== undefined) {
    listen = Number(v.listen);
    if (!Number.isInteger(listen) || listen < 1 || listen > 65535) throw new UserError(`bridge: --listen wants a UDP port, got '${v.listen}'`, 2);
  }
  if (v.gateway !== undefined && !/^\d+\.\d+\.\d+\.\d+$/.test(v.gateway)) throw new UserError(`bridge: --gateway wants A.B.C.D, got '${v.gateway}'`, 2);
  if (v.pcap !== undefined && mode === 'direct') throw new UserError('bridge: --pcap records the switch; use --mode switch', 2);
  if (v.prefix !== undefined && !/^[a-z][a-z0-9]{0,10}$/.test(v.prefix)) throw new UserError('bridge: --prefix is 1-11 lowercase letters/digits, starting with a letter', 2);
  return {
    address: cidr('address', v.address, '10.77.0.1/24')!,
    vlans,
    client: cidr('client', v.client, null),
    mode,
    phone: cidr('phone', v.phone, null),
    gateway: v.gateway ?? null,
    listen,
    pcap: v.pcap ?? null,
    prefix: v.prefix ?? null,
  };
}

export async function run(argv: string[]): Promise<number> {
  const opts = parseBridgeArgs(argv);
  if (opts === 'help') {
    console.log(USAGE);
    return 0;
  }
  const why = labUnavailable();
  if (why) throw new UserError(`bridge: ${why}`);

  const segments: SegmentSpec[] = [{ address: opts.address, client: opts.client ?? undefined }];
  for (const v of opts.vlans) segments.push({ vlan: v.vid, address: v.address });
  const br: Bridge = await createBridge({
    mode: opts.mode,
    lab: { prefix: opts.prefix ?? undefined, segments, log: (l) => console.log(l) },
    pcap: opts.pcap !== null,
  });

  let stopping = false;
  const finish = new Promise<number>((resolve) => {
    const stop = (sig: string): void => {
      if (stopping) return;
      stopping = true;
      console.log(`\n${sig}: tearing down`);
      resolve(0);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });

  let exposed: UdpFrameLink | null = null;
  try {
    for (const l of br.lab.describe()) console.log(l);
    if (br.sw) {
      const pv = br.sw.portVlans(0);
      console.log(`switch: port 0 = phone (access VLAN ${pv.accessVid}${pv.voiceVid ? `, voice VLAN ${pv.voiceVid} tagged` : ''}), ` +
        br.uplinks.map((u) => `port ${u.port} = uplink of segment ${u.port - 1}`).join(', '));
    }
    if (opts.phone) {
      const { startPhoneStack } = await import('./phone');
      const seg = br.lab.native;
      const phone = startPhoneStack(br, { address: opts.phone, gateway: opts.gateway ?? seg.ip });
      console.log(`phone: ${phone.describe()}`);
      console.log(`try:   ip netns exec ${seg.netns} ping ${opts.phone.split('/')[0]}`);
    } else {
      exposed = await UdpFrameLink.open(0, opts.listen ?? 0);
      const link = exposed;
      const eth = br.phoneEth;
      eth.onReceive((f) => link.send(f));
      link.onFrame((f) => br.driver.inject(() => eth.send(f)));
      console.log(`phone port: udp 127.0.0.1:${link.port} (one Ethernet frame per datagram; the first sender becomes the peer)`);
    }
    console.log(`inspect: ip netns exec ${br.lab.native.netns} tcpdump -n -e -i ${br.lab.native.tap}`);
    console.log('Ctrl-C to stop and tear down.');
    return await finish;
  } finally {
    exposed?.close();
    if (opts.pcap && br.pcap) {
      br.pcap.writeFile(opts.pcap);
      console.log(`pcap: ${br.pcap.count} frames -> ${opts.pcap}`);
    }
    await br.close();
    if (!existsSync(`/var/run/netns/${br.lab.native.netns}`)) console.log('lab removed');
  }
}
