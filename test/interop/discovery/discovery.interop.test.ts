/**
 * The phone's discovery agent against real peers through the TAP bridge (mode 'direct':
 * the tap is the phone's wire, since a switch never forwards CDP/LLDP):
 *  - lldpd as an LLDP-MED network connectivity device with a voice policy (tagged VLAN 100,
 *    priority voice, DSCP 46) and PSE extended power: the phone learns VLAN 100 and power
 *    from it, and lldpd's neighbor table shows the phone as an LLDP-MED class III endpoint.
 *  - scapy crafting what no daemon sends: a switch CDP frame with VoIP VLAN Reply and
 *    Power Available echoing the request id scapy read from the phone's own CDP frame.
 * Both captures (every frame the phone sent and received) must be clean in tshark.
 */
import { describe, it, expect } from 'vitest';
import { writeFileSync, chmodSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { skipInterop, tsharkReport, type Bridge, useBridge } from '../harness/index';
import { PcapWriter } from '../../../hal/sim/pcap';
import { SimPoweredDevice } from '../../../hal/sim/poe';
import { DiscoveryService, type DiscoveryEvent } from '../../../firmware/discovery/agent';
import type { BridgedEthernetPort } from '../../../tools/bridge/attach';

interface Phone {
  service: DiscoveryService;
  events: DiscoveryEvent[];
  pd: SimPoweredDevice;
  pcap: PcapWriter;
}

function startPhone(br: Bridge, extra: { cdp?: boolean; lldp?: boolean }): Phone {
  const eth = br.phoneEth as BridgedEthernetPort;
  const pcap = new PcapWriter();
  const clock = br.sched.clock();
  eth.tap = (frame) => pcap.write(frame, clock.now());
  const pd = new SimPoweredDevice({ pdClass: 2, requiredMw: 12_000 });
  pd.granted(7000);
  const events: DiscoveryEvent[] = [];
  const service = new DiscoveryService({
    mac: br.phoneMac, loadId: 'P00308020000', platform: 'Cisco IP Phone 7960', model: 'CP-7960G', poe: pd,
    vlanWaitMs: 120_000, ...extra,
  }, { clock, send: (f) => { eth.send(f); } }, {
    voiceVlan: (e) => events.push(e), power: (e) => events.push(e), trust: (e) => events.push(e),
  });
  eth.onReceive((f) => { service.handleFrame(f); });
  br.driver.inject(() => service.start());
  return { service, events, pd, pcap };
}

const LLDPD_CONF = (tap: string) => `configure system hostname lab-switch
configure system description "lab access switch (lldpd)"
configure system interface pattern ${tap}
configure lldp tx-interval 5
configure med policy application voice tagged vlan 100 priority voice dscp 46
configure med policy application voice-signaling tagged vlan 100 priority voice dscp 24
configure med power pse source primary priority high value 15400
`;

describe.skipIf(skipInterop('discovery/lldpd', ['lldpd', 'lldpcli', 'tshark']))('LLDP-MED against lldpd', () => {
  const fx = useBridge({ mode: 'direct' }, { tmpPrefix: 'dialtone-lldpd-' });
  const tmp = fx.tmp;

  it('learns voice VLAN 100 and 15.4 W from lldpd, and lldpd sees a class III endpoint', async () => {
    const b = fx.br;
    const seg = b.lab.native;
    const conf = tmp.file('lldpd.conf');
    const sock = tmp.file('lldpd.socket');
    writeFileSync(conf, LLDPD_CONF(seg.tap));
    // lldpd's unprivileged half (user _lldpd) must reach the control socket in here.
    chmodSync(tmp.path, 0o755);
    const lldpd = b.lab.spawn(seg.netns, 'lldpd', ['-d', '-M', '4', '-I', seg.tap, '-u', sock, '-O', conf], 'lldpd');
    const phone = startPhone(b, { cdp: false });
    await b.driver.until(() => phone.events.some((e) => e.kind === 'voiceVlan'), 30_000, 'a voice VLAN from lldpd')
      .catch((err) => { throw new Error(`${err.message}; lldpd output:\n${lldpd.output()}`); });
    await b.driver.until(() => phone.events.some((e) => e.kind === 'power' && e.source === 'lldp'), 30_000, 'power from lldpd');
    const vlan = phone.events.find((e) => e.kind === 'voiceVlan');
    expect(vlan).toMatchObject({ vlan: 100, pcp: 5, dscp: 46, source: 'lldp' });
    expect(phone.events.filter((e) => e.kind === 'power').pop()).toMatchObject({ allocatedMw: 15400, lowPower: false });
    expect(phone.service.agent.stats.lldpMalformed).toBe(0);

    // lldpd parsed what the phone sent (our LLDP-MED, its own decoder).
    // Bounded poll of lldpcli (lldpd has no event to wait on from here).
    let shown = '';
    for (let i = 0; i < 40 && !/SEP001E4A123456/.test(shown); i++) {
      const r = await b.lab.exec(seg.netns, 'lldpcli', ['-u', sock, 'show', 'neighbors', 'details', '-f', 'keyvalue']);
      shown = r.stdout;
      if (!/SEP001E4A123456/.test(shown)) await new Promise((res) => setTimeout(res, 250));
    }
    expect(shown).toMatch(/lldp\.[^.]+\.chassis\.name=SEP001E4A123456/);
    expect(shown).toMatch(/lldp-med\.device-type=Communication Device Endpoint \(Class III\)/);
    expect(shown).toMatch(/lldp-med\.poe\.device-type=PD/);
    expect(shown).toMatch(/lldp-med\.poe\.power=12000/);
    expect(shown).toMatch(/lldp-med\.inventory\.software=P00308020000/);
    await lldpd.stop('SIGTERM', 5_000);

    const pcapFile = tmp.file('lldpd.pcap');
    phone.pcap.writeFile(pcapFile);
    const report = tsharkReport(pcapFile);
    expect(report.problems).toEqual([]);
    expect(report.protocols.LLDP).toBeGreaterThanOrEqual(2);
  }, 90_000);
});

const SCAPY = String.raw`
import json, struct, sys
from scapy.all import Dot3, LLC, SNAP, sendp, sniff, conf
from scapy.contrib.cdp import *
iface = sys.argv[1]
def ready():
    print('ready', flush=True)
pk = sniff(iface=iface, count=1, timeout=30, lfilter=lambda p: bytes(p)[:6] == b'\x01\x00\x0c\xcc\xcc\xcc', started_callback=ready)
if not pk:
    print('no CDP from the phone', flush=True); sys.exit(2)
raw = bytes(pk[0])
cdpb = raw[22:14 + struct.unpack('!H', raw[12:14])[0]]
hdr = CDPv2_HDR(cdpb)
got = {'cksum': hdr.cksum}
for m in hdr.msg:
    t = m.type
    if t == 1: got['deviceid'] = m.val.decode()
    if t == 6: got['platform'] = m.val.decode()
    if t == 0x10: got['power'] = m.power
    if t == 0x19: got['req'] = struct.unpack('!HH', m.val[:4]); got['requested'] = struct.unpack('!I', m.val[4:8])[0]
h2 = CDPv2_HDR(cdpb)
h2.cksum = None   # scapy computes its own (Cisco odd-length rule included) on build
recomputed = bytes(h2)
got['cksum_ok'] = recomputed[2:4] == cdpb[2:4]
got['same_bytes'] = recomputed[4:] == cdpb[4:]
print('PHONE ' + json.dumps(got), flush=True)
req, mgmt = got['req']
def power_tlv(t, req, mgmt, *mw):
    return CDPMsgGeneric(type=t, val=struct.pack('!HH', req, mgmt) + b''.join(struct.pack('!I', v) for v in mw))
sw = Dot3(dst='01:00:0c:cc:cc:cc', src='00:1b:2b:aa:bb:01') / LLC(dsap=0xaa, ssap=0xaa, ctrl=3) / \
     SNAP(OUI=0x0c, code=0x2000) / CDPv2_HDR(vers=2, ttl=180, msg=[
       CDPMsgDeviceID(val=b'lab-sw1.lab.test'),
       CDPMsgAddr(naddr=1, addr=[CDPAddrRecordIPv4(addr='10.77.0.1')]),
       CDPMsgPortID(iface=b'FastEthernet0/7'), CDPMsgCapabilities(cap=0x28),
       CDPMsgSoftwareVersion(val=b'Cisco IOS Software, C3560'), CDPMsgPlatform(val=b'cisco WS-C3560-24PS'),
       CDPMsgNativeVLAN(vlan=1), CDPMsgDuplex(duplex=1),
       CDPMsgVoIPVLANReply(status=1, vlan=100),
       CDPMsgTrustBitmap(trust_bitmap=0), CDPMsgUntrustedPortCoS(untrusted_port_cos=0),
       power_tlv(0x1a, req, 7, 15400, 0xffffffff)])
sendp(sw, iface=iface, verbose=False)
print('sent', flush=True)
`;

describe.skipIf(skipInterop('discovery/scapy', ['tshark']) || !require_scapy())('CDP against scapy-crafted switch frames', () => {
  const fx = useBridge({ mode: 'direct' }, { tmpPrefix: 'dialtone-scapy-' });
  const tmp = fx.tmp;

  it('scapy decodes the phone CDP; the phone takes VLAN 100 and 15.4 W from the crafted reply', async () => {
    const b = fx.br;
    const seg = b.lab.native;
    const script = tmp.file('cdp_switch.py');
    writeFileSync(script, SCAPY);
    const py = b.lab.spawn(seg.netns, '/usr/bin/python3', [script, seg.tap], 'scapy');
    await py.waitForOutput(/ready/, 30_000);
    const phone = startPhone(b, { lldp: false });
    const m = await py.waitForOutput(/PHONE (\{.*\})/, 30_000);
    const seen = JSON.parse(m[1]);
    expect(seen).toMatchObject({ deviceid: 'SEP001E4A123456', platform: 'Cisco IP Phone 7960', power: 7000, requested: 12000, cksum_ok: true, same_bytes: true });
    expect(seen.req[0]).toBe(1);
    await b.driver.until(() => phone.events.some((e) => e.kind === 'power' && e.source === 'cdp'), 30_000, 'Power Available');
    expect(phone.events.find((e) => e.kind === 'voiceVlan')).toMatchObject({ vlan: 100, pcp: 5, source: 'cdp' });
    expect(phone.events.filter((e) => e.kind === 'power').pop()).toMatchObject({ allocatedMw: 15400, requestedMw: 12000, lowPower: false });
    expect(phone.pd.lowPower()).toBe(false);
    expect(phone.events.some((e) => e.kind === 'trust')).toBe(true);
    await py.waitForOutput(/sent/, 10_000);

    const pcapFile = tmp.file('cdp.pcap');
    phone.pcap.writeFile(pcapFile);
    const report = tsharkReport(pcapFile);
    expect(report.problems).toEqual([]);
    expect(report.protocols.CDP).toBeGreaterThanOrEqual(2);
  }, 90_000);
});

function require_scapy(): boolean {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import scapy.contrib.cdp'], { stdio: 'ignore' });
  if (r.status !== 0) process.stderr.write('[interop] skipping discovery/scapy: /usr/bin/python3 has no scapy (apt-get install python3-scapy)\n');
  return r.status === 0;
}
