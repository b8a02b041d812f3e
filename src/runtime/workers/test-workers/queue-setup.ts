// One signal queue between two worker threads, for the cross-thread queue test and the channel
// benchmark: the channel memory and doorbell the "hypervisor" (here the main thread) allocates,
// the server-side initialisation, each worker's attach, and the spawning of the worker pair.
//
// Direction: the queue runs client → server, like a guest's command queue. The producer is the
// client side and sleeps on the client bell when the ring is full; the consumer is the server
// side and sleeps on the server bell when the ring is empty (spar-protocol.md §7: a doorbell
// only wakes a sleeping poller, the data is always in channel memory already).

import { spawnWorker } from '../spawn-worker.js';
import { assert } from '../../../base/assert.js';
import {
  CHANNEL_HEADER_BYTES,
  Channel,
  Doorbell,
  SIGNAL_QUEUE_HEADER_BYTES,
  allocateChannelMemory,
  serverInitialize,
  type ChannelSpec,
  type SignalQueue,
} from '../../../channel/index.js';
import { type RunClient, startPair } from './run-protocol.js';
import type { DeliveryReport } from './signal-payload.js';
import { SIGNAL_BYTES } from './signal-payload.js';

/** Choice: a channel type GUID of spar-sim's own for test queues; no real channel uses it. */
export const TEST_QUEUE_GUID = '5ba2f1e0-0c1a-4e5e-9d3b-64b17e5c0a51';
/** `version_id` of the test queue channel. */
export const TEST_QUEUE_VERSION = 1;

/** What both queue workers receive as `workerData`. */
export interface QueueWorkerData {
  /** The channel memory (shared, not copied, by structured clone). */
  readonly channel: SharedArrayBuffer;
  /** The channel's doorbell words. */
  readonly bell: SharedArrayBuffer;
  /** Fill every payload fully and check every checksum (the test), or only sequence numbers. */
  readonly verifyChecksum: boolean;
}

/** What the producer worker reports at the end of a run. */
export interface ProducerReport {
  /** Inserts that returned 'inserted'. */
  readonly sent: number;
  /** Inserts that returned 'overflow' (each one retried later). */
  readonly overflows: number;
}

/** A single-queue channel of `slotCount` 64-byte slots: header, queue header, then the slots. */
export function testQueueSpec(slotCount: number): ChannelSpec {
  assert(Number.isSafeInteger(slotCount) && slotCount >= 2, `bad slot count ${slotCount}`);
  const chSpaceOffsetBytes = CHANNEL_HEADER_BYTES; // 128: a multiple of 8, as queue headers need
  const slotsOffsetBytes = chSpaceOffsetBytes + SIGNAL_QUEUE_HEADER_BYTES;
  return {
    guid: TEST_QUEUE_GUID,
    versionId: TEST_QUEUE_VERSION,
    sizeBytes: slotsOffsetBytes + slotCount * SIGNAL_BYTES,
    chSpaceOffsetBytes,
    queues: [{ signalSizeBytes: SIGNAL_BYTES, slotCount, slotsOffsetBytes }],
  };
}

/** Attaches to the test channel the way either side does, validating its header. */
export function attachTestChannel(channel: SharedArrayBuffer): Channel {
  const attached = Channel.attach(channel, {
    guid: TEST_QUEUE_GUID,
    versionId: TEST_QUEUE_VERSION,
    minSizeBytes: CHANNEL_HEADER_BYTES + SIGNAL_QUEUE_HEADER_BYTES,
    queueCount: 1,
  });
  assert(attached.ok, attached.ok ? '' : attached.error.message);
  return attached.value;
}

/** A worker's view of the queue and its doorbell. */
export function attachQueue(data: QueueWorkerData): { queue: SignalQueue; bell: Doorbell } {
  const queue = attachTestChannel(data.channel).queue(0);
  assert(queue.signalSizeBytes === SIGNAL_BYTES, `signal_size ${queue.signalSizeBytes}`);
  return { queue, bell: new Doorbell(data.bell) };
}

/** A running producer/consumer pair on one freshly initialised queue. */
export interface QueuePair {
  /** The channel memory, for reading the queue counters after a run. */
  readonly channel: SharedArrayBuffer;
  /** The inserting worker (client side). */
  readonly producer: RunClient<ProducerReport>;
  /** The removing worker (server side). */
  readonly consumer: RunClient<DeliveryReport>;
  /** Terminates both workers. */
  close(): Promise<void>;
}

/** Allocates and initialises a queue of `slotCount` slots and starts both workers on it. */
export async function startQueuePair(
  slotCount: number,
  verifyChecksum: boolean,
): Promise<QueuePair> {
  const spec = testQueueSpec(slotCount);
  const channel = allocateChannelMemory(spec.sizeBytes);
  serverInitialize(channel, spec);
  const workerData: QueueWorkerData = { channel, bell: Doorbell.allocate().buffer, verifyChecksum };
  const consumerWorker = spawnWorker('./queue-consumer.worker', import.meta.url, { workerData });
  const producerWorker = spawnWorker('./queue-producer.worker', import.meta.url, { workerData });
  const pair = await startPair<DeliveryReport, ProducerReport>(consumerWorker, producerWorker);
  return { channel, ...pair };
}
