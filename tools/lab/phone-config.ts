/**
 * The lab's configuration files for boot step 7: one SEP<MAC>.cnf.xml per provisioned
 * phone and an XMLDefault.cnf.xml for phones the lab does not know (auto-registration),
 * generated from a typed Config (firmware/config) by tools/config/write.ts. The lab's
 * TFTP server serves them; the addresses of the CallManager members are the caller's
 * (the voice server's), cm1 first.
 *
 * ```ts
 * const files = labConfigFiles({ callManagers: labCallManagers([ip1, ip2]), phones: [{ mac }] });
 * // [{ name: 'SEP0200000000A1.cnf.xml', data }, { name: 'XMLDefault.cnf.xml', data }]
 * ```
 */
import { emptyConfig, emptySip, newLine, newMember } from '../../firmware/config/config';
import type { Config, ModelLoad } from '../../firmware/config/config';
import { ipToString, macToDeviceId } from '../../lib/bytes';
import { writeSepXml, writeDefaultXml } from '../config/write';
import { checkConfig } from '../config/schema';

export interface LabCallManager {
  /** The member's name, shown by the phone ("Registered 1001 (cm1)"). */
  name: string;
  /** IPv4 (host order) or a host name. */
  address: number | string;
  /** ethernetPhonePort (SCCP over TCP); default 2000. */
  port?: number;
  sipPort?: number;
}

export interface LabPhone {
  mac: Uint8Array;
  /** SIP: the line's user (directory number) and digest password. */
  line?: string;
  password?: string;
  displayName?: string;
}

export interface LabConfigOptions {
  callManagers: LabCallManager[];
  protocol?: 'SCCP' | 'SIP';
  /** deviceSecurityMode: 1 none (default), 2 authenticated, 3 encrypted. */
  security?: number;
  /** SIP transportLayerProtocol: 1 TCP, 2 UDP (default), 3 TLS. */
  transport?: number;
  /** loadInformation ('' = none: the phone keeps its load). */
  load?: string;
  /** XMLDefault's loadInformation<type> entries. */
  models?: ModelLoad[];
  timeZone?: string;
  dateTemplate?: string;
  ntp?: (number | string)[];
  versionStamp?: string;
}

/** cm1, cm2, ... at these addresses, in priority order. */
export function labCallManagers(addresses: (number | string)[], port?: number): LabCallManager[] {
  return addresses.map((address, i) => ({ name: `cm${i + 1}`, address, port }));
}

function host(a: number | string): string {
  return typeof a === 'number' ? ipToString(a) : a;
}

function base(kind: 'sep' | 'default', o: LabConfigOptions): Config {
  const c = emptyConfig(kind);
  c.protocol = o.protocol ?? 'SCCP';
  c.security = o.security ?? 1;
  c.transport = o.transport ?? 2;
  c.load = o.load ?? '';
  c.dateTemplate = o.dateTemplate ?? 'D/M/YA';
  c.timeZone = o.timeZone ?? 'Greenwich Standard Time';
  c.ntp = (o.ntp ?? []).map(host);
  c.versionStamp = o.versionStamp ?? 'dialtone-lab-1';
  c.members = o.callManagers.map((cm, i) => {
    const m = newMember(i);
    m.name = cm.name;
    m.host = host(cm.address);
    if (cm.port !== undefined) m.ethernetPhonePort = cm.port;
    if (cm.sipPort !== undefined) m.sipPort = cm.sipPort;
    return m;
  });
  if (c.protocol === 'SIP') c.sip = emptySip();
  c.vendor = [['pcPort', '0'], ['settingsAccess', '1'], ['garp', '0'], ['webAccess', '0'], ['enableCdpSwPort', '1'], ['enableLldpSwPort', '1']];
  return c;
}

function checked(c: Config): Config {
  const r = checkConfig(c);
  if (!r.ok) throw new TypeError(`lab config: ${r.message}`);
  return c;
}

/** A provisioned phone's configuration (its SEP file). */
export function labSepConfig(o: LabConfigOptions, phone: LabPhone): Config {
  const c = base('sep', o);
  if (c.sip) {
    const l = newLine(1);
    l.name = phone.line ?? '';
    l.label = l.name;
    l.displayName = phone.displayName ?? l.name;
    l.authName = l.name;
    l.password = phone.password ?? '';
    l.proxy = 'USECALLMANAGER';
    c.sip.lines.push(l);
  }
  return checked(c);
}

/** XMLDefault: the CallManager group and the per-model loads, nothing phone-specific. */
export function labDefaultConfig(o: LabConfigOptions): Config {
  const c = base('default', o);
  c.loads = o.models ?? [];
  return checked(c);
}

export interface LabFile { name: string; data: Uint8Array }

/** SEP<MAC>.cnf.xml for each phone, then XMLDefault.cnf.xml. */
export function labConfigFiles(o: LabConfigOptions & { phones: LabPhone[] }): LabFile[] {
  const enc = new TextEncoder();
  const files = o.phones.map((p) => ({ name: `SEP${macToDeviceId(p.mac)}.cnf.xml`, data: enc.encode(writeSepXml(labSepConfig(o, p))) }));
  files.push({ name: 'XMLDefault.cnf.xml', data: enc.encode(writeDefaultXml(labDefaultConfig(o))) });
  return files;
}
