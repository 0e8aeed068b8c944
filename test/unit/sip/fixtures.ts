/** The Kamailio responses in fixtures/ (see fixtures/README.md), as bytes. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const FIX = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');

export const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(FIX, name)));
