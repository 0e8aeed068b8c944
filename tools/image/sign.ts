/**
 * `dialtone sign --key KEY --load-id ID (--version V | --security-counter N | both)
 *   [--build-time SECONDS] [--flash-size BYTES] FIRMWARE -o IMAGE`
 * Wraps a firmware bundle into a signed image (flash/image.ts). The size is checked at
 * signing time against the largest image the board's layout holds (flash/layout.ts).
 *
 * Rollback protection is on by default: the image always carries a deliberate security
 * counter, either given or derived from the version (lib.ts deriveSecurityCounter:
 * major × 256 + minor) and printed. Loaders refuse images below the floor, which rises to
 * a counter when an image carrying it is confirmed.
 */
import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { UserError } from '../errors';
import { parseKey, signImage, parseVersion, largestImage, deriveSecurityCounter } from './lib';
import { hex } from '../../lib/bytes';

const USAGE = `usage: dialtone sign --key KEY --load-id ID (--version MAJOR.MINOR.REV[+BUILD] | --security-counter N | both)
         [--build-time SECONDS] [--flash-size BYTES] FIRMWARE -o IMAGE

  --security-counter N  anti-rollback counter: phones refuse images below the highest
                        counter they have confirmed. Without it, derived from --version
                        as major x 256 + minor (and printed).`;

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
  if (v['security-counter'] === undefined && !v.version) {
    throw new UserError(`--security-counter N is required (or --version, from which it is derived as major x 256 + minor): it is what stops an old image from being installed again\n${USAGE}`, 2);
  }
  const version = v.version ? parseVersion(v.version) : undefined;
  let counter = wholeNumber(v['security-counter'], '--security-counter', 0xffffffff);
  let derived = '';
  if (counter === undefined && version) {
    counter = deriveSecurityCounter(version);
    derived = ` (derived from version ${version.major}.${version.minor}: major x 256 + minor)`;
  }
  const key = parseKey(new TextDecoder().decode(readInput(v.key, 'key')), v.key);
  const fw = readInput(args.positionals[0], 'firmware');
  const flashSize = wholeNumber(v['flash-size'], '--flash-size', 0xffffffff);
  const image = signImage(fw, key, {
    loadId: v['load-id'],
    version,
    securityCounter: counter,
    buildTime: wholeNumber(v['build-time'], '--build-time', Number.MAX_SAFE_INTEGER),
    maxImageSize: largestImage(flashSize),
  });
  try {
    writeFileSync(v.output, image);
  } catch (e) {
    throw new UserError(`cannot write ${v.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const max = largestImage(flashSize);
  console.log(`signed ${v['load-id']}: ${image.length} bytes (${(100 * image.length / max).toFixed(1)}% of a ${max}-byte slot), key id ${hex(key.keyId)}, security counter ${counter}${derived} -> ${v.output}`);
  return 0;
}
