/**
 * `dialtone ctl show|build|sign|lab` and the builder behind them: the real ITL shown as
 * text and JSON, a round trip of what the builder makes (records as given, re-emitted byte
 * for byte), deterministic output for fixed inputs, a tampered file exits 1, user errors
 * are one line.
 */
import { describe, it, expect, vi, afterEach } from 'vitest';
import { writeFileSync, readFileSync, mkdtempSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../tools/ctl/cli';
import { main } from '../../../tools/cli';
import { UserError } from '../../../tools/errors';
import { buildTrustList, makeCert } from '../../../tools/ctl/build';
import { labTrust, labSign, LAB_TRUST_TIME } from '../../../tools/lab/trust';
import { parseHeader, parseRecord, emitRecord, recordLen, ROLE_SAST, ROLE_TFTP, ROLE_CCM } from '../../../firmware/trust/tlv';
import { fixture, haveFixtures } from '../../fixtures';
import { ITL_NAME, mustList } from './helpers';
import { hex } from '../../../lib/bytes';

const dir = mkdtempSync(path.join(os.tmpdir(), 'dialtone-ctl-'));
afterEach(() => vi.restoreAllMocks());

async function capture(argv: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out.push(a.join(' ')); });
  const code = await run(argv);
  vi.restoreAllMocks();
  return { code, out: out.join('\n') };
}

function put(name: string, bytes: Uint8Array | string): string {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

describe('dialtone ctl', () => {
  it.skipIf(!haveFixtures)('show: the real ITL as JSON (five records, roles, key sizes, hashes, verified) and as text', async () => {
    const r = await capture(['show', fixture(ITL_NAME), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.kind).toBe('trust-list');
    expect(j.header).toMatchObject({ version: '1.2', headerLength: 388, signer: 'CN=SAST,O=SAST,OU=SAST', digest: 'SHA1', signatureBits: 2048, filename: 'ITLFile.tlv', time: '2025-12-30T17:25:42Z' });
    expect(j.records.map((x: { role: string; keyBits: number }) => [x.role, x.keyBits])).toEqual([
      ['SAST', 2048], ['CCM', 2048], ['CCM', 2048], ['APP-SERVER', 4096], ['APP-SERVER', 4096],
    ]);
    expect(j.records[0].sha1).toBe('277b3621552a593456a63d595645f4f090a35d9c');
    expect(j.records[3]).toMatchObject({ serial: '8210cfb0d240e3594463e0bb63828b00', notAfter: '2035-06-04T11:04:38Z' });
    expect(j.signature).toEqual({ verified: true, detail: 'verifies with SAST record 1 (serial 6ba5de3a260b069337c75b38be3c2d74)' });
    const text = await capture(['show', fixture(ITL_NAME)]);
    expect(text.out).toContain('record 2    CCM\n  subject   CN=ccm01.csptech.org,O=CSP Technologies,OU=CSP Community PBX Texas');
    expect(text.out).toMatch(/verified {4}yes: /);
  });

  it.skipIf(!haveFixtures)('show exits 1 on a tampered list', async () => {
    const b = readFileSync(fixture(ITL_NAME));
    b[5000] ^= 1;
    const r = await capture(['show', put('tampered.tlv', b), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).signature.verified).toBe(false);
  });

  it('build: records as given (the signer first as SAST), deterministic for a fixed timestamp; show verifies it', async () => {
    const t = labTrust();
    const key = put('sast.key', t.sast.keyPem);
    const sast = put('sast.pem', t.sast.certPem);
    const cm1 = put('cm1.der', t.cm1.cert);
    const out = path.join(dir, 'CTLFile.tlv');
    const argv = ['build', '-o', out, '--signer', sast, '--key', key, '--record', `${cm1}:tftp`, '--record', `${cm1}:ccm`, '--timestamp', '1234', '--digest', 'sha256'];
    expect((await capture(argv)).code).toBe(0);
    const first = readFileSync(out);
    expect((await capture(argv)).code).toBe(0);
    expect(readFileSync(out).equals(first)).toBe(true);
    const list = mustList(new Uint8Array(first));
    expect(list.header).toMatchObject({ filename: 'CTLFile.tlv', timestamp: 1234, digest: 2, signerName: 'CN=Dialtone Lab SAST,O=Dialtone Lab,OU=Voice' });
    expect(list.entries.map((e) => [e.role, e.cn])).toEqual([[ROLE_SAST, 'Dialtone Lab SAST'], [ROLE_TFTP, 'cm1.lab.dialtone'], [ROLE_CCM, 'cm1.lab.dialtone']]);
    const r = await capture(['show', out, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).signature.verified).toBe(true);
  });

  it('sign + show --ctl: a phone holding the lab lists accepts the lab-signed file, not a rogue-signed one', async () => {
    const t = labTrust();
    const ctlPath = put('lab-CTLFile.tlv', t.ctl);
    const good = put('SEP1.cnf.xml.sgn', labSign('SEP1.cnf.xml', new TextEncoder().encode('<device/>')));
    const r = await capture(['show', good, '--ctl', ctlPath, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ kind: 'signed-file', contentLength: 9, signature: { verified: true } });
    const plain = put('SEP2.cnf.xml', '<device/>');
    expect((await capture(['sign', plain, '--signer', put('rogue.pem', t.rogue.certPem + t.rogue.keyPem), '--timestamp', '7'])).code).toBe(0);
    const bad = await capture(['show', `${plain}.sgn`, '--ctl', ctlPath, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out).signature).toEqual({ verified: false, detail: 'refused: unknown signer' });
    expect(JSON.parse((await capture(['show', `${plain}.sgn`, '--json'])).out).signature.verified).toBeNull();
  });

  it('lab DIR writes the lab lists and certificates; the dispatcher knows ctl', async () => {
    const d = path.join(dir, 'lab');
    expect((await capture(['lab', d])).code).toBe(0);
    expect(readFileSync(path.join(d, 'CTLFile.tlv')).equals(Buffer.from(labTrust().ctl))).toBe(true);
    expect(existsSync(path.join(d, 'cm1.pem'))).toBe(true);
    vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await main(['ctl', '--help'])).toBe(0);
  });

  it('user errors are one line', async () => {
    await expect(run(['show', path.join(dir, 'missing.tlv')])).rejects.toThrow(UserError);
    await expect(run(['show', put('plain.txt', 'hello world, not a list')])).rejects.toThrow(/not a signed TLV file/);
    await expect(run(['build', '-o', 'x', '--signer', put('s.pem', labTrust().sast.certPem), '--record', 'a.pem:ccm'])).rejects.toThrow(/no private key/);
    await expect(run(['build', '-o', 'x', '--signer', put('s2.pem', labTrust().sast.certPem + labTrust().sast.keyPem), '--record', `${put('c.der', labTrust().cm1.cert)}:bogus`])).rejects.toThrow(/unknown role bogus/);
    await expect(run(['frob'])).rejects.toThrow(/unknown subcommand/);
  });
});

describe('builder', () => {
  it('round trip: every record re-parses to what was given and re-emits byte for byte', () => {
    const t = labTrust();
    const f = buildTrustList({
      signer: { cert: t.sast.cert, key: t.sast.key }, filename: 'CTLFile.tlv', timestamp: LAB_TRUST_TIME,
      records: [{ cert: t.sast.cert, role: ROLE_SAST }, { cert: t.cm2.cert, role: ROLE_CCM, dnsName: 'cm2.lab', ip: 0x0a016401 }],
    });
    const h = parseHeader(f);
    if (!h.ok) throw new Error(h.detail);
    expect(h.value.length % 4).toBe(0);
    let p = h.value.length;
    const seen: unknown[] = [];
    while (p < f.length) {
      const r = parseRecord(f.subarray(p));
      if (!r.ok) throw new Error(r.detail);
      const again = new Uint8Array(recordLen(r.value));
      emitRecord(r.value, again, 0);
      expect(hex(again)).toBe(hex(f.subarray(p, p + r.value.length)));
      seen.push([r.value.role, r.value.dnsName, r.value.ip, r.value.cert.length]);
      p += r.value.length;
    }
    expect(seen).toEqual([[ROLE_SAST, '', -1, t.sast.cert.length], [ROLE_CCM, 'cm2.lab', 0x0a016401, t.cm2.cert.length]]);
  });

  it('certificates are the same bytes for the same inputs (no clock, no randomness)', () => {
    const spec = { key: labTrust().cm2.keyPem, subject: [['CN', 'x']] as [string, string][], serial: '01', notBefore: new Date(0), notAfter: new Date(86400_000) };
    expect(hex(makeCert(spec))).toBe(hex(makeCert(spec)));
  });
});
