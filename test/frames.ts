/**
 * Decoding captured frames in tests with the firmware's own codecs (firmware/net/wire).
 * Tests that must not depend on those codecs (the sim's and the bridge's own tests) build
 * and read frames by hand instead: test/unit/sim/frames.ts, test/interop/harness/frames.ts.
 */
import * as ethernet from '../firmware/net/wire/ethernet';
import * as ipv4 from '../firmware/net/wire/ipv4';
import * as udp from '../firmware/net/wire/udp';

export interface UdpInFrame {
  /** VID when the frame is 802.1Q-tagged, else null. */
  vlan: number | null;
  pcp: number;
  srcMac: Uint8Array;
  dstMac: Uint8Array;
  srcIp: number;
  dstIp: number;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** The UDP datagram in an Ethernet frame (tagged or not), or null when there is none or it does not parse. */
export function udpOf(frame: Uint8Array): UdpInFrame | null {
  const eth = ethernet.parse(frame);
  if (!eth.ok || eth.value.ethertype !== ethernet.ETHERTYPE_IPV4) return null;
  const ip = ipv4.parse(eth.value.payload);
  if (!ip.ok || ip.value.protocol !== 17) return null;
  const u = udp.parse(ip.value.payload, ip.value.src, ip.value.dst);
  if (!u.ok) return null;
  const tag = eth.value.tag;
  return {
    vlan: tag ? tag.vid : null,
    pcp: tag ? tag.pcp : 0,
    srcMac: eth.value.src, dstMac: eth.value.dst,
    srcIp: ip.value.src, dstIp: ip.value.dst,
    srcPort: u.value.srcPort, dstPort: u.value.dstPort,
    payload: u.value.payload,
  };
}

/** The 802.1Q VID of a frame, or null when untagged. */
export function vlanOf(frame: Uint8Array): number | null {
  const eth = ethernet.parse(frame);
  return eth.ok && eth.value.tag ? eth.value.tag.vid : null;
}
