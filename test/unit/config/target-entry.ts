/**
 * Target-side entry of test/unit/config/target.test.ts (target code: the same subset):
 * each file (hex) goes through the sink in 512-byte chunks, model 7 (a 7960); the result
 * and the hex of its stored form come back as JSON.
 */
import { fromHex, hex } from '../../../lib/bytes';
import { ConfigSink } from '../../../firmware/config/sink';
import { encodeConfig, decodeConfig } from '../../../firmware/config/store';

export function run(input: string): string {
  const files = JSON.parse(input) as string[];
  const out: unknown[] = [];
  for (let i = 0; i < files.length; i++) {
    const b = fromHex(files[i]) as Uint8Array;
    const s = new ConfigSink('xml', { model: 7 });
    // subarray's end clamped by hand: Espruino does not clamp it.
    for (let at = 0; at < b.length; at += 512) s.write(b.subarray(at, Math.min(at + 512, b.length)), at);
    s.end(b.length);
    const r = s.result;
    out.push(r);
    if (r !== null && r.ok) {
      const e = encodeConfig(r.value);
      out.push([hex(e), decodeConfig(e) !== null]);
    } else out.push(null);
  }
  return JSON.stringify(out);
}
