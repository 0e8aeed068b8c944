/**
 * The signed image format (shaped after MCUboot's, constants in flash/constants.ts):
 *
 *   header (hdrSize bytes, IMAGE_HEADER_SIZE written)
 *     magic u32 | hdrSize u16 | protTlvSize u16 | payloadSize u32 | flags u32 |
 *     version {major u8, minor u8, revision u16, build u32} | loadId[32] | reserved[8]
 *   payload (payloadSize bytes: the firmware bundle, started with hal.system.startImage)
 *   protected TLV area   {u16 TLV_PROT_INFO_MAGIC, u16 total} LOAD_ID, SEC_CNT, BUILD_TIME
 *   unprotected TLV area {u16 TLV_INFO_MAGIC, u16 total} SHA256, KEYID, ED25519
 *
 * SHA-256 covers header + payload + the protected area (info header included); the Ed25519
 * signature is over that 32-byte digest; KEYID (first 8 bytes of SHA-256 of the public key)
 * picks the key.
 *
 * Validation fails closed: every check starts failed and an image is valid only when every
 * required TLV was seen exactly once and every check passed. TLV lengths come straight from
 * flash and are attacker-controlled (a crafted image, a torn write): every length is checked
 * against the area it sits in before the bytes are read. Only allow-listed types may appear,
 * each in its own area. Parse and validate functions return a typed result and never throw.
 * The streaming validator reads flash through one caller-sized buffer (a sector at most).
 */
import type { Crypto } from '../hal/crypto';
import type { NorFlash } from '../hal/flash';
import { FLASH_OK } from '../hal/flash';
import { ok } from '../lib/result';
import type { Ok, Fail, ErrorCode } from '../lib/result';
import { viewOf, bytesEqual } from '../lib/bytes';
import {
  IMAGE_MAGIC, IMAGE_HEADER_SIZE, IMAGE_HEADER_MAX, IH_MAGIC, IH_HDR_SIZE, IH_PROT_TLV_SIZE,
  IH_PAYLOAD_SIZE, IH_FLAGS, IH_VER_MAJOR, IH_VER_MINOR, IH_VER_REVISION, IH_VER_BUILD,
  IH_LOAD_ID, LOAD_ID_MAX, IMAGE_F_KNOWN, IMAGE_F_NON_BOOTABLE, TLV_INFO_SIZE,
  TLV_PROT_INFO_MAGIC, TLV_INFO_MAGIC, TLV_HEADER_SIZE, TLV_PROT_MAX, TLV_UNPROT_MAX,
  TLV_KEYID, TLV_SHA256, TLV_ED25519, TLV_SEC_CNT, TLV_LOAD_ID, TLV_BUILD_TIME, KEY_ID_SIZE,
  SHA256_SIZE, ED25519_SIG_SIZE, ED25519_PUB_SIZE,
} from './constants';

// ---------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------

export interface ImageVersion {
  major: number;
  minor: number;
  revision: number;
  build: number;
}

export interface ImageHeader {
  hdrSize: number;
  protTlvSize: number;
  payloadSize: number;
  flags: number;
  version: ImageVersion;
  loadId: string;
}

/** What a parsed (and, from validateImage, verified) image says about itself. */
export interface ImageInfo {
  header: ImageHeader;
  loadId: string;
  securityCounter: number;
  /** Seconds since 1970 (UTC). */
  buildTime: number;
  keyId: Uint8Array;
  /** The SHA-256 TLV's value (checked against the content by validateImage). */
  hash: Uint8Array;
  signature: Uint8Array;
  /** Offset of the payload from the image start, and its length. */
  payloadOffset: number;
  payloadSize: number;
  /** Header + payload + both TLV areas. */
  imageSize: number;
}

/** Why an image was refused (ImageFail.reason); the loader logs and shows it. */
export type ImageFault =
  | 'read'             // the flash read failed
  | 'empty'            // erased flash where a header should be
  | 'bad-magic'
  | 'bad-header'       // header field out of range (sizes, flags, load ID)
  | 'oversized'        // the image claims more bytes than its slot holds
  | 'bad-tlv-info'     // TLV area info header missing, wrong magic or size
  | 'tlv-bounds'       // a TLV length runs past its area
  | 'tlv-unknown'      // a type not on the allow-list for its area
  | 'tlv-duplicate'
  | 'tlv-missing'      // a required TLV (hash, key id, signature, load ID, counter, build time) absent
  | 'tlv-value'        // a TLV of the wrong length or with a bad value
  | 'load-id-mismatch' // the protected load ID differs from the header's
  | 'hash-mismatch'    // the content does not hash to the SHA-256 TLV (tampered, truncated)
  | 'unknown-key'      // no trusted key has this key id
  | 'bad-signature'
  | 'downgrade'        // security counter below the floor, or version below the confirmed image's
  | 'not-bootable';    // IMAGE_F_NON_BOOTABLE

export interface ImageFail extends Fail {
  readonly reason: ImageFault;
}
export type ImageResult<T> = Ok<T> | ImageFail;

function refuse(error: ErrorCode, reason: ImageFault, detail: string): ImageFail {
  return { ok: false, error: error, reason: reason, detail: reason + ': ' + detail };
}

/** A trusted signing key: the 32-byte Ed25519 public key and its 8-byte id. */
export interface TrustedKey {
  publicKey: Uint8Array;
  keyId: Uint8Array;
}

/** Where image bytes come from: a slot in flash, or bytes in memory (tools). */
export interface ByteSource {
  /** Bytes available (the slot size). */
  readonly size: number;
  /** Fill `out` from `addr` (relative to the source); false on a read error. */
  read(addr: number, out: Uint8Array): boolean;
}

// ---------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------

/** A slot (or any region) of flash as a ByteSource. */
export function flashSource(flash: NorFlash, offset: number, size: number): ByteSource {
  return {
    size: size,
    read: function (addr: number, out: Uint8Array): boolean {
      if (addr < 0 || addr + out.length > size) return false;
      return flash.read(offset + addr, out) === FLASH_OK;
    },
  };
}

/** Bytes in memory as a ByteSource (host tools; tests). */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: function (addr: number, out: Uint8Array): boolean {
      if (addr < 0 || addr + out.length > bytes.length) return false;
      out.set(bytes.subarray(addr, addr + out.length));
      return true;
    },
  };
}

// ---------------------------------------------------------------------------------------
// Header
// ---------------------------------------------------------------------------------------

function loadIdChar(c: number): boolean {
  return c >= 0x21 && c <= 0x7e;
}

/** A load ID is 1..LOAD_ID_MAX printable ASCII characters without spaces. */
export function isValidLoadId(id: string): boolean {
  if (id.length < 1 || id.length > LOAD_ID_MAX) return false;
  for (let i = 0; i < id.length; i++) if (!loadIdChar(id.charCodeAt(i))) return false;
  return true;
}

/** Parse the fixed header fields from `bytes` (at least IMAGE_HEADER_SIZE bytes). */
export function parseHeader(bytes: Uint8Array): ImageResult<ImageHeader> {
  if (bytes.length < IMAGE_HEADER_SIZE) return refuse('truncated', 'bad-header', 'header needs ' + IMAGE_HEADER_SIZE + ' bytes, got ' + bytes.length);
  const v = viewOf(bytes);
  const magic = v.getUint32(IH_MAGIC, true);
  if (magic !== IMAGE_MAGIC) {
    if (magic === 0xffffffff) return refuse('malformed', 'empty', 'no image (erased flash)');
    return refuse('malformed', 'bad-magic', 'magic 0x' + magic.toString(16));
  }
  const hdrSize = v.getUint16(IH_HDR_SIZE, true);
  const protTlvSize = v.getUint16(IH_PROT_TLV_SIZE, true);
  const payloadSize = v.getUint32(IH_PAYLOAD_SIZE, true);
  const flags = v.getUint32(IH_FLAGS, true);
  if (hdrSize < IMAGE_HEADER_SIZE || hdrSize > IMAGE_HEADER_MAX) return refuse('malformed', 'bad-header', 'header size ' + hdrSize);
  if (protTlvSize < TLV_INFO_SIZE || protTlvSize > TLV_PROT_MAX) return refuse('malformed', 'bad-header', 'protected TLV size ' + protTlvSize);
  if ((flags & ~IMAGE_F_KNOWN) !== 0) return refuse('unsupported', 'bad-header', 'unknown flags 0x' + flags.toString(16));
  if (payloadSize === 0) return refuse('malformed', 'bad-header', 'empty payload');
  let loadId = '';
  let ended = false;
  for (let i = 0; i < LOAD_ID_MAX; i++) {
    const c = bytes[IH_LOAD_ID + i];
    if (c === 0) {
      ended = true;
    } else if (ended || !loadIdChar(c)) {
      return refuse('malformed', 'bad-header', 'load ID byte ' + i + ' is 0x' + c.toString(16));
    } else {
      loadId += String.fromCharCode(c);
    }
  }
  if (loadId.length === 0) return refuse('malformed', 'bad-header', 'empty load ID');
  return ok({
    hdrSize: hdrSize,
    protTlvSize: protTlvSize,
    payloadSize: payloadSize,
    flags: flags,
    version: {
      major: bytes[IH_VER_MAJOR],
      minor: bytes[IH_VER_MINOR],
      revision: v.getUint16(IH_VER_REVISION, true),
      build: v.getUint32(IH_VER_BUILD, true),
    },
    loadId: loadId,
  });
}

/** Write a header (IMAGE_HEADER_SIZE bytes) at `offset`; returns the length written. */
export function emitHeader(h: ImageHeader, buf: Uint8Array, offset: number): number {
  const hdr = buf.subarray(offset, offset + IMAGE_HEADER_SIZE);
  hdr.fill(0);
  const v = viewOf(hdr);
  v.setUint32(IH_MAGIC, IMAGE_MAGIC, true);
  v.setUint16(IH_HDR_SIZE, IMAGE_HEADER_SIZE, true);
  v.setUint16(IH_PROT_TLV_SIZE, h.protTlvSize, true);
  v.setUint32(IH_PAYLOAD_SIZE, h.payloadSize, true);
  v.setUint32(IH_FLAGS, h.flags, true);
  hdr[IH_VER_MAJOR] = h.version.major & 255;
  hdr[IH_VER_MINOR] = h.version.minor & 255;
  v.setUint16(IH_VER_REVISION, h.version.revision & 0xffff, true);
  v.setUint32(IH_VER_BUILD, h.version.build >>> 0, true);
  for (let i = 0; i < h.loadId.length && i < LOAD_ID_MAX; i++) hdr[IH_LOAD_ID + i] = h.loadId.charCodeAt(i) & 255;
  return IMAGE_HEADER_SIZE;
}

/** Compare versions major, minor, revision, build: negative, 0 or positive. */
export function compareVersions(a: ImageVersion, b: ImageVersion): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  if (a.revision !== b.revision) return a.revision - b.revision;
  return a.build - b.build;
}

/** a < b on major, minor, revision (the build number does not count). */
export function versionBelow(a: ImageVersion, b: ImageVersion): boolean {
  if (a.major !== b.major) return a.major < b.major;
  if (a.minor !== b.minor) return a.minor < b.minor;
  return a.revision < b.revision;
}

export function versionToString(v: ImageVersion): string {
  return v.major + '.' + v.minor + '.' + v.revision + '+' + v.build;
}

// ---------------------------------------------------------------------------------------
// TLV areas
// ---------------------------------------------------------------------------------------

/** Protected TLVs as the signer writes them. */
export interface ProtectedTlvs {
  loadId: string;
  securityCounter: number;
  buildTime: number;
}

/** Size of the protected area (info header included) for these values. */
export function protectedAreaSize(p: ProtectedTlvs): number {
  return TLV_INFO_SIZE + TLV_HEADER_SIZE + p.loadId.length + TLV_HEADER_SIZE + 4 + TLV_HEADER_SIZE + 8;
}

/** Write the protected area at `offset`; returns its length. */
export function emitProtectedArea(p: ProtectedTlvs, buf: Uint8Array, offset: number): number {
  const size = protectedAreaSize(p);
  const v = new DataView(buf.buffer, buf.byteOffset + offset, size);
  let at = 0;
  v.setUint16(at, TLV_PROT_INFO_MAGIC, true); v.setUint16(at + 2, size, true); at += TLV_INFO_SIZE;
  v.setUint16(at, TLV_LOAD_ID, true); v.setUint16(at + 2, p.loadId.length, true); at += TLV_HEADER_SIZE;
  for (let i = 0; i < p.loadId.length; i++) v.setUint8(at + i, p.loadId.charCodeAt(i) & 255);
  at += p.loadId.length;
  v.setUint16(at, TLV_SEC_CNT, true); v.setUint16(at + 2, 4, true); at += TLV_HEADER_SIZE;
  v.setUint32(at, p.securityCounter >>> 0, true); at += 4;
  v.setUint16(at, TLV_BUILD_TIME, true); v.setUint16(at + 2, 8, true); at += TLV_HEADER_SIZE;
  v.setUint32(at, p.buildTime % 0x100000000, true);
  v.setUint32(at + 4, Math.floor(p.buildTime / 0x100000000), true);
  at += 8;
  return at;
}

/** Size of the unprotected area this version writes (SHA-256, key id, Ed25519). */
export const UNPROTECTED_AREA_SIZE = TLV_INFO_SIZE + TLV_HEADER_SIZE + SHA256_SIZE +
  TLV_HEADER_SIZE + KEY_ID_SIZE + TLV_HEADER_SIZE + ED25519_SIG_SIZE;

/** Write the unprotected area at `offset`; returns its length. */
export function emitUnprotectedArea(hash: Uint8Array, keyId: Uint8Array, signature: Uint8Array,
                                    buf: Uint8Array, offset: number): number {
  const v = new DataView(buf.buffer, buf.byteOffset + offset, UNPROTECTED_AREA_SIZE);
  let at = 0;
  v.setUint16(at, TLV_INFO_MAGIC, true); v.setUint16(at + 2, UNPROTECTED_AREA_SIZE, true); at += TLV_INFO_SIZE;
  v.setUint16(at, TLV_SHA256, true); v.setUint16(at + 2, SHA256_SIZE, true); at += TLV_HEADER_SIZE;
  buf.set(hash.subarray(0, SHA256_SIZE), offset + at); at += SHA256_SIZE;
  v.setUint16(at, TLV_KEYID, true); v.setUint16(at + 2, KEY_ID_SIZE, true); at += TLV_HEADER_SIZE;
  buf.set(keyId.subarray(0, KEY_ID_SIZE), offset + at); at += KEY_ID_SIZE;
  v.setUint16(at, TLV_ED25519, true); v.setUint16(at + 2, ED25519_SIG_SIZE, true); at += TLV_HEADER_SIZE;
  buf.set(signature.subarray(0, ED25519_SIG_SIZE), offset + at); at += ED25519_SIG_SIZE;
  return at;
}

/** One TLV found by walkTlvs: its type and where its value sits in the area buffer. */
export interface TlvEntry {
  type: number;
  start: number;
  length: number;
}

/**
 * Walk the TLVs of an area held in `area[0, total)`, info header first. Every TLV header and
 * value is bounds-checked against `total` before it is read (lengths are attacker-controlled).
 * Calls `visit` per TLV; a non-null return from visit stops the walk with that failure.
 */
export function walkTlvs(area: Uint8Array, total: number, magic: number,
                         visit: (e: TlvEntry) => ImageFail | null): ImageFail | null {
  if (total < TLV_INFO_SIZE || total > area.length) return refuse('malformed', 'bad-tlv-info', 'area size ' + total);
  const v = viewOf(area);
  if (v.getUint16(0, true) !== magic) return refuse('malformed', 'bad-tlv-info', 'magic 0x' + v.getUint16(0, true).toString(16));
  if (v.getUint16(2, true) !== total) return refuse('malformed', 'bad-tlv-info', 'total ' + v.getUint16(2, true) + ' != ' + total);
  let at = TLV_INFO_SIZE;
  while (at < total) {
    if (total - at < TLV_HEADER_SIZE) return refuse('malformed', 'tlv-bounds', 'TLV header at ' + at + ' runs past the area');
    const type = v.getUint16(at, true);
    const len = v.getUint16(at + 2, true);
    if (len > total - at - TLV_HEADER_SIZE) return refuse('malformed', 'tlv-bounds', 'TLV 0x' + type.toString(16) + ' length ' + len + ' runs past the area');
    const r = visit({ type: type, start: at + TLV_HEADER_SIZE, length: len });
    if (r !== null) return r;
    at += TLV_HEADER_SIZE + len;
  }
  return null;
}

/** Collected TLV values while walking; every field starts absent (fail closed). */
interface Seen {
  loadId: string | null;
  securityCounter: number;
  buildTime: number;
  hash: Uint8Array | null;
  keyId: Uint8Array | null;
  signature: Uint8Array | null;
  haveCounter: boolean;
  haveTime: boolean;
}

function copyOut(area: Uint8Array, e: TlvEntry): Uint8Array {
  const out = new Uint8Array(e.length);
  out.set(area.subarray(e.start, e.start + e.length));
  return out;
}

function readProtected(area: Uint8Array, total: number, seen: Seen): ImageFail | null {
  return walkTlvs(area, total, TLV_PROT_INFO_MAGIC, function (e: TlvEntry): ImageFail | null {
    const v = viewOf(area);
    if (e.type === TLV_LOAD_ID) {
      if (seen.loadId !== null) return refuse('malformed', 'tlv-duplicate', 'load ID');
      if (e.length < 1 || e.length > LOAD_ID_MAX) return refuse('malformed', 'tlv-value', 'load ID length ' + e.length);
      let s = '';
      for (let i = 0; i < e.length; i++) {
        const c = area[e.start + i];
        if (!loadIdChar(c)) return refuse('malformed', 'tlv-value', 'load ID character 0x' + c.toString(16));
        s += String.fromCharCode(c);
      }
      seen.loadId = s;
      return null;
    }
    if (e.type === TLV_SEC_CNT) {
      if (seen.haveCounter) return refuse('malformed', 'tlv-duplicate', 'security counter');
      if (e.length !== 4) return refuse('malformed', 'tlv-value', 'security counter length ' + e.length);
      seen.securityCounter = v.getUint32(e.start, true);
      seen.haveCounter = true;
      return null;
    }
    if (e.type === TLV_BUILD_TIME) {
      if (seen.haveTime) return refuse('malformed', 'tlv-duplicate', 'build time');
      if (e.length !== 8) return refuse('malformed', 'tlv-value', 'build time length ' + e.length);
      seen.buildTime = v.getUint32(e.start, true) + v.getUint32(e.start + 4, true) * 0x100000000;
      seen.haveTime = true;
      return null;
    }
    return refuse('malformed', 'tlv-unknown', 'type 0x' + e.type.toString(16) + ' in the protected area');
  });
}

function readUnprotected(area: Uint8Array, total: number, seen: Seen): ImageFail | null {
  return walkTlvs(area, total, TLV_INFO_MAGIC, function (e: TlvEntry): ImageFail | null {
    if (e.type === TLV_SHA256) {
      if (seen.hash !== null) return refuse('malformed', 'tlv-duplicate', 'SHA-256');
      if (e.length !== SHA256_SIZE) return refuse('malformed', 'tlv-value', 'SHA-256 length ' + e.length);
      seen.hash = copyOut(area, e);
      return null;
    }
    if (e.type === TLV_KEYID) {
      if (seen.keyId !== null) return refuse('malformed', 'tlv-duplicate', 'key id');
      if (e.length !== KEY_ID_SIZE) return refuse('malformed', 'tlv-value', 'key id length ' + e.length);
      seen.keyId = copyOut(area, e);
      return null;
    }
    if (e.type === TLV_ED25519) {
      if (seen.signature !== null) return refuse('malformed', 'tlv-duplicate', 'Ed25519 signature');
      if (e.length !== ED25519_SIG_SIZE) return refuse('malformed', 'tlv-value', 'signature length ' + e.length);
      seen.signature = copyOut(area, e);
      return null;
    }
    return refuse('malformed', 'tlv-unknown', 'type 0x' + e.type.toString(16) + ' in the unprotected area');
  });
}

// ---------------------------------------------------------------------------------------
// Reading and validating
// ---------------------------------------------------------------------------------------

/** Options for validateImage. */
export interface ValidateOptions {
  /** Scratch buffer for streaming reads (>= 256 bytes; a sector at most). */
  buffer?: Uint8Array;
  /** Called after every chunk hashed (the loader feeds the watchdog here). */
  onProgress?: (done: number, total: number) => void;
}

const MIN_SCRATCH = TLV_PROT_MAX > TLV_UNPROT_MAX ? TLV_PROT_MAX : TLV_UNPROT_MAX;

/**
 * Parse the header and both TLV areas without hashing (bounds and allow-list still
 * checked): what `image show` prints and what the firmware reads about the running image.
 */
export function readImageInfo(src: ByteSource, buffer?: Uint8Array): ImageResult<ImageInfo> {
  const buf = buffer !== undefined && buffer.length >= MIN_SCRATCH ? buffer : new Uint8Array(MIN_SCRATCH);
  if (src.size < IMAGE_HEADER_SIZE) return refuse('truncated', 'oversized', 'slot of ' + src.size + ' bytes holds no header');
  const hb = buf.subarray(0, IMAGE_HEADER_SIZE);
  if (!src.read(0, hb)) return refuse('truncated', 'read', 'header');
  const h = parseHeader(hb);
  if (!h.ok) return h;
  const hdr = h.value;
  // Sizes come from flash: add them up before using any as an offset (all < 2^32, so the
  // sums stay exact in a double).
  const protAt = hdr.hdrSize + hdr.payloadSize;
  if (protAt + hdr.protTlvSize + TLV_INFO_SIZE > src.size) {
    return refuse('too-large', 'oversized', 'header says ' + (protAt + hdr.protTlvSize) + '+ bytes, slot holds ' + src.size);
  }
  const seen: Seen = {
    loadId: null, securityCounter: 0, buildTime: 0, hash: null, keyId: null, signature: null,
    haveCounter: false, haveTime: false,
  };
  const pa = buf.subarray(0, hdr.protTlvSize);
  if (!src.read(protAt, pa)) return refuse('truncated', 'read', 'protected TLV area');
  const pf = readProtected(pa, hdr.protTlvSize, seen);
  if (pf !== null) return pf;
  const unAt = protAt + hdr.protTlvSize;
  const info = buf.subarray(0, TLV_INFO_SIZE);
  if (!src.read(unAt, info)) return refuse('truncated', 'read', 'TLV info');
  const iv = viewOf(info);
  if (iv.getUint16(0, true) !== TLV_INFO_MAGIC) {
    if (iv.getUint16(0, true) === 0xffff) return refuse('truncated', 'bad-tlv-info', 'no signature area (erased; unsigned or truncated image)');
    return refuse('malformed', 'bad-tlv-info', 'unprotected area magic 0x' + iv.getUint16(0, true).toString(16));
  }
  const unTotal = iv.getUint16(2, true);
  if (unTotal < TLV_INFO_SIZE || unTotal > TLV_UNPROT_MAX) return refuse('malformed', 'bad-tlv-info', 'unprotected area size ' + unTotal);
  if (unAt + unTotal > src.size) return refuse('too-large', 'oversized', 'TLV area runs past the slot');
  const ua = buf.subarray(0, unTotal);
  if (!src.read(unAt, ua)) return refuse('truncated', 'read', 'TLV area');
  const uf = readUnprotected(ua, unTotal, seen);
  if (uf !== null) return uf;
  if (seen.loadId === null) return refuse('malformed', 'tlv-missing', 'load ID');
  if (!seen.haveCounter) return refuse('malformed', 'tlv-missing', 'security counter');
  if (!seen.haveTime) return refuse('malformed', 'tlv-missing', 'build time');
  if (seen.hash === null) return refuse('malformed', 'tlv-missing', 'SHA-256');
  if (seen.keyId === null) return refuse('malformed', 'tlv-missing', 'key id');
  if (seen.signature === null) return refuse('signature', 'tlv-missing', 'Ed25519 signature (unsigned image)');
  if (seen.loadId !== hdr.loadId) return refuse('malformed', 'load-id-mismatch', seen.loadId + ' != ' + hdr.loadId);
  return ok({
    header: hdr,
    loadId: seen.loadId,
    securityCounter: seen.securityCounter,
    buildTime: seen.buildTime,
    keyId: seen.keyId,
    hash: seen.hash,
    signature: seen.signature,
    payloadOffset: hdr.hdrSize,
    payloadSize: hdr.payloadSize,
    imageSize: unAt + unTotal,
  });
}

/** The 8-byte key id of an Ed25519 public key: the first 8 bytes of its SHA-256. */
export function keyIdOf(crypto: Crypto, publicKey: Uint8Array): Uint8Array {
  const h = crypto.sha256();
  h.update(publicKey);
  return h.digest().subarray(0, KEY_ID_SIZE);
}

/** A TrustedKey from a 32-byte public key. */
export function trustedKey(crypto: Crypto, publicKey: Uint8Array): TrustedKey {
  return { publicKey: publicKey, keyId: keyIdOf(crypto, publicKey) };
}

function hexShort(b: Uint8Array): string {
  const d = '0123456789abcdef';
  let s = '';
  for (let i = 0; i < b.length; i++) s += d.charAt(b[i] >> 4) + d.charAt(b[i] & 15);
  return s;
}

/** Byte compare that does not stop at the first difference. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/**
 * Validate an image: header, TLV areas, SHA-256 over header + payload + protected area
 * (streamed through `options.buffer`), key id among `keys`, Ed25519 signature. Policy
 * (security counter, bootable flag) is the caller's: see checkPolicy.
 */
export function validateImage(src: ByteSource, crypto: Crypto, keys: TrustedKey[],
                              options?: ValidateOptions): ImageResult<ImageInfo> {
  const given = options !== undefined ? options.buffer : undefined;
  const buf = given !== undefined && given.length >= MIN_SCRATCH ? given : new Uint8Array(1024);
  const progress = options !== undefined ? options.onProgress : undefined;
  const parsed = readImageInfo(src, buf);
  if (!parsed.ok) return parsed;
  const info = parsed.value;
  // Hash header + payload + protected area in buffer-sized chunks.
  const hashEnd = info.header.hdrSize + info.header.payloadSize + info.header.protTlvSize;
  const h = crypto.sha256();
  let at = 0;
  while (at < hashEnd) {
    const n = hashEnd - at < buf.length ? hashEnd - at : buf.length;
    const chunk = buf.subarray(0, n);
    if (!src.read(at, chunk)) return refuse('truncated', 'read', 'at ' + at);
    h.update(chunk);
    at += n;
    if (progress !== undefined) progress(at, hashEnd);
  }
  const digest = h.digest();
  let hashOk = false;
  if (sameBytes(digest, info.hash)) hashOk = true;
  if (!hashOk) return refuse('checksum', 'hash-mismatch', 'content does not match its SHA-256 (tampered or truncated)');
  let key: TrustedKey | null = null;
  for (let i = 0; i < keys.length; i++) {
    if (bytesEqual(keys[i].keyId, info.keyId) && keys[i].publicKey.length === ED25519_PUB_SIZE) key = keys[i];
  }
  if (key === null) return refuse('signature', 'unknown-key', 'no trusted key has id ' + hexShort(info.keyId));
  let sigOk = false;
  if (crypto.ed25519Verify(info.signature, digest, key.publicKey)) sigOk = true;
  if (!sigOk) return refuse('signature', 'bad-signature', 'Ed25519 signature does not verify');
  if (hashOk && sigOk) return ok(info);
  return refuse('signature', 'bad-signature', 'unreachable');
}

/**
 * Boot policy: the bootable flag, the anti-rollback floor, and (MCUboot's downgrade
 * prevention) no version below `minVersion`, the confirmed image's, compared on major,
 * minor and revision (as MCUboot does without VERSION_CMP_USE_BUILD_NUMBER; an equal version
 * passes). `allowDowngrade` is the development loader's build option and skips both.
 */
export function checkPolicy(info: ImageInfo, securityFloor: number, allowDowngrade: boolean,
                            minVersion?: ImageVersion | null): ImageResult<ImageInfo> {
  if ((info.header.flags & IMAGE_F_NON_BOOTABLE) !== 0) return refuse('refused', 'not-bootable', 'image is flagged non-bootable');
  if (allowDowngrade) return ok(info);
  if (info.securityCounter < securityFloor) {
    return refuse('refused', 'downgrade', 'security counter ' + info.securityCounter + ' is below the floor ' + securityFloor);
  }
  if (minVersion !== undefined && minVersion !== null && versionBelow(info.header.version, minVersion)) {
    return refuse('refused', 'downgrade', 'version ' + versionToString(info.header.version) +
      ' is below the confirmed image\'s ' + versionToString(minVersion));
  }
  return ok(info);
}
