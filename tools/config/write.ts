/**
 * Typed Config -> the files a TFTP server hands to phones: SEP<MAC>.cnf.xml (the element
 * tree of a CUCM export, reference cisco_protocols.md 5.1), XMLDefault.cnf.xml (5.2) and
 * the legacy SIP<MAC>.cnf text (5.3). The phone's parser (firmware/config) reads each back
 * to the same Config (tested); elements the phone does not read are written with the
 * values CUCM writes, so real phones accept the files too.
 *
 * Host code. A Config that breaks the schema is refused (TypeError): never write a file a
 * phone would refuse.
 */
import { MAX_LINES } from '../../firmware/config/config';
import type { Config, SipProxy } from '../../firmware/config/config';
import { macToDeviceId } from '../../lib/bytes';
import { checkConfig } from './schema';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** `<name>value</name>`, or `<name/>` when empty. */
function el(name: string, value: string | number | boolean): string {
  const v = String(value);
  return v === '' ? `<${name}/>` : `<${name}>${esc(v)}</${name}>`;
}

class Out {
  readonly lines: string[] = [];
  private depth = 0;
  line(s: string): void {
    this.lines.push('  '.repeat(this.depth) + s);
  }
  open(tag: string): void {
    this.line(`<${tag}>`);
    this.depth++;
  }
  close(name: string): void {
    this.depth--;
    this.line(`</${name}>`);
  }
  text(): string {
    return this.lines.join('\n') + '\n';
  }
}

function valid(c: Config): Config {
  const r = checkConfig(c);
  if (!r.ok) throw new TypeError(`config: ${r.message}`);
  return c;
}

function callManagerGroup(o: Out, c: Config): void {
  o.open('callManagerGroup');
  o.line(el('name', 'Default'));
  o.line(el('tftpDefault', true));
  o.open('members');
  for (const m of c.members) {
    o.open(`member priority="${m.priority}"`);
    o.open('callManager');
    o.line(el('name', m.name));
    o.line(el('description', m.name));
    o.open('ports');
    o.line(el('ethernetPhonePort', m.ethernetPhonePort));
    o.line(el('sipPort', m.sipPort));
    o.line(el('securedSipPort', m.securedSipPort));
    o.open('mgcpPorts');
    o.line(el('listen', m.mgcpListen));
    o.line(el('keepAlive', m.mgcpKeepAlive));
    o.close('mgcpPorts');
    o.close('ports');
    o.line(el('processNodeName', m.host));
    o.close('callManager');
    o.close('member');
  }
  o.close('members');
  o.close('callManagerGroup');
}

function dateTimeSetting(o: Out, c: Config): void {
  o.open('dateTimeSetting');
  o.line(el('name', 'CMLocal'));
  o.line(el('dateTemplate', c.dateTemplate));
  o.line(el('timeZone', c.timeZone));
  o.open('ntps');
  for (const n of c.ntp) {
    o.open('ntp');
    o.line(el('name', n));
    o.line(el('ntpMode', 'Unicast'));
    o.close('ntp');
  }
  o.close('ntps');
  o.close('dateTimeSetting');
}

function proxy(o: Out, name: string, p: SipProxy | null): void {
  o.line(el(name, p ? p.host : ''));
  o.line(el(`${name}Port`, p ? p.port : ''));
}

function sipProfile(o: Out, c: Config): void {
  const s = c.sip;
  if (!s) return;
  o.open('sipProfile');
  o.open('sipProxies');
  proxy(o, 'backupProxy', s.backup);
  proxy(o, 'emergencyProxy', null);
  proxy(o, 'outboundProxy', s.outbound);
  o.line(el('registerWithProxy', s.register));
  o.close('sipProxies');
  o.open('sipStack');
  o.line(el('timerRegisterExpires', 3600));
  o.close('sipStack');
  o.line(el('phoneLabel', s.lines.length > 0 ? s.lines[0].label : ''));
  o.open('sipLines');
  for (const l of s.lines) {
    o.open(`line button="${l.button}"`);
    o.line(el('featureID', 9));
    o.line(el('featureLabel', l.label));
    o.line(el('proxy', l.proxy));
    o.line(el('port', l.port));
    o.line(el('name', l.name));
    o.line(el('displayName', l.displayName));
    o.line(el('authName', l.authName));
    o.line(el('authPassword', l.password));
    o.line(el('contact', l.name));
    o.close('line');
  }
  o.close('sipLines');
  o.line(el('voipControlPort', 5060));
  o.close('sipProfile');
}

function modelLoads(o: Out, c: Config): void {
  for (const l of c.loads) o.line(`<loadInformation${l.type} model="${esc(l.model)}">${esc(l.load)}</loadInformation${l.type}>`);
}

function vendorConfig(o: Out, c: Config): void {
  if (c.vendor.length === 0) return;
  o.open('vendorConfig');
  for (const [k, v] of c.vendor) o.line(el(k, v));
  o.close('vendorConfig');
}

/** The fields after the device pool: protocol-independent device settings. */
function deviceTail(o: Out, c: Config): void {
  o.line(el('versionStamp', c.versionStamp));
  o.line(el('deviceSecurityMode', c.security));
  o.line(el('transportLayerProtocol', c.transport));
}

/** SEP<MAC>.cnf.xml. */
export function writeSepXml(config: Config): string {
  const c = valid(config);
  const o = new Out();
  o.line('<?xml version="1.0" encoding="UTF-8"?>');
  o.open('device');
  o.line(el('fullConfig', true));
  o.line(el('deviceProtocol', c.protocol));
  o.line(el('sshUserId', ''));
  o.line(el('sshPassword', ''));
  o.open('devicePool');
  o.line(el('revertPriority', 0));
  o.line(el('name', 'Default'));
  dateTimeSetting(o, c);
  callManagerGroup(o, c);
  o.open('srstInfo');
  o.line(el('name', 'Disable'));
  o.line(el('srstOption', 'Disable'));
  o.line(el('userModifiable', false));
  o.line(el('isSecure', false));
  o.close('srstInfo');
  o.line(el('connectionMonitorDuration', 120));
  o.close('devicePool');
  sipProfile(o, c);
  o.open('commonProfile');
  o.line(el('phonePassword', ''));
  o.line(el('backgroundImageAccess', true));
  o.line(el('callLogBlfEnabled', 2));
  o.close('commonProfile');
  o.line(el('loadInformation', c.load));
  modelLoads(o, c);
  vendorConfig(o, c);
  deviceTail(o, c);
  o.open('userLocale');
  o.line(el('name', 'English_United_States'));
  o.line(el('langCode', 'en_US'));
  o.close('userLocale');
  o.line(el('networkLocale', 'United_States'));
  o.line(el('dscpForSCCPPhoneConfig', 104));
  o.line(el('dscpForSCCPPhoneServices', 0));
  o.line(el('dscpForCm2Dvce', 184));
  o.line(el('capfAuthMode', 0));
  o.open('capfList');
  o.open('capf');
  o.line(el('phonePort', 3804));
  o.close('capf');
  o.close('capfList');
  o.line(el('certHash', ''));
  o.line(el('encrConfig', false));
  o.close('device');
  return o.text();
}

/** XMLDefault.cnf.xml: the CallManager group and the per-model loads (auto-registration). */
export function writeDefaultXml(config: Config): string {
  const c = valid(config);
  const o = new Out();
  o.line('<?xml version="1.0" encoding="UTF-8"?>');
  o.open('Default');
  callManagerGroup(o, c);
  if (c.dateTemplate !== '' || c.timeZone !== '' || c.ntp.length > 0) {
    o.open('devicePool');
    dateTimeSetting(o, c);
    o.close('devicePool');
  }
  if (c.protocol !== 'SCCP') o.line(el('deviceProtocol', c.protocol));
  sipProfile(o, c);
  if (c.load !== '') o.line(el('loadInformation', c.load));
  modelLoads(o, c);
  vendorConfig(o, c);
  deviceTail(o, c);
  o.line(el('autoRegistrationName', 'AUTO-REG'));
  o.close('Default');
  return o.text();
}

/** What the legacy text form cannot carry (members, per-model loads, security, ...). */
function cnfProblem(c: Config): string | null {
  if (c.protocol !== 'SIP' || !c.sip) return 'the text form is SIP only';
  if (c.members.length > 0 || c.loads.length > 0) return 'the text form has no CallManager group or per-model loads';
  if (c.security !== 1 || c.transport !== 2 || c.versionStamp !== '') return 'the text form has no security mode, transport or version stamp';
  if (c.ntp.length > 1) return 'the text form has one NTP server';
  const values = [c.load, c.timeZone, c.dateTemplate, ...c.vendor.map((p) => p[1]), ...c.sip.lines.flatMap((l) => [l.name, l.label, l.displayName, l.authName, l.password])];
  if (values.some((v) => v.includes('"'))) return 'a value with " has no text form';
  if (c.sip.lines.some((l, i) => l.button > MAX_LINES || (i > 0 && l.button <= c.sip!.lines[i - 1].button))) {
    return `the text form numbers lines 1..${MAX_LINES}, once each, in order`;
  }
  const read = /^(image_version|proxy_register|time_zone|date_format|sntp_server|proxy_backup(_port)?|outbound_proxy(_port)?|(line|proxy)\d+_.*)$/;
  if (c.vendor.some(([k]) => !/^[A-Za-z0-9_]+$/.test(k) || read.test(k))) return 'a vendor key the text form cannot carry';
  return null;
}

/** SIP<MAC>.cnf / SIPDefault.cnf text. */
export function writeCnf(config: Config): string {
  const c = valid(config);
  const why = cnfProblem(c);
  if (why) throw new TypeError(`config: ${why}`);
  const s = c.sip!;
  const out = ['# Cisco SIP configuration (written by dialtone)'];
  const kv = (k: string, v: string | number) => out.push(`${k}: "${v}"`);
  if (c.load !== '') kv('image_version', c.load);
  kv('proxy_register', s.register ? 1 : 0);
  if (c.timeZone !== '') kv('time_zone', c.timeZone);
  if (c.dateTemplate !== '') kv('date_format', c.dateTemplate);
  if (c.ntp.length > 0) kv('sntp_server', c.ntp[0]);
  if (s.backup) { kv('proxy_backup', s.backup.host); kv('proxy_backup_port', s.backup.port); }
  if (s.outbound) { kv('outbound_proxy', s.outbound.host); kv('outbound_proxy_port', s.outbound.port); }
  for (const l of s.lines) {
    const n = l.button;
    if (l.proxy !== '') kv(`proxy${n}_address`, l.proxy);
    kv(`proxy${n}_port`, l.port);
    for (const [k, v] of [['name', l.name], ['shortname', l.label], ['displayname', l.displayName], ['authname', l.authName], ['password', l.password]]) {
      if (v !== '') kv(`line${n}_${k}`, v);
    }
  }
  for (const [k, v] of c.vendor) kv(k, v);
  return out.join('\n') + '\n';
}

/** The file for a Config by its kind: its name for a phone's MAC, and its text. */
export function writeConfigFile(c: Config, mac: Uint8Array | null): { name: string; text: string } {
  const id = mac ? macToDeviceId(mac) : null;
  if (c.kind === 'default') return { name: 'XMLDefault.cnf.xml', text: writeDefaultXml(c) };
  if (c.kind === 'cnf') return { name: id ? `SIP${id}.cnf` : 'SIPDefault.cnf', text: writeCnf(c) };
  if (!id) throw new TypeError('config: a SEP file needs the phone\'s MAC');
  return { name: `SEP${id}.cnf.xml`, text: writeSepXml(c) };
}
