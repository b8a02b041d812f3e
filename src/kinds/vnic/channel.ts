// The virtual NIC channel (spar-protocol.md §1.8 GUID 8cd5994d-…, §1.9 `visor_io_channel`).

import { type ChannelType, ioChannelType } from '../../channel/index.js';

/** `SPAR_VNIC_CHANNEL_PROTOCOL_UUID`: the vnic channel. */
export const VNIC_CHANNEL: ChannelType = ioChannelType(
  'vnic',
  '8cd5994d-c58e-11da-95a9-00e08161165f',
);
