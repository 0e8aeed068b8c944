/**
 * `dialtone ctl show|build|sign|lab`: read, make and sign Cisco trust lists (CTL/ITL .tlv)
 * and signed files (.sgn). Thin over show.ts and build.ts.
 *   show FILE [--ctl LIST ...] [--json]   exit 0 when the signature verifies, 1 when not
 *   build -o OUT --signer CERT [--key KEY] --record CERT:ROLE ... [--digest sha1|sha256]
 *         [--filename NAME] [--timestamp N]   (the signer is also listed as SAST, first,
 *         unless a --record already names its certificate)
 *   sign FILE --signer CERT [--key KEY] [-o OUT] [--digest] [--filename] [--timestamp]
 *   lab DIR   the lab's CTLFile.tlv, ITLFile.tlv and certificates (tools/lab/trust.ts)
 */
import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { X509Certificate, type KeyObject } from 'node:crypto';
import { UserError, runIfMain } from '../errors';
import { describeFile, formatInfo } from './show';
import { buildTrustList, signFile, privateKey, type DigestName, type RecordSpec } from './build';
import {
  ROLE_SAST, ROLE_CCM, ROLE_CCM_TFTP, ROLE_TFTP, ROLE_CAPF, ROLE_APP_SERVER, ROLE_TVS,
} from '../../firmware/trust/tlv';
import { bytesEqual } from '../../lib/bytes';

const USAGE = `usage: dialtone ctl show FILE [--ctl LIST ...] [--json]
       dialtone ctl build -o OUT --signer CERT [--key KEY] --record CERT:ROLE ... [--digest sha1|sha256] [--filename NAME] [--timestamp N]
       dialtone ctl sign FILE --signer CERT [--key KEY] [-o OUT] [--digest sha1|sha256] [--filename NAME] [--timestamp N]
       dialtone ctl lab DIR

show prints a CTL/ITL file's header, records (role, subject, issuer, serial, key size,
certificate hashes) and whether its signature verifies (exit 1 when not); for a signed
file (.sgn), --ctl names the trust lists a phone holds, to check it against them.
ROLE is sast, ccm, ccm+tftp, tftp, capf, app-server, tvs or a number. CERT and KEY are
PEM (one file may hold both, as certutils writes them) or a DER certificate.`;

const ROLES: Record<string, number> = {
  'sast': ROLE_SAST, 'ccm': ROLE_CCM, 'ccm+tftp': ROLE_CCM_TFTP, 'tftp': ROLE_TFTP, 'capf': ROLE_CAPF,
  'app-server': ROLE_APP_SERVER, 'https': ROLE_APP_SERVER, 'tvs': ROLE_TVS,
};

function readFile(p: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(p));
  } catch (e) {
    throw new UserError(`cannot read ${what} ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function loadCert(p: string): Uint8Array {
  const bytes = readFile(p, 'certificate');
  try {
    return new Uint8Array(new X509Certificate(Buffer.from(bytes)).raw);
  } catch {
    throw new UserError(`${p}: not an X.509 certificate (PEM or DER)`);
  }
}

function loadKey(certPath: string, keyPath: string | undefined): KeyObject {
  const p = keyPath ?? certPath;
  const text = Buffer.from(readFile(p, 'key')).toString('utf8');
  if (!text.includes('PRIVATE KEY')) throw new UserError(`${p}: no private key (give --key KEY)`);
  return privateKey(text, p);
}

function digestOf(v: string | undefined): DigestName {
  if (v === undefined || v === 'sha1' || v === 'sha256') return v ?? 'sha1';
  throw new UserError(`--digest must be sha1 or sha256, not ${v}`);
}

function timestampOf(v: string | undefined): number {
  if (v === undefined) return Math.floor(Date.now() / 1000);
  if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) throw new UserError(`--timestamp must be a Unix time, not ${v}`);
  return Number(v);
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv, allowPositionals: true, options: {
        json: { type: 'boolean' }, ctl: { type: 'string', multiple: true }, out: { type: 'string', short: 'o' },
        signer: { type: 'string' }, key: { type: 'string' }, record: { type: 'string', multiple: true },
        digest: { type: 'string' }, filename: { type: 'string' }, timestamp: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UserError(`${(e as Error).message}\n${USAGE}`, 2);
  }
}

function show(file: string, ctl: string[], json: boolean): number {
  const bytes = readFile(file, 'file');
  const trust = ctl.map((p) => ({ name: path.basename(p), bytes: readFile(p, 'trust list') }));
  let info;
  try {
    info = describeFile(path.basename(file), bytes, trust);
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message}`);
  }
  console.log(json ? JSON.stringify(info, null, 2) : formatInfo(info));
  return info.signature.verified === false ? 1 : 0;
}

function build(a: ReturnType<typeof parse>['values']): number {
  if (!a.out || !a.signer) throw new UserError(`build needs -o OUT and --signer CERT\n${USAGE}`, 2);
  const cert = loadCert(a.signer);
  const key = loadKey(a.signer, a.key);
  const records: RecordSpec[] = (a.record ?? []).map((spec) => {
    const i = spec.lastIndexOf(':');
    if (i <= 0) throw new UserError(`--record wants CERT:ROLE, not ${spec}`);
    const name = spec.slice(i + 1).toLowerCase();
    const role = ROLES[name] ?? (/^\d+$/.test(name) ? Number(name) : undefined);
    if (role === undefined || role > 0xffff) throw new UserError(`unknown role ${name} (sast, ccm, ccm+tftp, tftp, capf, app-server, tvs)`);
    return { cert: loadCert(spec.slice(0, i)), role };
  });
  if (!records.some((r) => r.role === ROLE_SAST && bytesEqual(r.cert, cert))) records.unshift({ cert, role: ROLE_SAST });
  const out = buildTrustList({
    signer: { cert, key }, records, digest: digestOf(a.digest), filename: a.filename ?? path.basename(a.out),
    timestamp: timestampOf(a.timestamp),
  });
  writeFileSync(a.out, out);
  console.log(`${a.out}: ${records.length} records, ${out.length} bytes`);
  return 0;
}

function sign(file: string, a: ReturnType<typeof parse>['values']): number {
  if (!a.signer) throw new UserError(`sign needs --signer CERT\n${USAGE}`, 2);
  const out = a.out ?? `${file}.sgn`;
  const bytes = signFile({
    signer: { cert: loadCert(a.signer), key: loadKey(a.signer, a.key) }, content: readFile(file, 'file'),
    digest: digestOf(a.digest), filename: a.filename ?? path.basename(file), timestamp: timestampOf(a.timestamp),
  });
  writeFileSync(out, bytes);
  console.log(`${out}: ${bytes.length} bytes`);
  return 0;
}

async function lab(dir: string): Promise<number> {
  const { labTrust } = await import('../lab/trust');
  const t = labTrust();
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'CTLFile.tlv'), t.ctl);
  writeFileSync(path.join(dir, 'ITLFile.tlv'), t.itl);
  for (const id of [t.sast, t.cm1, t.cm2, t.rogue]) writeFileSync(path.join(dir, `${id.name}.pem`), id.certPem);
  console.log(`${dir}: CTLFile.tlv, ITLFile.tlv, sast.pem, cm1.pem, cm2.pem, rogue.pem`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const sub = argv[0];
  const a = parse(argv.slice(1));
  if (sub === undefined || sub === '-h' || sub === '--help' || a.values.help) { console.log(USAGE); return sub ? 0 : 2; }
  const pos = a.positionals;
  switch (sub) {
    case 'show':
      if (pos.length !== 1) throw new UserError(`show takes one FILE\n${USAGE}`, 2);
      return show(pos[0], a.values.ctl ?? [], a.values.json === true);
    case 'build':
      return build(a.values);
    case 'sign':
      if (pos.length !== 1) throw new UserError(`sign takes one FILE\n${USAGE}`, 2);
      return sign(pos[0], a.values);
    case 'lab':
      if (pos.length !== 1) throw new UserError(`lab takes one DIR\n${USAGE}`, 2);
      return lab(pos[0]);
  }
  throw new UserError(`unknown subcommand '${sub}'\n${USAGE}`, 2);
}

runIfMain(import.meta.url, 'ctl', run);
