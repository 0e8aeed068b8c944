/**
 * The writers (tools/config/write.ts) and the lab's files (tools/lab/phone-config.ts):
 * what they write, the phone's parser reads back to the same Config (generated configs
 * of each kind, and the real fixtures re-written), the files are well-formed XML to an
 * independent parser (Python's expat, where python3 exists), and invalid configs are refused.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../firmware/config/sink';
import type { ConfigResult } from '../../../firmware/config/sink';
import type { Config } from '../../../firmware/config/config';
import { writeSepXml, writeDefaultXml, writeCnf, writeConfigFile } from '../../../tools/config/write';
import { labConfigFiles, labCallManagers, labSepConfig } from '../../../tools/lab/phone-config';
import { haveFixtures, fixture } from '../../fixtures';
import { config, cnfConfig } from './gen';
import { encodeConfig } from '../../../firmware/config/store';

const enc = (s: string) => new TextEncoder().encode(s);
function value(r: ConfigResult): Config {
  if (!r.ok) throw new Error(r.detail);
  return r.value;
}
const havePython = spawnSync('python3', ['-c', 'import xml.dom.minidom'], { stdio: 'ignore' }).status === 0;

/** Parse every text with Python's expat: the names of those that are not well formed. */
function notWellFormed(texts: string[]): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dialtone-cfg-'));
  try {
    texts.forEach((t, i) => writeFileSync(path.join(dir, `${i}.xml`), t));
    const r = spawnSync('python3', ['-c', 'import sys,glob,xml.dom.minidom as m\nfor f in sorted(glob.glob(sys.argv[1]+"/*.xml")):\n  try: m.parse(f)\n  except Exception as e: print(f, e)', dir], { encoding: 'utf8' });
    return r.stdout.split('\n').filter((l) => l !== '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('writer -> parser round trip', () => {
  it('SEP and XMLDefault files read back to the config they were written from', () => {
    fc.assert(fc.property(config({ noDropped: true, kinds: ['sep', 'default'] }), (c) => {
      const text = c.kind === 'sep' ? writeSepXml(c) : writeDefaultXml(c);
      expect(parseConfig(enc(text), 'xml', {})).toEqual({ ok: true, value: c });
    }), { seed: 301, numRuns: 400 });
  });

  it('SIP<MAC>.cnf files read back to the config they were written from', () => {
    fc.assert(fc.property(cnfConfig(), (c) => {
      expect(parseConfig(enc(writeCnf(c)), 'cnf', {})).toEqual({ ok: true, value: c });
    }), { seed: 302, numRuns: 400 });
  });

  it.skipIf(!havePython)('written files are well-formed XML to expat', () => {
    const texts = fc.sample(config({ noDropped: true, kinds: ['sep', 'default'] }), { seed: 303, numRuns: 60 })
      .map((c) => (c.kind === 'sep' ? writeSepXml(c) : writeDefaultXml(c)));
    expect(notWellFormed(texts)).toEqual([]);
  });

  it.skipIf(!haveFixtures)('the real files, re-written, read back the same', () => {
    for (const f of ['chan-sccp__SEP0000000000.cnf.xml_797x_extended_template', 'chan-sccp__XMLDefault.cnf.xml']) {
      const c = value(parseConfig(new Uint8Array(readFileSync(fixture(f))), 'xml', {}));
      const text = c.kind === 'sep' ? writeSepXml(c) : writeDefaultXml(c);
      expect(value(parseConfig(enc(text), 'xml', {}))).toEqual(c);
    }
  });

  it('refuses to write a config that breaks a rule, or one the text form cannot carry', () => {
    const c = fc.sample(config({ kinds: ['sep'] }), { seed: 304, numRuns: 1 })[0];
    expect(() => writeSepXml({ ...c, security: 4 })).toThrow(/security/);
    expect(() => writeSepXml({ ...c, load: '../x' })).toThrow(/load/);
    expect(() => writeCnf({ ...c, protocol: 'SCCP', sip: null })).toThrow(/SIP only/);
  });
});

describe('the lab files', () => {
  const MAC = new Uint8Array([0x02, 0x00, 0x00, 0x00, 0x00, 0xa1]);
  const cms = labCallManagers([0x0a016401, '10.1.100.2']);

  it('SEP<MAC>.cnf.xml (SCCP by default) and XMLDefault.cnf.xml, cm1 then cm2 at the given addresses', () => {
    const files = labConfigFiles({ callManagers: cms, phones: [{ mac: MAC }], models: [{ type: 7, model: 'Cisco 7960', load: 'DT7960.0-1-0' }] });
    expect(files.map((f) => f.name)).toEqual(['SEP0200000000A1.cnf.xml', 'XMLDefault.cnf.xml']);
    const sep = value(parseConfig(files[0].data, 'xml', {}));
    expect(sep.kind).toBe('sep');
    expect(sep.protocol).toBe('SCCP');
    expect(sep.security).toBe(1);
    expect(sep.sip).toBeNull();
    expect(sep.members.map((m) => [m.priority, m.name, m.host, m.ethernetPhonePort])).toEqual([[0, 'cm1', '10.1.100.1', 2000], [1, 'cm2', '10.1.100.2', 2000]]);
    const def = value(parseConfig(files[1].data, 'xml', { model: 7 }));
    expect(def.kind).toBe('default');
    expect(def.members.map((m) => m.host)).toEqual(['10.1.100.1', '10.1.100.2']);
    expect(def.loads).toEqual([{ type: 7, model: 'Cisco 7960', load: 'DT7960.0-1-0' }]);
    console.log(`[lab] SEP file ${files[0].data.length} bytes, stored as ${encodeConfig(sep).length} bytes; XMLDefault ${files[1].data.length} bytes`);
  });

  it('SIP and secure variants', () => {
    const c = labSepConfig({ callManagers: cms, protocol: 'SIP', security: 3, transport: 3 }, { mac: MAC, line: '1001', password: 'pw' });
    const back = value(parseConfig(enc(writeSepXml(c)), 'xml', {}));
    expect(back).toEqual(c);
    expect(back.sip!.lines[0]).toMatchObject({ name: '1001', authName: '1001', password: 'pw', proxy: 'USECALLMANAGER' });
    expect(writeConfigFile(c, MAC).name).toBe('SEP0200000000A1.cnf.xml');
  });

  it.skipIf(!havePython)('the lab files are well-formed XML to expat', () => {
    const files = labConfigFiles({ callManagers: cms, phones: [{ mac: MAC }] });
    expect(notWellFormed(files.map((f) => new TextDecoder().decode(f.data)))).toEqual([]);
  });
});
