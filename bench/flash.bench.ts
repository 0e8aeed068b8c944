/**
 * Flash figures (`npm run bench`): image verification throughput with native (node:crypto)
 * and portable (@noble) crypto side by side, erase counts per sector for staging one image,
 * and the number of cut points the power-cut sweep tries.
 */
import { SimFlash } from '../hal/sim/flash';
import { HostCrypto } from '../hal/sim/crypto-host';
import { PortableCrypto } from '../hal/sim/crypto-portable';
import type { Crypto } from '../hal/crypto';
import { computeLayout } from '../flash/layout';
import { flashSource, validateImage, trustedKey } from '../flash/image';
import { BootStateStore } from '../flash/bootstate';
import { beginStaging } from '../flash/stage';
import { signImage, devKey } from '../tools/image/lib';
import { scenarios, sweep, MODES } from '../test/sim/flash/sweep';

type Figure = { figure: string; ours: string | number; reference?: string | number; unit: string; note?: string };

export async function bench(): Promise<Figure[]> {
  const lay = computeLayout({ size: 4 * 1024 * 1024, sectorSize: 4096, writeAlign: 4 });
  if (!lay.ok) throw new Error(lay.detail);
  const layout = lay.value;
  const key = devKey();
  const size = 1024 * 1024;
  const fw = new Uint8Array(size).map((_, i) => (i * 2654435761) >>> 24);
  const image = signImage(fw, key, { loadId: 'SIP78xx.bench', buildTime: 1, maxImageSize: layout.maxImageSize });

  // Stage it (512-byte chunks, as TFTP blocks arrive) and count erases per slot sector.
  const flash = new SimFlash({ size: 4 * 1024 * 1024, sectorSize: 4096, writeAlign: 4 });
  const st = beginStaging(flash, layout, new BootStateStore(flash, layout), { totalLength: image.length });
  if (!st.ok) throw new Error(st.detail);
  for (let i = 0; i < image.length; i += 512) st.value.write(image.subarray(i, i + 512));
  st.value.finish();
  const slot = layout.slots[st.value.slot];
  const first = slot.offset / 4096;
  const used = Math.ceil(image.length / 4096);
  const counts = [...flash.eraseCounts()].slice(first, first + slot.size / 4096);
  const inImage = counts.slice(0, used);

  const figures: Figure[] = [];
  for (const [name, crypto] of [['native (node:crypto)', new HostCrypto()], ['portable (@noble)', new PortableCrypto()]] as Array<[string, Crypto]>) {
    const keys = [trustedKey(crypto, key.publicKey)];
    const src = flashSource(flash, slot.offset, slot.size);
    const buffer = new Uint8Array(4096);
    validateImage(src, crypto, keys, { buffer }); // warm up
    const runs = 5;
    const t0 = performance.now();
    for (let r = 0; r < runs; r++) {
      const v = validateImage(src, crypto, keys, { buffer });
      if (!v.ok) throw new Error(v.detail);
    }
    const ms = (performance.now() - t0) / runs;
    figures.push({ figure: `verify 1 MiB image, ${name}`, ours: +(image.length / 1024 / 1024 / (ms / 1000)).toFixed(1), unit: 'MiB/s', note: `${ms.toFixed(1)} ms per verify, 4 KiB buffer` });
  }
  figures.push({
    figure: 'erases per image sector when staging one image',
    ours: `min ${Math.min(...inImage)} / max ${Math.max(...inImage)}`, reference: 'goal 1', unit: 'erases',
    note: `${used} sectors for ${image.length} bytes; ${counts.slice(used).reduce((a, b) => a + b, 0)} erases in the rest of the slot`,
  });
  let single = 0;
  let double = 0;
  const pairs = new Set<string>();
  const all = scenarios();
  for (const s of all) {
    const r = sweep(s);
    single += r.single;
    double += r.double;
    for (const k of Object.keys(r.pairs)) pairs.add(k);
  }
  figures.push({
    figure: 'power-cut sweep cut points tried', ours: single + double, unit: 'cuts',
    note: `${all.length} scenarios (test/sim/flash/sweep.ts); ${single} single cuts in ${MODES.length} modes (${MODES.join('/')}), ` +
      `${double} double cuts in ${pairs.size} of ${MODES.length * MODES.length} mode pairs`,
  });
  return figures;
}
