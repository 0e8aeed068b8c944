/**
 * What the loader reads from flash, under the shared property (test/fuzz/property.ts):
 * the image header, the image with its TLV areas (read, and verified with the development
 * key), a boot-state record and the preferences region. Parse never throws on arbitrary or
 * mutated bytes, a failure is a typed error (an image refusal also names a known reason),
 * and a success re-emits to the same value. A verified image is, moreover, byte for byte one
 * that was signed: no mutation of the hashed bytes validates.
 */
import fc from 'fast-check';
import {
  parseHeader, emitHeader, readImageInfo, validateImage, bytesSource, emitProtectedArea, emitUnprotectedArea,
  protectedAreaSize, UNPROTECTED_AREA_SIZE, trustedKey, type ImageHeader, type ImageInfo, type ImageFail,
} from '../../../flash/image';
import { decodeBootRecord, encodeBootRecord, type BootState } from '../../../flash/bootstate';
import { PrefsStore } from '../../../flash/prefs';
import type { FlashLayout } from '../../../flash/layout';
import {
  IMAGE_HEADER_SIZE, IMAGE_F_NON_BOOTABLE, LOAD_ID_MAX, TLV_INFO_SIZE, TLV_PROT_MAX, BS_RECORD_SIZE, BS_CRC_OFF, SLOT_NONE, PP_MAGIC, PP_CRC_OFF,
  PR_HEADER_SIZE, PR_CRC_OFF, PR_KEYLEN_OFF, PR_VALLEN_OFF, PR_MAGIC,
} from '../../../flash/constants';
import { SimFlash } from '../../../hal/sim/flash';
import { crc32 } from '../../../lib/crc';
import { ok, fail, type Fail, type Result } from '../../../lib/result';
import { asciiBytes, bytesToAscii } from '../../../lib/bytes';
import { signImage, devKey, hostCrypto } from '../../../tools/image/lib';
import { fuzzCodec, hexOf, type Codec } from '../property';

// ---------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------

/** Every ImageFault (flash/image.ts): a refusal must name one of them. */
const IMAGE_FAULTS = ['read', 'empty', 'bad-magic', 'bad-header', 'oversized', 'bad-tlv-info', 'tlv-bounds', 'tlv-unknown',
  'tlv-duplicate', 'tlv-missing', 'tlv-value', 'load-id-mismatch', 'hash-mismatch', 'unknown-key', 'bad-signature',
  'downgrade', 'not-bootable'];
const IMAGE_ERRORS = ['truncated', 'malformed', 'unsupported', 'too-large', 'checksum', 'signature'];

function checkImageFail(f: Fail): void {
  const reason = (f as ImageFail).reason;
  if (!IMAGE_FAULTS.includes(reason)) throw new Error(`image refusal without a known reason: ${reason} (${f.detail})`);
  if (!f.detail.startsWith(reason + ': ')) throw new Error(`image refusal detail does not start with its reason: ${f.detail}`);
}

const KEY = devKey();
const TRUSTED = [trustedKey(hostCrypto, KEY.publicKey)];

function payloadOf(n: number, salt: number): Uint8Array {
  const p = new Uint8Array(n);
  for (let i = 0; i < n; i++) p[i] = (i * 31 + salt) & 255;
  return p;
}

// Small images so a run hashes little; one non-bootable, one with a 1-byte payload.
const IMAGES = [
  signImage(payloadOf(200, 1), KEY, { loadId: 'SIP78xx.fuzz-a', version: { major: 1, minor: 2, revision: 3, build: 4 }, securityCounter: 7, buildTime: 1_700_000_000 }),
  signImage(payloadOf(1, 2), KEY, { loadId: 'x', version: { major: 0, minor: 0, revision: 0, build: 0 }, securityCounter: 0, buildTime: 0 }),
  signImage(payloadOf(64, 3), KEY, { loadId: 'SIP78xx.fuzz-c.loads', securityCounter: 0xffffffff, buildTime: 2 ** 40, flags: IMAGE_F_NON_BOOTABLE }),
];
/** The signed bytes (header + payload + protected area) of each seed image. */
const SIGNED = IMAGES.map((img) => {
  const i = readImageInfo(bytesSource(img));
  if (!i.ok) throw new Error(i.detail);
  return hexOf(img.subarray(0, i.value.header.hdrSize + i.value.payloadSize + i.value.header.protTlvSize), 1 << 20);
});

/** emitHeader writes the header this version makes: hdrSize is always IMAGE_HEADER_SIZE. */
function headerSame(h: ImageHeader): unknown {
  return { ...h, hdrSize: IMAGE_HEADER_SIZE };
}

const headerCodec: Codec<ImageHeader> = {
  name: 'image header', parse: parseHeader, errors: IMAGE_ERRORS, checkFail: checkImageFail, maxLength: 128,
  emit: (h) => {
    const b = new Uint8Array(IMAGE_HEADER_SIZE).fill(0xa5);
    if (emitHeader(h, b, 0) !== IMAGE_HEADER_SIZE) throw new Error('emitHeader length');
    return b;
  },
  same: headerSame,
  seeds: IMAGES.map((i) => i.slice(0, IMAGE_HEADER_SIZE)),
  truncated: 'truncated',
  reprs: fc.record({
    hdrSize: fc.constant(IMAGE_HEADER_SIZE), protTlvSize: fc.integer({ min: TLV_INFO_SIZE, max: TLV_PROT_MAX }),
    payloadSize: fc.integer({ min: 1, max: 0xffffffff }), flags: fc.constantFrom(0, IMAGE_F_NON_BOOTABLE),
    version: fc.record({ major: fc.nat(255), minor: fc.nat(255), revision: fc.nat(0xffff), build: fc.nat({ max: 0xffffffff }) }),
    loadId: fc.string({ minLength: 1, maxLength: LOAD_ID_MAX, unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)) }),
  }),
};

/** An image as read: what readImageInfo reports, and the payload bytes it points at. */
interface ImageRead { info: ImageInfo; payload: Uint8Array }

function readImage(b: Uint8Array, verify: boolean): Result<ImageRead> {
  const r = verify ? validateImage(bytesSource(b), hostCrypto, TRUSTED) : readImageInfo(bytesSource(b));
  if (!r.ok) return r;
  return ok({ info: r.value, payload: b.slice(r.value.payloadOffset, r.value.payloadOffset + r.value.payloadSize) });
}

/** The image bytes for what was read: header, payload, protected area, unprotected area. */
function emitImage(r: ImageRead): Uint8Array {
  const i = r.info;
  const p = { loadId: i.loadId, securityCounter: i.securityCounter, buildTime: i.buildTime };
  const out = new Uint8Array(IMAGE_HEADER_SIZE + r.payload.length + protectedAreaSize(p) + UNPROTECTED_AREA_SIZE).fill(0xa5);
  let at = emitHeader(i.header, out, 0);
  out.set(r.payload, at);
  at += r.payload.length;
  at += emitProtectedArea(p, out, at);
  at += emitUnprotectedArea(i.hash, i.keyId, i.signature, out, at);
  if (at !== out.length) throw new Error(`image emit wrote ${at} of ${out.length} bytes`);
  return out;
}

/** Where the payload sits and the total size follow the header size, which emit normalises. */
function imageSame(r: ImageRead): unknown {
  const { payloadOffset: _o, imageSize: _s, header, ...rest } = r.info;
  return { info: { ...rest, header: headerSame(header) }, payload: r.payload };
}

const imageCodec: Codec<ImageRead> = {
  name: 'image (header and TLV areas)', parse: (b) => readImage(b, false), errors: IMAGE_ERRORS,
  checkFail: checkImageFail, emit: emitImage, same: imageSame, seeds: IMAGES, maxLength: 600,
};

const verifiedCodec: Codec<ImageRead> = {
  ...imageCodec, name: 'image (verified with the development key)', parse: (b) => readImage(b, true),
  checkOk: (r, input) => {
    const signed = hexOf(input.subarray(0, r.info.header.hdrSize + r.info.payloadSize + r.info.header.protTlvSize), 1 << 20);
    if (!SIGNED.includes(signed)) throw new Error(`an image validated whose signed bytes were never signed: ${hexOf(input)}`);
  },
};

fuzzCodec(headerCodec, 0x1a60);
fuzzCodec(imageCodec, 0x1a70);
fuzzCodec(verifiedCodec, 0x1a80);

// ---------------------------------------------------------------------------------------
// Boot-state records
// ---------------------------------------------------------------------------------------

function repairBootRecord(b: Uint8Array): void {
  if (b.length < BS_RECORD_SIZE) return;
  const c = crc32(b, 0, BS_CRC_OFF);
  b[BS_CRC_OFF] = c & 255;
  b[BS_CRC_OFF + 1] = (c >>> 8) & 255;
  b[BS_CRC_OFF + 2] = (c >>> 16) & 255;
  b[BS_CRC_OFF + 3] = c >>> 24;
}

function encodeRecord(s: BootState): Uint8Array {
  const b = new Uint8Array(BS_RECORD_SIZE);
  encodeBootRecord(s, b);
  return b;
}

const slot = fc.constantFrom(0, 1, SLOT_NONE);
const u32 = fc.integer({ min: 0, max: 0xffffffff });

/** decodeBootRecord says null for blank, torn or corrupt; the adapter makes that its one error. */
const bootRecordCodec: Codec<BootState> = {
  name: 'boot-state record',
  parse: (b) => {
    const s = decodeBootRecord(b);
    return s === null ? fail('malformed', 'no valid boot-state record (blank, torn or corrupt)') : ok(s);
  },
  errors: ['malformed'], emit: encodeRecord, maxLength: 48, repair: repairBootRecord,
  // The record's integrity contract: it decodes only when its CRC-32 checks and its slot bytes are valid.
  checkOk: (s, input) => {
    for (const x of [s.confirmed, s.pending]) if (x !== 0 && x !== 1 && x !== SLOT_NONE) throw new Error(`slot byte ${x} decoded`);
    const stored = (input[BS_CRC_OFF] | (input[BS_CRC_OFF + 1] << 8) | (input[BS_CRC_OFF + 2] << 16) | (input[BS_CRC_OFF + 3] << 24)) >>> 0;
    if (stored !== crc32(input, 0, BS_CRC_OFF)) throw new Error(`a record with a bad CRC decoded: ${hexOf(input)}`);
  },
  seeds: [
    { seq: 1, confirmed: 0, pending: SLOT_NONE, tried: false, devDowngrade: false, securityFloor: 0 },
    { seq: 0x12345, confirmed: 0, pending: 1, tried: true, devDowngrade: false, securityFloor: 7 },
    { seq: 0xffffffff, confirmed: SLOT_NONE, pending: SLOT_NONE, tried: false, devDowngrade: true, securityFloor: 0xffffffff },
  ].map(encodeRecord),
  reprs: fc.record({ seq: u32, confirmed: slot, pending: slot, tried: fc.boolean(), devDowngrade: fc.boolean(), securityFloor: u32 }),
};

fuzzCodec(bootRecordCodec, 0xb057);

// ---------------------------------------------------------------------------------------
// The preferences region
// ---------------------------------------------------------------------------------------

// A small ring: 3 pages of one 1 KiB sector, 4-byte program unit (the store only uses the
// layout's prefs fields, so the region is the whole simulated flash).
const GEOMETRY = { size: 3 * 1024, sectorSize: 1024, writeAlign: 4 };
const LAYOUT = { geometry: GEOMETRY, prefs: { offset: 0, size: GEOMETRY.size }, prefsPages: 3, prefsPageSectors: 1 } as unknown as FlashLayout;
const PAGE = 1024;
const DATA_START = 20; // header (16) and the complete word, each rounded to the unit

/** What a mount reads: the live keys, in index order, with their values. */
type Prefs = Array<[string, Uint8Array]>;

function mountRegion(b: Uint8Array): { store: PrefsStore; flash: SimFlash; mounted: Result<unknown> } {
  const flash = new SimFlash(GEOMETRY, { contents: b.length === GEOMETRY.size ? b : resize(b) });
  const store = new PrefsStore(flash, LAYOUT);
  return { store, flash, mounted: store.mount() };
}

/** Mutations may change the length: the region is always the flash's size. */
function resize(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(GEOMETRY.size).fill(0xff);
  out.set(b.subarray(0, GEOMETRY.size));
  return out;
}

function readPrefs(b: Uint8Array): Result<Prefs> {
  const { store, mounted } = mountRegion(b);
  if (!mounted.ok) return mounted as Fail;
  const out: Prefs = [];
  for (const k of store.keys()) {
    const v = store.get(k);
    if (v === null) return fail('malformed', `key ${k} listed but unreadable`);
    out.push([k, v]);
  }
  return ok(out);
}

function writePrefs(p: Prefs): Uint8Array {
  const flash = new SimFlash(GEOMETRY);
  const store = new PrefsStore(flash, LAYOUT);
  const m = store.mount();
  if (!m.ok) throw new Error(m.detail);
  for (const [k, v] of p) {
    const r = store.set(k, v);
    if (!r.ok) throw new Error(`set ${k}: ${r.detail}`);
  }
  return flash.snapshot();
}

/** Fix the page-header and record CRCs of a mutated region, so the walk sees the mutation. */
function repairPrefs(b: Uint8Array): void {
  for (let p = 0; p + PAGE <= b.length; p += PAGE) {
    if (readU32le(b, p) !== PP_MAGIC) continue;
    writeU32le(b, p + PP_CRC_OFF, crc32(b, p, p + PP_CRC_OFF));
    let at = p + DATA_START;
    while (at + PR_HEADER_SIZE <= p + PAGE && (b[at] | (b[at + 1] << 8)) === PR_MAGIC) {
      const kl = b[at + PR_KEYLEN_OFF];
      const vl = readU32le(b, at + PR_VALLEN_OFF);
      const end = at + PR_HEADER_SIZE + kl + vl;
      if (end > p + PAGE) break;
      let c = crc32(b, at, at + PR_CRC_OFF);
      c = crc32(b, at + PR_HEADER_SIZE, end, c);
      writeU32le(b, at + PR_CRC_OFF, c);
      at += Math.ceil((end - at) / 4) * 4;
    }
  }
}

function readU32le(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

function writeU32le(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 255;
  b[at + 1] = (v >>> 8) & 255;
  b[at + 2] = (v >>> 16) & 255;
  b[at + 3] = v >>> 24;
}

/** Seeds: a region with replaced and removed keys, and one mid-way through a page change. */
function seedRegions(): Uint8Array[] {
  const flash = new SimFlash(GEOMETRY);
  const store = new PrefsStore(flash, LAYOUT);
  store.mount();
  store.set('net', asciiBytes('dhcp;vlan=0'));
  store.set('lease', payloadOf(40, 9));
  store.set('boot.floor', new Uint8Array([0, 0, 0, 7]));
  store.set('net', asciiBytes('static;10.0.0.5/24'));
  store.remove('lease');
  const first = flash.snapshot();
  for (let i = 0; i < 12; i++) store.set('counter', new Uint8Array([i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i]));
  return [first, flash.snapshot()];
}

const key = fc.string({ minLength: 1, maxLength: 12, unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)) });

const prefsCodec: Codec<Prefs> = {
  name: 'preferences region', parse: readPrefs, errors: ['malformed', 'too-large'], emit: writePrefs,
  maxLength: GEOMETRY.size, seeds: seedRegions(), repair: repairPrefs,
  // Whatever the region held, a write after the mount is acknowledged and read back after a remount.
  checkOk: (_p, input) => {
    const { store, flash } = mountRegion(input);
    const v = asciiBytes('fuzz-' + input.length);
    const w = store.set('fuzz.ack', v);
    if (!w.ok) {
      if (w.error !== 'too-large') throw new Error(`set after a good mount failed: ${w.error}: ${w.detail}`);
      return;
    }
    const again = new PrefsStore(flash, LAYOUT);
    const got = again.get('fuzz.ack');
    if (got === null || bytesToAscii(got) !== bytesToAscii(v)) throw new Error('an acknowledged write was lost after a remount');
  },
  reprs: fc.uniqueArray(fc.tuple(key, fc.uint8Array({ maxLength: 40 })), { maxLength: 10, selector: (e) => e[0] }),
};

fuzzCodec(prefsCodec, 0x9e75);
