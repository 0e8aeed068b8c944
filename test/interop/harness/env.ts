/**
 * When interop tests may run. They need root (namespaces, TAP devices) and some Debian
 * tools; anywhere else they skip with a message that says what is missing. CI installs the
 * tools and runs as root, so there they always run.
 */
import { hasCommand, isRoot } from '../../../tools/bridge/proc';

/** Tools every bridged test needs: iproute2 (ip), socat (the TAP helper). */
export const BASE_TOOLS = ['ip', 'socat'] as const;

/**
 * null when the test can run, else the reason to skip ("not root", "missing: tshark").
 * `tools` are added to BASE_TOOLS.
 */
export function interopSkipReason(tools: readonly string[] = []): string | null {
  if (!isRoot()) return 'interop tests need root (network namespaces, TAP devices)';
  const missing = [...BASE_TOOLS, ...tools].filter((t) => !hasCommand(t));
  if (missing.length > 0) return `interop tests need these tools on PATH: ${missing.join(', ')}`;
  return null;
}

/**
 * The same, printed once to stderr when it is a skip, so a skipped run says why in the
 * log (vitest's own output only says "skipped"). Use as `describe.skipIf(skipInterop(...))`.
 */
export function skipInterop(suite: string, tools: readonly string[] = []): boolean {
  const why = interopSkipReason(tools);
  if (why) process.stderr.write(`[interop] skipping ${suite}: ${why}\n`);
  return why !== null;
}
