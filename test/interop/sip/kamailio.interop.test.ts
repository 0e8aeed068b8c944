/**
 * The phone's SIP stack (firmware/net on the simulated switch, bridged into a namespace:
 * tools/bridge) registers to real Kamailio 5.6 registrars (./kamailio.ts): one without
 * authentication (10.77.0.1), one with MD5 digest, qop=auth and nonce counting (10.77.0.3,
 * nonce_expire 2 s), one with SHA-256 digest (10.77.0.4); over UDP and TCP. `kamcmd ul.dump`
 * shows each binding, the orderly unregister removes it, a wrong password is 'failed', a
 * nonce that expired between refreshes is answered again after Kamailio's stale=true, and
 * tshark dissects the whole exchange on the tap without a malformed frame.
 *
 * DIALTONE_SIP_FIXTURES=<dir> also writes the responses Kamailio sent over UDP (as the phone
 * received them) into <dir> (test/unit/sip/fixtures holds the ones the unit tests use).
 * Every wait is bounded (driver.until); nothing sleeps.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { skipInterop, startCapture, tsharkReport, tsharkFields, useBridge, startPhoneStack, type Capture, type PhoneStack } from '../harness/index';
import type { Bridge } from '../../../tools/bridge/index';
import { HostCrypto } from '../../../hal/sim/crypto-host';
import { Prng } from '../../../hal/sim/prng';
import { readCapture } from '../../../hal/sim/pcap';
import * as ethernet from '../../../firmware/net/wire/ethernet';
import * as ipv4 from '../../../firmware/net/wire/ipv4';
import * as udp from '../../../firmware/net/wire/udp';
import * as w from '../../../firmware/callmanager/sip/wire';
import { SipRegister, type SipEvent, type SipRegConfig, type SipTransport } from '../../../firmware/callmanager/sip/register';
import { SipLink } from '../../../firmware/callmanager/sip/link';
import { startKamailio, type Kamailio } from './kamailio';

const PHONE = '10.77.0.2';
const OPEN = '10.77.0.1';
const MD5 = '10.77.0.3';
const SHA = '10.77.0.4';
const USERS = { 1001: 'secret1001', 1002: 'secret1002' };

interface Run {
  client: SipRegister;
  link: SipLink;
  events: SipEvent[];
}

let seed = 1;

/** Start registering line 1001 to `host` (inside the simulation's thread). */
function register(br: Bridge, phone: PhoneStack, host: string, transport: SipTransport, more: Partial<SipRegConfig> = {}): Run {
  const rng = new Prng(seed++);
  const run: Partial<Run> = { events: [] };
  br.driver.inject(() => {
    run.client = new SipRegister({
      user: '1001', password: 'secret1001', displayName: 'Dialtone 1001', transport, targets: [{ host, port: 5060 }],
      localIp: phone.iface.address(), crypto: new HostCrypto(), random: () => rng.u32(), userAgent: 'Dialtone', ...more,
    });
    run.link = new SipLink(phone.iface, phone.iface.clock, run.client, { transport }, (e) => run.events!.push(e));
    run.link.start();
  });
  return run as Run;
}

const has = (r: Run, kind: SipEvent['kind'], n = 1) => () => r.events.filter((e) => e.kind === kind).length >= n;
const why = (r: Run) => () => JSON.stringify(r.events);

/** The AoR 1001 block of ul.dump ('' when absent). */
function aor1001(dump: string): string {
  const i = dump.indexOf('AoR: 1001');
  return i < 0 ? '' : dump.slice(i, dump.indexOf('AoR:', i + 1) > 0 ? dump.indexOf('AoR:', i + 1) : undefined);
}

describe.skipIf(skipInterop('sip', ['kamailio', 'kamcmd', 'tcpdump', 'tshark']))('SIP registration against Kamailio', () => {
  let phone: PhoneStack;
  let cap: Capture;
  const kam: Record<string, Kamailio> = {};
  const fx = useBridge({ mode: 'switch', lab: { segments: [{ address: `${OPEN}/24` }] } }, {
    setup: async (br, tmp) => {
      const ns = br.lab.native.netns;
      for (const a of [MD5, SHA]) await br.lab.exec(ns, 'ip', ['addr', 'add', `${a}/24`, 'dev', 'br0']);
      cap = await startCapture(br.lab, ns, br.lab.native.tap, tmp.file('tap.pcap'));
      kam.open = await startKamailio(br.lab, ns, { ip: OPEN, dir: tmp.file('kam-open') });
      kam.md5 = await startKamailio(br.lab, ns, { ip: MD5, dir: tmp.file('kam-md5'), auth: USERS, nonceExpire: 2, minExpires: 1 });
      kam.sha = await startKamailio(br.lab, ns, { ip: SHA, dir: tmp.file('kam-sha'), auth: USERS, algorithm: 'SHA-256' });
      phone = startPhoneStack(br, { address: `${PHONE}/24`, gateway: OPEN });
    },
  });

  /** Register, check ul.dump, unregister, check it is gone. */
  async function roundTrip(k: Kamailio, host: string, transport: SipTransport): Promise<string> {
    const b = fx.br;
    const r = register(b, phone, host, transport);
    await b.driver.until(has(r, 'registered'), 10_000, `registration to ${host} over ${transport}: ${why(r)()}`);
    expect(r.events.find((e) => e.kind === 'registered')).toMatchObject({ expires: 3600, refresh: false });
    const entry = aor1001(await k.ulDump());
    const port = transport === 'UDP' ? '5060' : '\\d+';
    expect(entry).toMatch(new RegExp(`Address: sip:1001@10\\.77\\.0\\.2:${port}${transport === 'TCP' ? ';transport=tcp' : ''}\\n`));
    expect(entry).toMatch(/User-Agent: Dialtone\n/);
    expect(entry).toMatch(new RegExp(`Socket: ${transport.toLowerCase()}:${host.replace(/\./g, '\\.')}:5060`));
    expect(entry).toMatch(/Expires: 3\d\d\d\n/);
    b.driver.inject(() => r.link.stop());
    await b.driver.until(has(r, 'stopped'), 10_000, `unregister: ${why(r)()}`);
    expect(r.events.at(-1)).toEqual({ kind: 'stopped', acked: true });
    expect(aor1001(await k.ulDump())).toBe('');
    expect(r.client.counters.malformed).toBe(0);
    return entry;
  }

  it('UDP, no authentication: registered, in ul.dump, unregistered', async () => {
    await roundTrip(kam.open, OPEN, 'UDP');
  });

  it('TCP, no authentication', async () => {
    await roundTrip(kam.open, OPEN, 'TCP');
  });

  it('UDP, MD5 digest with qop=auth', async () => {
    await roundTrip(kam.md5, MD5, 'UDP');
  });

  it('TCP, MD5 digest with qop=auth', async () => {
    await roundTrip(kam.md5, MD5, 'TCP');
  });

  it('UDP and TCP, SHA-256 digest (RFC 7616)', async () => {
    await roundTrip(kam.sha, SHA, 'UDP');
    await roundTrip(kam.sha, SHA, 'TCP');
  });

  it('a wrong password: failed(401, "wrong password"), nothing in ul.dump', async () => {
    const b = fx.br;
    const r = register(b, phone, MD5, 'UDP', { password: 'wrong' });
    await b.driver.until(has(r, 'failed'), 10_000, `the refusal: ${why(r)()}`);
    expect(r.events.find((e) => e.kind === 'failed')).toMatchObject({ code: 401, text: 'wrong password' });
    expect(aor1001(await kam.md5.ulDump())).toBe('');
    b.driver.inject(() => r.link.close());
  });

  it('a refresh after the nonce expired: Kamailio says stale=true, the phone answers the new nonce and stays registered', async () => {
    const b = fx.br;
    // Granted 6 s: refreshes at 3 s and 6 s, each past the 2 s nonce_expire.
    const r = register(b, phone, MD5, 'UDP', { expires: 6 });
    await b.driver.until(has(r, 'registered', 3), 15_000, `two refreshes: ${why(r)()}`);
    expect(r.events.filter((e) => e.kind === 'registered').map((e) => (e as { refresh: boolean }).refresh)).toEqual([false, true, true]);
    expect(r.events.some((e) => e.kind === 'failed' || e.kind === 'lost')).toBe(false);
    expect(aor1001(await kam.md5.ulDump())).toMatch(/Expires: [1-6]\n/);
    b.driver.inject(() => r.link.stop());
    await b.driver.until(has(r, 'stopped'), 10_000, 'unregister');
  });

  it('tshark dissects the exchange on the tap cleanly; Kamailio sent stale=true', async () => {
    const file = await cap.stop();
    // The real responses, for the unit tests' vectors.
    const dir = process.env.DIALTONE_SIP_FIXTURES;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      let n = 0;
      const seen = new Set<string>();
      for (const rec of readCapture(fx.br.pcap!.toBytes())) {
        const e = ethernet.parse(rec.frame);
        if (!e.ok || e.value.ethertype !== ethernet.ETHERTYPE_IPV4) continue;
        const p = ipv4.parse(e.value.payload);
        if (!p.ok || p.value.protocol !== ipv4.PROTO_UDP) continue;
        const u = udp.parse(p.value.payload, p.value.src, p.value.dst);
        if (!u.ok || u.value.srcPort !== 5060 || u.value.dstPort !== 5060) continue;
        const m = w.parse(u.value.payload);
        const text = Buffer.from(u.value.payload).toString('latin1');
        if (!m.ok || m.value.status === 0 || seen.has(text)) continue;
        seen.add(text);
        writeFileSync(`${dir}/kamailio-${String(++n).padStart(2, '0')}-${m.value.status}.sip`, u.value.payload);
      }
    }
    const rep = tsharkReport(file);
    expect(rep.protocols.SIP ?? 0).toBeGreaterThanOrEqual(30);
    expect(rep.problems).toEqual([]);
    const stale = tsharkFields(file, ['sip.Status-Code', 'sip.auth.stale'], 'sip.auth.stale');
    expect(stale.length).toBeGreaterThanOrEqual(2);
    expect(stale.every(([code, st]) => code === '401' && st === 'true')).toBe(true);
    const algs = new Set(tsharkFields(file, ['sip.auth.algorithm'], 'sip.auth.algorithm').map((x) => x[0]));
    expect([...algs].sort()).toEqual(['MD5', 'SHA-256']);
  });
});
