import { describe } from 'node:test';
import { openTemp, removeDir } from './helpers.js';
import { leaseContract } from './leaseContract.js';

describe('lease on the local metadata store', () => {
  leaseContract(async () => {
    const { storage, dataDir } = await openTemp();
    return {
      a: storage.metadata,
      b: storage.metadata,
      prefix: '',
      done: async () => {
        await storage.close();
        removeDir(dataDir);
      },
    };
  });
});
