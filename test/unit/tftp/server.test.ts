/**
 * The TFTP server core (tools/ota/server.ts) on virtual time, driven directly: option
 * negotiation and the misbehaviour knobs, windows and rewinds, duplicate ACKs ignored (no
 * Sorcerer's Apprentice), timeouts, transfer IDs, bounded sessions; and the directory
 * source's defence against path traversal.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, mkdirSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tftp from '../../../firmware/tftp/wire';
import { TftpServerCore, mapSource, normalizeName, describeTransfer, type ServerConfig, type ServerOutput } from '../../../tools/ota/server';
import { dirSource } from '../../../tools/ota/serve';
import { enc, decode, kinds, pattern, Rig, type Sent } from './helpers';
import { ipToString } from '../../../lib/bytes';

const PHONE = 0x0a010032;
const FILE = pattern(3000);

function setup(over: Partial<ServerConfig> = {}) {
  const core = new TftpServerCore({ files: mapSource({ 'SEP1.cnf.xml': FILE, 'dir/a.bin': pattern(10) }), ...over });
  const sent: Array<Sent & { id: number }> = [];
  const closed: number[] = [];
  const out: ServerOutput = {
    send: (id, ip, port, d) => {
      sent.push({ id, t: rig.now, ip, port, p: decode(d) });
      return true;
    },
    close: (id) => closed.push(id),
  };
  const rig = new Rig(core, out);
  const rrq = (name: string, options: Record<string, string> = {}, port = 40000, op: 1 | 2 = 1, mode = 'octet'): void => {
    core.request(enc({ op, filename: name, mode, options: Object.entries(options).map(([n, v]) => ({ name: n, value: v })) }), PHONE, port, rig.now);
    rig.pump();
  };
  const ack = (block: number, id = 1, port = 40000): void => {
    core.process(id, enc({ op: 4, block }), PHONE, port, rig.now);
    rig.pump();
  };
  const ends = () => {
    const out2 = [];
    for (let e = core.poll(); e; e = core.poll()) if (e.kind === 'end') out2.push(e.t);
    return out2;
  };
  return { core, sent, closed, rig, rrq, ack, ends };
}

describe('tftp server core: negotiation', () => {
  it('OACKs what it accepts, then sends the file in windows', () => {
    const t = setup();
    t.rrq('SEP1.cnf.xml', { blksize: '1024', tsize: '0', timeout: '2', windowsize: '2', multicast: '' });
    expect(kinds(t.sent)).toEqual(['OACK blksize=1024,tsize=3000,timeout=2,windowsize=2']);
    t.ack(0);
    expect(kinds(t.sent.slice(1))).toEqual(['DATA 1 1024', 'DATA 2 1024']);
    t.ack(2);
    expect(kinds(t.sent.slice(3))).toEqual(['DATA 3 952']);
    t.ack(3);
    const [rec] = t.ends();
    expect(rec).toMatchObject({ result: 'ok', bytes: 3000, size: 3000, blksize: 1024, windowsize: 2 });
    t.rig.pump();
    expect(t.closed).toEqual([1]);
    expect(describeTransfer(rec, ipToString)).toMatch(/^10\.1\.0\.50:40000 SEP1\.cnf\.xml: sent 3000 bytes in 0 ms \(blksize 1024, windowsize 2; asked blksize=1024/);
  });

  it('caps blksize (as dnsmasq at 1468) and leaves windowsize out (as tftpd-hpa)', () => {
    const t = setup({ maxBlksize: 1468, noWindowsize: true });
    t.rrq('SEP1.cnf.xml', { blksize: '65464', windowsize: '16' });
    expect(kinds(t.sent)).toEqual(['OACK blksize=1468']);
  });

  it('ignoreOptions: DATA 1 of 512 bytes at once (RFC 1350 server)', () => {
    const t = setup({ ignoreOptions: true });
    t.rrq('SEP1.cnf.xml', { blksize: '1428', windowsize: '8' });
    expect(kinds(t.sent)).toEqual(['DATA 1 512']);
  });

  it('rejectOptions: ERROR 8 to a request with options, a plain one is served', () => {
    const t = setup({ rejectOptions: true });
    t.rrq('SEP1.cnf.xml', { blksize: '1428' });
    t.rrq('SEP1.cnf.xml', {}, 40001);
    expect(kinds(t.sent)).toEqual(['ERROR 8', 'DATA 1 512']);
    expect(t.sent[0].id).not.toBe(t.sent[1].id);   // each from its own TID
  });

  it('errors: not found (1), traversal (2), WRQ (2), mode mail (4)', () => {
    const t = setup();
    t.rrq('nope');
    t.rrq('../SEP1.cnf.xml', {}, 40001);
    t.rrq('SEP1.cnf.xml', {}, 40002, 2);
    t.rrq('SEP1.cnf.xml', {}, 40003, 1, 'mail');
    expect(kinds(t.sent)).toEqual(['ERROR 1', 'ERROR 2', 'ERROR 2', 'ERROR 4']);
    expect(t.ends().map((r) => r.result)).toEqual(['error', 'error', 'error', 'error']);
  });

  it('names: a leading slash (the 7960 asks "/7960-font.xml"), backslashes and ./ are normalized', () => {
    expect(normalizeName('/7960-font.xml')).toBe('7960-font.xml');
    expect(normalizeName('\\dir\\a.bin')).toBe('dir/a.bin');
    expect(normalizeName('./dir/a.bin')).toBe('dir/a.bin');
    expect(normalizeName('dir/../../x')).toBeNull();
    expect(normalizeName('a\0b')).toBeNull();
    expect(normalizeName('/')).toBeNull();
    const t = setup();
    t.rrq('/dir/a.bin');
    expect(kinds(t.sent)).toEqual(['DATA 1 10']);
  });
});

describe('tftp server core: sending', () => {
  it('ignores duplicate ACKs: no Sorcerer\'s Apprentice', () => {
    const t = setup();
    t.rrq('SEP1.cnf.xml');
    t.ack(1);
    t.ack(1);
    t.ack(1);
    expect(kinds(t.sent)).toEqual(['DATA 1 512', 'DATA 2 512']);
  });

  it('an ACK inside the window resends from the block after it', () => {
    const t = setup();
    t.rrq('SEP1.cnf.xml', { windowsize: '4' });
    t.ack(0);
    expect(kinds(t.sent.slice(1))).toEqual(['DATA 1 512', 'DATA 2 512', 'DATA 3 512', 'DATA 4 512']);
    t.ack(2);   // the client lost 3
    expect(kinds(t.sent.slice(5))).toEqual(['DATA 3 512', 'DATA 4 512', 'DATA 5 512', 'DATA 6 440']);
    t.ack(5);   // an ACK of a block not yet sent... 5 was sent: fine; 7 would be a future ACK
    t.ack(9);
    expect(kinds(t.sent.slice(9))).toEqual(['DATA 6 440']);
  });

  it('on timeout resends the window from the last ACK, five times, then gives up', () => {
    const t = setup();
    t.rrq('SEP1.cnf.xml', { windowsize: '2' });
    t.ack(0);
    t.ack(1);
    t.rig.runUntil(20_000);
    const times = t.sent.map((s) => `${kinds([s])[0]}@${s.t}`);
    expect(times).toEqual([
      'OACK windowsize=2@0', 'DATA 1 512@0', 'DATA 2 512@0', 'DATA 2 512@0', 'DATA 3 512@0',
      'DATA 2 512@1000', 'DATA 3 512@1000', 'DATA 2 512@2000', 'DATA 3 512@2000', 'DATA 2 512@3000', 'DATA 3 512@3000',
      'DATA 2 512@4000', 'DATA 3 512@4000', 'DATA 2 512@5000', 'DATA 3 512@5000',
    ]);
    expect(t.ends()).toMatchObject([{ result: 'timeout', bytes: 512, retransmits: 5 }]);
  });

  it('uses the timeout option for its retransmissions', () => {
    const t = setup();
    t.rrq('SEP1.cnf.xml', { timeout: '3' });
    t.ack(0);
    t.rig.runUntil(3500);
    expect(t.sent.map((s) => s.t)).toEqual([0, 0, 3000]);
  });

  it('rolls block numbers over to 0', () => {
    const big = new Uint8Array(65536 * 8 + 4);
    const t = setup({ files: mapSource({ big }) });
    t.rrq('big', { blksize: '8' });
    for (let b = 0; b <= 65536; b++) t.ack(b & 0xffff);
    expect(kinds(t.sent.slice(-1))).toEqual(['DATA 1 4']);   // block 65537 is wire block 1
    t.ack(1);
    expect(t.ends()).toMatchObject([{ result: 'ok', bytes: big.length }]);
  });

  it('a packet to a session from another port gets ERROR 5; the session goes on', () => {
    const t = setup();
    t.rrq('SEP1.cnf.xml');
    t.core.process(1, enc({ op: 4, block: 1 }), PHONE, 41111, t.rig.now);
    t.rig.pump();
    expect(kinds(t.sent)).toEqual(['DATA 1 512', 'ERROR 5']);
    expect(t.sent[1].port).toBe(41111);
    t.ack(1);
    expect(kinds(t.sent.slice(2))).toEqual(['DATA 2 512']);
    expect(t.core.counters.stray).toBe(1);
  });

  it('an ERROR from the client ends the session as aborted', () => {
    const t = setup();
    t.rrq('SEP1.cnf.xml');
    t.core.process(1, enc({ op: 5, code: 3, message: 'too large' }), PHONE, 40000, 0);
    expect(t.ends()).toMatchObject([{ result: 'aborted', code: 3, detail: 'too large' }]);
  });
});

describe('tftp server core: sessions and knobs', () => {
  it('a repeated request from the same peer is the client retransmitting: one session', () => {
    const t = setup();
    t.rrq('SEP1.cnf.xml');
    t.rrq('SEP1.cnf.xml');
    expect(t.core.activeSessions()).toBe(1);
    expect(t.core.counters.repeats).toBe(1);
  });

  it('bounds sessions: requests beyond maxSessions are dropped unanswered', () => {
    const t = setup({ maxSessions: 3 });
    for (let i = 0; i < 5; i++) t.rrq('SEP1.cnf.xml', {}, 40000 + i);
    expect(t.core.activeSessions()).toBe(3);
    expect(t.core.counters.busy).toBe(2);
    expect(new Set(t.sent.map((s) => s.id)).size).toBe(3);   // each session its own TID
  });

  it('dieAfterBlocks: silent mid-transfer, forgotten later without an ERROR', () => {
    const t = setup({ dieAfterBlocks: 2 });
    t.rrq('SEP1.cnf.xml');
    t.ack(1);
    t.ack(2);
    t.rig.runUntil(60_000);
    expect(kinds(t.sent)).toEqual(['DATA 1 512', 'DATA 2 512']);
    expect(t.ends()).toMatchObject([{ result: 'dead' }]);
    expect(t.core.activeSessions()).toBe(0);
  });

  it('kill: requests go unanswered until revive', () => {
    const t = setup();
    t.core.kill();
    t.rrq('SEP1.cnf.xml');
    expect(t.sent).toEqual([]);
    t.core.revive();
    t.rrq('SEP1.cnf.xml', {}, 40001);
    expect(kinds(t.sent)).toEqual(['DATA 1 512']);
  });

  it('drop and duplicate knobs act on sent packets', () => {
    let x = 0;
    const seq = [0.1, 0.9, 0.1];   // drop the first; keep, then duplicate the second
    const t = setup({ drop: 0.5, duplicate: 0.5, random: () => seq[x++ % seq.length] });
    t.rrq('SEP1.cnf.xml');
    t.rig.runUntil(1500);
    expect(kinds(t.sent)).toEqual(['DATA 1 512', 'DATA 1 512']);
    expect([t.core.counters.dropped, t.core.counters.duplicated]).toEqual([1, 1]);
  });

  it('a session whose port cannot be opened is dropped (the retransmission gets its turn)', () => {
    const core = new TftpServerCore({ files: mapSource({ a: pattern(5) }) });
    core.request(enc({ op: 1, filename: 'a', mode: 'octet', options: [] }), PHONE, 40000, 0);
    core.dispatch(0, { send: () => false, close: () => undefined });
    const e = [core.poll(), core.poll()];
    expect(e[1]).toMatchObject({ kind: 'end', t: { result: 'busy' } });
    core.dispatch(0, { send: () => true, close: () => undefined });
    expect(core.activeSessions()).toBe(0);
  });

  it('ignores datagrams to port 69 that are not requests', () => {
    const t = setup();
    t.core.request(enc({ op: 4, block: 1 }), PHONE, 40000, 0);
    t.core.request(new Uint8Array([0, 1, 65]), PHONE, 40000, 0);
    expect(t.core.counters.malformed).toBe(2);
    expect(t.core.activeSessions()).toBe(0);
  });
});

describe('ota dirSource: path traversal', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'dialtone-ota-'));
  const outside = mkdtempSync(path.join(tmpdir(), 'dialtone-outside-'));
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });
  writeFileSync(path.join(outside, 'secret'), 'secret');
  writeFileSync(path.join(root, 'ok.bin'), 'hello');
  mkdirSync(path.join(root, 'sub'));
  writeFileSync(path.join(root, 'sub', 'x.cnf'), 'x');
  symlinkSync(path.join(outside, 'secret'), path.join(root, 'link'));
  symlinkSync(outside, path.join(root, 'dirlink'));
  const src = dirSource(root);
  const code = (name: string): number => {
    const f = src.open(name);
    if ('error' in f) return f.error;
    f.close?.();
    return 0;
  };

  it('serves files under the root, with or without a leading slash', () => {
    const f = src.open('/ok.bin');
    if ('error' in f) throw new Error(f.message);
    const b = new Uint8Array(5);
    expect(f.read(0, b, 0, 5)).toBe(5);
    expect(Buffer.from(b).toString()).toBe('hello');
    f.close?.();
    expect(code('sub/x.cnf')).toBe(0);
    expect(code('sub\\x.cnf')).toBe(0);
  });

  it('refuses .. , absolute escapes, symlinks out of the root, directories; missing is ERROR 1', () => {
    expect(code('../' + path.basename(outside) + '/secret')).toBe(tftp.ERR_ACCESS);
    expect(code('sub/../../etc/passwd')).toBe(tftp.ERR_ACCESS);
    expect(code('..\\..\\etc\\passwd')).toBe(tftp.ERR_ACCESS);
    expect(code('link')).toBe(tftp.ERR_ACCESS);
    expect(code('dirlink/secret')).toBe(tftp.ERR_ACCESS);
    expect(code('sub')).toBe(tftp.ERR_ACCESS);
    expect(code('missing.cnf')).toBe(tftp.ERR_NOT_FOUND);
    expect(code('//etc/passwd')).toBe(tftp.ERR_NOT_FOUND);   // /etc/passwd inside the root: absent there
  });
});
