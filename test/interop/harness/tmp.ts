/** A scratch directory per test file, removed by `cleanup()` (configs, pcaps, payloads). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  path: string;
  /** join(path, name) */
  file(name: string): string;
  /** Remove the directory unless DIALTONE_KEEP_TMP is set (then print where it is). */
  cleanup(): void;
}

export function tempDir(prefix = 'dialtone-interop-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    file: (name) => join(path, name),
    cleanup: () => {
      if (process.env.DIALTONE_KEEP_TMP) process.stderr.write(`[interop] kept ${path}\n`);
      else rmSync(path, { recursive: true, force: true });
    },
  };
}
