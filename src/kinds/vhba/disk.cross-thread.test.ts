// The disk across real threads (spar-protocol.md §4.8): each IOSP incarnation is a worker that
// attaches to the memory the run allocated and is then terminated like a crashed IOSP. Only real
// threads show that the blocks and the planned fault live in the shared memory and not in some
// per-thread object. Worker: testing/disk-incarnation.worker.ts.

import { once } from 'node:events';
import { describe, expect, test } from 'vitest';
import { spawnWorker } from '../../runtime/workers/spawn-worker.js';
import { Disk } from './disk.js';
import {
  incarnationBlock,
  type IncarnationData,
  type IncarnationReport,
} from './testing/disk-incarnation.js';

async function incarnation(data: IncarnationData): Promise<IncarnationReport> {
  const worker = spawnWorker('./testing/disk-incarnation.worker', import.meta.url, {
    workerData: data,
  });
  try {
    const [report] = (await once(worker, 'message')) as [IncarnationReport];
    return report;
  } finally {
    await worker.terminate();
  }
}

describe('disk across threads', () => {
  test('three IOSP incarnations in turn each see the blocks of the crashed ones; a planned fault fires once', async () => {
    const spec = { name: 'shared', blocks: 16, blockSize: 4096 } as const;
    const allocated = Disk.allocate(spec);
    if (!allocated.ok) throw new Error(allocated.error.message);
    const disk = allocated.value;
    expect(disk.injectFailure({ op: 'read', lba: 9, count: 1, times: 1 }).ok).toBe(true);
    const reports: IncarnationReport[] = [];
    for (let n = 0; n < 3; n++) {
      reports.push(await incarnation({ spec, memory: disk.memory, incarnation: n, faultBlock: 9 }));
    }
    expect(reports).toEqual([
      { error: null, earlierIntact: [], faultRead: 'medium-error' },
      { error: null, earlierIntact: [true], faultRead: 'ok' },
      { error: null, earlierIntact: [true, true], faultRead: 'ok' },
    ]);
    for (let n = 0; n < 3; n++) {
      const block = disk.read(n, 1);
      expect(block.ok && block.value).toEqual(incarnationBlock(n, 4096));
    }
    expect(disk.firedFailures()).toBe(1);
  }, 60_000);
});
