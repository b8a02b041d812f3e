// Every shared structure spar-sim lays out, in the order `spar layout` prints them.

import type { StructDescriptor } from '../base/struct.js';
import { channelHeader, signalQueueHeader } from '../channel/layout.js';
import {
  controlvmMessage,
  controlvmMessageHeader,
  controlvmMessagePacket,
  controlvmPacketDeviceCreate,
  controlvmParametersHeader,
  irqInfo,
  visorControlvmChannel,
} from './controlvm-layout.js';
import {
  guestPhysInfo,
  iochannelVhba,
  iochannelVnic,
  physInfo,
  uiscmdrsp,
  uiscmdrspDisknotify,
  uiscmdrspNet,
  uiscmdrspScsi,
  uiscmdrspScsitaskmgmt,
  uisscsiDest,
  visorIoChannel,
} from './iochannel-layout.js';

/** All struct descriptors, channel basics first, then controlvm, then the IO channel. */
export const allLayouts: readonly StructDescriptor[] = [
  channelHeader,
  signalQueueHeader,
  controlvmMessageHeader,
  irqInfo,
  controlvmPacketDeviceCreate,
  controlvmMessagePacket,
  controlvmMessage,
  controlvmParametersHeader,
  visorControlvmChannel,
  physInfo,
  guestPhysInfo,
  uisscsiDest,
  uiscmdrspScsi,
  uiscmdrspNet,
  uiscmdrspScsitaskmgmt,
  uiscmdrspDisknotify,
  uiscmdrsp,
  iochannelVhba,
  iochannelVnic,
  visorIoChannel,
];
