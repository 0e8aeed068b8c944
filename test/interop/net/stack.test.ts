/**
 * The firmware's own IP stack (firmware/net) against Linux, through the simulated switch
 * and the TAP bridge, in real time:
 *   Linux ping -> the phone answers; the phone downloads 1 MiB from a Linux TCP server and
 *   uploads 1 MiB back (SHA-256 compared on both sides); the phone resolves a name from
 *   dnsmasq; tshark finds no malformed frame and no checksum error in a capture of it all.
 * Every wait has an overall bound (driver.until / exitWithin); nothing sleeps.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes, createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createBridge, type Bridge } from '../../../tools/bridge/index';
import { startPhoneStack, receiveAll, sendAll, ipOf, type PhoneStack } from '../../../tools/bridge/phone';
import { skipInterop, startCapture, tsharkReport, startDnsmasq, serveFileOnce, receiveFileOnce, exitWithin, type Capture, useBridge } from '../harness/index';
import { ipToString } from '../../../lib/bytes';

const PHONE = '10.77.0.2';
const SERVER = '10.77.0.1';
const MIB = 1 << 20;

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe.skipIf(skipInterop('firmware stack vs Linux', ['ping', 'tcpdump', 'tshark', 'dnsmasq']))('firmware/net against Linux through the bridge', () => {
  let phone: PhoneStack;
  let cap: Capture;
  const fx = useBridge({ mode: 'switch', lab: { segments: [{ address: `${SERVER}/24` }] } }, {
    setup: async (br, tmp) => {
      const seg = br.lab.native;
      cap = await startCapture(br.lab, seg.netns, seg.tap, tmp.file('tap.pcap'));
      await startDnsmasq(br.lab, seg, tmp.path, { lines: ['address=/cm.lab.test/10.77.0.5'] });
      phone = startPhoneStack(br, { address: `${PHONE}/24`, gateway: SERVER, dnsServers: [SERVER] });
    },
  });

  it('answers Linux ping -c 3', async () => {
    const r = await fx.br.lab.exec(fx.br.lab.native.netns, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', PHONE], { allowFail: true, timeoutMs: 15_000 });
    // "3 received": every echo request got its reply (ping exits 0 only then).
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received/);
    expect(r.code).toBe(0);
    expect(phone.iface.counters.icmpEchoReplies).toBeGreaterThanOrEqual(3);
  });

  it('downloads 1 MiB from a Linux TCP server with a matching SHA-256', async () => {
    const b = fx.br;
    const data = randomBytes(MIB);
    const file = fx.tmp.file('down.bin');
    writeFileSync(file, data);
    const server = await serveFileOnce(b.lab, b.lab.native.netns, SERVER, 5001, file);
    let flow: ReturnType<typeof receiveAll> | null = null;
    b.driver.inject(() => {
      flow = receiveAll(phone.iface, ipOf(SERVER), 5001);
    });
    await b.driver.until(() => flow !== null && flow.closed !== null, 60_000, 'the 1 MiB download to finish');
    expect(flow!.closed).toBe('closed'); // a clean FIN exchange, not a reset or timeout
    expect(flow!.bytes).toBe(MIB);
    expect(flow!.sha256).toBe(sha256(data));
    await exitWithin(server, 10_000);
  });

  it('uploads 1 MiB to a Linux TCP server with a matching SHA-256', async () => {
    const b = fx.br;
    const data = new Uint8Array(randomBytes(MIB));
    const out = fx.tmp.file('up.bin');
    const server = await receiveFileOnce(b.lab, b.lab.native.netns, SERVER, 5002, out);
    let flow: ReturnType<typeof sendAll> | null = null;
    b.driver.inject(() => {
      flow = sendAll(phone.iface, ipOf(SERVER), 5002, data);
    });
    await b.driver.until(() => flow !== null && flow.closed !== null, 60_000, 'the 1 MiB upload to finish');
    expect(flow!.closed).toBe('closed');
    expect(flow!.bytes).toBe(MIB); // every byte acknowledged
    // socat exits after the phone's FIN, once the file is complete.
    await exitWithin(server, 10_000);
    const got = readFileSync(out);
    expect(got.length).toBe(MIB);
    expect(sha256(got)).toBe(sha256(data));
  });

  it('resolves a name from dnsmasq', async () => {
    const b = fx.br;
    let answer: { ip: number | null; error?: string } | null = null;
    b.driver.inject(() => phone.iface.dns.resolve('cm.lab.test', (ip, error) => {
      answer = { ip, error };
    }));
    await b.driver.until(() => answer !== null, 15_000, 'the DNS answer for cm.lab.test');
    expect(answer!.error).toBeUndefined();
    expect(ipToString(answer!.ip!)).toBe('10.77.0.5');
  });

  it('tshark finds no malformed frame and no checksum error in the capture', async () => {
    const file = await cap.stop();
    const r = tsharkReport(file);
    // The capture must hold what the tests did, or a clean report would mean nothing.
    expect(r.protocols.ICMP ?? 0).toBeGreaterThanOrEqual(6);
    expect(r.protocols.TCP ?? 0).toBeGreaterThan(1000);
    expect(r.protocols.DNS ?? 0).toBeGreaterThanOrEqual(2);
    expect(r.problems).toEqual([]);
    // The switch's own capture (frames as the simulation saw them) must be as clean.
    const sw = fx.tmp.file('switch.pcap');
    fx.br.pcap!.writeFile(sw);
    const r2 = tsharkReport(sw);
    expect(r2.frames).toBeGreaterThan(1000);
    expect(r2.problems).toEqual([]);
  });
});

describe.skipIf(skipInterop('firmware stack, voice VLAN and direct port', ['ping']))('firmware/net on the voice VLAN and on a direct port', () => {
  const bridges: Bridge[] = [];
  afterAll(async () => {
    for (const b of bridges) await b.close();
  });

  it('answers ping from the voice VLAN namespace while tagging VLAN 100 (the switch untags)', async () => {
    const br = await createBridge({
      mode: 'switch',
      lab: { segments: [{ address: '10.77.0.1/24' }, { vlan: 100, address: '10.77.100.1/24' }] },
    });
    bridges.push(br);
    const phone = startPhoneStack(br, { address: '10.77.100.2/24', gateway: '10.77.100.1', vlan: 100 });
    const voice = br.lab.segment(100);
    const r = await br.lab.exec(voice.netns, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', '10.77.100.2'], { allowFail: true, timeoutMs: 15_000 });
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received/);
    // Untagged replies would land on VLAN 1 and never reach the VLAN 100 namespace, so
    // the replies above were tagged; and nothing of VLAN 100 (not even the phone's
    // gratuitous ARP) leaked to the native uplink.
    expect(phone.iface.counters.icmpEchoReplies).toBeGreaterThanOrEqual(3);
    expect(br.lab.segment(null).link.counters.txFrames).toBe(0);
  });

  it('answers ping with the phone NIC plugged straight into the tap (direct mode)', async () => {
    const br = await createBridge({ mode: 'direct', lab: { segments: [{ address: '10.77.0.1/24' }] } });
    bridges.push(br);
    startPhoneStack(br, { address: '10.77.0.2/24', gateway: '10.77.0.1' });
    const r = await br.lab.exec(br.lab.native.netns, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', '10.77.0.2'], { allowFail: true, timeoutMs: 15_000 });
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received/);
  });
});
