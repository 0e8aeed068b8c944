/**
 * Just enough of Source Map v3 to point a lint finding in a minified bundle back at the
 * TypeScript line that produced it: decode `mappings` (base64 VLQ) and look up the last
 * segment at or before a generated position.
 */
import * as path from 'node:path';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** One mapped segment: generated column -> source index, line (0-based), column (0-based). */
type Segment = [genCol: number, source: number, line: number, col: number];

export interface SourcePosition {
  /** Path relative to the repository root (or as esbuild named it). */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
}

export class SourceMapIndex {
  private readonly lines: Segment[][] = [];
  private readonly sources: string[];

  /** `mapJson`: the map text; `baseDir`: the directory its `sources` are relative to. */
  constructor(mapJson: string, baseDir: string, rootDir = baseDir) {
    const map = JSON.parse(mapJson) as { sources: string[]; mappings: string };
    this.sources = map.sources.map((s) => (s.startsWith('<') ? s : path.relative(rootDir, path.resolve(baseDir, s))));
    let source = 0;
    let line = 0;
    let col = 0;
    for (const text of map.mappings.split(';')) {
      const segs: Segment[] = [];
      let genCol = 0;
      for (const seg of text.split(',')) {
        if (seg === '') continue;
        const v = decodeVlq(seg);
        genCol += v[0];
        if (v.length >= 4) {
          source += v[1];
          line += v[2];
          col += v[3];
          segs.push([genCol, source, line, col]);
        }
      }
      this.lines.push(segs);
    }
  }

  /** Source position of generated `line` (1-based) and `column` (0-based), if mapped. */
  lookup(line: number, column: number): SourcePosition | undefined {
    const segs = this.lines[line - 1];
    if (!segs || segs.length === 0) return undefined;
    // Binary search: last segment whose generated column <= column.
    let lo = 0;
    let hi = segs.length - 1;
    if (segs[0][0] > column) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid][0] <= column) lo = mid;
      else hi = mid - 1;
    }
    const s = segs[lo];
    return { file: this.sources[s[1]] ?? '?', line: s[2] + 1, column: s[3] + 1 };
  }
}

function decodeVlq(seg: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (let i = 0; i < seg.length; i++) {
    const digit = B64_INDEX[seg.charCodeAt(i)];
    if (digit < 0) throw new Error(`source map: bad base64 digit '${seg[i]}'`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}
