/**
 * The lab's TFTP server: the sans-IO core of tools/ota/server.ts on a lab host's
 * NetInterface (the firmware's own stack, UDP port 69 plus one ephemeral port per session,
 * the session's transfer ID), driven by the one Driver on the host's clock.
 *
 *   const tftp = attachTftpServer(lab.voiceServer.iface, { 'XMLDefault.cnf.xml': bytes });
 *   tftp.setFile('SEP001E4A123456.cnf.xml', bytes);    // or null to remove
 *   tftp.kill(); tftp.revive();                         // a server that dies / comes back
 *   tftp.transfers                                      // finished transfers, oldest first
 *
 * blksize is capped at 1468 (one unfragmented datagram: the stack does no reassembly),
 * lower with `maxBlksize`. Sessions are bounded by `maxSessions` and by the interface's
 * UDP socket table (NetOptions.udpSockets): a request that finds neither is dropped
 * unanswered and the phone's retransmission gets its turn.
 */
import { Driver } from '../../firmware/driver';
import type { NetInterface } from '../../firmware/net/iface';
import type { UdpSocket } from '../../firmware/net/udp';
import { UDP_MAX_PAYLOAD } from '../../firmware/net/udp';
import { PORT, HEADER_LEN } from '../../firmware/tftp/wire';
import { ipToString } from '../../lib/bytes';
import { TftpServerCore, mapSource, describeTransfer, type ServerKnobs, type ServerOutput, type ServerEvent, type TransferRecord } from '../ota/server';

export interface LabTftpOptions extends ServerKnobs {
  maxSessions?: number;
  timeoutMs?: number;
  retries?: number;
  /** One line per finished transfer. */
  log?: (line: string) => void;
}

/** Finished transfers kept in `transfers`. */
export const MAX_RECORDS = 1000;

export class LabTftpServer {
  readonly core: TftpServerCore;
  readonly transfers: TransferRecord[] = [];
  private readonly files: ReturnType<typeof mapSource>;
  private readonly driver: Driver<ServerOutput, ServerEvent>;
  private readonly socks = new Map<number, UdpSocket>();
  private readonly main: UdpSocket;

  constructor(iface: NetInterface, files: Map<string, Uint8Array> | Record<string, Uint8Array>, options: LabTftpOptions = {}) {
    this.files = mapSource(files);
    const cap = UDP_MAX_PAYLOAD - HEADER_LEN;
    const core = new TftpServerCore({
      ...options,
      files: this.files,
      maxBlksize: Math.min(options.maxBlksize ?? cap, cap),
    });
    this.core = core;
    const clock = iface.clock;
    const out: ServerOutput = {
      send: (id, ip, port, data) => {
        let s = this.socks.get(id);
        if (!s) {
          s = iface.udpOpen(0, (d, srcIp, srcPort) => {
            core.process(id, d, srcIp, srcPort, clock.now());
            this.driver.kick();
          }) ?? undefined;
          if (!s) return false;
          this.socks.set(id, s);
        }
        s.sendTo(ip, port, data);
        return true;
      },
      close: (id) => {
        this.socks.get(id)?.close();
        this.socks.delete(id);
      },
    };
    this.driver = new Driver(clock, core, out, (e) => {
      if (e.kind !== 'end') return;
      if (this.transfers.length >= MAX_RECORDS) this.transfers.shift();
      this.transfers.push(e.t);
      options.log?.(describeTransfer(e.t, ipToString));
    });
    const main = iface.udpOpen(PORT, (d, srcIp, srcPort) => {
      core.request(d, srcIp, srcPort, clock.now());
      this.driver.kick();
    });
    if (!main) throw new Error('lab tftp: UDP port 69 is taken on this host');
    this.main = main;
    this.driver.start();
  }

  /** Add, replace (bytes) or remove (null) a file. */
  setFile(name: string, data: Uint8Array | null): void {
    this.files.set(name, data);
  }

  /** Silence: sessions stop mid-transfer and requests go unanswered. */
  kill(): void {
    this.core.kill();
    this.driver.kick();
  }

  revive(): void {
    this.core.revive();
  }

  /** Close port 69 and every session port. */
  close(): void {
    this.driver.stop();
    this.main.close();
    for (const s of this.socks.values()) s.close();
    this.socks.clear();
  }
}

/** Serve `files` (name -> bytes) over TFTP on `iface`. */
export function attachTftpServer(iface: NetInterface, files: Map<string, Uint8Array> | Record<string, Uint8Array>, options?: LabTftpOptions): LabTftpServer {
  return new LabTftpServer(iface, files, options);
}
