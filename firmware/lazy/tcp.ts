// @lazy-owns firmware/net/tcp.ts
/**
 * Seam of the TCP connection machine (firmware/net/tcp.ts): natively an eager import; in a
 * target build evaluated when the interface opens its first TCP socket and collected once
 * the last one is gone (tools/build/lazy.ts). The interface keeps the segment codec and the
 * RST for a segment that matches no connection resident.
 */
import * as impl from '../net/tcp';

export type TcpModule = typeof impl;

export function loadTcp(): TcpModule {
  return impl;
}
