/**
 * `dialtone ota serve --root DIR [--port N] [--address A]`: a TFTP server for phones on a
 * real network (or for development), every option of the phone's client (blksize, tsize,
 * timeout, windowsize), one log line per transfer, until Ctrl-C. A thin CLI over
 * serve.ts's `startOtaServer`.
 */
import { parseArgs } from 'node:util';
import { statSync } from 'node:fs';
import { UserError, runIfMain } from '../errors';
import { startOtaServer, type OtaServeOptions } from './serve';

const USAGE = `usage: dialtone ota serve --root DIR [options]

Serve the files under DIR over TFTP (RFC 1350, options blksize, tsize, timeout and
windowsize). Read only; names cannot leave DIR. One line per transfer on stdout.

options:
  --root DIR           directory to serve (required)
  --port N             UDP port (0: any free one)                      [69]
  --address A          local IPv4 address to listen on                 [0.0.0.0]
  --max-blksize N      largest blksize granted (1468 fits one Ethernet frame) [1468]
  --max-sessions N     transfers at once; more requests wait their turn [64]
  -h, --help           this text`;

export interface OtaServeArgs {
  root: string;
  port: number;
  address: string;
  maxBlksize: number;
  maxSessions: number;
}

function intArg(name: string, v: string | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new UserError(`ota serve: --${name} wants a whole number ${min}..${max}, got '${v}'`, 2);
  return n;
}

/** Normalize argv once; every mistake is a one-line UserError. */
export function parseServeArgs(argv: string[]): OtaServeArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        root: { type: 'string' },
        port: { type: 'string' },
        address: { type: 'string' },
        'max-blksize': { type: 'string' },
        'max-sessions': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new UserError(`ota serve: ${(err as Error).message}`, 2);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  if (!v.root) throw new UserError('ota serve: --root DIR is required', 2);
  let isDir = false;
  try {
    isDir = statSync(v.root).isDirectory();
  } catch {
    throw new UserError(`ota serve: --root ${v.root}: no such directory`, 2);
  }
  if (!isDir) throw new UserError(`ota serve: --root ${v.root} is not a directory`, 2);
  const address = v.address ?? '0.0.0.0';
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(address) || address.split('.').some((x) => Number(x) > 255)) {
    throw new UserError(`ota serve: --address wants an IPv4 address, got '${address}'`, 2);
  }
  return {
    root: v.root,
    port: intArg('port', v.port, 69, 0, 65535),
    address,
    maxBlksize: intArg('max-blksize', v['max-blksize'], 1468, 8, 65464),
    maxSessions: intArg('max-sessions', v['max-sessions'], 64, 1, 4096),
  };
}

async function serve(argv: string[]): Promise<number> {
  const a = parseServeArgs(argv);
  if (a === 'help') {
    console.log(USAGE);
    return 0;
  }
  const opts: OtaServeOptions = {
    root: a.root, port: a.port, address: a.address, maxBlksize: a.maxBlksize, maxSessions: a.maxSessions,
    log: (line) => console.log(`${new Date().toISOString()} ${line}`),
  };
  let server;
  try {
    server = await startOtaServer(opts);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES') throw new UserError(`ota serve: port ${a.port} needs root (try --port 6969)`);
    if (code === 'EADDRINUSE') throw new UserError(`ota serve: ${a.address}:${a.port} is in use (another TFTP server?)`);
    if (code === 'EADDRNOTAVAIL') throw new UserError(`ota serve: ${a.address} is not an address of this machine`);
    throw err;
  }
  console.log(`ota serve: serving ${a.root} on ${server.address}:${server.port} (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  console.log(`ota serve: stopped after ${server.core.counters.sessions} transfers`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const sub = argv[0];
  if (!sub || sub === '-h' || sub === '--help') {
    console.log('usage: dialtone ota serve --root DIR [--port N] [--address A]\n\n  serve   a TFTP server for phones (serve --help for options)');
    return sub ? 0 : 2;
  }
  if (sub === 'serve') return serve(argv.slice(1));
  throw new UserError(`ota: unknown subcommand '${sub}' (try: ota serve --help)`, 2);
}

runIfMain(import.meta.url, 'ota', run);
