/**
 * Packet captures and tshark checks for interop tests.
 *
 * `startCapture` runs tcpdump inside a lab namespace on one interface (usually the
 * segment's tap, which carries exactly the frames crossing the bridge). Per
 * reference/interop.md it uses `--immediate-mode -U` (else a short test captures nothing)
 * and is stopped with SIGINT so the file is flushed.
 *
 * The tshark checks of a capture are test/tshark.ts (`tsharkReport`), re-exported here.
 */
import type { NetnsLab } from '../../../tools/bridge/lab';
import type { Daemon } from '../../../tools/bridge/proc';

export interface Capture {
  file: string;
  daemon: Daemon;
  /** SIGINT, wait for tcpdump to flush and exit; returns the file. */
  stop(): Promise<string>;
}

/** Start tcpdump in `netns` on `iface`, writing `file`; resolves once it is listening. */
export async function startCapture(lab: NetnsLab, netns: string, iface: string, file: string, filter: string[] = []): Promise<Capture> {
  const daemon = lab.spawn(netns, 'tcpdump', ['--immediate-mode', '-U', '-Z', 'root', '-i', iface, '-n', '-s', '0', '-w', file, ...filter], `tcpdump ${iface}`);
  await daemon.waitForOutput(/listening on/, 10_000);
  return {
    file,
    daemon,
    stop: async () => {
      await daemon.stop('SIGINT', 5_000);
      return file;
    },
  };
}
