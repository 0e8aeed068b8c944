#!/usr/bin/env node
// The `dialtone` bin: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

register();
const here = path.dirname(fileURLToPath(import.meta.url));
const { main } = await import(pathToFileURL(path.join(here, '..', 'cli.ts')).href);
const { UserError } = await import(pathToFileURL(path.join(here, '..', 'errors.ts')).href);
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof UserError) {
    console.error(`dialtone: ${err.message}`);
    process.exitCode = err.exitCode;
  } else {
    console.error(err);
    process.exitCode = 70;
  }
}
