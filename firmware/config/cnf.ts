/**
 * The legacy text form of the 79xx SIP images, SIPDefault.cnf and SIP<MAC>.cnf
 * (reference cisco_protocols.md 5.3), streaming, into the same Config:
 *
 *   # comment
 *   key: value ; comment        key: "quoted ; value"        key:value;
 *
 * Keys read: image_version (load), proxy_register, time_zone, date_format, sntp_server,
 * proxy_backup[_port], outbound_proxy[_port], lineN_name/_shortname (label)/_displayname/
 * _authname/_password, proxyN_address/_port (line N's proxy), N in 1..MAX_LINES; every other
 * key is a vendor pair (capped as in config.ts). SIP<MAC>.cnf amends SIPDefault.cnf: parse
 * it with `base` = the SIPDefault result. An empty value leaves a typed field as it was and
 * does not create a line (sntp_server "" clears the NTP server; an empty vendor value is
 * kept). Memory: one line of at most MAX_LINE characters, and the fields kept.
 */
import type { Result } from '../../lib/result';
import type { ErrorCode } from '../../lib/result';
import { Config, SipLine, SipProxy, emptyConfig, newLine, isStr, isHost, isLoad, MAX_LINES, MAX_STR } from './config';
import { Utf8, chr, trim, posFail } from './xml';
import type { PosFail } from './xml';
import { num, setVendor, finishConfig } from './parse';
import type { ConfigOptions, ConfigParser } from './parse';

export const MAX_LINE = 512;

const LINE_KEYS = ['name', 'name', 'shortname', 'label', 'displayname', 'displayName', 'authname', 'authName', 'password', 'password', 'address', 'proxy'];

/** Keys read into typed fields (an empty value leaves the field as it was). */
const READ = ' image_version proxy_register time_zone date_format ';

function copyProxy(p: SipProxy | null): SipProxy {
  return p === null ? { host: '', port: 5060 } : { host: p.host, port: p.port };
}

export function cnfReader(opts: ConfigOptions): ConfigParser {
  const u = new Utf8();
  const b = opts.base;
  const c = b ? JSON.parse(JSON.stringify(b)) as Config : emptyConfig('cnf');
  c.kind = 'cnf';
  c.protocol = 'SIP';
  const s0 = c.sip;
  const bk = copyProxy(s0 ? s0.backup : null);
  const ob = copyProxy(s0 ? s0.outbound : null);
  const lines: (SipLine | null)[] = [];
  for (let i = 0; i < MAX_LINES; i++) lines.push(null);
  if (s0) for (let i = 0; i < s0.lines.length; i++) if (s0.lines[i].button <= MAX_LINES) lines[s0.lines[i].button - 1] = s0.lines[i];
  let err: PosFail | null = null;
  let ln = '';

  function bad(code: ErrorCode, msg: string, col: number): void {
    if (err === null) err = posFail(code, msg, u.line, col);
  }

  /** Apply one pair: null, or the error code. */
  function apply(k: string, v: string): ErrorCode | null {
    const s = c.sip as { register: boolean };
    const j = k.indexOf('_');
    const pre = k.substring(0, j);
    const f = k.substring(j + 1);
    const isLine = pre.indexOf('line') === 0;
    const li = j > 0 && (isLine || pre.indexOf('proxy') === 0) ? num(pre.substring(isLine ? 4 : 5), 1, 99) : -1;
    let fi = -1;
    for (let i = isLine ? 0 : 10; i < (isLine ? 10 : 12); i += 2) if (LINE_KEYS[i] === f) fi = i;
    if (li > 0 && (fi >= 0 || f === 'port')) {
      if (li > MAX_LINES) return 'too-large';
      let l = lines[li - 1];
      if (v === '') return null;
      if (l === null) { l = newLine(li); lines[li - 1] = l; }
      if (f === 'port') { l.port = num(v, 1, 65535); return l.port > 0 ? null : 'malformed'; }
      (l as unknown as { [x: string]: string })[LINE_KEYS[fi + 1]] = v;
      return (f === 'address' ? isHost(v) : isStr(v, MAX_STR)) ? null : 'malformed';
    }
    const x = k.indexOf('proxy_backup') === 0 ? bk : k.indexOf('outbound_proxy') === 0 ? ob : null;
    let good = true;
    if (v === '' && (x !== null || READ.indexOf(' ' + k + ' ') >= 0)) return null;
    if (x !== null && (k === 'proxy_backup' || k === 'outbound_proxy')) { x.host = v; good = isHost(v); }
    else if (x !== null && (k === 'proxy_backup_port' || k === 'outbound_proxy_port')) { x.port = num(v, 1, 65535); good = x.port > 0; }
    else if (k === 'image_version') { c.load = v; good = isLoad(v); }
    else if (k === 'proxy_register') { s.register = v === '1'; good = v === '1' || v === '0'; }
    else if (k === 'time_zone') { c.timeZone = v; good = isStr(v, MAX_STR); }
    else if (k === 'date_format') { c.dateTemplate = v; good = isStr(v, MAX_STR); }
    else if (k === 'sntp_server') { c.ntp = v === '' ? [] : [v]; good = v === '' || isHost(v); }
    else setVendor(c, k, v);
    return good ? null : 'malformed';
  }

  function line(): void {
    const s = ln;
    ln = '';
    const n = s.length;
    let i = 0;
    while (i < n && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
    if (i === n || s.charAt(i) === '#' || s.charAt(i) === ';') return;
    const k0 = i;
    for (; i < n; i++) {
      const ch = s.charCodeAt(i);
      const l = ch | 32;
      if (!((ch >= 48 && ch <= 57) || (l >= 97 && l <= 122) || ch === 95)) break;
    }
    const key = s.substring(k0, i);
    while (i < n && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
    if (key === '' || s.charAt(i) !== ':') return bad('malformed', 'expected key: value', i + 1);
    i++;
    while (i < n && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
    const v0 = i + 1;
    let v: string;
    if (s.charAt(i) === '"') {
      const e = s.indexOf('"', i + 1);
      if (e < 0) return bad('malformed', 'unclosed quote', v0);
      v = s.substring(i + 1, e);
      const rest = trim(s.substring(e + 1));
      if (rest !== '' && rest.charAt(0) !== ';') return bad('malformed', 'text after value', s.indexOf(rest, e + 1) + 1);
    } else {
      const e = s.indexOf(';', i);
      v = trim(s.substring(i, e < 0 ? n : e));
    }
    const f = apply(key, v);
    if (f !== null) bad(f, f === 'too-large' ? 'over ' + MAX_LINES + ' lines' : 'bad ' + key, v0);
  }

  return {
    u: u,
    feed: function (bytes: Uint8Array): PosFail | null {
      for (let i = 0; i < bytes.length && err === null; i++) {
        const ch = u.step(bytes[i]);
        if (ch === -2) { u.col++; bad('malformed', 'bad UTF-8', u.col); }
        else if (ch === 10) line();
        else if (ch >= 0) {
          if (ln.length >= MAX_LINE) bad('too-large', 'long line', u.col);
          else if (ch !== 13 && (ch !== 0xfeff || u.line > 1 || u.col > 1)) ln += chr(ch);
        }
        if (ch >= 0) u.after(ch);
      }
      return err;
    },
    end: function (): PosFail | null {
      if (err === null) u.col++;
      if (u.need > 0) bad('truncated', 'bad UTF-8', u.col);
      else line();
      return err;
    },
    finish: function (): Result<Config> {
      const s = c.sip as { lines: SipLine[] };
      s.lines = [];
      for (let i = 0; i < MAX_LINES; i++) if (lines[i] !== null) s.lines.push(lines[i] as SipLine);
      return finishConfig(c, bk, ob);
    },
  };
}
