/**
 * Property tests of every config parser (fast-check, fixed seeds): the XML reader with the
 * config builder, the legacy text reader, and the stored form's decoder. On any input a
 * parse is either a Config that passes both the target validator and the zod schema, that
 * survives the stored form, and that the writer writes back to itself, or one of the typed
 * errors with a line and column; chunking never changes the outcome. Inputs are seeded
 * from the real files in ../shared/fixtures (mutated: bytes flipped, cut, spliced, tags
 * dropped) and from generated configs written out.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { assertSeeded, fuzzRuns } from '../property';
import { readFileSync } from 'node:fs';
import { parseConfig, ConfigSink } from '../../../firmware/config/sink';
import type { ConfigFormat, ConfigResult } from '../../../firmware/config/sink';
import { validateConfig } from '../../../firmware/config/config';
import { encodeConfig, decodeConfig } from '../../../firmware/config/store';
import { ConfigSchema } from '../../../tools/config/schema';
import { writeSepXml, writeDefaultXml, writeCnf } from '../../../tools/config/write';
import { haveFixtures, fixture } from '../../fixtures';
import { config, cnfConfig } from '../../unit/config/gen';

const CODES = ['malformed', 'truncated', 'too-large', 'unsupported'];
const enc = (s: string) => new TextEncoder().encode(s);

const REAL = haveFixtures
  ? ['chan-sccp__SEP0000000000.cnf.xml_797x_extended_template', 'chan-sccp__SEP0000000000.cnf.xml_annotated', 'chan-sccp__XMLDefault.cnf.xml']
    .map((f) => new Uint8Array(readFileSync(fixture(f))))
  : [];
const CNF = enc('image_version: "P0S3-8-12-00"\nproxy1_address: "10.1.18.100"\nproxy1_port: 5060\nline1_name: "1001"\n' +
  'line1_password: "x;y" ; c\n# comment\nproxy_backup: h\nproxy_backup_port: 5062\nsntp_server: 10.0.0.1\nlogo_url: ""\n');

/** The checks every outcome must pass. */
function check(r: ConfigResult, format: ConfigFormat): void {
  if (!r.ok) {
    expect(CODES).toContain(r.error);
    expect(r.line).toBeGreaterThanOrEqual(1);
    expect(r.col).toBeGreaterThanOrEqual(1);
    expect(r.detail.startsWith(`${r.line}:${r.col} `)).toBe(true);
    return;
  }
  const c = r.value;
  expect(validateConfig(c).ok).toBe(true);
  expect(ConfigSchema.safeParse(c).success).toBe(true);
  expect(decodeConfig(encodeConfig(c))).toEqual(c);
  if (c.dropped === 0 && format === 'xml') {
    const text = c.kind === 'sep' ? writeSepXml(c) : writeDefaultXml(c);
    expect(parseConfig(enc(text), 'xml', {})).toEqual(r);
  }
}

/** A mutated copy: flips, cuts, insertions of markup, a dropped span. */
const mutation = (seeds: Uint8Array[]) => fc.tuple(
  fc.constantFrom(...seeds),
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 5 }), fc.constantFrom('<', '>', '/', '&', '"', '=', '\n', '</a>', '<b>', ']]>', '<!--', '&#0;', '\u00e9', '\ufffd', ' ', 'x')), { minLength: 1, maxLength: 6 }),
).map(([seed, edits]) => {
  let b = Array.from(seed);
  for (const [at, op, text] of edits) {
    const i = b.length === 0 ? 0 : at % b.length;
    const t = Array.from(enc(text));
    if (op === 0) b[i] = (b[i] ^ (1 << (at % 8))) & 255;
    else if (op === 1) b = b.slice(0, i);
    else if (op === 2) b.splice(i, 0, ...t);
    else if (op === 3) b.splice(i, Math.min(40, at % 97));
    else if (op === 4) b[i] = t[0];
    else b.splice(i, 0, ...b.slice(at % (b.length || 1), (at % (b.length || 1)) + 30));
  }
  return new Uint8Array(b);
});

function splitRun(b: Uint8Array, cuts: number[], format: ConfigFormat): ConfigResult | null {
  const s = new ConfigSink(format, {});
  let at = 0;
  for (const c of [...cuts.map((x) => x % (b.length + 1)).sort((x, y) => x - y), b.length]) {
    if (c > at) s.write(b.subarray(at, c), at);
    at = Math.max(at, c);
  }
  s.end(b.length);
  return s.result;
}

describe('config parsers fuzz', () => {
  it('arbitrary bytes: a typed outcome, never a throw', () => {
    assertSeeded('config fuzz seed 401', fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      check(parseConfig(b, 'xml', {}), 'xml');
      check(parseConfig(b, 'cnf', {}), 'cnf');
    }), 401, fuzzRuns());
  });

  it('XML-ish text: a typed outcome, never a throw', () => {
    const tok = fc.constantFrom('<device>', '</device>', '<Default>', '<vendorConfig>', '</vendorConfig>', '<a>', '</a>', '<b x="1">', '<c/>',
      '<loadInformation>', '</loadInformation>', '<loadInformation7 model="m">', '</loadInformation7>', 'L1', '&amp;', '&#233;', '<!-- c -->',
      '<![CDATA[x]]>', '<?pi?>', '<devicePool>', '</devicePool>', '<callManagerGroup><members><member priority="1"><callManager>',
      '<processNodeName>h</processNodeName>', '</callManager></member></members></callManagerGroup>', '<deviceProtocol>SIP</deviceProtocol>',
      '<sipProfile><sipLines><line button="2">', '<name>1001</name>', '</line></sipLines></sipProfile>', ' ', '\n', 'é');
    assertSeeded('config fuzz seed 402', fc.property(fc.array(tok, { maxLength: 30 }), (ts) => check(parseConfig(enc(ts.join('')), 'xml', {}), 'xml')), 402, fuzzRuns());
  });

  it.skipIf(!haveFixtures)('mutated real files: a typed outcome, and chunking does not change it', () => {
    assertSeeded('config fuzz seed 403', fc.property(mutation(REAL), fc.array(fc.nat(), { maxLength: 4 }), (b, cuts) => {
      const whole = parseConfig(b, 'xml', {});
      check(whole, 'xml');
      expect(splitRun(b, cuts, 'xml')).toEqual(whole);
    }), 403, fuzzRuns());
  });

  it('mutated legacy text: a typed outcome, and chunking does not change it', () => {
    assertSeeded('config fuzz seed 404', fc.property(mutation([CNF]), fc.array(fc.nat(), { maxLength: 4 }), (b, cuts) => {
      const whole = parseConfig(b, 'cnf', {});
      check(whole, 'cnf');
      expect(splitRun(b, cuts, 'cnf')).toEqual(whole);
    }), 404, fuzzRuns());
  });

  it('mutated written files (generated configs): a typed outcome', () => {
    const written = fc.oneof(
      config({ noDropped: true, kinds: ['sep', 'default'] }).map((c) => [enc(c.kind === 'sep' ? writeSepXml(c) : writeDefaultXml(c)), 'xml'] as const),
      cnfConfig().map((c) => [enc(writeCnf(c)), 'cnf'] as const),
    );
    assertSeeded('config fuzz seed 405', fc.property(written, fc.nat(), fc.integer({ min: 0, max: 255 }), ([b, format], at, v) => {
      const x = b.slice();
      x[at % x.length] = v;
      check(parseConfig(x, format, {}), format);
      check(parseConfig(x.subarray(0, at % x.length), format, {}), format);
    }), 405, fuzzRuns());
  });

  it('stored form: random and mutated bytes decode to null or a valid config that re-encodes to the same bytes', () => {
    const stored = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => { const x = new Uint8Array(b.length + 1); x[0] = 1; x.set(b, 1); return x; }),
      fc.tuple(config(), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([c, at, v]) => { const b = encodeConfig(c); b[at % b.length] = v; return b; }),
    );
    assertSeeded('config fuzz seed 406', fc.property(stored, (b) => {
      const d = decodeConfig(b);
      if (d === null) return;
      expect(validateConfig(d).ok).toBe(true);
      expect(ConfigSchema.safeParse(d).success).toBe(true);
      expect(encodeConfig(d)).toEqual(b);
    }), 406, fuzzRuns());
  });
});
