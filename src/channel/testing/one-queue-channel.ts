// A test and bench helper: a channel with custom queue geometry, laid out the way the servers
// lay out the real types (queue headers from ch_space_offset = 128, slots after them).

import { Channel, allocateChannelMemory, serverInitialize, type ChannelSpec } from '../index.js';

/** GUID spar-sim uses for test-only channels (not a real s-Par type). */
export const TEST_CHANNEL_GUID = '5bad0000-0000-4000-8000-000000000001';

/** A spec with `queueCount` queues of the same geometry. */
export function uniformChannelSpec(
  signalSizeBytes: number,
  slotCount: number,
  queueCount = 1,
): ChannelSpec {
  const chSpaceOffsetBytes = 128;
  const slotsStart = chSpaceOffsetBytes + queueCount * 128;
  const perQueue = signalSizeBytes * slotCount;
  const queues = Array.from({ length: queueCount }, (_, q) => ({
    signalSizeBytes,
    slotCount,
    slotsOffsetBytes: slotsStart + q * perQueue,
  }));
  return {
    guid: TEST_CHANNEL_GUID,
    versionId: 1,
    sizeBytes: slotsStart + queueCount * perQueue,
    chSpaceOffsetBytes,
    queues,
  };
}

/** Allocates, initialises and attaches a channel of `spec`. */
export function attachedChannel(
  spec: ChannelSpec,
  memoryBytes = spec.sizeBytes,
): { buffer: SharedArrayBuffer; channel: Channel } {
  const buffer = allocateChannelMemory(memoryBytes);
  serverInitialize(buffer, spec);
  const attached = Channel.attach(buffer, {
    guid: spec.guid,
    versionId: spec.versionId,
    queueCount: spec.queues.length,
  });
  if (!attached.ok) throw new Error(`test channel failed validation: ${attached.error.message}`);
  return { buffer, channel: attached.value };
}
