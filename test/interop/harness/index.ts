/**
 * Helpers for interop tests against real Linux servers in network namespaces. See
 * README.md beside this file. The lab, bridge and process plumbing live in tools/bridge
 * (the `dialtone bridge` command uses the same code); this folder adds what tests need on
 * top: skip rules, captures and tshark checks, ready-to-use servers, hand-built frames.
 */
export { interopSkipReason, skipInterop, BASE_TOOLS } from './env';
export { startCapture } from './capture';
export type { Capture } from './capture';
export { tsharkReport, tsharkFields, CHECKSUM_PREFS } from '../../tshark';
export type { TsharkReport } from '../../tshark';
export { startDnsmasq, serveFileOnce, receiveFileOnce, exitWithin } from './servers';
export type { DnsmasqOptions } from './servers';
export { tempDir } from './tmp';
export { useBridge } from './fixture';
export type { BridgeFixture, UseBridgeOptions } from './fixture';
export type { TempDir } from './tmp';
export * as frames from './frames';
export {
  NetnsLab, createBridge, RealtimeDriver, BridgedEthernetPort, attachLab, attachSwitchPort,
  UdpFrameLink, Daemon, sh, DEFAULT_PHONE_MAC,
  hostInterface, startPhoneStack, receiveAll, sendAll, serveData, parseCidr, ipOf,
} from '../../../tools/bridge/index';
export type { Bridge, BridgeOptions, LabOptions, LabSegment, SegmentSpec, PhoneStack, Flow } from '../../../tools/bridge/index';
