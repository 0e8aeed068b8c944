/**
 * The streaming XML reader (firmware/config/xml.ts): what it tolerates, the events it
 * gives, every malformation as a typed error at its line and column, and the same events
 * whatever the chunking (every split point of a small document).
 */
import { describe, it, expect } from 'vitest';
import { xmlReader, MAX_DEPTH, MAX_TEXT, MAX_ATTRS, MAX_NAME } from '../../../firmware/config/xml';
import type { XmlHandler, PosFail } from '../../../firmware/config/xml';
import { fail } from '../../../lib/result';
import type { Fail } from '../../../lib/result';

const enc = (s: string) => new TextEncoder().encode(s);

interface Run { events: string[]; err: PosFail | null }

/** Events as text: "<a x=1>", "</a 'text'>", "</a! 'text'>" for a mismatched close. */
function run(doc: string | Uint8Array, chunks: number[] = [], refuse?: (ev: string) => Fail | null): Run {
  const events: string[] = [];
  const h: XmlHandler = {
    open(name, attrs) {
      let s = '<' + name;
      for (let i = 0; i < attrs.length; i += 2) s += ` ${attrs[i]}=${attrs[i + 1]}`;
      events.push(s + '>');
      return refuse ? refuse(s + '>') : null;
    },
    close(name, text, mismatch) {
      const ev = `</${name}${mismatch ? '!' : ''} ${text === null ? 'null' : JSON.stringify(text)}>`;
      events.push(ev);
      return refuse ? refuse(ev) : null;
    },
  };
  const r = xmlReader(h);
  const bytes = typeof doc === 'string' ? enc(doc) : doc;
  let at = 0;
  let err: PosFail | null = null;
  for (const n of [...chunks, bytes.length]) {
    if (err === null && n >= at) err = r.feed(bytes.subarray(at, n));
    at = Math.max(at, n);
  }
  if (err === null) err = r.end();
  return { events, err };
}

function error(doc: string | Uint8Array): [string, number, number, string] {
  const e = run(doc).err;
  if (e === null) throw new Error('no error');
  return [e.error, e.line, e.col, e.detail.substring(e.detail.indexOf(' ') + 1)];
}

describe('xml reader: what real files hold', () => {
  it('declaration, comments, whitespace, attributes in both quotes, empty elements', () => {
    const r = run(`<?xml version="1.0" encoding="UTF-8"?>\n<!-- top -->\n<device>\n  <member priority="0"\tx = 'a "b"'>t</member>\n  <e/><f a="1" />\n</device>\n<!-- after -->\n`);
    expect(r.err).toBeNull();
    expect(r.events).toEqual(['<device>', '<member priority=0 x=a "b">', '</member "t">', '<e>', '</e "">', '<f a=1>', '</f "">', '</device "\\n">']);
  });

  it('entities (the five and numeric) in text and attributes, CDATA, comments inside text', () => {
    const r = run('<a v="&lt;&amp;&#65;&#x42;&quot;&apos;&gt;">x&amp;y&#233;&#x1F600;<!-- c -->z<![CDATA[<b>&amp;]]]]>w</a>');
    expect(r.err).toBeNull();
    expect(r.events).toEqual(['<a v=<&AB"\'>>', '</a "x&yé😀z<b>&amp;]]w">']);
  });

  it('a BOM, a DOCTYPE with an internal subset, processing instructions, UTF-8 text', () => {
    const r = run('\ufeff<!DOCTYPE device [ <!ENTITY x "y"> ]><?pi a?b?><device>Zürich €</device>');
    expect(r.err).toBeNull();
    expect(r.events).toEqual(['<device>', '</device "Zürich €">']);
  });

  it('a mismatched closing tag closes the element and says so', () => {
    const r = run('<v><WlanProfile2>0</WlanProfile1><x>1</x></v>');
    expect(r.err).toBeNull();
    expect(r.events).toEqual(['<v>', '<WlanProfile2>', '</WlanProfile2! "0">', '<x>', '</x "1">', '</v "">']);
  });

  it('text past MAX_TEXT reaches the handler as null, without error', () => {
    const r = run(`<a><b>${'x'.repeat(MAX_TEXT + 1)}</b><c>${'y'.repeat(MAX_TEXT)}</c></a>`);
    expect(r.err).toBeNull();
    expect(r.events[2]).toBe('</b null>');
    expect(r.events[4]).toBe(`</c "${'y'.repeat(MAX_TEXT)}">`);
  });

  it('a handler refusal is an error at the tag, and stops the reader', () => {
    const r = run('<a>\n  <b>bad</b>\n  <c/>\n</a>', [], (ev) => (ev.startsWith('</b') ? fail('malformed', 'bad <b>') : null));
    expect(r.err).toMatchObject({ error: 'malformed', line: 2, col: 9, detail: '2:9 bad <b>' });
    expect(r.events).not.toContain('<c>');
  });
});

describe('xml reader: malformed input is a typed error with line and column', () => {
  const cases: [string, string, number, number, string][] = [
    ['', 'truncated', 1, 1, 'no root element'],
    ['  \n', 'truncated', 2, 1, 'no root element'],
    ['<a>', 'truncated', 1, 4, 'unclosed <a>'],
    ['<a><b></b>', 'truncated', 1, 11, 'unclosed <a>'],
    ['<a', 'truncated', 1, 3, 'unexpected end'],
    ['<a><!-- x', 'truncated', 1, 10, 'unclosed <a>'],
    ['x<a/>', 'malformed', 1, 1, 'text outside root'],
    ['<a/>\n y', 'malformed', 2, 2, 'text outside root'],
    ['<a/><b/>', 'malformed', 1, 8, 'second root'],
    ['<a></a></b>', 'malformed', 1, 11, 'unexpected </b>'],
    ['<a>\n<1/></a>', 'malformed', 2, 2, 'bad tag'],
    ['<a b></a>', 'malformed', 1, 5, 'bad attribute'],
    ['<a b ></a>', 'malformed', 1, 6, 'expected ='],
    ['<a b=1></a>', 'malformed', 1, 6, 'expected quote'],
    ['<a b="<"></a>', 'malformed', 1, 7, '< in attribute'],
    ['<a b="1"/ ></a>', 'malformed', 1, 10, 'expected >'],
    ['<a>&nbsp;</a>', 'malformed', 1, 9, 'bad entity &nbsp;'],
    ['<a>&#xD800;</a>', 'malformed', 1, 11, 'bad entity &#xD800;'],
    ['<a>&#0;</a>', 'malformed', 1, 7, 'bad entity &#0;'],
    ['<a>&#x110000;</a>', 'malformed', 1, 13, 'bad entity &#x110000;'],
    ['<a>& b</a>', 'malformed', 1, 5, 'bad entity'],
    ['<a>\n\n  <!DOCTYPE x [ </a>', 'truncated', 3, 21, 'unclosed <a>'],
    ['<a><!-x--></a>', 'malformed', 1, 7, 'bad comment'],
    ['<a><![CDAT[x]]></a>', 'malformed', 1, 11, 'bad CDATA'],
    ['<![CDATA[x]]><a/>', 'malformed', 1, 3, 'CDATA outside root'],
    ['<a></ a>', 'malformed', 1, 6, 'bad closing tag'],
    ['<a></a x>', 'malformed', 1, 8, 'expected >'],
    ['<a>&amp</a>', 'malformed', 1, 8, 'bad entity'],
  ];
  for (const [doc, code, line, col, msg] of cases) {
    it(`${JSON.stringify(doc)} -> ${code} ${line}:${col} ${msg}`, () => {
      expect(error(doc)).toEqual([code, line, col, msg]);
    });
  }

  it('bad UTF-8: a stray continuation byte, an overlong form, a cut sequence', () => {
    expect(error(new Uint8Array([0x3c, 0x61, 0x3e, 0x80, 0x3c, 0x2f, 0x61, 0x3e]))).toEqual(['malformed', 1, 4, 'bad UTF-8']);
    expect(error(new Uint8Array([0x3c, 0x61, 0x3e, 0xc0, 0xaf]))).toEqual(['malformed', 1, 4, 'bad UTF-8']);
    expect(error(new Uint8Array([0x3c, 0x61, 0x3e, 0xe0, 0x80, 0xaf]))).toEqual(['malformed', 1, 4, 'bad UTF-8']);
    expect(error(new Uint8Array([0x3c, 0x61, 0x3e, 0xed, 0xa0, 0x80]))).toEqual(['malformed', 1, 4, 'bad UTF-8']); // a surrogate
    expect(error(new Uint8Array([0x3c, 0x61, 0x3e, 0xe2, 0x82]))[3]).toBe('bad UTF-8');
  });

  it('caps: depth, name length, attribute count and length', () => {
    expect(error('<a>'.repeat(MAX_DEPTH + 1))).toEqual(['too-large', 1, 3 * MAX_DEPTH + 3, 'too deep']);
    expect(error(`<${'n'.repeat(MAX_NAME + 1)}/>`)).toEqual(['too-large', 1, MAX_NAME + 2, 'long name']);
    const attrs = Array.from({ length: MAX_ATTRS + 1 }, (_, i) => ` a${i}="1"`).join('');
    expect(error(`<a${attrs}/>`)[3]).toBe('too many attributes');
    expect(error(`<a b="${'v'.repeat(MAX_TEXT + 1)}"/>`)[3]).toBe('long attribute');
  });

  it('columns count characters, not bytes', () => {
    expect(error('<a>ééé<1</a>')).toEqual(['malformed', 1, 8, 'bad tag']);
  });
});

describe('xml reader: chunking', () => {
  const DOC = '<?xml version="1.0"?>\n<!-- c -->\n<d a="x&amp;y">\n <m p=\'1\'>é&#x20AC;<![CDATA[]]]></m>\n <w>0</v>\n</d>\n';
  it('every split point of a small document gives the whole-document events', () => {
    const whole = run(DOC);
    expect(whole.err).toBeNull();
    const n = enc(DOC).length;
    for (let i = 0; i <= n; i++) expect(run(DOC, [i])).toEqual(whole);
    for (let i = 0; i <= n; i += 3) for (let j = i; j <= n; j += 5) expect(run(DOC, [i, j])).toEqual(whole);
  });

  it('every split point of a malformed document gives the same error', () => {
    const bad = '<d>\n <m>é</m>\n <x y="1"z></x>\n</d>';
    const whole = run(bad);
    expect(whole.err).not.toBeNull();
    for (let i = 0; i <= enc(bad).length; i++) expect(run(bad, [i]).err).toEqual(whole.err);
  });
});
