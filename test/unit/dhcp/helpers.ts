/**
 * Helpers for the DHCP tests: the DHCP messages of the reference capture, and reply
 * builders.
 */
import { existsSync } from 'node:fs';
import { haveFixtures, fixture, fixtureFrames } from '../../fixtures';
import { udpOf } from '../../frames';
import { parseIp } from '../../../lib/bytes';
import * as dhcp from '../../../firmware/dhcp/wire';

const DHCP_FIXTURE = 'generated__dhcp_phone_opt150_synthetic.pcap';

export const HAVE_FIXTURES = haveFixtures && existsSync(fixture(DHCP_FIXTURE));

export function ip(text: string): number {
  const v = parseIp(text);
  if (v === null) throw new Error('bad ip ' + text);
  return v;
}

export function fixtureDhcp(): dhcp.DhcpRepr[] {
  return fixtureFrames(DHCP_FIXTURE).map((f) => {
    const u = udpOf(f);
    if (!u) throw new Error('fixture frame without UDP');
    const p = dhcp.parse(u.payload);
    if (!p.ok) throw new Error('fixture does not parse: ' + p.detail);
    return p.value;
  });
}

export function fixtureDhcpPayloads(): Uint8Array[] {
  return fixtureFrames(DHCP_FIXTURE).map((f) => udpOf(f)!.payload.slice());
}

export interface ReplyOpts {
  yiaddr?: number;
  serverId?: number | null;
  leaseTime?: number | null;
  mask?: number;
  routers?: number[];
  dns?: number[];
  domain?: string;
  tftp150?: number[];
  tftp66?: string;
  t1?: number;
  t2?: number;
  message?: string;
  xid?: number;
  chaddr?: Uint8Array;
}

/** A server reply (OFFER/ACK/NAK) as bytes. */
export function reply(type: number, xid: number, chaddr: Uint8Array, o: ReplyOpts = {}): Uint8Array {
  const r = dhcp.emptyRepr(dhcp.OP_BOOTREPLY, type, o.xid ?? xid, o.chaddr ?? chaddr);
  r.broadcast = true;
  r.serverId = o.serverId === undefined ? ip('10.0.0.1') : o.serverId;
  if (type !== dhcp.DHCPNAK) {
    r.yiaddr = o.yiaddr ?? ip('10.0.0.50');
    r.leaseTime = o.leaseTime === undefined ? 3600 : o.leaseTime;
    r.subnetMask = o.mask ?? ip('255.255.255.0');
    r.routers = o.routers ?? [ip('10.0.0.254')];
    r.dnsServers = o.dns ?? [];
    r.domainName = o.domain ?? null;
    r.tftpServers = o.tftp150 ?? [];
    r.tftpServerName = o.tftp66 ?? null;
    if (o.t1 !== undefined) r.renewalTime = o.t1;
    if (o.t2 !== undefined) r.rebindingTime = o.t2;
  } else if (o.message) {
    r.message = o.message;
  }
  return dhcp.encode(r);
}
