import { FileCheckpointStore } from '../../src/checkpoints/file-store';
import { MemoryCheckpointStore } from '../../src/checkpoints/memory-store';
import type { CheckpointStore } from '../../src/checkpoints/store';
import { makeTempDir } from '../support/runtime';

export interface StoreFixture {
  store: CheckpointStore;
  cleanup: () => Promise<void>;
}

/** The embedded stores every workflow test runs over. */
export const EMBEDDED_STORES: Array<[name: string, make: () => Promise<StoreFixture>]> = [
  ['memory store', async () => ({ store: new MemoryCheckpointStore(), cleanup: async () => {} })],
  [
    'file store',
    async () => {
      const { directory, cleanup } = await makeTempDir('workflow-test');
      return { store: new FileCheckpointStore({ directory }), cleanup };
    },
  ],
];
