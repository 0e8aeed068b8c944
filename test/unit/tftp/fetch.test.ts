/**
 * The fetch sequencing (firmware/tftp/fetch.ts) against real server cores on an in-memory
 * network: candidates in order on one server (not found -> next file), servers in order
 * (timeout or error -> next server), optional files that are absent, the typed failure
 * with the retry time after the real phones' timing, one fresh port per attempt.
 */
import { describe, it, expect } from 'vitest';
import { TftpFetch, RETRY_WAIT_MS, type FetchFile } from '../../../firmware/tftp/fetch';
import { PHONE_RETRY, type TftpSink } from '../../../firmware/tftp/client';
import { TftpServerCore, mapSource } from '../../../tools/ota/server';
import { MemNet } from './memnet';
import { memSink, pattern, type MemSink } from './helpers';

const A = 0x0a010001;
const B = 0x0a010002;
const MAC = '001E4A123456';
const CTL: FetchFile[] = [{ name: `CTLSEP${MAC}.tlv`, optional: true }, { name: 'CTLFile.tlv', optional: true }];
const CNF: FetchFile[] = [{ name: `SEP${MAC}.cnf.xml`, optional: true }, { name: 'XMLDefault.cnf.xml', optional: false }];

function rig(files: { a?: Record<string, Uint8Array>; b?: Record<string, Uint8Array> }, knobsA = {}, config = {}) {
  const fetch = new TftpFetch(config);
  const net = new MemNet(fetch);
  const sinks: Array<{ name: string; server: number; sink: MemSink }> = [];
  const sinkFor = (name: string, server: number): TftpSink => {
    const sink = memSink();
    sinks.push({ name, server, sink });
    return sink;
  };
  const cores: TftpServerCore[] = [];
  if (files.a) {
    const c = new TftpServerCore({ files: mapSource(files.a), ...knobsA });
    net.addServer(A, c);
    cores.push(c);
  }
  if (files.b) {
    const c = new TftpServerCore({ files: mapSource(files.b) });
    net.addServer(B, c);
    cores.push(c);
  }
  const done = (): boolean => net.events.some((e) => e.kind === 'done' || e.kind === 'absent' || e.kind === 'failed');
  return { fetch, net, sinks, sinkFor, cores, done };
}

const trail = (net: MemNet): string[] => net.events.map((e) => {
  const who = (ip: number): string => (ip === A ? 'A' : ip === B ? 'B' : '?');
  switch (e.kind) {
    case 'trying': return `try ${who(e.server)} ${e.name}`;
    case 'missed': return `miss ${who(e.server)} ${e.name} ${e.failure.kind}`;
    case 'done': return `done ${who(e.server)} ${e.name} ${e.size}`;
    case 'absent': return 'absent';
    default: return `failed ${e.failure.kind}`;
  }
});

describe('tftp fetch: candidates and servers', () => {
  it('takes the first candidate found', () => {
    const cnf = pattern(4521);
    const r = rig({ a: { [`SEP${MAC}.cnf.xml`]: cnf, 'XMLDefault.cnf.xml': pattern(10) } });
    r.fetch.start(0, [A], CNF, r.sinkFor);
    r.net.run(60_000, r.done);
    expect(trail(r.net)).toEqual([`try A SEP${MAC}.cnf.xml`, `done A SEP${MAC}.cnf.xml 4521`]);
    expect(Array.from(r.sinks[0].sink.data)).toEqual(Array.from(cnf));
  });

  it('a missing SEP file falls to XMLDefault on the same server', () => {
    const def = pattern(3000, 3);
    const r = rig({ a: { 'XMLDefault.cnf.xml': def } });
    r.fetch.start(0, [A, B], CNF, r.sinkFor);
    r.net.run(60_000, r.done);
    expect(trail(r.net)).toEqual([
      `try A SEP${MAC}.cnf.xml`, `miss A SEP${MAC}.cnf.xml not-found`, 'try A XMLDefault.cnf.xml', 'done A XMLDefault.cnf.xml 3000',
    ]);
    expect(r.sinks.map((s) => s.sink.began)).toEqual([null, 3000]);   // the first sink never began
    expect(Array.from(r.sinks[1].sink.data)).toEqual(Array.from(def));
  });

  it('all optional candidates missing: absent, no other server asked', () => {
    const r = rig({ a: {}, b: { 'CTLFile.tlv': pattern(10) } });
    r.fetch.start(0, [A, B], CTL, r.sinkFor);
    r.net.run(60_000, r.done);
    expect(trail(r.net)).toEqual([`try A CTLSEP${MAC}.tlv`, `miss A CTLSEP${MAC}.tlv not-found`, 'try A CTLFile.tlv', 'miss A CTLFile.tlv not-found', 'absent']);
  });

  it('a required file missing on one server is fetched from the next', () => {
    const r = rig({ a: {}, b: { 'XMLDefault.cnf.xml': pattern(700) } });
    r.fetch.start(0, [A, B], CNF, r.sinkFor);
    r.net.run(60_000, r.done);
    expect(trail(r.net)).toEqual([
      `try A SEP${MAC}.cnf.xml`, `miss A SEP${MAC}.cnf.xml not-found`, 'try A XMLDefault.cnf.xml', 'miss A XMLDefault.cnf.xml not-found',
      `try B SEP${MAC}.cnf.xml`, `miss B SEP${MAC}.cnf.xml not-found`, 'try B XMLDefault.cnf.xml', 'done B XMLDefault.cnf.xml 700',
    ]);
  });

  it('a dead server: timeout, then the next server, from the first candidate again', () => {
    const r = rig({ a: { [`SEP${MAC}.cnf.xml`]: pattern(10) }, b: { [`SEP${MAC}.cnf.xml`]: pattern(20) } });
    r.cores[0].kill();
    r.fetch.start(0, [A, B], CNF, r.sinkFor);
    r.net.run(120_000, r.done);
    expect(trail(r.net)).toEqual([`try A SEP${MAC}.cnf.xml`, `miss A SEP${MAC}.cnf.xml timeout`, `try B SEP${MAC}.cnf.xml`, `done B SEP${MAC}.cnf.xml 20`]);
    expect(r.net.events[2].t).toBe(20_000);   // the attempt's 20 s
  });

  it('a server that dies mid-transfer: the next server, the partial sink aborted', () => {
    const big = pattern(200_000);
    const r = rig({ a: { 'XMLDefault.cnf.xml': big }, b: { 'XMLDefault.cnf.xml': big } }, { dieAfterBlocks: 20 });
    r.fetch.start(0, [A, B], [{ name: 'XMLDefault.cnf.xml', optional: false }], r.sinkFor);
    r.net.run(120_000, r.done);
    expect(trail(r.net)).toEqual(['try A XMLDefault.cnf.xml', 'miss A XMLDefault.cnf.xml timeout', 'try B XMLDefault.cnf.xml', 'done B XMLDefault.cnf.xml 200000']);
    expect(r.sinks[0].sink.aborted).toMatchObject({ kind: 'timeout' });
    expect(r.sinks[0].sink.data.length).toBeGreaterThan(0);
    expect(Array.from(r.sinks[1].sink.data)).toEqual(Array.from(big));
  });

  it('another ERROR (access violation) moves to the next server too', () => {
    const r = rig({ a: {}, b: { 'x/../y': pattern(1) } });
    r.fetch.start(0, [A, B], [{ name: '../etc/passwd', optional: false }], r.sinkFor);
    r.net.run(60_000, r.done);
    expect(trail(r.net)).toEqual(['try A ../etc/passwd', 'miss A ../etc/passwd server', 'try B ../etc/passwd', 'miss B ../etc/passwd server', 'try A ../etc/passwd',
      'miss A ../etc/passwd server', 'try B ../etc/passwd', 'miss B ../etc/passwd server', 'try A ../etc/passwd', 'miss A ../etc/passwd server', 'try B ../etc/passwd',
      'miss B ../etc/passwd server', 'failed server']);
  });
});

describe('tftp fetch: giving up, after the phones in the server log', () => {
  it('PHONE_RETRY, one dead server: three 20 s attempts on fresh ports, then failed with a retry 51 s later', () => {
    const f = new TftpFetch({ retry: PHONE_RETRY });
    const net = new MemNet(f);
    const core = new TftpServerCore({ files: mapSource({}) });
    core.kill();
    net.addServer(A, core);
    f.start(0, [A], [{ name: `CTLSEP${MAC}.tlv`, optional: true }], () => memSink());
    net.run(200_000, () => net.events.some((e) => e.kind === 'failed'));
    // The fixture log: five requests 4 s apart per source port, three ports, 60 s in all.
    expect(net.log).toEqual([0, 4000, 8000, 12000, 16000, 20000, 24000, 28000, 32000, 36000, 40000, 44000, 48000, 52000, 56000].map((t) => `${t} RRQ to ${A}`));
    const failed = net.events.find((e) => e.kind === 'failed')!;
    expect(failed).toMatchObject({ kind: 'failed', failure: { kind: 'timeout' }, t: 60_000, retryAt: 60_000 + RETRY_WAIT_MS });
    expect(RETRY_WAIT_MS).toBe(51_000);
  });

  it('a required file missing everywhere: failed not-found, each server asked once', () => {
    const r = rig({ a: {}, b: {} });
    r.fetch.start(0, [A, B], CNF, r.sinkFor);
    r.net.run(60_000, r.done);
    const t = trail(r.net);
    expect(t.filter((x) => x.startsWith('try')).length).toBe(4);
    expect(t[t.length - 1]).toBe('failed not-found');
  });

  it('uses a fresh port per attempt and leaves at most two open (one dallying)', () => {
    const r = rig({ a: { 'XMLDefault.cnf.xml': pattern(100) } });
    r.fetch.start(0, [A], CNF, r.sinkFor);
    r.net.run(60_000, r.done);
    expect(r.net.openPhonePorts()).toBe(1);   // the finished transfer dallies
    r.net.run(10_000);
    expect(r.net.openPhonePorts()).toBe(0);
    expect(r.fetch.busy()).toBe(false);
  });

  it('completes a fetch over a lossy network (20 % each way)', () => {
    const file = pattern(60_000, 11);
    const r = rig({ a: { 'XMLDefault.cnf.xml': file } });
    r.net.loss = 0.2;
    r.fetch.start(0, [A], CNF, r.sinkFor);
    r.net.run(600_000, r.done);
    const last = r.net.events[r.net.events.length - 1];
    expect(last).toMatchObject({ kind: 'done', name: 'XMLDefault.cnf.xml', size: 60_000 });
    expect(Array.from(r.sinks[r.sinks.length - 1].sink.data)).toEqual(Array.from(file));
  });

  it('start validates its lists', () => {
    const f = new TftpFetch();
    expect(() => f.start(0, [], CNF, () => memSink())).toThrow(TypeError);
    expect(() => f.start(0, [A], [], () => memSink())).toThrow(TypeError);
  });
});
