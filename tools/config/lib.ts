/**
 * Host API over the phone's own config parser: read a configuration file (SEP<MAC>.cnf.xml,
 * XMLDefault.cnf.xml, SIP<MAC>.cnf, SIPDefault.cnf) the way the phone does, and print its
 * errors as `FILE:LINE:COL: code: message`.
 */
import { readFileSync } from 'node:fs';
import { parseConfig, formatOf } from '../../firmware/config/sink';
import type { ConfigFormat, ConfigResult } from '../../firmware/config/sink';
import type { ConfigOptions } from '../../firmware/config/parse';
import type { PosFail } from '../../firmware/config/xml';

/** The format by the name, else by the content (XML starts with '<' after any whitespace or BOM). */
export function detectFormat(name: string, bytes: Uint8Array): ConfigFormat {
  const byName = formatOf(name);
  if (byName) return byName;
  for (const b of bytes) {
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0xef || b === 0xbb || b === 0xbf) continue;
    return b === 0x3c ? 'xml' : 'cnf';
  }
  return 'cnf';
}

export function parseConfigBytes(name: string, bytes: Uint8Array, opts: ConfigOptions = {}): ConfigResult {
  return parseConfig(bytes, detectFormat(name, bytes), opts);
}

export function readConfigFile(path: string, opts: ConfigOptions = {}): ConfigResult {
  return parseConfigBytes(path, new Uint8Array(readFileSync(path)), opts);
}

/** "FILE:12:5: malformed: mismatched close of <x>" */
export function formatConfigError(file: string, f: PosFail): string {
  const msg = f.detail.substring(f.detail.indexOf(' ') + 1);
  return `${file}:${f.line}:${f.col}: ${f.error}: ${msg}`;
}
