/**
 * The host side of the image format: Ed25519 keys (PEM or JSON), signing a firmware bundle
 * into an image, and describing one. The bins (keygen.ts, sign.ts, cli.ts) are thin layers
 * over this module; tests and the OTA publisher import it directly. The format itself
 * (field offsets, TLV types, emit and validate) is flash/image.ts and flash/constants.ts.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as edSign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HostCrypto } from '../../hal/sim/crypto-host';
import { computeLayout, boardGeometry } from '../../flash/layout';
import {
  emitHeader, emitProtectedArea, emitUnprotectedArea, protectedAreaSize, UNPROTECTED_AREA_SIZE,
  isValidLoadId, keyIdOf,
} from '../../flash/image';
import type { ImageVersion } from '../../flash/image';
import { IMAGE_HEADER_SIZE, IMAGE_F_KNOWN, ED25519_PUB_SIZE } from '../../flash/constants';
import { hex, fromHex } from '../../lib/bytes';
import { UserError } from '../errors';

export const hostCrypto = new HostCrypto();

/** The development key: a loader built without --trust trusts it (and says so at every boot). */
export const DEV_KEY_PATH = fileURLToPath(new URL('./dev-key.json', import.meta.url));

let devKeyCache: LoadedKey | null = null;
/** The development signing key, read once. Only for development images, tests and the lab. */
export function devKey(): LoadedKey {
  devKeyCache ??= parseKey(readFileSync(DEV_KEY_PATH, 'utf8'), 'development key');
  return devKeyCache;
}

/** A signing key (private half present) or a verification key (public only). */
export interface LoadedKey {
  publicKey: Uint8Array;
  privateKey: KeyObject | null;
  keyId: Uint8Array;
}

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function rawPublic(key: KeyObject): Uint8Array {
  const der = key.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - ED25519_PUB_SIZE));
}

function fromPrivateRaw(priv: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, Buffer.from(priv)]), format: 'der', type: 'pkcs8' });
}

/** Parse key text: PEM (PKCS#8 private / SPKI public, Ed25519) or JSON {type, private?, public}. */
export function parseKey(text: string, what: string): LoadedKey {
  const trimmed = text.trim();
  let publicKey: Uint8Array;
  let privateKey: KeyObject | null = null;
  if (trimmed.startsWith('{')) {
    let j: { type?: unknown; private?: unknown; public?: unknown };
    try {
      j = JSON.parse(trimmed) as typeof j;
    } catch {
      throw new UserError(`${what}: not valid JSON`);
    }
    if (j.type !== 'ed25519') throw new UserError(`${what}: key type must be "ed25519"`);
    if (typeof j.private === 'string') {
      const priv = fromHex(j.private);
      if (!priv || priv.length !== 32) throw new UserError(`${what}: "private" must be 32 bytes of hex`);
      privateKey = fromPrivateRaw(priv);
      publicKey = rawPublic(createPublicKey(privateKey));
      if (typeof j.public === 'string' && j.public.toLowerCase() !== hex(publicKey)) {
        throw new UserError(`${what}: "public" does not belong to "private"`);
      }
    } else if (typeof j.public === 'string') {
      const pub = fromHex(j.public);
      if (!pub || pub.length !== ED25519_PUB_SIZE) throw new UserError(`${what}: "public" must be 32 bytes of hex`);
      publicKey = pub;
    } else {
      throw new UserError(`${what}: JSON key needs "private" or "public"`);
    }
  } else if (trimmed.includes('-----BEGIN')) {
    try {
      if (trimmed.includes('PRIVATE KEY')) {
        privateKey = createPrivateKey(trimmed);
        if (privateKey.asymmetricKeyType !== 'ed25519') throw new UserError(`${what}: not an Ed25519 key (${privateKey.asymmetricKeyType})`);
        publicKey = rawPublic(createPublicKey(privateKey));
      } else {
        const pk = createPublicKey(trimmed);
        if (pk.asymmetricKeyType !== 'ed25519') throw new UserError(`${what}: not an Ed25519 key (${pk.asymmetricKeyType})`);
        publicKey = rawPublic(pk);
      }
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`${what}: unreadable PEM key`);
    }
  } else {
    const pub = fromHex(trimmed);
    if (!pub || pub.length !== ED25519_PUB_SIZE) throw new UserError(`${what}: not a PEM, JSON or 32-byte hex Ed25519 key`);
    publicKey = pub;
  }
  return { publicKey, privateKey, keyId: keyIdOf(hostCrypto, publicKey) };
}

/** A new key pair as PEM and JSON texts. */
export function generateKey(): { privatePem: string; publicPem: string; json: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const publicPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const privDer = privateKey.export({ format: 'der', type: 'pkcs8' });
  const pub = rawPublic(publicKey);
  const json = JSON.stringify({ type: 'ed25519', private: privDer.subarray(privDer.length - 32).toString('hex'), public: hex(pub) }, null, 2) + '\n';
  return { privatePem, publicPem, json, keyId: hex(keyIdOf(hostCrypto, pub)) };
}

export interface SignOptions {
  loadId: string;
  version?: ImageVersion;
  securityCounter?: number;
  /** Seconds since 1970; default SOURCE_DATE_EPOCH or now. */
  buildTime?: number;
  flags?: number;
  /** Refuse images larger than this (default: the reference board's largest image). */
  maxImageSize?: number;
}

/** The largest image the reference board's layout takes (or a given flash size's). */
export function largestImage(flashSize?: number): number {
  const g = boardGeometry();
  const lay = computeLayout(flashSize === undefined ? g : { size: flashSize, sectorSize: g.sectorSize, writeAlign: g.writeAlign });
  if (!lay.ok) throw new UserError(lay.detail);
  return lay.value.maxImageSize;
}

/**
 * The security counter `dialtone sign` derives from a version when none is given:
 * major × 256 + minor. A new minor or major release raises the rollback floor once it is
 * confirmed; revisions of one minor share a counter (the loader still refuses a lower
 * version than the confirmed image's, so a revision is not rolled back either).
 */
export function deriveSecurityCounter(v: ImageVersion): number {
  return v.major * 256 + v.minor;
}

/** "1.2.3" or "1.2.3+4" (major.minor.revision+build). */
export function parseVersion(text: string): ImageVersion {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:\+(\d+))?$/.exec(text);
  if (!m) throw new UserError(`version '${text}': expected MAJOR.MINOR.REVISION[+BUILD]`);
  const v = { major: Number(m[1]), minor: Number(m[2]), revision: Number(m[3]), build: m[4] ? Number(m[4]) : 0 };
  if (v.major > 255 || v.minor > 255 || v.revision > 65535 || v.build > 0xffffffff) {
    throw new UserError(`version '${text}': major and minor are 0-255, revision 0-65535, build a u32`);
  }
  return v;
}

/** Sign `payload` into an image: header, payload, protected TLVs, SHA-256, key id, Ed25519. */
export function signImage(payload: Uint8Array, key: LoadedKey, options: SignOptions): Uint8Array {
  if (!key.privateKey) throw new UserError('signing needs a private key');
  if (!isValidLoadId(options.loadId)) throw new UserError(`load ID '${options.loadId}': 1-32 printable ASCII characters, no spaces`);
  if (payload.length === 0) throw new UserError('the firmware bundle is empty');
  const counter = options.securityCounter ?? 0;
  if (!Number.isInteger(counter) || counter < 0 || counter > 0xffffffff) throw new UserError('security counter must be 0..4294967295');
  const flags = options.flags ?? 0;
  if ((flags & ~IMAGE_F_KNOWN) !== 0) throw new UserError(`unknown image flags 0x${flags.toString(16)}`);
  const envTime = process.env.SOURCE_DATE_EPOCH;
  const buildTime = options.buildTime ?? (envTime && /^\d+$/.test(envTime) ? Number(envTime) : Math.floor(Date.now() / 1000));
  const prot = { loadId: options.loadId, securityCounter: counter, buildTime };
  const protSize = protectedAreaSize(prot);
  const total = IMAGE_HEADER_SIZE + payload.length + protSize + UNPROTECTED_AREA_SIZE;
  const max = options.maxImageSize ?? largestImage();
  if (total > max) {
    throw new UserError(`image of ${total} bytes (payload ${payload.length}) exceeds the largest image that fits a slot, ${max} bytes, by ${total - max}`);
  }
  const out = new Uint8Array(total);
  emitHeader({
    hdrSize: IMAGE_HEADER_SIZE, protTlvSize: protSize, payloadSize: payload.length, flags,
    version: options.version ?? { major: 0, minor: 0, revision: 0, build: 0 }, loadId: options.loadId,
  }, out, 0);
  out.set(payload, IMAGE_HEADER_SIZE);
  const protAt = IMAGE_HEADER_SIZE + payload.length;
  emitProtectedArea(prot, out, protAt);
  const h = hostCrypto.sha256();
  h.update(out.subarray(0, protAt + protSize));
  const digest = h.digest();
  const signature = new Uint8Array(edSign(null, digest, key.privateKey));
  emitUnprotectedArea(digest, key.keyId, signature, out, protAt + protSize);
  return out;
}

export { ED25519_SPKI_PREFIX };
