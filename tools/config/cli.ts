/**
 * `dialtone config show FILE [--model TYPE] [--base FILE]`: the configuration a phone reads
 * from FILE, as JSON (the typed Config of firmware/config), or its errors with line and
 * column (exit 1). --model keeps only that device type's loadInformation<type> of an
 * XMLDefault (as a phone of that model does); --base parses a SIPDefault.cnf first and
 * FILE (a SIP<MAC>.cnf) over it.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UserError } from '../errors';
import { readConfigFile, formatConfigError } from './lib';
import { checkConfig } from './schema';
import type { ConfigOptions } from '../../firmware/config/parse';

const USAGE = 'usage: dialtone config show FILE [--model TYPE] [--base SIPDefault.cnf]';

function readOrThrow(path: string, opts: ConfigOptions): ReturnType<typeof readConfigFile> {
  if (!existsSync(path)) throw new UserError(`${path}: no such file`);
  return readConfigFile(path, opts);
}

export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: {
      model: { type: 'string', short: 'm' },
      base: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    }, allowPositionals: true });
  } catch (e) {
    throw new UserError(`${(e as Error).message}\n${USAGE}`, 2);
  }
  const [sub, file, ...rest] = args.positionals;
  if (args.values.help) { console.log(USAGE); return 0; }
  if (sub !== 'show' || !file || rest.length > 0) throw new UserError(USAGE, 2);
  const opts: ConfigOptions = {};
  if (args.values.model !== undefined) {
    const m = Number(args.values.model);
    if (!/^\d{1,6}$/.test(args.values.model) || !Number.isInteger(m)) throw new UserError(`--model: a device type number, got '${args.values.model}'`, 2);
    opts.model = m;
  }
  if (args.values.base !== undefined) {
    const b = readOrThrow(args.values.base, {});
    if (!b.ok) { console.error(formatConfigError(args.values.base, b)); return 1; }
    opts.base = b.value;
  }
  const r = readOrThrow(file, opts);
  if (!r.ok) { console.error(formatConfigError(file, r)); return 1; }
  const z = checkConfig(r.value);
  if (!z.ok) throw new Error(`parser and schema disagree on ${file}: ${z.message}`);
  console.log(JSON.stringify(r.value, null, 2));
  return 0;
}
