/**
 * Network settings of the phone, as the preferences store keeps them (the settings menu's
 * "Network Configuration" on a Cisco phone): DHCP or static, the static address, mask,
 * gateway, DNS and domain, the TFTP servers and the "Alternate TFTP" switch, an admin VLAN
 * override, and the last DHCP lease for INIT-REBOOT.
 *
 * The preferences store (flash/) backs this value; this module owns its shape, defaults,
 * validation, byte encoding, the static path (`staticLease`: the same Lease shape the DHCP
 * client produces, so the boot sequence handles both alike) and the TFTP server order of
 * boot step 5 (`tftpCandidates`).
 *
 * Validation is fail-closed: `validateNetworkSettings` returns the typed error of the
 * first bad field, and the boot sequence falls back to DHCP with defaults (logged) rather
 * than run with a half-valid static configuration.
 *
 * Encoding (`encodeNetworkSettings`), big-endian:
 *   0 u8 NETCONFIG_FORMAT (1)   1 u8 mode (1 dhcp, 2 static)   2 u8 flags (bit0 alternateTftp)
 *   3 u16 adminVlan (0 = none)  5 u32 address  9 u32 mask  13 u32 gateway
 *  17 u8 n + n*u32 dns   then u8 len + domain   then u8 n + n*u32 tftpServers
 *   then u8 0 (no last lease) | u8 1 + u16 len + encodeLease bytes
 */
import { ok, fail, Result } from '../lib/result';
import { asciiBytes, bytesToAscii, ipToString, parseIp, readU32, writeU32 } from '../lib/bytes';
import { Lease, INFINITE_LEASE, encodeLease, decodeLease } from './dhcp/lease';

export const NETCONFIG_FORMAT = 1;
export const MAX_DNS = 3;
export const MAX_TFTP = 2;
export const MAX_DOMAIN = 253;

export type AddressMode = 'dhcp' | 'static';

export interface NetworkSettings {
  mode: AddressMode;
  /** Static mode only: address, mask, default gateway (0 = none). */
  address: number;
  mask: number;
  gateway: number;
  /** Static DNS servers and domain (used in static mode; DHCP gives its own). */
  dnsServers: number[];
  domain: string;
  /**
   * "TFTP Server 1" and "TFTP Server 2". In static mode they are the TFTP servers; with
   * DHCP they are used after options 150 and 66, or first when `alternateTftp` is on.
   */
  tftpServers: number[];
  /** Cisco "Alternate TFTP": the configured servers win over DHCP's. */
  alternateTftp: boolean;
  /** "Admin. VLAN Id" (1..4094): overrides CDP/LLDP; 0 = none. */
  adminVlan: number;
  /** The last DHCP lease, for INIT-REBOOT; null = none. */
  lastLease: Lease | null;
}

export function defaultNetworkSettings(): NetworkSettings {
  return {
    mode: 'dhcp', address: 0, mask: 0, gateway: 0, dnsServers: [], domain: '',
    tftpServers: [], alternateTftp: false, adminVlan: 0, lastLease: null,
  };
}

/** True for 255.255.255.0-style masks (contiguous ones, /1../32). */
export function isContiguousMask(mask: number): boolean {
  const m = mask >>> 0;
  if (m === 0) return false;
  const inv = (~m) >>> 0;
  return ((inv + 1) & inv) === 0;
}

function usableHost(ip: number): boolean {
  const top = ip >>> 24;
  return ip !== 0 && top !== 0 && top !== 127 && top < 224;
}

/** Check every field; the first problem is the error. */
export function validateNetworkSettings(s: NetworkSettings): Result<NetworkSettings> {
  if (s.mode !== 'dhcp' && s.mode !== 'static') return fail('malformed', 'mode must be dhcp or static');
  if (s.adminVlan !== 0 && (s.adminVlan < 1 || s.adminVlan > 4094 || Math.floor(s.adminVlan) !== s.adminVlan)) {
    return fail('malformed', 'admin VLAN ' + s.adminVlan + ' not in 1..4094');
  }
  if (s.dnsServers.length > MAX_DNS) return fail('too-large', 'at most ' + MAX_DNS + ' DNS servers');
  if (s.tftpServers.length > MAX_TFTP) return fail('too-large', 'at most ' + MAX_TFTP + ' TFTP servers');
  if (s.domain.length > MAX_DOMAIN) return fail('too-large', 'domain over ' + MAX_DOMAIN + ' characters');
  for (let i = 0; i < s.dnsServers.length; i++) {
    if (!usableHost(s.dnsServers[i])) return fail('malformed', 'DNS server ' + ipToString(s.dnsServers[i]));
  }
  for (let i = 0; i < s.tftpServers.length; i++) {
    if (!usableHost(s.tftpServers[i])) return fail('malformed', 'TFTP server ' + ipToString(s.tftpServers[i]));
  }
  if (s.alternateTftp && s.tftpServers.length === 0) return fail('malformed', 'alternate TFTP on but no TFTP server set');
  if (s.mode === 'static') {
    if (!isContiguousMask(s.mask) || s.mask === 0xffffffff) return fail('malformed', 'subnet mask ' + ipToString(s.mask));
    if (!usableHost(s.address)) return fail('malformed', 'address ' + ipToString(s.address));
    const host = (s.address & ~s.mask) >>> 0;
    const hostMax = (~s.mask) >>> 0;
    if (s.mask !== 0xfffffffe && (host === 0 || host === hostMax)) {
      return fail('malformed', 'address ' + ipToString(s.address) + ' is the network or broadcast address');
    }
    if (s.gateway !== 0) {
      if (((s.gateway & s.mask) >>> 0) !== ((s.address & s.mask) >>> 0) || s.gateway === s.address) {
        return fail('malformed', 'gateway ' + ipToString(s.gateway) + ' not on ' + ipToString(s.address) + ' subnet');
      }
    }
    if (s.tftpServers.length === 0) return fail('malformed', 'static mode needs a TFTP server');
  }
  if (s.lastLease !== null && s.lastLease.address === 0) return fail('malformed', 'last lease without an address');
  return ok(s);
}

/**
 * The static path of boot step 4: the Lease that static settings describe (source
 * 'static', infinite, no server), so the boot sequence treats it like a DHCP "bound".
 * No DHCP packet is ever sent in this mode.
 */
export function staticLease(s: NetworkSettings, now: number): Result<Lease> {
  if (s.mode !== 'static') return fail('refused', 'settings are not in static mode');
  const v = validateNetworkSettings(s);
  if (!v.ok) return v;
  return ok({
    source: 'static',
    address: s.address, mask: s.mask, gateway: s.gateway,
    routers: s.gateway !== 0 ? [s.gateway] : [],
    dnsServers: s.dnsServers.slice(0), domain: s.domain, ntpServers: [],
    tftpServers: s.tftpServers.slice(0), tftpServerName: '',
    serverId: 0, nextServer: 0,
    leaseSecs: INFINITE_LEASE, t1Secs: INFINITE_LEASE, t2Secs: INFINITE_LEASE,
    acquiredAtMs: now,
  });
}

/** Where a TFTP server address came from, for logs and the display. */
export type TftpSource = 'option150' | 'option66' | 'static' | 'alternate' | 'siaddr';

/** One TFTP server to try: an address, or a name to resolve first (option 66 as a name). */
export interface TftpCandidate {
  ip: number;
  name: string;
  source: TftpSource;
}

const MAX_CANDIDATES = 8;

/**
 * The TFTP servers to try, in order (boot step 5): with "Alternate TFTP" the configured
 * servers first; then option 150's list; then option 66 (a dotted quad is used as an
 * address, else it is a name to resolve); then the configured servers; then siaddr.
 * Duplicates dropped; at most 8.
 */
export function tftpCandidates(lease: Lease, s: NetworkSettings): TftpCandidate[] {
  const out: TftpCandidate[] = [];
  const add = function (ip: number, name: string, source: TftpSource): void {
    if (out.length >= MAX_CANDIDATES) return;
    for (let i = 0; i < out.length; i++) {
      if ((ip !== 0 && out[i].ip === ip) || (name !== '' && out[i].name === name)) return;
    }
    out.push({ ip: ip, name: name, source: source });
  };
  if (lease.source === 'static') {
    for (let i = 0; i < lease.tftpServers.length; i++) add(lease.tftpServers[i], '', 'static');
    return out;
  }
  if (s.alternateTftp) for (let i = 0; i < s.tftpServers.length; i++) add(s.tftpServers[i], '', 'alternate');
  for (let i = 0; i < lease.tftpServers.length; i++) add(lease.tftpServers[i], '', 'option150');
  if (lease.tftpServerName !== '') {
    const ip = parseIp(lease.tftpServerName);
    if (ip !== null && ip !== 0) add(ip, '', 'option66');
    else add(0, lease.tftpServerName, 'option66');
  }
  for (let i = 0; i < s.tftpServers.length; i++) add(s.tftpServers[i], '', 'static');
  if (lease.nextServer !== 0) add(lease.nextServer, '', 'siaddr');
  return out;
}

// ---- encoding ---------------------------------------------------------------------------



export function encodeNetworkSettings(s: NetworkSettings): Uint8Array {
  const dns = s.dnsServers.length < MAX_DNS ? s.dnsServers.length : MAX_DNS;
  const tftp = s.tftpServers.length < MAX_TFTP ? s.tftpServers.length : MAX_TFTP;
  const domain = asciiBytes(s.domain.length > MAX_DOMAIN ? s.domain.substring(0, MAX_DOMAIN) : s.domain);
  const lease = s.lastLease !== null ? encodeLease(s.lastLease) : null;
  const n = 17 + 1 + 4 * dns + 1 + domain.length + 1 + 4 * tftp + 1 + (lease !== null ? 2 + lease.length : 0);
  const b = new Uint8Array(n);
  b[0] = NETCONFIG_FORMAT;
  b[1] = s.mode === 'static' ? 2 : 1;
  b[2] = s.alternateTftp ? 1 : 0;
  b[3] = (s.adminVlan >> 8) & 255;
  b[4] = s.adminVlan & 255;
  writeU32(b, 5, s.address);
  writeU32(b, 9, s.mask);
  writeU32(b, 13, s.gateway);
  let at = 17;
  b[at++] = dns;
  for (let i = 0; i < dns; i++) { writeU32(b, at, s.dnsServers[i]); at += 4; }
  b[at++] = domain.length;
  b.set(domain, at);
  at += domain.length;
  b[at++] = tftp;
  for (let i = 0; i < tftp; i++) { writeU32(b, at, s.tftpServers[i]); at += 4; }
  if (lease === null) {
    b[at] = 0;
  } else {
    b[at] = 1;
    b[at + 1] = (lease.length >> 8) & 255;
    b[at + 2] = lease.length & 255;
    b.set(lease, at + 3);
  }
  return b;
}

/** Decode and validate; never throws. */
export function decodeNetworkSettings(b: Uint8Array): Result<NetworkSettings> {
  if (b.length < 18) return fail('truncated', 'network settings need 18 bytes, got ' + b.length);
  if (b[0] !== NETCONFIG_FORMAT) return fail('unsupported', 'network settings format ' + b[0]);
  if (b[1] !== 1 && b[1] !== 2) return fail('malformed', 'mode byte ' + b[1]);
  const s = defaultNetworkSettings();
  s.mode = b[1] === 2 ? 'static' : 'dhcp';
  s.alternateTftp = (b[2] & 1) !== 0;
  s.adminVlan = (b[3] << 8) | b[4];
  s.address = readU32(b, 5);
  s.mask = readU32(b, 9);
  s.gateway = readU32(b, 13);
  let at = 17;
  const dns = b[at++];
  if (dns > MAX_DNS || at + 4 * dns + 1 > b.length) return fail('truncated', 'DNS list');
  for (let i = 0; i < dns; i++) { s.dnsServers.push(readU32(b, at)); at += 4; }
  const dl = b[at++];
  if (at + dl + 1 > b.length) return fail('truncated', 'domain');
  s.domain = bytesToAscii(b, at, at + dl);
  at += dl;
  const tftp = b[at++];
  if (tftp > MAX_TFTP || at + 4 * tftp + 1 > b.length) return fail('truncated', 'TFTP list');
  for (let i = 0; i < tftp; i++) { s.tftpServers.push(readU32(b, at)); at += 4; }
  const hasLease = b[at++];
  if (hasLease === 1) {
    if (at + 2 > b.length) return fail('truncated', 'lease length');
    const ll = (b[at] << 8) | b[at + 1];
    at += 2;
    if (at + ll !== b.length) return fail('truncated', 'lease record length ' + ll);
    const lr = decodeLease(b.subarray(at, at + ll));
    if (!lr.ok) return lr;
    s.lastLease = lr.value;
    at += ll;
  } else if (hasLease !== 0) {
    return fail('malformed', 'lease flag ' + hasLease);
  }
  if (at !== b.length) return fail('malformed', 'trailing bytes');
  return validateNetworkSettings(s);
}
