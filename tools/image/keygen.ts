/**
 * `dialtone keygen [-o KEY] [--format pem|json] [--force]`: a new Ed25519 signing key.
 * PEM (PKCS#8) by default, or JSON {type, private, public} in hex. The private key file is
 * written with mode 0600; the public key goes beside it as KEY.pub (PEM) and its key id
 * (what images carry in their KEYID TLV) is printed, with the next commands: build a
 * loader that trusts it, then sign with it.
 */
import { parseArgs } from 'node:util';
import { writeFileSync, existsSync } from 'node:fs';
import { UserError } from '../errors';
import { generateKey } from './lib';

const USAGE = 'usage: dialtone keygen [-o KEY] [--format pem|json] [--force]';

export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: {
      output: { type: 'string', short: 'o', default: 'dialtone-key.pem' },
      format: { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    }, allowPositionals: false });
  } catch (e) {
    throw new UserError(`${(e as Error).message}\n${USAGE}`, 2);
  }
  if (args.values.help) { console.log(USAGE); return 0; }
  const out = args.values.output!;
  const format = args.values.format ?? (out.endsWith('.json') ? 'json' : 'pem');
  if (format !== 'pem' && format !== 'json') throw new UserError(`--format must be pem or json, not '${format}'`, 2);
  if (existsSync(out) && !args.values.force) throw new UserError(`${out} exists; not overwriting a key (use --force)`);
  const k = generateKey();
  try {
    writeFileSync(out, format === 'pem' ? k.privatePem : k.json, { mode: 0o600 });
    writeFileSync(out + '.pub', k.publicPem, { mode: 0o644 });
  } catch (e) {
    throw new UserError(`cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  console.log(`wrote ${out} (private, mode 600) and ${out}.pub; key id ${k.keyId}`);
  console.log(`next: npm run build -- --trust ${out}.pub    (a loader that trusts this key; add --release for phones in the field)`);
  console.log(`then: npx dialtone sign --key ${out} --load-id LOAD.ID --version 1.0.0 dist/firmware.js -o image.bin`);
  return 0;
}
