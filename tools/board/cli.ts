/**
 * `dialtone board --serial PATH [--trust KEY.pub]... [--flash FILE] [--image IMAGE] [--baud N]
 * [--exit-after-start]`: run a simulated board (tools/board/board.ts) whose loader trusts
 * the keys given (default: the development key) and listens on the serial device PATH in
 * real time; its log and display print to stdout. With an empty flash the loader
 * finds no image and enters serial recovery, so `dialtone flash --port OTHER_END IMAGE`
 * can flash it over a pty pair:
 *
 *   socat pty,raw,echo=0,link=/tmp/board pty,raw,echo=0,link=/tmp/host &
 *   dialtone board --serial /tmp/board &
 *   dialtone flash --port /tmp/host image.bin
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { UserError } from '../errors';
import { openPort } from '../flash/cli';
import { startBoard } from './board';
import { readPublicKey, configForKeys } from '../image/trust';
import { devKey } from '../image/lib';

const USAGE = `usage: dialtone board --serial PATH [options]

Run a simulated board whose bootstrap loader listens on a serial device.

options:
  --serial PATH       serial device the board's console is on (one end of a pty pair)  required
  --trust KEY.pub     a key the board's loader trusts (repeat for several)   the development key
  --baud N            console line rate                                          115200
  --flash FILE        keep the board's flash in FILE (loaded at start, saved at each reset and exit)
  --image IMAGE       write this signed image into slot A (confirmed) before power-on
  --inactivity S      serial recovery's inactivity timeout                      30
  --exit-after-start  exit once the loader has started an image
  -h, --help          this text`;

const LEVELS = ['debug', 'info', 'warn', 'error'];

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        serial: { type: 'string' },
        trust: { type: 'string', multiple: true },
        baud: { type: 'string', default: '115200' },
        flash: { type: 'string' },
        image: { type: 'string' },
        inactivity: { type: 'string', default: '30' },
        'exit-after-start': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    throw new UserError(`board: ${(e as Error).message}\n${USAGE}`, 2);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  if (!v.serial) throw new UserError(`board: --serial PATH is required\n${USAGE}`, 2);
  const baud = Number(v.baud);
  if (!Number.isInteger(baud) || baud < 300) throw new UserError(`board: --baud ${v.baud}: a whole number, at least 300`, 2);
  const inactivity = Number(v.inactivity);
  if (!(inactivity > 0)) throw new UserError(`board: --inactivity ${v.inactivity}: seconds, more than 0`, 2);
  let image: Uint8Array | undefined;
  if (v.image) {
    try {
      image = new Uint8Array(readFileSync(v.image));
    } catch (e) {
      throw new UserError(`cannot read image ${v.image}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const trusted = (v.trust ?? []).map(readPublicKey);
  const config = configForKeys(trusted.length > 0 ? trusted : [devKey()]);
  const port = await openPort(v.serial, baud);
  process.stdout.write(`board: console on ${v.serial} at ${baud} baud${v.flash ? `, flash in ${v.flash}` : ''}; ` +
    `loader trusts ${trusted.length > 0 ? (v.trust ?? []).join(', ') : 'the development key'}\n`);
  const t = (ms: number) => (ms / 1000).toFixed(3).padStart(9);
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => { finish = resolve; });
  const board = startBoard(port, {
    flashFile: v.flash,
    config,
    image,
    baud,
    inactivityMs: inactivity * 1000,
    onLog: (e) => {
      const lvl = LEVELS[e.level] ?? String(e.level);
      const tag = e.level >= 2 ? pc.yellow(`${lvl} ${e.tag}`) : `${lvl} ${e.tag}`;
      process.stdout.write(`${t(e.t)} ${tag}: ${e.message}\n`);
    },
    onDisplay: (line, text, at) => {
      process.stdout.write(`${t(at)} ${pc.cyan(`display[${line}]`)} ${JSON.stringify(text)}\n`);
    },
    onImageStarted: () => {
      if (v['exit-after-start']) finish(0);
    },
  });
  const onSignal = () => finish(0);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const code = await done;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  board.stop();
  await new Promise<void>((resolve) => port.close(() => resolve()));
  return code;
}
