/**
 * The bridge itself, with hand-built frames (no firmware stack involved): Node's UDP end
 * <-> socat <-> tap <-> br0 in a namespace, and the VLAN split through the simulated switch.
 * Every wait is bounded; nothing sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetnsLab } from '../../../tools/bridge/index';
import { skipInterop, startCapture, tsharkReport, tempDir, type TempDir, type Capture, useBridge } from '../harness/index';
import { arpRequest, mac, ip, parseArp, parseUdp, nextFrame } from '../harness/frames';

const NODE_MAC = mac('02:00:5e:10:00:01');

describe.skipIf(skipInterop('bridge raw frames', ['tcpdump', 'tshark']))('bridge: raw frames between Node and a namespace', () => {
  let lab: NetnsLab | null = null;
  let tmp: TempDir;
  let cap: Capture;

  beforeAll(async () => {
    tmp = tempDir();
    lab = await NetnsLab.create({ segments: [{ address: '10.77.0.1/24', client: '10.77.0.20/24' }] });
    cap = await startCapture(lab, lab.native.netns, lab.native.tap, tmp.file('tap.pcap'));
  });

  afterAll(async () => {
    await lab?.teardown();
    tmp?.cleanup();
  });

  it('an ARP request sent from Node is answered by the namespace bridge address', async () => {
    const seg = lab!.native;
    const reply = nextFrame((h) => seg.link.onFrame(h), (f) => {
      const a = parseArp(f);
      return a && a.op === 2 && a.senderIp === '10.77.0.1' ? a : null;
    }, 5_000, 'ARP reply from 10.77.0.1');
    seg.link.send(arpRequest(NODE_MAC, ip('10.77.0.99'), ip('10.77.0.1')));
    const a = await reply;
    // br0's MAC is pinned by the lab, so the answer must carry exactly that address,
    // and it must be addressed back to the requester.
    expect(a.senderMac).toBe(seg.bridgeMac);
    expect(a.targetMac).toBe('02:00:5e:10:00:01');
    expect(a.targetIp).toBe('10.77.0.99');
    expect(a.vlan).toBeNull();
  });

  it('a UDP datagram sent from the client namespace reaches Node intact', async () => {
    const seg = lab!.native;
    const token = `dialtone-${process.pid}-${Date.now()}`;
    // A permanent neighbour entry: Linux sends straight to our MAC without ARPing first.
    await lab!.exec(seg.client!.netns, 'ip', ['neigh', 'replace', '10.77.0.99', 'lladdr', '02:00:5e:10:00:01', 'dev', 'eth0', 'nud', 'permanent']);
    const got = nextFrame((h) => seg.link.onFrame(h), (f) => {
      const u = parseUdp(f);
      return u && u.dstPort === 9999 ? u : null;
    }, 5_000, 'UDP datagram to 10.77.0.99:9999');
    await lab!.exec(seg.client!.netns, 'socat', ['-u', '-', 'UDP-SENDTO:10.77.0.99:9999'], { input: token });
    const u = await got;
    expect(u.dstMac).toBe('02:00:5e:10:00:01');
    expect(u.srcIp).toBe('10.77.0.20');
    expect(u.ipChecksumOk).toBe(true);
    expect(Buffer.from(u.payload).toString()).toBe(token);
  });

  it('tshark dissects the captured exchange without malformed frames or checksum errors', async () => {
    await cap.stop();
    const r = tsharkReport(cap.file);
    // The ARP request/reply and the UDP datagram crossed the tap, so they must be there.
    expect(r.protocols.ARP ?? 0).toBeGreaterThanOrEqual(2);
    expect(r.frames).toBeGreaterThanOrEqual(3);
    expect(r.problems).toEqual([]);
  });
});

describe.skipIf(skipInterop('bridge VLAN split', ['tshark']))('bridge: VLAN split through the simulated switch', () => {
  const fx = useBridge({
    mode: 'switch',
    lab: { segments: [{ address: '10.77.0.1/24' }, { vlan: 100, address: '10.77.100.1/24' }] },
  });

  const phoneFrames = (h: (f: Uint8Array) => void): void => fx.br.phoneEth.onReceive(h);

  it('a tagged ARP request on the voice VLAN is answered by that VLAN\'s namespace, tagged', async () => {
    const b = fx.br;
    const native = b.lab.segment(null);
    const voice = b.lab.segment(100);
    const reply = nextFrame(phoneFrames, (f) => {
      const a = parseArp(f);
      return a && a.op === 2 ? a : null;
    }, 5_000, 'ARP reply on VLAN 100');
    b.driver.inject(() => b.phoneEth.send(arpRequest(b.phoneMac, ip('10.77.100.50'), ip('10.77.100.1'), 100)));
    const a = await reply;
    expect(a.vlan).toBe(100); // the switch re-tagged the untagged answer from the VLAN uplink
    expect(a.senderIp).toBe('10.77.100.1');
    expect(a.senderMac).toBe(voice.bridgeMac);
    // The broadcast stayed inside VLAN 100: nothing was flooded to the native uplink.
    expect(native.link.counters.txFrames).toBe(0);
    expect(voice.link.counters.txFrames).toBe(1);
  });

  it('an untagged ARP request is answered by the native namespace, untagged', async () => {
    const b = fx.br;
    const native = b.lab.segment(null);
    const voice = b.lab.segment(100);
    const reply = nextFrame(phoneFrames, (f) => {
      const a = parseArp(f);
      return a && a.op === 2 ? a : null;
    }, 5_000, 'ARP reply on the native VLAN');
    b.driver.inject(() => b.phoneEth.send(arpRequest(b.phoneMac, ip('10.77.0.50'), ip('10.77.0.1'))));
    const a = await reply;
    expect(a.vlan).toBeNull();
    expect(a.senderIp).toBe('10.77.0.1');
    expect(a.senderMac).toBe(native.bridgeMac);
    expect(native.link.counters.txFrames).toBe(1);
    expect(voice.link.counters.txFrames).toBe(1);
  });

  it('the switch capture holds tagged and untagged frames that tshark dissects cleanly', async () => {
    const file = fx.tmp.file('switch.pcap');
    fx.br.pcap!.writeFile(file);
    const r = tsharkReport(file);
    expect(r.frames).toBeGreaterThanOrEqual(4); // 2 requests + 2 replies
    expect(r.problems).toEqual([]);
  });
});
