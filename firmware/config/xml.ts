/**
 * A small streaming XML reader for configuration files: fed chunks as TFTP delivers them,
 * it calls a handler at each element's start and end. Memory: the open element names
 * (MAX_DEPTH of MAX_NAME characters), the attributes of the tag being read (MAX_ATTRS,
 * values MAX_TEXT) and the text since the last tag (MAX_TEXT; past that the handler gets
 * null, so a long text in a part the phone does not read costs nothing).
 *
 * Reads UTF-8 (a BOM is skipped); an XML declaration and processing instructions,
 * comments, CDATA, a DOCTYPE (skipped, so only the predefined entities exist), the five
 * predefined and numeric entities, attributes in either quote, any whitespace.
 *
 * Deviation from XML 1.0, on purpose: a closing tag whose name differs from the open
 * element closes it anyway and the handler is told (`mismatch`): real files have
 * `<WlanProfile2>0</WlanProfile1>` in parts the phone does not use, and the handler
 * decides whether the element matters. Duplicate attributes are not checked.
 *
 * Every error carries the line and column (1-based, in characters) of the character that
 * broke the rule, of the '<' of the tag the handler refused, or just past the last
 * character for an error found at the end.
 */
import type { ErrorCode, Fail } from '../../lib/result';

export const MAX_DEPTH = 16;
export const MAX_NAME = 64;
export const MAX_ATTRS = 8;
export const MAX_TEXT = 256;

/** A typed error with its place in the file; detail starts with "line:col". */
export interface PosFail extends Fail { readonly line: number; readonly col: number }

export function posFail(code: ErrorCode, msg: string, line: number, col: number): PosFail {
  return { ok: false, error: code, detail: line + ':' + col + ' ' + msg, line: line, col: col };
}

export interface XmlHandler {
  /** `attrs` is [name, value, name, value, ...]. */
  open(name: string, attrs: string[]): Fail | null;
  /** `text`: the characters since the last tag (null when over MAX_TEXT). */
  close(name: string, text: string | null, mismatch: boolean): Fail | null;
}

/**
 * UTF-8 to code points with line and column, shared by the XML and legacy text readers.
 * `step` returns the code point, -1 while a sequence is incomplete, -2 when it is invalid.
 */
export class Utf8 {
  line = 1;
  col = 0;
  need = 0;
  cp = 0;
  min = 0;
  step(b: number): number {
    if (this.need > 0) {
      if ((b & 0xc0) !== 0x80) return -2;
      this.cp = (this.cp << 6) | (b & 63);
      if (--this.need > 0) return -1;
      b = this.cp;
      if (b < this.min || b > 0x10ffff || (b >= 0xd800 && b < 0xe000)) return -2;
    } else if (b >= 0x80) {
      if (b >= 0xf0 && b < 0xf5) { this.need = 3; this.cp = b & 7; this.min = 0x10000; }
      else if (b >= 0xe0 && b < 0xf0) { this.need = 2; this.cp = b & 15; this.min = 0x800; }
      else if (b >= 0xc2 && b < 0xe0) { this.need = 1; this.cp = b & 31; this.min = 0x80; }
      else return -2;
      return -1;
    }
    this.col++;
    return b;
  }
  /** Call after handling a code point: a newline moves to the next line. */
  after(c: number): void {
    if (c === 10) { this.line++; this.col = 0; }
  }
}

export function chr(c: number): string {
  if (c < 0x10000) return String.fromCharCode(c);
  c -= 0x10000;
  return String.fromCharCode(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
}

export function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Trim XML whitespace. */
export function trim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isSpace(s.charCodeAt(a))) a++;
  while (b > a && isSpace(s.charCodeAt(b - 1))) b--;
  return s.substring(a, b);
}

function nameStart(c: number): boolean {
  const l = c | 32;
  return (l >= 97 && l <= 122) || c === 95 || c === 58 || c >= 128;
}
function nameChar(c: number): boolean {
  return nameStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46;
}

const ENTITIES = ['lt', '<', 'gt', '>', 'amp', '&', 'quot', '"', 'apos', "'"];

// Reader states.
const TEXT = 0, LT = 1, OPEN = 2, TAG = 3, ANAME = 4, AEQ = 5, AQUOTE = 6, AVAL = 7, SLASH = 8,
  CLOSE = 9, CLOSE_END = 10, BANG = 11, COMMENT0 = 12, COMMENT = 13, CDATA0 = 14, CDATA = 15,
  PI = 16, DECL = 17, ENTITY = 18;

/** A reader: `feed` and `end` return null while the document is fine, else the error. */
export interface XmlReader {
  readonly u: Utf8;
  feed(b: Uint8Array): PosFail | null;
  end(): PosFail | null;
}

// A closure rather than a class: its state is locals the minifier shortens (target size).
export function xmlReader(h: XmlHandler): XmlReader {
  const u = new Utf8();
  const names: string[] = [];
  let err: PosFail | null = null;
  let st = TEXT;
  let rootDone = false;
  let started = false;
  let text = '';
  let over = false;
  let nm = '';
  let attrs: string[] = [];
  let an = '';
  let av = '';
  let q = 0;
  let n = 0;
  let ent = '';
  let back = TEXT;
  let tl = 0;
  let tc = 0;

  function bad(code: ErrorCode, msg: string): void {
    if (err === null) err = posFail(code, msg, u.line, u.col);
  }
  function mal(msg: string): void {
    bad('malformed', msg);
  }
  function use(f: Fail | null): void {
    if (f !== null && err === null) err = posFail(f.error, f.detail, tl, tc);
  }
  function add(s: string): void {
    if (over) return;
    if (text.length + s.length > MAX_TEXT) over = true;
    else text += s;
  }
  function aval(s: string): void {
    if (av.length + s.length > MAX_TEXT) bad('too-large', 'long attribute');
    else av += s;
  }
  function grow(s: string, c: number): string {
    if (s.length >= MAX_NAME) bad('too-large', 'long name');
    return s + chr(c);
  }
  function pop(closing: string): void {
    const name = names.pop() as string;
    use(h.close(name, over ? null : text, name !== closing));
    text = '';
    over = false;
    if (names.length === 0) rootDone = true;
  }
  function open(empty: boolean): void {
    st = TEXT;
    if (names.length === 0 && rootDone) return mal('second root');
    if (names.length >= MAX_DEPTH) return bad('too-large', 'too deep');
    names.push(nm);
    text = '';
    over = false;
    use(h.open(nm, attrs));
    if (empty && err === null) pop(nm);
  }
  /** After an open tag's name or an attribute: '/', '>' or an error. */
  function inTag(c: number): void {
    if (isSpace(c)) st = TAG;
    else if (c === 47) st = SLASH;
    else if (c === 62) open(false);
    else mal('bad tag');
  }
  function entity(): void {
    let s: string | null = null;
    if (ent.charCodeAt(0) === 35) {
      const hex = ent.charCodeAt(1) === 120;
      let v = 0;
      let i = hex ? 2 : 1;
      if (i >= ent.length) v = -1;
      for (; i < ent.length && v >= 0; i++) {
        const k = ent.charCodeAt(i);
        const l = k | 32;
        const x = k >= 48 && k <= 57 ? k - 48 : hex && l >= 97 && l <= 102 ? l - 87 : -1;
        v = x < 0 || v > 0x10ffff ? -1 : v * (hex ? 16 : 10) + x;
      }
      if (v === 9 || v === 10 || v === 13 || (v >= 32 && v <= 0x10ffff && (v < 0xd800 || v >= 0xe000))) s = chr(v);
    } else {
      for (let i = 0; i < ENTITIES.length; i += 2) if (ENTITIES[i] === ent) s = ENTITIES[i + 1];
    }
    if (s === null) return mal('bad entity &' + ent + ';');
    st = back;
    if (back === AVAL) aval(s);
    else add(s);
  }
  function close(): void {
    st = TEXT;
    if (names.length === 0) return mal('unexpected </' + nm + '>');
    pop(nm);
  }
  function ch(c: number): void {
    const d = names.length;
    switch (st) {
      case TEXT:
        if (c === 60) { st = LT; tl = u.line; tc = u.col; }
        else if (d === 0) { if (!isSpace(c)) mal('text outside root'); }
        else if (c === 38) { st = ENTITY; back = TEXT; ent = ''; }
        else add(chr(c));
        return;
      case LT:
        if (c === 47) { st = CLOSE; nm = ''; }
        else if (c === 33) st = BANG;
        else if (c === 63) { st = PI; q = 0; }
        else if (nameStart(c)) { st = OPEN; nm = chr(c); attrs = []; }
        else mal('bad tag');
        return;
      case OPEN:
        if (nameChar(c)) nm = grow(nm, c);
        else inTag(c);
        return;
      case TAG:
        if (isSpace(c)) return;
        if (nameStart(c)) { st = ANAME; an = chr(c); }
        else inTag(c);
        return;
      case ANAME:
        if (nameChar(c)) an = grow(an, c);
        else if (isSpace(c)) st = AEQ;
        else if (c === 61) st = AQUOTE;
        else mal('bad attribute');
        return;
      case AEQ:
        if (c === 61) st = AQUOTE;
        else if (!isSpace(c)) mal('expected =');
        return;
      case AQUOTE:
        if (c === 34 || c === 39) { st = AVAL; q = c; av = ''; }
        else if (!isSpace(c)) mal('expected quote');
        return;
      case AVAL:
        if (c === q) {
          if (attrs.length >= 2 * MAX_ATTRS) return bad('too-large', 'too many attributes');
          attrs.push(an, av);
          st = TAG;
        } else if (c === 60) mal('< in attribute');
        else if (c === 38) { st = ENTITY; back = AVAL; ent = ''; }
        else aval(chr(c));
        return;
      case SLASH:
        if (c === 62) open(true);
        else mal('expected >');
        return;
      case CLOSE:
        if (nm === '' ? nameStart(c) : nameChar(c)) nm = grow(nm, c);
        else if (nm !== '' && isSpace(c)) st = CLOSE_END;
        else if (nm !== '' && c === 62) close();
        else mal('bad closing tag');
        return;
      case CLOSE_END:
        if (c === 62) close();
        else if (!isSpace(c)) mal('expected >');
        return;
      case BANG:
        n = 0;
        if (c === 45) st = COMMENT0;
        else if (c !== 91) st = DECL;
        else if (d === 0) mal('CDATA outside root');
        else st = CDATA0;
        return;
      case COMMENT0:
        if (c === 45) st = COMMENT;
        else mal('bad comment');
        return;
      case COMMENT:
        if (c === 45) n++;
        else if (c === 62 && n >= 2) st = TEXT;
        else n = 0;
        return;
      case CDATA0:
        if (c !== 'CDATA['.charCodeAt(n)) return mal('bad CDATA');
        if (++n === 6) { st = CDATA; n = 0; }
        return;
      case CDATA:
        if (c === 93) { n++; return; }
        if (c === 62 && n >= 2) { n -= 2; st = TEXT; }
        for (; n > 0; n--) add(']');
        if (st === CDATA) add(chr(c));
        return;
      case PI:
        if (c === 62 && q) st = TEXT;
        else q = c === 63 ? 1 : 0;
        return;
      case DECL:
        // <!DOCTYPE ...> and the like: skipped; brackets nest the internal subset.
        if (c === 91) n++;
        else if (c === 93) n--;
        else if (c === 62 && n <= 0) st = TEXT;
        return;
      case ENTITY:
        if (c === 59) entity();
        else if (ent.length < 10 && (nameChar(c) || c === 35)) ent += chr(c);
        else mal('bad entity');
        return;
    }
  }

  return {
    u: u,
    feed: function (b: Uint8Array): PosFail | null {
      for (let i = 0; i < b.length && err === null; i++) {
        const c = u.step(b[i]);
        if (c === -2) { u.col++; mal('bad UTF-8'); }
        else if (c >= 0) {
          if (started || c !== 0xfeff) ch(c);
          started = true;
          u.after(c);
        }
      }
      return err;
    },
    end: function (): PosFail | null {
      // An error found at the end sits just past the last character.
      if (err === null) u.col++;
      if (u.need > 0) bad('truncated', 'bad UTF-8');
      else if (names.length > 0) bad('truncated', 'unclosed <' + names[names.length - 1] + '>');
      else if (st !== TEXT) bad('truncated', 'unexpected end');
      else if (!rootDone) bad('truncated', 'no root element');
      return err;
    },
  };
}
