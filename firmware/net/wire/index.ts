/**
 * The wire codecs, one module per protocol (smoltcp's src/wire). Each exports its field
 * offsets, a Repr, parse (never throws, never reads out of bounds, returns a Result) and
 * emit (writes into a caller's buffer, returns the length). Import the module you need:
 *   import * as udp from './wire/udp';
 */
export * as ethernet from './ethernet';
export * as vlan from './vlan';
export * as arp from './arp';
export * as ipv4 from './ipv4';
export * as icmp from './icmp';
export * as udp from './udp';
export * as tcp from './tcp';
export * as dns from './dns';
