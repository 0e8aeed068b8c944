/**
 * `dialtone lab [--phones N] ...`: the lab with N phones (default 4); the same runner as
 * `npm start`, which takes the same options.
 */
import { run as runStart } from '../start/cli';

export async function run(argv: string[]): Promise<number> {
  const args = argv.includes('--phones') || argv.some((a) => a.startsWith('--phones=')) ? argv : ['--phones', '4', ...argv];
  return runStart(args);
}
