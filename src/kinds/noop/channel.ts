// The control director channel visornoop binds (spar-protocol.md §1.8 GUID 5b52c5ac-…, min size
// 1 byte, §5.6). Choice: the reference gives no layout; spar-sim makes it a bare header.

import { CHANNEL_HEADER_BYTES, type ChannelType, noQueues } from '../../channel/index.js';

/** The control director channel. */
export const CONTROL_DIRECTOR_CHANNEL: ChannelType = {
  name: 'control-director',
  guid: '5b52c5ac-e5f5-4d42-8dff-429eaecd221f',
  versionId: 1,
  minSizeBytes: 1,
  defaultSizeBytes: 4096,
  chSpaceOffsetBytes: CHANNEL_HEADER_BYTES,
  queues: noQueues,
};
