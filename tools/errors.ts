import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** An expected failure a user can act on (bad option, missing file, port busy): one line, no stack. */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/**
 * Run a command module's `run` when the module is the process's entry (npm scripts call
 * `tsx tools/<x>/cli.ts` directly): exit code from `run`, one line for a UserError, a
 * stack for anything else (a bug).
 */
export function runIfMain(metaUrl: string, name: string, run: (argv: string[]) => Promise<number>): void {
  const entry = process.argv[1];
  if (!entry || path.resolve(entry) !== fileURLToPath(metaUrl)) return;
  run(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      if (err instanceof UserError) {
        console.error(`dialtone ${name}: ${err.message}`);
        process.exitCode = err.exitCode;
      } else {
        console.error(err);
        process.exitCode = 70;
      }
    },
  );
}
