/**
 * The guest side of the QuickJS HAL binding: JavaScript text evaluated in the QuickJS
 * context before any bundle. It turns the flat host functions of `__host` (numbers,
 * strings and ArrayBuffers only) into the `Hal` object of hal/index.ts, and gives the host
 * one dispatcher object, `__dialtone`, to call back into (timers, received frames, link
 * changes, serial bytes).
 *
 * Why this shape:
 * - Byte arrays cross as ArrayBuffers (quickjs-emscripten newArrayBuffer/getArrayBuffer).
 *   Guest -> host passes (buffer, byteOffset, byteLength) so a subarray view crosses
 *   without a guest-side copy; host -> guest arrays are wrapped in a Uint8Array here.
 * - Guest callbacks stay in the guest (a table keyed by timer id, one handler per event
 *   kind), so the host holds no function handles but the dispatcher's.
 * - TLS is a stub: there is no engine in the runner, so a session closes at once with a
 *   reason the firmware logs like any other TLS failure.
 *
 * The text must itself follow the target subset (DESIGN.md section 3): test/target lints it.
 */
export const GUEST_PRELUDE = `var __dialtone = (function (h) {
  var timers = {};
  var rxHandler = null;
  var linkHandler = null;
  var serialHandler = null;
  var wrap = function (ab) { return new Uint8Array(ab); };
  var hasher = function (id) {
    return {
      update: function (d) { h.hashUpdate(id, d.buffer, d.byteOffset, d.byteLength); },
      digest: function () { return wrap(h.hashDigest(id)); }
    };
  };
  var hal = {
    clock: {
      now: function () { return h.now(); },
      setTimer: function (ms, cb) { var id = h.setTimer(ms); timers[id] = cb; return id; },
      clearTimer: function (id) { if (timers[id]) { delete timers[id]; h.clearTimer(id); } }
    },
    eth: {
      mac: function () { return wrap(h.ethMac()); },
      send: function (f) { return h.ethSend(f.buffer, f.byteOffset, f.byteLength); },
      onReceive: function (fn) { rxHandler = fn; },
      linkUp: function () { return h.ethLinkUp(); },
      onLinkChange: function (fn) { linkHandler = fn; }
    },
    poe: {
      poeClass: function () { return h.poeClass(); },
      classPowerMw: function () { return h.poeClassPowerMw(); },
      requiredMw: function () { return h.poeRequiredMw(); },
      applyAllocation: function (mw) { return h.poeApply(mw); },
      lowPower: function () { return h.poeLowPower(); }
    },
    flash: {
      geometry: { size: h.flashSize(), sectorSize: h.flashSectorSize(), writeAlign: h.flashWriteAlign() },
      read: function (addr, out) {
        var r = h.flashRead(addr, out.length);
        if (typeof r === 'number') return r;
        out.set(wrap(r));
        return 0;
      },
      program: function (addr, d) { return h.flashProgram(addr, d.buffer, d.byteOffset, d.byteLength); },
      erase: function (addr) { return h.flashErase(addr); }
    },
    entropy: {
      fill: function (out) { out.set(wrap(h.entropy(out.length))); },
      u32: function () { return h.entropyU32(); }
    },
    crypto: {
      sha256: function () { return hasher(h.hashNew('sha256')); },
      sha1: function () { return hasher(h.hashNew('sha1')); },
      ed25519Verify: function (s, m, k) {
        return h.ed25519Verify(s.buffer, s.byteOffset, s.byteLength, m.buffer, m.byteOffset, m.byteLength,
          k.buffer, k.byteOffset, k.byteLength);
      },
      rsaPkcs1Verify: function (alg, d, s, n, e) {
        return h.rsaPkcs1Verify(alg, d.buffer, d.byteOffset, d.byteLength, s.buffer, s.byteOffset, s.byteLength,
          n.buffer, n.byteOffset, n.byteLength, e.buffer, e.byteOffset, e.byteLength);
      }
    },
    tls: {
      connect: function (opts, ev) {
        hal.clock.setTimer(0, function () { ev.onClose('TLS not available in the QuickJS runner'); });
        return { receive: function () {}, write: function () {}, close: function () {} };
      }
    },
    display: {
      setLine: function (i, text) { h.displaySetLine(i, '' + text); },
      clear: function () { h.displayClear(); }
    },
    serial: {
      write: function (b) { h.serialWrite(b.buffer, b.byteOffset, b.byteLength); },
      onData: function (fn) { serialHandler = fn; },
      baudRate: function () { return h.serialBaudRate(); }
    },
    system: {
      resetReason: function () { return h.resetReason(); },
      reset: function (reason) { h.reset('' + reason); },
      watchdogStart: function (ms) { h.watchdogStart(ms); },
      watchdogFeed: function () { h.watchdogFeed(); },
      startImage: function (offset, length) { h.startImage(offset, length); },
      log: function (level, tag, message) { h.log(level, '' + tag, '' + message); }
    }
  };
  return {
    hal: hal,
    fire: function (id) { var cb = timers[id]; if (cb) { delete timers[id]; cb(); } },
    rx: function (ab) { if (rxHandler) rxHandler(wrap(ab)); },
    link: function (up) { if (linkHandler) linkHandler(up); },
    serial: function (ab) { if (serialHandler) serialHandler(wrap(ab)); }
  };
})(__host);
`;
