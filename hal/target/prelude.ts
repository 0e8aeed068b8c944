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
 * The XS runner evaluates the same text over XS_HOST_SHIM (below), which gives it the same
 * `__host` over `issueCommand`.
 */
import { HOST_CALLS } from './host-calls';

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
      md5: function () { return hasher(h.hashNew('md5')); },
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
      startRecovery: function () { h.startRecovery(); },
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

/** The standard request buffer of the XS shim: fits a full Ethernet frame and its header. */
export const XS_REQUEST_BYTES = 2048;

/** Host -> guest event kinds of the XS binding (first byte of a `handleCommand` message). */
export const XS_EVENT = { fire: 1, rx: 2, link: 3, serial: 4 } as const;

/** Result tags of an XS host-call reply (first byte). */
export const XS_RESULT = { undefined: 0, number: 1, string: 2, bytes: 3, true: 4, false: 5, error: 9 } as const;

/**
 * The guest side of the XS binding's carrier, evaluated before GUEST_PRELUDE: a `__host`
 * with the same functions as the QuickJS runner's (host-calls.ts HOST_CALLS), each
 * encoding its call into one request buffer and making it a synchronous
 * `issueCommand(buffer, length)` (the worker tools/target/xs/build-worker.mjs builds takes
 * a length, so one buffer serves every call); and `handleCommand`, which turns the host's
 * events into `__dialtone` calls after GUEST_PRELUDE has defined it.
 *
 * Request: call number (u8), then per argument: `n` f64 LE; `s` u32 length + UTF-16 code
 * units LE; `b` u32 length + bytes. Reply: XS_RESULT tag, then f64 / u32 length + UTF-16 /
 * bytes. An error reply makes the guest throw (a reset or power cut unwinds it, as in QuickJS).
 * Generated from HOST_CALLS, so the two bindings cannot drift apart; in the target subset.
 */
export const XS_HOST_SHIM = (() => {
  const fns = HOST_CALLS.map(([name, spec], op) => {
    const params: string[] = [];
    const size: string[] = ['1'];
    const writes: string[] = [];
    let a = 0;
    for (const k of spec) {
      if (k === 'n') {
        const v = `a${a++}`;
        params.push(v);
        size.push('8');
        writes.push(`p = N(w, p, ${v});`);
      } else if (k === 's') {
        const v = `a${a++}`;
        params.push(v);
        size.push(`4 + 2 * ('' + ${v}).length`);
        writes.push(`p = S(w, p, ${v});`);
      } else {
        const b = `a${a++}`;
        const o = `a${a++}`;
        const l = `a${a++}`;
        params.push(b, o, l);
        size.push(`4 + ${l}`);
        writes.push(`p = B(w, p, ${b}, ${o}, ${l});`);
      }
    }
    return `    ${name}: function (${params.join(', ')}) { var w = W(${size.join(' + ')}); var p = 1; w.u[0] = ${op}; ${writes.join(' ')} return R(issueCommand(w.b, p)); }`;
  });
  return `var __host = (function () {
  var std = { b: new ArrayBuffer(${XS_REQUEST_BYTES}), d: null, u: null };
  std.d = new DataView(std.b);
  std.u = new Uint8Array(std.b);
  var W = function (size) {
    if (size <= ${XS_REQUEST_BYTES}) return std;
    var b = new ArrayBuffer(size);
    return { b: b, d: new DataView(b), u: new Uint8Array(b) };
  };
  var N = function (w, p, v) { w.d.setFloat64(p, +v, true); return p + 8; };
  var S = function (w, p, v) {
    var s = '' + v;
    w.d.setUint32(p, s.length, true);
    p += 4;
    for (var i = 0; i < s.length; i++) { w.d.setUint16(p, s.charCodeAt(i), true); p += 2; }
    return p;
  };
  var B = function (w, p, b, o, l) {
    w.d.setUint32(p, l, true);
    w.u.set(new Uint8Array(b, o, l), p + 4);
    return p + 4 + l;
  };
  var text = function (d, p, n) {
    var s = '';
    for (var i = 0; i < n; i++) s += String.fromCharCode(d.getUint16(p + 2 * i, true));
    return s;
  };
  var R = function (ab) {
    var u = new Uint8Array(ab);
    var t = u[0];
    if (t === ${XS_RESULT.undefined}) return undefined;
    if (t === ${XS_RESULT.true}) return true;
    if (t === ${XS_RESULT.false}) return false;
    if (t === ${XS_RESULT.bytes}) return ab.slice(1);
    var d = new DataView(ab);
    if (t === ${XS_RESULT.number}) return d.getFloat64(1, true);
    if (t === ${XS_RESULT.string}) return text(d, 5, d.getUint32(1, true));
    throw new Error(text(d, 5, d.getUint32(1, true)));
  };
  return {
${fns.join(',\n')}
  };
})();
`;
})();

/** After GUEST_PRELUDE in XS: the host's events into `__dialtone`. */
export const XS_EVENT_TAIL = `var handleCommand = function (ab) {
  var u = new Uint8Array(ab);
  var k = u[0];
  if (k === ${XS_EVENT.fire}) __dialtone.fire(new DataView(ab).getFloat64(1, true));
  else if (k === ${XS_EVENT.rx}) __dialtone.rx(ab.slice(1));
  else if (k === ${XS_EVENT.link}) __dialtone.link(u[1] === 1);
  else if (k === ${XS_EVENT.serial}) __dialtone.serial(ab.slice(1));
};
`;
