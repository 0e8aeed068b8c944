import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  bytesSource, validateImage, readImageInfo, parseHeader, checkPolicy, walkTlvs, type ImageResult, type ImageInfo,
} from '../../../flash/image';
import {
  IMAGE_HEADER_SIZE, IH_VER_MINOR, IH_PAYLOAD_SIZE, IH_LOAD_ID, IH_FLAGS, TLV_INFO_SIZE, TLV_HEADER_SIZE,
  TLV_PROT_INFO_MAGIC, IMAGE_F_NON_BOOTABLE,
} from '../../../flash/constants';
import { hostCrypto, signImage } from '../../../tools/image/lib';
import { PortableCrypto } from '../../../hal/sim/crypto-portable';
import { testKey, otherKey, testTrusted, makeImage, payload } from './helpers';
import { viewOf } from '../../../lib/bytes';

function check(img: Uint8Array, slot = img.length + 4096): ImageResult<ImageInfo> {
  // The slot is larger than the image and erased beyond it, as on flash.
  const s = new Uint8Array(slot).fill(0xff);
  s.set(img.subarray(0, Math.min(img.length, slot)));
  return validateImage(bytesSource(s), hostCrypto, testTrusted, { buffer: new Uint8Array(512) });
}

function reasonOf(r: ImageResult<ImageInfo>): string {
  return r.ok ? 'ok' : r.reason;
}

/** Offsets of the TLV areas in an image made by makeImage. */
function areas(img: Uint8Array): { prot: number; unprot: number } {
  const v = viewOf(img);
  const prot = IMAGE_HEADER_SIZE + v.getUint32(IH_PAYLOAD_SIZE, true);
  return { prot, unprot: prot + v.getUint16(6, true) };
}

describe('image format', () => {
  const img = makeImage('14-1-1', { loadId: 'SIP78xx.14-1-1', version: { major: 14, minor: 1, revision: 1, build: 7 }, securityCounter: 3 });

  it('header vector: field by field, little-endian', () => {
    const h = img.subarray(0, IMAGE_HEADER_SIZE);
    expect([...h.subarray(0, 4)]).toEqual([0x44, 0x54, 0x49, 0x31]);     // magic "DTI1"
    expect([...h.subarray(4, 6)]).toEqual([64, 0]);                       // header size 64
    expect([...h.subarray(8, 12)]).toEqual([0x70, 0x17, 0, 0]);           // payload 6000
    expect([...h.subarray(12, 16)]).toEqual([0, 0, 0, 0]);                // flags
    expect([...h.subarray(16, 24)]).toEqual([14, 1, 1, 0, 7, 0, 0, 0]);   // 14.1.1+7
    expect(String.fromCharCode(...h.subarray(24, 38))).toBe('SIP78xx.14-1-1');
    expect(h[38]).toBe(0);                                                // NUL padded
  });

  it('a signed image validates with host and portable crypto alike', () => {
    const r = check(img);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.loadId).toBe('SIP78xx.14-1-1');
    expect(r.value.securityCounter).toBe(3);
    expect(r.value.buildTime).toBe(1_700_000_000);
    expect(r.value.payloadOffset).toBe(64);
    expect(r.value.payloadSize).toBe(6000);
    expect(r.value.imageSize).toBe(img.length);
    expect([...r.value.keyId]).toEqual([...testKey.keyId]);
    const p = validateImage(bytesSource(img), new PortableCrypto(), testTrusted);
    expect(p.ok).toBe(true);
  });

  it('streams with any buffer size and reports progress for the watchdog', () => {
    let calls = 0;
    const r = validateImage(bytesSource(img), hostCrypto, testTrusted, { buffer: new Uint8Array(256), onProgress: () => { calls++; } });
    expect(r.ok).toBe(true);
    expect(calls).toBe(Math.ceil((img.length - 4 - 3 * 4 - 32 - 8 - 64) / 256));
  });

  it('refuses an unsigned image (no signature area, or SHA-256 only)', () => {
    const { unprot } = areas(img);
    expect(reasonOf(check(img.subarray(0, unprot)))).toBe('bad-tlv-info');
    // SHA-256 TLV alone (the key id and signature TLVs removed, total adjusted).
    const shaOnly = img.slice(0, unprot + 4 + 36);
    viewOf(shaOnly).setUint16(unprot + 2, 40, true);
    expect(reasonOf(check(shaOnly))).toBe('tlv-missing');
  });

  it('refuses a tampered payload, header or protected TLV (hash mismatch)', () => {
    const p = img.slice(); p[IMAGE_HEADER_SIZE + 100] ^= 1;
    expect(reasonOf(check(p))).toBe('hash-mismatch');
    const h = img.slice(); h[IH_VER_MINOR] = 9;
    expect(reasonOf(check(h))).toBe('hash-mismatch');
    const { prot } = areas(img);
    const t = img.slice(); t[prot + TLV_INFO_SIZE + TLV_HEADER_SIZE + 14 + TLV_HEADER_SIZE] = 0; // security counter 3 -> 0
    expect(reasonOf(check(t))).toBe('hash-mismatch');
    const id = img.slice(); id[IH_LOAD_ID + 3] = 0x39;                // header load ID no longer the protected one
    expect(reasonOf(check(id))).toBe('load-id-mismatch');
  });

  it('refuses a truncated image', () => {
    // Cut mid-payload: erased flash where the protected TLVs should be.
    expect(reasonOf(check(img.subarray(0, 3000)))).toBe('bad-tlv-info');
    // Cut inside the signature: its last bytes read erased.
    expect(reasonOf(check(img.subarray(0, img.length - 10)))).toBe('bad-signature');
    // Truncated to less than the slot needs: the source ends before the TLVs.
    const r = validateImage(bytesSource(img.subarray(0, 4000)), hostCrypto, testTrusted);
    expect(reasonOf(r)).toBe('oversized');
    expect(reasonOf(check(new Uint8Array(0)))).toBe('empty');
  });

  it('refuses an image larger than its slot, at signing and at boot', () => {
    expect(() => signImage(payload('big', 5000), testKey, { loadId: 'X.1', maxImageSize: 5000 })).toThrow(/exceeds the largest image/);
    const r = validateImage(bytesSource(img.subarray(0, img.length - 1)), hostCrypto, testTrusted);
    expect(reasonOf(r)).toBe('oversized');
    const huge = img.slice(); viewOf(huge).setUint32(IH_PAYLOAD_SIZE, 0xfffffff0, true);
    expect(reasonOf(check(huge))).toBe('oversized');
  });

  it('refuses a wrong key and a forged signature', () => {
    const other = makeImage('14-1-1', {}, 6000, otherKey);
    expect(reasonOf(check(other))).toBe('unknown-key');
    const forged = img.slice(); forged[img.length - 1] ^= 0x40;
    expect(reasonOf(check(forged))).toBe('bad-signature');
    // Right key id, signature by another key.
    const swapped = img.slice();
    swapped.set(other.subarray(other.length - 64), img.length - 64);
    expect(reasonOf(check(swapped))).toBe('bad-signature');
  });

  it('refuses TLV lengths that point out of bounds, unknown types and duplicates', () => {
    const { prot, unprot } = areas(img);
    const a = img.slice(); viewOf(a).setUint16(prot + TLV_INFO_SIZE + 2, 0xfff0, true);      // load ID length
    expect(reasonOf(check(a))).toBe('tlv-bounds');
    const b = img.slice(); viewOf(b).setUint16(unprot + TLV_INFO_SIZE + 2, 200, true);       // SHA-256 length
    expect(reasonOf(check(b))).toBe('tlv-bounds');
    const c = img.slice(); viewOf(c).setUint16(unprot + 2, 0xffff, true);                    // area total
    expect(reasonOf(check(c))).toBe('bad-tlv-info');
    const d = img.slice(); viewOf(d).setUint16(unprot + TLV_INFO_SIZE + 36, 0x99, true);      // key id -> unknown type
    expect(reasonOf(check(d))).toBe('tlv-unknown');
    const e = img.slice(); viewOf(e).setUint16(unprot + TLV_INFO_SIZE + 36, 0x10, true);      // key id -> 2nd SHA-256 (len 8)
    expect(reasonOf(check(e))).toBe('tlv-duplicate');
    const f = img.slice(); viewOf(f).setUint16(prot, TLV_PROT_INFO_MAGIC + 1, true);
    expect(reasonOf(check(f))).toBe('bad-tlv-info');
  });

  it('walkTlvs checks the header of a TLV before reading it', () => {
    const area = new Uint8Array([0x08, 0x74, 6, 0, 0x50, 0x00]);  // info + 2 bytes of a TLV header
    const r = walkTlvs(area, 6, 0x7408, () => null);
    expect(r?.reason).toBe('tlv-bounds');
  });

  it('policy: non-bootable flag and the security floor, with the development override', () => {
    const r = check(img);
    if (!r.ok) throw new Error('fixture');
    expect(checkPolicy(r.value, 3, false).ok).toBe(true);
    expect(checkPolicy(r.value, 4, false)).toMatchObject({ ok: false, reason: 'downgrade', error: 'refused' });
    expect(checkPolicy(r.value, 4, true).ok).toBe(true);
    const nb = makeImage('nb', { flags: IMAGE_F_NON_BOOTABLE });
    const n = check(nb);
    expect(n.ok && checkPolicy(n.value, 0, true)).toMatchObject({ ok: false, reason: 'not-bootable' });
    const uf = img.slice(); uf[IH_FLAGS] = 1;
    expect(parseHeader(uf)).toMatchObject({ ok: false, reason: 'bad-header' });
  });

  it('policy: no version below the confirmed image\'s (major, minor, revision; the build number does not count)', () => {
    const r = check(makeImage('v', { version: { major: 2, minor: 3, revision: 4, build: 1 } }));
    if (!r.ok) throw new Error('fixture');
    const v = (major: number, minor: number, revision: number, build = 0) => ({ major, minor, revision, build });
    for (const same of [v(2, 3, 4), v(2, 3, 4, 9), v(2, 3, 3), v(1, 9, 9)]) expect(checkPolicy(r.value, 0, false, same).ok).toBe(true);
    for (const newer of [v(2, 3, 5), v(2, 4, 0), v(3, 0, 0)]) {
      expect(checkPolicy(r.value, 0, false, newer)).toMatchObject({ ok: false, reason: 'downgrade', detail: expect.stringMatching(/version 2\.3\.4\+1 is below the confirmed image's/) });
      expect(checkPolicy(r.value, 0, true, newer).ok).toBe(true);
    }
    expect(checkPolicy(r.value, 0, false, null).ok).toBe(true);
  });

  it('fuzz: mutated images never throw and never validate', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(img.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }),
      (muts) => {
        const m = img.slice();
        for (const [at, x] of muts) m[at] ^= x;
        expect(check(m).ok).toBe(false);
        readImageInfo(bytesSource(m));
      }), { numRuns: 300, seed: 5 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      expect(check(bytes).ok).toBe(false);
    }), { numRuns: 300, seed: 6 });
  });
});
