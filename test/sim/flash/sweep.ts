/**
 * The power-cut sweep (after MCUboot's sim perm_with_fails / revert_with_fails and littlefs'
 * linear power-loss runner). For each scenario: run it uninterrupted on a copy of its
 * starting flash to count its flash operations N; then for every i in 1..N and each mode
 * (before, after, torn) cut power at operation i, reboot (loader decision, then a
 * preferences mount that may resume a GC) and check the invariants:
 *   - the loader starts a valid signed image, and it is the image the boot state names
 *     (the pending slot on a test boot, else the confirmed slot), and one the scenario
 *     allows (old or new);
 *   - every preference holds its old or its new value, none is corrupt, and the store
 *     takes a new write afterwards.
 * Double cuts: after a torn cut at i, the recovery run (reboot + retrying the operation)
 * is itself cut at every one of its operations j, then the board reboots cleanly and the
 * same invariants hold.
 *
 * Used by test/sim/flash/powercut.test.ts and bench/flash.bench.ts.
 */
import { SimFlash, PowerCut, type PowerCutMode } from '../../../hal/sim/flash';
import { runLoader, type LoaderOptions } from '../../../flash/loader';
import { BootStateStore } from '../../../flash/bootstate';
import { PrefsStore } from '../../../flash/prefs';
import { beginStaging, markPending, confirmRunning } from '../../../flash/stage';
import { SLOT_A, SLOT_B, SLOT_NONE } from '../../../flash/constants';
import { RESET_POWER_ON, RESET_REQUESTED } from '../../../hal/system';
import { hostCrypto } from '../../../tools/image/lib';
import { fakeBoard, makeImage, payload, smallLayout, SMALL_GEOMETRY, SMALL_LAYOUT, devTrusted, writeSlot } from '../../unit/flash/helpers';
import { bytesEqual } from '../../../lib/bytes';

export const layout = smallLayout();
const loaderOptions: LoaderOptions = { keys: devTrusted, layout: SMALL_LAYOUT };
const V1 = makeImage('v1', { securityCounter: 1 }, 9000);
const V2 = makeImage('v2', { securityCounter: 2, version: { major: 2, minor: 0, revision: 0, build: 0 } }, 14000);
const PAYLOADS: Record<string, Uint8Array> = { v1: payload('v1', 9000), v2: payload('v2', 14000) };

type Prefs = Record<string, Uint8Array | null>;
const text = (s: string) => new TextEncoder().encode(s);
const BIG_OLD = new Uint8Array(3000).map((_, i) => (i * 7) & 0xff);
const BIG_NEW = new Uint8Array(3100).map((_, i) => (i * 13 + 1) & 0xff);
const BASE_PREFS: Prefs = { 'net.tftp': text('10.0.0.2'), 'config.last': BIG_OLD, counter: text('0') };

export interface Scenario {
  name: string;
  /** The starting flash contents. */
  start: Uint8Array;
  /** The operation under test (it may run the loader). */
  op(flash: SimFlash): void;
  /** Images that may boot after any cut (slot -> image name comes from the flash). */
  allowed: string[];
  /** Preference values before and after an uninterrupted op. */
  before: Prefs;
  after: Prefs;
}

function mountPrefs(flash: SimFlash): PrefsStore {
  const p = new PrefsStore(flash, layout);
  const m = p.mount();
  if (!m.ok) throw new Error('prefs mount: ' + m.detail);
  return p;
}

function setPrefs(flash: SimFlash, values: Prefs): void {
  const p = mountPrefs(flash);
  for (const k of Object.keys(values)) {
    const v = values[k];
    const r = v === null ? p.remove(k) : p.set(k, v);
    if (!r.ok) throw new Error('prefs set: ' + r.detail);
  }
}

function boot(flash: SimFlash, reason = RESET_POWER_ON) {
  return runLoader(fakeBoard(flash, reason).hal, loaderOptions);
}

function stageV2(flash: SimFlash): void {
  const bs = new BootStateStore(flash, layout);
  const st = beginStaging(flash, layout, bs, { totalLength: V2.length });
  if (!st.ok) throw new Error(st.detail);
  for (let i = 0; i < V2.length; i += 1024) {
    const r = st.value.write(V2.subarray(i, Math.min(V2.length, i + 1024)));
    if (!r.ok) throw new Error(r.detail);
  }
  if (!st.value.finish().ok) throw new Error('finish');
  const m = markPending(flash, layout, bs, st.value.slot, hostCrypto, devTrusted);
  if (!m.ok) throw new Error(m.detail);
}

/** Slot A holds v1, confirmed and booted; preferences hold BASE_PREFS. */
function baseFlash(): SimFlash {
  const flash = new SimFlash(SMALL_GEOMETRY);
  writeSlot(flash, layout, SLOT_A, V1);
  boot(flash);
  setPrefs(flash, BASE_PREFS);
  return flash;
}

export function scenarios(): Scenario[] {
  const base = baseFlash();
  const staged = new SimFlash(SMALL_GEOMETRY, { contents: base.snapshot() });
  stageV2(staged);
  const testing = new SimFlash(SMALL_GEOMETRY, { contents: staged.snapshot() });
  boot(testing, RESET_REQUESTED);
  // A page nearly full, so the next write must garbage-collect.
  const full = new SimFlash(SMALL_GEOMETRY, { contents: base.snapshot() });
  const fp = mountPrefs(full);
  let n = 0;
  while (fp.stats().free > 64) fp.set('counter', text(String(++n)));
  const fullPrefs = { ...BASE_PREFS, counter: text(String(n)) };
  return [
    { name: 'stage an image + mark pending', start: base.snapshot(), op: stageV2, allowed: ['v1', 'v2'], before: BASE_PREFS, after: BASE_PREFS },
    { name: 'test boot (loader records tried)', start: staged.snapshot(), op: (f) => { boot(f, RESET_REQUESTED); }, allowed: ['v1', 'v2'], before: BASE_PREFS, after: BASE_PREFS },
    { name: 'confirm', start: testing.snapshot(), op: (f) => { const r = confirmRunning(f, layout, new BootStateStore(f, layout)); if (!r.ok) throw new Error(r.detail); }, allowed: ['v1', 'v2'], before: BASE_PREFS, after: BASE_PREFS },
    { name: 'revert (reset without confirm)', start: testing.snapshot(), op: (f) => { boot(f); }, allowed: ['v1'], before: BASE_PREFS, after: BASE_PREFS },
    {
      name: 'preferences write', start: base.snapshot(),
      op: (f) => setPrefs(f, { 'config.last': BIG_NEW, counter: text('1'), 'net.tftp': null }),
      allowed: ['v1'], before: BASE_PREFS, after: { 'config.last': BIG_NEW, counter: text('1'), 'net.tftp': null },
    },
    {
      name: 'preferences garbage collection', start: full.snapshot(),
      op: (f) => setPrefs(f, { 'config.last': BIG_NEW }),
      allowed: ['v1'], before: fullPrefs, after: { ...fullPrefs, 'config.last': BIG_NEW },
    },
  ];
}

/** Reboot and check every invariant; throws with a description on a violation. */
export function rebootAndCheck(flash: SimFlash, s: Scenario, where: string): string {
  const state = new BootStateStore(flash, layout).load();
  const named = state.pending !== SLOT_NONE && !state.tried ? state.pending : state.confirmed;
  const r = boot(flash);
  if (r.info === null || r.decision.action === 'recovery') throw new Error(`${where}: no image booted (${r.refusals.join('; ')})`);
  const slot = r.startOffset < layout.slots[SLOT_B].offset ? SLOT_A : SLOT_B;
  const bytes = new Uint8Array(r.startLength);
  flash.read(r.startOffset, bytes);
  const which = Object.keys(PAYLOADS).find((k) => bytesEqual(PAYLOADS[k], bytes));
  if (!which) throw new Error(`${where}: the started payload is neither image`);
  if (!s.allowed.includes(which)) throw new Error(`${where}: booted ${which}, allowed ${s.allowed.join('/')}`);
  // A pending-untried slot must test-boot; otherwise the confirmed (reverting a tried one).
  // (A revert that was cut is allowed to leave pending+tried: then the confirmed slot boots.)
  if (slot !== named && !(state.pending !== SLOT_NONE && state.tried && slot === state.confirmed)) {
    throw new Error(`${where}: booted slot ${slot}, the boot state named ${named}`);
  }
  const p = mountPrefs(flash);
  for (const k of new Set([...Object.keys(s.before), ...Object.keys(s.after)])) {
    const got = p.get(k);
    const ok = (v: Uint8Array | null | undefined) => (v === null || v === undefined ? got === null : got !== null && bytesEqual(v, got));
    if (!ok(s.before[k]) && !ok(s.after[k])) throw new Error(`${where}: preference ${k} is neither old nor new (${got === null ? 'absent' : got.length + ' bytes'})`);
  }
  if (!p.set('probe', text(where.slice(0, 40))).ok) throw new Error(`${where}: preferences refuse a write after the cut`);
  return which;
}

function fresh(contents: Uint8Array): SimFlash {
  return new SimFlash(SMALL_GEOMETRY, { contents });
}

/** Run op on `flash` expecting the armed cut; false when it ran to completion. */
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
  outcomes: Record<string, number>;
}

const MODES: PowerCutMode[] = ['before', 'after', 'torn'];

/** Sweep one scenario; throws on the first violated invariant. */
export function sweep(s: Scenario, doubleCuts = true): SweepResult {
  const dry = fresh(s.start);
  s.op(dry);
  const n = dry.ops;
  // The uninterrupted run ends in the new state.
  rebootAndCheck(dry, { ...s, before: s.after }, `${s.name}: uncut`);
  const res: SweepResult = { scenario: s.name, ops: n, single: 0, double: 0, outcomes: {} };
  for (let i = 1; i <= n; i++) {
    for (const mode of MODES) {
      const f = fresh(s.start);
      f.cutPowerAt(i, mode);
      if (!runCut(f, () => s.op(f))) throw new Error(`${s.name}: cut ${mode} at ${i} did not fire`);
      const afterCut = f.snapshot();
      const which = rebootAndCheck(f, s, `${s.name}: cut ${mode} at op ${i}/${n}`);
      res.outcomes[which] = (res.outcomes[which] ?? 0) + 1;
      res.single++;
      if (!doubleCuts || mode !== 'torn') continue;
      // Second cut: during the recovery run (reboot, then retrying the operation).
      const recovery = (g: SimFlash) => { boot(g); mountPrefs(g); s.op(g); };
      const probe = fresh(afterCut);
      recovery(probe);
      const m = probe.ops;
      for (let j = 1; j <= m; j++) {
        const g = fresh(afterCut);
        g.cutPowerAt(j, 'torn');
        if (!runCut(g, () => recovery(g))) throw new Error(`${s.name}: second cut at ${j} did not fire`);
        rebootAndCheck(g, s, `${s.name}: cut torn at ${i}, then torn at ${j}/${m} of the recovery`);
        res.double++;
      }
    }
  }
  return res;
}
