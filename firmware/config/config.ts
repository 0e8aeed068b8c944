/**
 * The typed configuration of boot step 7, one shape for every source form: SEP<MAC>.cnf.xml
 * (kind 'sep'), XMLDefault.cnf.xml ('default'), SIP<MAC>.cnf / SIPDefault.cnf ('cnf').
 * Field names follow the XML elements (reference cisco_protocols.md 5.1-5.3).
 *
 * The rules a Config obeys (validateConfig here; the same rules as a zod schema in
 * tools/config/schema.ts, and a test proves both accept and refuse the same values):
 * - caps: MAX_MEMBERS members, MAX_LINES SIP lines, MAX_NTP NTP servers, MAX_VENDOR vendor
 *   pairs, MAX_MODELS per-model loads; text MAX_STR characters (vendor values MAX_VALUE);
 * - text has no control characters, no lone surrogates, no space at either end (the parser
 *   trims, so a written file reads back the same);
 * - hosts are 1..128 of [A-Za-z0-9._:-]; loads 0..64 of [A-Za-z0-9._-] (a load names a
 *   file, so never a '/'); vendor keys are XML names of [A-Za-z0-9._-], unique;
 * - members sorted by priority (0..255, lower first); ports 1..65535; security 1..3;
 *   transport 1..4; device types 0..999999, unique; sip is null exactly when protocol is SCCP.
 */
import { ok, fail } from '../../lib/result';
import type { Result } from '../../lib/result';

export const MAX_MEMBERS = 5;
export const MAX_LINES = 8;
export const MAX_NTP = 4;
export const MAX_VENDOR = 64;
/** Only reached when the parser keeps every model (host tools); the phone keeps its own. */
export const MAX_MODELS = 256;
export const MAX_STR = 128;
export const MAX_VALUE = 256;
export const MAX_LOAD = 64;
export const MAX_KEY = 64;

export type Protocol = 'SCCP' | 'SIP';
export type ConfigKind = 'sep' | 'default' | 'cnf';

/** A CallManager group member (devicePool/callManagerGroup/members/member). */
export interface Member {
  priority: number;
  name: string;
  /** processNodeName: an address or a host name. */
  host: string;
  ethernetPhonePort: number;
  sipPort: number;
  securedSipPort: number;
  mgcpListen: number;
  mgcpKeepAlive: number;
}

/** XMLDefault's loadInformation<type> model="...": the load for one device type. */
export interface ModelLoad { type: number; model: string; load: string }

/** A sipLines/line with featureID 9 (a line, not a speed dial), or legacy lineN_*. */
export interface SipLine {
  button: number;
  name: string;
  label: string;
  displayName: string;
  authName: string;
  password: string;
  /** '' or USECALLMANAGER: register with the CallManager group (see sipTargets). */
  proxy: string;
  port: number;
}

export interface SipProxy { host: string; port: number }

export interface SipConfig {
  register: boolean;
  lines: SipLine[];
  backup: SipProxy | null;
  outbound: SipProxy | null;
}

export interface Config {
  kind: ConfigKind;
  protocol: Protocol;
  /** deviceSecurityMode: 1 none, 2 authenticated, 3 encrypted. */
  security: number;
  /** transportLayerProtocol: 1 TCP, 2 UDP, 3 TLS, 4 (seen in CUCM files). */
  transport: number;
  members: Member[];
  /** loadInformation ('' when none). */
  load: string;
  loads: ModelLoad[];
  dateTemplate: string;
  timeZone: string;
  ntp: string[];
  versionStamp: string;
  sip: SipConfig | null;
  /** vendorConfig (legacy: the keys not read above), in file order; the last one wins. */
  vendor: [string, string][];
  /** Vendor pairs not kept: over MAX_VENDOR, unreadable or too long. */
  dropped: number;
}

export function emptyConfig(kind: ConfigKind): Config {
  return {
    kind: kind, protocol: kind === 'cnf' ? 'SIP' : 'SCCP', security: 1, transport: 2, members: [], load: '',
    loads: [], dateTemplate: '', timeZone: '', ntp: [], versionStamp: '',
    sip: kind === 'cnf' ? emptySip() : null, vendor: [], dropped: 0,
  };
}

export function emptySip(): SipConfig {
  return { register: true, lines: [], backup: null, outbound: null };
}

export function newMember(priority: number): Member {
  return { priority: priority, name: '', host: '', ethernetPhonePort: 2000, sipPort: 5060, securedSipPort: 5061, mgcpListen: 2427, mgcpKeepAlive: 2428 };
}

export function newLine(button: number): SipLine {
  return { button: button, name: '', label: '', displayName: '', authName: '', password: '', proxy: '', port: 5060 };
}

// --- the rules, shared by the parsers (per field, with a position) and validateConfig ---

export function isInt(v: unknown, lo: number, hi: number): boolean {
  return typeof v === 'number' && Math.floor(v) === v && v >= lo && v <= hi;
}

/** Text: at most `max` UTF-16 units, no control characters or lone surrogates, trimmed. */
export function isStr(v: unknown, max: number): boolean {
  if (typeof v !== 'string' || v.length > max) return false;
  const n = v.length;
  if (n > 0 && (v.charCodeAt(0) === 32 || v.charCodeAt(n - 1) === 32)) return false;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 32 || c === 127) return false;
    if (c >= 0xd800 && c < 0xe000) {
      const d = i + 1 < n ? v.charCodeAt(i + 1) : 0;
      if (c >= 0xdc00 || d < 0xdc00 || d >= 0xe000) return false;
      i++;
    }
  }
  return true;
}

/** `min..max` characters of [A-Za-z0-9._-] (and ':' when `colon`). */
export function isWord(v: unknown, min: number, max: number, colon: boolean): boolean {
  if (typeof v !== 'string' || v.length < min || v.length > max) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    const l = c | 32;
    if (!((c >= 48 && c <= 57) || (l >= 97 && l <= 122) || c === 46 || c === 95 || c === 45 || (colon && c === 58))) return false;
  }
  return true;
}

export function isHost(v: unknown): boolean {
  return isWord(v, 1, MAX_STR, true);
}
export function isLoad(v: unknown): boolean {
  return isWord(v, 0, MAX_LOAD, false);
}
export function isKey(v: unknown): boolean {
  if (!isWord(v, 1, MAX_KEY, false)) return false;
  const c = (v as string).charCodeAt(0);
  return c === 95 || ((c | 32) >= 97 && (c | 32) <= 122);
}
export function isPort(v: unknown): boolean {
  return isInt(v, 1, 65535);
}

/**
 * The shape of a Config, read by validateConfig and by the stored form's codec (store.ts,
 * which writes the fields in this order). A type is a code or a composite:
 *   S text <= MAX_STR   V text <= MAX_VALUE   H host   h '' or host   L load   K vendor key
 *   B boolean   k kind   p protocol   INT_CODES: integers (ranges in INT_LO / INT_HI)
 *   ['{', name, type, ...] object   ['*', max, type] array   ['(', type, ...] tuple   ['?', type] or null
 */
export type Desc = string | DescList;
export interface DescList extends Array<string | number | Desc> {}

export const KINDS: ConfigKind[] = ['sep', 'default', 'cnf'];
export const PROTOCOLS: Protocol[] = ['SCCP', 'SIP'];
/** 3: 1..3, 4: 1..4, w: u16, u: u8, N: device type, c: 1..255, P: port. */
export const INT_CODES = '34wuNcP';
export const INT_LO = [1, 1, 0, 0, 0, 1, 1];
export const INT_HI = [3, 4, 65535, 255, 999999, 255, 65535];

const PROXY: Desc = ['{', 'host', 'H', 'port', 'P'];
export const CONFIG_DESC: Desc = ['{', 'kind', 'k', 'protocol', 'p', 'security', '3', 'transport', '4', 'load', 'L',
  'dateTemplate', 'S', 'timeZone', 'S', 'versionStamp', 'S', 'dropped', 'w', 'ntp', ['*', MAX_NTP, 'H'],
  'members', ['*', MAX_MEMBERS, ['{', 'priority', 'u', 'name', 'S', 'host', 'H', 'ethernetPhonePort', 'P', 'sipPort', 'P',
    'securedSipPort', 'P', 'mgcpListen', 'P', 'mgcpKeepAlive', 'P']],
  'loads', ['*', MAX_MODELS, ['{', 'type', 'N', 'model', 'S', 'load', 'L']],
  'vendor', ['*', MAX_VENDOR, ['(', 'K', 'V']],
  'sip', ['?', ['{', 'register', 'B', 'backup', ['?', PROXY], 'outbound', ['?', PROXY],
    'lines', ['*', MAX_LINES, ['{', 'button', 'c', 'name', 'S', 'label', 'S', 'displayName', 'S', 'authName', 'S',
      'password', 'S', 'proxy', 'h', 'port', 'P']]]],
];

/** Whether `v` has the shape `t` (every rule but the cross-field ones). */
export function fits(t: Desc, v: unknown): boolean {
  if (typeof t === 'string') {
    const i = INT_CODES.indexOf(t);
    if (i >= 0) return isInt(v, INT_LO[i], INT_HI[i]);
    switch (t) {
      case 'S': return isStr(v, MAX_STR);
      case 'V': return isStr(v, MAX_VALUE);
      case 'H': return isHost(v);
      case 'h': return v === '' || isHost(v);
      case 'L': return isLoad(v);
      case 'K': return isKey(v);
      case 'B': return typeof v === 'boolean';
      case 'k': return KINDS.indexOf(v as ConfigKind) >= 0;
    }
    return PROTOCOLS.indexOf(v as Protocol) >= 0;
  }
  const k = t[0];
  if (k === '?' && v === null) return true;
  if (k === '?') return fits(t[1] as Desc, v);
  if (typeof v !== 'object' || v === null || (k === '{') === Array.isArray(v)) return false;
  const o = v as { [x: string]: unknown };
  const a = v as unknown[];
  if (k === '*' && a.length > (t[1] as number)) return false;
  if (k === '(' && a.length !== t.length - 1) return false;
  const n = k === '{' ? t.length : k === '*' ? a.length : t.length - 1;
  for (let i = k === '{' ? 1 : 0; i < n; i += k === '{' ? 2 : 1) {
    if (!fits((k === '{' ? t[i + 1] : k === '*' ? t[2] : t[i + 1]) as Desc, k === '{' ? o[t[i] as string] : a[i])) return false;
  }
  return true;
}

/** The target's check of a whole Config (a parse result, a decoded stored copy). */
export function validateConfig(c: Config): Result<Config> {
  let good = fits(CONFIG_DESC, c) && (c.sip === null) === (c.protocol === 'SCCP');
  for (let i = 1; good && i < c.members.length; i++) good = c.members[i].priority >= c.members[i - 1].priority;
  for (let i = 0; good && i < c.loads.length; i++) for (let j = 0; j < i; j++) if (c.loads[j].type === c.loads[i].type) good = false;
  for (let i = 0; good && i < c.vendor.length; i++) for (let j = 0; j < i; j++) if (c.vendor[j][0] === c.vendor[i][0]) good = false;
  return good ? ok(c) : fail('malformed', 'config breaks a rule');
}

// --- what the next boot steps read ---

/** The load for `deviceType`: its loadInformation<type> entry when set, else loadInformation. */
export function loadFor(c: Config, deviceType: number): string {
  for (let i = 0; i < c.loads.length; i++) if (c.loads[i].type === deviceType && c.loads[i].load !== '') return c.loads[i].load;
  return c.load;
}

export function vendorValue(c: Config, key: string): string | null {
  for (let i = 0; i < c.vendor.length; i++) if (c.vendor[i][0] === key) return c.vendor[i][1];
  return null;
}

/** The SCCP port of member `m`: ethernetPhonePort over TCP; over TLS (security 2 or 3) the
 *  CUCM convention ethernetPhonePort + 443 (2000 -> 2443), which the file does not carry. */
export function sccpPort(c: Config, m: Member): number {
  return m.ethernetPhonePort + (c.security >= 2 ? 443 : 0);
}

/**
 * Where SIP line `li` registers, in failover order: its proxy, or the CallManager members
 * (sipPort; securedSipPort over TLS: `tls`, by default transportLayerProtocol 3) when the proxy is '' / USECALLMANAGER / USE_DEFAULT;
 * then the backup proxy.
 */
export function sipTargets(c: Config, li: number, tls?: boolean): SipProxy[] {
  const secured = tls !== undefined ? tls : c.transport === 3;
  const out: SipProxy[] = [];
  const s = c.sip;
  if (s === null || li >= s.lines.length) return out;
  const l = s.lines[li];
  if (l.proxy === '' || l.proxy === 'USECALLMANAGER' || l.proxy === 'USE_DEFAULT') {
    for (let i = 0; i < c.members.length; i++) {
      const m = c.members[i];
      out.push({ host: m.host, port: secured ? m.securedSipPort : m.sipPort });
    }
  } else {
    out.push({ host: l.proxy, port: l.port });
  }
  if (s.backup !== null) out.push(s.backup);
  return out;
}
