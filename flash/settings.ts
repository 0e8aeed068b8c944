/**
 * The firmware's settings, typed, over the preferences store (flash/prefs.ts). Keys and
 * value formats are in flash/constants.ts (KEY_*). A value that does not decode (wrong
 * length or format byte) reads as absent: the caller falls back to its default, as the
 * boot sequence does for any bad stored input. Addresses are IPv4 numbers (host order).
 *
 * The security counter kept here is the firmware's record of the highest counter it has
 * accepted (it refuses to download lower loads); the loader enforces its own floor from
 * the boot state (flash/bootstate.ts), which the firmware raises when it confirms an image.
 */
import { ok, fail } from '../lib/result';
import type { Result } from '../lib/result';
import { viewOf } from '../lib/bytes';
import type { PrefsStore } from './prefs';
import { SETTING_FORMAT, KEY_TRUST_LIST, KEY_LAST_CONFIG, KEY_SECURITY_COUNTER, KEY_NETWORK } from './constants';

function u32s(format: number, flags: number, values: number[], withFlags: boolean): Uint8Array {
  const head = withFlags ? 2 : 1;
  const b = new Uint8Array(head + 4 * values.length);
  b[0] = format;
  if (withFlags) b[1] = flags;
  const v = viewOf(b);
  for (let i = 0; i < values.length; i++) v.setUint32(head + 4 * i, values[i] >>> 0, true);
  return b;
}

/** The u32 fields of a stored value, or null when its length or format is wrong. */
function readU32s(b: Uint8Array | null, count: number, withFlags: boolean): number[] | null {
  const head = withFlags ? 2 : 1;
  if (b === null || b.length !== head + 4 * count || b[0] !== SETTING_FORMAT) return null;
  const v = viewOf(b);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(v.getUint32(head + 4 * i, true));
  return out;
}

export class Settings {
  readonly store: PrefsStore;

  constructor(store: PrefsStore) {
    this.store = store;
  }

  getTrustList(): Uint8Array | null {
    return this.store.get(KEY_TRUST_LIST);
  }
  setTrustList(bytes: Uint8Array | null): Result<boolean> {
    if (bytes === null) return this.store.remove(KEY_TRUST_LIST);
    return this.store.set(KEY_TRUST_LIST, bytes);
  }

  getLastConfig(): Uint8Array | null {
    return this.store.get(KEY_LAST_CONFIG);
  }
  setLastConfig(bytes: Uint8Array): Result<boolean> {
    return this.store.set(KEY_LAST_CONFIG, bytes);
  }

  /** The highest security counter accepted so far (0 when never set). */
  getSecurityCounter(): number {
    const f = readU32s(this.store.get(KEY_SECURITY_COUNTER), 1, false);
    return f === null ? 0 : f[0];
  }
  /** Raise the counter; a lower value is refused (it only goes up). */
  setSecurityCounter(n: number): Result<boolean> {
    if (n !== Math.floor(n) || n < 0 || n > 0xffffffff) return fail('malformed', 'security counter must be a u32');
    if (n < this.getSecurityCounter()) return fail('refused', 'security counter only goes up');
    if (n === this.getSecurityCounter() && this.store.has(KEY_SECURITY_COUNTER)) return ok(true);
    return this.store.set(KEY_SECURITY_COUNTER, u32s(SETTING_FORMAT, 0, [n], false));
  }

  /** The firmware's network settings as firmware/netconfig.ts encodes them (flash does not
   *  interpret them: the loader never needs them), or null when unset. */
  getNetwork(): Uint8Array | null {
    return this.store.get(KEY_NETWORK);
  }
  setNetwork(bytes: Uint8Array): Result<boolean> {
    return this.store.set(KEY_NETWORK, bytes);
  }
}
