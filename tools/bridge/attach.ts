/**
 * Plugging the simulation into a lab segment, in one of two ways:
 *
 * - `attachSwitchPort`: a simulated switch port becomes the segment's uplink. A SimNic is
 *   cabled to the port; what the switch sends out of the port goes to the tap, what Linux
 *   sends into the tap enters the switch. With `attachLab` every segment gets its own port,
 *   an access port of the segment's VLAN, so the switch tags and untags (the kernel here
 *   has no 8021q: reference/interop.md).
 * - `BridgedEthernetPort`: the phone's own HAL EthernetPort is the tap, with no switch in
 *   between (the phone then sees link-local CDP/LLDP frames from lldpd directly, which a
 *   switch would never forward).
 *
 * Frames from Linux enter the simulation through the RealtimeDriver, so they are handled at
 * the current virtual time, in the scheduler's context.
 */
import type { EthernetPort } from '../../hal/ethernet';
import { ETH_MAX_FRAME } from '../../hal/ethernet';
import { SimNic, type Cable, type LinkOptions } from '../../hal/sim/ether';
import type { SimSwitch } from '../../hal/sim/switch';
import type { RealtimeDriver } from '../../hal/sim/realtime';
import type { UdpFrameLink } from './udp-link';
import type { NetnsLab, LabSegment } from './lab';

/** Uplink cables are 1 Gbit/s unless told otherwise, so the bridge is not the 100 Mbit/s phone port. */
export const UPLINK_BIT_RATE = 1_000_000_000;

export interface SwitchUplink {
  port: number;
  nic: SimNic;
  cable: Cable;
  link: UdpFrameLink;
  /** Stop forwarding in both directions and unplug the port. */
  detach(): void;
}

let uplinkMacCounter = 0;

/**
 * Cable `port` of `sw` to the UDP link of a lab segment. The port's VLAN setup is the
 * caller's (see attachLab). The uplink NIC's own MAC never appears on the wire: it only
 * relays frames.
 */
export function attachSwitchPort(
  driver: RealtimeDriver, sw: SimSwitch, port: number, link: UdpFrameLink, cable: LinkOptions = {},
): SwitchUplink {
  const n = ++uplinkMacCounter;
  const mac = new Uint8Array([0x02, 0x00, 0x5e, 0xfe, (n >> 8) & 0xff, n & 0xff]);
  const nic = new SimNic(driver.sched, mac);
  const c = sw.connect(port, nic, { bitRate: UPLINK_BIT_RATE, ...cable });
  let attached = true;
  nic.onReceive((frame) => {
    if (attached) link.send(frame);
  });
  link.onFrame((frame) => {
    if (attached) driver.inject(() => nic.send(frame));
  });
  return {
    port, nic, cable: c, link,
    detach: () => {
      if (!attached) return;
      attached = false;
      link.onFrame(() => {});
      driver.inject(() => sw.disconnect(port));
    },
  };
}

/**
 * Cable every segment of `lab` to consecutive ports of `sw` from `firstPort` on. The
 * native segment's port is an access port of `nativeVlan` (default 1); a VLAN segment's
 * port is an access port of that VLAN. Call before `driver.start()` or from inside the
 * simulation.
 */
export function attachLab(
  driver: RealtimeDriver, sw: SimSwitch, lab: NetnsLab, firstPort: number, nativeVlan = 1,
): Array<SwitchUplink & { segment: LabSegment }> {
  if (firstPort + lab.segments.length > sw.portCount) {
    throw new RangeError(`attachLab: ${lab.segments.length} segments need ports ${firstPort}..${firstPort + lab.segments.length - 1}, switch has ${sw.portCount}`);
  }
  return lab.segments.map((seg, i) => {
    const port = firstPort + i;
    sw.setAccessVlan(port, seg.vlan ?? nativeVlan);
    return { ...attachSwitchPort(driver, sw, port, seg.link), segment: seg };
  });
}

/**
 * A HAL EthernetPort whose wire is a lab segment: the phone's NIC plugged straight into the
 * Linux bridge. The link is up from the start. Frames are padded to 60 bytes as a MAC does.
 */
export class BridgedEthernetPort implements EthernetPort {
  private rx: ((frame: Uint8Array) => void) | null = null;
  private linkHandler: ((up: boolean) => void) | null = null;
  private up = true;
  /** Sees every frame in both directions (for a capture): `out` true when sent by the phone. */
  tap: ((frame: Uint8Array, out: boolean) => void) | null = null;

  constructor(private readonly driver: RealtimeDriver, private readonly link: UdpFrameLink, private readonly address: Uint8Array) {
    if (address.length !== 6) throw new RangeError('BridgedEthernetPort: mac must be 6 bytes');
    link.onFrame((frame) => {
      driver.inject(() => {
        if (!this.up) return;
        if (this.tap) this.tap(frame, false);
        if (this.rx) this.rx(frame);
      });
    });
  }

  mac(): Uint8Array {
    return this.address.slice();
  }

  send(frame: Uint8Array): boolean {
    if (!this.up || frame.length < 14 || frame.length > ETH_MAX_FRAME) return false;
    const out = new Uint8Array(Math.max(frame.length, 60));
    out.set(frame);
    if (this.tap) this.tap(out, true);
    return this.link.send(out);
  }

  onReceive(handler: (frame: Uint8Array) => void): void {
    this.rx = handler;
  }

  linkUp(): boolean {
    return this.up;
  }

  onLinkChange(handler: (up: boolean) => void): void {
    this.linkHandler = handler;
  }

  /** Simulate unplugging / plugging the cable. */
  setLink(up: boolean): void {
    if (up === this.up) return;
    this.up = up;
    if (this.linkHandler) this.linkHandler(up);
  }
}
