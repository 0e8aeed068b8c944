/**
 * SCCP (Skinny) codec, shared by the phone's session (client.ts) and the lab CallManager
 * (tools/lab/callmanager). Facts: reference/cisco_protocols.md section 6; layouts checked
 * against the real capture in ../shared/fixtures and tshark's skinny dissector.
 *
 *   u32 LE length (= 4 + body, counts the id) | u32 LE header version | u32 LE id | body
 *
 * Bodies are little-endian; IPv4 addresses in network order; char arrays NUL-padded
 * (Latin-1: byte = char code). Each known message is a layout string, read and written by
 * one small interpreter (`name:type`, types: u u32, c u8, a u24, i IPv4, sN char[N],
 * xN raw bytes). Fields that start at or past a message's `min` body length are optional:
 * parse leaves them undefined when the body stops there, emit stops at the first undefined
 * one. List messages (CapabilitiesRes, ButtonTemplate, SoftKeyTemplateRes, SoftKeySetRes)
 * carry `items` and `rest`: the bytes after the used entries, which real devices fill to a
 * fixed slot count, sometimes with stack garbage (the capture's CapabilitiesRes); `rest`
 * keeps them so a parsed message re-emits byte for byte, and emit zero-fills the slots
 * when `rest` is absent. Bytes past a known layout are ignored. An unknown id parses as
 * UNKNOWN with its body as a view into the input (valid while the input is).
 *
 * parse never throws: 'truncated' (header or a required field cut short), 'malformed'
 * (length < 4, a list count over its cap). FrameReader cuts a TCP byte stream into frames
 * in a fixed buffer of MAX_FRAME bytes; a frame longer than that is 'too-large' and the
 * reader stays failed (the caller closes the connection). emit throws TypeError on a
 * buffer too small (a programmer error).
 */
import { ok, fail, Result, Fail } from '../../../lib/result';
import { copyBytes } from '../../../lib/bytes';

export const PORT = 2000;
export const TLS_PORT = 2443;
export const HEADER_LEN = 12;
/** Receive buffer: the largest frame (header included) a reader accepts. */
export const MAX_FRAME = 2048;

// Phone -> CallManager.
export const KEEPALIVE = 0x0000;
export const REGISTER = 0x0001;
export const IP_PORT = 0x0002;
export const LINE_STAT_REQ = 0x000b;
export const TIME_DATE_REQ = 0x000d;
export const BUTTON_TEMPLATE_REQ = 0x000e;
export const VERSION_REQ = 0x000f;
export const CAPABILITIES_RES = 0x0010;
export const SOFTKEY_SET_REQ = 0x0025;
export const UNREGISTER = 0x0027;
export const SOFTKEY_TEMPLATE_REQ = 0x0028;
// CallManager -> phone.
export const REGISTER_ACK = 0x0081;
export const LINE_STAT = 0x0092;
export const DEFINE_TIME_DATE = 0x0094;
export const BUTTON_TEMPLATE = 0x0097;
export const VERSION = 0x0098;
export const CAPABILITIES_REQ = 0x009b;
export const REGISTER_REJECT = 0x009d;
export const RESET = 0x009f;
export const KEEPALIVE_ACK = 0x0100;
export const SOFTKEY_TEMPLATE_RES = 0x0108;
export const SOFTKEY_SET_RES = 0x0109;
export const UNREGISTER_ACK = 0x0118;
/** Repr id of a message this codec does not know (its wire id is in `msgId`). */
export const UNKNOWN = -1;

/** Reset types (0x9F). */
export const RESET_RESET = 1;
export const RESET_RESTART = 2;
export const RESET_APPLY_CONFIG = 3;
/** Payload capabilities (media payload types). */
export const CODEC_G711_ALAW = 2;
export const CODEC_G711_ULAW = 4;
export const CODEC_G729 = 11;
export const CODEC_G729A = 12;
/** Button types. */
export const BUTTON_LINE = 0x09;
export const BUTTON_NONE = 0xff;

interface Hdr {
  /** Header version: 0 (basic) or the negotiated protocol version. */
  ver: number;
}

export interface RegisterBody {
  /** "SEP001122334455" (char[16]). */
  name: string;
  userId: number;
  instance: number;
  /** Station IPv4, host order. */
  ip: number;
  deviceType: number;
  maxStreams: number;
  activeStreams: number;
  protocolVersion: number;
  /** The 3 bytes after the version (phoneFeatures), little-endian. */
  features: number;
  maxConferences: number;
  activeConferences: number;
  /** 12 bytes: 6 binary MAC bytes + 6 zero (7941 form). */
  mac: Uint8Array;
  ipv4Scope: number;
  maxLines: number;
  ipv6: Uint8Array;
  ipv6Scope: number;
  /** Running firmware load ("SCCP42.9-4-2SR3"), char[32]. */
  loadInfo: string;
}

export interface RegisterAckBody {
  /** Seconds. */
  keepAlive: number;
  dateTemplate: string;
  secondaryKeepAlive: number;
  protocolVersion?: number;
  features?: number;
}

export interface LineStatBody {
  line: number;
  dn: string;
  name: string;
  label?: string;
  options?: number;
}

export interface TimeDate {
  year: number;
  /** 1-12. */
  month: number;
  /** 0 = Sunday. */
  dayOfWeek: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  /** Unix seconds. */
  systemTime: number;
}

export interface Capability {
  codec: number;
  /** maxFramesPerPacket (ms). */
  frames: number;
  /** The 8 payload-specific bytes as two u32. */
  p1: number;
  p2: number;
}

export interface ButtonDef {
  instance: number;
  type: number;
}

export interface SoftKeyDef {
  label: string;
  event: number;
}

export interface SoftKeySet {
  /** 16 template indexes. */
  keys: Uint8Array;
  /** 16 u16 info indexes, raw. */
  info: Uint8Array;
}

interface ListTail<T> {
  items: T[];
  /** Bytes after the used entries (unused slots); emit zero-fills the slots without it. */
  rest?: Uint8Array;
  /** The count field as received (emit writes items.length). */
  count?: number;
}
interface Paged {
  offset: number;
  total: number;
}

export type SccpMsg =
  | (Hdr & { id: typeof KEEPALIVE | typeof TIME_DATE_REQ | typeof VERSION_REQ | typeof SOFTKEY_SET_REQ |
      typeof SOFTKEY_TEMPLATE_REQ | typeof CAPABILITIES_REQ | typeof KEEPALIVE_ACK })
  | (Hdr & RegisterBody & { id: typeof REGISTER })
  | (Hdr & { id: typeof IP_PORT; port: number })
  | (Hdr & { id: typeof LINE_STAT_REQ; line: number })
  | (Hdr & { id: typeof BUTTON_TEMPLATE_REQ; total?: number })
  | (Hdr & { id: typeof UNREGISTER; reason?: number })
  | (Hdr & ListTail<Capability> & { id: typeof CAPABILITIES_RES })
  | (Hdr & RegisterAckBody & { id: typeof REGISTER_ACK })
  | (Hdr & LineStatBody & { id: typeof LINE_STAT })
  | (Hdr & TimeDate & { id: typeof DEFINE_TIME_DATE })
  | (Hdr & Paged & ListTail<ButtonDef> & { id: typeof BUTTON_TEMPLATE })
  | (Hdr & { id: typeof VERSION; loadId: string })
  | (Hdr & { id: typeof REGISTER_REJECT; text: string })
  | (Hdr & { id: typeof RESET; type: number })
  | (Hdr & Paged & ListTail<SoftKeyDef> & { id: typeof SOFTKEY_TEMPLATE_RES })
  | (Hdr & Paged & ListTail<SoftKeySet> & { id: typeof SOFTKEY_SET_RES })
  | (Hdr & { id: typeof UNREGISTER_ACK; status: number })
  | (Hdr & { id: typeof UNKNOWN; msgId: number; body: Uint8Array });

// ---- layouts ----------------------------------------------------------------------------

interface Layout {
  n: string[];
  t: string[];
  s: number[];
  size: number;
}

function layout(spec: string): Layout {
  const l: Layout = { n: [], t: [], s: [], size: 0 };
  const parts = spec === '' ? [] : spec.split(' ');
  for (let i = 0; i < parts.length; i++) {
    const f = parts[i].split(':');
    const t = f[1].charAt(0);
    const s = t === 'c' ? 1 : t === 'a' ? 3 : t === 'u' || t === 'i' ? 4 : parseInt(f[1].substring(1), 10);
    l.n.push(f[0]);
    l.t.push(t);
    l.s.push(s);
    l.size += s;
  }
  return l;
}

interface Def {
  id: number;
  head: Layout;
  /** Required body bytes. */
  min: number;
  item: Layout | null;
  /** Parse cap on the count; emit pads to `slots` entries. */
  max: number;
  slots: number;
}

/** A message as written below: its layouts stay text until a message of it is read or written. */
interface Spec { id: number; head: string; min: number; item: string; max: number; slots: number }

// Layouts are built per message, not at load: split into arrays they cost ~30 KiB of an XS
// board's heap for the life of the image, and messages come a few per minute.
const DEFS: Spec[] = [];

function def(id: number, head: string, min: number, item?: string, max?: number, slots?: number): void {
  DEFS.push({
    id: id, head: head, min: min, item: item !== undefined ? item : '',
    max: max !== undefined ? max : 0, slots: slots !== undefined ? slots : 0,
  });
}

const PAGED = 'offset:u count:u total:u';
def(KEEPALIVE, '', 0);
def(REGISTER, 'name:s16 userId:u instance:u ip:i deviceType:u maxStreams:u activeStreams:u protocolVersion:c ' +
  'features:a maxConferences:u activeConferences:u mac:x12 ipv4Scope:u maxLines:u ipv6:x16 ipv6Scope:u loadInfo:s32', 124);
def(IP_PORT, 'port:u', 4);
def(LINE_STAT_REQ, 'line:u', 4);
def(TIME_DATE_REQ, '', 0);
def(BUTTON_TEMPLATE_REQ, 'total:u', 0);
def(VERSION_REQ, '', 0);
def(CAPABILITIES_RES, 'count:u', 4, 'codec:u frames:u p1:u p2:u', 18, 18);
def(SOFTKEY_SET_REQ, '', 0);
def(UNREGISTER, 'reason:u', 0);
def(SOFTKEY_TEMPLATE_REQ, '', 0);
def(REGISTER_ACK, 'keepAlive:u dateTemplate:s8 secondaryKeepAlive:u protocolVersion:c features:a', 16);
def(LINE_STAT, 'line:u dn:s24 name:s40 label:s40 options:u', 68);
def(DEFINE_TIME_DATE, 'year:u month:u dayOfWeek:u day:u hour:u minute:u second:u ms:u systemTime:u', 36);
def(BUTTON_TEMPLATE, PAGED, 12, 'instance:c type:c', 56, 42);
def(VERSION, 'loadId:s16', 16);
def(CAPABILITIES_REQ, '', 0);
def(REGISTER_REJECT, 'text:s32', 32);
def(RESET, 'type:u', 4);
def(KEEPALIVE_ACK, '', 0);
def(SOFTKEY_TEMPLATE_RES, PAGED, 12, 'label:s16 event:u', 32, 32);
def(SOFTKEY_SET_RES, PAGED, 12, 'keys:x16 info:x32', 16, 16);
def(UNREGISTER_ACK, 'status:u', 4);

function findDef(id: number): Def | null {
  for (let i = 0; i < DEFS.length; i++) {
    const d = DEFS[i];
    if (d.id === id) {
      return { id: id, head: layout(d.head), min: d.min, item: d.item !== '' ? layout(d.item) : null, max: d.max, slots: d.slots };
    }
  }
  return null;
}

type Rec = { [k: string]: unknown };

function u32le(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

function putLe(b: Uint8Array, at: number, v: number, n: number): void {
  for (let i = 0; i < n; i++) b[at + i] = (v >>> (8 * i)) & 255;
}

/** Read `l` at b[at..end) into `o`; returns the offset after, or -1 when a required field
 *  (one starting before `min`, relative to `base`) does not fit. */
function read(l: Layout, b: Uint8Array, at: number, end: number, base: number, min: number, o: Rec): number {
  for (let i = 0; i < l.n.length; i++) {
    const s = l.s[i];
    const t = l.t[i];
    if (at + s > end) return at - base < min ? -1 : at;
    let v: unknown;
    if (t === 'u') v = u32le(b, at);
    else if (t === 'c') v = b[at];
    else if (t === 'a') v = b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);
    else if (t === 'i') v = ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
    else if (t === 'x') v = copyBytes(b, at, at + s);
    else {
      let str = '';
      for (let j = 0; j < s && b[at + j] !== 0; j++) str += String.fromCharCode(b[at + j]);
      v = str;
    }
    o[l.n[i]] = v;
    at += s;
  }
  return at;
}

/** Write (b non-null) or measure (b null) `o` by `l`; stops at the first undefined field. */
function put(l: Layout, o: Rec, b: Uint8Array | null, at: number, count: number): number {
  const start = at;
  for (let i = 0; i < l.n.length; i++) {
    const name = l.n[i];
    const v = name === 'count' && count >= 0 ? count : o[name];
    if (v === undefined) break;
    const s = l.s[i];
    const t = l.t[i];
    if (b !== null) {
      if (t === 'x' || t === 's') {
        b.fill(0, at, at + s);
        if (t === 'x') {
          const x = v as Uint8Array;
          b.set(x.length > s ? x.subarray(0, s) : x, at);
        } else {
          const str = v as string;
          for (let j = 0; j < s && j < str.length; j++) b[at + j] = str.charCodeAt(j) & 255;
        }
      } else if (t === 'i') {
        for (let j = 0; j < 4; j++) b[at + j] = ((v as number) >>> (24 - 8 * j)) & 255;
      } else {
        putLe(b, at, v as number, s);
      }
    }
    at += s;
  }
  return at - start;
}

// ---- parse / emit -----------------------------------------------------------------------

/** Frame length (length field + 8) of the frame at the start of `b`, or -1 when the header is incomplete. */
export function frameLen(b: Uint8Array): number {
  return b.length < 8 ? -1 : u32le(b, 0) + 8;
}

/** One frame (header + body; bytes after it are ignored). */
export function parse(b: Uint8Array): Result<SccpMsg> {
  if (b.length < HEADER_LEN) return fail('truncated', 'sccp header');
  const len = u32le(b, 0);
  if (len < 4) return fail('malformed', 'sccp length');
  if (len + 8 > b.length) return fail('truncated', 'sccp body');
  const ver = u32le(b, 4);
  const id = u32le(b, 8);
  const end = len + 8;
  const d = findDef(id);
  if (d === null) return ok({ id: UNKNOWN, msgId: id, ver: ver, body: b.subarray(HEADER_LEN, end) });
  const o: Rec = { id: id, ver: ver };
  let at = read(d.head, b, HEADER_LEN, end, HEADER_LEN, d.min, o);
  if (at < 0) return fail('truncated', 'sccp ' + id);
  if (d.item !== null) {
    const n = o.count as number;
    if (n > d.max) return fail('malformed', 'sccp count');
    const items: Rec[] = [];
    for (let i = 0; i < n; i++) {
      const it: Rec = {};
      at = read(d.item, b, at, end, at, d.item.size, it);
      if (at < 0) return fail('truncated', 'sccp item');
      items.push(it);
    }
    o.items = items;
    o.rest = copyBytes(b, at, end);
  }
  return ok(o as unknown as SccpMsg);
}

function bodyOf(m: SccpMsg, b: Uint8Array | null, at: number): number {
  if (m.id === UNKNOWN) {
    if (b !== null) b.set(m.body, at);
    return m.body.length;
  }
  const d = findDef(m.id);
  if (d === null) throw new TypeError('sccp id');
  const o = m as unknown as Rec;
  if (d.item === null) return put(d.head, o, b, at, -1);
  const items = o.items as Rec[];
  let n = put(d.head, o, b, at, items.length);
  for (let i = 0; i < items.length; i++) n += put(d.item, items[i], b, at + n, -1);
  const rest = o.rest as Uint8Array | undefined;
  const pad = rest !== undefined ? rest.length : items.length < d.slots ? (d.slots - items.length) * d.item.size : 0;
  if (b !== null) {
    if (rest !== undefined) b.set(rest, at + n);
    else b.fill(0, at + n, at + n + pad);
  }
  return n + pad;
}

/** Bytes `emit` writes for `m` (header included). */
export function bufferLen(m: SccpMsg): number {
  return HEADER_LEN + bodyOf(m, null, 0);
}

/** Write `m` at buf[offset]; returns its length. */
export function emit(m: SccpMsg, buf: Uint8Array, offset: number): number {
  const n = bufferLen(m);
  if (offset + n > buf.length) throw new TypeError('sccp emit: buffer');
  putLe(buf, offset, n - 8, 4);
  putLe(buf, offset + 4, m.ver, 4);
  putLe(buf, offset + 8, m.id === UNKNOWN ? m.msgId : m.id, 4);
  bodyOf(m, buf, offset + HEADER_LEN);
  return n;
}

/** The wire id of a message (UNKNOWN's own id for unknown ones). */
export function wireId(m: SccpMsg): number {
  return m.id === UNKNOWN ? m.msgId : m.id;
}

// ---- stream framing ---------------------------------------------------------------------

/**
 * Cuts a TCP byte stream into frames, copying into one fixed buffer (`size` bytes, default
 * MAX_FRAME), so chunk boundaries may fall anywhere. `push` hands each complete frame to
 * `onFrame` (a view valid only during the call) and returns null, or the error that
 * stopped it: 'malformed' (length < 4) or 'too-large' (a frame over the buffer). After an
 * error the reader stays failed and returns it again; the stream cannot resync.
 */
export class FrameReader {
  private readonly buf: Uint8Array;
  private have = 0;
  private need = 8;
  private err: Fail | null = null;

  constructor(size?: number) {
    this.buf = new Uint8Array(size !== undefined ? size : MAX_FRAME);
  }

  /** Bytes of a partial frame held. */
  pending(): number {
    return this.have;
  }

  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): Fail | null {
    let i = 0;
    while (this.err === null && i < chunk.length) {
      const take = Math.min(this.need - this.have, chunk.length - i);
      this.buf.set(chunk.subarray(i, i + take), this.have);
      this.have += take;
      i += take;
      if (this.have < this.need) break;
      if (this.need === 8) {
        const len = u32le(this.buf, 0);
        if (len < 4) this.err = fail('malformed', 'sccp length');
        else if (len + 8 > this.buf.length) this.err = fail('too-large', 'sccp frame');
        else this.need = len + 8;
      } else {
        const n = this.need;
        this.have = 0;
        this.need = 8;
        onFrame(this.buf.subarray(0, n));
      }
    }
    return this.err;
  }
}
