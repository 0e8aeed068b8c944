/**
 * XML configuration into a Config (firmware/config/parse.ts) and the boot's sink
 * (sink.ts): SIP files, what is tolerated and what is refused (with line and column), the
 * caps, and the sink's contract with the TFTP client (offsets, repeats, gaps, sizes, abort).
 */
import { describe, it, expect } from 'vitest';
import { parseConfig, ConfigSink, formatOf } from '../../../firmware/config/sink';
import type { ConfigResult } from '../../../firmware/config/sink';
import { sipTargets, sccpPort, MAX_MEMBERS, MAX_LINES, MAX_VENDOR } from '../../../firmware/config/config';
import type { Config } from '../../../firmware/config/config';

const enc = (s: string) => new TextEncoder().encode(s);
const xml = (s: string, model?: number) => parseConfig(enc(s), 'xml', model === undefined ? {} : { model });
function value(r: ConfigResult): Config {
  if (!r.ok) throw new Error(r.detail);
  return r.value;
}
const err = (r: ConfigResult) => (r.ok ? null : [r.error, r.line, r.col, r.detail.substring(r.detail.indexOf(' ') + 1)]);

// The shape of a CUCM SIP SEP file (the sipProfile of a 79x1 SIP load), trimmed.
const SIP_SEP = `<?xml version="1.0" encoding="UTF-8"?>
<device>
  <deviceProtocol>SIP</deviceProtocol>
  <devicePool>
    <dateTimeSetting><dateTemplate>M/D/Y</dateTemplate><timeZone>Central Standard/Daylight Time</timeZone></dateTimeSetting>
    <callManagerGroup><members>
      <member priority="1"><callManager><name>cm2</name><ports><sipPort>5070</sipPort><securedSipPort>5071</securedSipPort></ports><processNodeName>10.1.100.3</processNodeName></callManager></member>
      <member priority="0"><callManager><name>cm1</name><ports><ethernetPhonePort>2000</ethernetPhonePort><sipPort>5060</sipPort></ports><processNodeName>10.1.100.2</processNodeName></callManager></member>
    </members></callManagerGroup>
  </devicePool>
  <sipProfile>
    <sipProxies>
      <backupProxy>10.1.100.9</backupProxy><backupProxyPort>5062</backupProxyPort>
      <emergencyProxy></emergencyProxy><emergencyProxyPort></emergencyProxyPort>
      <outboundProxy></outboundProxy><outboundProxyPort></outboundProxyPort>
      <registerWithProxy>true</registerWithProxy>
    </sipProxies>
    <sipCallFeatures><cnfJoinEnabled>true</cnfJoinEnabled></sipCallFeatures>
    <sipLines>
      <line button="1">
        <featureID>9</featureID><featureLabel>1001</featureLabel><proxy>USECALLMANAGER</proxy><port>5060</port>
        <name>1001</name><displayName>Ann &amp; Bob</displayName>
        <autoAnswer><autoAnswerEnabled>2</autoAnswerEnabled></autoAnswer>
        <authName>1001</authName><authPassword>s3cr&lt;t</authPassword><contact>1001</contact>
      </line>
      <line button="2"><featureID>2</featureID><featureLabel>speed</featureLabel><speedDialNumber>5000</speedDialNumber></line>
      <line button="3"><featureID>9</featureID><proxy>pbx.example.net</proxy><port>5080</port><name>1003</name></line>
    </sipLines>
  </sipProfile>
  <loadInformation>SIP41.9-4-2SR3-1S</loadInformation>
  <deviceSecurityMode>3</deviceSecurityMode>
  <transportLayerProtocol>3</transportLayerProtocol>
</device>
`;

describe('SIP SEP file', () => {
  it('keeps lines (featureID 9 only), proxies and members in priority order', () => {
    const c = value(xml(SIP_SEP));
    expect(c.protocol).toBe('SIP');
    expect(c.security).toBe(3);
    expect(c.transport).toBe(3);
    expect(c.load).toBe('SIP41.9-4-2SR3-1S');
    expect(c.members.map((m) => [m.name, m.host, m.sipPort, m.securedSipPort])).toEqual([['cm1', '10.1.100.2', 5060, 5061], ['cm2', '10.1.100.3', 5070, 5071]]);
    expect(c.sip).toEqual({
      register: true,
      backup: { host: '10.1.100.9', port: 5062 },
      outbound: null,
      lines: [
        { button: 1, name: '1001', label: '1001', displayName: 'Ann & Bob', authName: '1001', password: 's3cr<t', proxy: 'USECALLMANAGER', port: 5060 },
        { button: 3, name: '1003', label: '', displayName: '', authName: '', password: '', proxy: 'pbx.example.net', port: 5080 },
      ],
    });
    // Over TLS a USECALLMANAGER line registers with each member's securedSipPort, then the backup.
    expect(sipTargets(c, 0)).toEqual([{ host: '10.1.100.2', port: 5061 }, { host: '10.1.100.3', port: 5071 }, { host: '10.1.100.9', port: 5062 }]);
    expect(sccpPort(c, c.members[0])).toBe(2443);
    expect(sccpPort({ ...c, security: 1 }, c.members[0])).toBe(2000);
    expect(sipTargets(c, 1)).toEqual([{ host: 'pbx.example.net', port: 5080 }, { host: '10.1.100.9', port: 5062 }]);
  });

  it('a SCCP file drops its sipProfile; a SIP file without one gets an empty one', () => {
    expect(value(xml(SIP_SEP.replace('<deviceProtocol>SIP<', '<deviceProtocol>SCCP<'))).sip).toBeNull();
    expect(value(xml('<device><deviceProtocol>sip</deviceProtocol></device>')).sip).toEqual({ register: true, lines: [], backup: null, outbound: null });
  });
});

describe('tolerated', () => {
  it('unknown elements and mismatched closing tags outside the parts read; empty elements keep defaults', () => {
    const c = value(xml(`<device><devicePool><srstInfo><name>x</nome><port1>2000</port2></srstInfo>
      <callManagerGroup><members><member><callManager><ports><ethernetPhonePort></ethernetPhonePort></ports><processNodeName>cm</processNodeName></callManager></member></members></callManagerGroup>
      </devicePool><deviceSecurityMode/><loadInformation></loadInformation><foo><bar>1</baz></foo></device>`));
    expect(c.members).toEqual([{ priority: 0, name: '', host: 'cm', ethernetPhonePort: 2000, sipPort: 5060, securedSipPort: 5061, mgcpListen: 2427, mgcpKeepAlive: 2428 }]);
    expect(c.security).toBe(1);
    expect(c.load).toBe('');
  });

  it('members without a priority keep file order; equal priorities keep file order', () => {
    const m = (h: string, p = '') => `<member${p}><callManager><processNodeName>${h}</processNodeName></callManager></member>`;
    const c = value(xml(`<Default><callManagerGroup><members>${m('a')}${m('b')}${m('c', ' priority="0"')}</members></callManagerGroup></Default>`));
    expect(c.members.map((x) => [x.host, x.priority])).toEqual([['a', 0], ['c', 0], ['b', 1]]);
  });

  it('vendorConfig: nested, too long or unnamed pairs are dropped and counted; the cap holds', () => {
    const many = Array.from({ length: MAX_VENDOR + 3 }, (_, i) => `<k${i}>${i}</k${i}>`).join('');
    const c = value(xml(`<device><vendorConfig><a><b>1</b></a><long>${'x'.repeat(300)}</long><ok>v</ok>${many}</vendorConfig></device>`));
    expect(c.vendor.length).toBe(MAX_VENDOR);
    expect(c.vendor[0]).toEqual(['ok', 'v']);
    expect(c.dropped).toBe(2 + 4);
  });

  it('XMLDefault: a device type listed twice keeps the last one', () => {
    const c = value(xml('<Default><loadInformation7 model="a">L1</loadInformation7><loadInformation7 model="b">L2</loadInformation7></Default>'));
    expect(c.loads).toEqual([{ type: 7, model: 'b', load: 'L2' }]);
  });
});

describe('refused, with line and column', () => {
  const cases: [string, string, (string | number)[]][] = [
    ['a mismatched close on a field read', '<device>\n  <loadInformation>x</loadInfo>\n</device>', ['malformed', 2, 21, 'mismatched close of <loadInformation>']],
    ['a mismatched close on a container read', '<device><devicePool>\n</device></device>', ['malformed', 2, 1, 'mismatched close of <devicePool>']],
    ['another root', '<config/>', ['unsupported', 1, 1, 'root <config>']],
    ['a bad security mode', '<device>\n<deviceSecurityMode>4</deviceSecurityMode></device>', ['malformed', 2, 22, 'bad <deviceSecurityMode>']],
    ['a bad protocol', '<device><deviceProtocol>H323</deviceProtocol></device>', ['malformed', 1, 29, 'bad <deviceProtocol>']],
    ['a bad port', '<device><callManagerGroup><members><member><callManager><ports><sipPort>70000</sipPort>', ['malformed', 1, 78, 'bad <sipPort>']],
    ['a load that is a path', '<device><loadInformation>../etc/x</loadInformation></device>', ['malformed', 1, 34, 'bad <loadInformation>']],
    ['a member without processNodeName', '<Default><callManagerGroup><members>\n <member priority="0"><callManager/></member>', ['malformed', 2, 37, 'member without processNodeName']],
    ['a bad priority', '<Default><callManagerGroup><members><member priority="x">', ['malformed', 1, 37, 'bad priority']],
    ['a bad button', '<device><sipProfile><sipLines><line button="0">', ['malformed', 1, 31, 'bad button']],
    ['a host with a space', '<device><devicePool><dateTimeSetting><ntps><ntp><name>a b</name>', ['malformed', 1, 58, 'bad <name>']],
    ['a field longer than the reader keeps', `<device><versionStamp>${'v'.repeat(300)}</versionStamp></device>`, ['too-large', 1, 323, 'long <versionStamp>']],
    ['registerWithProxy not a boolean', '<device><sipProfile><sipProxies><registerWithProxy>yes</registerWithProxy>', ['malformed', 1, 55, 'bad <registerWithProxy>']],
  ];
  for (const [what, doc, want] of cases) it(what, () => expect(err(xml(doc))).toEqual(want));

  it('caps: members, lines, NTP servers', () => {
    const m = '<member><callManager><processNodeName>h</processNodeName></callManager></member>';
    expect(err(xml(`<Default><callManagerGroup><members>${m.repeat(MAX_MEMBERS + 1)}</members></callManagerGroup></Default>`))?.slice(0, 1)).toEqual(['too-large']);
    const l = '<line><name>x</name></line>';
    expect(err(xml(`<device><deviceProtocol>SIP</deviceProtocol><sipProfile><sipLines>${l.repeat(MAX_LINES + 1)}</sipLines></sipProfile></device>`))?.[3]).toBe(`over ${MAX_LINES} lines`);
    const n = '<ntp><name>h</name></ntp>';
    expect(err(xml(`<device><devicePool><dateTimeSetting><ntps>${n.repeat(5)}</ntps></dateTimeSetting></devicePool></device>`))?.[3]).toBe('over 4 NTP servers');
  });
});

describe('the sink', () => {
  const DOC = enc('<device><loadInformation>L1</loadInformation></device>');

  it('ignores repeated bytes, refuses a gap, checks the size, reports once', () => {
    const seen: ConfigResult[] = [];
    const s = new ConfigSink('xml', {}, (r) => seen.push(r));
    expect(s.write(DOC.subarray(0, 10), 0)).toBe(true);
    expect(s.write(DOC.subarray(0, 10), 0)).toBe(true); // a duplicate block
    expect(s.write(DOC.subarray(5, 20), 5)).toBe(true); // overlapping
    expect(s.write(DOC.subarray(0, 8), 0)).toBe(true); // an older block again
    expect(s.write(DOC.subarray(20), 20)).toBe(true);
    expect(s.result).toBeNull();
    s.end(DOC.length);
    expect(s.result).toMatchObject({ ok: true, value: { load: 'L1' } });
    expect(seen.length).toBe(1);
    s.abort('late');
    expect(seen.length).toBe(1);

    const g = new ConfigSink('xml', {});
    expect(g.write(DOC.subarray(0, 10), 0)).toBe(true);
    expect(g.write(DOC.subarray(12), 12)).toBe(false);
    expect(g.result).toMatchObject({ ok: false, error: 'malformed', line: 1, col: 11 });
    expect(g.write(DOC.subarray(10), 10)).toBe(false);

    const z = new ConfigSink('xml', {});
    z.write(DOC, 0);
    z.end(DOC.length + 1);
    expect(z.result).toMatchObject({ ok: false, error: 'truncated' });
  });

  it('abort is a truncated error where the transfer stopped; a parse error stops the writes', () => {
    const a = new ConfigSink('xml', {});
    a.write(enc('<device>\n  <load'), 0);
    a.abort('timeout');
    expect(a.result).toMatchObject({ ok: false, error: 'truncated', line: 2, col: 8, detail: '2:8 aborted: timeout' });

    const b = new ConfigSink('xml', {});
    expect(b.write(enc('<device><loadInformation>1</device>'), 0)).toBe(false);
    expect(b.result).toMatchObject({ ok: false, error: 'malformed' });
  });

  it('formatOf: by file name, any case, signed or not', () => {
    expect(formatOf('SEP001122334455.cnf.xml')).toBe('xml');
    expect(formatOf('SEP001122334455.cnf.xml.sgn')).toBe('xml');
    expect(formatOf('xmlDefault.CNF.XML')).toBe('xml');
    expect(formatOf('SIPDefault.cnf')).toBe('cnf');
    expect(formatOf('SIP001122334455.cnf')).toBe('cnf');
    expect(formatOf('CTLFile.tlv')).toBeNull();
  });
});
