/**
 * SEP<MAC>.cnf.xml and XMLDefault.cnf.xml into a Config, from the events of the streaming
 * XML reader. Only the elements of config.ts are kept (memory: the caps there); the rest
 * of the tree is walked and forgotten. Paths read (reference cisco_protocols.md 5.1-5.2):
 *
 *   device | Default
 *     deviceProtocol deviceSecurityMode transportLayerProtocol loadInformation versionStamp
 *     loadInformation<type> model="..."        (kept for `model` only, when given)
 *     [devicePool/] callManagerGroup/members/member[priority]/callManager/
 *         name processNodeName ports/(ethernetPhonePort sipPort securedSipPort mgcpPorts/(listen keepAlive))
 *     devicePool/dateTimeSetting/(dateTemplate timeZone ntps/ntp/name)
 *     sipProfile/sipProxies/(backupProxy backupProxyPort outboundProxy outboundProxyPort registerWithProxy)
 *     sipProfile/sipLines/line[button]/(featureID featureLabel proxy port name displayName authName authPassword)
 *     vendorConfig/*                            (key/value pairs)
 *
 * Tolerance: an empty element keeps the default; unknown elements are skipped; a closing
 * tag that does not match is refused only on an element read here (a vendorConfig pair
 * with one is dropped and counted). A value that breaks a rule of config.ts is an error at
 * the '<' of its closing tag. Lines other than featureID 9 (speed dials, BLF) are skipped.
 */
import { fail } from '../../lib/result';
import type { Fail, Result } from '../../lib/result';
import {
  Config, SipConfig, SipProxy, Protocol, emptyConfig, emptySip, newMember, newLine, validateConfig,
  isStr, isHost, isLoad, isKey, MAX_MEMBERS, MAX_LINES, MAX_NTP, MAX_VENDOR, MAX_MODELS, MAX_STR, MAX_VALUE,
} from './config';
import { xmlReader, trim } from './xml';
import type { PosFail, Utf8 } from './xml';

/** What the sink drives: `feed` and `end` return null while the file is fine. */
export interface ConfigParser {
  readonly u: Utf8;
  feed(b: Uint8Array): PosFail | null;
  end(): PosFail | null;
  /** After a clean end: the Config, checked by validateConfig. */
  finish(): Result<Config>;
}

export interface ConfigOptions {
  /** The phone's device type: keep only its loadInformation<type> (all when absent). */
  model?: number;
  /** Legacy text: the config the file amends (SIPDefault.cnf before SIP<MAC>.cnf). */
  base?: Config | null;
}

/** A decimal in lo..hi, or -1. */
export function num(t: string, lo: number, hi: number): number {
  if (t.length === 0 || t.length > 6) return -1;
  let v = 0;
  for (let i = 0; i < t.length; i++) {
    const d = t.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v >= lo && v <= hi ? v : -1;
}

export function badValue(n: string): Fail {
  return fail('malformed', 'bad <' + n + '>');
}

/** Count a vendor pair not kept (the count saturates). */
export function drop(c: Config): void {
  if (c.dropped < 65535) c.dropped++;
}

/** Keep a vendor pair: the last value of a key wins; past MAX_VENDOR it is dropped. */
export function setVendor(c: Config, k: string, v: string): void {
  if (!isKey(k) || !isStr(v, MAX_VALUE)) { drop(c); return; }
  for (let i = 0; i < c.vendor.length; i++) if (c.vendor[i][0] === k) { c.vendor[i][1] = v; return; }
  if (c.vendor.length >= MAX_VENDOR) drop(c);
  else c.vendor.push([k, v]);
}

/** Fill sip.backup / sip.outbound from their drafts, drop sip when SCCP, check it all. */
export function finishConfig(c: Config, bk: SipProxy, ob: SipProxy): Result<Config> {
  if (c.protocol === 'SCCP') c.sip = null;
  else {
    if (c.sip === null) c.sip = emptySip();
    c.sip.backup = bk.host !== '' ? bk : null;
    c.sip.outbound = ob.host !== '' ? ob : null;
  }
  return validateConfig(c);
}

// Contexts: where an element sits in the tree.
const SKIP = 0, DEV = 1, POOL = 2, DTS = 3, NTPS = 4, NTP = 5, CMG = 6, MEMS = 7, MEM = 8, CM = 9, PORTS = 10,
  MGCP = 11, SIPP = 12, PROX = 13, LINES = 14, LINE = 15, VEND = 16, LEAF = 17, VLEAF = 18;

/** Containers: parent context, name, context. */
const KIDS: (number | string)[] = [
  DEV, 'devicePool', POOL, DEV, 'callManagerGroup', CMG, DEV, 'sipProfile', SIPP, DEV, 'vendorConfig', VEND,
  POOL, 'dateTimeSetting', DTS, POOL, 'callManagerGroup', CMG, DTS, 'ntps', NTPS, NTPS, 'ntp', NTP,
  CMG, 'members', MEMS, MEMS, 'member', MEM, MEM, 'callManager', CM, CM, 'ports', PORTS, PORTS, 'mgcpPorts', MGCP,
  SIPP, 'sipProxies', PROX, SIPP, 'sipLines', LINES, LINES, 'line', LINE,
];

/** The type of loadInformation<type>, or -1. */
function modelType(n: string): number {
  return n.length > 15 && n.indexOf('loadInformation') === 0 ? num(n.substring(15), 0, 999999) : -1;
}

/** The leaves read in each context. */
const LEAVES = [
  '', ' deviceProtocol deviceSecurityMode transportLayerProtocol loadInformation versionStamp ', '',
  ' dateTemplate timeZone ', '', ' name ', '', '', '', ' name processNodeName ',
  ' ethernetPhonePort sipPort securedSipPort ', ' listen keepAlive ', '',
  ' backupProxy backupProxyPort outboundProxy outboundProxyPort registerWithProxy ', '',
  ' featureID featureLabel proxy port name displayName authName authPassword ',
];

export function xmlConfig(opts: ConfigOptions): ConfigParser {
  const model = opts.model !== undefined ? opts.model : -1;
  const st: number[] = [];
  const bk: SipProxy = { host: '', port: 5060 };
  const ob: SipProxy = { host: '', port: 5060 };
  let c = emptyConfig('sep');
  let m = newMember(0);
  let l = newLine(1);
  let fid = 9;
  let ma = '';
  let vd = false;

  function leaf(p: number, n: string, t: string): Fail | null {
    const mt = p === DEV ? modelType(n) : -1;
    if (mt >= 0) {
      if (model >= 0 && mt !== model) return null;
      if (!isLoad(t) || !isStr(ma, MAX_STR)) return badValue(n);
      const e = { type: mt, model: ma, load: t };
      for (let i = 0; i < c.loads.length; i++) if (c.loads[i].type === mt) { c.loads[i] = e; return null; }
      if (c.loads.length >= MAX_MODELS) return fail('too-large', 'over ' + MAX_MODELS + ' models');
      c.loads.push(e);
      return null;
    }
    if (t === '') return null;
    const v = num(t, 1, 65535);
    const mm = m as unknown as { [k: string]: number | string };
    let good = true;
    switch (p) {
      case DEV:
        if (n === 'deviceProtocol') {
          const u = t.toUpperCase();
          good = u === 'SCCP' || u === 'SIP';
          if (good) c.protocol = u as Protocol;
        } else if (n === 'deviceSecurityMode') { good = v >= 1 && v <= 3; c.security = v; }
        else if (n === 'transportLayerProtocol') { good = v >= 1 && v <= 4; c.transport = v; }
        else if (n === 'loadInformation') { good = isLoad(t); c.load = t; }
        else if (n === 'versionStamp') { good = isStr(t, MAX_STR); c.versionStamp = t; }
        break;
      case DTS:
        good = isStr(t, MAX_STR);
        if (n === 'timeZone') c.timeZone = t;
        else c.dateTemplate = t;
        break;
      case NTP:
        if (c.ntp.length >= MAX_NTP) return fail('too-large', 'over ' + MAX_NTP + ' NTP servers');
        good = isHost(t);
        c.ntp.push(t);
        break;
      case CM:
        good = n === 'name' ? isStr(t, MAX_STR) : isHost(t);
        mm[n === 'name' ? n : 'host'] = t;
        break;
      case PORTS:
      case MGCP:
        good = v > 0;
        mm[n === 'listen' ? 'mgcpListen' : n === 'keepAlive' ? 'mgcpKeepAlive' : n] = v;
        break;
      case PROX: {
        const s = c.sip as { register: boolean };
        const x = n.indexOf('backup') === 0 ? bk : ob;
        if (n === 'registerWithProxy') { good = t === 'true' || t === 'false'; s.register = t === 'true'; }
        else if (n.indexOf('Port') > 0) { good = v > 0; x.port = v; }
        else { good = isHost(t); x.host = t; }
        break;
      }
      case LINE:
        if (n === 'featureID') { fid = num(t, 0, 65535); good = fid >= 0; }
        else if (n === 'port') { good = v > 0; l.port = v; }
        else if (n === 'proxy') { good = isHost(t); l.proxy = t; }
        else {
          good = isStr(t, MAX_STR);
          (l as unknown as { [k: string]: string })[n === 'featureLabel' ? 'label' : n === 'authPassword' ? 'password' : n] = t;
        }
        break;
    }
    return good ? null : badValue(n);
  }

  const h = {
    open: function (name: string, attrs: string[]): Fail | null {
      let k = SKIP;
      if (st.length === 0) {
        if (name !== 'device' && name !== 'Default') return fail('unsupported', 'root <' + name + '>');
        c = emptyConfig(name === 'device' ? 'sep' : 'default');
        k = DEV;
      } else {
        const p = st[st.length - 1];
        if (p === VEND) { k = VLEAF; vd = false; }
        else if (p === VLEAF) vd = true;
        else {
          for (let i = 0; i < KIDS.length; i += 3) if (KIDS[i] === p && KIDS[i + 1] === name) k = KIDS[i + 2] as number;
          if (k === SKIP && p < LEAVES.length && ((p === DEV && modelType(name) >= 0) || LEAVES[p].indexOf(' ' + name + ' ') >= 0)) k = LEAF;
        }
      }
      let a = '';
      for (let i = 0; i < attrs.length; i += 2) {
        if (attrs[i] === (k === MEM ? 'priority' : k === LINE ? 'button' : 'model')) a = trim(attrs[i + 1]);
      }
      if (k === MEM) {
        const pr = a === '' ? c.members.length : num(a, 0, 255);
        if (pr < 0) return fail('malformed', 'bad priority');
        m = newMember(pr);
      } else if (k === LINE) {
        const b = a === '' ? (c.sip as SipConfig).lines.length + 1 : num(a, 1, 255);
        if (b < 0) return fail('malformed', 'bad button');
        l = newLine(b);
        fid = 9;
      } else if (k === SIPP && c.sip === null) c.sip = emptySip();
      else if (k === LEAF) ma = a;
      st.push(k);
      return null;
    },

    close: function (name: string, text: string | null, mismatch: boolean): Fail | null {
      const k = st.pop() as number;
      const p = st.length > 0 ? st[st.length - 1] : SKIP;
      if (k === SKIP) return null;
      if (k === VLEAF) {
        if (mismatch || vd || text === null) drop(c);
        else setVendor(c, name, trim(text));
        return null;
      }
      if (mismatch) return fail('malformed', 'mismatched close of <' + name + '>');
      if (k === LEAF) return text === null ? fail('too-large', 'long <' + name + '>') : leaf(p, name, trim(text));
      if (k === MEM) {
        if (m.host === '') return fail('malformed', 'member without processNodeName');
        if (c.members.length >= MAX_MEMBERS) return fail('too-large', 'over ' + MAX_MEMBERS + ' members');
        let i = c.members.length;
        while (i > 0 && c.members[i - 1].priority > m.priority) i--;
        c.members.splice(i, 0, m);
      } else if (k === LINE && fid === 9) {
        const s = c.sip as SipConfig;
        if (s.lines.length >= MAX_LINES) return fail('too-large', 'over ' + MAX_LINES + ' lines');
        s.lines.push(l);
      }
      return null;
    },
  };
  const r = xmlReader(h);
  return {
    u: r.u,
    feed: r.feed,
    end: r.end,
    finish: function (): Result<Config> {
      return finishConfig(c, bk, ob);
    },
  };
}
