/**
 * The public keys the loader (and the firmware's staging) trust, as hex. The default is the
 * development key whose private half is tools/image/dev-key.json: a fresh checkout can
 * sign and boot. A production build replaces this list with its own keys (the build can
 * swap this module, or pass `keys` to the loader options).
 */
import type { Crypto } from '../hal/crypto';
import { fromHex } from '../lib/bytes';
import { trustedKey } from './image';
import type { TrustedKey } from './image';
import { ED25519_PUB_SIZE } from './constants';

export const TRUSTED_PUBLIC_KEYS: string[] = [
  // Development key (tools/image/dev-key.json).
  'c8e301a812befb2fe8a01947f764a2c5959ebb5946f393ece071d2bd811b9163',
];

/** TrustedKey entries (with key ids) for hex public keys; malformed entries are skipped. */
export function trustedKeys(crypto: Crypto, hexKeys?: string[]): TrustedKey[] {
  const list = hexKeys !== undefined ? hexKeys : TRUSTED_PUBLIC_KEYS;
  const out: TrustedKey[] = [];
  for (let i = 0; i < list.length; i++) {
    const k = fromHex(list[i]);
    if (k !== null && k.length === ED25519_PUB_SIZE) out.push(trustedKey(crypto, k));
  }
  return out;
}
