// @lazy-owns firmware/discovery/codecs.ts firmware/discovery/cdp.ts firmware/discovery/lldp.ts
/**
 * Seam of the discovery codecs (firmware/discovery/codecs.ts): natively an eager import; in
 * a target build evaluated at each use (tools/build/lazy.ts). The agent keeps its own copy
 * of the constants and of the cheap frame tests (isCdpFrame, isLldpFrame) it runs on every
 * frame.
 */
import * as impl from '../discovery/codecs';

export type DiscoveryCodecs = typeof impl;

export function loadDiscoveryCodecs(): DiscoveryCodecs {
  return impl;
}
