// One IOSP incarnation for disk.cross-thread.test.ts: attaches to the disk memory the main thread
// allocated, checks the blocks of every earlier incarnation, reads the block the run planned to
// fail, writes its own block, reports, and then idles until the test terminates it (a crash,
// not a clean shutdown).

import { parentPort, workerData } from 'node:worker_threads';
import { Disk } from '../disk.js';
import {
  incarnationBlock,
  type IncarnationData,
  type IncarnationReport,
} from './disk-incarnation.js';

const data = workerData as IncarnationData;

function run(): IncarnationReport {
  const attached = Disk.attach(data.spec, data.memory);
  if (!attached.ok) return { error: attached.error.message, earlierIntact: [], faultRead: 'none' };
  const disk = attached.value;
  const earlierIntact = Array.from({ length: data.incarnation }, (_, n) => {
    const block = disk.read(n, 1);
    return block.ok && block.value.every((b, i) => b === incarnationBlock(n, disk.blockSize)[i]);
  });
  const faulted = disk.read(data.faultBlock, 1);
  const written = disk.write(data.incarnation, incarnationBlock(data.incarnation, disk.blockSize));
  const faultRead = faulted.ok ? 'ok' : faulted.error.code;
  return { error: written.ok ? null : written.error.message, earlierIntact, faultRead };
}

parentPort?.postMessage(run());
// A listening port keeps the thread alive, so the test ends it with terminate(), as a crash would.
parentPort?.on('message', () => undefined);
