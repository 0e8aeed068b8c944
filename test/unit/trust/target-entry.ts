/**
 * The guest side of test/unit/trust/target.test.ts (also run natively for the expected
 * output): install the given lists in order, check a signed file, look up a peer; the
 * outcome as JSON. Target code only, plus the crypto the caller passes in.
 */
import type { Crypto } from '../../../hal/crypto';
import { listSink, signedSink } from '../../../firmware/trust/sink';
import type { TrustSink } from '../../../firmware/trust/sink';
import { TrustStore, slotOf, refusal, encodeStore } from '../../../firmware/trust/store';
import { fromHex, hex } from '../../../lib/bytes';

function feed(s: TrustSink, b: Uint8Array): void {
  for (let o = 0; o < b.length; o += 516) {
    if (!s.write(b.subarray(o, Math.min(b.length, o + 516)), o)) break;
  }
  s.end(b.length);
}

/** input: JSON {lists: [[name, hex]], sgn: hex, peer: hex}. */
export function runWith(crypto: Crypto, input: string): string {
  const j = JSON.parse(input) as { lists: string[][]; sgn: string; peer: string };
  const store = new TrustStore(crypto);
  const out: string[] = [];
  for (let i = 0; i < j.lists.length; i++) {
    const s = listSink(crypto);
    feed(s, fromHex(j.lists[i][1]) as Uint8Array);
    const r = s.result;
    if (r === null || !r.ok) { out.push(j.lists[i][0] + ' ' + (r === null ? 'none' : r.error)); continue; }
    const o = store.offer(slotOf(j.lists[i][0]), r.value);
    if (!o.ok) { out.push(j.lists[i][0] + ' refused: ' + refusal(o)); continue; }
    store.commit(o.value);
    out.push(j.lists[i][0] + ' ' + o.value.status + ' ' + hex(r.value.digest));
  }
  let text = '';
  let ended = -1;
  const next = {
    write: function (d: Uint8Array, off: number): boolean { for (let i = 0; i < d.length; i++) text += String.fromCharCode(d[i]); return off >= 0; },
    end: function (n: number): void { ended = n; },
    abort: function (reason: string): void { text = 'aborted ' + reason; },
  };
  const g = signedSink(crypto, store, next);
  feed(g, fromHex(j.sgn) as Uint8Array);
  out.push('sgn ' + (g.result !== null && g.result.ok ? 'ok' : 'refused') + ' ' + ended + ' ' + text);
  const p = store.peer(fromHex(j.peer) as Uint8Array);
  out.push('peer ' + (p === null ? 'none' : p.cn + ' ' + p.role));
  const enc = encodeStore(store.entries);
  out.push('store ' + (enc.ok ? hex(enc.value) : enc.error));
  return out.join('\n');
}
