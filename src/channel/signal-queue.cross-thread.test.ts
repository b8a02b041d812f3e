// The signal queue (spar-protocol.md §1.6) between two real threads: one worker inserts, another
// removes, through channel memory they share. Single-threaded tests cannot show that the
// publish order holds across threads (slot bytes written before head, read before tail); this
// one would see a torn slot as a bad checksum and a lost or repeated signal as a sequence gap.
// Worker code: src/runtime/workers/test-workers/queue-producer.worker.ts and queue-consumer.worker.ts.

import { describe, expect, test } from 'vitest';
import { attachTestChannel, startQueuePair } from '../runtime/workers/test-workers/queue-setup.js';
import { runPair } from '../runtime/workers/test-workers/run-protocol.js';

const SIGNAL_COUNT = 1_000_000;
const SLOT_COUNT = 64;
// The stress case: a 2-slot queue holds one signal, so the consumer spins on an empty ring and
// reads each slot the moment head names it, while the producer spins on a full one. A head
// published before the payload is in (mutant head-published-before-payload) shows as a bad
// checksum within a few hundred thousand signals. (A tail published before the slot is copied
// out cannot be caught by any test: the producer never writes the slot at `tail`, the one
// always-empty slot, so that order is not needed; see docs/choices.md.)
const STRESS_SIGNAL_COUNT = 200_000;
const STRESS_SLOT_COUNT = 2;

describe('signal queue across threads', () => {
  test('one million signals through a 64-slot queue between two worker threads arrive once each, in order, untorn', async () => {
    const pair = await startQueuePair(SLOT_COUNT, true);
    try {
      const { consumer, producer } = await runPair(pair.consumer, pair.producer, SIGNAL_COUNT);

      expect(consumer.received).toBe(SIGNAL_COUNT);
      expect(consumer.outOfOrder).toBe(0);
      expect(consumer.duplicates).toBe(0);
      expect(consumer.badChecksum).toBe(0);
      expect(consumer.lastSeq).toBe(SIGNAL_COUNT - 1);
      expect(producer.sent).toBe(SIGNAL_COUNT);

      // The queue's own counters, read from channel memory after both sides finished.
      const queue = attachTestChannel(pair.channel).queue(0);
      const counters = queue.counters();
      expect(counters.numSent).toBe(BigInt(SIGNAL_COUNT));
      expect(counters.numReceived).toBe(BigInt(SIGNAL_COUNT));
      expect(counters.numOverflows).toBe(BigInt(producer.overflows));
      expect(queue.isEmpty()).toBe(true);
    } finally {
      await pair.close();
    }
  }, 120_000);

  test('a 2-slot queue, each signal read the instant its head is published, still delivers each signal once, in order, untorn', async () => {
    const pair = await startQueuePair(STRESS_SLOT_COUNT, true);
    try {
      const { consumer, producer } = await runPair(
        pair.consumer,
        pair.producer,
        STRESS_SIGNAL_COUNT,
      );
      expect(consumer.badChecksum).toBe(0);
      expect(consumer.duplicates).toBe(0);
      expect(consumer.outOfOrder).toBe(0);
      expect(consumer.received).toBe(STRESS_SIGNAL_COUNT);
      expect(producer.overflows, 'the ring was full most of the time').toBeGreaterThan(0);
    } finally {
      await pair.close();
    }
  }, 120_000);
});
