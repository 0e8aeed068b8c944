import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../../hal/sim/scheduler';
import { SimBoard, type SimBoardOptions } from '../../../hal/sim/board';
import { SimNic } from '../../../hal/sim/ether';
import { SimSwitch } from '../../../hal/sim/switch';
import { SimFlash } from '../../../hal/sim/flash';
import { PcapWriter, attachPcap } from '../../../hal/sim/pcap';
import type { Hal } from '../../../hal/index';
import { LOG_ERROR, RESET_CRASH, RESET_POWER_ON, RESET_WATCHDOG } from '../../../hal/system';
import { FLASH_OK } from '../../../hal/flash';
import { asciiBytes, bytesToAscii, hex } from '../../../lib/bytes';

const PHONE_MAC = new Uint8Array([0x00, 0x1e, 0x4a, 0x12, 0x34, 0x56]);
const PEER_MAC = new Uint8Array([0x00, 0x1e, 0x4a, 0x00, 0x00, 0x01]);

function rig(boot: (hal: Hal) => void, extra: Partial<SimBoardOptions> = {}, seed = 1) {
  const sched = new Scheduler(seed);
  const sw = new SimSwitch(sched, { ports: 2 });
  const board = new SimBoard(sched, { name: 'SEP001E4A123456', mac: PHONE_MAC, flash: 'tiny', boot, ...extra });
  const peer = new SimNic(sched, PEER_MAC);
  const peerRx: Uint8Array[] = [];
  peer.onReceive((f) => peerRx.push(f.slice()));
  sw.connect(0, board.nic);
  sw.connect(1, peer);
  return { sched, sw, board, peer, peerRx };
}

function frameTo(dst: Uint8Array, src: Uint8Array, tag: number): Uint8Array {
  const f = new Uint8Array(60);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x88;
  f[13] = 0xb5;
  f[14] = tag;
  return f;
}

describe('SimBoard life cycle', () => {
  it('boots at power-on, with the clock from 0 and the link coming up after autonegotiation', () => {
    const seen: string[] = [];
    const { sched, sw, board, peerRx } = rig((hal) => {
      seen.push(`boot ${hal.system.resetReason()} t=${hal.clock.now()} link=${hal.eth.linkUp()}`);
      hal.eth.onLinkChange((up) => {
        seen.push(`link ${up} t=${hal.clock.now()}`);
        hal.eth.send(frameTo(PEER_MAC, hal.eth.mac(), 1));
      });
      hal.display.setLine(0, 'Configuring VLAN');
      hal.system.log(1, 'boot', 'started');
    });
    sched.runFor(1000);
    expect(board.isOn()).toBe(false);
    expect(sw.linkUp(0)).toBe(false); // unpowered PHY: no link
    board.powerOn();
    sched.runFor(1000);
    expect(seen).toEqual(['boot power-on t=0 link=false', 'link true t=100']);
    expect(peerRx.length).toBe(1);
    expect(board.display.lines[0]).toBe('Configuring VLAN');
    expect(board.display.history).toEqual([{ t: 1000, line: 0, text: 'Configuring VLAN' }]);
    expect(board.logsMatching(/boot: started/)[0]).toMatchObject({ t: 1000, uptime: 0, tag: 'boot' });
    expect(board.boots).toEqual([{ t: 1000, reason: RESET_POWER_ON }]);
  });

  it('powerOff cancels every timer of the run and drops the link; powerOn starts afresh', () => {
    let ticks = 0;
    const boots: number[] = [];
    const { sched, sw, board } = rig((hal) => {
      boots.push(hal.clock.now());
      const tick = () => { ticks++; hal.clock.setTimer(100, tick); };
      hal.clock.setTimer(100, tick);
    });
    board.powerOn();
    sched.runFor(1050);
    expect(ticks).toBe(10);
    expect(sw.linkUp(0)).toBe(true);
    board.powerOff();
    expect(sw.linkUp(0)).toBe(false);
    expect(board.hal.clock.now()).toBe(0);
    sched.runFor(5000);
    expect(ticks).toBe(10);
    board.powerOn();
    sched.runFor(250);
    expect(ticks).toBe(12);
    expect(boots).toEqual([0, 0]);
  });

  it('system.reset does not return, ends the run and boots again with the reason', () => {
    const after: string[] = [];
    let oldTimerFired = false;
    const { sched, board } = rig((hal) => {
      if (hal.system.resetReason() !== 'requested') {
        hal.clock.setTimer(500, () => { oldTimerFired = true; });
        hal.clock.setTimer(10, () => {
          hal.system.reset('requested');
          after.push('returned from reset');
        });
      }
    });
    board.powerOn();
    sched.runFor(1000);
    expect(after).toEqual([]);
    expect(oldTimerFired).toBe(false);
    expect(board.boots.map((b) => [b.t, b.reason])).toEqual([[0, 'power-on'], [60, 'requested']]);
    expect(board.isOn()).toBe(true);
  });

  it('a crash is logged and resets with reason crash; the scheduler and other boards go on', () => {
    let otherTicks = 0;
    const { sched, board } = rig((hal) => {
      if (hal.system.resetReason() === RESET_POWER_ON) hal.clock.setTimer(20, () => { throw new TypeError('undefined is not a function'); });
    });
    const other = new SimBoard(sched, {
      name: 'other', mac: PEER_MAC, flash: 'tiny',
      boot: (hal) => { const t = () => { otherTicks++; hal.clock.setTimer(10, t); }; t(); },
    });
    other.powerOn();
    board.powerOn();
    sched.runFor(200);
    expect(board.resetReason()).toBe(RESET_CRASH);
    expect(board.crashes.length).toBe(1);
    const crashLog = board.logs.find((l) => l.level === LOG_ERROR);
    expect(crashLog?.message).toMatch(/crash: TypeError: undefined is not a function/);
    expect(otherTicks).toBe(21);
  });

  it('a power cut in the flash powers the board off; powerOn restores the flash', () => {
    const flash = new SimFlash('tiny');
    let writes = 0;
    const { sched, board } = rig((hal) => {
      hal.clock.setTimer(10, () => {
        for (let i = 0; i < 4; i++) {
          // (No expect() in here: the board's guard would turn its throw into a crash.)
          if (hal.flash.program(i * 4, new Uint8Array([1, 2, 3, 4])) === FLASH_OK) writes++;
        }
      });
    }, { flash });
    flash.cutPowerAt(3, 'before');
    board.powerOn();
    sched.runFor(100);
    expect(writes).toBe(2);
    expect(board.state).toBe('off');
    expect(flash.isPoweredOff()).toBe(true);
    expect(board.logsMatching(/power lost/).length).toBe(1);
    board.powerOn();
    sched.runFor(100);
    expect(writes).toBe(2 + 4); // programming the same bytes again is allowed
    expect(board.crashes.length).toBe(0);
    expect([...flash.snapshot().subarray(0, 16)]).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
  });

  it('the watchdog resets a board that stops feeding it', () => {
    let feeds = 0;
    const { sched, board } = rig((hal) => {
      if (hal.system.resetReason() === RESET_WATCHDOG) return;
      hal.system.watchdogStart(1000);
      const feed = () => {
        if (++feeds <= 10) {
          hal.system.watchdogFeed();
          hal.clock.setTimer(500, feed);
        }
      };
      hal.clock.setTimer(500, feed);
    });
    board.powerOn();
    sched.runFor(5000);
    expect(board.boots.length).toBe(1);
    sched.runFor(2000);
    // Last feed at 5000 ms, the 11th tick at 5500 ms does not feed: expiry at 6000 ms.
    expect(board.boots.map((b) => [b.t, b.reason])).toEqual([[0, 'power-on'], [6050, 'watchdog']]);
  });

  it('startImage drops the loader timers and runs the image with the same HAL', () => {
    const seen: string[] = [];
    const { sched, board } = rig((hal) => {
      hal.clock.setTimer(1000, () => seen.push('loader timer'));
      hal.clock.setTimer(10, () => {
        hal.system.startImage(0x10000, 1234);
        seen.push('loader after startImage');
      });
    }, {
      startImage: (hal, offset, length) => {
        seen.push(`image 0x${offset.toString(16)} ${length} reason=${hal.system.resetReason()} t=${hal.clock.now()}`);
      },
    });
    board.powerOn();
    sched.runFor(2000);
    expect(seen).toEqual(['loader after startImage', 'image 0x10000 1234 reason=power-on t=10']);
  });

  it('the console: the board echoes, bytes paced at baud/10 per second', () => {
    const { sched, board } = rig((hal) => {
      hal.serial.onData((b) => hal.serial.write(b));
    });
    board.powerOn();
    const got: { t: number; s: string }[] = [];
    board.serial.onData((b) => got.push({ t: sched.now(), s: bytesToAscii(b) }));
    board.serial.write(asciiBytes('x'.repeat(1152)));
    sched.runFor(1000);
    expect(got.map((g) => g.s).join('')).toBe('x'.repeat(1152));
    // 1152 bytes at 11520 bytes/s: 100 ms to the board; the echo trails by one 64-byte chunk.
    expect(got[got.length - 1].t).toBeCloseTo(100 + (64 * 10 * 1000) / 115200, 6);
  });

  it('entropy is seeded per board', () => {
    const draw = (seed: number) => {
      let out = '';
      const { sched, board } = rig((hal) => { const b = new Uint8Array(8); hal.entropy.fill(b); out = hex(b) + hal.entropy.u32(); }, { seed });
      board.powerOn();
      sched.run();
      return out;
    };
    expect(draw(5)).toBe(draw(5));
    expect(draw(5)).not.toBe(draw(6));
  });

  it('portable crypto on request', () => {
    const { board } = rig(() => undefined, { crypto: 'portable' });
    const h = board.hal.crypto.sha256();
    h.update(asciiBytes('abc'));
    expect(hex(h.digest()).slice(0, 8)).toBe('ba7816bf');
  });
});

describe('whole-run determinism', () => {
  /** Three boards chattering with entropy-driven timing and payloads through a faulty switch. */
  function run(seed: number): Uint8Array {
    const sched = new Scheduler(seed);
    const sw = new SimSwitch(sched, { ports: 3 });
    const pcap = new PcapWriter();
    attachPcap(sw, pcap);
    for (let i = 0; i < 3; i++) {
      const board = new SimBoard(sched, {
        name: 'b' + i, mac: new Uint8Array([0, 0x1e, 0x4a, 0, 0, i + 1]), flash: 'tiny',
        boot: (hal) => {
          const send = () => {
            const f = new Uint8Array(60 + (hal.entropy.u32() % 200));
            hal.entropy.fill(f);
            f.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 0);
            f.set(hal.eth.mac(), 6);
            f[12] = 0x88;
            f[13] = 0xb5;
            hal.eth.send(f);
            hal.clock.setTimer(1 + (hal.entropy.u32() % 50), send);
          };
          hal.eth.onLinkChange((up) => { if (up) send(); });
        },
      });
      sw.connect(i, board.nic, { loss: 0.1, reorder: 0.1, jitterMs: 1 });
      board.powerOn();
    }
    sched.runFor(2000);
    return pcap.toBytes();
  }

  it('one seed gives the same pcap bytes, another seed different ones', () => {
    const a = run(1);
    expect(a.length).toBeGreaterThan(10_000);
    expect(Buffer.compare(a, run(1))).toBe(0);
    expect(Buffer.compare(a, run(2))).not.toBe(0);
  });
});
