/**
 * `dialtone bridge` option handling (no root needed): options are normalized once, and
 * every user mistake is a UserError (one line, exit code 2), never a stack.
 */
import { describe, expect, it } from 'vitest';
import { parseBridgeArgs } from '../../../tools/bridge/cli';
import { UserError } from '../../../tools/errors';

describe('dialtone bridge options', () => {
  it('defaults to one native segment in switch mode', () => {
    const o = parseBridgeArgs([]);
    expect(o).toMatchObject({ address: '10.77.0.1/24', vlans: [], client: null, mode: 'switch', phone: null, listen: null });
  });

  it('derives a VLAN segment address from its VID, or takes one', () => {
    const o = parseBridgeArgs(['--vlan', '100', '--vlan', '300=10.88.0.1/24']);
    expect(o !== 'help' && o.vlans).toEqual([{ vid: 100, address: '10.77.100.1/24' }, { vid: 300, address: '10.88.0.1/24' }]);
  });

  it.each([
    [['--vlan', '0'], /VID 1..4094/],
    [['--vlan', '4095'], /VID 1..4094/],
    [['--vlan', '300'], /needs an address/],
    [['--address', '10.77.0.1'], /A\.B\.C\.D\/N/],
    [['--mode', 'hub'], /switch or direct/],
    [['--mode', 'direct', '--vlan', '100'], /needs --mode switch/],
    [['--phone', '10.77.0.2/24', '--listen', '4000'], /exclude each other/],
    [['--listen', '70000'], /UDP port/],
    [['--prefix', 'Way-Too-Long-Prefix'], /prefix/],
    [['--bogus'], /Unknown option/],
  ])('rejects %j with a one-line UserError', (argv, message) => {
    let err: unknown = null;
    try {
      parseBridgeArgs(argv as string[]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(2);
    expect((err as UserError).message).toMatch(message);
    expect((err as UserError).message).not.toContain('\n');
  });

  it('answers --help', () => {
    expect(parseBridgeArgs(['--help'])).toBe('help');
  });
});
