/**
 * The trust store's policy and the signed-file sink, on the lab's lists (tools/lab/trust.ts)
 * and lists built here with the same keys: trust on first use, replacement only by a SAST
 * already trusted, refusals that keep the stored lists, persistence through the real
 * preferences store, the CallManager lookup of issue 11, and .sgn files.
 */
import { describe, it, expect } from 'vitest';
import { SimFlash, FLASH_PRESETS } from '../../../hal/sim/flash';
import { computeLayout } from '../../../flash/layout';
import { PrefsStore } from '../../../flash/prefs';
import { Settings } from '../../../flash/settings';
import {
  TrustStore, SLOT_CTL, SLOT_ITL, installTrustList, encodeStore, decodeStore, refusal, slotOf, sha256, MAX_LIST,
} from '../../../firmware/trust/store';
import { listSink, signedSink, type ByteSink } from '../../../firmware/trust/sink';
import { ROLE_SAST, ROLE_CCM, ROLE_CCM_TFTP, ROLE_TFTP } from '../../../firmware/trust/tlv';
import { parseCert } from '../../../firmware/trust/der';
import { labTrust, labSign, LAB_TRUST_TIME, type LabIdentity } from '../../../tools/lab/trust';
import { buildTrustList, makeCert, signFile, type RecordSpec } from '../../../tools/ctl/build';
import { asciiBytes, hex } from '../../../lib/bytes';
import { crypto, feed, mustList, parseList, storeWith } from './helpers';

const t = labTrust();
const signer = (id: LabIdentity) => ({ cert: id.cert, key: id.key });
const rec = (id: LabIdentity, role: number): RecordSpec => ({ cert: id.cert, role });

function ctl(by: LabIdentity, records: RecordSpec[], timestamp = LAB_TRUST_TIME + 60, header = by): Uint8Array {
  return buildTrustList({ signer: { cert: header.cert, key: by.key }, records, filename: 'CTLFile.tlv', timestamp });
}

function settings(): Settings {
  const flash = new SimFlash(FLASH_PRESETS['nor-4m']);
  const lay = computeLayout(flash.geometry);
  if (!lay.ok) throw new Error(lay.detail);
  const prefs = new PrefsStore(flash, lay.value);
  if (!prefs.mount().ok) throw new Error('mount');
  return new Settings(prefs);
}

describe('trust store policy', () => {
  it('trusts the first CTL on first use and keeps keys only for the signing roles', () => {
    const s = new TrustStore(crypto);
    const o = s.offer(SLOT_CTL, mustList(t.ctl));
    expect(o.ok && o.value.status).toBe('new');
    if (!o.ok) return;
    s.commit(o.value);
    expect(s.entries.map((e) => [e.slot, e.role, e.cn, e.modulus.length])).toEqual([
      [SLOT_CTL, ROLE_SAST, 'Dialtone Lab SAST', 256],
      [SLOT_CTL, ROLE_CCM_TFTP, 'cm1.lab.dialtone', 256],
      [SLOT_CTL, ROLE_CCM, 'cm2.lab.dialtone', 0],
    ]);
    expect(hex(s.entries[1].certHash)).toBe(hex(sha256(crypto, t.cm1.cert)));
  });

  it('replaces the CTL when a trusted SAST signs the new one; the same list again is "same"', () => {
    const s = storeWith([[SLOT_CTL, t.ctl]]);
    const next = ctl(t.sast, [rec(t.sast, ROLE_SAST), rec(t.cm2, ROLE_CCM_TFTP)]);
    const o = s.offer(SLOT_CTL, mustList(next));
    expect(o.ok && o.value.status).toBe('replaced');
    if (o.ok) s.commit(o.value);
    expect(s.entries.map((e) => e.cn)).toEqual(['Dialtone Lab SAST', 'cm2.lab.dialtone']);
    expect(s.offer(SLOT_CTL, mustList(next))).toMatchObject({ ok: true, value: { status: 'same' } });
  });

  it('refuses a CTL signed by a SAST it does not know ("unknown signer") and keeps the old one', () => {
    const s = storeWith([[SLOT_CTL, t.ctl]]);
    const before = encodeStore(s.entries);
    const rogue = ctl(t.rogue, [rec(t.rogue, ROLE_SAST), rec(t.rogue, ROLE_CCM)]);
    expect(mustList(rogue).signer).toBe(0); // self-consistent: it would be trusted on first use
    const o = s.offer(SLOT_CTL, mustList(rogue));
    expect(o).toMatchObject({ ok: false, error: 'refused' });
    if (!o.ok) expect(refusal(o)).toBe('unknown signer');
    expect(encodeStore(s.entries)).toEqual(before);
  });

  it('refuses a list that names the trusted SAST but is signed by another key ("signature")', () => {
    const s = storeWith([[SLOT_CTL, t.ctl]]);
    const forged = ctl(t.rogue, [rec(t.sast, ROLE_SAST), rec(t.rogue, ROLE_CCM)], LAB_TRUST_TIME + 60, t.sast);
    const o = s.offer(SLOT_CTL, mustList(forged));
    expect(o).toMatchObject({ ok: false, error: 'signature' });
    if (!o.ok) expect(refusal(o)).toBe('signature');
  });

  it('refuses a tampered CTL (a changed subject byte) and keeps the old one; a tampered first list is refused too', () => {
    const next = ctl(t.sast, [rec(t.sast, ROLE_SAST), rec(t.cm1, ROLE_CCM)]);
    const at = Buffer.from(next).indexOf('cm1.lab', 500);
    const tampered = next.slice();
    tampered[at] = 'x'.charCodeAt(0);
    const list = mustList(tampered); // still well formed
    const s = storeWith([[SLOT_CTL, t.ctl]]);
    expect(s.offer(SLOT_CTL, list)).toMatchObject({ ok: false, error: 'signature' });
    expect(s.entries.map((e) => e.cn)).toEqual(['Dialtone Lab SAST', 'cm1.lab.dialtone', 'cm2.lab.dialtone']);
    expect(new TrustStore(crypto).offer(SLOT_CTL, mustList(tampered))).toMatchObject({ ok: false, error: 'signature' });
  });

  it('a first list whose signer is not among its SAST records is refused ("unknown signer")', () => {
    const noSast = ctl(t.sast, [rec(t.cm1, ROLE_CCM)]);
    expect(mustList(noSast).signer).toBe(-1);
    expect(new TrustStore(crypto).offer(SLOT_CTL, mustList(noSast))).toMatchObject({ ok: false, error: 'refused' });
    // A SAST record with the signer's serial but the wrong role does not count either.
    const asTftp = ctl(t.sast, [rec(t.sast, ROLE_TFTP)]);
    expect(mustList(asTftp).signer).toBe(-1);
  });

  it('keeps CTL and ITL apart: each is trusted on first use, each updated only by its own SASTs', () => {
    const s = storeWith([[SLOT_CTL, t.ctl], [SLOT_ITL, t.itl]]);
    expect(s.entries.map((e) => [e.slot, e.cn])).toEqual([
      [0, 'Dialtone Lab SAST'], [0, 'cm1.lab.dialtone'], [0, 'cm2.lab.dialtone'],
      [1, 'cm1.lab.dialtone'], [1, 'cm1.lab.dialtone'], [1, 'cm2.lab.dialtone'],
    ]);
    // An ITL signed by the CTL's SAST: not a SAST of the ITL slot.
    const itl2 = buildTrustList({ signer: signer(t.sast), records: [rec(t.sast, ROLE_SAST)], filename: 'ITLFile.tlv', timestamp: 1 });
    expect(s.offer(SLOT_ITL, mustList(itl2))).toMatchObject({ ok: false, error: 'refused' });
    expect(slotOf('ITLFile.tlv')).toBe(SLOT_ITL);
    expect(slotOf('dir/ITLSEP001122334455.tlv')).toBe(SLOT_ITL);
    expect(slotOf('CTLSEP001122334455.tlv')).toBe(SLOT_CTL);
    expect(slotOf('CTLFile.tlv')).toBe(SLOT_CTL);
  });

  it('persists through the preferences: installed lists survive a reload, a refused one writes nothing', () => {
    const set = settings();
    const s = new TrustStore(crypto);
    expect(s.load(set.getTrustList())).toEqual({ ok: true, value: 0 });
    expect(installTrustList(set, s, SLOT_CTL, mustList(t.ctl))).toEqual({ ok: true, value: 'new' });
    expect(installTrustList(set, s, SLOT_ITL, mustList(t.itl))).toEqual({ ok: true, value: 'new' });
    const stored = set.getTrustList();
    expect(stored).not.toBeNull();
    expect(stored!.length).toBeLessThan(2048); // the two files are 9352 bytes
    const rogue = ctl(t.rogue, [rec(t.rogue, ROLE_SAST)]);
    expect(installTrustList(set, s, SLOT_CTL, mustList(rogue))).toMatchObject({ ok: false, error: 'refused' });
    expect(set.getTrustList()).toEqual(stored);
    const again = new TrustStore(crypto);
    expect(again.load(set.getTrustList())).toEqual({ ok: true, value: 6 });
    expect(again.entries).toEqual(s.entries);
    expect(installTrustList(set, again, SLOT_CTL, mustList(t.ctl))).toEqual({ ok: true, value: 'same' });
  });

  it('a stored record that does not decode is a typed error and leaves the store empty', () => {
    const enc = encodeStore(storeWith([[SLOT_CTL, t.ctl]]).entries);
    if (!enc.ok) throw new Error(enc.detail);
    expect(decodeStore(enc.value)).toMatchObject({ ok: true });
    const s = new TrustStore(crypto);
    expect(s.load(enc.value.subarray(0, enc.value.length - 1))).toMatchObject({ ok: false, error: 'truncated' });
    expect(s.entries).toEqual([]);
    expect(s.load(t.ctl)).toMatchObject({ ok: false, error: 'unsupported' }); // a raw CTL is not the stored form
  });

  it('caps a list at MAX_LIST records (too-large, a typed refusal)', () => {
    const many = ctl(t.sast, Array.from({ length: MAX_LIST + 1 }, () => rec(t.sast, ROLE_SAST)));
    expect(parseList(many)).toMatchObject({ ok: false, error: 'too-large' });
    expect(parseList(ctl(t.sast, Array.from({ length: MAX_LIST }, () => rec(t.sast, ROLE_SAST))))).toMatchObject({ ok: true });
  });
});

describe('CallManager lookup (issue 11: TLS pinned to the trust list)', () => {
  const s = storeWith([[SLOT_CTL, t.ctl]]);

  it('finds CCM and CCM+TFTP records by certificate, not the SAST, not a stranger', () => {
    expect(s.peer(t.cm1.cert)).toMatchObject({ role: ROLE_CCM_TFTP, cn: 'cm1.lab.dialtone' });
    expect(s.peer(t.cm2.cert)).toMatchObject({ role: ROLE_CCM, cn: 'cm2.lab.dialtone' });
    expect(s.peer(t.sast.cert)).toBeNull();
    expect(s.peer(t.rogue.cert)).toBeNull();
    expect(s.peer(new Uint8Array([0x30, 0x00]))).toBeNull();
  });

  it('a re-issued certificate with the same key matches by public key; the key hash lookup works alone', () => {
    const reissued = makeCert({ key: t.cm1.keyPem, subject: [['CN', 'cm1.lab.dialtone']], serial: '0c0a0099', notBefore: new Date(Date.UTC(2026, 0, 1)), notAfter: new Date(Date.UTC(2036, 0, 1)) });
    expect(s.match(sha256(crypto, reissued), true)).toBeNull();
    expect(s.peer(reissued)).toMatchObject({ cn: 'cm1.lab.dialtone' });
    const c = parseCert(t.cm2.cert);
    if (!c.ok) throw new Error(c.detail);
    expect(s.match(sha256(crypto, c.value.key), false)).toMatchObject({ cn: 'cm2.lab.dialtone' });
  });
});

/** A downstream sink that records what reached it. */
class Collect implements ByteSink {
  text = '';
  ended = -1;
  aborted: string | null = null;
  refuseAt = -1;
  write(data: Uint8Array, offset: number): boolean {
    if (offset !== this.text.length) throw new Error(`offset ${offset}, have ${this.text.length}`);
    this.text += Buffer.from(data).toString('latin1');
    return this.refuseAt < 0 || this.text.length < this.refuseAt;
  }
  end(size: number): void { this.ended = size; }
  abort(reason: string): void { this.aborted = reason; }
}

describe('signed files (.sgn)', () => {
  const s = storeWith([[SLOT_CTL, t.ctl]]);
  const body = '<?xml version="1.0"?>\n<device><deviceProtocol>SCCP</deviceProtocol></device>\n'.repeat(20);
  const sgn = labSign('SEP001122334455.cnf.xml', asciiBytes(body));

  it('passes the content on and ends it only when the signature verifies (SHA1 and SHA256, any chunking)', () => {
    for (const chunk of [1, 13, 512, sgn.length]) {
      const out = new Collect();
      const k = feed(signedSink(crypto, s, out), sgn, chunk);
      expect(k.result).toMatchObject({ ok: true, value: { header: { filename: 'SEP001122334455.cnf.xml' } } });
      expect(out.text).toBe(body);
      expect(out.ended).toBe(body.length);
      expect(out.aborted).toBeNull();
    }
    const out = new Collect();
    feed(signedSink(crypto, s, out), labSign('x.cnf.xml', asciiBytes(body), 'sha256'));
    expect(out.ended).toBe(body.length);
  });

  it('a tampered byte in the content or the header: the next sink is aborted, never ended', () => {
    const hl = sgn.length - body.length;
    for (const at of [hl + 40, sgn.length - 1, hl - 5 /* timestamp */]) {
      const bad = sgn.slice();
      bad[at] ^= 0x20;
      const out = new Collect();
      const k = feed(signedSink(crypto, s, out), bad);
      expect(k.result).toMatchObject({ ok: false, error: 'signature' });
      expect(out.ended).toBe(-1);
      expect(out.aborted).toMatch(/signature/);
    }
  });

  it('refuses at the header a file signed by a key the store does not hold, or by a SAST (not a file signer)', () => {
    for (const by of [t.rogue, t.sast]) {
      const f = signFile({ signer: signer(by), content: asciiBytes(body), filename: 'f', timestamp: 1 });
      const out = new Collect();
      const k = feed(signedSink(crypto, s, out), f);
      expect(k.result).toMatchObject({ ok: false, error: 'refused' });
      expect(out.text).toBe('');
      expect(out.aborted).toMatch(/unknown signer/);
    }
    // The same SAST-signed file is accepted when the caller allows the SAST role.
    const f = signFile({ signer: signer(t.sast), content: asciiBytes(body), filename: 'f', timestamp: 1 });
    const out = new Collect();
    feed(signedSink(crypto, s, out, 1 << ROLE_SAST), f);
    expect(out.ended).toBe(body.length);
  });

  it('stops when the next sink refuses, and a truncated or aborted transfer is truncated', () => {
    const out = new Collect();
    out.refuseAt = 100;
    const k = feed(signedSink(crypto, s, out), sgn);
    expect(k.result).toMatchObject({ ok: false, error: 'malformed' });
    expect(out.ended).toBe(-1);
    const cut = new Collect();
    expect(feed(signedSink(crypto, s, cut), sgn.subarray(0, sgn.length - 10)).result).toMatchObject({ ok: false, error: 'signature' });
    const ab = new Collect();
    const a = signedSink(crypto, s, ab);
    a.write(sgn.subarray(0, 600), 0);
    a.abort({ kind: 'timeout' });
    expect(a.result).toMatchObject({ ok: false, error: 'truncated' });
    expect(ab.aborted).toMatch(/timeout/);
  });

  it('a list sink refuses a signed file and the other way round (typed errors)', () => {
    expect(feed(listSink(crypto), sgn).result).toMatchObject({ ok: false });
    const out = new Collect();
    expect(feed(signedSink(crypto, s, out), t.ctl).result).toMatchObject({ ok: false, error: 'refused' });
  });
});
