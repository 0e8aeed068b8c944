/**
 * The lab CallManager's device database: devices known by name (SEP<MAC>) with their
 * directory numbers and the load ID the CallManager answers to VersionReq, and the
 * auto-registration switch. With auto-registration on, an unknown device is created with
 * the lowest free number of the range; with it off (or the range used up) it is refused
 * with a RegisterReject text. Host code; the SCCP server (sccp-server.ts) and, later, the
 * SIP registrar share it.
 */

export interface DeviceLine {
  /** Directory number ("1001"). */
  dn: string;
  /** Fully qualified display name (default "Line <dn>"). */
  name?: string;
  /** Text label (default the number). */
  label?: string;
}

export interface DeviceRecord {
  name: string;
  lines: DeviceLine[];
  /** Device type it registered with (filled in at registration). */
  deviceType?: number;
  /** Load ID answered to VersionReq (default: the server's). */
  loadId?: string;
  /** Created by auto-registration. */
  auto?: boolean;
}

export interface AutoRegistration {
  enabled: boolean;
  /** Inclusive range of directory numbers handed out. */
  first: number;
  last: number;
}

export type Lookup =
  | { ok: true; device: DeviceRecord; created: boolean }
  | { ok: false; text: string };

/** RegisterReject texts (at most 32 bytes on the wire). */
export const REJECT_UNKNOWN = 'Device Unknown';
export const REJECT_RANGE_FULL = 'No free directory number';

/** SCCP Version carries char[16]: a longer load ID would reach the phone cut short. */
export function checkLoadId(id: string | undefined): void {
  if (id !== undefined && id.length > 16) throw new RangeError(`load ID over 16 characters (SCCP Version): ${id}`);
}

export interface DeviceDbOptions {
  devices?: DeviceRecord[];
  autoRegistration?: Partial<AutoRegistration>;
}

export class DeviceDb {
  readonly autoRegistration: AutoRegistration;
  private readonly devices = new Map<string, DeviceRecord>();

  constructor(opts: DeviceDbOptions = {}) {
    this.autoRegistration = { enabled: false, first: 2000, last: 2099, ...opts.autoRegistration };
    for (const d of opts.devices ?? []) this.add(d);
  }

  add(d: DeviceRecord): DeviceRecord {
    checkLoadId(d.loadId);
    if (d.name.length > 16) throw new RangeError(`device name over 16 characters: ${d.name}`);
    for (const l of d.lines) if (l.dn.length > 24) throw new RangeError(`directory number over 24 characters: ${l.dn}`);
    this.devices.set(d.name, d);
    return d;
  }

  get(name: string): DeviceRecord | undefined {
    return this.devices.get(name);
  }

  remove(name: string): boolean {
    return this.devices.delete(name);
  }

  list(): DeviceRecord[] {
    return [...this.devices.values()];
  }

  setAutoRegistration(enabled: boolean, range?: { first: number; last: number }): void {
    this.autoRegistration.enabled = enabled;
    if (range) {
      this.autoRegistration.first = range.first;
      this.autoRegistration.last = range.last;
    }
  }

  /** The record for a registering device: known, created by auto-registration, or refused. */
  lookup(name: string, deviceType: number): Lookup {
    const known = this.devices.get(name);
    if (known) {
      known.deviceType = deviceType;
      return { ok: true, device: known, created: false };
    }
    const a = this.autoRegistration;
    if (!a.enabled) return { ok: false, text: REJECT_UNKNOWN };
    const used = new Set<string>();
    for (const d of this.devices.values()) for (const l of d.lines) used.add(l.dn);
    for (let n = a.first; n <= a.last; n++) {
      const dn = String(n);
      if (used.has(dn)) continue;
      const device = this.add({ name, lines: [{ dn }], deviceType, auto: true });
      return { ok: true, device, created: true };
    }
    return { ok: false, text: REJECT_RANGE_FULL };
  }
}
