/**
 * The boot's sink for a configuration file: the TFTP client (or the .sgn verifier in front
 * of it) writes the content as it arrives, and `result` becomes the typed Config or a
 * typed error with the line and column where the file went wrong.
 *
 *   write(data, offset)  data at `offset` of the content; false: stop the transfer (the
 *                        file is already refused, see `result`). A repeat of bytes already
 *                        seen is ignored; a gap is an error.
 *   end(size)            the transfer is complete with `size` bytes.
 *   abort(reason)        the transfer failed; the result is a 'truncated' error.
 *
 * `done`, when given, is called once with the result. RAM: the parser's (xml.ts, cnf.ts).
 */
import { ok } from '../../lib/result';
import type { Ok } from '../../lib/result';
import type { Config } from './config';
import { posFail } from './xml';
import type { PosFail } from './xml';
import { xmlConfig } from './parse';
import type { ConfigOptions, ConfigParser } from './parse';
import { cnfReader } from './cnf';

export type ConfigFormat = 'xml' | 'cnf';
export type ConfigResult = Ok<Config> | PosFail;

/** 'xml' for *.xml, 'cnf' for *.cnf (a .sgn suffix ignored, any case), else null. */
export function formatOf(name: string): ConfigFormat | null {
  let n = name.toLowerCase();
  if (n.endsWith('.sgn')) n = n.substring(0, n.length - 4);
  return n.endsWith('.xml') ? 'xml' : n.endsWith('.cnf') ? 'cnf' : null;
}

export class ConfigSink {
  result: ConfigResult | null = null;
  private p: ConfigParser;
  private got = 0;
  private done: ((r: ConfigResult) => void) | null;

  constructor(format: ConfigFormat, opts: ConfigOptions, done?: (r: ConfigResult) => void) {
    this.p = format === 'xml' ? xmlConfig(opts) : cnfReader(opts);
    this.done = done !== undefined ? done : null;
  }

  write(data: Uint8Array, offset: number): boolean {
    if (this.result !== null) return false;
    if (offset > this.got) { this.stop('malformed', 'gap at byte ' + offset); return false; }
    if (offset + data.length <= this.got) return true;
    const skip = this.got - offset;
    this.got = offset + data.length;
    const e = this.p.feed(skip > 0 ? data.subarray(skip) : data);
    if (e !== null) this.settle(e);
    return e === null;
  }

  end(size: number): void {
    if (this.result !== null) return;
    if (size !== this.got) { this.stop('truncated', 'size ' + size + ', got ' + this.got); return; }
    const e = this.p.end();
    if (e !== null) { this.settle(e); return; }
    const r = this.p.finish();
    // end() left the position just past the last character.
    this.settle(r.ok ? ok(r.value) : posFail('malformed', r.detail, this.p.u.line, this.p.u.col));
  }

  abort(reason: string): void {
    if (this.result === null) this.stop('truncated', 'aborted: ' + reason);
  }

  private stop(code: 'malformed' | 'truncated', msg: string): void {
    // Just past the last character read.
    this.settle(posFail(code, msg, this.p.u.line, this.p.u.col + 1));
  }

  private settle(r: ConfigResult): void {
    this.result = r;
    if (this.done !== null) this.done(r);
  }
}

/** A whole file at once (tools, tests, the stored-copy path): the same parser. */
export function parseConfig(bytes: Uint8Array, format: ConfigFormat, opts: ConfigOptions): ConfigResult {
  const s = new ConfigSink(format, opts);
  s.write(bytes, 0);
  s.end(bytes.length);
  return s.result as ConfigResult;
}
