/**
 * The TFTP server on real sockets (node:dgram): the core of server.ts serving a directory,
 * one UDP socket per session bound to an ephemeral port (the session's transfer ID),
 * driven by the firmware's Driver on a wall clock. `dialtone ota serve` is a thin CLI over
 * `startOtaServer`; tests and benchmarks call it directly.
 *
 * Files: `dirSource(root)` resolves a requested name inside `root` only: the name is
 * normalized (leading '/' dropped, '\' as '/', any '..' segment refused), then its real
 * path (symlinks resolved) must still lie inside the root's real path, and it must be a
 * regular file. Anything else is ERROR 2 (access violation); a missing file ERROR 1.
 */
import dgram from 'node:dgram';
import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../hal/clock';
import { Driver } from '../../firmware/driver';
import { ERR_ACCESS, ERR_NOT_FOUND, PORT } from '../../firmware/tftp/wire';
import { ipToString, parseIp } from '../../lib/bytes';
import { TftpServerCore, describeTransfer, normalizeName, type FileSource, type ServerKnobs, type ServerOutput, type ServerEvent, type TransferRecord } from './server';

/** A directory as a FileSource, safe against path traversal. */
export function dirSource(root: string): FileSource {
  const realRoot = realpathSync(root);
  return {
    open(name) {
      const n = normalizeName(name);
      if (n === null) return { error: ERR_ACCESS, message: 'access violation' };
      const full = path.resolve(realRoot, n);
      let real: string;
      try {
        real = realpathSync(full);
      } catch {
        return { error: ERR_NOT_FOUND, message: 'file not found' };
      }
      if (!real.startsWith(realRoot + path.sep)) return { error: ERR_ACCESS, message: 'access violation' };
      let fd: number;
      try {
        if (!statSync(real).isFile()) return { error: ERR_ACCESS, message: 'not a file' };
        fd = openSync(real, 'r');
      } catch {
        return { error: ERR_ACCESS, message: 'cannot read' };
      }
      const size = fstatSync(fd).size;
      return {
        size,
        read(offset, buf, at, len) {
          return len <= 0 ? 0 : readSync(fd, buf, at, len, offset);
        },
        close() {
          closeSync(fd);
        },
      };
    },
  };
}

/** A Clock on the wall: integer ms since the server started, Node timers. */
export function wallClock(): Clock {
  const t0 = performance.now();
  const timers = new Map<number, NodeJS.Timeout>();
  let next = 1;
  return {
    now: () => Math.floor(performance.now() - t0),
    setTimer(delayMs, cb) {
      const id = next++;
      timers.set(id, setTimeout(() => {
        timers.delete(id);
        cb();
      }, delayMs));
      return id;
    },
    clearTimer(id) {
      const t = timers.get(id);
      if (t) clearTimeout(t);
      timers.delete(id);
    },
  };
}

export interface OtaServeOptions extends ServerKnobs {
  root: string;
  /** Default 69; 0 picks a free port. */
  port?: number;
  /** Default 0.0.0.0. */
  address?: string;
  maxSessions?: number;
  timeoutMs?: number;
  retries?: number;
  /** One line per finished transfer. */
  log?: (line: string) => void;
}

export interface OtaServer {
  address: string;
  port: number;
  core: TftpServerCore;
  transfers: TransferRecord[];
  close(): Promise<void>;
}

function bindSocket(sock: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    sock.once('error', onError);
    sock.bind({ port, address, exclusive: true }, () => {
      sock.off('error', onError);
      resolve();
    });
  });
}

/** Serve `root` over TFTP until `close()`. Rejects when the port cannot be bound. */
export async function startOtaServer(opts: OtaServeOptions): Promise<OtaServer> {
  const address = opts.address ?? '0.0.0.0';
  const files = dirSource(opts.root);
  const clock = wallClock();
  const core = new TftpServerCore({ ...opts, files });
  const socks = new Map<number, dgram.Socket>();
  /** Sends not yet handed to the kernel, per socket: close waits for them (an ERROR, then close). */
  const pending = new Map<dgram.Socket, number>();
  const closing = new Set<dgram.Socket>();
  const sent = (s: dgram.Socket): void => {
    const n = (pending.get(s) ?? 1) - 1;
    pending.set(s, n);
    if (n === 0 && closing.has(s)) {
      closing.delete(s);
      pending.delete(s);
      s.close();
    }
  };
  const transfers: TransferRecord[] = [];
  let driver: Driver<ServerOutput, ServerEvent> | null = null;
  const kick = (): void => driver?.kick();
  const ipOf = (a: string): number => parseIp(a) ?? 0;
  const out: ServerOutput = {
    send(id, ip, port, data) {
      let s = socks.get(id);
      if (!s) {
        s = dgram.createSocket('udp4');
        const sock = s;
        sock.on('message', (msg, rinfo) => {
          core.process(id, new Uint8Array(msg.buffer, msg.byteOffset, msg.length), ipOf(rinfo.address), rinfo.port, clock.now());
          kick();
        });
        sock.on('error', () => undefined);
        // Sends issued while binding are queued by dgram and leave from the bound port.
        sock.bind({ port: 0, address, exclusive: true });
        socks.set(id, sock);
      }
      // dgram keeps a reference to the buffer until sent: copy the reused session buffer.
      const sock = s;
      pending.set(sock, (pending.get(sock) ?? 0) + 1);
      sock.send(Buffer.from(data), port, ipToString(ip), () => sent(sock));
      return true;
    },
    close(id) {
      const s = socks.get(id);
      socks.delete(id);
      if (!s) return;
      if ((pending.get(s) ?? 0) > 0) closing.add(s);
      else {
        pending.delete(s);
        s.close();
      }
    },
  };
  const main = dgram.createSocket('udp4');
  main.on('message', (msg, rinfo) => {
    core.request(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), ipOf(rinfo.address), rinfo.port, clock.now());
    kick();
  });
  await bindSocket(main, opts.port ?? PORT, address);
  main.on('error', () => undefined);
  driver = new Driver(clock, core, out, (e) => {
    if (e.kind !== 'end') return;
    if (transfers.length >= 1000) transfers.shift();
    transfers.push(e.t);
    opts.log?.(describeTransfer(e.t, ipToString));
  });
  driver.start();
  const d = driver;
  return {
    address,
    port: main.address().port,
    core,
    transfers,
    close: async () => {
      d.stop();
      for (const s of [...socks.values(), ...closing]) s.close();
      socks.clear();
      closing.clear();
      await new Promise<void>((resolve) => main.close(() => resolve()));
    },
  };
}
