/**
 * Which keys a loader trusts, decided at build time (MCUboot builds its public keys into the
 * bootloader: `imgtool getpub`). Three users:
 *
 *   - `npm run build -- --trust KEY.pub [--trust KEY2.pub] [--release] [--allow-downgrade]`
 *     (tools/build/cli.ts): resolveTrust() checks the options and makes a LoaderConfig;
 *     loaderEntrySource() makes the generated entry of dist/bootloader.js and
 *     dist/recovery.js, which passes that config to `main(hal, config)` as a literal;
 *   - native runs (`dialtone board --trust KEY.pub`, the lab, tests, benches):
 *     configForKeys() makes the config for the keys they sign with, passed to
 *     flash/main.ts / flash/recovery-main.ts `main(hal, config)` directly;
 *   - without --trust: a development build trusting the development key, which the build
 *     says in one line and the loader shows at every boot.
 *
 * A release build refuses the development key (its private half is in this repository)
 * and the downgrade override.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../errors';
import { parseKey, devKey, DEV_KEY_PATH, type LoadedKey } from './lib';
import { hex } from '../../lib/bytes';
import type { LoaderConfig } from '../../flash/config';
import type { LayoutOptions } from '../../flash/layout';

export interface TrustOptions {
  /** Public (or private: only the public half is used) key files: PEM, JSON or hex. */
  trust: string[];
  release?: boolean;
  allowDowngrade?: boolean;
}

export interface ResolvedTrust {
  config: LoaderConfig;
  /** Key ids (hex), in the order given. */
  keyIds: string[];
  /** One line for the build to print (the development key is embedded), or null. */
  notice: string | null;
}

/** Read a key file for its public half; a clear UserError when it cannot. */
export function readPublicKey(path: string): LoadedKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read key ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message}`);
  }
  const k = parseKey(text, path);
  return { publicKey: k.publicKey, privateKey: null, keyId: k.keyId };
}

/** Is `publicKey` the development key's? */
export function isDevPublicKey(publicKey: Uint8Array): boolean {
  return hex(publicKey) === hex(devKey().publicKey);
}

/** A loader configuration trusting `keys` (native runs: the keys they sign with). */
export function configForKeys(keys: Array<LoadedKey | Uint8Array>, options: { release?: boolean; allowDowngrade?: boolean; layout?: LayoutOptions } = {}): LoaderConfig {
  const list = keys.map((k) => hex(k instanceof Uint8Array ? k : k.publicKey));
  const keysHex = [...new Set(list)];
  const c: LoaderConfig = {
    keys: keysHex, release: options.release ?? false, allowDowngrade: options.allowDowngrade ?? false,
    developmentKey: keysHex.includes(hex(devKey().publicKey)),
  };
  if (options.layout) c.layout = options.layout;
  return c;
}

/** Check the build's trust options and make its LoaderConfig. */
export function resolveTrust(options: TrustOptions): ResolvedTrust {
  const release = options.release ?? false;
  const allowDowngrade = options.allowDowngrade ?? false;
  if (release && allowDowngrade) {
    throw new UserError('--allow-downgrade is for development loaders: a release loader never boots an older image');
  }
  const keys = options.trust.map(readPublicKey);
  if (release && keys.length === 0) {
    throw new UserError('a release build needs --trust KEY.pub (make one with `dialtone keygen`)');
  }
  const devIndex = keys.findIndex((k) => isDevPublicKey(k.publicKey));
  if (release && devIndex >= 0) {
    throw new UserError(`refusing to embed the development key (${options.trust[devIndex]}) in a release loader: its private half is committed (${DEV_KEY_PATH}), so anyone could sign firmware these phones would boot`);
  }
  const used = keys.length > 0 ? keys : [devKey()];
  const config = configForKeys(used, { release, allowDowngrade });
  const keyIds = used.map((k) => hex(k.keyId));
  const embedsDev = keys.length === 0 || devIndex >= 0;
  const notice = embedsDev
    ? `development build: the loader trusts the development key (key id ${hex(devKey().keyId)}; its private half is public), and says so at every boot; use --trust KEY.pub for phones in the field`
    : null;
  return { config, keyIds, notice };
}

/**
 * The generated entry of a loader-region bundle: imports `start` of `entry` (flash/main.ts or
 * flash/recovery-main.ts, relative to the repository root) and calls it with `config`; the
 * entries' defaulting `main` is left out, so the bundle holds no key but the ones given.
 */
export function loaderEntrySource(entry: string, config: LoaderConfig): string {
  const spec = './' + entry.replace(/\\/g, '/').replace(/\.ts$/, '');
  const literal = JSON.stringify({
    keys: config.keys, release: config.release, allowDowngrade: config.allowDowngrade, developmentKey: config.developmentKey === true,
  });
  return [
    `import type { Hal } from './hal/index';`,
    `import { start } from ${JSON.stringify(spec)};`,
    `// Generated by tools/image/trust.ts: the keys this build trusts (flash/config.ts).`,
    `export function main(hal: Hal): void { start(hal, ${literal}); }`,
  ].join('\n');
}
