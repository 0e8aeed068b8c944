/**
 * The phone's TFTP client (firmware/tftp, on the firmware's own IP stack, through the
 * simulated switch and the socat bridge, in real time) against real Linux TFTP servers in
 * a namespace: tftpd-hpa (no windowsize: lock-step), atftpd (windowsize), dnsmasq (blksize
 * capped by its MTU setting, windowsize ignored). Files arrive intact (SHA-256), a missing
 * SEP file falls back to XMLDefault on the real ERROR 1, and tshark dissects every TFTP
 * exchange of the capture cleanly.
 */
import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import { skipInterop, startCapture, tsharkReport, tsharkFields, startDnsmasq, useBridge, startPhoneStack, ipOf, type Capture, type PhoneStack } from '../harness/index';
import { TftpService, type TftpServiceOptions } from '../../../firmware/tftp/service';
import type { FetchEvent, FetchFile } from '../../../firmware/tftp/fetch';
import type { TftpSink } from '../../../firmware/tftp/client';
import { addAddress, startTftpdHpa, startAtftpd, atftpdPath, ATFTPD_HINT } from './servers';
import { Prng } from '../../../hal/sim/prng';

const DNSMASQ = '10.77.0.1';
const HPA = '10.77.0.2';
const ATFTPD = '10.77.0.3';
const PHONE = '10.77.0.50';
const MAC = '001E4A123456';
const MIB = 1 << 20;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** `n` bytes from a seeded PRNG: the same payload every run (test/fuzz/seeded.test.ts). */
function seededBytes(seed: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  new Prng(seed).bytes(b);
  return b;
}

const noAtftpd = atftpdPath() === null;
if (noAtftpd) process.stderr.write(`[interop] tftp: ${ATFTPD_HINT}\n`);

describe.skipIf(skipInterop('tftp client', ['in.tftpd', 'dnsmasq', 'tcpdump', 'tshark', 'ss']) || noAtftpd)('the phone\'s TFTP client against tftpd-hpa, atftpd and dnsmasq', () => {
  const big = seededBytes(0x7f7b16, MIB);
  const def = seededBytes(0x7f7def, 4321);
  let phone: PhoneStack;
  let cap: Capture;
  const fx = useBridge({ mode: 'switch', lab: { segments: [{ address: `${DNSMASQ}/24` }] } }, {
    setup: async (br, tmp) => {
      const seg = br.lab.native;
      const root = tmp.file('tftproot');
      mkdirSync(root);
      writeFileSync(`${root}/big.bin`, big);
      writeFileSync(`${root}/XMLDefault.cnf.xml`, def);
      cap = await startCapture(br.lab, seg.netns, seg.tap, tmp.file('tap.pcap'));
      await addAddress(br.lab, seg.netns, `${HPA}/24`);
      await addAddress(br.lab, seg.netns, `${ATFTPD}/24`);
      await startDnsmasq(br.lab, seg, tmp.path, { dnsPort: 0, lines: ['enable-tftp', `tftp-root=${root}`, 'tftp-mtu=1200'] });
      await startTftpdHpa(br.lab, seg.netns, HPA, root);
      await startAtftpd(br.lab, seg.netns, ATFTPD, root);
      phone = startPhoneStack(br, { address: `${PHONE}/24`, gateway: DNSMASQ });
    },
  });

  /** One fetch through the bridge; resolves with the events and the bytes. */
  async function fetch(server: string, files: FetchFile[], opts: TftpServiceOptions = {}): Promise<{ events: FetchEvent[]; data: Uint8Array; logs: string[] }> {
    const b = fx.br;
    const events: FetchEvent[] = [];
    const logs: string[] = [];
    const parts: Uint8Array[] = [];
    let tftp: TftpService | null = null;
    b.driver.inject(() => {
      tftp = new TftpService(phone.iface, phone.iface.clock, { ...opts, log: (l) => logs.push(l) });
      tftp.fetch([ipOf(server)], files, (): TftpSink => ({
        write: (d) => { parts.push(d.slice()); return true; },
        end: () => undefined,
        abort: () => { parts.length = 0; },
      }), (e) => events.push(e));
    });
    await b.driver.until(() => events.some((e) => e.kind === 'done' || e.kind === 'failed' || e.kind === 'absent'), 60_000, `the fetch from ${server}`);
    const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    return { events, data, logs };
  }

  it('tftpd-hpa: 1 MiB, blksize 1428 granted, no windowsize (lock-step), intact', async () => {
    const r = await fetch(HPA, [{ name: 'big.bin', optional: false }]);
    expect(r.events.at(-1)).toMatchObject({ kind: 'done', size: MIB, blksize: 1428, windowsize: 1 });
    expect(sha(r.data)).toBe(sha(big));
  });

  it('tftpd-hpa: a missing SEP file (real ERROR 1) falls back to XMLDefault', async () => {
    const r = await fetch(HPA, [{ name: `SEP${MAC}.cnf.xml`, optional: true }, { name: 'XMLDefault.cnf.xml', optional: false }]);
    expect(r.events.map((e) => e.kind)).toEqual(['trying', 'missed', 'trying', 'done']);
    expect(r.events[1]).toMatchObject({ failure: { kind: 'not-found', code: 1 } });
    expect(sha(r.data)).toBe(sha(def));
  });

  it('atftpd: 1 MiB with windowsize 16 granted, intact', async () => {
    const r = await fetch(ATFTPD, [{ name: 'big.bin', optional: false }], { windowsize: 16 });
    expect(r.events.at(-1)).toMatchObject({ kind: 'done', size: MIB, blksize: 1428, windowsize: 16 });
    expect(sha(r.data)).toBe(sha(big));
  });

  it('dnsmasq: blksize capped below the request (tftp-mtu 1200) and honoured; windowsize ignored', async () => {
    const r = await fetch(DNSMASQ, [{ name: 'big.bin', optional: false }], { blksize: 1468 });
    expect(r.events.at(-1)).toMatchObject({ kind: 'done', size: MIB, blksize: 1168, windowsize: 1 });
    expect(sha(r.data)).toBe(sha(big));
  });

  it('tshark dissects every TFTP exchange cleanly', async () => {
    const file = await cap.stop();
    const rep = tsharkReport(file);
    expect(rep.protocols.TFTP ?? 0).toBeGreaterThan(3 * (MIB / 1428));
    expect(rep.problems).toEqual([]);
    // Every RRQ of the tests, with the options the phone asked, and the servers' OACKs.
    const rrqs = tsharkFields(file, ['ip.dst', 'tftp.source_file', 'tftp.option.name'], 'tftp.opcode == 1');
    expect(rrqs.map((r) => `${r[0]} ${r[1]}`)).toEqual([
      `${HPA} big.bin`, `${HPA} SEP${MAC}.cnf.xml`, `${HPA} XMLDefault.cnf.xml`, `${ATFTPD} big.bin`, `${DNSMASQ} big.bin`,
    ]);
    expect(rrqs[0][2]).toBe('blksize,tsize,timeout,windowsize');
    const oacks = tsharkFields(file, ['ip.src', 'tftp.option.name'], 'tftp.opcode == 6').map((r) => `${r[0]} ${r[1]}`);
    // What each server grants: tftpd-hpa no windowsize, atftpd all four, dnsmasq no timeout either.
    expect(oacks).toEqual([`${HPA} blksize,tsize,timeout`, `${HPA} blksize,tsize,timeout`, `${ATFTPD} tsize,timeout,blksize,windowsize`, `${DNSMASQ} blksize,tsize`]);
    const sw = fx.tmp.file('switch.pcap');
    fx.br.pcap!.writeFile(sw);
    expect(tsharkReport(sw).problems).toEqual([]);
  });
});
