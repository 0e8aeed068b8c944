/**
 * `dialtone config show FILE`: the typed configuration as JSON (exit 0), or the error
 * with file, line and column (exit 1); --model and --base; usage errors.
 */
import { describe, it, expect, vi, afterEach } from 'vitest';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../tools/config/cli';
import { main } from '../../../tools/cli';
import { UserError } from '../../../tools/errors';
import { haveFixtures, fixture } from '../../fixtures';

const dir = mkdtempSync(path.join(os.tmpdir(), 'dialtone-config-cli-'));
afterEach(() => vi.restoreAllMocks());

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out.push(a.join(' ')); });
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { err.push(a.join(' ')); });
  const code = await run(argv);
  vi.restoreAllMocks();
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('dialtone config show', () => {
  it.skipIf(!haveFixtures)('prints a real file as JSON; --model keeps one device type', async () => {
    const r = await capture(['show', fixture('chan-sccp__XMLDefault.cnf.xml'), '--model', '115']);
    expect(r.code).toBe(0);
    const c = JSON.parse(r.out);
    expect(c.kind).toBe('default');
    expect(c.loads).toEqual([{ type: 115, model: 'Cisco 7941', load: 'SCCP41.9-3-1SR4-1S' }]);
    const a = await capture(['show', fixture('chan-sccp__SEP0000000000.cnf.xml_annotated')]);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.out).dropped).toBe(4);
  });

  it('prints the error with file:line:col and exits 1', async () => {
    const p = file('SEP001122334455.cnf.xml', '<device>\n  <deviceSecurityMode>7</deviceSecurityMode>\n</device>\n');
    const r = await capture(['show', p]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(`${p}:2:24: malformed: bad <deviceSecurityMode>`);
  });

  it('reads the legacy text form, over a --base SIPDefault.cnf', async () => {
    const base = file('SIPDefault.cnf', 'proxy1_address: "10.0.0.5"\ntime_zone: EST\n');
    const mac = file('SIP001122334455.cnf', 'line1_name: "1001"\n');
    const r = await capture(['show', mac, '--base', base]);
    expect(r.code).toBe(0);
    const c = JSON.parse(r.out);
    expect(c.sip.lines[0]).toMatchObject({ name: '1001', proxy: '10.0.0.5' });
    expect(c.timeZone).toBe('EST');
    // A file with another name is recognised by its content.
    expect((await capture(['show', file('plain.txt', 'image_version: X1\n')])).code).toBe(0);
    expect(JSON.parse((await capture(['show', file('odd-name', ' <device/>')])).out).kind).toBe('sep');
  });

  it('usage errors are one line', async () => {
    await expect(run(['show'])).rejects.toThrow(UserError);
    await expect(run(['show', path.join(dir, 'missing.xml')])).rejects.toThrow(/no such file/);
    await expect(run(['show', 'x', '--model', 'abc'])).rejects.toThrow(/device type/);
    expect((await capture(['--help'])).out).toMatch(/usage: dialtone config show/);
  });

  it('is a dialtone command', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await main(['--help']);
    expect(log.mock.calls.flat().join('\n')).toMatch(/config +config show FILE/);
  });
});

process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
