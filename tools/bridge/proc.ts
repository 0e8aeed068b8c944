/**
 * Running host commands for the bridge and the interop tests: one-shot commands (`sh`) and
 * long-running daemons (`Daemon`) that are tracked so that teardown can stop every process
 * it started, by PID, and nothing else.
 *
 * `ip netns exec NS cmd` execs `cmd` in place (iproute2 forks only in batch mode), so the
 * PID of a daemon started through it is the daemon's own PID and signals reach it directly.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface ShResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ShOptions {
  /** Run inside this network namespace (through `ip netns exec`). */
  netns?: string;
  /** Bytes written to stdin. */
  input?: string | Uint8Array;
  /** Kill the command after this many ms (default 30 s) and fail. */
  timeoutMs?: number;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  allowFail?: boolean;
}

/** Thrown when a command exits non-zero (or cannot start, or times out). */
export class CommandError extends Error {
  readonly result: ShResult;
  constructor(message: string, result: ShResult) {
    super(message);
    this.name = 'CommandError';
    this.result = result;
  }
}

function wrap(cmd: string, args: readonly string[], netns?: string): [string, string[]] {
  return netns ? ['ip', ['netns', 'exec', netns, cmd, ...args]] : [cmd, [...args]];
}

/** Run a command to completion; throws CommandError on failure unless `allowFail`. */
export function sh(cmd: string, args: readonly string[], opts: ShOptions = {}): Promise<ShResult> {
  const [file, argv] = wrap(cmd, args, opts.netns);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new CommandError(`${file} ${argv.join(' ')}: ${err.message}`, { code: -1, stdout, stderr }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? -1, stdout, stderr };
      if (timedOut) {
        reject(new CommandError(`${file} ${argv.join(' ')}: timed out after ${opts.timeoutMs ?? 30_000} ms`, result));
      } else if (result.code !== 0 && !opts.allowFail) {
        const why = signal ? `killed by ${signal}` : `exit ${result.code}`;
        reject(new CommandError(`${file} ${argv.join(' ')}: ${why}: ${stderr.trim() || stdout.trim()}`, result));
      } else {
        resolve(result);
      }
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** Synchronous variant for exit handlers (where no event loop turn is left); never throws. */
export function shSync(cmd: string, args: readonly string[]): number {
  const r = spawnSync(cmd, [...args], { stdio: 'ignore', timeout: 5_000 });
  return r.status ?? -1;
}

/** True when `name` is an executable on PATH (or in /usr/sbin, /sbin for root tools). */
export function hasCommand(name: string): boolean {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin']);
  for (const d of dirs) {
    if (!d) continue;
    try {
      accessSync(join(d, name), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export interface DaemonOptions {
  netns?: string;
  /** A short name for messages (default: the command). */
  name?: string;
  /** Keep at most this many characters of each output stream (default 64 KiB). */
  keepOutput?: number;
}

/**
 * A long-running process: output kept (bounded) for diagnostics and for `waitForOutput`,
 * exit observed, stopped by signal with a bounded grace period and then SIGKILL.
 */
export class Daemon {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
  private out = '';
  private err = '';
  private done = false;
  private watchers: Array<() => void> = [];

  constructor(cmd: string, args: readonly string[], opts: DaemonOptions = {}) {
    const [file, argv] = wrap(cmd, args, opts.netns);
    this.name = opts.name ?? cmd;
    const keep = opts.keepOutput ?? 65_536;
    this.child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (this.child.pid === undefined) {
      // spawn failures surface as an 'error' event; keep a PID of 0 so stop() is a no-op.
      this.pid = 0;
    } else {
      this.pid = this.child.pid;
    }
    const keepTail = (s: string): string => (s.length > keep ? s.slice(s.length - keep) : s);
    this.child.stdout!.on('data', (d: Buffer) => {
      this.out = keepTail(this.out + d.toString());
      this.notify();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.err = keepTail(this.err + d.toString());
      this.notify();
    });
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.err += `\n[spawn error] ${e.message}`;
        this.done = true;
        this.notify();
        resolve(-1);
      });
      this.child.on('exit', (code, signal) => {
        this.done = true;
        this.notify();
        resolve(code ?? signal ?? -1);
      });
    });
  }

  get running(): boolean {
    return !this.done;
  }

  /** Everything kept from stdout and stderr. */
  output(): string {
    return this.out + (this.err ? '\n' + this.err : '');
  }

  private notify(): void {
    const w = this.watchers;
    this.watchers = [];
    for (const f of w) f();
  }

  /**
   * Resolve when stdout or stderr matches `pattern`; reject when the process exits first or
   * after `timeoutMs`. Used to know a daemon is ready without sleeping.
   */
  waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${this.name}: no output matching ${pattern} within ${timeoutMs} ms; output:\n${this.output()}`));
      }, timeoutMs);
      const check = (): void => {
        const m = this.output().match(pattern);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        } else if (this.done) {
          clearTimeout(timer);
          reject(new Error(`${this.name}: exited before printing ${pattern}; output:\n${this.output()}`));
        } else {
          this.watchers.push(check);
        }
      };
      check();
    });
  }

  /**
   * Send `signal` (default SIGTERM), wait up to `graceMs` for the exit, then SIGKILL.
   * Resolves with the exit status; safe to call more than once.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 3_000): Promise<number | string> {
    if (this.done || this.pid === 0) return this.exited;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        try {
          process.kill(this.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        resolve();
      }, graceMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    return this.exited;
  }

  /** Last-resort synchronous kill for exit handlers. */
  killSync(): void {
    if (this.done || this.pid === 0) return;
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
