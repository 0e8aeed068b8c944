/**
 * Serial recovery, the device side: when the loader finds no valid image it hands over to
 * the recovery module (flash/recovery-main.ts, via hal.system.startRecovery), which calls
 * `serialRecovery(hal, options)`, and the board answers SMP requests on its console UART (framing in
 * frame.ts, commands in smp.ts, bytes in flash/serial/README.md), shaped after MCUboot's
 * boot_serial:
 *
 *   OS echo, OS reset, OS params (buffer size), image state (list; mark test/confirm),
 *   image upload (offset + chunk; the first chunk carries the total length and the SHA-256
 *   of the whole file; the answer is always the offset the board wants next).
 *
 * Where it differs from MCUboot, on purpose:
 *   - an upload never writes over a slot blindly: it goes to the slot that is not the
 *     confirmed one (both are invalid here anyway), erasing each sector once as data reaches it;
 *   - resume: a first chunk (off 0) with the same length and SHA-256 as the upload in
 *     progress is answered with the offset already written, so the host continues from there;
 *   - at the last chunk the board reads the staged bytes back, compares their SHA-256 with
 *     the announced one, then validates the image (hash TLV, trusted key, Ed25519). Only a
 *     valid signed image is marked for a test boot; the answer carries "match", the image's
 *     "hash" and, when refused, "rsn" with the typed reason;
 *   - an inactivity timeout: silence while a packet or an upload is in progress drops it
 *     (the slot is simply left invalid); silence after a valid image was marked resets the
 *     board, so a host that died after the upload does not strand it.
 *
 * Bad frames are dropped and counted by the FrameReader; a well-framed request that makes
 * no sense gets an error code. Nothing here throws on input. Memory: one receive packet
 * buffer (`bufferSize`), one line buffer, one small answer buffer, one sector-sized scratch.
 */
import type { Hal } from '../../hal/index';
import { FLASH_OK } from '../../hal/flash';
import { LOG_INFO, LOG_WARN, RESET_REQUESTED } from '../../hal/system';
import type { FlashLayout } from '../layout';
import { computeLayout } from '../layout';
import { BootStateStore, copyBootState } from '../bootstate';
import { SLOT_A, SLOT_B, SLOT_NONE } from '../constants';
import { versionToString } from '../image';
import type { TrustedKey, ImageInfo } from '../image';
import { beginStaging, markPending, readSlotInfo, validateSlot } from '../stage';
import type { ImageStager } from '../stage';
import { bytesEqual } from '../../lib/bytes';
import { FrameReader, FrameWriter, SMP_OP_READ, SMP_OP_WRITE } from './frame';
import type { SmpHeader } from './frame';
import { cborDecode, isMap, fieldNumber, fieldBytes, fieldBool, fieldString } from './cbor';
import type { CborMap, CborWriter } from './cbor';
import {
  GROUP_OS, GROUP_IMAGE, OS_ECHO, OS_RESET, OS_PARAMS, IMG_STATE, IMG_UPLOAD,
  RC_OK, RC_EINVAL, RC_ENOENT, RC_EBADSTATE, RC_ENOTSUP, RC_ECORRUPT, RC_EUNKNOWN, RC_ENOMEM,
} from './smp';

/** Largest packet the board accepts unless told otherwise (MCUboot's default is 512; 4 KiB is optimal per its maintainers; this is a middle ground for RAM). */
export const RECOVERY_BUFFER_SIZE = 2048;
/** Silence that ends an upload (or, after a valid upload, resets the board). */
export const RECOVERY_INACTIVITY_MS = 30000;
/** Answers are small: the image list is the largest. */
const ANSWER_SIZE = 512;
const ECHO_MAX = 128;
const SHA_MAX = 32;

export interface RecoveryEvent {
  /** 'start' | 'upload-start' | 'upload-resume' | 'upload-done' | 'refused' | 'marked' | 'timeout' | 'reset' */
  kind: string;
  detail: string;
  /** Offset and total of the upload, when there is one. */
  off: number;
  len: number;
}

export interface RecoveryOptions {
  /** Keys an image must be signed with: the loader build's (flash/config.ts configKeys). */
  keys: TrustedKey[];
  /** The loader build's downgrade override (development loaders only; default false). */
  allowDowngrade?: boolean;
  /** Largest packet accepted, length prefix and CRC included (default RECOVERY_BUFFER_SIZE). */
  bufferSize?: number;
  /** Inactivity timeout in ms (default RECOVERY_INACTIVITY_MS). */
  inactivityMs?: number;
  /** The layout (default: computed from the flash geometry). */
  layout?: FlashLayout;
  /** Observer for tests and tools. */
  onEvent?: (e: RecoveryEvent) => void;
}

/** The upload in progress: the stager (flash/stage.ts) knows the offset. */
interface Upload {
  slot: number;
  len: number;
  off: number;
  sha: Uint8Array;
  stager: ImageStager;
}

/** The recovery server. `serialRecovery` makes one and starts it. */
export class RecoveryServer {
  private readonly hal: Hal;
  private readonly keys: TrustedKey[];
  private readonly allowDowngrade: boolean;
  private readonly layout: FlashLayout | null;
  private readonly layoutError: string;
  private readonly bufferSize: number;
  private readonly inactivityMs: number;
  private readonly onEvent: ((e: RecoveryEvent) => void) | undefined;
  private readonly reader: FrameReader;
  private readonly writer: FrameWriter;
  private readonly scratch: Uint8Array;
  private readonly store: BootStateStore | null;
  private upload: Upload | null;
  /** The slot holding a validated upload marked for boot, or SLOT_NONE. */
  private marked: number;
  private lastRx: number;
  private timer: number;
  private resetting: boolean;
  private resetPending: boolean;
  /** Requests answered, and requests refused as malformed. */
  answered: number;
  badRequests: number;

  constructor(hal: Hal, options: RecoveryOptions) {
    const o = options;
    this.hal = hal;
    this.keys = o.keys;
    this.allowDowngrade = o.allowDowngrade === true;
    this.bufferSize = o.bufferSize !== undefined ? o.bufferSize : RECOVERY_BUFFER_SIZE;
    this.inactivityMs = o.inactivityMs !== undefined ? o.inactivityMs : RECOVERY_INACTIVITY_MS;
    this.onEvent = o.onEvent;
    let layout: FlashLayout | null = o.layout !== undefined ? o.layout : null;
    let layoutError = '';
    if (layout === null) {
      const l = computeLayout(hal.flash.geometry);
      if (l.ok) layout = l.value;
      else layoutError = l.detail;
    }
    this.layout = layout;
    this.layoutError = layoutError;
    this.store = layout !== null ? new BootStateStore(hal.flash, layout) : null;
    const self = this;
    this.reader = new FrameReader(this.bufferSize, function (h: SmpHeader, buf: Uint8Array, s: number, e: number): void {
      self.onPacket(h, buf, s, e);
    });
    this.writer = new FrameWriter(ANSWER_SIZE);
    this.scratch = new Uint8Array(layout !== null && layout.geometry.sectorSize < 4096 ? layout.geometry.sectorSize : 4096);
    this.upload = null;
    this.marked = SLOT_NONE;
    this.lastRx = 0;
    this.timer = -1;
    this.resetting = false;
    this.resetPending = false;
    this.answered = 0;
    this.badRequests = 0;
  }

  /** Frames the reader dropped, by reason. */
  frameStats(): { packets: number; badCrc: number; malformed: number; overflow: number; noise: number } {
    return this.reader.stats;
  }

  /** Listen on the console UART and say so on the display. */
  start(): void {
    const self = this;
    this.hal.serial.onData(function (bytes: Uint8Array): void {
      self.receive(bytes);
    });
    this.hal.display.setLine(0, 'Serial recovery');
    this.hal.display.setLine(1, 'Waiting on serial ' + this.hal.serial.baudRate());
    this.hal.system.log(LOG_INFO, 'recovery', 'serial recovery: no valid image; listening at ' +
      this.hal.serial.baudRate() + ' baud, packets up to ' + this.bufferSize + ' bytes');
    if (this.layout === null) this.hal.system.log(LOG_WARN, 'recovery', 'no usable layout: ' + this.layoutError);
    this.emit('start', 'listening', 0, 0);
  }

  /** Bytes from the UART. */
  receive(bytes: Uint8Array): void {
    if (this.resetting && !this.resetPending) return;
    this.lastRx = this.hal.clock.now();
    this.reader.push(bytes);
    this.armTimer();
  }

  private emit(kind: string, detail: string, off: number, len: number): void {
    if (this.onEvent !== undefined) this.onEvent({ kind: kind, detail: detail, off: off, len: len });
  }

  // ---- inactivity ----------------------------------------------------------------------

  /** Something to guard: a half packet, an upload, or a marked image waiting for a reset. */
  private active(): boolean {
    return this.reader.busy() || this.upload !== null || this.marked !== SLOT_NONE;
  }

  private armTimer(): void {
    if (this.timer >= 0 || !this.active()) return;
    const self = this;
    const due = this.lastRx + this.inactivityMs - this.hal.clock.now();
    this.timer = this.hal.clock.setTimer(due > 0 ? due : 0, function (): void {
      self.timer = -1;
      self.onTimer();
    });
  }

  private onTimer(): void {
    if (this.resetting) return;
    const idle = this.hal.clock.now() - this.lastRx;
    if (idle < this.inactivityMs) {
      this.armTimer();
      return;
    }
    this.reader.reset();
    const u = this.upload;
    if (u !== null) {
      this.upload = null;
      const msg = 'upload abandoned after ' + idle + ' ms of silence at ' + u.off + ' of ' + u.len + ' bytes';
      this.hal.system.log(LOG_WARN, 'recovery', msg);
      this.hal.display.setLine(1, 'Upload timed out');
      this.emit('timeout', msg, u.off, u.len);
    }
    if (this.marked !== SLOT_NONE) {
      this.emit('timeout', 'no reset after the upload; booting the new image', 0, 0);
      this.doReset('inactivity after a valid upload');
    }
  }

  private doReset(why: string): void {
    this.resetting = true;
    if (this.timer >= 0) this.hal.clock.clearTimer(this.timer);
    this.timer = -1;
    this.hal.system.log(LOG_INFO, 'recovery', 'reset: ' + why);
    this.emit('reset', why, 0, 0);
    this.hal.system.reset(RESET_REQUESTED);
  }

  // ---- requests ------------------------------------------------------------------------

  private onPacket(h: SmpHeader, buf: Uint8Array, start: number, end: number): void {
    if (this.resetting) {
      // A reset is on its way: answer a resent reset request again (its answer may have been lost).
      if (this.resetPending && h.group === GROUP_OS && h.id === OS_RESET && h.op === SMP_OP_WRITE) this.answerRc(h, RC_OK, '');
      return;
    }
    if (h.op !== SMP_OP_READ && h.op !== SMP_OP_WRITE) return; // an answer echoed back: ignore
    let req: CborMap | null = null;
    if (end > start) {
      const v = cborDecode(buf, start, end);
      if (v.ok && isMap(v.value)) req = v.value;
    } else {
      req = Object.create(null) as CborMap;
    }
    if (req === null) {
      this.badRequests++;
      this.answerRc(h, RC_EINVAL, 'payload is not a CBOR map');
      return;
    }
    if (h.group === GROUP_OS) {
      if (h.id === OS_ECHO && h.op === SMP_OP_WRITE) { this.echo(h, req); return; }
      if (h.id === OS_RESET && h.op === SMP_OP_WRITE) { this.reset(h); return; }
      if (h.id === OS_PARAMS && h.op === SMP_OP_READ) { this.params(h); return; }
    } else if (h.group === GROUP_IMAGE) {
      if (h.id === IMG_UPLOAD && h.op === SMP_OP_WRITE) { this.onUpload(h, req); return; }
      if (h.id === IMG_STATE) {
        if (h.op === SMP_OP_READ) this.listImages(h);
        else this.setState(h, req);
        return;
      }
    }
    this.answerRc(h, RC_ENOTSUP, '');
  }

  /** Send the answer begun with writer.begin(); `fields` map entries were written by the caller. */
  private send(h: SmpHeader): void {
    const wire = this.writer.finish(h.op + 1, h.group, h.id, h.seq);
    if (wire === null) {
      // The answer did not fit: say so in a minimal answer instead.
      const w = this.writer.begin();
      w.map(1); w.text('rc'); w.int(RC_ENOMEM);
      const small = this.writer.finish(h.op + 1, h.group, h.id, h.seq);
      if (small !== null) this.hal.serial.write(small);
      return;
    }
    this.answered++;
    this.hal.serial.write(wire);
  }

  private answerRc(h: SmpHeader, rc: number, reason: string): void {
    const w = this.writer.begin();
    w.map(reason.length > 0 ? 2 : 1);
    w.text('rc'); w.int(rc);
    if (reason.length > 0) { w.text('rsn'); w.text(reason.length > 200 ? reason.substring(0, 200) : reason); }
    this.send(h);
  }

  private echo(h: SmpHeader, req: CborMap): void {
    const d = fieldString(req, 'd');
    if (d === undefined) { this.answerRc(h, RC_EINVAL, 'echo needs "d"'); return; }
    const w = this.writer.begin();
    w.map(1); w.text('r'); w.text(d.length > ECHO_MAX ? d.substring(0, ECHO_MAX) : d);
    this.send(h);
  }

  private params(h: SmpHeader): void {
    const w = this.writer.begin();
    w.map(2);
    w.text('buf_size'); w.int(this.bufferSize);
    w.text('buf_count'); w.int(1);
    this.send(h);
  }

  private reset(h: SmpHeader): void {
    this.answerRc(h, RC_OK, '');
    // Let the answer leave the UART first: 10 bits per byte at the line rate, plus a margin.
    const ms = Math.ceil((ANSWER_SIZE * 10 * 1000) / this.hal.serial.baudRate()) + 20;
    const self = this;
    this.resetting = true;
    this.resetPending = true;
    this.hal.clock.setTimer(ms, function (): void {
      self.resetPending = false;
      self.doReset('reset requested over serial');
    });
  }

  // ---- upload --------------------------------------------------------------------------

  /** The slot an upload goes to: never the confirmed one. */
  private targetSlot(): number {
    if (this.store === null) return SLOT_A;
    const st = this.store.load();
    return st.confirmed === SLOT_A ? SLOT_B : SLOT_A;
  }

  private answerOff(h: SmpHeader, rc: number, off: number): void {
    const w = this.writer.begin();
    w.map(2);
    w.text('rc'); w.int(rc);
    w.text('off'); w.int(off);
    this.send(h);
  }

  private onUpload(h: SmpHeader, req: CborMap): void {
    const off = fieldNumber(req, 'off');
    const data = fieldBytes(req, 'data');
    if (off === undefined || data === undefined) {
      this.badRequests++;
      this.answerRc(h, RC_EINVAL, 'upload needs "off" and "data"');
      return;
    }
    const layout = this.layout;
    if (layout === null) { this.answerRc(h, RC_EUNKNOWN, 'no flash layout: ' + this.layoutError); return; }
    let u = this.upload;
    if (off === 0) {
      const len = fieldNumber(req, 'len');
      const sha = fieldBytes(req, 'sha');
      if (len === undefined || len === 0) { this.answerRc(h, RC_EINVAL, 'the first chunk needs "len"'); return; }
      if (sha !== undefined && sha.length > SHA_MAX) { this.answerRc(h, RC_EINVAL, '"sha" longer than 32 bytes'); return; }
      if (u !== null && u.len === len && sha !== undefined && sha.length > 0 && bytesEqual(u.sha, sha) && u.off > 0) {
        this.hal.system.log(LOG_INFO, 'recovery', 'upload resumed at ' + u.off + ' of ' + u.len);
        this.emit('upload-resume', 'resumed', u.off, u.len);
        this.answerOff(h, RC_OK, u.off);
        return;
      }
      if (len > layout.maxImageSize) {
        this.answerRc(h, RC_EINVAL, 'oversized: image of ' + len + ' bytes, a slot holds ' + layout.maxImageSize);
        return;
      }
      this.marked = SLOT_NONE;
      this.upload = null;
      const shaCopy = new Uint8Array(sha !== undefined ? sha.length : 0);
      if (sha !== undefined) shaCopy.set(sha);
      const slot = this.targetSlot();
      const stager = this.store !== null ? beginStaging(this.hal.flash, layout, this.store, { slot: slot, totalLength: len }) : null;
      if (stager === null || !stager.ok) {
        this.answerRc(h, RC_EUNKNOWN, stager !== null ? stager.detail : 'no boot state');
        return;
      }
      u = { slot: slot, len: len, off: 0, sha: shaCopy, stager: stager.value };
      this.upload = u;
      this.hal.system.log(LOG_INFO, 'recovery', 'upload of ' + len + ' bytes into slot ' + (u.slot === SLOT_A ? 'A' : 'B'));
      this.hal.display.setLine(1, 'Receiving 0%');
      this.emit('upload-start', 'slot ' + u.slot, 0, len);
    } else if (u === null) {
      this.answerRc(h, RC_EBADSTATE, 'no upload in progress; start at offset 0');
      return;
    }
    if (off !== u.off) {
      // Out of step (a lost answer, a resent chunk): tell the host where we are.
      this.answerOff(h, RC_OK, u.off);
      return;
    }
    if (data.length > u.len - u.off) {
      this.answerRc(h, RC_EINVAL, 'chunk runs past the announced length');
      return;
    }
    const wr = u.stager.write(data);
    const fin = wr.ok && u.off + data.length === u.len ? u.stager.finish() : wr;
    if (!fin.ok) {
      this.upload = null;
      this.answerRc(h, RC_EUNKNOWN, fin.detail);
      return;
    }
    u.off += data.length;
    const pct = Math.floor((u.off * 100) / u.len);
    this.hal.display.setLine(1, 'Receiving ' + pct + '%');
    if (u.off < u.len) {
      this.answerOff(h, RC_OK, u.off);
      return;
    }
    this.finishUpload(h, u, layout);
  }

  private finishUpload(h: SmpHeader, u: Upload, layout: FlashLayout): void {
    this.upload = null;
    const base = layout.slots[u.slot].offset;
    // 1. Read back what landed and compare with the SHA-256 the host announced.
    let match = true;
    if (u.sha.length > 0) {
      const hasher = this.hal.crypto.sha256();
      let at = 0;
      while (at < u.len) {
        const n = u.len - at < this.scratch.length ? u.len - at : this.scratch.length;
        const chunk = this.scratch.subarray(0, n);
        if (this.hal.flash.read(base + at, chunk) !== FLASH_OK) { match = false; break; }
        hasher.update(chunk);
        at += n;
        this.hal.system.watchdogFeed();
      }
      const digest = hasher.digest();
      match = match && bytesEqual(digest.subarray(0, u.sha.length), u.sha);
    }
    if (!match) {
      this.refuse(h, RC_ECORRUPT, false, null, 'checksum: the staged bytes do not match the announced SHA-256', u);
      return;
    }
    // 2. Validate it as the loader will (signed images only, boot policy) and mark it pending.
    const mk = markPending(this.hal.flash, layout, this.store as BootStateStore, u.slot, this.hal.crypto, this.keys,
      { allowDowngrade: this.allowDowngrade });
    const parsed = readSlotInfo(this.hal.flash, layout, u.slot);
    if (!mk.ok) {
      this.refuse(h, RC_EINVAL, true, parsed.ok ? parsed.value.hash : null, mk.detail, u);
      return;
    }
    if (!parsed.ok) {
      this.refuse(h, RC_EINVAL, true, null, parsed.detail, u);
      return;
    }
    this.marked = u.slot;
    this.emit('marked', 'test slot ' + u.slot, 0, 0);
    const info = parsed.value;
    const msg = 'image ' + info.loadId + ' ' + versionToString(info.header.version) + ' verified in slot ' +
      (u.slot === SLOT_A ? 'A' : 'B') + '; it boots at the next reset';
    this.hal.system.log(LOG_INFO, 'recovery', msg);
    this.hal.display.setLine(1, 'Image OK: ' + info.loadId);
    this.emit('upload-done', msg, u.len, u.len);
    const w = this.writer.begin();
    w.map(5);
    w.text('rc'); w.int(RC_OK);
    w.text('off'); w.int(u.len);
    w.text('match'); w.bool(true);
    w.text('hash'); w.bytes(info.hash);
    w.text('slot'); w.int(u.slot);
    this.send(h);
  }

  private refuse(h: SmpHeader, rc: number, match: boolean, hash: Uint8Array | null, reason: string, u: Upload): void {
    this.hal.system.log(LOG_WARN, 'recovery', 'image refused: ' + reason);
    this.hal.display.setLine(1, 'Image refused');
    this.emit('refused', reason, u.len, u.len);
    const w = this.writer.begin();
    w.map(hash !== null ? 5 : 4);
    w.text('rc'); w.int(rc);
    w.text('off'); w.int(u.len);
    w.text('match'); w.bool(match);
    if (hash !== null) { w.text('hash'); w.bytes(hash); }
    w.text('rsn'); w.text(reason.length > 200 ? reason.substring(0, 200) : reason);
    this.send(h);
  }

  /**
   * Write the boot state: `slot` pending a test boot, or confirmed when `permanent`. The
   * floor does not move here: it rises when the firmware, running, confirms it works
   * (flash/stage.ts confirmRunning). '' when fine.
   */
  private mark(slot: number, permanent: boolean): string {
    if (this.store === null) return 'no layout';
    const st = copyBootState(this.store.load());
    if (permanent) {
      st.confirmed = slot;
      if (st.pending === slot) st.pending = SLOT_NONE;
    } else {
      st.pending = slot;
    }
    st.tried = false;
    const r = this.store.write(st);
    if (!r.ok) return r.detail;
    this.marked = slot;
    this.emit('marked', (permanent ? 'confirmed' : 'test') + ' slot ' + slot, 0, 0);
    return '';
  }

  // ---- image state ---------------------------------------------------------------------

  /** Validate every slot (bounded: a sector of scratch); null where a slot holds nothing valid. */
  private slotInfo(slot: number): { info: ImageInfo | null; bootable: boolean } {
    const layout = this.layout;
    if (layout === null) return { info: null, bootable: false };
    const v = this.store !== null
      ? validateSlot(this.hal.flash, layout, this.store, slot, this.hal.crypto, this.keys, { buffer: this.scratch },
        { allowDowngrade: this.allowDowngrade })
      : null;
    if (v !== null && v.ok) return { info: v.value, bootable: true };
    const r = readSlotInfo(this.hal.flash, layout, slot);
    return { info: r.ok ? r.value : null, bootable: false };
  }

  private writeList(w: CborWriter): void {
    const st = this.store !== null ? this.store.load() : null;
    const infos = [this.slotInfo(SLOT_A), this.slotInfo(SLOT_B)];
    let n = 0;
    for (let i = 0; i < infos.length; i++) if (infos[i].info !== null) n++;
    w.text('images');
    w.array(n);
    for (let s = 0; s < infos.length; s++) {
      const it = infos[s];
      const info = it.info;
      if (info === null) continue;
      w.map(9);
      w.text('slot'); w.int(s);
      w.text('version'); w.text(versionToString(info.header.version));
      w.text('load_id'); w.text(info.loadId);
      w.text('hash'); w.bytes(info.hash);
      w.text('bootable'); w.bool(it.bootable);
      w.text('pending'); w.bool(st !== null && st.pending === s);
      w.text('confirmed'); w.bool(st !== null && st.confirmed === s);
      w.text('active'); w.bool(false);
      w.text('permanent'); w.bool(st !== null && st.confirmed === s && st.pending === SLOT_NONE);
    }
  }

  private listImages(h: SmpHeader): void {
    const w = this.writer.begin();
    w.map(1);
    this.writeList(w);
    this.send(h);
  }

  private setState(h: SmpHeader, req: CborMap): void {
    const hash = fieldBytes(req, 'hash');
    const confirm = fieldBool(req, 'confirm') === true;
    if (hash === undefined) { this.answerRc(h, RC_EINVAL, 'state write needs "hash"'); return; }
    let slot = SLOT_NONE;
    for (let s = SLOT_A; s <= SLOT_B; s++) {
      const it = this.slotInfo(s);
      if (it.info !== null && it.bootable && bytesEqual(it.info.hash, hash)) slot = s;
    }
    if (slot === SLOT_NONE) { this.answerRc(h, RC_ENOENT, 'no valid image with that hash'); return; }
    const mk = this.mark(slot, confirm);
    if (mk !== '') { this.answerRc(h, RC_EUNKNOWN, 'boot state: ' + mk); return; }
    this.hal.system.log(LOG_INFO, 'recovery', 'slot ' + (slot === SLOT_A ? 'A' : 'B') + (confirm ? ' confirmed' : ' set for a test boot'));
    this.listImages(h);
  }
}

/**
 * Enter serial recovery on `hal.serial` (the loader calls this when no slot holds a valid
 * image). Returns at once; the board then runs on UART events and timers until a reset.
 */
export function serialRecovery(hal: Hal, options: RecoveryOptions): void {
  const server = new RecoveryServer(hal, options);
  server.start();
}
