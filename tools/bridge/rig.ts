/**
 * A ready-made bridge: lab namespaces + a scheduler running in real time + the phone's
 * Ethernet port, wired one of two ways.
 *
 * ```
 *  mode 'switch':  phone SimNic ── port 0 ┐ SimSwitch ┌ port 1 (access native) ── tap ── netns s0
 *                  (access 1, voice V)    │           ├ port 2 (access VLAN V) ── tap ── netns s1
 *  mode 'direct':  phone BridgedEthernetPort ── tap ── netns s0   (one segment only)
 * ```
 *
 * In switch mode the switch tags the voice VLAN towards the phone and untags it towards
 * the VLAN's own namespace, and a PcapWriter records every frame on the switch's wires.
 * `close()` stops the driver, detaches, and tears the lab down; call it in a `finally`.
 */
import type { EthernetPort } from '../../hal/ethernet';
import { Scheduler } from '../../hal/sim/scheduler';
import { SimNic, type LinkOptions } from '../../hal/sim/ether';
import { SimSwitch } from '../../hal/sim/switch';
import { PcapWriter, attachPcap } from '../../hal/sim/pcap';
import { NetnsLab, type LabOptions } from './lab';
import { RealtimeDriver } from '../../hal/sim/realtime';
import { attachLab, BridgedEthernetPort, type SwitchUplink } from './attach';

export interface BridgeOptions {
  mode?: 'switch' | 'direct';
  lab?: LabOptions;
  /** Switch mode: the phone port's voice VLAN (0 = none; default: the first VLAN segment's). */
  voiceVlan?: number;
  /** Switch mode: the phone port's access (native) VLAN, default 1. */
  nativeVlan?: number;
  /** The phone's MAC (default 00:1e:4a:12:34:56, a Cisco OUI as on a 7941). */
  phoneMac?: Uint8Array;
  /** Switch mode: the phone cable (default 100 Mbit/s, no faults). */
  phoneCable?: LinkOptions;
  /** Scheduler seed (default 1). */
  seed?: number;
  /** Switch mode: record a pcap of the switch's wires (default true). */
  pcap?: boolean;
}

export interface Bridge {
  lab: NetnsLab;
  sched: Scheduler;
  driver: RealtimeDriver;
  /** The phone's HAL Ethernet port (a SimNic on port 0, or the direct bridged port). */
  phoneEth: EthernetPort;
  phoneMac: Uint8Array;
  sw: SimSwitch | null;
  uplinks: SwitchUplink[];
  /** Switch mode with pcap: every frame on the switch's wires, virtual timestamps. */
  pcap: PcapWriter | null;
  /** Stop the driver, tear down the lab. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_PHONE_MAC = new Uint8Array([0x00, 0x1e, 0x4a, 0x12, 0x34, 0x56]);

export async function createBridge(opts: BridgeOptions = {}): Promise<Bridge> {
  const mode = opts.mode ?? 'switch';
  const lab = await NetnsLab.create(opts.lab);
  try {
    const sched = new Scheduler(opts.seed ?? 1);
    const driver = new RealtimeDriver(sched);
    const phoneMac = (opts.phoneMac ?? DEFAULT_PHONE_MAC).slice();
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      driver.stop();
      await lab.teardown();
    };
    if (mode === 'direct') {
      if (lab.segments.length !== 1) throw new RangeError('createBridge: direct mode takes exactly one segment');
      const phoneEth = new BridgedEthernetPort(driver, lab.segments[0].link, phoneMac);
      driver.start();
      return { lab, sched, driver, phoneEth, phoneMac, sw: null, uplinks: [], pcap: null, close };
    }
    const sw = new SimSwitch(sched, { ports: 1 + lab.segments.length, name: 'lab-sw' });
    const nativeVlan = opts.nativeVlan ?? 1;
    const firstVlanSeg = lab.segments.find((s) => s.vlan !== null);
    const voice = opts.voiceVlan ?? (firstVlanSeg ? firstVlanSeg.vlan! : 0);
    sw.setAccessVlan(0, nativeVlan);
    sw.setVoiceVlan(0, voice);
    const pcap = opts.pcap === false ? null : new PcapWriter();
    if (pcap) attachPcap(sw, pcap);
    const phone = new SimNic(sched, phoneMac);
    sw.connect(0, phone, opts.phoneCable ?? {});
    const uplinks = attachLab(driver, sw, lab, 1, nativeVlan);
    driver.start();
    return { lab, sched, driver, phoneEth: phone, phoneMac, sw, uplinks, pcap, close };
  } catch (err) {
    await lab.teardown();
    throw err;
  }
}
