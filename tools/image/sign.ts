/**
 * `dialtone sign --key KEY --load-id ID [--version V] [--security-counter N]
 *   [--build-time SECONDS] [--flash-size BYTES] FIRMWARE -o IMAGE`
 * Wraps a firmware bundle into a signed image (flash/image.ts). The size is checked at
 * signing time against the largest image the board's layout holds (flash/layout.ts).
 */
import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { UserError } from '../errors';
import { parseKey, signImage, parseVersion, largestImage } from './lib';
import { hex } from '../../lib/bytes';

const USAGE = 'usage: dialtone sign --key KEY --load-id ID [--version MAJOR.MINOR.REV[+BUILD]] [--security-counter N] [--build-time SECONDS] [--flash-size BYTES] FIRMWARE -o IMAGE';

export function readInput(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message}`);
  }
}

function wholeNumber(text: string | undefined, what: string, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > max) throw new UserError(`${what} must be a whole number 0..${max}, not '${text}'`, 2);
  return Number(text);
}

export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: {
      key: { type: 'string', short: 'k' },
      'load-id': { type: 'string' },
      version: { type: 'string' },
      'security-counter': { type: 'string' },
      'build-time': { type: 'string' },
      'flash-size': { type: 'string' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    }, allowPositionals: true });
  } catch (e) {
    throw new UserError(`${(e as Error).message}\n${USAGE}`, 2);
  }
  const v = args.values;
  if (v.help) { console.log(USAGE); return 0; }
  if (!v.key) throw new UserError(`--key is required\n${USAGE}`, 2);
  if (!v['load-id']) throw new UserError(`--load-id is required\n${USAGE}`, 2);
  if (!v.output) throw new UserError(`-o IMAGE is required\n${USAGE}`, 2);
  if (args.positionals.length !== 1) throw new UserError(`one FIRMWARE file expected\n${USAGE}`, 2);
  const key = parseKey(new TextDecoder().decode(readInput(v.key, 'key')), v.key);
  const fw = readInput(args.positionals[0], 'firmware');
  const flashSize = wholeNumber(v['flash-size'], '--flash-size', 0xffffffff);
  const image = signImage(fw, key, {
    loadId: v['load-id'],
    version: v.version ? parseVersion(v.version) : undefined,
    securityCounter: wholeNumber(v['security-counter'], '--security-counter', 0xffffffff),
    buildTime: wholeNumber(v['build-time'], '--build-time', Number.MAX_SAFE_INTEGER),
    maxImageSize: largestImage(flashSize),
  });
  try {
    writeFileSync(v.output, image);
  } catch (e) {
    throw new UserError(`cannot write ${v.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const max = largestImage(flashSize);
  console.log(`signed ${v['load-id']}: ${image.length} bytes (${(100 * image.length / max).toFixed(1)}% of a ${max}-byte slot), key id ${hex(key.keyId)} -> ${v.output}`);
  return 0;
}
