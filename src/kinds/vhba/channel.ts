// The virtual HBA channel (spar-protocol.md §1.8 GUID 414815ed-…, §1.9 `visor_io_channel`).

import { type ChannelType, ioChannelType } from '../../channel/index.js';

/** `SPAR_VHBA_CHANNEL_PROTOCOL_UUID`: the vhba channel. */
export const VHBA_CHANNEL: ChannelType = ioChannelType(
  'vhba',
  '414815ed-c58c-11da-95a9-00e08161165f',
);
