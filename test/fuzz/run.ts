/**
 * `npm run fuzz [-- --long] [-- --runs N] [-- <vitest filters>]`: the fuzz tests (test/fuzz)
 * alone. By default each property runs as in `npm test` (10,000 cases); `--long` runs a
 * million per property, `--runs N` any count (test/fuzz/property.ts reads the count from
 * DIALTONE_FUZZ / DIALTONE_FUZZ_RUNS). The seeds stay the same, so a long run extends the CI
 * run's cases rather than replacing them. Filters are passed on to vitest (a folder or file
 * under test/fuzz, or `-t <name>`). Prints the wall time at the end.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT } from '../../tools/build/build';
import { UserError, runIfMain } from '../../tools/errors';

const HELP = `usage: npm run fuzz -- [--long | --runs N] [vitest filters...]
  --long     a million runs per property (default: 10,000, as in npm test)
  --runs N   N runs per property
  filters    test files or folders under test/fuzz, or -t <test name>, passed to vitest`;

export async function run(argv: string[]): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(HELP);
      return 0;
    } else if (a === '--long') {
      env.DIALTONE_FUZZ = 'long';
    } else if (a === '--runs') {
      const n = argv[++i];
      if (n === undefined || !/^\d+$/.test(n) || Number(n) < 1) throw new UserError('--runs needs a positive whole number');
      env.DIALTONE_FUZZ_RUNS = n;
    } else {
      rest.push(a);
    }
  }
  const long = env.DIALTONE_FUZZ === 'long' || env.DIALTONE_FUZZ_RUNS !== undefined;
  const targets = rest.some((a) => !a.startsWith('-')) ? [] : ['test/fuzz'];
  // A million cases take minutes per property: no per-test timeout then.
  const args = ['run', ...targets, ...rest, ...(long ? ['--testTimeout=0'] : [])];
  const t0 = performance.now();
  const r = spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'vitest'), args, { cwd: REPO_ROOT, env, stdio: 'inherit' });
  console.log(`fuzz: ${((performance.now() - t0) / 1000).toFixed(1)} s wall time`);
  return r.status ?? 1;
}

runIfMain(import.meta.url, 'fuzz', run);
