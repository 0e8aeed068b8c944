/**
 * The reference files in ../shared/fixtures (beside the checkout, in CI too). Tests that
 * need them skip with a message where the folder is absent (fixtures/SOURCE.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../tools/build/build';
import { readCapture } from '../hal/sim/pcap';

export const FIXTURES = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures');
export const haveFixtures = existsSync(FIXTURES);

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

/** The frames of a fixture capture (pcap or pcapng). */
export function fixtureFrames(name: string): Uint8Array[] {
  return readCapture(new Uint8Array(readFileSync(fixture(name)))).map((r) => r.frame);
}
