/**
 * The lab's DNS server: A records (and CNAMEs) from a zone, on a lab host's UDP port 53,
 * with the firmware's own DNS codec (one codec, both sides). Unknown names get NXDOMAIN.
 * `drop` swallows that many queries first (a server that does not answer).
 */
import * as dns from '../../firmware/net/wire/dns';
import type { UdpSocket } from '../../firmware/net/udp';
import type { NetInterface } from '../../firmware/net/iface';

export interface DnsZone {
  /** Lower-case name -> [address, TTL seconds]. */
  a: Record<string, [number, number]>;
  /** Lower-case name -> the name it aliases. */
  cname?: Record<string, string>;
}

export interface LabDnsServer {
  queries: number;
  drop: number;
  zone: DnsZone;
  close(): void;
}

export function attachDnsServer(iface: Pick<NetInterface, 'udpOpen'>, zone: DnsZone): LabDnsServer {
  const server: LabDnsServer = { queries: 0, drop: 0, zone, close: () => sock.close() };
  const sock: UdpSocket = iface.udpOpen(53, (data, src, sport) => {
    server.queries++;
    if (server.drop > 0) {
      server.drop--;
      return;
    }
    const r = dns.parse(data);
    if (!r.ok || r.value.questions.length !== 1) return;
    const q = r.value.questions[0];
    const reply: dns.Repr = { id: r.value.id, flags: dns.FLAG_QR | dns.FLAG_RD | dns.FLAG_RA, questions: [q], answers: [],
      answerCount: 0, authorityCount: 0, additionalCount: 0 };
    let name = q.name.toLowerCase();
    const alias = server.zone.cname?.[name];
    if (alias) {
      reply.answers.push({ name: q.name, type: dns.TYPE_CNAME, klass: 1, ttl: 300, address: 0, target: alias, data: new Uint8Array(0) });
      name = alias;
    }
    const a = server.zone.a[name];
    if (a) reply.answers.push({ name, type: dns.TYPE_A, klass: 1, ttl: a[1], address: a[0], target: '', data: new Uint8Array(0) });
    else if (reply.answers.length === 0) reply.flags |= dns.RCODE_NXDOMAIN;
    const out = new Uint8Array(dns.bufferLen(reply));
    dns.emit(reply, out, 0);
    sock.sendTo(src, sport, out);
  })!;
  if (!sock) throw new Error('lab DNS: UDP port 53 is taken');
  return server;
}
