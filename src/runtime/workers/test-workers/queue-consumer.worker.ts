// Consumer side of the cross-thread signal queue test and benchmark (queue-setup.ts): removes
// signals with SignalQueue.remove (visorchannel_signalremove, spar-protocol.md §1.6) until
// `count` have arrived, checking each one's sequence number and, in the test, its checksum.
//
// Throughput is set by how often the consumer sleeps (stack.md §8), so it drains every queued
// signal, then spins on the queue for a while, and only then sleeps on the server bell with a
// short timeout (the producer rings in batches, see queue-producer.worker.ts).

import { workerData } from 'node:worker_threads';
import type { Doorbell, SignalQueue } from '../../../channel/index.js';
import { attachQueue, type QueueWorkerData } from './queue-setup.js';
import { serveRuns } from './run-protocol.js';
import { DeliveryTally, signalBuffer, type DeliveryReport } from './signal-payload.js';

// Emptiness checks before sleeping; longer than a cross-CPU wake-up (~50 µs, stack.md §8).
const SPIN_CHECKS = 2048;
// Poll period of a sleeping consumer; bounds the cost of any missed ring.
const WAIT_MS = 1;

const data = workerData as QueueWorkerData;
const { queue, bell } = attachQueue(data);
const signal = signalBuffer();
// Wake a producer sleeping on a full ring after this many removals, not only once the ring is
// empty, so it refills the ring while this side is still draining.
const RING_PRODUCER_EVERY = Math.max(1, Math.floor(queue.slotCount / 4));

// `seen` is read before the last check, so a ring after that check cannot be lost.
async function awaitSignal(q: SignalQueue, b: Doorbell): Promise<void> {
  for (let i = 0; i < SPIN_CHECKS; i++) if (q.isEmpty() !== true) return;
  const seen = b.seen('server');
  if (q.isEmpty() !== true) return; // not empty, or a ChannelError that remove() will report
  await b.wait('server', seen, WAIT_MS);
}

serveRuns(async (count): Promise<DeliveryReport> => {
  const tally = new DeliveryTally(data.verifyChecksum);
  let removedSinceRing = 0;
  while (tally.count < count) {
    const outcome = queue.remove(signal.bytes);
    if (outcome === 'removed') {
      tally.record(signal.words);
      if (++removedSinceRing === RING_PRODUCER_EVERY) {
        bell.ring('client');
        removedSinceRing = 0;
      }
      continue;
    }
    if (outcome !== 'empty') {
      throw new Error(`remove after ${tally.count} signals: ${outcome.message}`);
    }
    if (removedSinceRing > 0) {
      bell.ring('client'); // freed slots: a producer asleep on a full ring may go on
      removedSinceRing = 0;
    }
    await awaitSignal(queue, bell);
  }
  return tally.report();
});
