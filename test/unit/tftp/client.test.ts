/**
 * The TFTP client machine (firmware/tftp/client.ts) on virtual time against a scripted
 * server: option negotiation (smaller values honoured, options ignored, ERROR 8 fallback,
 * bad OACKs refused), retransmission timelines, the transfer-ID check, duplicates without
 * the Sorcerer's Apprentice, windowed receive with bounded reordering, typed failures,
 * the sink contract, block-number rollover and the dally after the last block.
 */
import { describe, it, expect } from 'vitest';
import { TftpClient, PHONE_RETRY, type TftpClientConfig, type TftpOutput, type TftpEvent } from '../../../firmware/tftp/client';
import * as tftp from '../../../firmware/tftp/wire';
import { Rig, SERVER, OTHER, memSink, pattern, data, oack, error, decode, kinds, type Sent, type MemSink } from './helpers';

const TID = 3069;

function setup(config: TftpClientConfig = {}, sink: MemSink = memSink()) {
  const c = new TftpClient(config);
  const sent: Sent[] = [];
  const events: TftpEvent[] = [];
  const out: TftpOutput = { send: (ip, port, d) => sent.push({ t: rig.now, ip, port, p: decode(d) }) };
  const rig = new Rig(c, out);
  const drain = (): void => {
    for (let e = c.poll(); e; e = c.poll()) events.push(e);
  };
  const feed = (pkt: Uint8Array, port = TID, ip = SERVER): void => {
    c.process(pkt, ip, port, rig.now);
    rig.pump();
    drain();
  };
  const run = (t: number): void => {
    rig.runUntil(t);
    drain();
  };
  c.start(0, SERVER, 69, 'SEP001E4A123456.cnf.xml', sink);
  rig.pump();
  return { c, sink, sent, events, rig, feed, run };
}

/** Blocks of `file` at `blk` bytes (the last one short, maybe empty). */
function blocks(file: Uint8Array, blk: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; ; off += blk) {
    out.push(file.subarray(off, Math.min(off + blk, file.length)));
    if (file.length - off < blk) return out;
  }
}

describe('tftp client: negotiation', () => {
  it('asks blksize, tsize, timeout and windowsize, and honours an OACK with smaller values', () => {
    const t = setup({ blksize: 1428, windowsize: 8 });
    expect(kinds(t.sent)).toEqual(['RRQ SEP001E4A123456.cnf.xml blksize=1428,tsize=0,timeout=1,windowsize=8']);
    expect(t.sent[0].port).toBe(69);
    const file = pattern(5000);
    t.feed(oack({ blksize: '1024', tsize: '5000', windowsize: '4' }));
    expect(t.sink.began).toBe(5000);
    expect(t.c.total()).toBe(5000);
    const b = blocks(file, 1024);   // 1024 x4, then 904
    for (let i = 0; i < b.length; i++) t.feed(data(i + 1, b[i]));
    // ACK 0 for the OACK, ACK 4 after the window of 4, ACK 5 for the short last block; to the TID.
    expect(kinds(t.sent.slice(1))).toEqual(['ACK 0', 'ACK 4', 'ACK 5']);
    expect(t.sent.slice(1).every((s) => s.port === TID)).toBe(true);
    expect(t.events).toEqual([{ kind: 'done', size: 5000, blksize: 1024, windowsize: 4 }]);
    expect(t.sink.ended).toBe(5000);
    expect(Array.from(t.sink.data)).toEqual(Array.from(file));
  });

  it('takes DATA 1 of 512 bytes from a server that ignores options (lock-step, no tsize)', () => {
    const t = setup();
    const file = pattern(1300);
    const b = blocks(file, 512);
    for (let i = 0; i < b.length; i++) t.feed(data(i + 1, b[i]));
    expect(kinds(t.sent.slice(1))).toEqual(['ACK 1', 'ACK 2', 'ACK 3']);
    expect(t.sink.began).toBe(-1);
    expect(t.events[0]).toEqual({ kind: 'done', size: 1300, blksize: 512, windowsize: 1 });
    expect(Array.from(t.sink.data)).toEqual(Array.from(file));
  });

  it('falls back to a plain request after ERROR 8, and completes', () => {
    const t = setup();
    t.rig.now = 50;
    t.feed(error(8, 'options refused'), 4001);
    expect(kinds(t.sent)).toEqual(['RRQ SEP001E4A123456.cnf.xml blksize=1428,tsize=0,timeout=1,windowsize=8', 'RRQ SEP001E4A123456.cnf.xml']);
    expect(t.c.counters.fallbacks).toBe(1);
    // The new session has a new TID; the old one is not held against it.
    t.feed(data(1, pattern(100)), 4002);
    expect(kinds(t.sent.slice(2))).toEqual(['ACK 1']);
    expect(t.sent[2].port).toBe(4002);
    expect(t.events[0].kind).toBe('done');
  });

  it('ERROR 8 to a plain request is a failure, not another fallback', () => {
    const t = setup({ blksize: 512, windowsize: 1, timeoutS: 0, tsize: false });
    expect(kinds(t.sent)).toEqual(['RRQ SEP001E4A123456.cnf.xml']);
    t.feed(error(8, 'no'));
    expect(t.events).toEqual([{ kind: 'failed', failure: { kind: 'server', code: 8, message: 'no' } }]);
  });

  const bad: Array<[string, Record<string, string>]> = [
    ['blksize above the request', { blksize: '2000' }],
    ['blksize below 8', { blksize: '4' }],
    ['windowsize above the request', { windowsize: '9' }],
    ['an option not asked for', { multicast: '1' }],
    ['a non-numeric value', { tsize: 'big' }],
  ];
  for (const [what, o] of bad) {
    it(`answers an OACK with ${what} with ERROR 8 and fails 'protocol'`, () => {
      const t = setup();
      t.feed(oack(o));
      expect(kinds(t.sent.slice(1))).toEqual(['ERROR 8']);
      expect(t.sent[1].port).toBe(TID);
      expect(t.events[0]).toMatchObject({ kind: 'failed', failure: { kind: 'protocol', code: 8 } });
      expect(t.sink.began).toBeNull();   // never begun, so never aborted either
      expect(t.sink.aborted).toBeNull();
      expect(t.c.finished()).toBe(true);
    });
  }
});

describe('tftp client: retransmission', () => {
  it('resends the request at 0, 1, 3, 7, 11, 15, 19 s and fails timeout at 20 s', () => {
    const t = setup();
    t.run(60_000);
    expect(t.sent.map((s) => s.t)).toEqual([0, 1000, 3000, 7000, 11000, 15000, 19000]);
    expect(t.events).toEqual([{ kind: 'failed', failure: { kind: 'timeout', code: -1, message: 'timeout' } }]);
    expect(t.c.pollAt()).toBe(Infinity);
  });

  it('PHONE_RETRY: every 4 s, five sends, then timeout at 20 s (the 79xx in the server log)', () => {
    const t = setup({ retry: PHONE_RETRY });
    t.run(60_000);
    expect(t.sent.map((s) => s.t)).toEqual([0, 4000, 8000, 12000, 16000]);
    expect(t.events[0]).toMatchObject({ kind: 'failed', failure: { kind: 'timeout' } });
  });

  it('resends the last ACK with backoff when DATA stops, and progress resets the backoff', () => {
    const t = setup({ windowsize: 1 });
    t.feed(oack({ blksize: '1428' }));
    t.feed(data(1, pattern(1428)));                 // ACK 1 at 0
    t.run(7500);                                    // ACK 1 again at 1000, 3000, 7000
    t.rig.now = 7600;
    t.feed(data(2, pattern(1428)));                 // ACK 2 at 7600
    t.run(9000);                                    // then 1 s again, not 8 s
    expect(kinds(t.sent.slice(1)).map((k, i) => `${k}@${t.sent[i + 1].t}`)).toEqual([
      'ACK 0@0', 'ACK 1@0', 'ACK 1@1000', 'ACK 1@3000', 'ACK 1@7000', 'ACK 2@7600', 'ACK 2@8600',
    ]);
    expect(t.c.counters.retransmits).toBe(4);
  });

  it('gives up 20 s after the last progress, mid-transfer', () => {
    const t = setup({ windowsize: 1 });
    t.rig.now = 5000;
    t.feed(data(1, pattern(512)));
    t.run(100_000);
    expect(t.events[0]).toMatchObject({ kind: 'failed', failure: { kind: 'timeout' } });
    expect(t.sink.aborted).toMatchObject({ kind: 'timeout' });
    expect(Math.max(...t.sent.map((s) => s.t))).toBeLessThan(25_000);
  });
});

describe('tftp client: transfer IDs and duplicates', () => {
  it('answers a packet from another port with ERROR 5 and ignores it', () => {
    const t = setup({ windowsize: 1 });
    t.feed(data(1, pattern(512)));                  // locks TID 3069
    t.feed(data(2, pattern(512, 99)), 4444);        // another port: an intruder
    t.feed(data(2, pattern(512, 3)), TID, OTHER);   // another address
    expect(kinds(t.sent.slice(1))).toEqual(['ACK 1', 'ERROR 5', 'ERROR 5']);
    expect([t.sent[2].ip, t.sent[2].port]).toEqual([SERVER, 4444]);
    expect([t.sent[3].ip, t.sent[3].port]).toEqual([OTHER, TID]);
    expect(t.c.received()).toBe(512);
    expect(t.c.state()).toBe('receiving');
    expect(t.c.counters.stray).toBe(2);
  });

  it('before the first reply, a packet from another address gets ERROR 5; the first reply from the server locks its port', () => {
    const t = setup();
    t.feed(data(1, pattern(10)), 7000, OTHER);
    expect(kinds(t.sent.slice(1))).toEqual(['ERROR 5']);
    expect(t.c.state()).toBe('request');
    t.feed(data(1, pattern(10)), 7001);
    expect(t.events[0].kind).toBe('done');
  });

  it('sends one ACK per block when every DATA comes twice (no Sorcerer\'s Apprentice)', () => {
    const t = setup({ windowsize: 1 });
    const file = pattern(512 * 20 + 7);
    const b = blocks(file, 512);
    for (let i = 0; i < b.length; i++) {
      t.feed(data(i + 1, b[i]));
      if (i < b.length - 1) t.feed(data(i + 1, b[i]));   // the duplicate
    }
    expect(t.c.counters.acks).toBe(b.length);
    expect(t.c.counters.duplicates).toBe(b.length - 1);
    expect(Array.from(t.sink.data)).toEqual(Array.from(file));
  });

  it('dallies after the last block: a repeated last block is re-acknowledged, then the port may close', () => {
    const t = setup({ windowsize: 1, dallyMs: 2000 });
    t.feed(data(1, pattern(100)));
    expect(t.c.state()).toBe('dally');
    expect(t.c.finished()).toBe(false);
    t.rig.now = 1000;
    t.feed(data(1, pattern(100)));
    expect(kinds(t.sent.slice(1))).toEqual(['ACK 1', 'ACK 1']);
    t.run(2500);
    expect(t.c.state()).toBe('done');
    expect(t.c.finished()).toBe(true);
    expect(t.events.length).toBe(1);
  });

  it('ends with an empty block when the size is a multiple of blksize', () => {
    const t = setup({ windowsize: 1 });
    t.feed(data(1, pattern(512)));
    t.feed(data(2, pattern(512)));
    expect(t.events).toEqual([]);
    t.feed(data(3, new Uint8Array(0)));
    expect(t.events[0]).toMatchObject({ kind: 'done', size: 1024 });
    expect(t.sink.writes).toBe(2);
  });

  it('rolls block numbers over to 0 after 65535', () => {
    const t = setup({ blksize: 8, windowsize: 1, tsize: false, timeoutS: 0 });
    t.feed(oack({ blksize: '8' }));
    const n = 65536 + 10;
    for (let i = 1; i <= n; i++) t.feed(data(i & 0xffff, new Uint8Array(8).fill(i & 0xff)));
    t.feed(data((n + 1) & 0xffff, new Uint8Array(3)));
    expect(t.events[0]).toMatchObject({ kind: 'done', size: n * 8 + 3 });
    expect(t.sink.data[65535 * 8]).toBe(0);     // the 65536th block, sent as block number 0
    expect(t.sink.data[65536 * 8]).toBe(1);
  });
});

describe('tftp client: window', () => {
  function windowed(reorder: number) {
    const t = setup({ blksize: 512, windowsize: 8, reorder });
    t.feed(oack({ windowsize: '8', tsize: String(512 * 16 + 1) }));
    return t;
  }
  const file = pattern(512 * 16 + 1);
  const b = blocks(file, 512);   // 17 blocks

  it('holds a block that overtook another and delivers both in order, no extra ACK', () => {
    const t = windowed(2);
    for (const i of [1, 3, 2, 4, 6, 5, 7, 8]) t.feed(data(i, b[i - 1]));
    expect(kinds(t.sent.slice(1))).toEqual(['ACK 0', 'ACK 8']);
    expect(t.c.counters.reordered).toBe(2);
    expect(t.c.received()).toBe(8 * 512);
  });

  it('a gap wider than the reorder slots gets one ACK of the last block in order; the resent window completes', () => {
    const t = windowed(2);
    for (const i of [1, 2, 4, 5, 6, 7, 8]) t.feed(data(i, b[i - 1]));   // 3 lost; 6 is 3 ahead
    expect(kinds(t.sent.slice(1))).toEqual(['ACK 0', 'ACK 2']);
    expect(t.c.counters.gapAcks).toBe(1);
    // The server resends from 3 (a window of 8: 3..10).
    for (let i = 3; i <= 10; i++) t.feed(data(i, b[i - 1]));
    expect(kinds(t.sent.slice(3))).toEqual(['ACK 10']);
    for (let i = 11; i <= 17; i++) t.feed(data(i, b[i - 1]));
    expect(kinds(t.sent.slice(4))).toEqual(['ACK 17']);
    expect(Array.from(t.sink.data)).toEqual(Array.from(file));
  });

  it('the last block of the window arriving past a gap is acknowledged at once', () => {
    const t = windowed(8);
    for (const i of [1, 2, 3, 5, 6, 7, 8]) t.feed(data(i, b[i - 1]));   // 4 lost, all held
    expect(kinds(t.sent.slice(1))).toEqual(['ACK 0', 'ACK 3']);
  });

  it('with no reorder slots, any gap is acknowledged at once', () => {
    const t = windowed(0);
    t.feed(data(1, b[0]));
    t.feed(data(3, b[2]));
    t.feed(data(4, b[3]));
    expect(kinds(t.sent.slice(1))).toEqual(['ACK 0', 'ACK 1']);
  });

  it('a lost window end is recovered by the timer (ACK of the last block in order)', () => {
    const t = windowed(2);
    for (let i = 1; i <= 7; i++) t.feed(data(i, b[i - 1]));
    t.run(1500);
    expect(kinds(t.sent.slice(1)).map((k, i) => `${k}@${t.sent[i + 1].t}`)).toEqual(['ACK 0@0', 'ACK 7@1000']);
  });

  it('reports progress: bytes so far and the tsize', () => {
    const t = windowed(2);
    for (let i = 1; i <= 5; i++) t.feed(data(i, b[i - 1]));
    expect([t.c.received(), t.c.total()]).toEqual([5 * 512, file.length]);
  });
});

describe('tftp client: failures and the sink', () => {
  it('ERROR 1 is not-found, other codes are server errors; neither touches the sink', () => {
    const a = setup();
    a.feed(error(1, 'File not found'));
    expect(a.events).toEqual([{ kind: 'failed', failure: { kind: 'not-found', code: 1, message: 'File not found' } }]);
    const b = setup();
    b.feed(error(2, 'Permission denied'));
    expect(b.events[0]).toMatchObject({ failure: { kind: 'server', code: 2 } });
    expect(kinds(a.sent).concat(kinds(b.sent)).filter((k) => k.startsWith('ERROR'))).toEqual([]);
    expect(a.sink.began).toBeNull();
  });

  it('an ERROR mid-transfer aborts the sink', () => {
    const t = setup({ windowsize: 1 });
    t.feed(data(1, pattern(512)));
    t.feed(error(0, 'disk error'));
    expect(t.sink.aborted).toMatchObject({ kind: 'server', code: 0, message: 'disk error' });
  });

  it('a sink that refuses a block aborts with ERROR 0 to the server', () => {
    const t = setup({ windowsize: 1 }, memSink(1 << 20, 512));
    t.feed(data(1, pattern(512)));
    t.feed(data(2, pattern(512)));
    expect(kinds(t.sent.slice(1))).toEqual(['ACK 1', 'ERROR 0']);
    expect(t.events[0]).toMatchObject({ kind: 'failed', failure: { kind: 'refused' } });
    expect(t.sink.aborted).toMatchObject({ kind: 'refused' });
  });

  it('a sink that refuses the transfer at begin gets ERROR 3 sent', () => {
    const t = setup({}, memSink(1 << 20, -1, true));
    t.feed(oack({ tsize: '100' }));
    expect(kinds(t.sent.slice(1))).toEqual(['ERROR 3']);
    expect(t.events[0]).toMatchObject({ failure: { kind: 'refused' } });
  });

  it('maxSize: a tsize above it is refused with ERROR 3, so is a file that grows past it', () => {
    const a = setup({ maxSize: 1000 });
    a.feed(oack({ tsize: '1001' }));
    expect(kinds(a.sent.slice(1))).toEqual(['ERROR 3']);
    expect(a.events[0]).toMatchObject({ failure: { kind: 'too-large', code: 3 } });
    const b = setup({ maxSize: 1000, windowsize: 1 });
    b.feed(data(1, pattern(512)));
    b.feed(data(2, pattern(512)));
    expect(kinds(b.sent.slice(1))).toEqual(['ACK 1', 'ERROR 3']);
    expect(b.sink.aborted).toMatchObject({ kind: 'too-large' });
  });

  it('a block larger than blksize is a protocol error (ERROR 4)', () => {
    const t = setup();
    t.feed(oack({ blksize: '512' }));
    t.feed(data(1, pattern(600)));
    expect(kinds(t.sent.slice(1))).toEqual(['ACK 0', 'ERROR 4']);
    expect(t.events[0]).toMatchObject({ failure: { kind: 'protocol' } });
  });

  it('cancel tells a server that answered (ERROR 0), and is quiet before that', () => {
    const a = setup({ windowsize: 1 });
    a.feed(data(1, pattern(512)));
    a.c.cancel();
    a.rig.pump();
    expect(kinds(a.sent.slice(1))).toEqual(['ACK 1', 'ERROR 0']);
    expect(a.c.poll()).toMatchObject({ failure: { kind: 'cancelled' } });
    const b = setup();
    b.c.cancel();
    b.rig.pump();
    expect(kinds(b.sent).map((k) => k.split(' ')[0])).toEqual(['RRQ']);
  });

  it('a malformed datagram from the server is counted and dropped', () => {
    const t = setup();
    t.feed(new Uint8Array([0, 9]));
    expect(t.c.counters.malformed).toBe(1);
    expect(t.c.state()).toBe('request');
  });

  it('rejects bad configuration as programmer errors', () => {
    expect(() => new TftpClient({ blksize: 4 })).toThrow(TypeError);
    expect(() => new TftpClient({ windowsize: 0 })).toThrow(TypeError);
    expect(() => new TftpClient().start(0, SERVER, 69, '', memSink())).toThrow(TypeError);
  });
});

// The codec constant the tests rely on: an unanswered RRQ goes to port 69.
expect(tftp.PORT).toBe(69);
