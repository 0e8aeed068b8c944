/**
 * The lab's trust: its own SAST, two CallManagers and a rogue, with certificates made from
 * the committed development keys (trust-keys.json) with fixed serials and dates, so every
 * run serves the same bytes. Host code.
 *
 *   CTLFile.tlv  signed by the SAST:  SAST (sast), CCM+TFTP (cm1), CCM (cm2)
 *   ITLFile.tlv  signed by cm1 (as CUCM signs its ITL with the TFTP certificate):
 *                SAST (cm1), CCM+TFTP (cm1), CCM (cm2)
 *   signed files (.sgn): signed by cm1, the CCM+TFTP role the phone accepts for them
 *   rogue        named by no list: a CTL it signs is refused, a TLS listener with its
 *                certificate is untrusted
 *
 * The lead wires these into the lab's TFTP root; issue 11's TLS listeners use cm1/cm2's
 * keyPem/certPem (and rogue's for the refusal scenario).
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { buildTrustList, makeCert, signFile, type DigestName } from '../ctl/build';
import { ROLE_SAST, ROLE_CCM, ROLE_CCM_TFTP } from '../../firmware/trust/tlv';

export const LAB_TRUST_KEYS = fileURLToPath(new URL('./trust-keys.json', import.meta.url));
/** 2025-01-01T00:00:00Z: the lab's files carry this time, never the wall clock. */
export const LAB_TRUST_TIME = 1735689600;

export interface LabIdentity {
  name: string;
  key: KeyObject;
  keyPem: string;
  cert: Uint8Array;
  certPem: string;
}

export interface LabTrust {
  sast: LabIdentity;
  cm1: LabIdentity;
  cm2: LabIdentity;
  rogue: LabIdentity;
  /** CTLFile.tlv and ITLFile.tlv as the lab serves them. */
  ctl: Uint8Array;
  itl: Uint8Array;
}

function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

const NAMES: [keyof Omit<LabTrust, 'ctl' | 'itl'>, string, string][] = [
  ['sast', 'Dialtone Lab SAST', '51a57001'],
  ['cm1', 'cm1.lab.dialtone', '0c0a0001'],
  ['cm2', 'cm2.lab.dialtone', '0c0a0002'],
  ['rogue', 'rogue.lab.dialtone', '7e000001'],
];

let cache: LabTrust | null = null;

/** The lab's identities and lists (made once per process: certificates take ~0.1 s each). */
export function labTrust(): LabTrust {
  if (cache) return cache;
  const keys = (JSON.parse(readFileSync(LAB_TRUST_KEYS, 'utf8')) as { keys: Record<string, string> }).keys;
  const ids = {} as Record<string, LabIdentity>;
  for (const [id, cn, serial] of NAMES) {
    const keyPem = keys[id];
    const cert = makeCert({
      key: keyPem, subject: [['CN', cn], ['O', 'Dialtone Lab'], ['OU', 'Voice']], serial,
      notBefore: new Date(LAB_TRUST_TIME * 1000), notAfter: new Date(Date.UTC(2045, 0, 1)),
    });
    ids[id] = { name: id, key: createPrivateKey(keyPem), keyPem, cert, certPem: toPem(cert) };
  }
  const { sast, cm1, cm2, rogue } = ids;
  const ctl = buildTrustList({
    signer: { cert: sast.cert, key: sast.key }, filename: 'CTLFile.tlv', timestamp: LAB_TRUST_TIME,
    records: [{ cert: sast.cert, role: ROLE_SAST }, { cert: cm1.cert, role: ROLE_CCM_TFTP }, { cert: cm2.cert, role: ROLE_CCM }],
  });
  const itl = buildTrustList({
    signer: { cert: cm1.cert, key: cm1.key }, filename: 'ITLFile.tlv', timestamp: LAB_TRUST_TIME,
    records: [{ cert: cm1.cert, role: ROLE_SAST }, { cert: cm1.cert, role: ROLE_CCM_TFTP }, { cert: cm2.cert, role: ROLE_CCM }],
  });
  cache = { sast, cm1, cm2, rogue, ctl, itl };
  return cache;
}

/** `content` signed by cm1 as `name` (the file the phone asks for is `name`.sgn). */
export function labSign(name: string, content: Uint8Array, digest?: DigestName): Uint8Array {
  const t = labTrust();
  return signFile({ signer: { cert: t.cm1.cert, key: t.cm1.key }, content, filename: name, timestamp: LAB_TRUST_TIME, digest });
}
