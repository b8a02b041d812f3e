// The console video channel of the Partition Desktop (spar-protocol.md §1.8 GUID 3cd6e705-…).

import { CHANNEL_HEADER_BYTES, type ChannelType, noQueues } from '../../channel/index.js';

/** The console video channel. */
export const VIDEO_CHANNEL: ChannelType = {
  name: 'video',
  guid: '3cd6e705-d6a2-4aa5-ad5c-7b08889dffe2',
  // Choice: the reference does not know the console video version (§1.8 "?"); 1 is used.
  versionId: 1,
  minSizeBytes: CHANNEL_HEADER_BYTES,
  defaultSizeBytes: 4096,
  chSpaceOffsetBytes: CHANNEL_HEADER_BYTES,
  queues: noQueues,
};
