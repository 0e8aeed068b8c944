/**
 * Shared by the trust tests: the real ITL, feeding a sink in chunks as TFTP would, and a
 * store holding what a phone would hold after installing some lists.
 */
import { readFileSync } from 'node:fs';
import { HostCrypto } from '../../../hal/sim/crypto-host';
import { haveFixtures, fixture } from '../../fixtures';
import { listSink, type TrustSink } from '../../../firmware/trust/sink';
import { TrustStore, type TrustList } from '../../../firmware/trust/store';
import type { Result } from '../../../lib/result';

export const crypto = new HostCrypto();
export const ITL_NAME = 'csptechnologies__ITLFile.tlv';
export { haveFixtures };

export function realItl(): Uint8Array {
  return new Uint8Array(readFileSync(fixture(ITL_NAME)));
}

/** Write `bytes` into `sink` in `chunk`-byte blocks (the last one short), then end(). */
export function feed(sink: TrustSink, bytes: Uint8Array, chunk = 512): TrustSink {
  for (let o = 0; o < bytes.length; o += chunk) {
    if (!sink.write(bytes.subarray(o, Math.min(bytes.length, o + chunk)), o)) break;
  }
  sink.end(bytes.length);
  return sink;
}

export function parseList(bytes: Uint8Array, chunk = 512): Result<TrustList> {
  return feed(listSink(crypto), bytes, chunk).result!;
}

export function mustList(bytes: Uint8Array): TrustList {
  const r = parseList(bytes);
  if (!r.ok) throw new Error(`${r.error}: ${r.detail}`);
  return r.value;
}

/** A store that installed `lists` (slot, bytes) in order; throws on a refusal. */
export function storeWith(lists: [number, Uint8Array][]): TrustStore {
  const s = new TrustStore(crypto);
  for (const [slot, bytes] of lists) {
    const o = s.offer(slot, mustList(bytes));
    if (!o.ok) throw new Error(`${o.error}: ${o.detail}`);
    s.commit(o.value);
  }
  return s;
}
