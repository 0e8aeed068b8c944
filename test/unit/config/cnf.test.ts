/**
 * The legacy text form (firmware/config/cnf.ts): SIPDefault.cnf and SIP<MAC>.cnf as the
 * 7940/7960 SIP images read them (key: value ; comment), the per-phone file amending the
 * default one, errors with line and column, and chunking.
 */
import { describe, it, expect } from 'vitest';
import { parseConfig, ConfigSink } from '../../../firmware/config/sink';
import type { ConfigResult } from '../../../firmware/config/sink';
import type { Config } from '../../../firmware/config/config';
import { MAX_LINE } from '../../../firmware/config/cnf';

const enc = (s: string) => new TextEncoder().encode(s);
const cnf = (s: string, base?: Config) => parseConfig(enc(s), 'cnf', base ? { base } : {});
function value(r: ConfigResult): Config {
  if (!r.ok) throw new Error(r.detail);
  return r.value;
}
const err = (r: ConfigResult) => (r.ok ? null : [r.error, r.line, r.col, r.detail.substring(r.detail.indexOf(' ') + 1)]);

// Keys and forms as in the CME-generated SIPDefault.cnf and the 79xx SIP admin guide.
const SIP_DEFAULT = `# Image Version
image_version: "P0S3-8-12-00"

# Proxy Server Address
proxy1_address: "10.1.18.100";
proxy2_address: "";
proxy1_port:"5060"
proxy_register: "1"      ; register with the proxy
time_zone: EST
date_format: "M/D/Y";
sntp_server: "10.1.18.1"
proxy_backup: "10.1.18.101"
proxy_backup_port: 5062
outbound_proxy: ""
messages_uri: "2000"
logo_url: ""
dial_template: "dialplan"
tftp_cfg_dir: "./"\r
`;
const SIP_MAC = `line1_name: "1001"
line1_shortname: "Ann"
line1_displayname: "Ann Example"
line1_authname: "1001"
line1_password: "p;a#ss"          ; quoted: ; and # are part of it
line2_name: 1002
proxy2_address: pbx.example.net
proxy2_port: 5080
time_zone: "CET"
`;

describe('legacy SIP text', () => {
  it('SIPDefault.cnf on its own', () => {
    const c = value(cnf(SIP_DEFAULT));
    expect(c).toMatchObject({
      kind: 'cnf', protocol: 'SIP', load: 'P0S3-8-12-00', timeZone: 'EST', dateTemplate: 'M/D/Y', ntp: ['10.1.18.1'], members: [],
    });
    expect(c.sip).toEqual({
      register: true, backup: { host: '10.1.18.101', port: 5062 }, outbound: null,
      lines: [{ button: 1, name: '', label: '', displayName: '', authName: '', password: '', proxy: '10.1.18.100', port: 5060 }],
    });
    expect(c.vendor).toEqual([['messages_uri', '2000'], ['logo_url', ''], ['dial_template', 'dialplan'], ['tftp_cfg_dir', './']]);
  });

  it('SIP<MAC>.cnf amends SIPDefault.cnf', () => {
    const base = value(cnf(SIP_DEFAULT));
    const c = value(cnf(SIP_MAC, base));
    expect(c.timeZone).toBe('CET');
    expect(c.load).toBe('P0S3-8-12-00');
    expect(c.sip!.lines).toEqual([
      { button: 1, name: '1001', label: 'Ann', displayName: 'Ann Example', authName: '1001', password: 'p;a#ss', proxy: '10.1.18.100', port: 5060 },
      { button: 2, name: '1002', label: '', displayName: '', authName: '', password: '', proxy: 'pbx.example.net', port: 5080 },
    ]);
    expect(c.sip!.backup).toEqual({ host: '10.1.18.101', port: 5062 });
    // The base is not changed.
    expect(base.timeZone).toBe('EST');
    expect(base.sip!.lines.length).toBe(1);
  });

  it('1-byte chunks and every split point give the whole-file result', () => {
    const bytes = enc(SIP_DEFAULT + SIP_MAC);
    const whole = parseConfig(bytes, 'cnf', {});
    for (let i = 0; i <= bytes.length; i++) {
      const s = new ConfigSink('cnf', {});
      s.write(bytes.subarray(0, i), 0);
      s.write(bytes.subarray(i), i);
      s.end(bytes.length);
      expect(s.result).toEqual(whole);
    }
    const s = new ConfigSink('cnf', {});
    for (let i = 0; i < bytes.length; i++) s.write(bytes.subarray(i, i + 1), i);
    s.end(bytes.length);
    expect(s.result).toEqual(whole);
  });

  const cases: [string, string, (string | number)[]][] = [
    ['a line without a colon', '# c\nimage_version "x"\n', ['malformed', 2, 15, 'expected key: value']],
    ['an unclosed quote', 'line1_name: "100\n', ['malformed', 1, 13, 'unclosed quote']],
    ['text after a quoted value', 'line1_name: "100" x\n', ['malformed', 1, 19, 'text after value']],
    ['a bad port', 'x: 1\nproxy1_port: 99999\n', ['malformed', 2, 14, 'bad proxy1_port']],
    ['a load that is a path', 'image_version: ../x\n', ['malformed', 1, 16, 'bad image_version']],
    ['a line number over the cap', 'line9_name: 1\n', ['too-large', 1, 13, 'over 8 lines']],
    ['proxy_register not 0 or 1', 'proxy_register: yes', ['malformed', 1, 17, 'bad proxy_register']],
    ['a line over MAX_LINE', `logo_url: ${'x'.repeat(MAX_LINE)}\n`, ['too-large', 1, MAX_LINE + 1, 'long line']],
  ];
  for (const [what, doc, want] of cases) it(`refuses ${what}`, () => expect(err(cnf(doc))).toEqual(want));

  it('an empty file is an empty SIP config', () => {
    expect(value(cnf(''))).toMatchObject({ kind: 'cnf', protocol: 'SIP', sip: { lines: [] } });
  });
});
