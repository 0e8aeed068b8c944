/**
 * The "Espruino semantics" prelude: JavaScript text evaluated in QuickJS after the HAL
 * prelude and before the bundles, so that the target tests meet the built-in behaviour a
 * real Espruino 2v29 has (measured: reference/espruino_semantics.md; the algorithms are
 * ported from Espruino's sources, src/jsutils.c, jswrap_*.c, named per section) and CI
 * catches the next gap without an Espruino binary. QuickJS stays QuickJS for the language;
 * only built-ins are replaced.
 *
 * Reproduced (each has a case in test/target/espruino-prelude.test.ts, asserted with and without the prelude):
 *  1. typed-array `slice` returns a plain Array (jswrap_arraybuffer.c).
 *  2. typed-array `subarray`: `end` is not clamped to the view (Espruino's view runs on into
 *     the underlying buffer), a byte offset past 65535 or below 0 throws.
 *  3. DataView reads and writes are bounded by the buffer, not the view; past the buffer a
 *     read gives undefined and a write does nothing (jswrap_dataview.c: no range check);
 *     an absolute offset below 0 or past 65535 throws.
 *  4. `split` ignores its limit.
 *  5. No RangeError, EvalError, URIError, AggregateError globals (jswrap_error.c has Error,
 *     TypeError, SyntaxError, ReferenceError, InternalError only).
 *  6. An error the engine throws is not `instanceof TypeError` (nor SyntaxError,
 *     ReferenceError): those globals become the guest's own constructors, so only errors
 *     the code itself creates with them match.
 *  7. `new Error().name` is undefined (on every error class).
 *  8. `Object.keys`/`values`/`entries` of a plain object list integer-like keys last, in
 *     descending order. Espruino keeps insertion order ("b,2,a,1"), QuickJS and XS put them
 *     first ascending ("1,2,b,a"); this order is neither, so code relying on either fails.
 *  9. `Array.prototype.sort` is Espruino's quicksort (jswrap_array.c, median of 3 above 10
 *     elements): not stable, so equal elements come out reordered (deterministically).
 * 10. `Number(string)`: '' is 0, whitespace-only or trailing characters (' 12 ') are NaN,
 *     a leading 0 followed by octal digits is octal ('010' is 8) (jsvar.c, jsutils.c getRadix).
 * 11. Number to string through `String(n)` and `n.toString()`: Espruino's ftoa for non-integers
 *     and |n| >= 1e21 (11 fraction digits at most: String(1/3) "0.33333333333",
 *     String(0.1 + 0.2) "0.3", String(1e21) "10e+20"); `toFixed` truncates all but the last
 *     digit ((2.5).toFixed(0) "2", (1.005).toFixed(2) "1.00").
 * 12. `Math.round` rounds halves away from zero (Math.round(-0.5) is -1).
 * 13. `toLowerCase`/`toUpperCase` map ASCII only, and a character >= 0x80 comes out as its
 *     UTF-8 bytes ("ABC\u00c9" -> "abc\u00c3\u0089", measured for toLowerCase on the Linux
 *     build; toUpperCase by the same code path).
 * 14. `Object.create(null)` still has `toString` (measured "function").
 * 15. The built-ins Espruino lacks (reference/embedded_js.md 1.2 "Missing on Espruino") are
 *     deleted, so a use that slipped past the lint and the types (through `any`) fails here.
 *
 * Not reproducible here, and why:
 *  - number-to-string inside `'' + n`, template literals, `JSON.stringify`, and number
 *    coercions `+s`, `s * 1`, `s == n`: the engine's internal ToString/ToNumber never call a
 *    replaceable function. The lint and DESIGN rule (never rely on number-to-string of
 *    non-integers) cover them.
 *  - the order of `for...in` and `JSON.stringify` keys: internal, not replaceable.
 *  - a view longer than its buffer (Espruino reports the unclamped `subarray` length even
 *    past the buffer): QuickJS cannot make one, so it ends at the buffer.
 *  - language gaps: no hoisting, no per-iteration `let`, statics not inherited, named class
 *    expressions, reserved words as names, bodies parsed only when first run: QuickJS parses
 *    the full language. The bundle lint covers what can be seen in the text.
 *  - `Function.prototype.name` missing: every function has its own `name` in QuickJS.
 *  - Espruino's error `toString` ("TypeError: msg"): with `name` undefined QuickJS prints
 *    "Error: msg".
 *
 * Itself in the target subset (test/target/espruino-prelude.test.ts lints it). Host code imports the text only.
 */
export const ESPRUINO_SEMANTICS = `(function (g) {
  var define = function (obj, name, fn) {
    Object.defineProperty(obj, name, { value: fn, writable: true, configurable: true, enumerable: false });
  };
  var trunc = function (x) { return x < 0 ? Math.ceil(x) : Math.floor(x); };
  var NativeNumber = Number;
  var NativeString = String;
  var nativeKeys = Object.keys;
  var nativeCreate = Object.create;
  var nativeSplit = String.prototype.split;
  var nativeNumToString = NativeNumber.prototype.toString;
  var nativeStrToString = NativeString.prototype.toString;

  // 1. typed-array slice returns a plain Array.
  var TA = Object.getPrototypeOf(Uint8Array.prototype);
  var taSlice = TA.slice;
  var taSubarray = TA.subarray;
  define(TA, 'slice', function (start, end) {
    var copy = taSlice.call(this, start, end);
    var out = [];
    for (var i = 0; i < copy.length; i++) out.push(copy[i]);
    return out;
  });

  // 2. subarray: end not clamped to the view; byte offsets limited to 0..65535.
  define(TA, 'subarray', function (begin, end) {
    var len = this.length;
    var b = begin === undefined ? 0 : trunc(+begin) || 0;
    var e = typeof end === 'number' ? trunc(end) : len;
    if (b < 0) b += len;
    if (e < 0) e += len;
    if (e < 0) e = 0;
    if (b > e) { b = 0; e = 0; }
    if (b === e) return taSubarray.call(this, 0, 0);
    var size = this.BYTES_PER_ELEMENT;
    var offset = this.byteOffset + b * size;
    if (offset < 0 || offset > 65535) throw new Error('byteOffset too large (or negative)');
    var room = Math.floor((this.buffer.byteLength - offset) / size);
    var n = e - b;
    if (n > room) n = room;
    if (n < 0) n = 0;
    var C = this.constructor;
    return new C(this.buffer, offset, n);
  });

  // 3. DataView bounded by the buffer, not the view; past the buffer: undefined / no write.
  var DV = DataView.prototype;
  var absOffset = function (view, offset) {
    var o = trunc(+offset) || 0;
    var abs = view.byteOffset + o;
    if (abs < 0 || abs > 65535) throw new Error('byteOffset too large (or negative)');
    return abs;
  };
  var wrapGet = function (name, size) {
    var nat = DV[name];
    define(DV, name, function (offset, little) {
      if (offset >= 0 && offset + size <= this.byteLength) return nat.call(this, offset, little);
      var abs = absOffset(this, offset);
      if (abs + size > this.buffer.byteLength) return undefined;
      return nat.call(new DataView(this.buffer), abs, little);
    });
  };
  var wrapSet = function (name, size) {
    var nat = DV[name];
    define(DV, name, function (offset, value, little) {
      if (offset >= 0 && offset + size <= this.byteLength) return nat.call(this, offset, value, little);
      var abs = absOffset(this, offset);
      if (abs + size > this.buffer.byteLength) return undefined;
      return nat.call(new DataView(this.buffer), abs, value, little);
    });
  };
  var dvNames = ['Int8', 1, 'Uint8', 1, 'Int16', 2, 'Uint16', 2, 'Int32', 4, 'Uint32', 4, 'Float32', 4, 'Float64', 8];
  for (var di = 0; di < dvNames.length; di += 2) {
    wrapGet('get' + dvNames[di], dvNames[di + 1]);
    wrapSet('set' + dvNames[di], dvNames[di + 1]);
  }

  // 4. split ignores its limit.
  define(String.prototype, 'split', function (separator) { return nativeSplit.call(this, separator); });

  // 5. Error classes Espruino does not define.
  delete g.RangeError;
  delete g.EvalError;
  delete g.URIError;
  delete g.AggregateError;

  // 7. Error().name is undefined (set before 6 so the guest's classes inherit it).
  var nativeErrorNames = ['Error', 'TypeError', 'SyntaxError', 'ReferenceError', 'InternalError'];
  for (var ei = 0; ei < nativeErrorNames.length; ei++) {
    var ctor = g[nativeErrorNames[ei]];
    if (ctor) Object.defineProperty(ctor.prototype, 'name', { value: undefined, writable: true, configurable: true, enumerable: false });
  }

  // 6. TypeError, SyntaxError, ReferenceError: the guest's own, so engine errors do not match.
  var ownErrorClass = function () {
    var C = function (message) {
      var e = new Error(message);
      Object.setPrototypeOf(e, C.prototype);
      return e;
    };
    C.prototype = nativeCreate(Error.prototype);
    define(C.prototype, 'constructor', C);
    return C;
  };
  g.TypeError = ownErrorClass();
  g.SyntaxError = ownErrorClass();
  g.ReferenceError = ownErrorClass();

  // 8. Integer-like keys of plain objects last, descending.
  var isIndexKey = function (k) {
    var n = NativeNumber(k) >>> 0;
    return n !== 4294967295 && ('' + n) === k;
  };
  var espKeys = function (o) {
    var keys = nativeKeys(o);
    if (Array.isArray(o) || o instanceof TA.constructor || typeof o === 'string') return keys;
    var names = [];
    var indexes = [];
    for (var i = 0; i < keys.length; i++) {
      if (isIndexKey(keys[i])) indexes.push(keys[i]); else names.push(keys[i]);
    }
    for (var j = indexes.length - 1; j >= 0; j--) names.push(indexes[j]);
    return names;
  };
  define(Object, 'keys', espKeys);
  define(Object, 'values', function (o) {
    var keys = espKeys(o);
    var out = [];
    for (var i = 0; i < keys.length; i++) out.push(o[keys[i]]);
    return out;
  });
  define(Object, 'entries', function (o) {
    var keys = espKeys(o);
    var out = [];
    for (var i = 0; i < keys.length; i++) out.push([keys[i], o[keys[i]]]);
    return out;
  });

  // 9. Espruino's quicksort (jswrap_array.c _jswrap_array_sort): not stable.
  var sortCompare = function (a, b, fn) {
    if (a === undefined) return 1;
    if (b === undefined) return -1;
    if (fn) {
      var f = NativeNumber(fn(a, b));
      if (f === 0) return 0;
      return f < 0 ? -1 : 1;
    }
    var sa = '' + a;
    var sb = '' + b;
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  };
  var quickSort = function (arr, head, n, fn) {
    if (n < 2) return;
    var pivot = head;
    if (n > 10) {
      var mid = head + (n >> 1);
      var high = head + n - 1;
      var lowV = arr[pivot];
      var midV = arr[mid];
      var highV = arr[high];
      var lowMid = sortCompare(lowV, midV, fn);
      var midHigh = sortCompare(midV, highV, fn);
      var lowHigh = sortCompare(lowV, highV, fn);
      if ((lowMid <= 0 && midHigh <= 0) || (lowHigh <= 0 && midHigh >= 0)) {
        arr[pivot] = midV;
        arr[mid] = lowV;
      } else if ((lowMid >= 0 && lowHigh <= 0) || (midHigh >= 0 && lowHigh >= 0)) {
        arr[pivot] = highV;
        arr[high] = lowV;
      }
    }
    var pivotLowest = true;
    var pivotValue = arr[pivot];
    var nlo = 0;
    var nhigh = 0;
    var it = head + 1;
    while (--n) {
      var itValue = arr[it];
      var c = sortCompare(itValue, pivotValue, fn);
      if (c <= 0) {
        if (c < 0) pivotLowest = false;
        nlo++;
        arr[pivot] = itValue;
        pivot++;
        arr[it] = arr[pivot];
        arr[pivot] = pivotValue;
      } else {
        nhigh++;
      }
      it++;
    }
    quickSort(arr, pivot + 1, nhigh, fn);
    if (!pivotLowest) quickSort(arr, head, nlo, fn);
  };
  define(Array.prototype, 'sort', function (fn) {
    if (fn !== undefined && typeof fn !== 'function') throw new Error('Expecting compare function');
    var vals = [];
    var len = this.length;
    for (var i = 0; i < len; i++) if (i in this) vals.push(this[i]);
    quickSort(vals, 0, vals.length, fn);
    for (var j = 0; j < vals.length; j++) this[j] = vals[j];
    for (var k = vals.length; k < len; k++) delete this[k];
    return this;
  });

  // 10. Number(string).
  var isSpace = function (c) { return c === ' ' || c === '\\t' || c === '\\n' || c === '\\r' || c === '\\v' || c === '\\f'; };
  var stringToNumber = function (s) {
    if (s === '') return 0;
    var i = 0;
    while (i < s.length && isSpace(s.charAt(i))) i++;
    if (i === s.length) return NaN;
    if (isSpace(s.charAt(s.length - 1))) return NaN;
    var body = s.substring(i);
    var sign = 1;
    var c0 = body.charAt(0);
    if (c0 === '-' || c0 === '+') { if (c0 === '-') sign = -1; body = body.substring(1); }
    if (body.length > 1 && body.charAt(0) === '0') {
      var octal = true;
      for (var j = 1; j < body.length; j++) {
        var d = body.charCodeAt(j);
        if (d < 48 || d > 55) { octal = false; break; }
      }
      if (octal) return sign * parseInt(body.substring(1), 8);
    }
    return NativeNumber(s);
  };
  var EspNumber = function (v) {
    if (arguments.length === 0) return 0;
    return typeof v === 'string' ? stringToNumber(v) : NativeNumber(v);
  };
  var numberStatics = ['MAX_VALUE', 'MIN_VALUE', 'NaN', 'NEGATIVE_INFINITY', 'POSITIVE_INFINITY'];
  for (var ni = 0; ni < numberStatics.length; ni++) EspNumber[numberStatics[ni]] = NativeNumber[numberStatics[ni]];
  EspNumber.prototype = NativeNumber.prototype;
  g.Number = EspNumber;

  // 11. Espruino's ftoa (jsutils.c ftoa_bounded_extra), radix 10.
  var digit = function (v) { return v < 10 ? NativeString.fromCharCode(48 + v) : NativeString.fromCharCode(87 + v); };
  var ftoa = function (val, fractionalDigits) {
    if (val !== val) return 'NaN';
    if (val === Infinity) return 'Infinity';
    if (val === -Infinity) return '-Infinity';
    var s = '';
    if (val < 0) { s = '-'; val = -val; }
    var exponent = 0;
    if (val > 0 && fractionalDigits < 0) {
      if (val >= 1e21) {
        while (val > 100000) { val /= 100000; exponent += 5; }
        while (val > 10) { val /= 10; exponent++; }
      } else if (val < 1e-6) {
        while (val < 1e-5) { val *= 100000; exponent -= 5; }
        while (val < 1) { val *= 10; exponent--; }
      }
    }
    if (Math.floor(val + 0.0000001) === 1 + Math.floor(val)) val = 1 + Math.floor(val);
    var d = 1;
    while (d * 10 <= val) d *= 10;
    while (d >= 1) {
      var v = trunc(val / d);
      val -= v * d;
      s += digit(v);
      d /= 10;
    }
    if ((fractionalDigits < 0 && val > 0) || fractionalDigits > 0) {
      var hasPt = false;
      val *= 10;
      while ((fractionalDigits < 0 && fractionalDigits > -12 && val > 0.0000001) || fractionalDigits > 0) {
        var w = trunc(val + (fractionalDigits === 1 ? 0.5 : 0.00000001));
        val = (val - w) * 10;
        if (w === 10) w = 9;
        if (!hasPt) { hasPt = true; s += '.'; }
        s += digit(w);
        fractionalDigits--;
      }
    }
    if (exponent) s += 'e' + (exponent > 0 ? '+' : '') + nativeNumToString.call(exponent);
    return s;
  };
  var isIntegral = function (n) { return n === Math.floor(n) && n > -1e21 && n < 1e21; };
  var numberToString = function (n) { return isIntegral(n) ? nativeNumToString.call(n) : ftoa(n, -1); };
  define(NativeNumber.prototype, 'toString', function (radix) {
    var n = +this;
    if (radix === undefined || radix === 10) return numberToString(n);
    return nativeNumToString.call(n, radix);
  });
  define(NativeNumber.prototype, 'toFixed', function (digits) {
    var k = trunc(+digits) || 0;
    if (k < 0) k = 0;
    if (k > 20) k = 20;
    return ftoa(+this, k);
  });
  var EspString = function (v) {
    if (arguments.length === 0) return '';
    return typeof v === 'number' ? numberToString(v) : NativeString(v);
  };
  EspString.fromCharCode = NativeString.fromCharCode;
  EspString.prototype = NativeString.prototype;
  g.String = EspString;

  // 12. Math.round: halves away from zero (jswrap_math.c).
  define(Math, 'round', function (x) {
    x = +x;
    if (x !== x || x === Infinity || x === -Infinity || (x === 0 && 1 / x < 0)) return x;
    x += x < 0 ? -0.5 : 0.5;
    var i = trunc(x);
    if (i === 0 && x < 0) return -0;
    return i;
  });

  // 13. Case mapping: ASCII only; a character >= 0x80 becomes its UTF-8 bytes.
  var utf8Chars = function (c) {
    if (c < 0x800) return NativeString.fromCharCode(0xc0 | (c >> 6), 0x80 | (c & 63));
    return NativeString.fromCharCode(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  };
  var mapCase = function (s, from, to) {
    var out = '';
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c >= from && c <= from + 25) out += NativeString.fromCharCode(c - from + to);
      else if (c >= 0x80) out += utf8Chars(c);
      else out += s.charAt(i);
    }
    return out;
  };
  define(NativeString.prototype, 'toLowerCase', function () { return mapCase(nativeStrToString.call(this), 65, 97); });
  define(NativeString.prototype, 'toUpperCase', function () { return mapCase(nativeStrToString.call(this), 97, 65); });

  // 14. Object.create(null) still inherits toString.
  define(Object, 'create', function (proto, props) {
    var o = nativeCreate(proto === null ? Object.prototype : proto);
    if (props !== undefined) Object.defineProperties(o, props);
    return o;
  });

  // 15. Built-ins Espruino lacks.
  var drop = function (obj, names) {
    for (var i = 0; i < names.length; i++) delete obj[names[i]];
  };
  drop(g, ['Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Symbol', 'Proxy', 'Reflect', 'BigInt',
    'BigInt64Array', 'BigUint64Array', 'queueMicrotask', 'setImmediate', 'escape', 'unescape']);
  drop(NativeNumber, ['isNaN', 'isFinite', 'isInteger', 'isSafeInteger', 'parseInt', 'parseFloat', 'MAX_SAFE_INTEGER', 'MIN_SAFE_INTEGER', 'EPSILON']);
  drop(Math, ['trunc', 'imul', 'clz32', 'log2', 'log10', 'log1p', 'expm1', 'hypot', 'cbrt', 'fround', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh']);
  drop(Object, ['is', 'freeze', 'seal', 'preventExtensions', 'isFrozen', 'isSealed', 'isExtensible', 'getOwnPropertySymbols']);
  drop(Array, ['from', 'of']);
  drop(Array.prototype, ['findLast', 'findLastIndex', 'flat', 'flatMap', 'copyWithin', 'keys', 'entries', 'lastIndexOf', 'reduceRight', 'at']);
  drop(NativeString.prototype, ['trimStart', 'trimEnd', 'trimLeft', 'trimRight', 'codePointAt', 'normalize', 'at', 'localeCompare', 'matchAll', 'search']);
  drop(NativeString, ['raw', 'fromCodePoint']);
  drop(Promise, ['race', 'allSettled', 'any']);
  drop(Promise.prototype, ['finally']);
  drop(TA.constructor, ['from', 'of']);
  drop(TA, ['copyWithin', 'at', 'findLast', 'findLastIndex', 'lastIndexOf', 'reduceRight']);
  drop(ArrayBuffer, ['isView']);
  drop(ArrayBuffer.prototype, ['slice']);
})(this);
`;
