// The console serial channel (spar-protocol.md §1.8 GUID bfe91f41-…, §1.9): 1-byte signals,
// InQ (queue 0) 512 slots at 512 and OutQ (queue 1) 3072 slots at 1024.

import type { ChannelType } from '../../channel/index.js';

/** The console serial channel. */
export const CONSOLE_SERIAL_CHANNEL: ChannelType = {
  name: 'console-serial',
  guid: 'bfe91f41-45e1-4ad8-8676-d46420810841',
  versionId: 2,
  minSizeBytes: 4096,
  defaultSizeBytes: 4096,
  chSpaceOffsetBytes: 256,
  queues: () => [
    { signalSizeBytes: 1, slotCount: 512, slotsOffsetBytes: 512 },
    { signalSizeBytes: 1, slotCount: 3072, slotsOffsetBytes: 1024 },
  ],
};
