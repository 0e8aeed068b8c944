/**
 * `useBridge`: the bridge and a temp folder for one describe block, made in beforeAll and
 * torn down in afterAll (namespaces, taps, processes, files), even when a test failed.
 */
import { beforeAll, afterAll } from 'vitest';
import { createBridge, type Bridge, type BridgeOptions } from '../../../tools/bridge/index';
import { tempDir, type TempDir } from './tmp';

export interface BridgeFixture {
  /** The bridge (throws when beforeAll did not bring it up). */
  readonly br: Bridge;
  readonly tmp: TempDir;
}

export interface UseBridgeOptions {
  tmpPrefix?: string;
  /** More setup once the bridge is up (captures, servers, the phone's stack). */
  setup?: (br: Bridge, tmp: TempDir) => unknown;
}

export function useBridge(options: BridgeOptions, more: UseBridgeOptions = {}): BridgeFixture {
  let br: Bridge | null = null;
  const tmp = tempDir(more.tmpPrefix);
  beforeAll(async () => {
    br = await createBridge(options);
    if (more.setup) await more.setup(br, tmp);
  }, 30_000);
  afterAll(async () => {
    await br?.close();
    tmp.cleanup();
  });
  return {
    get br(): Bridge {
      if (!br) throw new Error('the bridge is not up (its beforeAll failed)');
      return br;
    },
    tmp,
  };
}
