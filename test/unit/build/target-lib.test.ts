/**
 * hal/target-lib.d.ts (the lib of target code) is exactly what tools/build/target-lib.ts
 * derives from the installed TypeScript's lib.es5.d.ts, each edit changed the number of
 * declarations it names, and an lib that no longer matches an edit fails generation
 * instead of keeping a member silently.
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { currentTargetLib, es5LibPath, generateTargetLib, TARGET_LIB_FILE } from '../../../tools/build/target-lib';

describe('target lib', () => {
  it('the committed hal/target-lib.d.ts is up to date (regenerate: tsx tools/build/target-lib.ts)', () => {
    expect(fs.readFileSync(TARGET_LIB_FILE, 'utf8') === currentTargetLib()).toBe(true);
  });

  it('has no typed-array slice, no RangeError, no split limit', () => {
    const lib = fs.readFileSync(TARGET_LIB_FILE, 'utf8');
    const body = lib.slice(lib.indexOf('/// <reference no-default-lib'));
    expect(body).not.toMatch(/slice\(start\?: number, end\?: number\): (Int8|Uint8|Uint8Clamped|Int16|Uint16|Int32|Uint32|Float32|Float64)Array/);
    expect(body).not.toMatch(/declare var RangeError/);
    expect(body).not.toMatch(/limit\?: number\): string\[\]/);
    // Plain arrays and strings keep slice.
    expect(body).toMatch(/slice\(start\?: number, end\?: number\): T\[\];/);
    expect(body).toMatch(/slice\(start\?: number, end\?: number\): string;/);
  });

  it('refuses a lib.es5.d.ts where an edit finds nothing to change', () => {
    const es5 = fs.readFileSync(es5LibPath(), 'utf8');
    const drifted = es5.replace('split(separator: string | RegExp, limit?: number): string[];', 'split(separator: string | RegExp, max?: number): string[];');
    expect(() => generateTargetLib(drifted, 'x')).toThrow(/split\(separator, limit\)' changed 0/);
  });
});
