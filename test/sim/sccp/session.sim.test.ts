/**
 * The phone's SCCP session against the lab CallManager on the simulated wire (firmware/net
 * TCP on both hosts, virtual time): registration with the directory numbers, the keepalive
 * interval from RegisterAck, a silent CallManager -> lost(keepalive), a closed one ->
 * lost(closed), restart and register again, the server dropping a phone that went quiet,
 * reject texts, auto-registration on/off/full, Reset delivered, loss on the cable, and
 * tshark's skinny dissector over every frame.
 */
import { describe, it, expect } from 'vitest';
import * as w from '../../../firmware/callmanager/sccp/wire';
import { REJECT_RANGE_FULL, REJECT_UNKNOWN } from '../../../tools/lab/callmanager/devices';
import { haveTshark, tempCapture, tsharkFields, tsharkReport } from '../../tshark';
import { makeSccpLab, PHONE_NAME, LOAD_ID } from './harness';
import { sccpFrames } from '../../unit/sccp/streams';
import { readCapture } from '../../../hal/sim/pcap';

function registered(lab: ReturnType<typeof makeSccpLab>, until = 10_000) {
  lab.connect();
  lab.sched.run(until, lab.has('version'));
  const e = lab.events.find((x) => x.kind === 'registered');
  if (!e || e.kind !== 'registered') throw new Error('not registered: ' + JSON.stringify(lab.events));
  return e;
}

/** The SCCP messages the capture holds, decoded with the codec. */
function wireMessages(lab: ReturnType<typeof makeSccpLab>) {
  return sccpFrames(readCapture(lab.pcap.toBytes()).map((r) => r.frame)).map((f) => {
    const r = w.parse(f.bytes);
    if (!r.ok) throw new Error('bad frame in capture');
    return { toCm: f.toCm, m: r.value, frame: f.frame };
  });
}

describe('SCCP session on the simulated wire', () => {
  it('registers with both directory numbers, learns the time and the load ID', () => {
    const lab = makeSccpLab();
    const e = registered(lab);
    expect(e.lines.map((l) => [l.line, l.dn, l.label])).toEqual([[1, '1001', '1001'], [2, '1002', 'Sales']]);
    expect(e.keepAliveS).toBe(30);
    expect(lab.events.find((x) => x.kind === 'version')).toMatchObject({ loadId: LOAD_ID });
    const t = lab.events.find((x) => x.kind === 'time');
    expect(t).toMatchObject({ time: { year: 2024, month: 1, day: 15, hour: 12 } });
    expect(lab.server.session(PHONE_NAME)).toMatchObject({ deviceType: 434, protocolVersion: 17 });
    expect(lab.server.session(PHONE_NAME)!.caps.map((c) => c.codec)).toEqual([w.CODEC_G711_ULAW, w.CODEC_G711_ALAW, w.CODEC_G729A]);
    expect(lab.client.counters.softKeys).toBe(18);
    expect(lab.client.counters.softKeySets).toBe(11);
    // The order on the wire.
    const ids = wireMessages(lab).map((x) => (x.toCm ? '>' : '<') + w.wireId(x.m).toString(16));
    expect(ids).toEqual(['>1', '>2', '<81', '<9b', '>e', '>28', '>25', '>10', '<97', '<108', '>b', '<109', '>b', '<92', '<92', '>d', '>f', '<94', '<98']);
  });

  it('sends KeepAlive on the interval RegisterAck gave (10 s here) and gets each acked', () => {
    const lab = makeSccpLab({ server: { keepAliveS: 10 } });
    registered(lab);
    lab.sched.run(lab.sched.now() + 65_000);
    const kas = wireMessages(lab).filter((x) => x.toCm && x.m.id === w.KEEPALIVE);
    const times = kas.map((x) => readCapture(lab.pcap.toBytes())[x.frame].timeMs);
    expect(kas.length).toBe(6);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeCloseTo(10_000, 0);
    expect(lab.client.counters.keepAliveAcks).toBe(6);
    expect(lab.server.session(PHONE_NAME)!.keepAlives).toBe(6);
    expect(lab.client.state()).toBe('registered');
  });

  it('a CallManager that hangs (silent stop): lost(keepalive) after two missed keepalives; restarted, it takes the phone again', () => {
    const lab = makeSccpLab({ server: { keepAliveS: 10 } });
    registered(lab);
    const stoppedAt = lab.sched.now() + 15_000;
    lab.sched.run(stoppedAt);
    lab.server.stop('silent');
    lab.sched.run(stoppedAt + 60_000, lab.has('lost'));
    const lost = lab.events.find((x) => x.kind === 'lost')!;
    expect(lost).toMatchObject({ kind: 'lost', reason: 'keepalive' });
    // The keepalive at ~20 s goes unanswered, the one at ~30 s too: lost when the next falls due.
    expect(lost.at - stoppedAt).toBeGreaterThan(20_000);
    expect(lost.at - stoppedAt).toBeLessThanOrEqual(25_001);
    lab.sched.run(lab.sched.now() + 1000);
    expect(lab.tcp.closes.length).toBe(1); // the link closed the useless connection
    lab.server.start();
    lab.events.length = 0;
    registered(lab, lab.sched.now() + 10_000);
    expect(lab.server.sessions().length).toBe(1);
  });

  it('a CallManager that stops (close or reset): lost(closed) at once', () => {
    for (const how of ['close', 'reset'] as const) {
      const lab = makeSccpLab();
      registered(lab);
      const t = lab.sched.now();
      lab.server.stop(how);
      lab.sched.run(t + 5000, lab.has('lost'));
      const lost = lab.events.find((x) => x.kind === 'lost')!;
      expect(lost, how).toMatchObject({ reason: 'closed' });
      expect(lost.at - t).toBeLessThan(100);
      expect(lab.tcp.closes, how).toEqual([how === 'close' ? 'closed' : 'reset']);
      // A stopped server refuses new connections.
      lab.connect();
      lab.sched.run(lab.sched.now() + 5000);
      expect(lab.tcp.closes.at(-1)).toBe('refused');
    }
  });

  it('the CallManager drops a phone whose keepalives stop (cable pulled)', () => {
    const lab = makeSccpLab({ server: { keepAliveS: 10 } });
    registered(lab);
    const t = lab.sched.now();
    lab.sw.disconnect(1);
    lab.sched.run(t + 60_000, () => lab.server.events.some((e) => e.kind === 'dropped'));
    const d = lab.server.events.find((e) => e.kind === 'dropped')!;
    expect(d).toEqual({ kind: 'dropped', name: PHONE_NAME, reason: 'keepalive' });
    expect(lab.server.sessions().length).toBe(0);
    expect(lab.log.some((l) => l.includes('no keepalive for 25000 ms'))).toBe(true);
    expect(lab.sched.now() - t).toBeGreaterThanOrEqual(25_000 - 10_000);
  });

  it('an unknown device with auto-registration off is rejected with its text, and the connection closed', () => {
    const lab = makeSccpLab({ db: { devices: [] } });
    lab.connect();
    lab.sched.run(10_000, lab.has('rejected'));
    expect(lab.events.map((e) => e.kind)).toEqual(['rejected']);
    expect(lab.events[0]).toMatchObject({ text: REJECT_UNKNOWN });
    lab.sched.run(lab.sched.now() + 5000);
    expect(lab.tcp.closes.length).toBe(1);
    expect(lab.server.events.at(-1)).toMatchObject({ kind: 'rejected', name: PHONE_NAME, text: REJECT_UNKNOWN });
  });

  it('auto-registration on: the unknown device gets the first free number of the range; full range: rejected', () => {
    const lab = makeSccpLab({ db: { devices: [{ name: 'SEP000000000001', lines: [{ dn: '2000' }] }], autoRegistration: { enabled: true, first: 2000, last: 2001 } } });
    const e = registered(lab);
    expect(e.lines.map((l) => l.dn)).toEqual(['2001']);
    expect(lab.db.get(PHONE_NAME)).toMatchObject({ auto: true, deviceType: 434, lines: [{ dn: '2001' }] });
    expect(lab.server.events.find((x) => x.kind === 'registered')).toMatchObject({ auto: true, dns: ['2001'] });

    const full = makeSccpLab({ db: { devices: [{ name: 'SEP000000000001', lines: [{ dn: '2000' }] }], autoRegistration: { enabled: true, first: 2000, last: 2000 } } });
    full.connect();
    full.sched.run(10_000, full.has('rejected'));
    expect(full.events[0]).toMatchObject({ kind: 'rejected', text: REJECT_RANGE_FULL });
  });

  it('Reset from the CallManager reaches the phone with its type', () => {
    const lab = makeSccpLab();
    registered(lab);
    expect(lab.server.reset('SEP000000000009')).toBe(false);
    expect(lab.server.reset(PHONE_NAME, w.RESET_RESTART)).toBe(true);
    lab.sched.run(lab.sched.now() + 1000, lab.has('reset'));
    expect(lab.events.find((e) => e.kind === 'reset')).toMatchObject({ type: w.RESET_RESTART });
  });

  it('an orderly stop unregisters: UnregisterAck, the server forgets the device', () => {
    const lab = makeSccpLab();
    registered(lab);
    lab.link.stop();
    lab.sched.run(lab.sched.now() + 5000, lab.has('stopped'));
    expect(lab.events.at(-1)).toMatchObject({ kind: 'stopped', acked: true });
    expect(lab.server.events.at(-1)).toEqual({ kind: 'unregistered', name: PHONE_NAME });
    lab.sched.run(lab.sched.now() + 5000);
    expect(lab.tcp.closes).toEqual(['closed']);
  });

  it('registers through 15 % loss on the phone cable, for several seeds', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const lab = makeSccpLab({ seed, faults: { loss: 0.15 } });
      const e = registered(lab, 60_000);
      expect(e.lines.map((l) => l.dn), 'seed ' + seed).toEqual(['1001', '1002']);
      lab.sched.run(lab.sched.now() + 100_000);
      expect(lab.client.state(), 'seed ' + seed).toBe('registered');
    }
  });

  it('a phone that registers again while its old session lingers replaces it', () => {
    const lab = makeSccpLab();
    registered(lab);
    const first = lab.tcp.sock!;
    lab.events.length = 0;
    lab.client.start(lab.sched.now()); // forget the old session on the phone side only
    lab.connect();
    lab.sched.run(lab.sched.now() + 10_000, lab.has('registered'));
    expect(lab.server.events.some((e) => e.kind === 'dropped' && e.reason === 'replaced')).toBe(true);
    expect(lab.server.sessions().length).toBe(1);
    expect(first.isClosed()).toBe(true);
  });
});

describe.skipIf(!haveTshark)('SCCP session: tshark', () => {
  it('every frame of a session (register, keepalives, reset, reject, unregister) dissects clean as skinny', () => {
    const lab = makeSccpLab({ server: { keepAliveS: 10 } });
    registered(lab);
    lab.server.reset(PHONE_NAME, w.RESET_APPLY_CONFIG);
    lab.sched.run(lab.sched.now() + 25_000);
    lab.link.stop();
    lab.sched.run(lab.sched.now() + 5000);
    // A reject on a second connection, same capture.
    lab.db.remove(PHONE_NAME);
    lab.events.length = 0;
    lab.connect();
    lab.sched.run(lab.sched.now() + 5000, lab.has('rejected'));
    lab.sched.run(lab.sched.now() + 5000);
    const file = tempCapture('sccp-session.pcap', lab.pcap);
    const rep = tsharkReport(file);
    expect(rep.problems).toEqual([]);
    const rows = tsharkFields(file, ['tcp.srcport', 'skinny.messageId'], 'skinny');
    const fromPhone = new Set<number>();
    const fromCm = new Set<number>();
    for (const [src, ids] of rows) for (const id of ids.split(',')) (src === '2000' ? fromCm : fromPhone).add(Number(id));
    expect([...fromPhone].sort((a, b) => a - b)).toEqual([w.KEEPALIVE, w.REGISTER, w.IP_PORT, w.LINE_STAT_REQ, w.TIME_DATE_REQ,
      w.BUTTON_TEMPLATE_REQ, w.VERSION_REQ, w.CAPABILITIES_RES, w.SOFTKEY_SET_REQ, w.UNREGISTER, w.SOFTKEY_TEMPLATE_REQ]);
    expect([...fromCm].sort((a, b) => a - b)).toEqual([w.REGISTER_ACK, w.LINE_STAT, w.DEFINE_TIME_DATE, w.BUTTON_TEMPLATE, w.VERSION,
      w.CAPABILITIES_REQ, w.REGISTER_REJECT, w.RESET, w.KEEPALIVE_ACK, w.SOFTKEY_TEMPLATE_RES, w.SOFTKEY_SET_RES, w.UNREGISTER_ACK]);
    // What tshark reads is what was meant.
    expect(tsharkFields(file, ['skinny.DeviceName'], 'skinny.messageId == 1').map((r) => r[0])).toEqual([PHONE_NAME, PHONE_NAME]);
    expect(tsharkFields(file, ['skinny.lineDirNumber'], 'skinny.messageId == 0x92').map((r) => r[0])).toEqual(['1001', '1002']);
    expect(tsharkFields(file, ['skinny.keepAliveInterval'], 'skinny.messageId == 0x81').map((r) => r[0])).toEqual(['10']);
    expect(tsharkFields(file, ['skinny.versionStr'], 'skinny.messageId == 0x98').map((r) => r[0])).toEqual([LOAD_ID]);
    expect(tsharkFields(file, ['skinny.text'], 'skinny.messageId == 0x9d').map((r) => r[0])).toEqual([REJECT_UNKNOWN]);
    expect(tsharkFields(file, ['skinny.payloadCapability'], 'skinny.messageId == 0x10').map((r) => r[0])).toEqual(['0x00000004,0x00000002,0x0000000c']);
  });
});
