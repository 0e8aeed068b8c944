/**
 * fast-check generators of configurations for the config tests: valid Configs (every rule
 * of firmware/config/config.ts), broken ones (one field replaced by a bad value), and the
 * subset the legacy text form can carry.
 */
import fc from 'fast-check';
import type { Config, Member, SipLine, SipProxy } from '../../../firmware/config/config';
import { MAX_MEMBERS, MAX_LINES, MAX_NTP, MAX_STR, MAX_VALUE } from '../../../firmware/config/config';

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split('');
// Text units: markup characters, spaces inside, non-ASCII (2-, 3- and 4-byte UTF-8).
const TEXT_UNITS = [...ALNUM.slice(0, 8), ' ', '&', '<', '>', '"', "'", ';', '#', ':', '/', '=', '-', 'é', '€', '😀', ']'];

export const text = (max: number) =>
  fc.array(fc.constantFrom(...TEXT_UNITS), { maxLength: Math.min(max, 24) })
    .map((a) => a.join('').replace(/^ +| +$/g, ''))
    .filter((s) => s.length <= max);
export const host = fc.array(fc.constantFrom(...ALNUM.slice(0, 10), '.', '-', '_', ':', '1'), { minLength: 1, maxLength: 20 }).map((a) => a.join(''));
export const load = fc.array(fc.constantFrom(...ALNUM.slice(20, 40), '.', '-', '_'), { maxLength: 30 }).map((a) => a.join(''));
export const key = fc.tuple(fc.constantFrom('a', 'Z', '_', 'p'), fc.array(fc.constantFrom(...ALNUM.slice(0, 30), '.', '-', '_'), { maxLength: 20 }))
  .map(([h, t]) => h + t.join(''));
const port = fc.integer({ min: 1, max: 65535 });

const member: fc.Arbitrary<Member> = fc.record({
  priority: fc.integer({ min: 0, max: 255 }), name: text(MAX_STR), host,
  ethernetPhonePort: port, sipPort: port, securedSipPort: port, mgcpListen: port, mgcpKeepAlive: port,
});

const line: fc.Arbitrary<SipLine> = fc.record({
  button: fc.integer({ min: 1, max: 255 }), name: text(MAX_STR), label: text(MAX_STR), displayName: text(MAX_STR),
  authName: text(MAX_STR), password: text(MAX_STR), proxy: fc.oneof(fc.constant(''), host), port,
});

const proxy: fc.Arbitrary<SipProxy | null> = fc.option(fc.record({ host, port }), { nil: null });

export interface GenOptions {
  /** Keep `dropped` at 0 (a written file cannot say how many pairs a parser dropped). */
  noDropped?: boolean;
  kinds?: Config['kind'][];
}

export function config(o: GenOptions = {}): fc.Arbitrary<Config> {
  return fc.record({
    kind: fc.constantFrom(...(o.kinds ?? ['sep', 'default', 'cnf'] as Config['kind'][])),
    protocol: fc.constantFrom('SCCP', 'SIP') as fc.Arbitrary<Config['protocol']>,
    security: fc.integer({ min: 1, max: 3 }),
    transport: fc.integer({ min: 1, max: 4 }),
    members: fc.array(member, { maxLength: MAX_MEMBERS }).map((ms) => [...ms].sort((a, b) => a.priority - b.priority)),
    load,
    loads: fc.uniqueArray(fc.record({ type: fc.integer({ min: 0, max: 999999 }), model: text(MAX_STR), load }), { maxLength: 6, selector: (l) => l.type }),
    dateTemplate: text(MAX_STR),
    timeZone: text(MAX_STR),
    ntp: fc.array(host, { maxLength: MAX_NTP }),
    versionStamp: text(MAX_STR),
    sip: fc.record({ register: fc.boolean(), lines: fc.array(line, { maxLength: MAX_LINES }), backup: proxy, outbound: proxy }),
    vendor: fc.uniqueArray(fc.tuple(key, text(MAX_VALUE)), { maxLength: 12, selector: (p) => p[0] }),
    dropped: o.noDropped ? fc.constant(0) : fc.integer({ min: 0, max: 65535 }),
  }).map((c) => ({ ...c, sip: c.protocol === 'SIP' ? c.sip : null }) as Config);
}

/** What SIP<MAC>.cnf can carry: SIP, no group, lines 1..8 in order, no '"' in values. */
export function cnfConfig(): fc.Arbitrary<Config> {
  const noQuote = (max: number) => text(max).map((s) => s.replace(/"/g, '').replace(/^ +| +$/g, ''));
  const cline = fc.record({
    name: noQuote(MAX_STR), label: noQuote(MAX_STR), displayName: noQuote(MAX_STR), authName: noQuote(MAX_STR),
    password: noQuote(MAX_STR), proxy: fc.oneof(fc.constant(''), host), port,
  });
  return fc.record({
    load,
    timeZone: noQuote(MAX_STR),
    dateTemplate: noQuote(MAX_STR),
    ntp: fc.array(host, { maxLength: 1 }),
    register: fc.boolean(),
    backup: proxy,
    outbound: proxy,
    lines: fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: MAX_LINES }), cline), { maxLength: MAX_LINES, selector: (t) => t[0] }),
    vendor: fc.uniqueArray(fc.tuple(fc.constantFrom('logo_url', 'dial_template', 'messages_uri', 'x_1', 'telnet_level', 'phone_label'), noQuote(MAX_VALUE)), { maxLength: 6, selector: (p) => p[0] }),
  }).map((g) => {
    const lines = [...g.lines].sort((a, b) => a[0] - b[0]).map(([button, l]) => ({ button, ...l }));
    const c: Config = {
      kind: 'cnf', protocol: 'SIP', security: 1, transport: 2, members: [], load: g.load, loads: [],
      dateTemplate: g.dateTemplate, timeZone: g.timeZone, ntp: g.ntp, versionStamp: '',
      sip: { register: g.register, lines, backup: g.backup, outbound: g.outbound }, vendor: g.vendor, dropped: 0,
    };
    return c;
  });
}

/** Values that break some rule wherever they land (and a few that only break some). */
export const BAD_VALUES: unknown[] = [
  undefined, null, true, 0, -1, -0, 1.5, 256, 65536, 1e6, NaN, Infinity, '', ' a', 'a ', 'a\nb', 'a\u0000', 'a\u001fb', 'a\u007f', 'a\u00a0', '\ud800',
  'x'.repeat(MAX_STR + 1), 'x'.repeat(MAX_VALUE + 1), 'a/b', 'a b', '1abc', 'é', 'SCCP', 'SIP', 'sep', 'cnf', {}, [],
  [['k', 'v']], [{}], { host: 'h', port: 1 }, 'x'.repeat(65),
];

/** Every path into a value: ['members', 0, 'host'], ... (containers included). */
export function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (at.length > 0) out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) paths((v as Record<string, unknown>)[k], [...at, k], out);
  return out;
}

/** A deep copy of `c` with the value at `path` replaced (or deleted when `bad` is undefined). */
export function mutate(c: Config, path: (string | number)[], bad: unknown): unknown {
  const copy = structuredClone(c) as unknown as Record<string | number, unknown>;
  let o = copy;
  for (let i = 0; i < path.length - 1; i++) o = o[path[i]] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (bad === undefined && !Array.isArray(o)) delete o[last];
  else o[last] = bad;
  return copy;
}

/** Whole-config breakages the per-field mutations do not reach. */
export function structural(c: Config, which: number): unknown {
  const x = structuredClone(c);
  switch (which % 7) {
    case 0: x.sip = x.sip === null ? { register: true, lines: [], backup: null, outbound: null } : null; break;
    case 1: x.members = [...x.members, ...x.members, { ...(x.members[0] ?? { priority: 0, name: '', host: 'h', ethernetPhonePort: 1, sipPort: 1, securedSipPort: 1, mgcpListen: 1, mgcpKeepAlive: 1 }), priority: 0 }]; break;
    case 2: x.members = [...x.members].reverse(); break;
    case 3: if (x.loads.length > 0) x.loads.push({ ...x.loads[0] }); break;
    case 4: if (x.vendor.length > 0) x.vendor.push([x.vendor[0][0], 'v']); break;
    case 5: x.ntp = ['a', 'b', 'c', 'd', 'e'].slice(0, MAX_NTP + 1); break;
    case 6: x.vendor = Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'] as [string, string]); break;
  }
  return x;
}
