/**
 * Public keys as the loader and the staging code use them. No key is trusted by default
 * here: the trust list comes from the build (flash/config.ts `LoaderConfig.keys`, generated
 * by `npm run build -- --trust KEY.pub`). The development key's public half is here only
 * for developmentConfig() (a loader built without --trust); a loader built with --trust
 * does not contain it.
 */
import type { Crypto } from '../hal/crypto';
import { fromHex } from '../lib/bytes';
import { trustedKey } from './image';
import type { TrustedKey } from './image';
import { ED25519_PUB_SIZE } from './constants';

/** The development key (tools/image/dev-key.json): anyone can sign with it. */
export const DEV_PUBLIC_KEY = 'c8e301a812befb2fe8a01947f764a2c5959ebb5946f393ece071d2bd811b9163';

/** TrustedKey entries (with key ids) for hex public keys; malformed entries are skipped. */
export function trustedKeys(crypto: Crypto, hexKeys: string[]): TrustedKey[] {
  const out: TrustedKey[] = [];
  for (let i = 0; i < hexKeys.length; i++) {
    const k = fromHex(hexKeys[i]);
    if (k !== null && k.length === ED25519_PUB_SIZE) out.push(trustedKey(crypto, k));
  }
  return out;
}
