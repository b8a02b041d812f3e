// The diagnostics channel (spar-protocol.md §1.8 GUID eea7a573-…, §1.9): one queue of 448-byte
// `DIAG_CHANNEL_EVENT`s after the header, the queue header and the 72-byte diag header.

import {
  CHANNEL_HEADER_BYTES,
  type ChannelType,
  SIGNAL_QUEUE_HEADER_BYTES,
} from '../../channel/index.js';

/** `DIAG_CH_SIZE` = 4 MiB. */
export const DIAG_CH_SIZE = 4096 * 1024;
/** `sizeof(DIAG_CHANNEL_EVENT)` [computed, §1.9]. */
export const DIAG_CHANNEL_EVENT_BYTES = 448;
const DIAG_CH_EVENT_OFFSET = CHANNEL_HEADER_BYTES + SIGNAL_QUEUE_HEADER_BYTES + 72;

/** The diagnostics channel. */
export const DIAG_CHANNEL: ChannelType = {
  name: 'diag',
  guid: 'eea7a573-db82-447c-8716-efbeaaae4858',
  versionId: 2,
  minSizeBytes: DIAG_CH_EVENT_OFFSET + DIAG_CHANNEL_EVENT_BYTES,
  defaultSizeBytes: DIAG_CH_SIZE,
  chSpaceOffsetBytes: CHANNEL_HEADER_BYTES,
  queues: (sizeBytes) => [
    {
      signalSizeBytes: DIAG_CHANNEL_EVENT_BYTES,
      slotCount: Math.floor((sizeBytes - DIAG_CH_EVENT_OFFSET) / DIAG_CHANNEL_EVENT_BYTES),
      slotsOffsetBytes: DIAG_CH_EVENT_OFFSET,
    },
  ],
};
