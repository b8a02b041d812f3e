// Producer side of the cross-thread signal queue test and benchmark (queue-setup.ts): inserts
// signals 0 .. count-1 with SignalQueue.insert (visorchannel_signalinsert, spar-protocol.md
// §1.6) and retries every 'overflow', spinning a little before it sleeps on the client bell.
//
// Waking the consumer: the server bell is rung every RING_CONSUMER_EVERY inserts, before this
// side sleeps on a full ring, and after the last insert of a run. A consumer that fell asleep
// between rings is woken by the next one or by its own wait timeout, so a missed ring costs at
// most one poll period and never a signal. Choice: ringing exactly when the ring was empty
// before the insert needs an occupancy() read of the consumer's tail after every insert; in
// alternating runs on the 2-vCPU VM that extra read of a contended cache line cost about a
// quarter to a third of the throughput (noisy: medians ~1.0 vs ~1.45 M/s at 64 slots).

import { workerData } from 'node:worker_threads';
import type { Doorbell, SignalQueue } from '../../../channel/index.js';
import { attachQueue, type ProducerReport, type QueueWorkerData } from './queue-setup.js';
import { serveRuns } from './run-protocol.js';
import { fillSignal, signalBuffer, stampSequence } from './signal-payload.js';

// Free-slot checks before sleeping: longer than a cross-CPU wake-up (~50 µs, stack.md §8), so a
// consumer that is awake frees a slot before this side pays for sleeping.
const SPIN_CHECKS = 2048;
// Poll period of a sleeping producer; bounds the cost of any missed ring.
const WAIT_MS = 1;
/** Inserts between two rings of the consumer's bell. */
const RING_CONSUMER_EVERY = 16;

const data = workerData as QueueWorkerData;
const { queue, bell } = attachQueue(data);
const signal = signalBuffer();

function hasFreeSlot(q: SignalQueue): boolean {
  const occupancy = q.occupancy();
  // A ChannelError answers "go and insert", so that insert() reports it.
  return typeof occupancy !== 'number' || occupancy < q.slotCount - 1;
}

// `seen` is read before the last check, so a slot freed (and rung for) after that check makes
// wait() return at once: the consumer's ring cannot fall between check and sleep.
async function awaitFreeSlot(q: SignalQueue, b: Doorbell): Promise<void> {
  for (let i = 0; i < SPIN_CHECKS; i++) if (hasFreeSlot(q)) return;
  const seen = b.seen('client');
  if (hasFreeSlot(q)) return;
  b.ring('server'); // the ring is full: make sure the consumer is awake before sleeping
  await b.wait('client', seen, WAIT_MS);
}

serveRuns(async (count): Promise<ProducerReport> => {
  let overflows = 0;
  let insertsSinceRing = 0;
  if (!data.verifyChecksum) fillSignal(signal.words, 0); // benchmark: one template, stamped
  for (let seq = 0; seq < count; seq++) {
    if (data.verifyChecksum) fillSignal(signal.words, seq);
    else stampSequence(signal.words, seq);
    let outcome = queue.insert(signal.bytes);
    while (outcome === 'overflow') {
      overflows++;
      await awaitFreeSlot(queue, bell);
      outcome = queue.insert(signal.bytes);
    }
    if (outcome !== 'inserted') throw new Error(`insert of signal ${seq}: ${outcome.message}`);
    if (++insertsSinceRing === RING_CONSUMER_EVERY) {
      bell.ring('server');
      insertsSinceRing = 0;
    }
  }
  bell.ring('server'); // the last partial batch
  return { sent: count, overflows };
});
