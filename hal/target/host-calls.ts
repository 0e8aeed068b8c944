/**
 * The host side of the HAL binding, shared by every engine runner (QuickJS, XS): the flat
 * host functions that GUEST_PRELUDE (prelude.ts) turns into the guest's `Hal`, each
 * implemented once here over the host `Hal` on plain values. A runner only marshals:
 * QuickJS turns handles into these values, XS decodes them from an `issueCommand` message.
 * So both engines see exactly the same HAL, call for call.
 *
 * Argument kinds (HOST_CALLS): `n` a number, `s` a string, `b` bytes, which the guest passes
 * as three arguments (buffer, byteOffset, byteLength) so a subarray view crosses without a
 * guest-side copy. Results: a number, string, boolean, bytes (a fresh copy) or nothing;
 * `flashRead` gives bytes or a status number.
 *
 * Host code (Node).
 */
import type { Hal } from '../index';
import type { Sha256 } from '../crypto';

export type HostValue = number | string | boolean | Uint8Array | undefined;

/** [name, argument kinds]: the order is the XS call number; the names are `__host`'s. */
export const HOST_CALLS: readonly (readonly [string, string])[] = [
  ['now', ''], ['setTimer', 'n'], ['clearTimer', 'n'],
  ['ethMac', ''], ['ethSend', 'b'], ['ethLinkUp', ''],
  ['poeClass', ''], ['poeClassPowerMw', ''], ['poeRequiredMw', ''], ['poeApply', 'n'], ['poeLowPower', ''],
  ['flashSize', ''], ['flashSectorSize', ''], ['flashWriteAlign', ''], ['flashRead', 'nn'], ['flashProgram', 'nb'], ['flashErase', 'n'],
  ['entropy', 'n'], ['entropyU32', ''],
  ['hashNew', 's'], ['hashUpdate', 'nb'], ['hashDigest', 'n'], ['ed25519Verify', 'bbb'], ['rsaPkcs1Verify', 'sbbbb'],
  ['displaySetLine', 'ns'], ['displayClear', ''],
  ['serialWrite', 'b'], ['serialBaudRate', ''],
  ['resetReason', ''], ['reset', 's'], ['watchdogStart', 'n'], ['watchdogFeed', ''],
  ['startImage', 'nn'], ['startRecovery', ''], ['log', 'nss'],
];

export type HostCall = (...args: HostValue[]) => HostValue;

const num = (v: HostValue): number => (typeof v === 'number' ? v : Number(v));
const str = (v: HostValue): string => (typeof v === 'string' ? v : String(v));
const bytes = (v: HostValue): Uint8Array => (v instanceof Uint8Array ? v : new Uint8Array(0));

/**
 * The host functions over `hal`. `fire(id)` is called when a guest timer expires (the
 * runner dispatches it into the guest as an event of its own).
 */
export function makeHostCalls(hal: Hal, fire: (id: number) => void): Record<string, HostCall> {
  const hashes = new Map<number, Sha256>();
  let nextHash = 1;
  const hash = (id: HostValue): Sha256 => {
    const h = hashes.get(num(id));
    if (!h) throw new Error('hash handle used after digest');
    return h;
  };
  const calls: Record<string, HostCall> = {
    now: () => hal.clock.now(),
    setTimer: (ms) => {
      let id = 0;
      id = hal.clock.setTimer(num(ms), () => fire(id));
      return id;
    },
    clearTimer: (id) => { hal.clock.clearTimer(num(id)); },

    ethMac: () => hal.eth.mac().slice(),
    ethSend: (f) => hal.eth.send(bytes(f)),
    ethLinkUp: () => hal.eth.linkUp(),

    poeClass: () => hal.poe.poeClass(),
    poeClassPowerMw: () => hal.poe.classPowerMw(),
    poeRequiredMw: () => hal.poe.requiredMw(),
    poeApply: (mw) => hal.poe.applyAllocation(num(mw)),
    poeLowPower: () => hal.poe.lowPower(),

    flashSize: () => hal.flash.geometry.size,
    flashSectorSize: () => hal.flash.geometry.sectorSize,
    flashWriteAlign: () => hal.flash.geometry.writeAlign,
    flashRead: (addr, len) => {
      const out = new Uint8Array(num(len));
      const st = hal.flash.read(num(addr), out);
      return st === 0 ? out : st;
    },
    flashProgram: (addr, d) => hal.flash.program(num(addr), bytes(d)),
    flashErase: (addr) => hal.flash.erase(num(addr)),

    entropy: (len) => {
      const out = new Uint8Array(num(len));
      hal.entropy.fill(out);
      return out;
    },
    entropyU32: () => hal.entropy.u32() >>> 0,

    hashNew: (alg) => {
      const id = nextHash++;
      const a = str(alg);
      hashes.set(id, a === 'sha1' ? hal.crypto.sha1() : a === 'md5' ? hal.crypto.md5() : hal.crypto.sha256());
      return id;
    },
    hashUpdate: (id, d) => { hash(id).update(bytes(d)); },
    hashDigest: (id) => {
      const h = hash(id);
      hashes.delete(num(id));
      return h.digest().slice();
    },
    ed25519Verify: (s, m, k) => hal.crypto.ed25519Verify(bytes(s), bytes(m), bytes(k)),
    rsaPkcs1Verify: (alg, d, s, n, e) => {
      const name = str(alg);
      if (name !== 'sha1' && name !== 'sha256') return false;
      return hal.crypto.rsaPkcs1Verify(name, bytes(d), bytes(s), bytes(n), bytes(e));
    },

    displaySetLine: (i, text) => { hal.display.setLine(num(i), str(text)); },
    displayClear: () => { hal.display.clear(); },

    serialWrite: (b) => { hal.serial.write(bytes(b)); },
    serialBaudRate: () => hal.serial.baudRate(),

    resetReason: () => hal.system.resetReason(),
    // SimBoard's reset throws its private signal here; the runner rethrows it to the
    // board's guard once the guest has unwound (a reset does not return).
    reset: (reason) => { hal.system.reset(str(reason)); },
    watchdogStart: (ms) => { hal.system.watchdogStart(num(ms)); },
    watchdogFeed: () => { hal.system.watchdogFeed(); },
    // The board drops the loader's timers and handlers and calls the runner's startImage /
    // startRecovery hook as a new event, once the loader's stack has unwound.
    startImage: (offset, length) => { hal.system.startImage(num(offset), num(length)); },
    startRecovery: () => {
      const sys = hal.system as { startRecovery?: () => void };
      if (!sys.startRecovery) throw new Error('system.startRecovery is not available on this board');
      sys.startRecovery();
    },
    log: (level, tag, message) => { hal.system.log(num(level), str(tag), str(message)); },
  };
  for (const [name] of HOST_CALLS) if (!calls[name]) throw new Error(`host call ${name} has no implementation`);
  return calls;
}
