/**
 * `dialtone <command>`: a thin dispatcher. Each command lives in its own module under tools/
 * exporting `run(argv: string[]): Promise<number>` (the exit code). Expected user errors are
 * thrown as UserError and print one line; anything else is a bug and prints a stack.
 */
import { UserError } from './errors';

interface CommandEntry {
  module: string;
  summary: string;
}

// Static table so the bundle of commands is visible in one place; modules load lazily.
const COMMANDS: Record<string, CommandEntry> = {
  start: { module: './start/cli.ts', summary: 'boot a simulated phone in the lab (--pcap FILE, --seed N)' },
  build: { module: './build/cli.ts', summary: 'bundle dist/firmware.js, dist/bootloader.js and dist/recovery.js (--trust KEY.pub, --release)' },
  target: { module: './target/cli.ts', summary: 'run the built bundles in QuickJS or XS against the lab under a memory gate' },
  keygen: { module: './image/keygen.ts', summary: 'make an Ed25519 signing key' },
  sign: { module: './image/sign.ts', summary: 'sign a firmware bundle into a flashable image' },
  image: { module: './image/cli.ts', summary: 'image show|verify IMAGE' },
  flash: { module: './flash/cli.ts', summary: 'flash an image over a serial port (--port PATH IMAGE)' },
  board: { module: './board/cli.ts', summary: 'run a simulated board whose loader listens on a serial device' },
  bridge: { module: './bridge/cli.ts', summary: 'bridge a simulated port to a Linux network namespace' },
  lab: { module: './lab/cli.ts', summary: 'run the lab: switch, servers and phones' },
  ota: { module: './ota/cli.ts', summary: 'ota serve --root DIR: a TFTP server for phones (--port N, --address A)' },
  config: { module: './config/cli.ts', summary: 'config show FILE: the configuration a phone reads, as JSON' },
  ctl: { module: './ctl/cli.ts', summary: 'ctl show|build|sign|lab: CTL/ITL trust lists and signed (.sgn) files' },
};

function usage(): string {
  const lines = ['usage: dialtone <command> [options]', '', 'commands:'];
  for (const name of Object.keys(COMMANDS)) lines.push(`  ${name.padEnd(8)} ${COMMANDS[name].summary}`);
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const name = argv[0];
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    console.error(`dialtone: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const mod = (await import(entry.module)) as { run(argv: string[]): Promise<number> };
  return mod.run(argv.slice(1));
}

const isMain = process.argv[1] && /tools[\\/]cli\.ts$/.test(process.argv[1]);
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UserError) {
        console.error(`dialtone: ${err.message}`);
        process.exit(err.exitCode);
      }
      console.error(err);
      process.exit(70);
    },
  );
}
