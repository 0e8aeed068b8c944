/**
 * The namespace lab: Linux network namespaces that the bridge plugs Node's frames into
 * (reference/interop.md section 1). One *segment* per LAN:
 *
 * ```
 *  Node (root netns)                      netns <prefix>s<i>                   netns <prefix>c<i>
 *  UdpFrameLink 127.0.0.1:N  <--UDP-->  socat  <prefix>t<i> ─┐
 *                                       127.0.0.1:H          ├─ br0 ADDRESS (servers bind here)
 *                                                            └─ vc0 ══veth══ eth0 CLIENT (optional)
 * ```
 *
 * socat 1.7.4 has no netns option, so the tap is created in the root namespace and then
 * moved into the segment's namespace; socat keeps its file descriptor and keeps bridging.
 * The kernel here has no 8021q module and no bridge VLAN filtering, so a VLAN is a segment
 * of its own (its own tap, socat, namespace and bridge) and the simulated switch does the
 * tagging: its uplink port for that VLAN is an access port of the VLAN.
 *
 * IPv6 is disabled in every namespace so Node does not get router solicitations and MLD
 * reports, and br0 has multicast snooping off so it does not send IGMP reports either.
 * Names are unique per process (`dt<pid>x<n>`), and teardown (also run from a process exit
 * handler, synchronously) stops every process the lab started, by PID, and
 * deletes every namespace and tap it made.
 */
import { randomBytes } from 'node:crypto';
import { Daemon, hasCommand, isRoot, sh, shSync, type ShOptions, type ShResult } from './proc';
import { UdpFrameLink, freeUdpPort } from './udp-link';

export interface SegmentSpec {
  /** The VLAN this segment carries on the simulated switch (omitted = native, untagged). */
  vlan?: number;
  /** br0's address with prefix length, e.g. '10.77.0.1/24'. */
  address: string;
  /** When set, a client namespace on a veth pair into br0 with this address ('10.77.0.20/24'). */
  client?: string;
}

export interface LabOptions {
  /** Name prefix for namespaces and taps (default unique per process: dt<pid36>x<n>). */
  prefix?: string;
  /** Default: one untagged segment 10.77.0.1/24. */
  segments?: SegmentSpec[];
  /** Progress lines (the CLI prints them; tests leave it out). */
  log?: (line: string) => void;
}

export interface LabClient {
  netns: string;
  /** Interface name inside the client namespace. */
  ifname: string;
  /** CIDR, e.g. '10.77.0.20/24'. */
  address: string;
  ip: string;
}

export interface LabSegment {
  index: number;
  /** VLAN id on the simulated switch, or null for the native (untagged) LAN. */
  vlan: number | null;
  netns: string;
  /** Always 'br0', inside `netns`. */
  bridge: string;
  /** br0's MAC (fixed, so it does not change as ports join the bridge). */
  bridgeMac: string;
  /** The tap's name (inside `netns` once set up). */
  tap: string;
  /** br0's CIDR and bare address. */
  address: string;
  ip: string;
  prefixLen: number;
  client: LabClient | null;
  /** Node's end: send a frame into this LAN, receive the frames the LAN sends to the tap. */
  link: UdpFrameLink;
  /** socat's UDP port on 127.0.0.1. */
  helperPort: number;
  helper: Daemon;
}

let labCounter = 0;

/** Why the lab cannot run here (not root, or a tool missing), or null when it can. */
export function labUnavailable(extraTools: readonly string[] = []): string | null {
  if (!isRoot()) return 'needs root (network namespaces and TAP devices)';
  const missing = ['ip', 'socat', ...extraTools].filter((t) => !hasCommand(t));
  if (missing.length > 0) return `missing tools: ${missing.join(', ')} (apt-get install iproute2 socat ...)`;
  return null;
}

function splitCidr(cidr: string): { ip: string; prefixLen: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new RangeError(`lab: address must be A.B.C.D/N, got '${cidr}'`);
  return { ip: m[1], prefixLen: Number(m[2]) };
}

function localMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0] & 0xfc) | 0x02; // locally administered, unicast
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

export class NetnsLab {
  readonly prefix: string;
  readonly segments: LabSegment[] = [];
  private namespaces: string[] = [];
  private rootTaps: string[] = [];
  private daemons: Daemon[] = [];
  private links: UdpFrameLink[] = [];
  private torn = false;
  private readonly exitHandler = (): void => this.teardownSync();
  private log: (line: string) => void;

  private constructor(prefix: string, log: (line: string) => void) {
    this.prefix = prefix;
    this.log = log;
  }

  /**
   * Build the lab. On any failure everything made so far is torn down before the error
   * propagates, so a caller's `finally` has nothing to clean.
   */
  static async create(opts: LabOptions = {}): Promise<NetnsLab> {
    const why = labUnavailable();
    if (why) throw new Error(`lab: ${why}`);
    const prefix = opts.prefix ?? `dt${process.pid.toString(36)}x${(labCounter++).toString(36)}`;
    if (prefix.length > 11) throw new RangeError(`lab: prefix '${prefix}' too long (interface names are 15 chars)`);
    const lab = new NetnsLab(prefix, opts.log ?? (() => {}));
    process.once('exit', lab.exitHandler);
    try {
      const specs = opts.segments ?? [{ address: '10.77.0.1/24' }];
      for (let i = 0; i < specs.length; i++) lab.segments.push(await lab.addSegment(i, specs[i]));
    } catch (err) {
      await lab.teardown();
      throw err;
    }
    return lab;
  }

  /** The untagged segment, else the first. */
  get native(): LabSegment {
    return this.segments.find((s) => s.vlan === null) ?? this.segments[0];
  }

  /** The segment carrying `vlan` (null = native). */
  segment(vlan: number | null): LabSegment {
    const s = this.segments.find((x) => x.vlan === vlan);
    if (!s) throw new RangeError(`lab: no segment for VLAN ${vlan}`);
    return s;
  }

  /** Run a command to completion inside a namespace of this lab. */
  exec(netns: string, cmd: string, args: readonly string[], opts: Omit<ShOptions, 'netns'> = {}): Promise<ShResult> {
    return sh(cmd, args, { ...opts, netns });
  }

  /** Start a long-running process inside a namespace; the lab stops it at teardown. */
  spawn(netns: string | null, cmd: string, args: readonly string[], name?: string): Daemon {
    if (this.torn) throw new Error('lab: already torn down');
    const d = new Daemon(cmd, args, { netns: netns ?? undefined, name });
    this.daemons.push(d);
    return d;
  }

  /** Human-readable summary (for the CLI and for test failure messages). */
  describe(): string[] {
    const lines: string[] = [];
    for (const s of this.segments) {
      const v = s.vlan === null ? 'native (untagged)' : `VLAN ${s.vlan}`;
      lines.push(`segment ${s.index} ${v}: netns ${s.netns}, br0 ${s.address} (${s.bridgeMac}), tap ${s.tap}`);
      lines.push(`  frames: Node udp 127.0.0.1:${s.link.port} <-> socat udp 127.0.0.1:${s.helperPort} (pid ${s.helper.pid})`);
      if (s.client) lines.push(`  client: netns ${s.client.netns}, ${s.client.ifname} ${s.client.address}`);
    }
    return lines;
  }

  /** Stop every process the lab started, delete its namespaces and taps. Idempotent. */
  async teardown(): Promise<void> {
    if (this.torn) return;
    this.torn = true;
    process.off('exit', this.exitHandler);
    // Daemons first (in reverse order of start) so nothing keeps a namespace alive.
    await Promise.all(this.daemons.reverse().map((d) => d.stop('SIGTERM', 2_000)));
    for (const l of this.links) l.close();
    for (const ns of this.namespaces.reverse()) await sh('ip', ['netns', 'del', ns], { allowFail: true });
    for (const tap of this.rootTaps) await sh('ip', ['link', 'del', tap], { allowFail: true });
    this.log(`lab ${this.prefix}: torn down`);
  }

  /** Exit-handler fallback: no event loop left, so synchronous and best effort. */
  private teardownSync(): void {
    if (this.torn) return;
    this.torn = true;
    for (const d of this.daemons) d.killSync();
    for (const ns of this.namespaces) shSync('ip', ['netns', 'del', ns]);
    for (const tap of this.rootTaps) shSync('ip', ['link', 'del', tap]);
  }

  private async addNetns(name: string): Promise<void> {
    await sh('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    await sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    // /proc/sys/net is per namespace; written directly so procps (sysctl) is not needed.
    // A kernel without IPv6 has no such files, and nothing to disable.
    await sh('sh', ['-c', 'for f in /proc/sys/net/ipv6/conf/all/disable_ipv6 /proc/sys/net/ipv6/conf/default/disable_ipv6; do [ -e $f ] && echo 1 > $f; done; true'], { netns: name });
  }

  private async addSegment(index: number, spec: SegmentSpec): Promise<LabSegment> {
    if (spec.vlan !== undefined && (!Number.isInteger(spec.vlan) || spec.vlan < 1 || spec.vlan > 4094)) {
      throw new RangeError(`lab: VLAN must be 1..4094, got ${spec.vlan}`);
    }
    const { ip, prefixLen } = splitCidr(spec.address);
    const netns = `${this.prefix}s${index}`;
    const tap = `${this.prefix}t${index}`;
    const bridgeMac = localMac();
    await this.addNetns(netns);
    await sh('ip', ['-n', netns, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0']);
    await sh('ip', ['-n', netns, 'link', 'set', 'br0', 'address', bridgeMac]);
    await sh('ip', ['-n', netns, 'link', 'set', 'br0', 'up']);
    await sh('ip', ['-n', netns, 'addr', 'add', spec.address, 'dev', 'br0']);

    let client: LabClient | null = null;
    if (spec.client) {
      const c = splitCidr(spec.client);
      const cns = `${this.prefix}c${index}`;
      await this.addNetns(cns);
      await sh('ip', ['-n', netns, 'link', 'add', 'vc0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', cns]);
      await sh('ip', ['-n', netns, 'link', 'set', 'vc0', 'master', 'br0', 'up']);
      await sh('ip', ['-n', cns, 'addr', 'add', spec.client, 'dev', 'eth0']);
      await sh('ip', ['-n', cns, 'link', 'set', 'eth0', 'up']);
      client = { netns: cns, ifname: 'eth0', address: spec.client, ip: c.ip };
    }

    const link = await UdpFrameLink.open();
    this.links.push(link);
    const { helper, helperPort } = await this.startHelper(tap, link);
    link.setPeer(helperPort);
    // Move the tap into the segment and enslave it; socat keeps bridging through its fd.
    await sh('ip', ['link', 'set', tap, 'netns', netns]);
    this.rootTaps = this.rootTaps.filter((t) => t !== tap);
    await sh('ip', ['-n', netns, 'link', 'set', tap, 'master', 'br0', 'up']);
    const seg: LabSegment = {
      index, vlan: spec.vlan ?? null, netns, bridge: 'br0', bridgeMac, tap,
      address: spec.address, ip, prefixLen, client, link, helperPort, helper,
    };
    this.log(`lab: segment ${index} ${seg.vlan === null ? 'native' : 'VLAN ' + seg.vlan}: ${netns} br0 ${spec.address}`);
    return seg;
  }

  /**
   * socat TAP <-> UDP-DATAGRAM (not `UDP:`, which exits on the first ICMP port unreachable).
   * Ready when socat logs its transfer loop; retried when the chosen port was taken meanwhile.
   */
  private async startHelper(tap: string, link: UdpFrameLink): Promise<{ helper: Daemon; helperPort: number }> {
    let lastErr: unknown = null;
    for (let attempt = 0; attempt < 3; attempt++) {
      const helperPort = await freeUdpPort();
      const helper = this.spawn(null, 'socat', [
        '-d', '-d',
        `TUN,tun-type=tap,iff-no-pi,iff-up,tun-name=${tap}`,
        `UDP-DATAGRAM:127.0.0.1:${link.port},bind=127.0.0.1:${helperPort}`,
      ], `socat ${tap}`);
      this.rootTaps.push(tap);
      try {
        await helper.waitForOutput(/starting data transfer loop/, 10_000);
        return { helper, helperPort };
      } catch (err) {
        lastErr = err;
        await helper.stop();
        await sh('ip', ['link', 'del', tap], { allowFail: true });
        this.rootTaps = this.rootTaps.filter((t) => t !== tap);
      }
    }
    throw lastErr;
  }
}
