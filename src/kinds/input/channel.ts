// The keyboard and mouse channels of the Partition Desktop (spar-protocol.md §1.8, §1.9): the
// header, `nInputReports` u32 at 128, flags/resolution at 132, the queue header at 136 and 50
// 16-byte reports right after it.

import {
  CHANNEL_HEADER_BYTES,
  type ChannelType,
  SIGNAL_QUEUE_HEADER_BYTES,
} from '../../channel/index.js';

function inputChannel(name: 'keyboard' | 'mouse', guid: string): ChannelType {
  const chSpaceOffsetBytes = 136;
  const slotsOffsetBytes = chSpaceOffsetBytes + SIGNAL_QUEUE_HEADER_BYTES;
  return {
    name,
    guid,
    versionId: 1,
    minSizeBytes: CHANNEL_HEADER_BYTES,
    defaultSizeBytes: 4096,
    chSpaceOffsetBytes,
    queues: () => [{ signalSizeBytes: 16, slotCount: 50, slotsOffsetBytes }],
  };
}

/** The keyboard channel (c73416d0-…). */
export const KEYBOARD_CHANNEL = inputChannel('keyboard', 'c73416d0-b0b8-44af-b304-9d2ae99f1b3d');
/** The mouse channel (addf07d4-…). */
export const MOUSE_CHANNEL = inputChannel('mouse', 'addf07d4-94a9-46e2-81c3-61abcdbdbd87');
