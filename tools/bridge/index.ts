/**
 * The bridge to Linux, as an API (the `dialtone bridge` command is a thin shell over it):
 * namespace lab (lab.ts), the UDP end of a TAP bridge (udp-link.ts), the real-time driver
 * for the virtual-time scheduler (realtime.ts), plugging a switch port or a phone NIC into a
 * lab segment (attach.ts), and process helpers (proc.ts). See tools/bridge/README.md.
 */
export { NetnsLab, labUnavailable } from './lab';
export type { LabOptions, LabSegment, LabClient, SegmentSpec } from './lab';
export { UdpFrameLink, freeUdpPort, MAX_FRAME } from './udp-link';
export type { LinkCounters } from './udp-link';
export { RealtimeDriver } from '../../hal/sim/realtime';
export type { RealtimeOptions } from '../../hal/sim/realtime';
export { attachSwitchPort, attachLab, BridgedEthernetPort, UPLINK_BIT_RATE } from './attach';
export type { SwitchUplink } from './attach';
export { sh, shSync, hasCommand, isRoot, Daemon, CommandError } from './proc';
export type { ShOptions, ShResult, DaemonOptions } from './proc';
export { createBridge, DEFAULT_PHONE_MAC } from './rig';
export type { Bridge, BridgeOptions } from './rig';
export { hostInterface, startPhoneStack, receiveAll, sendAll, serveData, parseCidr, ipOf } from './phone';
export type { PhoneStack, PhoneStackOptions, HostNetOptions, Flow } from './phone';
