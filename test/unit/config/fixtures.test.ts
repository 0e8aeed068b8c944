/**
 * The real configuration files in ../shared/fixtures parse into the values they hold
 * (expected values written by reading the files), whole and fed in pieces: every split
 * point is the same as the whole file, and so are 1-byte chunks.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { haveFixtures, fixture } from '../../fixtures';
import { parseConfig, ConfigSink } from '../../../firmware/config/sink';
import type { ConfigFormat, ConfigResult } from '../../../firmware/config/sink';
import type { ConfigOptions } from '../../../firmware/config/parse';
import { loadFor, vendorValue, validateConfig } from '../../../firmware/config/config';
import type { Config, Member } from '../../../firmware/config/config';
import { ConfigSchema } from '../../../tools/config/schema';

const SEP_EXT = 'chan-sccp__SEP0000000000.cnf.xml_797x_extended_template';
const SEP_ANN = 'chan-sccp__SEP0000000000.cnf.xml_annotated';
const XMLDEFAULT = 'chan-sccp__XMLDefault.cnf.xml';

const read = (name: string) => new Uint8Array(readFileSync(fixture(name)));

function value(r: ConfigResult): Config {
  if (!r.ok) throw new Error(r.detail);
  return r.value;
}

/** Feed `bytes` in chunks of `size` through the sink. */
export function chunked(bytes: Uint8Array, size: number, format: ConfigFormat, opts: ConfigOptions = {}): ConfigResult | null {
  const s = new ConfigSink(format, opts);
  for (let at = 0; at < bytes.length; at += size) if (!s.write(bytes.subarray(at, at + size), at)) break;
  s.end(bytes.length);
  return s.result;
}

const member = (priority: number, name: string, host: string, ports: Partial<Member> = {}): Member => ({
  priority, name, host, ethernetPhonePort: 2000, sipPort: 5060, securedSipPort: 5061, mgcpListen: 2427, mgcpKeepAlive: 2428, ...ports,
});

describe.skipIf(!haveFixtures)('real configuration files', () => {
  it('the 797x extended template (CUCM export) parses into its values', () => {
    const c = value(parseConfig(read(SEP_EXT), 'xml', {}));
    expect(c).toEqual({
      kind: 'sep', protocol: 'SCCP', security: 1, transport: 4,
      members: [member(0, 'asterisk', 'asterisk')],
      load: 'term71.default', loads: [],
      dateTemplate: 'D.M.Y', timeZone: 'W. Europe Standard/Daylight Time', ntp: [],
      versionStamp: '1231176639-afb83e8d-60c2-4c00-b44a-74941a6451e8',
      sip: null,
      vendor: [
        ['g722CodecSupport', '0'], ['disableSpeaker', 'false'], ['disableSpeakerAndHeadset', 'false'], ['forwardingDelay', '1'],
        ['pcPort', '0'], ['settingsAccess', '1'], ['garp', '1'], ['voiceVlanAccess', '0'], ['videoCapability', '0'],
        ['autoSelectLineEnable', '0'], ['webAccess', '0'], ['webProtocol', '0'], ['daysDisplayNotActive', '1,2,3,4,5,6,7'],
        ['displayOnTime', '07:30'], ['displayOnDuration', '10:30'], ['displayIdleTimeout', '00:10'], ['displayOnWhenIncomingCall', '1'],
        ['spanToPCPort', '0'], ['loggingDisplay', '1'], ['recordingTone', '0'], ['recordingToneLocalVolume', '100'],
        ['recordingToneRemoteVolume', '50'], ['recordingToneDuration', ''], ['rtcp', '0'], ['moreKeyReversionTimer', '5'],
        ['autoCallSelect', '1'], ['headsetWidebandUIControl', '0'], ['handsetWidebandUIControl', '0'], ['headsetWidebandEnable', '0'],
        ['handsetWidebandEnable', '0'], ['peerFirmwareSharing', '1'], ['enableCdpSwPort', '1'], ['enableCdpPcPort', '1'],
        ['enableLldpSwPort', '1'], ['enableLldpPcPort', '1'], ['lldpAssetId', ''], ['powerPriority', '1'], ['minimumRingVolume', '3'],
        ['useEnblocDialing', '0'], ['enableGroupListen', '0'], ['enableMuteFeature', '0'], ['suppressCallInfoDisplay', '0'],
        ['ehookEnable', '1'], ['PortAutoLinkSync', '0'],
      ],
      dropped: 0,
    });
    // Its enterpriseConfig/commonConfig g722CodecSupport and the commented-out vendor keys are not vendorConfig.
    expect(vendorValue(c, 'loadServer')).toBeNull();
  });

  it('the annotated file, with mismatched closing tags in vendorConfig, parses', () => {
    const c = value(parseConfig(read(SEP_ANN), 'xml', {}));
    expect(c.kind).toBe('sep');
    expect(c.protocol).toBe('SCCP');
    expect(c.security).toBe(1);
    expect(c.transport).toBe(4);
    // The second member's ports hold only ethernetPhonePort (the rest is commented out): defaults.
    expect(c.members).toEqual([member(0, 'Asterisk', 'x.x.x.x'), member(1, 'Asterisk 1', 'x.x.x.x')]);
    expect(c.load).toBe('P00308010100');
    expect(c.dateTemplate).toBe('D/M/YA');
    expect(c.timeZone).toBe('W. Europe Standard/Daylight Time');
    expect(c.ntp).toEqual(['pool.ntp.org']);
    expect(c.versionStamp).toBe('{Jan 01 2003 00:00:00}');
    expect(c.sip).toBeNull();
    // <WlanProfile2>0</WlanProfile1>, 3, 4 and <headsetHandsetMonitor>0</handsetHeadsetMonitor>: dropped, counted.
    expect(c.dropped).toBe(4);
    expect(vendorValue(c, 'WlanProfile1')).toBe('0');
    expect(vendorValue(c, 'WlanProfile2')).toBeNull();
    expect(vendorValue(c, 'headsetHandsetMonitor')).toBeNull();
    // Keys the file lists twice: the last one wins (an empty element is a value too).
    expect(vendorValue(c, 'g722CodecSupport')).toBe('');
    expect(vendorValue(c, 'autoSelectLineEnable')).toBe('');
    expect(vendorValue(c, 'sshPort')).toBe('22');
    expect(vendorValue(c, 'detectCMConnectionFailure')).toBe('0');
    expect(vendorValue(c, 'daysDisplayNotActive')).toBe('1,7');
    // Keys only inside comments are not there.
    expect(vendorValue(c, 'headsetWidebandUIControl')).toBeNull();
    expect(c.vendor.length).toBe(52);
    expect(c.vendor[0]).toEqual(['ehookEnable', '1']);
  });

  it('XMLDefault parses: the group and every loadInformation<type>', () => {
    const c = value(parseConfig(read(XMLDEFAULT), 'xml', {}));
    expect(c.kind).toBe('default');
    expect(c.protocol).toBe('SCCP');
    expect(c.members).toEqual([member(0, '', '10.0.0.1'), member(1, '', '10.0.0.2')]);
    expect(c.load).toBe('');
    expect(c.loads.length).toBe(142);
    expect(c.loads[0]).toEqual({ type: 30008, model: 'Cisco 7902', load: 'CP7902080002SCCP060817A' });
    expect(c.loads.find((l) => l.type === 115)).toEqual({ type: 115, model: 'Cisco 7941', load: 'SCCP41.9-3-1SR4-1S' });
    expect(c.loads.find((l) => l.type === 7)).toEqual({ type: 7, model: 'Cisco 7960', load: 'P0030801SR02' });
    expect(c.loads.find((l) => l.type === 30018)).toEqual({ type: 30018, model: 'Cisco 7961', load: 'SCCP41.9-3-1SR4-1S' });
    expect(c.loads.find((l) => l.type === 683)).toEqual({ type: 683, model: 'Cisco 8841', load: '' });
    expect(c.loads.find((l) => l.type === 610)).toEqual({ type: 610, model: 'Cisco TelePresence Profile 42 (C20)', load: '' });
    expect(c.loads[c.loads.length - 1]).toEqual({ type: 645, model: 'Universal Device Template', load: '' });
    // URLs are not kept.
    expect(c.vendor).toEqual([]);
    expect(loadFor(c, 115)).toBe('SCCP41.9-3-1SR4-1S');
    expect(loadFor(c, 683)).toBe(''); // listed without a load: loadInformation, which is empty
    expect(loadFor(c, 1)).toBe('');
  });

  it('a phone that names its device type keeps only its own entry', () => {
    const c = value(parseConfig(read(XMLDEFAULT), 'xml', { model: 434 }));
    expect(c.loads).toEqual([{ type: 434, model: 'Cisco 7942', load: 'SCCP42.9-3-1SR4-1S' }]);
    expect(value(parseConfig(read(XMLDEFAULT), 'xml', { model: 4242 })).loads).toEqual([]);
  });

  it('every parse result passes both the target validator and the zod schema', () => {
    for (const f of [SEP_EXT, SEP_ANN, XMLDEFAULT]) {
      const c = value(parseConfig(read(f), 'xml', {}));
      expect(validateConfig(c).ok).toBe(true);
      expect(ConfigSchema.safeParse(c).success).toBe(true);
    }
  });

  it('1-byte chunks of the real files give the whole-file result', () => {
    for (const f of [SEP_EXT, SEP_ANN, XMLDEFAULT]) {
      const bytes = read(f);
      const whole = parseConfig(bytes, 'xml', {});
      expect(chunked(bytes, 1, 'xml')).toEqual(whole);
      expect(chunked(bytes, 512, 'xml')).toEqual(whole);
    }
  });

  it('a truncated real file is a typed error at its end', () => {
    const bytes = read(SEP_EXT);
    const r = parseConfig(bytes.subarray(0, 4000), 'xml', {});
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toBe('truncated');
      expect(r.detail).toMatch(/^\d+:\d+ unclosed </);
    }
  });
});
