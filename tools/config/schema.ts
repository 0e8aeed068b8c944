/**
 * The configuration's rules as a zod schema, for the host tools (`dialtone config show`,
 * the writers, `dialtone ota provision`). The phone checks the same rules with its own
 * small validator (firmware/config/config.ts validateConfig); test/unit/config/schema
 * proves that both accept and refuse the same values. This file is written from the rules
 * (config.ts header), not from the validator's code, so that the test means something.
 */
import { z } from 'zod';
import {
  MAX_MEMBERS, MAX_LINES, MAX_NTP, MAX_VENDOR, MAX_MODELS, MAX_STR, MAX_VALUE, MAX_LOAD, MAX_KEY,
} from '../../firmware/config/config';
import type { Config } from '../../firmware/config/config';

const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Text of at most `max` UTF-16 units: no control characters, no lone surrogates, trimmed of spaces. */
const text = (max: number) =>
  z.string().max(max).refine((s) => !CONTROL.test(s) && !LONE_SURROGATE.test(s) && !s.startsWith(' ') && !s.endsWith(' '), 'bad text');
const host = z.string().regex(new RegExp(`^[A-Za-z0-9._:-]{1,${MAX_STR}}$`));
const load = z.string().regex(new RegExp(`^[A-Za-z0-9._-]{0,${MAX_LOAD}}$`));
const key = z.string().regex(new RegExp(`^[A-Za-z_][A-Za-z0-9._-]{0,${MAX_KEY - 1}}$`));
const int = (lo: number, hi: number) => z.number().int().min(lo).max(hi);
const port = int(1, 65535);
const proxy = z.object({ host, port });

export const MemberSchema = z.object({
  priority: int(0, 255),
  name: text(MAX_STR),
  host,
  ethernetPhonePort: port,
  sipPort: port,
  securedSipPort: port,
  mgcpListen: port,
  mgcpKeepAlive: port,
});

export const SipLineSchema = z.object({
  button: int(1, 255),
  name: text(MAX_STR),
  label: text(MAX_STR),
  displayName: text(MAX_STR),
  authName: text(MAX_STR),
  password: text(MAX_STR),
  proxy: z.union([z.literal(''), host]),
  port,
});

export const SipSchema = z.object({
  register: z.boolean(),
  lines: z.array(SipLineSchema).max(MAX_LINES),
  backup: proxy.nullable(),
  outbound: proxy.nullable(),
});

export const ConfigSchema = z.object({
  kind: z.enum(['sep', 'default', 'cnf']),
  protocol: z.enum(['SCCP', 'SIP']),
  security: int(1, 3),
  transport: int(1, 4),
  members: z.array(MemberSchema).max(MAX_MEMBERS),
  load,
  loads: z.array(z.object({ type: int(0, 999999), model: text(MAX_STR), load })).max(MAX_MODELS),
  dateTemplate: text(MAX_STR),
  timeZone: text(MAX_STR),
  ntp: z.array(host).max(MAX_NTP),
  versionStamp: text(MAX_STR),
  sip: SipSchema.nullable(),
  vendor: z.array(z.tuple([key, text(MAX_VALUE)])).max(MAX_VENDOR),
  dropped: int(0, 65535),
}).superRefine((c, ctx) => {
  if ((c.sip === null) !== (c.protocol === 'SCCP')) ctx.addIssue({ code: 'custom', message: 'sip is set exactly when the protocol is SIP', path: ['sip'] });
  c.members.forEach((m, i) => {
    if (i > 0 && m.priority < c.members[i - 1].priority) ctx.addIssue({ code: 'custom', message: 'members out of priority order', path: ['members', i] });
  });
  if (new Set(c.loads.map((l) => l.type)).size !== c.loads.length) ctx.addIssue({ code: 'custom', message: 'device type listed twice', path: ['loads'] });
  if (new Set(c.vendor.map((p) => p[0])).size !== c.vendor.length) ctx.addIssue({ code: 'custom', message: 'vendor key listed twice', path: ['vendor'] });
});

/** The value as a Config, or the first problem ("members.1.host: ..."). */
export function checkConfig(v: unknown): { ok: true; value: Config } | { ok: false; message: string } {
  const r = ConfigSchema.safeParse(v);
  if (r.success) return { ok: true, value: v as Config };
  const i = r.error.issues[0];
  return { ok: false, message: `${i.path.join('.') || 'config'}: ${i.message}` };
}
