/**
 * The power-cut sweep (after MCUboot's sim perm_with_fails / revert_with_fails and littlefs'
 * linear power-loss runner). A scenario is a start flash and a list of steps (stage an
 * image, mark it, a loader boot, a confirmation, preference writes, a serial upload). For
 * each scenario: run it uncut on a copy to count its flash operations N; then for every
 * i in 1..N and every cut mode, cut power at operation i, reboot (loader, then a
 * preferences mount that may resume a GC) and check the invariants:
 *
 *   - an acknowledged write is never lost: once a step returned (a `put` that said ok, a
 *     markPending or confirmRunning that said ok, a loader that reached startImage), every
 *     later reboot shows its effect or a newer one. Preference values are checked against
 *     each key's history (the value must be the acknowledged one or a later one, not just
 *     "old or new"); boot-state steps carry a predicate;
 *   - the booted image is checked on its own, not through the loader's eyes: its slot is
 *     re-validated (header, TLV areas, SHA-256, Ed25519 with the trusted key), its hash is
 *     the one the loader reported, its payload is the expected bundle, its counter is at
 *     least the floor; it is the slot the boot state names (the pending slot on a test
 *     boot, else the confirmed one, or the other slot when the named one is invalid), and
 *     one the scenario allows (old, new, or serial recovery);
 *   - the rollback floor (the highest copy in the boot state and the preferences) never
 *     goes down, and never exceeds what the scenario confirms (a fallback raises nothing);
 *   - the preferences take a new write afterwards.
 *
 * Cut modes: 'before' (the operation does nothing), 'after' (it completes, then power
 * goes), 'torn' (SimFlash's model: a prefix lands, the boundary unit in part; an erase
 * leaves a prefix erased and a stretch of undefined bits), 'torn-bits' (SweepFlash below:
 * the words before a random word land, that word gets a random subset of its 1 -> 0
 * transitions, the rest nothing).
 *
 * Double cuts: after every first cut (every mode), the recovery run (reboot, then the steps
 * not yet acknowledged, as the firmware would retry them) is itself cut at every one of its
 * operations in every mode; then a clean reboot and the same checks.
 *
 * Used by test/sim/flash/powercut.test.ts and bench/flash.bench.ts.
 */
import { SimFlash, PowerCut } from '../../../hal/sim/flash';
import type { PowerCutMode } from '../../../hal/sim/flash';
import { Prng } from '../../../hal/sim/prng';
import type { FlashStatus } from '../../../hal/flash';
import type { Hal } from '../../../hal/index';
import { runLoader, type LoaderResult } from '../../../flash/loader';
import { BootStateStore, type BootState } from '../../../flash/bootstate';
import { PrefsStore } from '../../../flash/prefs';
import { Settings } from '../../../flash/settings';
import { prefsFloor } from '../../../flash/floor';
import { beginStaging, markPending, confirmRunning } from '../../../flash/stage';
import { flashSource, validateImage, checkPolicy } from '../../../flash/image';
import { RecoveryServer, type RecoveryEvent } from '../../../flash/serial/recovery';
import { FrameWriter, SMP_OP_WRITE } from '../../../flash/serial/frame';
import { GROUP_IMAGE, IMG_UPLOAD } from '../../../flash/serial/smp';
import { SLOT_A, SLOT_B, SLOT_NONE } from '../../../flash/constants';
import { RESET_POWER_ON, RESET_REQUESTED, RESET_WATCHDOG } from '../../../hal/system';
import { hostCrypto as realCrypto } from '../../../tools/image/lib';
import type { Crypto } from '../../../hal/crypto';
import { fakeBoard, makeImage, payload, smallLayout, SMALL_GEOMETRY, testConfig, testTrusted, writeSlot } from '../../unit/flash/helpers';
import { bytesEqual } from '../../../lib/bytes';

export const layout = smallLayout();

/**
 * node:crypto with Ed25519 verdicts remembered by (signature, digest, key): the sweep
 * verifies the same few images tens of thousands of times. SHA-256 still runs over the
 * bytes in flash every time, so a changed byte still changes the digest it verifies.
 */
const verdicts = new Map<string, boolean>();
const hostCrypto: Crypto = {
  sha256: () => realCrypto.sha256(),
  sha1: () => realCrypto.sha1(),
  md5: () => realCrypto.md5(),
  ed25519Verify: (sig, msg, key) => {
    const k = Buffer.from(sig).toString('hex') + Buffer.from(msg).toString('hex') + Buffer.from(key).toString('hex');
    let v = verdicts.get(k);
    if (v === undefined) { v = realCrypto.ed25519Verify(sig, msg, key); verdicts.set(k, v); }
    return v;
  },
  rsaPkcs1Verify: (...a) => realCrypto.rsaPkcs1Verify(...a),
} as Crypto;

function board(flash: SimFlash, reason = RESET_POWER_ON): Hal {
  return { ...fakeBoard(flash, reason).hal, crypto: hostCrypto };
}
const V1 = makeImage('v1', { securityCounter: 1 }, 9000);
const V2 = makeImage('v2', { securityCounter: 2, version: { major: 2, minor: 0, revision: 0, build: 0 } }, 14000);
/** What serial recovery uploads: smaller (two sectors), as each run re-sends it whole. */
const V2S = makeImage('v2s', { securityCounter: 2, version: { major: 2, minor: 0, revision: 0, build: 0 } }, 5000);
const PAYLOADS: Record<string, Uint8Array> = { v1: payload('v1', 9000), v2: payload('v2', 14000), v2s: payload('v2s', 5000) };
const LOAD_IDS: Record<string, string> = { 'SIP78xx.v1': 'v1', 'SIP78xx.v2': 'v2', 'SIP78xx.v2s': 'v2s' };

export type CutMode = PowerCutMode | 'torn-bits';
export const MODES: CutMode[] = ['before', 'after', 'torn', 'torn-bits'];

// ---------------------------------------------------------------------------------------
// The flash: SimFlash plus a torn write that tears a random subset of bits in one word
// ---------------------------------------------------------------------------------------

export class SweepFlash extends SimFlash {
  private bitsAt = 0;
  private readonly tear: Prng;

  constructor(contents: Uint8Array, seed = 1) {
    super(SMALL_GEOMETRY, { contents, prng: new Prng(seed) });
    this.tear = new Prng(seed ^ 0x7ea2b175);
  }

  /** Arm a cut at operation `op` (1-based, as SimFlash.cutPowerAt). */
  arm(op: number, mode: CutMode): void {
    if (mode === 'torn-bits') this.bitsAt = op;
    else this.cutPowerAt(op, mode);
  }

  private next(): boolean {
    return this.bitsAt !== 0 && this.bitsAt === this.ops + 1 && !this.isPoweredOff();
  }

  override program(addr: number, data: Uint8Array): FlashStatus {
    const a = this.geometry.writeAlign;
    // Only operations that pass SimFlash's argument checks count (and so can be cut).
    if (this.next() && addr >= 0 && addr + data.length <= this.geometry.size && addr % a === 0 && data.length % a === 0 && data.length > 0) {
      this.bitsAt = 0;
      const old = new Uint8Array(data.length);
      super.read(addr, old);
      let setsBits = false;
      for (let i = 0; i < data.length; i++) if ((data[i] & ~old[i]) !== 0) setsBits = true;
      let torn = data;
      if (!setsBits) {
        torn = old.slice();
        const word = this.tear.int(0, data.length / a - 1);
        torn.set(data.subarray(0, word * a), 0);
        for (let i = word * a; i < (word + 1) * a; i++) {
          const clears = old[i] & ~data[i] & 0xff;
          torn[i] = old[i] & ~(clears & this.tear.int(0, 255));
        }
      }
      // It lands as torn, then the power goes.
      this.cutPowerAt(this.ops + 1, 'after');
      return super.program(addr, torn);
    }
    return super.program(addr, data);
  }

  override erase(addr: number): FlashStatus {
    if (this.next() && addr >= 0 && addr < this.geometry.size && addr % this.geometry.sectorSize === 0) {
      this.bitsAt = 0;
      this.cutPowerAt(this.ops + 1, 'torn');
    }
    return super.erase(addr);
  }
}

// ---------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------

/** What an acknowledged boot-state step promises; checked before the loader of every later reboot. */
export interface View {
  state: BootState;
  /** The effective floor: the highest copy in the boot state and the preferences. */
  floor: number;
  prefsFloor: number;
}

export interface Step {
  name: string;
  /** Throws a PowerCut when cut, an Error when it fails; returning = acknowledged. */
  run(flash: SimFlash): void;
  /** After it returned, this holds at every later reboot. */
  holds?: (v: View) => boolean;
  /** A preference write: [key, index in that key's history]. */
  pref?: [string, number];
  /** Retried by the recovery run when not yet acknowledged (loader boots are not: the reboot is the retry). */
  retry?: boolean;
}

export interface Scenario {
  name: string;
  start: Uint8Array;
  steps: Step[];
  /** What may boot after any cut: image names, or 'recovery'. */
  allowed: string[];
  /** Each preference key's values in the order the steps write them (index 0 = the start value; null = absent). */
  prefs: Record<string, Array<Uint8Array | null>>;
  /** The floor the scenario may reach at most. */
  maxFloor: number;
  /** The recovery run retries the remaining steps only when the reboot started this image (default: always). */
  retryAfter?: string[];
}

type Prefs = Record<string, Uint8Array | null>;
const text = (s: string) => new TextEncoder().encode(s);
const BIG_OLD = new Uint8Array(3000).map((_, i) => (i * 7) & 0xff);
const BIG_NEW = new Uint8Array(3100).map((_, i) => (i * 13 + 1) & 0xff);
const BASE_PREFS: Prefs = { 'net.tftp': text('10.0.0.2'), 'config.last': BIG_OLD, counter: text('0') };

function mountPrefs(flash: SimFlash): PrefsStore {
  const p = new PrefsStore(flash, layout);
  const m = p.mount();
  if (!m.ok) throw new Error('prefs mount: ' + m.detail);
  return p;
}

function setPref(flash: SimFlash, key: string, v: Uint8Array | null): void {
  const p = mountPrefs(flash);
  const r = v === null ? p.remove(key) : p.set(key, v);
  if (!r.ok) throw new Error('prefs set: ' + r.detail);
}

function boot(flash: SimFlash, reason = RESET_POWER_ON): { result: LoaderResult; hal: Hal } {
  const hal = board(flash, reason);
  return { result: runLoader(hal, { config: testConfig }), hal };
}

function stage(flash: SimFlash, image: Uint8Array): number {
  const bs = new BootStateStore(flash, layout);
  const st = beginStaging(flash, layout, bs, { totalLength: image.length });
  if (!st.ok) throw new Error(st.detail);
  // Sector-sized chunks: one program per sector (smaller chunks add cut points that test nothing new).
  for (let i = 0; i < image.length; i += 4096) {
    const r = st.value.write(image.subarray(i, Math.min(image.length, i + 4096)));
    if (!r.ok) throw new Error(r.detail);
  }
  if (!st.value.finish().ok) throw new Error('finish');
  return st.value.slot;
}

function mark(flash: SimFlash, slot: number): void {
  const m = markPending(flash, layout, new BootStateStore(flash, layout), slot, hostCrypto, testTrusted);
  if (!m.ok) throw new Error(m.detail);
}

function confirm(flash: SimFlash): void {
  const c = confirmRunning(flash, layout, new BootStateStore(flash, layout), new Settings(mountPrefs(flash)));
  if (!c.ok) throw new Error(c.detail);
}

/** The SMP upload requests for `image` as console lines (the same every run: built once). */
const framesCache = new Map<Uint8Array, Uint8Array[]>();
function uploadFrames(image: Uint8Array): Uint8Array[] {
  const cached = framesCache.get(image);
  if (cached) return cached;
  const w = new FrameWriter(2048);
  const chunk = 1900;
  const frames: Uint8Array[] = [];
  for (let off = 0, seq = 0; off < image.length; off += chunk, seq++) {
    const data = image.subarray(off, Math.min(image.length, off + chunk));
    const c = w.begin();
    if (off === 0) {
      const h = realCrypto.sha256();
      h.update(image);
      c.map(4); c.text('off'); c.int(0); c.text('data'); c.bytes(data); c.text('len'); c.int(image.length); c.text('sha'); c.bytes(h.digest());
    } else {
      c.map(2); c.text('off'); c.int(off); c.text('data'); c.bytes(data);
    }
    const wire = w.finish(SMP_OP_WRITE, GROUP_IMAGE, IMG_UPLOAD, seq);
    if (wire === null) throw new Error('upload request too large');
    frames.push(wire.slice());
  }
  framesCache.set(image, frames);
  return frames;
}

/** An SMP upload of `image` (a test boot, not confirmed) straight into a RecoveryServer, as serial recovery runs it. */
function serialUpload(flash: SimFlash, image: Uint8Array): void {
  const events: RecoveryEvent[] = [];
  const hal: Hal = {
    ...board(flash),
    serial: { write: () => undefined, onData: () => undefined, baudRate: () => 115200 },
    clock: { now: () => 0, setTimer: () => 1, clearTimer: () => undefined },
  };
  const server = new RecoveryServer(hal, { keys: testTrusted, layout, onEvent: (e) => events.push(e) });
  for (const f of uploadFrames(image)) server.receive(f);
  if (!events.some((e) => e.kind === 'marked')) throw new Error('serial upload not marked: ' + events.map((e) => e.kind + ' ' + e.detail).join('; '));
}

function prefSteps(values: Array<[string, Uint8Array | null]>): { steps: Step[]; history: Record<string, Array<Uint8Array | null>> } {
  const history: Record<string, Array<Uint8Array | null>> = {};
  for (const k of Object.keys(BASE_PREFS)) history[k] = [BASE_PREFS[k]];
  const steps: Step[] = values.map(([k, v]) => {
    history[k] ??= [null];
    history[k].push(v);
    return { name: `prefs ${k}`, run: (f) => setPref(f, k, v), pref: [k, history[k].length - 1] };
  });
  return { steps, history };
}

const basePrefs = (): Record<string, Array<Uint8Array | null>> => prefSteps([]).history;

/** Slot A holds v1, confirmed by the firmware (floor 1 in both copies); preferences hold BASE_PREFS. */
function baseFlash(): SimFlash {
  const flash = new SimFlash(SMALL_GEOMETRY);
  writeSlot(flash, layout, SLOT_A, V1);
  boot(flash);
  confirm(flash);
  for (const k of Object.keys(BASE_PREFS)) setPref(flash, k, BASE_PREFS[k]);
  return flash;
}

function copy(f: SimFlash): SimFlash {
  return new SimFlash(SMALL_GEOMETRY, { contents: f.snapshot() });
}

const pendingOn = (slot: number) => (v: View) => v.state.pending === slot || v.state.confirmed === slot;

export function scenarios(): Scenario[] {
  const base = baseFlash();
  const staged = copy(base);
  const slotB = stage(staged, V2);
  mark(staged, slotB);
  const testing = copy(staged);
  boot(testing, RESET_REQUESTED);
  // Reject-pending: B holds a tampered v2 whose pending mark was written behind the stager's back.
  const tampered = copy(base);
  const bad = V2.slice(); bad[300] ^= 1;
  writeSlot(tampered, layout, SLOT_B, bad);
  { const bs = new BootStateStore(tampered, layout); bs.write({ ...bs.load(), pending: SLOT_B, tried: false }); }
  // Fallback: v2 in B (never marked), and slot A goes bad.
  const fallback = copy(base);
  writeSlot(fallback, layout, SLOT_B, V2);
  fallback.program(layout.slots[SLOT_A].offset + 200, new Uint8Array(4));
  // Serial recovery: A bad, B empty.
  const recovery = copy(base);
  recovery.program(layout.slots[SLOT_A].offset + 200, new Uint8Array(4));
  // Boot-state rotation: v2 staged in B, the boot state's sector full, so marking it erases the other.
  const rotate = copy(base);
  stage(rotate, V2);
  { // Both sectors used and the second full: the next record erases the first (older records, floor included).
    const bs = new BootStateStore(rotate, layout);
    const per = layout.geometry.sectorSize / 32;
    while (bs.load().seq < 2 * per) bs.write(bs.load());
  }
  // Preferences: a page nearly full, so the next write garbage-collects.
  const full = copy(base);
  const fp = mountPrefs(full);
  let n = 0;
  while (fp.stats().free > 64) fp.set('counter', text(String(++n)));
  const writes = prefSteps([['config.last', BIG_NEW], ['counter', text('1')], ['counter', text('2')], ['net.tftp', null], ['counter', text('3')]]);
  const gcWrites = prefSteps([['counter', text('a')], ['config.last', BIG_NEW], ['counter', text('b')]]);
  gcWrites.history.counter[0] = text(String(n));
  return [
    {
      name: 'stage an image + mark pending', start: base.snapshot(), allowed: ['v1', 'v2'], prefs: basePrefs(), maxFloor: 1, retryAfter: ['v1'],
      steps: [
        { name: 'stage v2', run: (f) => { stage(f, V2); }, retry: true },
        { name: 'mark pending', run: (f) => mark(f, SLOT_B), holds: pendingOn(SLOT_B), retry: true },
      ],
    },
    {
      name: 'test boot (loader records tried)', start: staged.snapshot(), allowed: ['v1', 'v2'], prefs: basePrefs(), maxFloor: 1,
      steps: [{ name: 'test boot', run: (f) => { boot(f, RESET_REQUESTED); }, holds: (v) => v.state.pending === SLOT_B && v.state.tried || v.state.pending === SLOT_NONE }],
    },
    {
      name: 'confirm + floor raise', start: testing.snapshot(), allowed: ['v1', 'v2'], prefs: basePrefs(), maxFloor: 2, retryAfter: ['v2'],
      steps: [{
        name: 'confirmRunning', run: confirm, retry: true,
        holds: (v) => v.state.confirmed === SLOT_B && v.state.pending === SLOT_NONE && v.state.securityFloor >= 2 && v.prefsFloor >= 2,
      }],
    },
    {
      name: 'revert (reset without confirm)', start: testing.snapshot(), allowed: ['v1'], prefs: basePrefs(), maxFloor: 1,
      steps: [{ name: 'revert boot', run: (f) => { boot(f, RESET_WATCHDOG); }, holds: (v) => v.state.pending === SLOT_NONE && v.state.confirmed === SLOT_A }],
    },
    {
      name: 'reject pending (tampered image)', start: tampered.snapshot(), allowed: ['v1'], prefs: basePrefs(), maxFloor: 1,
      steps: [{ name: 'reject boot', run: (f) => { boot(f); }, holds: (v) => v.state.pending === SLOT_NONE }],
    },
    {
      name: 'fallback (confirmed slot bad)', start: fallback.snapshot(), allowed: ['v2'], prefs: basePrefs(), maxFloor: 1,
      steps: [{ name: 'fallback boot', run: (f) => { boot(f); }, holds: (v) => v.state.pending === SLOT_B && v.state.tried && v.state.confirmed === SLOT_A }],
    },
    {
      name: 'serial recovery upload', start: recovery.snapshot(), allowed: ['recovery', 'v2s'], prefs: basePrefs(), maxFloor: 1, retryAfter: ['recovery'],
      steps: [{ name: 'SMP upload', run: (f) => serialUpload(f, V2S), holds: pendingOn(SLOT_B), retry: true }],
    },
    {
      name: 'boot-state sector rotation', start: rotate.snapshot(), allowed: ['v1', 'v2'], prefs: basePrefs(), maxFloor: 1, retryAfter: ['v1'],
      steps: [{ name: 'mark pending (rotates)', run: (f) => mark(f, SLOT_B), holds: pendingOn(SLOT_B), retry: true }],
    },
    { name: 'preferences writes', start: base.snapshot(), allowed: ['v1'], prefs: writes.history, maxFloor: 1, steps: writes.steps.map((s) => ({ ...s, retry: true })) },
    { name: 'preferences garbage collection', start: full.snapshot(), allowed: ['v1'], prefs: gcWrites.history, maxFloor: 1, steps: gcWrites.steps.map((s) => ({ ...s, retry: true })) },
  ];
}

// ---------------------------------------------------------------------------------------
// Running and checking
// ---------------------------------------------------------------------------------------

/** Acknowledged steps so far: their predicates and the highest acknowledged index per preference key. */
export class Acks {
  readonly holds: Array<{ name: string; holds: (v: View) => boolean }> = [];
  readonly prefs: Record<string, number> = {};
  /** Index of the last acknowledged step (-1 none). */
  last = -1;
  copy(): Acks {
    const a = new Acks();
    a.holds.push(...this.holds);
    Object.assign(a.prefs, this.prefs);
    a.last = this.last;
    return a;
  }
  record(s: Step, index: number): void {
    if (s.holds) this.holds.push({ name: s.name, holds: s.holds });
    if (s.pref) this.prefs[s.pref[0]] = Math.max(this.prefs[s.pref[0]] ?? 0, s.pref[1]);
    this.last = Math.max(this.last, index);
  }
}

function runSteps(s: Scenario, flash: SimFlash, acks: Acks, from: number, retryOnly: boolean): void {
  for (let i = from; i < s.steps.length; i++) {
    const st = s.steps[i];
    if (retryOnly && !st.retry) continue;
    st.run(flash);
    acks.record(st, i);
  }
}

function view(flash: SimFlash): View {
  const state = new BootStateStore(flash, layout).load();
  const pf = prefsFloor(flash, layout);
  return { state, floor: Math.max(state.securityFloor, pf), prefsFloor: pf };
}

function slotValid(flash: SimFlash, slot: number, floor: number): boolean {
  if (slot !== SLOT_A && slot !== SLOT_B) return false;
  const r = layout.slots[slot];
  const v = validateImage(flashSource(flash, r.offset, r.size), hostCrypto, testTrusted);
  return v.ok && checkPolicy(v.value, floor, false).ok;
}

/**
 * The slot the boot state names, worked out here independently of the loader: an untried
 * pending image if it is valid, else the confirmed one if valid, else the first other valid
 * slot (fallback), else none.
 */
function expectedSlot(flash: SimFlash, st: BootState, floor: number): number {
  const pending = st.pending !== SLOT_NONE && st.pending !== st.confirmed ? st.pending : SLOT_NONE;
  if (pending !== SLOT_NONE && !st.tried && slotValid(flash, pending, floor)) return pending;
  if (slotValid(flash, st.confirmed, floor)) return st.confirmed;
  for (const s of [SLOT_A, SLOT_B]) if (s !== st.confirmed && slotValid(flash, s, floor)) return s;
  return SLOT_NONE;
}

/** Reboot and check every invariant; throws with a description on a violation. Returns what booted. */
export function rebootAndCheck(flash: SimFlash, s: Scenario, acks: Acks, startFloor: number, where: string): string {
  const before = view(flash);
  for (const a of acks.holds) {
    if (!a.holds(before)) throw new Error(`${where}: acknowledged "${a.name}" lost (boot state ${JSON.stringify(before.state)}, prefs floor ${before.prefsFloor})`);
  }
  if (before.floor < startFloor) throw new Error(`${where}: floor went down from ${startFloor} to ${before.floor}`);
  const st = before.state;
  const { result: r } = boot(flash);
  let which: string;
  if (r.decision.action === 'recovery' || r.info === null) {
    which = 'recovery';
  } else {
    const slot = r.decision.slot;
    const reg = layout.slots[slot];
    // The booted image, checked on its own: header, TLVs, hash, signature, policy.
    const v = validateImage(flashSource(flash, reg.offset, reg.size), hostCrypto, testTrusted);
    if (!v.ok) throw new Error(`${where}: the loader started slot ${slot}, which does not validate: ${v.detail}`);
    if (!bytesEqual(v.value.hash, r.info.hash) || v.value.loadId !== r.info.loadId) throw new Error(`${where}: the loader reported another image than the slot holds`);
    if (v.value.securityCounter < before.floor) throw new Error(`${where}: booted counter ${v.value.securityCounter} below the floor ${before.floor}`);
    which = LOAD_IDS[v.value.loadId] ?? v.value.loadId;
    const bytes = new Uint8Array(r.startLength);
    flash.read(r.startOffset, bytes);
    if (r.startOffset !== reg.offset + v.value.payloadOffset || !PAYLOADS[which] || !bytesEqual(PAYLOADS[which], bytes)) {
      throw new Error(`${where}: the started payload is not ${which}'s bundle`);
    }
    const named = expectedSlot(flash, st, before.floor);
    if (slot !== named) throw new Error(`${where}: booted slot ${slot}, the boot state names ${named} (${JSON.stringify(st)})`);
  }
  if (which === 'recovery' && expectedSlot(flash, st, before.floor) !== SLOT_NONE) throw new Error(`${where}: recovery although a valid image is there`);
  if (!s.allowed.includes(which)) throw new Error(`${where}: booted ${which}, allowed ${s.allowed.join('/')}`);
  const after = view(flash);
  if (after.floor < before.floor) throw new Error(`${where}: the reboot lowered the floor from ${before.floor} to ${after.floor}`);
  if (after.floor > s.maxFloor) throw new Error(`${where}: floor ${after.floor} above what the scenario confirms (${s.maxFloor})`);
  const p = mountPrefs(flash);
  for (const k of Object.keys(s.prefs)) {
    const got = p.get(k);
    const hist = s.prefs[k];
    const idx = hist.findIndex((h, i) => i >= (acks.prefs[k] ?? 0) && (h === null ? got === null : got !== null && bytesEqual(h, got)));
    if (idx < 0) {
      const any = hist.findIndex((h) => (h === null ? got === null : got !== null && bytesEqual(h, got)));
      throw new Error(`${where}: preference ${k} ${any >= 0 ? `went back to value #${any} after #${acks.prefs[k]} was acknowledged` : `holds no value it ever had (${got === null ? 'absent' : got.length + ' bytes'})`}`);
    }
  }
  if (!p.set('probe', text(where.slice(0, 40))).ok) throw new Error(`${where}: preferences refuse a write after the cut`);
  return which;
}

function fresh(contents: Uint8Array, seed: number): SweepFlash {
  return new SweepFlash(contents, seed);
}

/** Run fn expecting the armed cut; false when it ran to completion. */
function runCut(flash: SimFlash, fn: () => void): boolean {
  try {
    fn();
  } catch (e) {
    if (e instanceof PowerCut) {
      flash.powerRestored();
      return true;
    }
    throw e;
  }
  return false;
}

export interface SweepResult {
  scenario: string;
  ops: number;
  single: number;
  double: number;
  /** Double cuts per "first mode > second mode". */
  pairs: Record<string, number>;
  outcomes: Record<string, number>;
}

/** The recovery run after a cut: reboot, then the unacknowledged steps the firmware retries. */
function recoveryRun(s: Scenario, g: SimFlash, acks: Acks): void {
  const { result } = boot(g);
  mountPrefs(g);
  const which = result.info === null ? 'recovery' : (LOAD_IDS[result.info.loadId] ?? result.info.loadId);
  if (s.retryAfter && !s.retryAfter.includes(which)) return;
  runSteps(s, g, acks, acks.last + 1, true);
}

/** Sweep one scenario; throws on the first violated invariant. */
export function sweep(s: Scenario, doubleCuts = true): SweepResult {
  const startFloor = view(new SimFlash(SMALL_GEOMETRY, { contents: s.start })).floor;
  const dry = fresh(s.start, 0);
  const dryAcks = new Acks();
  runSteps(s, dry, dryAcks, 0, false);
  const n = dry.ops;
  // The uncut run ends in the new state: every step acknowledged.
  rebootAndCheck(dry, s, dryAcks, startFloor, `${s.name}: uncut`);
  const res: SweepResult = { scenario: s.name, ops: n, single: 0, double: 0, pairs: {}, outcomes: {} };
  let seed = 1;
  for (let i = 1; i <= n; i++) {
    for (const mode of MODES) {
      const f = fresh(s.start, seed++);
      f.arm(i, mode);
      const acks = new Acks();
      if (!runCut(f, () => runSteps(s, f, acks, 0, false))) throw new Error(`${s.name}: cut ${mode} at ${i} did not fire`);
      const afterCut = f.snapshot();
      const which = rebootAndCheck(f, s, acks, startFloor, `${s.name}: cut ${mode} at op ${i}/${n}`);
      res.outcomes[which] = (res.outcomes[which] ?? 0) + 1;
      res.single++;
      if (!doubleCuts) continue;
      // Second cut: during the recovery run, at each of its operations, in every mode.
      const probe = fresh(afterCut, 0);
      recoveryRun(s, probe, acks.copy());
      const m = probe.ops;
      for (let j = 1; j <= m; j++) {
        for (const mode2 of MODES) {
          const g = fresh(afterCut, seed++);
          g.arm(j, mode2);
          const acks2 = acks.copy();
          if (!runCut(g, () => recoveryRun(s, g, acks2))) throw new Error(`${s.name}: second cut ${mode2} at ${j} did not fire`);
          rebootAndCheck(g, s, acks2, startFloor, `${s.name}: cut ${mode} at ${i}, then ${mode2} at ${j}/${m} of the recovery`);
          res.double++;
          const key = `${mode}>${mode2}`;
          res.pairs[key] = (res.pairs[key] ?? 0) + 1;
        }
      }
    }
  }
  return res;
}
