/**
 * The address configuration the phone runs with, whether DHCP gave it or the preferences
 * did (static mode): one typed value, the "bound" shape both paths hand to the boot
 * sequence, and the record the preferences store keeps as "last lease" for INIT-REBOOT.
 *
 * On-flash encoding (`encodeLease` / `decodeLease`), all integers big-endian:
 *   0  u8   LEASE_FORMAT (1)
 *   1  u8   source: 1 dhcp, 2 static
 *   2  u32  address        6 u32 mask       10 u32 gateway (0 none)
 *  14  u32  serverId (0 none, static)      18 u32 nextServer (siaddr, 0 none)
 *  22  u32  leaseSecs (0xffffffff infinite)   26 u32 t1Secs   30 u32 t2Secs
 *  34  u8 n + n*u32 routers      then u8 n + n*u32 dnsServers
 *      then u8 n + n*u32 ntpServers    then u8 n + n*u32 tftpServers (option 150)
 *      then u8 len + bytes domain      then u8 len + bytes tftpServerName (option 66)
 * Lists are capped at MAX_LIST entries and strings at 255 bytes; decode never throws.
 * `acquiredAtMs` is a boot-relative clock reading and is not stored.
 */
import { ok, fail, Result } from '../../lib/result';
import { asciiBytes, bytesToAscii, ipToString, readU32, writeU32 } from '../../lib/bytes';

export const LEASE_FORMAT = 1;
export const INFINITE_LEASE = 0xffffffff;
export const MAX_LIST = 8;

export type LeaseSource = 'dhcp' | 'static';

export interface Lease {
  source: LeaseSource;
  /** Our address, mask and default gateway (first router; 0 = none). Host-order numbers. */
  address: number;
  mask: number;
  gateway: number;
  routers: number[];
  dnsServers: number[];
  /** Option 15 ('' = none). */
  domain: string;
  ntpServers: number[];
  /** Option 150 in preference order. */
  tftpServers: number[];
  /** Option 66, NUL stripped: a dotted quad or a DNS name ('' = none). */
  tftpServerName: string;
  /** Option 54 (0 for static). */
  serverId: number;
  /** BOOTP siaddr ("next server", 0 = none). */
  nextServer: number;
  /** Seconds; INFINITE_LEASE for static and infinite leases. */
  leaseSecs: number;
  t1Secs: number;
  t2Secs: number;
  /** hal clock (ms since power-on) when the ACK arrived; not stored. */
  acquiredAtMs: number;
}

/** "10.0.0.50/24 gw 10.0.0.254 via dhcp from 10.0.0.1, 86400 s" (for logs and the display). */
export function describeLease(l: Lease): string {
  let bits = 0;
  for (let m = l.mask >>> 0; (m & 0x80000000) !== 0; m = (m << 1) >>> 0) bits++;
  let s = ipToString(l.address) + '/' + bits;
  if (l.gateway !== 0) s += ' gw ' + ipToString(l.gateway);
  s += ' via ' + l.source;
  if (l.serverId !== 0) s += ' from ' + ipToString(l.serverId);
  s += l.leaseSecs === INFINITE_LEASE ? ', infinite' : ', ' + l.leaseSecs + ' s';
  return s;
}

function listLen(list: number[]): number {
  return 1 + 4 * (list.length < MAX_LIST ? list.length : MAX_LIST);
}

function strLen(s: string): number {
  return 1 + (s.length < 255 ? s.length : 255);
}

export function leaseBufferLen(l: Lease): number {
  return 34 + listLen(l.routers) + listLen(l.dnsServers) + listLen(l.ntpServers) + listLen(l.tftpServers)
    + strLen(l.domain) + strLen(l.tftpServerName);
}



function putList(b: Uint8Array, at: number, list: number[]): number {
  const n = list.length < MAX_LIST ? list.length : MAX_LIST;
  b[at] = n;
  for (let i = 0; i < n; i++) writeU32(b, at + 1 + 4 * i, list[i]);
  return at + 1 + 4 * n;
}

function putStr(b: Uint8Array, at: number, s: string): number {
  const bytes = asciiBytes(s.length > 255 ? s.substring(0, 255) : s);
  b[at] = bytes.length;
  b.set(bytes, at + 1);
  return at + 1 + bytes.length;
}

export function encodeLease(l: Lease): Uint8Array {
  const b = new Uint8Array(leaseBufferLen(l));
  b[0] = LEASE_FORMAT;
  b[1] = l.source === 'static' ? 2 : 1;
  writeU32(b, 2, l.address);
  writeU32(b, 6, l.mask);
  writeU32(b, 10, l.gateway);
  writeU32(b, 14, l.serverId);
  writeU32(b, 18, l.nextServer);
  writeU32(b, 22, l.leaseSecs);
  writeU32(b, 26, l.t1Secs);
  writeU32(b, 30, l.t2Secs);
  let at = putList(b, 34, l.routers);
  at = putList(b, at, l.dnsServers);
  at = putList(b, at, l.ntpServers);
  at = putList(b, at, l.tftpServers);
  at = putStr(b, at, l.domain);
  putStr(b, at, l.tftpServerName);
  return b;
}

/** Read position for decodeLease. */
interface Cursor { at: number }

function getList(b: Uint8Array, c: Cursor): number[] | null {
  if (c.at >= b.length) return null;
  const n = b[c.at];
  if (n > MAX_LIST || c.at + 1 + 4 * n > b.length) return null;
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(readU32(b, c.at + 1 + 4 * i));
  c.at += 1 + 4 * n;
  return out;
}

function getStr(b: Uint8Array, c: Cursor): string | null {
  if (c.at >= b.length) return null;
  const n = b[c.at];
  if (c.at + 1 + n > b.length) return null;
  const s = bytesToAscii(b, c.at + 1, c.at + 1 + n);
  c.at += 1 + n;
  return s;
}

export function decodeLease(b: Uint8Array): Result<Lease> {
  if (b.length < 34) return fail('truncated', 'lease record needs 34 bytes, got ' + b.length);
  if (b[0] !== LEASE_FORMAT) return fail('unsupported', 'lease format ' + b[0]);
  if (b[1] !== 1 && b[1] !== 2) return fail('malformed', 'lease source ' + b[1]);
  const c: Cursor = { at: 34 };
  const routers = getList(b, c);
  const dns = getList(b, c);
  const ntp = getList(b, c);
  const tftp = getList(b, c);
  const domain = getStr(b, c);
  const name = getStr(b, c);
  if (routers === null || dns === null || ntp === null || tftp === null || domain === null || name === null) {
    return fail('truncated', 'lease record lists run past its end');
  }
  if (c.at !== b.length) return fail('malformed', 'lease record has ' + (b.length - c.at) + ' trailing bytes');
  const lease: Lease = {
    source: b[1] === 2 ? 'static' : 'dhcp',
    address: readU32(b, 2), mask: readU32(b, 6), gateway: readU32(b, 10),
    serverId: readU32(b, 14), nextServer: readU32(b, 18),
    leaseSecs: readU32(b, 22), t1Secs: readU32(b, 26), t2Secs: readU32(b, 30),
    routers: routers, dnsServers: dns, ntpServers: ntp, tftpServers: tftp,
    domain: domain, tftpServerName: name, acquiredAtMs: 0,
  };
  if (lease.address === 0) return fail('malformed', 'lease address 0.0.0.0');
  return ok(lease);
}
