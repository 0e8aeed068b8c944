/**
 * One raw Ethernet port (MAC + PHY). Frames are whole Ethernet II / 802.3 frames from the
 * destination MAC on, without preamble or FCS, at most 1522 bytes (1518 + an 802.1Q tag).
 * The firmware carries its own IP stack on this, so the port never interprets frames.
 */
export const ETH_MAX_FRAME = 1522;

export interface EthernetPort {
  /** The port's burned-in MAC address (6 bytes). */
  mac(): Uint8Array;
  /**
   * Queue one frame for transmission. Returns false when the link is down or the
   * transmit queue is full (the frame is dropped, as a MAC would). The port copies
   * the bytes, so the caller may reuse `frame` at once.
   */
  send(frame: Uint8Array): boolean;
  /** Receive callback: one call per frame. The view is valid only during the call. */
  onReceive(handler: (frame: Uint8Array) => void): void;
  /** Current link state. */
  linkUp(): boolean;
  /** Link change callback. */
  onLinkChange(handler: (up: boolean) => void): void;
}
