/**
 * `dialtone flash` as an importable API: upload a signed image to a board in serial recovery,
 * resume where the board says it is, check the board's verdict, mark the image and reset.
 * Event-driven on a Clock (no async inside), so the same job runs on virtual time in tests
 * and on the wall clock from the CLI (runFlashJob wraps it in a Promise).
 *
 * Steps: params (the board's packet size) -> upload from offset 0 with length and SHA-256
 * (the board answers with the offset it already has, so an interrupted upload continues) ->
 * the last answer carries the board's verdict (bytes read back match the SHA-256; the image
 * validates: hash TLV, trusted key, signature) -> image state write (test or confirm) ->
 * reset.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../hal/clock';
import { SMP_OP_READ, SMP_OP_WRITE, PACKET_OVERHEAD } from '../../flash/serial/frame';
import { fieldBool, fieldBytes, fieldNumber, fieldString } from '../../flash/serial/cbor';
import type { CborMap } from '../../flash/serial/cbor';
import {
  GROUP_IMAGE, GROUP_OS, IMG_STATE, IMG_UPLOAD, OS_PARAMS, OS_RESET, RC_EBADSTATE, RC_ENOTSUP, RC_OK, rcName,
} from '../../flash/serial/smp';
import { bytesSource, readImageInfo, versionToString } from '../../flash/image';
import { SmpClient } from './client';
import type { ClientFailure } from './client';

export interface FlashOptions {
  /** Mark the image for one test boot instead of confirming it (default: confirm). */
  test?: boolean;
  /** Reset the board at the end (default true). */
  reset?: boolean;
  /** Cap on the data bytes per chunk (default: what the board's buffer allows). */
  chunkSize?: number;
}

export type FlashPhase = 'connect' | 'upload' | 'verify' | 'mark' | 'reset' | 'done';

export interface FlashEvents {
  onPhase?(phase: FlashPhase, detail: string): void;
  /** After each acknowledged chunk: bytes the board holds, the total, and where this run started. */
  onProgress?(off: number, len: number, startOff: number): void;
  /** Each chunk as it is sent (tests watch offsets). */
  onChunk?(off: number, length: number): void;
}

export type FlashErrorKind = 'no-answer' | 'refused' | 'verify' | 'protocol' | 'not-an-image';

export class FlashError extends Error {
  readonly kind: FlashErrorKind;
  constructor(kind: FlashErrorKind, message: string) {
    super(message);
    this.name = 'FlashError';
    this.kind = kind;
  }
}

export interface FlashResult {
  /** The offset the board already had when this run started (0 for a fresh upload). */
  resumedFrom: number;
  /** Image bytes sent in this run. */
  bytesSent: number;
  imageSize: number;
  /** Wire bytes written and read, all requests (resends included). */
  wireOut: number;
  wireIn: number;
  resent: number;
  /** Milliseconds from the first chunk to the board's verdict. */
  uploadMs: number;
  slot: number;
  hash: Uint8Array;
  loadId: string;
  version: string;
  confirmed: boolean;
  chunkSize: number;
}

/** Room for the upload fields around the data: off, len, sha and CBOR heads (65 B worst case). */
const UPLOAD_FIELDS = 72;
/** A board that does not answer params gets chunks sized for MCUboot's default 512-byte buffer. */
const DEFAULT_BOARD_BUFFER = 512;
const MAX_NO_PROGRESS = 5;

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** What the host knows of an image before sending it; throws FlashError('not-an-image') for other files. */
export function checkImage(image: Uint8Array): { hash: Uint8Array; loadId: string; version: string } {
  const info = readImageInfo(bytesSource(image));
  if (!info.ok && (info.reason === 'empty' || info.reason === 'bad-magic' || info.reason === 'bad-header' || info.reason === 'oversized')) {
    throw new FlashError('not-an-image', `not a Dialtone image (${info.detail}); sign it with 'dialtone sign'`);
  }
  // A parsable image names its hash; one that fails deeper is still sent: the board is the judge.
  if (!info.ok) return { hash: new Uint8Array(0), loadId: '?', version: '?' };
  return { hash: info.value.hash, loadId: info.value.loadId, version: versionToString(info.value.header.version) };
}

export class FlashJob {
  private readonly client: SmpClient;
  private readonly clock: Clock;
  private readonly image: Uint8Array;
  private readonly options: FlashOptions;
  private readonly events: FlashEvents;
  private readonly sha: Uint8Array;
  private readonly expectedHash: Uint8Array;
  private readonly loadId: string;
  private readonly version: string;
  private chunk = 0;
  private startOff = -1;
  private sent = 0;
  private t0 = 0;
  private uploadMs = 0;
  private stalls = 0;
  private restarts = 0;
  private lastOff = -1;
  private slot = -1;
  private finished = false;
  private done: (err: FlashError | null, result: FlashResult | null) => void = () => {};

  constructor(client: SmpClient, clock: Clock, image: Uint8Array, options: FlashOptions = {}, events: FlashEvents = {}) {
    this.client = client;
    this.clock = clock;
    this.image = image;
    this.options = options;
    this.events = events;
    this.sha = new Uint8Array(createHash('sha256').update(image).digest());
    const info = checkImage(image);
    this.expectedHash = info.hash;
    this.loadId = info.loadId;
    this.version = info.version;
  }

  /** Start; `done` is called once. */
  start(done: (err: FlashError | null, result: FlashResult | null) => void): void {
    this.done = done;
    this.phase('connect', 'asking the board for its buffer size');
    this.client.request(SMP_OP_READ, GROUP_OS, OS_PARAMS, (w) => w.map(0), (err, rsp) => {
      if (err) return this.fail(noAnswer(err, 'the board did not answer (is it in serial recovery, at this baud rate?)'));
      const rc = fieldNumber(rsp!, 'rc');
      let board = DEFAULT_BOARD_BUFFER;
      if (rc === undefined || rc === RC_OK) board = fieldNumber(rsp!, 'buf_size') ?? DEFAULT_BOARD_BUFFER;
      else if (rc !== RC_ENOTSUP) return this.fail(new FlashError('protocol', `params refused: ${rcName(rc)}`));
      const packet = Math.min(board, this.client.capacity);
      let chunk = Math.floor((packet - PACKET_OVERHEAD - UPLOAD_FIELDS) / 4) * 4;
      if (this.options.chunkSize) chunk = Math.min(chunk, this.options.chunkSize);
      if (chunk < 16) return this.fail(new FlashError('protocol', `the board's buffer (${board} bytes) is too small`));
      this.chunk = chunk;
      this.phase('upload', `${this.image.length} bytes in chunks of ${chunk}`);
      this.t0 = this.clock.now();
      this.sendChunk(0);
    });
  }

  /** Stop without a verdict (the host went away): nothing more is sent. */
  abort(): void {
    this.finished = true;
    this.client.close();
  }

  private phase(p: FlashPhase, detail: string): void {
    this.events.onPhase?.(p, detail);
  }

  private fail(e: FlashError): void {
    if (this.finished) return;
    this.finished = true;
    this.done(e, null);
  }

  private sendChunk(off: number): void {
    if (this.finished) return;
    const len = this.image.length;
    const n = Math.min(this.chunk, len - off);
    const data = this.image.subarray(off, off + n);
    this.events.onChunk?.(off, n);
    this.client.request(SMP_OP_WRITE, GROUP_IMAGE, IMG_UPLOAD, (w) => {
      w.map(off === 0 ? 4 : 2);
      w.text('off'); w.int(off);
      w.text('data'); w.bytes(data);
      if (off === 0) {
        w.text('len'); w.int(len);
        w.text('sha'); w.bytes(this.sha);
      }
    }, (err, rsp) => {
      if (err) return this.fail(noAnswer(err, `the board stopped answering at ${off} of ${len} bytes`));
      this.onUploadAnswer(off, n, rsp!);
    });
  }

  private onUploadAnswer(off: number, n: number, rsp: CborMap): void {
    const len = this.image.length;
    const rc = fieldNumber(rsp, 'rc') ?? RC_OK;
    const next = fieldNumber(rsp, 'off');
    if (rc === RC_EBADSTATE && off !== 0 && this.restarts < 2) {
      // The board lost the upload (reset, inactivity timeout): start over.
      this.restarts++;
      this.sendChunk(0);
      return;
    }
    if (next === len && fieldBool(rsp, 'match') !== undefined) {
      if (off + n === len && this.startOff >= 0) this.sent += n;
      this.uploadMs = this.clock.now() - this.t0;
      this.verdict(rsp, rc);
      return;
    }
    if (rc !== RC_OK) {
      const why = fieldString(rsp, 'rsn');
      this.fail(new FlashError('refused', `upload refused at ${off} bytes: ${rcName(rc)}${why ? ` (${why})` : ''}`));
      return;
    }
    if (next === undefined || next < 0 || next > len) {
      this.fail(new FlashError('protocol', `the board answered offset ${next} for an image of ${len} bytes`));
      return;
    }
    if (this.startOff < 0) {
      // The answer to the first chunk says where this run really starts.
      this.startOff = next === n ? 0 : next;
      if (this.startOff > 0) this.phase('upload', `resuming at ${next} of ${len} bytes`);
    }
    if (next === off + n && !(off === 0 && this.startOff > 0)) this.sent += n;
    if (next <= this.lastOff) {
      if (++this.stalls > MAX_NO_PROGRESS) {
        this.fail(new FlashError('protocol', `no progress: the board keeps answering offset ${next}`));
        return;
      }
    } else {
      this.stalls = 0;
    }
    this.lastOff = next;
    this.events.onProgress?.(next, len, this.startOff);
    if (next === len) {
      // All bytes there but no verdict in the answer: an older board; verify through the list.
      this.uploadMs = this.clock.now() - this.t0;
      this.mark();
      return;
    }
    this.sendChunk(next);
  }

  private verdict(rsp: CborMap, rc: number): void {
    this.events.onProgress?.(this.image.length, this.image.length, Math.max(0, this.startOff));
    this.phase('verify', 'checking the board\'s verdict');
    const why = fieldString(rsp, 'rsn');
    if (fieldBool(rsp, 'match') === false) {
      this.fail(new FlashError('verify', `the board's copy does not match the file's SHA-256${why ? ` (${why})` : ''}; flash again`));
      return;
    }
    if (rc !== RC_OK) {
      this.fail(new FlashError('refused', `image refused by the board: ${why ?? rcName(rc)}`));
      return;
    }
    const hash = fieldBytes(rsp, 'hash');
    if (!hash || (this.expectedHash.length > 0 && hexOf(hash) !== hexOf(this.expectedHash))) {
      this.fail(new FlashError('verify', `the board reports image hash ${hash ? hexOf(hash) : 'none'}, the file has ${hexOf(this.expectedHash)}`));
      return;
    }
    this.slot = fieldNumber(rsp, 'slot') ?? -1;
    this.mark();
  }

  private mark(): void {
    const confirm = !this.options.test;
    this.phase('mark', confirm ? 'confirming the image' : 'marking the image for a test boot');
    const hash = this.expectedHash;
    this.client.request(SMP_OP_WRITE, GROUP_IMAGE, IMG_STATE, (w) => {
      w.map(2);
      w.text('hash'); w.bytes(hash);
      w.text('confirm'); w.bool(confirm);
    }, (err, rsp) => {
      if (err) return this.fail(noAnswer(err, 'the board did not answer the image state write'));
      const rc = fieldNumber(rsp!, 'rc') ?? RC_OK;
      if (rc !== RC_OK) {
        const why = fieldString(rsp!, 'rsn');
        return this.fail(new FlashError('refused', `the board would not mark the image: ${why ?? rcName(rc)}`));
      }
      const images = rsp!.images;
      const entry = Array.isArray(images)
        ? images.find((m) => m && typeof m === 'object' && !(m instanceof Uint8Array) && !Array.isArray(m) &&
          m.hash instanceof Uint8Array && hexOf(m.hash) === hexOf(hash)) as CborMap | undefined
        : undefined;
      if (!entry || entry.bootable !== true) {
        return this.fail(new FlashError('verify', 'the board does not list the image as bootable after the upload'));
      }
      if (confirm ? entry.confirmed !== true : entry.pending !== true) {
        return this.fail(new FlashError('verify', `the board did not record the image as ${confirm ? 'confirmed' : 'pending'}`));
      }
      this.slot = fieldNumber(entry, 'slot') ?? this.slot;
      if (this.options.reset === false) return this.finish(confirm);
      this.phase('reset', 'resetting the board');
      this.client.request(SMP_OP_WRITE, GROUP_OS, OS_RESET, (w) => w.map(0), (err2) => {
        // The image is in and marked; a lost answer to the reset is no failure (the board may be rebooting).
        if (err2) this.phase('reset', 'no answer to the reset; power-cycle the board if it does not restart');
        this.finish(confirm);
      });
    });
  }

  private finish(confirmed: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.phase('done', '');
    const s = this.client.stats;
    this.done(null, {
      resumedFrom: Math.max(0, this.startOff),
      bytesSent: this.sent,
      imageSize: this.image.length,
      wireOut: s.wireOut,
      wireIn: s.wireIn,
      resent: s.resent,
      uploadMs: this.uploadMs,
      slot: this.slot,
      hash: this.expectedHash,
      loadId: this.loadId,
      version: this.version,
      confirmed,
      chunkSize: this.chunk,
    });
  }
}

function noAnswer(err: ClientFailure, what: string): FlashError {
  return new FlashError('no-answer', err.kind === 'closed' ? `${what}: ${err.detail}` : what);
}
