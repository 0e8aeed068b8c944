// @lazy-owns firmware/dhcp/codec.ts firmware/dhcp/wire.ts
/**
 * Seam of the DHCP codec (firmware/dhcp/codec.ts): natively an eager import; in a target
 * build evaluated at each use (tools/build/lazy.ts). The client keeps its own copy of the
 * option and message constants and of the small helpers (emptyRepr, sameMac).
 */
import * as impl from '../dhcp/codec';

export type DhcpCodec = typeof impl;

export function loadDhcpCodec(): DhcpCodec {
  return impl;
}
