/**
 * What `dialtone ctl show` prints: a trust list's header, each record and whether the
 * signature verifies (with the list's own SAST record naming the signer, as a phone
 * checks a first list), or a signed file's header and, given trust lists, whether a
 * phone holding them would accept it. Reads through the firmware's own parser
 * (firmware/trust) fed in TFTP-sized chunks, so what it shows is what the phone reads;
 * validity dates come from node:crypto (the phone does not read them).
 */
import { X509Certificate, createHash } from 'node:crypto';
import { HostCrypto } from '../../hal/sim/crypto-host';
import { parseHeader, roleName, DIGEST_SHA1, DIGEST_SHA256 } from '../../firmware/trust/tlv';
import type { Header, TrustRecord } from '../../firmware/trust/tlv';
import { parseCert, parseRsaKey, KEY_RSA, KEY_EC } from '../../firmware/trust/der';
import { listSink, signedSink, type ByteSink, type TrustSink } from '../../firmware/trust/sink';
import { TrustStore, slotOf, refusal, verifyWith, FILE_SIGNERS } from '../../firmware/trust/store';
import { hex, ipToString } from '../../lib/bytes';
import { describe as describeFail } from '../../lib/result';

const crypto = new HostCrypto();

export interface HeaderInfo {
  version: string;
  headerLength: number;
  signerVersion: string | null;
  signer: string;
  issuer: string;
  serial: string;
  digest: string;
  signatureBits: number;
  filename: string;
  timestamp: number | null;
  time: string | null;
}

export interface RecordInfo {
  role: string;
  roleId: number;
  subject: string;
  issuer: string;
  serial: string;
  dnsName: string | null;
  ip: string | null;
  key: string;
  keyBits: number | null;
  sha1: string | null;
  sha256: string | null;
  notBefore: string | null;
  notAfter: string | null;
}

export interface FileInfo {
  file: string;
  size: number;
  kind: 'trust-list' | 'signed-file';
  header: HeaderInfo;
  records: RecordInfo[];
  /** Signed files: bytes after the header. */
  contentLength: number | null;
  signature: { verified: boolean | null; detail: string };
}

function ver(v: number): string {
  return `${v >> 8}.${v & 255}`;
}

function digestName(d: number): string {
  return d === DIGEST_SHA1 ? 'SHA1' : d === DIGEST_SHA256 ? 'SHA256' : `digest ${d}`;
}

function headerInfo(h: Header): HeaderInfo {
  return {
    version: ver(h.version), headerLength: h.length, signerVersion: h.signerVersion >= 0 ? ver(h.signerVersion) : null,
    signer: h.signerName, issuer: h.issuer, serial: hex(h.serial), digest: digestName(h.digest),
    signatureBits: h.signature.length * 8, filename: h.filename,
    timestamp: h.timestamp >= 0 ? h.timestamp : null,
    time: h.timestamp >= 0 ? new Date(h.timestamp * 1000).toISOString().replace('.000Z', 'Z') : null,
  };
}

function recordInfo(r: TrustRecord): RecordInfo {
  const c = r.cert.length > 0 ? parseCert(r.cert) : null;
  let key = 'none';
  let keyBits: number | null = null;
  if (c && c.ok) {
    key = c.value.keyType === KEY_RSA ? 'RSA' : c.value.keyType === KEY_EC ? 'EC' : 'other';
    if (c.value.keyType === KEY_RSA) keyBits = c.value.modulus.length * 8;
  } else if (r.publicKey.length > 0) {
    const k = parseRsaKey(r.publicKey);
    key = k.ok ? 'RSA' : 'EC or other';
    if (k.ok) keyBits = k.value[0].length * 8;
  }
  let notBefore: string | null = null;
  let notAfter: string | null = null;
  if (r.cert.length > 0) {
    try {
      const x = new X509Certificate(r.cert);
      notBefore = new Date(x.validFrom).toISOString().replace('.000Z', 'Z');
      notAfter = new Date(x.validTo).toISOString().replace('.000Z', 'Z');
    } catch { /* the phone's parser accepted it; dates are only shown */ }
  }
  return {
    role: roleName(r.role), roleId: r.role, subject: r.subject || (c && c.ok ? c.value.subject : ''),
    issuer: r.issuer || (c && c.ok ? c.value.issuer : ''), serial: hex(r.serial.length > 0 ? r.serial : c && c.ok ? c.value.serial : r.serial),
    dnsName: r.dnsName || null, ip: r.ip >= 0 ? ipToString(r.ip) : null, key, keyBits,
    sha1: r.cert.length > 0 ? createHash('sha1').update(r.cert).digest('hex') : r.certHash.length > 0 ? hex(r.certHash) : null,
    sha256: r.cert.length > 0 ? createHash('sha256').update(r.cert).digest('hex') : null,
    notBefore, notAfter,
  };
}

function feed(sink: TrustSink, bytes: Uint8Array): void {
  for (let o = 0; o < bytes.length && sink.result === null; o += 512) sink.write(bytes.subarray(o, Math.min(bytes.length, o + 512)), o);
  sink.end(bytes.length);
}

/** A phone's store after it installed `lists` in order (the first of each kind on trust). */
export function storeFrom(lists: { name: string; bytes: Uint8Array }[]): TrustStore {
  const store = new TrustStore(crypto);
  for (const l of lists) {
    const s = listSink(crypto);
    feed(s, l.bytes);
    if (!s.result!.ok) throw new Error(`${l.name}: ${describeFail(s.result!)}`);
    const o = store.offer(slotOf(l.name), s.result!.value);
    if (!o.ok) throw new Error(`${l.name}: refused (${refusal(o)}: ${o.detail})`);
    store.commit(o.value);
  }
  return store;
}

/** Is this a trust list (records after the header) rather than a signed file? */
function isList(bytes: Uint8Array, h: Header): boolean {
  const p = h.length;
  return p + 5 <= bytes.length && bytes[p] === 1 && bytes[p + 1] === 0 && bytes[p + 2] === 2;
}

/**
 * Describe a CTL/ITL or signed file. `trust` (trust lists) lets a signed file be checked;
 * null `verified` means it was not checked. Throws Error with a one-line reason when the
 * header itself does not parse.
 */
export function describeFile(name: string, bytes: Uint8Array, trust: { name: string; bytes: Uint8Array }[]): FileInfo {
  const hp = parseHeader(bytes);
  if (!hp.ok) throw new Error(`not a signed TLV file (${describeFail(hp)})`);
  const header = headerInfo(hp.value);
  if (isList(bytes, hp.value)) {
    const records: RecordInfo[] = [];
    const s = listSink(crypto);
    s.onRecord = (r) => { records.push(recordInfo(r)); };
    feed(s, bytes);
    const r = s.result!;
    let signature: FileInfo['signature'];
    if (!r.ok) signature = { verified: false, detail: `unreadable: ${describeFail(r)}` };
    else if (r.value.signer < 0) signature = { verified: false, detail: 'no SAST record names the signer' };
    else {
      const good = verifyWith(crypto, r.value.header, r.value.digest, r.value.entries[r.value.signer]);
      signature = { verified: good, detail: `${good ? 'verifies' : 'does not verify'} with SAST record ${r.value.signer + 1} (serial ${header.serial})` };
    }
    return { file: name, size: bytes.length, kind: 'trust-list', header, records, contentLength: null, signature };
  }
  const contentLength = bytes.length - hp.value.length;
  if (trust.length === 0) {
    return { file: name, size: bytes.length, kind: 'signed-file', header, records: [], contentLength, signature: { verified: null, detail: 'give --ctl LIST to check it against trust lists' } };
  }
  const store = storeFrom(trust);
  const none: ByteSink = { write: () => true, end: () => {}, abort: () => {} };
  const s = signedSink(crypto, store, none);
  feed(s, bytes);
  const r = s.result!;
  const by = store.signer(hp.value, FILE_SIGNERS, -1);
  const signature = r.ok && by
    ? { verified: true, detail: `verifies with ${roleName(by.role)} ${by.cn} (serial ${hex(by.serial)})` }
    : { verified: false, detail: r.ok ? 'no signer' : refusal(r) === r.detail ? `refused: ${r.detail}` : `refused: ${refusal(r)} (${r.detail})` };
  return { file: name, size: bytes.length, kind: 'signed-file', header, records: [], contentLength, signature };
}

export function formatInfo(i: FileInfo): string {
  const h = i.header;
  const lines = [
    `file        ${i.file} (${i.size} bytes), ${i.kind === 'trust-list' ? `trust list, ${i.records.length} records` : `signed file, ${i.contentLength} bytes of content`}`,
    `version     ${h.version}, header ${h.headerLength} bytes${h.signerVersion ? `, signer version ${h.signerVersion}` : ''}`,
    `signer      ${h.signer}`,
    `issuer      ${h.issuer}`,
    `serial      ${h.serial}`,
    `signature   ${h.digest} with RSA, ${h.signatureBits} bits`,
    `filename    ${h.filename}`,
  ];
  if (h.timestamp !== null) lines.push(`timestamp   ${h.timestamp} (${h.time})`);
  i.records.forEach((r, n) => {
    lines.push(`record ${n + 1}    ${r.role}`);
    lines.push(`  subject   ${r.subject}`, `  issuer    ${r.issuer}`, `  serial    ${r.serial}`);
    if (r.dnsName) lines.push(`  dns name  ${r.dnsName}`);
    if (r.ip) lines.push(`  address   ${r.ip}`);
    lines.push(`  key       ${r.key}${r.keyBits ? ` ${r.keyBits} bits` : ''}`);
    if (r.sha1) lines.push(`  sha1      ${r.sha1}`);
    if (r.sha256) lines.push(`  sha256    ${r.sha256}`);
    if (r.notBefore) lines.push(`  valid     ${r.notBefore} to ${r.notAfter}`);
  });
  const v = i.signature.verified;
  lines.push(`verified    ${v === null ? 'not checked' : v ? 'yes' : 'NO'}: ${i.signature.detail}`);
  return lines.join('\n');
}
