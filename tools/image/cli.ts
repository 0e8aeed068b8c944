/**
 * `dialtone image show IMAGE` and `dialtone image verify IMAGE --key KEY | --pub PUB`.
 * show prints the header, every TLV, the key id and the sizes (and does not need a key);
 * verify checks the hash and signature exactly as the loader does (flash/image.ts) and
 * exits 0 (valid) or 1 with the reason.
 */
import { parseArgs } from 'node:util';
import { UserError } from '../errors';
import { parseKey, hostCrypto, largestImage } from './lib';
import { readInput } from './sign';
import { bytesSource, readImageInfo, validateImage, trustedKey, versionToString, parseHeader } from '../../flash/image';
import { IMAGE_F_NON_BOOTABLE } from '../../flash/constants';
import { hex } from '../../lib/bytes';

const USAGE = 'usage: dialtone image show IMAGE\n       dialtone image verify IMAGE (--key KEY | --pub PUB)';

function show(path: string): number {
  const bytes = readInput(path, 'image');
  const h = parseHeader(bytes.length >= 64 ? bytes.subarray(0, 64) : bytes);
  if (!h.ok) throw new UserError(`${path}: not an image (${h.detail})`);
  const info = readImageInfo(bytesSource(bytes));
  const hd = h.value;
  const max = largestImage();
  const lines = [
    `image      ${path} (${bytes.length} bytes; the largest image a slot holds is ${max})`,
    `load ID    ${hd.loadId}`,
    `version    ${versionToString(hd.version)}`,
    `flags      0x${hd.flags.toString(16)}${hd.flags & IMAGE_F_NON_BOOTABLE ? ' (non-bootable)' : ''}`,
    `header     ${hd.hdrSize} bytes`,
    `payload    ${hd.payloadSize} bytes at offset ${hd.hdrSize}`,
    `protected  ${hd.protTlvSize} bytes at offset ${hd.hdrSize + hd.payloadSize}`,
  ];
  if (info.ok) {
    const i = info.value;
    lines.push(
      `  LOAD_ID (0xa0)     ${i.loadId}`,
      `  SEC_CNT (0x50)     ${i.securityCounter}`,
      `  BUILD_TIME (0xa1)  ${i.buildTime} (${new Date(i.buildTime * 1000).toISOString()})`,
      `unprotected ${i.imageSize - hd.hdrSize - hd.payloadSize - hd.protTlvSize} bytes`,
      `  SHA256 (0x10)      ${hex(i.hash)}`,
      `  KEYID (0x01)       ${hex(i.keyId)}`,
      `  ED25519 (0x24)     ${hex(i.signature).slice(0, 32)}...`,
      `total      ${i.imageSize} bytes${i.imageSize !== bytes.length ? ` (file has ${bytes.length - i.imageSize} extra)` : ''}`,
    );
  } else {
    lines.push(`TLVs       unreadable: ${info.detail}`);
  }
  console.log(lines.join('\n'));
  return info.ok ? 0 : 1;
}

function verify(path: string, keyPath: string): number {
  const key = parseKey(new TextDecoder().decode(readInput(keyPath, 'key')), keyPath);
  const bytes = readInput(path, 'image');
  const r = validateImage(bytesSource(bytes), hostCrypto, [trustedKey(hostCrypto, key.publicKey)]);
  if (!r.ok) {
    console.error(`${path}: INVALID: ${r.detail}`);
    return 1;
  }
  if (r.value.imageSize > largestImage()) {
    console.error(`${path}: INVALID: ${r.value.imageSize} bytes do not fit a ${largestImage()}-byte slot`);
    return 1;
  }
  console.log(`${path}: OK ${r.value.loadId} ${versionToString(r.value.header.version)}, security counter ${r.value.securityCounter}, key id ${hex(r.value.keyId)}`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const sub = argv[0];
  let args;
  try {
    args = parseArgs({ args: argv.slice(1), options: {
      key: { type: 'string', short: 'k' },
      pub: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    }, allowPositionals: true });
  } catch (e) {
    throw new UserError(`${(e as Error).message}\n${USAGE}`, 2);
  }
  if (sub === undefined || sub === '-h' || sub === '--help' || args.values.help) { console.log(USAGE); return sub ? 0 : 2; }
  if (args.positionals.length !== 1) throw new UserError(`one IMAGE expected\n${USAGE}`, 2);
  const path = args.positionals[0];
  if (sub === 'show') return show(path);
  if (sub === 'verify') {
    const k = args.values.key ?? args.values.pub;
    if (!k || (args.values.key && args.values.pub)) throw new UserError(`verify needs exactly one of --key KEY or --pub PUB\n${USAGE}`, 2);
    return verify(path, k);
  }
  throw new UserError(`unknown image command '${sub}'\n${USAGE}`, 2);
}
