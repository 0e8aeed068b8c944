/**
 * Building and signing trust lists (CTLFile.tlv, ITLFile.tlv) and signed files (.sgn, the
 * header of .loads) in the format firmware/trust/tlv.ts reads, as certutils' `tlvfile
 * --build` and `sgnfile --build` do: the header and records are emitted with a zero
 * signature, the file without its SIGNATURE TLV is signed (RSASSA-PKCS1-v1_5 through
 * node:crypto, which is deterministic), and the signature is written in place.
 * `makeCert` makes an X.509 certificate with node-forge from a given key, serial and
 * dates, so the same inputs give the same bytes (the lab and the tests rely on that).
 */
import { createPrivateKey, createPublicKey, sign as rsaSign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import {
  emitHeader, headerLen, emitRecord, recordLen, parseHeader, DIGEST_SHA1, DIGEST_SHA256,
} from '../../firmware/trust/tlv';
import type { Header, TrustRecord } from '../../firmware/trust/tlv';
import { parseCert, Der } from '../../firmware/trust/der';
import { UserError } from '../errors';

export type DigestName = 'sha1' | 'sha256';

/** A certificate with the private key that signs as it. */
export interface Signer {
  cert: Uint8Array;
  key: KeyObject;
}

export interface RecordSpec {
  cert: Uint8Array;
  role: number;
  dnsName?: string;
  /** IPv4, host order. */
  ip?: number;
}

export interface ListSpec {
  signer: Signer;
  records: RecordSpec[];
  digest?: DigestName;
  /** FILENAME in the header, e.g. CTLFile.tlv. */
  filename: string;
  /** Unix time (fixed in tests and the lab: no wall clock here). */
  timestamp: number;
  /** SIGNER_VERSION, default 1.0 (0x0100); -1 leaves it out. */
  signerVersion?: number;
}

export interface SignedSpec {
  signer: Signer;
  content: Uint8Array;
  digest?: DigestName;
  filename: string;
  timestamp: number;
}

function certFields(der: Uint8Array) {
  const c = parseCert(der);
  if (!c.ok) throw new UserError(`not an X.509 certificate: ${c.detail}`);
  return c.value;
}

/** The certificate's signatureValue bits (record tag 8). */
function certSignature(der: Uint8Array): Uint8Array {
  const d = new Der(der);
  d.read(0, der.length, 0x30);
  const end = d.end;
  d.read(d.at, end, 0x30);
  d.read(d.end, end, 0x30);
  if (!d.read(d.end, end, 0x03)) throw new UserError('certificate without a signature');
  return der.subarray(d.at + 1, d.end);
}

/** The record certutils writes for a certificate. */
export function recordFor(spec: RecordSpec): TrustRecord {
  const c = certFields(spec.cert);
  const none = new Uint8Array(0);
  return {
    role: spec.role, subject: c.subject, issuer: c.issuer, dnsName: spec.dnsName ?? '', serial: c.serial,
    publicKey: c.key, certSig: certSignature(spec.cert), cert: spec.cert, certHash: none,
    ip: spec.ip ?? -1, hashAlg: -1, length: 0,
  };
}

function headerFor(signer: Signer, digest: DigestName, filename: string, timestamp: number, signerVersion: number): Header {
  const c = certFields(signer.cert);
  const bits = createPublicKey(signer.key).asymmetricKeyDetails?.modulusLength ?? 0;
  return {
    version: 0x0102, signerVersion, signerName: c.subject, issuer: c.issuer, serial: c.serial,
    digest: digest === 'sha1' ? DIGEST_SHA1 : DIGEST_SHA256, signature: new Uint8Array(bits / 8),
    filename, timestamp, length: 0, sigAt: 0,
  };
}

/** Sign `file` (whose header has a zeroed signature of the key's size) in place. */
function signInPlace(file: Uint8Array, signer: Signer, digest: DigestName): Uint8Array {
  const h = parseHeader(file);
  if (!h.ok) throw new Error(`built header does not parse: ${h.detail}`);
  const at = h.value.sigAt;
  const n = h.value.signature.length;
  const signed = Buffer.concat([file.subarray(0, at), file.subarray(at + 3 + n)]);
  const sig = rsaSign(digest, signed, signer.key);
  if (sig.length !== n) throw new UserError(`signature is ${sig.length} bytes, the header says ${n}`);
  file.set(sig, at + 3);
  return file;
}

/** A signed CTL or ITL file. */
export function buildTrustList(spec: ListSpec): Uint8Array {
  const digest = spec.digest ?? 'sha1';
  const h = headerFor(spec.signer, digest, spec.filename, spec.timestamp, spec.signerVersion ?? 0x0100);
  const recs = spec.records.map(recordFor);
  let size = headerLen(h);
  for (const r of recs) {
    const n = recordLen(r);
    if (n > 0xffff) throw new UserError(`a record of ${n} bytes does not fit the u16 RECORD_LENGTH`);
    size += n;
  }
  const out = new Uint8Array(size);
  let p = emitHeader(h, out, 0);
  for (const r of recs) p += emitRecord(r, out, p);
  return signInPlace(out, spec.signer, digest);
}

/** A signed file: the signed header, then `content` unchanged (certutils `sgnfile`). */
export function signFile(spec: SignedSpec): Uint8Array {
  const digest = spec.digest ?? 'sha1';
  const h = headerFor(spec.signer, digest, spec.filename, spec.timestamp, -1);
  const n = headerLen(h);
  const out = new Uint8Array(n + spec.content.length);
  emitHeader(h, out, 0);
  out.set(spec.content, n);
  return signInPlace(out, spec.signer, digest);
}

export interface CertSpec {
  /** The subject's key (PEM or KeyObject, private or public). */
  key: KeyObject | string;
  /** [short name, value] pairs in order, e.g. [['CN', 'cm1'], ['O', 'Lab']]. */
  subject: [string, string][];
  /** Issuer name and key; self-signed when absent (then `key` must be private). */
  issuer?: [string, string][];
  issuerKey?: KeyObject | string;
  /** Hex, without a sign bit problem (forge writes it as given). */
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

function pem(k: KeyObject | string, priv: boolean): string {
  if (typeof k === 'string') return priv ? k : createPublicKey(k).export({ type: 'spki', format: 'pem' }).toString();
  return (priv ? k.export({ type: 'pkcs8', format: 'pem' }) : createPublicKey(k).export({ type: 'spki', format: 'pem' })).toString();
}

/** An X.509 v3 certificate (sha256WithRSAEncryption), the same bytes for the same inputs. */
export function makeCert(spec: CertSpec): Uint8Array {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pem(spec.key, false));
  cert.serialNumber = spec.serial;
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = spec.notAfter;
  const attrs = (a: [string, string][]) => a.map(([shortName, value]) => ({ shortName, value }));
  cert.setSubject(attrs(spec.subject));
  cert.setIssuer(attrs(spec.issuer ?? spec.subject));
  const signKey = forge.pki.privateKeyFromPem(pem(spec.issuerKey ?? spec.key, true));
  cert.sign(signKey, forge.md.sha256.create());
  const der = forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes();
  return new Uint8Array(Buffer.from(der, 'binary'));
}

/** A private key from PEM text. */
export function privateKey(text: string, what: string): KeyObject {
  try {
    return createPrivateKey(text);
  } catch {
    throw new UserError(`${what}: not a private key (PEM)`);
  }
}
