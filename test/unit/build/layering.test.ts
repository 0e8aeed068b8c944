import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkLayering, layerOf } from '../../../tools/build/layering';
import { REPO_ROOT } from '../../../tools/build/build';

describe('layering (tools -> firmware -> flash -> hal -> lib)', () => {
  it('no import in the repository runs back up', () => {
    expect(checkLayering(REPO_ROOT)).toEqual([]);
  });

  it('ranks the folders in the order of the arrows', () => {
    const r = (p: string) => layerOf(p)!.rank;
    expect(r('lib/bytes.ts')).toBeLessThan(r('hal/flash.ts'));
    expect(r('hal/flash.ts')).toBeLessThan(r('hal/sim/flash.ts'));
    expect(r('hal/sim/flash.ts')).toBeLessThan(r('flash/loader.ts'));
    expect(r('flash/loader.ts')).toBeLessThan(r('firmware/boot.ts'));
    expect(r('firmware/boot.ts')).toBeLessThan(r('tools/lab/lab.ts'));
    expect(layerOf('test/x.test.ts')).toBeNull();
  });

  it('reports flash importing firmware, lib importing hal, and hal importing hal/sim', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'layering-'));
    const put = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), text);
    };
    put('lib/bytes.ts', "import type { Clock } from '../hal/clock';\n");
    put('hal/clock.ts', "export type Clock = number;\nimport { x } from './sim/board';\n");
    put('hal/sim/board.ts', "export const x = 1;\n");
    put('flash/loader.ts', "import { a } from '../lib/bytes';\nimport { boot } from '../firmware/boot';\n");
    put('firmware/boot.ts', "import { b } from '../flash/loader';\nexport const boot = 1;\n");
    put('tools/cli.ts', "import { boot } from '../firmware/boot';\n");
    const v = checkLayering(root).map((x) => `${x.file}:${x.line} ${x.specifier}`);
    expect(v.sort()).toEqual(['flash/loader.ts:2 ../firmware/boot', 'hal/clock.ts:2 ./sim/board', 'lib/bytes.ts:1 ../hal/clock']);
    fs.rmSync(root, { recursive: true, force: true });
  });
});
