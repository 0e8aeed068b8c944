/**
 * The trust store: what the phone keeps of its CTL and ITL (one slot each), as keys and
 * hashes, never whole certificates. Per record: role, subject CN (short), serial, an 8-byte
 * id of the issuer name, SHA-256 of the certificate and of its public key, and the RSA key
 * itself for the roles that sign (SAST for lists, TFTP and CCM+TFTP for .sgn files).
 *
 * Policy (offer): a slot's first list is trusted on first use when it verifies with its own
 * SAST record naming the header's signer; a later list replaces the slot only when it
 * verifies with a SAST of that slot already stored. Otherwise it is refused and the slot
 * kept: 'refused' (unknown signer), 'signature', or the list's own parse error.
 *
 * Stored form (Settings.setTrustList), all lengths checked on decode:
 *   u8 SETTING_FORMAT, u8 'T', u8 count, then per entry:
 *   u8 slot, u16 role, u8+cn, u8+serial, u8+issuerId (0|8), u8+certHash (0|32),
 *   u8+keyHash (32), u16+modulus, u8+exponent     (u8+x: a length byte then x)
 * Caps: MAX_LIST entries per slot, CN_MAX, SERIAL_MAX, MOD_MAX, EXP_MAX, STORE_MAX bytes.
 */
import { ok, fail } from '../../lib/result';
import type { Result, Fail } from '../../lib/result';
import { asciiBytes, bytesEqual, copyBytes, readU16, writeU16 } from '../../lib/bytes';
import type { Crypto } from '../../hal/crypto';
import type { Settings } from '../../flash/settings';
import { SETTING_FORMAT } from '../../flash/constants';
import { parseCert, parseRsaKey, magnitude, KEY_RSA } from './der';
import type { Cert } from './der';
import { ROLE_SAST, ROLE_CCM, ROLE_CCM_TFTP, ROLE_TFTP, DIGEST_SHA1 } from './tlv';
import type { Header, TrustRecord } from './tlv';

export const SLOT_CTL = 0;
export const SLOT_ITL = 1;
export const MAX_LIST = 16;
export const CN_MAX = 32;
export const SERIAL_MAX = 32;
export const MOD_MAX = 512;
export const EXP_MAX = 8;
export const STORE_MAX = 8192;

const MAGIC = 0x54;

/** A role as a bit, for role sets. */
export function bit(role: number): number {
  return role >= 0 && role < 31 ? 1 << role : 0;
}
/** Roles whose RSA key is kept. */
export const KEY_ROLES = bit(ROLE_SAST) | bit(ROLE_TFTP) | bit(ROLE_CCM_TFTP);
/** Roles that sign .sgn files. */
export const FILE_SIGNERS = bit(ROLE_TFTP) | bit(ROLE_CCM_TFTP);
/** Roles a CallManager's TLS certificate may have. */
export const CALLMANAGERS = bit(ROLE_CCM) | bit(ROLE_CCM_TFTP);

export interface Entry {
  slot: number;
  role: number;
  cn: string;
  serial: Uint8Array;
  issuerId: Uint8Array;
  certHash: Uint8Array;
  keyHash: Uint8Array;
  modulus: Uint8Array;
  exponent: Uint8Array;
}

/** A parsed, not yet trusted list (firmware/trust/sink.ts makes it). */
export interface TrustList {
  /** Its byte fields are copies (valid after the stream). */
  header: Header;
  entries: Entry[];
  /** By header.digest, over the file without its SIGNATURE TLV. */
  digest: Uint8Array;
  /** Index of the SAST entry naming the header's signer, -1 when none. */
  signer: number;
}

export interface Offer {
  status: 'new' | 'replaced' | 'same';
  entries: Entry[];
  bytes: Uint8Array;
}

export function sha256(crypto: Crypto, data: Uint8Array): Uint8Array {
  const h = crypto.sha256();
  h.update(data);
  return h.digest();
}

/** The 8-byte id of an issuer name, empty for ''. */
export function nameId(crypto: Crypto, name: string): Uint8Array {
  return name.length === 0 ? new Uint8Array(0) : copyBytes(sha256(crypto, asciiBytes(name)).subarray(0, 8));
}

function cnOf(subject: string): string {
  const i = subject.indexOf('CN=');
  if (i < 0) return '';
  let j = i + 3;
  while (j < subject.length && subject.charAt(j) !== ',' && subject.charAt(j) !== ';') j++;
  return subject.substring(i + 3, j);
}

/** What the store keeps of one record (copies: `r` may be a view on a stream buffer). */
export function entryOf(crypto: Crypto, r: TrustRecord): Result<Entry> {
  let c: Cert | null = null;
  if (r.cert.length > 0) {
    const p = parseCert(r.cert);
    if (!p.ok) return p;
    c = p.value;
    if (r.publicKey.length > 0 && !bytesEqual(r.publicKey, c.key)) return fail('malformed', 'record key');
  }
  const key = c !== null ? c.key : r.publicKey;
  if (key.length === 0) return fail('malformed', 'record key');
  const serial = r.serial.length > 0 ? magnitude(r.serial) : c !== null ? c.serial : r.serial;
  if (serial.length > SERIAL_MAX) return fail('too-large', 'serial');
  let n = key.subarray(0, 0);
  let e = n;
  if (bit(r.role) & KEY_ROLES) {
    if (c !== null && c.keyType === KEY_RSA) {
      n = c.modulus;
      e = c.exponent;
    } else if (c === null) {
      const k = parseRsaKey(key);
      if (k.ok) { n = k.value[0]; e = k.value[1]; }
    }
    if (n.length > MOD_MAX || e.length > EXP_MAX) return fail('too-large', 'key');
  }
  const cn = c !== null ? c.cn : cnOf(r.subject);
  return ok({
    slot: 0, role: r.role, cn: cn.length > CN_MAX ? cn.substring(0, CN_MAX) : cn,
    serial: copyBytes(serial), issuerId: nameId(crypto, r.issuer),
    certHash: r.cert.length > 0 ? sha256(crypto, r.cert) : new Uint8Array(0),
    keyHash: sha256(crypto, key), modulus: copyBytes(n), exponent: copyBytes(e),
  });
}

/** Does `e` name the signer (serial, and issuer when both sides have one)? */
export function signs(e: Entry, serial: Uint8Array, issuerId: Uint8Array): boolean {
  return bytesEqual(e.serial, magnitude(serial)) &&
    (e.issuerId.length === 0 || issuerId.length === 0 || bytesEqual(e.issuerId, issuerId));
}

/** PKCS#1 v1.5 verify of a header's signature over `digest` with an entry's RSA key. */
export function verifyWith(crypto: Crypto, h: Header, digest: Uint8Array, e: Entry): boolean {
  return e.modulus.length > 0 &&
    crypto.rsaPkcs1Verify(h.digest === DIGEST_SHA1 ? 'sha1' : 'sha256', digest, h.signature, e.modulus, e.exponent);
}

function entrySize(e: Entry): number {
  return 11 + e.cn.length + e.serial.length + e.issuerId.length + e.certHash.length + e.keyHash.length +
    e.modulus.length + e.exponent.length;
}

function put(buf: Uint8Array, p: number, v: Uint8Array): number {
  buf[p] = v.length;
  buf.set(v, p + 1);
  return p + 1 + v.length;
}

export function encodeStore(entries: Entry[]): Result<Uint8Array> {
  let size = 3;
  for (let i = 0; i < entries.length; i++) size += entrySize(entries[i]);
  if (entries.length > 2 * MAX_LIST || size > STORE_MAX) return fail('too-large', 'trust store');
  const b = new Uint8Array(size);
  b[0] = SETTING_FORMAT;
  b[1] = MAGIC;
  b[2] = entries.length;
  let p = 3;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    b[p] = e.slot;
    writeU16(b, p + 1, e.role);
    p = put(b, p + 3, asciiBytes(e.cn));
    p = put(b, p, e.serial);
    p = put(b, p, e.issuerId);
    p = put(b, p, e.certHash);
    p = put(b, p, e.keyHash);
    writeU16(b, p, e.modulus.length);
    b.set(e.modulus, p + 2);
    p = put(b, p + 2 + e.modulus.length, e.exponent);
  }
  return ok(b);
}

export function decodeStore(b: Uint8Array): Result<Entry[]> {
  if (b.length < 3) return fail('truncated', 'trust store');
  if (b[0] !== SETTING_FORMAT || b[1] !== MAGIC) return fail('unsupported', 'trust store');
  const count = b[2];
  if (count > 2 * MAX_LIST || b.length > STORE_MAX) return fail('too-large', 'trust store');
  const out: Entry[] = [];
  const perSlot = [0, 0];
  let p = 3;
  // Fields in order: cn, serial, issuerId, certHash, keyHash (u8 lengths), modulus (u16), exponent.
  const caps = [CN_MAX, SERIAL_MAX, 8, 32, 32, MOD_MAX, EXP_MAX];
  for (let i = 0; i < count; i++) {
    if (p + 3 > b.length) return fail('truncated', 'trust entry');
    const slot = b[p];
    if (slot > 1 || ++perSlot[slot] > MAX_LIST) return fail('malformed', 'trust entry');
    const role = readU16(b, p + 1);
    p += 3;
    const f: Uint8Array[] = [];
    for (let k = 0; k < 7; k++) {
      const wide = k === 5;
      if (p + (wide ? 2 : 1) > b.length) return fail('truncated', 'trust entry');
      const n = wide ? readU16(b, p) : b[p];
      p += wide ? 2 : 1;
      const exact = k === 2 || k === 3;
      if (n > caps[k] || (exact && n !== 0 && n !== caps[k]) || (k === 4 && n !== 32)) return fail('malformed', 'trust entry');
      if (p + n > b.length) return fail('truncated', 'trust entry');
      f.push(b.subarray(p, p + n));
      p += n;
    }
    let cn = '';
    for (let j = 0; j < f[0].length; j++) cn += String.fromCharCode(f[0][j]);
    out.push({ slot: slot, role: role, cn: cn, serial: f[1], issuerId: f[2], certHash: f[3], keyHash: f[4], modulus: f[5], exponent: f[6] });
  }
  if (p !== b.length) return fail('malformed', 'trust store');
  return ok(out);
}

/** "unknown signer", "signature" or "malformed": why a list or signed file was refused. */
export function refusal(f: Fail): string {
  return f.error === 'refused' ? 'unknown signer' : f.error === 'signature' ? 'signature' : 'malformed';
}

export class TrustStore {
  entries: Entry[] = [];
  readonly crypto: Crypto;

  constructor(crypto: Crypto) {
    this.crypto = crypto;
  }

  /** The stored form (Settings.getTrustList); null or a bad record leaves the store empty. */
  load(bytes: Uint8Array | null): Result<number> {
    this.entries = [];
    if (bytes === null) return ok(0);
    const d = decodeStore(bytes);
    if (!d.ok) return d;
    this.entries = d.value;
    return ok(d.value.length);
  }

  has(slot: number): boolean {
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i].slot === slot) return true;
    return false;
  }

  /** The stored entry with a role in `roles` (in `slot`, or any when -1) that signed `h`. */
  signer(h: Header, roles: number, slot: number): Entry | null {
    const id = nameId(this.crypto, h.issuer);
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if ((slot < 0 || e.slot === slot) && (bit(e.role) & roles) && signs(e, h.serial, id)) return e;
    }
    return null;
  }

  /** Whether `list` may replace `slot`, and the store it would make (nothing changes yet). */
  offer(slot: number, list: TrustList): Result<Offer> {
    const h = list.header;
    const first = !this.has(slot);
    const key = first ? (list.signer >= 0 ? list.entries[list.signer] : null) : this.signer(h, bit(ROLE_SAST), slot);
    if (key === null) return fail('refused', 'unknown signer');
    if (!verifyWith(this.crypto, h, list.digest, key)) return fail('signature', 'bad signature');
    const next: Entry[] = [];
    for (let s = 0; s < 2; s++) {
      for (let i = 0; i < this.entries.length; i++) if (s !== slot && this.entries[i].slot === s) next.push(this.entries[i]);
      for (let i = 0; s === slot && i < list.entries.length; i++) {
        list.entries[i].slot = slot;
        next.push(list.entries[i]);
      }
    }
    const enc = encodeStore(next);
    if (!enc.ok) return enc;
    const cur = encodeStore(this.entries);
    const same = cur.ok && bytesEqual(cur.value, enc.value);
    return ok({ status: first ? 'new' : same ? 'same' : 'replaced', entries: next, bytes: enc.value });
  }

  commit(o: Offer): void {
    this.entries = o.entries;
  }

  /** The CCM or CCM+TFTP entry whose certificate is `der` (by hash, else by public key). */
  peer(der: Uint8Array): Entry | null {
    const e = this.match(sha256(this.crypto, der), true);
    if (e !== null) return e;
    const c = parseCert(der);
    return c.ok ? this.match(sha256(this.crypto, c.value.key), false) : null;
  }

  /** The CCM or CCM+TFTP entry with this certificate hash (cert) or public-key hash. */
  match(hash: Uint8Array, cert: boolean): Entry | null {
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if ((bit(e.role) & CALLMANAGERS) && bytesEqual(cert ? e.certHash : e.keyHash, hash)) return e;
    }
    return null;
  }
}

/** Offer `list` for `slot`, write the store to the preferences, then keep it in RAM. */
export function installTrustList(settings: Settings, store: TrustStore, slot: number, list: TrustList): Result<string> {
  const o = store.offer(slot, list);
  if (!o.ok) return o;
  if (o.value.status !== 'same') {
    const w = settings.setTrustList(o.value.bytes);
    if (!w.ok) return w;
  }
  store.commit(o.value);
  return ok(o.value.status);
}

/** SLOT_ITL for an ITL file name (ITLFile.tlv, ITLSEP<MAC>.tlv), else SLOT_CTL. */
export function slotOf(name: string): number {
  let i = name.length;
  while (i > 0 && name.charAt(i - 1) !== '/') i--;
  return name.substring(i, i + 3).toUpperCase() === 'ITL' ? SLOT_ITL : SLOT_CTL;
}
