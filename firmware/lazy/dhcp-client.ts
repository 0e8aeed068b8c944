// @lazy-owns firmware/dhcp/client.ts
/**
 * Seam of the DHCP client machine (firmware/dhcp/client.ts): natively an eager import; in a
 * target build evaluated when DhcpMachine (firmware/dhcp/machine.ts) needs a client and
 * collected while the machine is parked in BOUND (tools/build/lazy.ts).
 */
import * as impl from '../dhcp/client';

export type DhcpClientKit = typeof impl;

export function loadDhcpClient(): DhcpClientKit {
  return impl;
}
