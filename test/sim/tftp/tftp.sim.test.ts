/**
 * The phone's TFTP client (firmware/tftp) against the lab's TFTP server (tools/lab), both
 * on the firmware's own IP stack, on the voice VLAN through the simulated switch, on
 * virtual time: the boot's fetch sequence over a lossy cable, fallbacks between files and
 * servers, misbehaving servers, duplicates, reordering, a boot storm, and tshark over the
 * capture.
 */
import { describe, it, expect } from 'vitest';
import { makeRig, pattern, names, A, B, type Phone } from './rig';
import type { FetchFile, FetchEvent } from '../../../firmware/tftp/fetch';
import { RETRY_WAIT_MS } from '../../../firmware/tftp/fetch';
import { haveTshark, tempCapture, tsharkReport, tsharkFields } from '../../tshark';

const MAC = '001E4A123456';
const CTL: FetchFile[] = [{ name: `CTLSEP${MAC}.tlv`, optional: true }, { name: 'CTLFile.tlv', optional: true }];
const ITL: FetchFile[] = [{ name: `ITLSEP${MAC}.tlv`, optional: true }, { name: 'ITLFile.tlv', optional: true }];
const CNF: FetchFile[] = [{ name: `SEP${MAC}.cnf.xml`, optional: true }, { name: 'XMLDefault.cnf.xml', optional: false }];

/** Run the boot's three fetches one after the other, as the pipeline does. */
function bootSequence(p: Phone, servers: number[]): FetchEvent[] {
  const ends: FetchEvent[] = [];
  const steps = [CTL, ITL, CNF];
  const next = (): void => {
    const files = steps.shift();
    if (!files) return;
    p.fetch(servers, files);
  };
  const orig = p.fetch;
  p.fetch = (s, f) => p.tftp.fetch(s, f, (name) => {
    const parts: Uint8Array[] = [];
    return {
      write: (d) => { parts.push(d.slice()); return true; },
      end: () => { p.got.set(name, Uint8Array.from(parts.flatMap((x) => [...x]))); },
      abort: (r) => { p.aborted.push(r); },
    };
  }, (e) => {
    p.events.push(e);
    if (e.kind === 'done' || e.kind === 'absent' || e.kind === 'failed') {
      ends.push(e);
      next();
    }
  });
  next();
  void orig;
  return ends;
}

describe('tftp sim: the boot fetch sequence', () => {
  it('CTL, ITL, SEP over a cable losing 20 % of frames each way, files intact, in the real order', () => {
    const ctl = pattern(6000, 2);
    const cnf = pattern(20_000, 3);
    const r = makeRig({ seed: 7, phoneCable: { loss: 0.2 }, a: { 'CTLFile.tlv': ctl, [`SEP${MAC}.cnf.xml`]: cnf } });
    const ends = bootSequence(r.phone, [A]);
    r.sched.run(600_000, () => ends.length === 3);
    expect(ends.map((e) => e.kind)).toEqual(['done', 'absent', 'done']);
    expect(names(r.phone).filter((x) => x.startsWith('try'))).toEqual([
      `try A CTLSEP${MAC}.tlv`, 'try A CTLFile.tlv', `try A ITLSEP${MAC}.tlv`, 'try A ITLFile.tlv', `try A SEP${MAC}.cnf.xml`,
    ]);
    expect(Array.from(r.phone.got.get('CTLFile.tlv')!)).toEqual(Array.from(ctl));
    expect(Array.from(r.phone.got.get(`SEP${MAC}.cnf.xml`)!)).toEqual(Array.from(cnf));
    // The loss was real: the cable dropped frames and the client retransmitted.
    expect(r.phone.logs.some((l) => l.includes('RRQ'))).toBe(true);
  });

  it('a missing SEP file falls back to XMLDefault', () => {
    const def = pattern(3000);
    const r = makeRig({ a: { 'XMLDefault.cnf.xml': def } });
    r.phone.fetch([A], CNF);
    r.runUntilDone(60_000);
    expect(names(r.phone)).toEqual([`try A SEP${MAC}.cnf.xml`, `miss A SEP${MAC}.cnf.xml not-found`, 'try A XMLDefault.cnf.xml', 'done A XMLDefault.cnf.xml']);
    expect(Array.from(r.phone.got.get('XMLDefault.cnf.xml')!)).toEqual(Array.from(def));
    expect(r.logA).toEqual([
      expect.stringMatching(new RegExp(`SEP${MAC}\\.cnf\\.xml: ERROR 1 file not found$`)),
      expect.stringMatching(/XMLDefault\.cnf\.xml: sent 3000 bytes in \d+ ms \(blksize 1428, windowsize 8; asked blksize=1428 tsize=0 timeout=1 windowsize=8\)/),
    ]);
  });
});

describe('tftp sim: servers that misbehave', () => {
  it('a server that ignores options: 512-byte lock-step', () => {
    const file = pattern(5000);
    const r = makeRig({ a: { 'XMLDefault.cnf.xml': file }, aKnobs: { ignoreOptions: true } });
    r.phone.fetch([A], CNF.slice(1));
    r.runUntilDone(60_000);
    expect(r.phone.events.at(-1)).toMatchObject({ kind: 'done', blksize: 512, windowsize: 1, size: 5000 });
    expect(Array.from(r.phone.got.get('XMLDefault.cnf.xml')!)).toEqual(Array.from(file));
  });

  it('caps like dnsmasq (blksize 1024, no windowsize): the smaller OACK is honoured', () => {
    const file = pattern(9000);
    const r = makeRig({ a: { 'XMLDefault.cnf.xml': file }, aKnobs: { maxBlksize: 1024, noWindowsize: true } });
    r.phone.fetch([A], CNF.slice(1));
    r.runUntilDone(60_000);
    expect(r.phone.events.at(-1)).toMatchObject({ kind: 'done', blksize: 1024, windowsize: 1 });
    expect(Array.from(r.phone.got.get('XMLDefault.cnf.xml')!)).toEqual(Array.from(file));
  });

  it('ERROR 8 on options: the plain request succeeds', () => {
    const file = pattern(2000);
    const r = makeRig({ a: { 'XMLDefault.cnf.xml': file }, aKnobs: { rejectOptions: true } });
    r.phone.fetch([A], CNF.slice(1));
    r.runUntilDone(60_000);
    expect(r.phone.events.at(-1)).toMatchObject({ kind: 'done', blksize: 512 });
    expect(r.serverA.transfers.map((t) => t.result)).toEqual(['error', 'ok']);
    expect(r.serverA.transfers[0].code).toBe(8);
  });

  it('a server that dies mid-transfer: the next server delivers the whole file', () => {
    const file = pattern(100_000);
    const r = makeRig({ a: { 'XMLDefault.cnf.xml': file }, b: { 'XMLDefault.cnf.xml': file }, aKnobs: { dieAfterBlocks: 30 } });
    r.phone.fetch([A, B], CNF);
    r.runUntilDone(120_000);
    expect(names(r.phone)).toEqual([
      `try A SEP${MAC}.cnf.xml`, `miss A SEP${MAC}.cnf.xml not-found`, 'try A XMLDefault.cnf.xml', 'miss A XMLDefault.cnf.xml timeout',
      `try B SEP${MAC}.cnf.xml`, `miss B SEP${MAC}.cnf.xml not-found`, 'try B XMLDefault.cnf.xml', 'done B XMLDefault.cnf.xml',
    ]);
    expect(r.phone.aborted).toMatchObject([{ kind: 'timeout' }]);
    expect(Array.from(r.phone.got.get('XMLDefault.cnf.xml')!)).toEqual(Array.from(file));
  });

  it('no server answers: failed after three rounds, with the retry time of the phones', () => {
    const r = makeRig({});
    r.serverA.kill();
    r.serverB.kill();
    r.phone.fetch([A, B], CTL);
    r.runUntilDone(600_000);
    const f = r.phone.events.at(-1)!;
    expect(f).toMatchObject({ kind: 'failed', failure: { kind: 'timeout' } });
    expect(names(r.phone).filter((x) => x.startsWith('try'))).toEqual(Array(3).fill([`try A CTLSEP${MAC}.tlv`, `try B CTLSEP${MAC}.tlv`]).flat());
    expect(f.kind === 'failed' && f.retryAt).toBe(6 * 20_000 + RETRY_WAIT_MS);   // six 20 s attempts, then 51 s
  });

  it('every DATA twice: one ACK per block (no Sorcerer\'s Apprentice), the file intact', () => {
    const file = pattern(40_000);
    const r = makeRig({ a: { 'XMLDefault.cnf.xml': file }, aKnobs: { duplicate: 1 }, tftp: { windowsize: 1 } });
    r.phone.fetch([A], CNF.slice(1));
    r.runUntilDone(60_000);
    expect(Array.from(r.phone.got.get('XMLDefault.cnf.xml')!)).toEqual(Array.from(file));
    const blocks = Math.floor(file.length / 1428) + 1;
    const t = r.serverA.transfers[0];
    expect(t.result).toBe('ok');
    expect(t.retransmits).toBe(0);
    // Each block went out twice (the knob), each was acknowledged once.
    expect(r.serverA.core.counters.duplicated).toBe(blocks + 1);   // + the OACK
    // ACK 0 .. ACK n once each, and the repeated last block re-acknowledged while dallying.
    expect(r.phoneOps.get(4)).toBe(blocks + 2);
  });

  it('reordering cable, window 8: blocks held and delivered in order', () => {
    const file = pattern(300_000, 5);
    const r = makeRig({ seed: 3, a: { 'XMLDefault.cnf.xml': file }, phoneCable: { reorder: 0.2 } });
    r.phone.fetch([A], CNF.slice(1));
    r.runUntilDone(120_000);
    expect(r.phone.events.at(-1)).toMatchObject({ kind: 'done', windowsize: 8 });
    expect(Array.from(r.phone.got.get('XMLDefault.cnf.xml')!)).toEqual(Array.from(file));
  });
});

describe('tftp sim: boot storm', () => {
  it('20 phones fetch the same file at once from one server: all served, sessions bounded', () => {
    const file = pattern(50_000, 9);
    const r = makeRig({ phones: 20, a: { 'XMLDefault.cnf.xml': file } });
    for (const p of r.phones) p.fetch([A], CNF.slice(1));
    let peak = 0;
    r.sched.run(300_000, () => {
      peak = Math.max(peak, r.serverA.core.activeSessions());
      return r.phones.every((p) => p.finished());
    });
    r.sched.run(r.sched.now() + 50);
    for (const p of r.phones) {
      expect(p.events.at(-1)).toMatchObject({ kind: 'done', size: 50_000 });
      expect(Array.from(p.got.get('XMLDefault.cnf.xml')!)).toEqual(Array.from(file));
    }
    // The lab host's stack has 8 UDP sockets: port 69 and at most 7 sessions at a time.
    expect(peak).toBeLessThanOrEqual(8);
    expect(new Set(r.serverA.transfers.filter((t) => t.result === 'ok').map((t) => `${t.ip}:${t.port}`)).size).toBe(20);
  });
});

describe.skipIf(!haveTshark)('tftp sim: tshark', () => {
  it('dissects every TFTP exchange of a lossy fetch cleanly', () => {
    const r = makeRig({ seed: 11, phoneCable: { loss: 0.1 }, a: { 'XMLDefault.cnf.xml': pattern(30_000), 'CTLFile.tlv': pattern(700) } });
    const ends = bootSequence(r.phone, [A]);
    r.sched.run(600_000, () => ends.length === 3);
    expect(ends.map((e) => e.kind)).toEqual(['done', 'absent', 'done']);
    const file = tempCapture('tftp-sim.pcap', r.pcap);
    const rep = tsharkReport(file);
    expect(rep.protocols.TFTP ?? 0).toBeGreaterThan(40);
    expect(rep.problems).toEqual([]);
    const ops = tsharkFields(file, ['tftp.opcode'], 'tftp').map((x) => x[0]);
    for (const op of ['1', '3', '4', '5', '6']) expect(ops).toContain(op);
  });
});
