/**
 * Streaming readers for the trust-list format, as sinks the TFTP client writes into
 * (`write(data, offset)` in order, `end(size)`, `abort(reason)`; a repeat of bytes already
 * seen is ignored, a gap is an error, false from write stops the transfer).
 *
 *   listSink(crypto)   a CTL/ITL file: the header, then one record at a time; `result`
 *                      at end() is the TrustList (entries as the store keeps them, the
 *                      digest, the index of the signer's SAST record) for TrustStore.offer.
 *   signedSink(crypto, store, next)   a signed file (.sgn, .loads): the header's signer
 *                      must be a stored TFTP or CCM+TFTP entry (or `roles`); the content
 *                      after the header goes on to `next` (offsets from 0) while it is
 *                      hashed, and next.end() is called only when the signature verifies
 *                      (else next.abort()).
 *
 * The digest covers every byte except the SIGNATURE TLV (tag, length, value), computed
 * while the file streams. RAM: one BUF_MAX buffer (the header, then each record in turn),
 * MAX_LIST entries, the digest state. `result` is null until the stream ends or fails.
 */
import { fail, ok, describe } from '../../lib/result';
import type { Result, Fail } from '../../lib/result';
import { copyBytes, readU16 } from '../../lib/bytes';
import type { Crypto, Sha256 } from '../../hal/crypto';
import { parseHeader, parseRecord, ROLE_SAST, DIGEST_SHA1, DIGEST_SHA256 } from './tlv';
import type { Header, TrustRecord } from './tlv';
import { entryOf, nameId, signs, verifyWith, FILE_SIGNERS, MAX_LIST } from './store';
import type { Entry, TrustList, TrustStore } from './store';

/** The largest header or record read (a real ITL's largest record: 2585 bytes). */
export const BUF_MAX = 4096;

/** Where a signed file's content goes (firmware/config's ConfigSink has this shape). */
export interface ByteSink {
  write(data: Uint8Array, offset: number): boolean;
  end(size: number): void;
  abort(reason: string): void;
}

const ST_PREFIX = 0;
const ST_HEADER = 1;
const ST_RPREFIX = 2;
const ST_RECORD = 3;
const ST_BODY = 4;

export class TrustSink {
  result: Result<TrustList> | null = null;
  /** Called once with the result. */
  done: ((r: Result<TrustList>) => void) | null = null;
  /** Tools: each record as parsed (a view valid during the call). */
  onRecord: ((r: TrustRecord) => void) | null = null;
  private crypto: Crypto;
  private next: ByteSink | null;
  private store: TrustStore | null;
  private roles: number;
  private buf: Uint8Array = new Uint8Array(BUF_MAX);
  private st = ST_PREFIX;
  private fill = 0;
  private need = 10;
  private got = 0;
  private base = 0;
  private hash: Sha256 | null = null;
  private header: Header | null = null;
  private issuerId: Uint8Array = new Uint8Array(0);
  private entries: Entry[] = [];
  private signer = -1;
  private key: Entry | null = null;

  constructor(crypto: Crypto, next: ByteSink | null, store: TrustStore | null, roles: number) {
    this.crypto = crypto;
    this.next = next;
    this.store = store;
    this.roles = roles;
  }

  write(data: Uint8Array, offset: number): boolean {
    if (this.result !== null) return false;
    if (offset > this.got) return this.stop(fail('malformed', 'gap at ' + offset), true);
    let i = this.got - offset;
    if (i >= data.length) return true;
    this.got = offset + data.length;
    while (i < data.length) {
      if (this.st === ST_BODY) {
        const part = data.subarray(i);
        (this.hash as Sha256).update(part);
        if (!(this.next as ByteSink).write(part, offset + i - this.base)) return this.stop(fail('malformed', 'content'), false);
        return true;
      }
      const n = Math.min(this.need - this.fill, data.length - i);
      this.buf.set(data.subarray(i, i + n), this.fill);
      this.fill += n;
      i += n;
      while (this.result === null && this.st !== ST_BODY && this.fill === this.need) this.step();
      if (this.result !== null) return false;
    }
    return true;
  }

  end(size: number): void {
    if (this.result !== null) return;
    if (size !== this.got) { this.stop(fail('truncated', 'size ' + size + ', got ' + this.got), true); return; }
    const h = this.header;
    if (this.next === null) {
      if (h === null || this.st !== ST_RPREFIX || this.fill !== 0) { this.stop(fail('truncated', 'file'), true); return; }
      if (this.entries.length === 0) { this.stop(fail('malformed', 'no records'), true); return; }
      this.settle(ok({ header: h, entries: this.entries, digest: (this.hash as Sha256).digest(), signer: this.signer }));
      return;
    }
    if (h === null || this.st !== ST_BODY) { this.stop(fail('truncated', 'header'), true); return; }
    const digest = (this.hash as Sha256).digest();
    if (!verifyWith(this.crypto, h, digest, this.key as Entry)) { this.stop(fail('signature', 'bad signature'), true); return; }
    this.settle(ok({ header: h, entries: this.entries, digest: digest, signer: -1 }));
    this.next.end(size - this.base);
  }

  abort(reason: string | { kind: string }): void {
    if (this.result === null) this.stop(fail('truncated', 'aborted: ' + (typeof reason === 'string' ? reason : reason.kind)), true);
  }

  private step(): void {
    const b = this.buf;
    if (this.st === ST_PREFIX) {
      if (b[0] !== 1 || readU16(b, 1) !== 2 || b[5] !== 2 || readU16(b, 6) !== 2) { this.stop(fail('malformed', 'header start'), true); return; }
      const n = readU16(b, 8);
      if (n > BUF_MAX) { this.stop(fail('too-large', 'header'), true); return; }
      if (n < 10) { this.stop(fail('malformed', 'header length'), true); return; }
      this.need = n;
      this.st = ST_HEADER;
    } else if (this.st === ST_HEADER) this.takeHeader();
    else if (this.st === ST_RPREFIX) {
      const n = readU16(b, 3);
      if (b[0] !== 1 || readU16(b, 1) !== 2 || n < 5) { this.stop(fail('malformed', 'record start'), true); return; }
      if (n > BUF_MAX) { this.stop(fail('too-large', 'record'), true); return; }
      this.need = n;
      this.st = ST_RECORD;
    } else this.takeRecord();
  }

  private takeHeader(): void {
    const b = this.buf;
    const p = parseHeader(b.subarray(0, this.need));
    if (!p.ok) { this.stop(p, true); return; }
    const h = p.value;
    const hash = h.digest === DIGEST_SHA1 ? this.crypto.sha1() : h.digest === DIGEST_SHA256 ? this.crypto.sha256() : null;
    if (hash === null) { this.stop(fail('unsupported', 'digest ' + h.digest), true); return; }
    hash.update(b.subarray(0, h.sigAt));
    hash.update(b.subarray(h.sigAt + 3 + h.signature.length, h.length));
    h.serial = copyBytes(h.serial);
    h.signature = copyBytes(h.signature);
    this.hash = hash;
    this.header = h;
    this.base = h.length;
    this.fill = 0;
    if (this.next === null) {
      this.issuerId = nameId(this.crypto, h.issuer);
      this.need = 5;
      this.st = ST_RPREFIX;
      return;
    }
    this.key = this.store === null ? null : this.store.signer(h, this.roles, -1);
    if (this.key === null) { this.stop(fail('refused', 'unknown signer'), true); return; }
    this.st = ST_BODY;
  }

  private takeRecord(): void {
    const rec = this.buf.subarray(0, this.need);
    (this.hash as Sha256).update(rec);
    const r = parseRecord(rec);
    if (!r.ok) { this.stop(r, true); return; }
    if (this.entries.length >= MAX_LIST) { this.stop(fail('too-large', 'records'), true); return; }
    const e = entryOf(this.crypto, r.value);
    if (!e.ok) { this.stop(e, true); return; }
    if (this.onRecord !== null) this.onRecord(r.value);
    const h = this.header as Header;
    if (this.signer < 0 && e.value.role === ROLE_SAST && signs(e.value, h.serial, this.issuerId)) this.signer = this.entries.length;
    this.entries.push(e.value);
    this.fill = 0;
    this.need = 5;
    this.st = ST_RPREFIX;
  }

  /** Fail once; `tell` passes the reason on to the next sink. Returns false (for write). */
  private stop(f: Fail, tell: boolean): boolean {
    this.settle(f);
    if (tell && this.next !== null) this.next.abort(describe(f));
    return false;
  }

  private settle(r: Result<TrustList>): void {
    this.result = r;
    if (this.done !== null) this.done(r);
  }
}

/** A sink for a CTL or ITL file. */
export function listSink(crypto: Crypto): TrustSink {
  return new TrustSink(crypto, null, null, 0);
}

/** A sink for a signed file whose content goes on to `next`; `roles` defaults to FILE_SIGNERS. */
export function signedSink(crypto: Crypto, store: TrustStore, next: ByteSink, roles?: number): TrustSink {
  return new TrustSink(crypto, next, store, roles === undefined ? FILE_SIGNERS : roles);
}
