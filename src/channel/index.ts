// Public surface of the channel layer (visorchannel, visorchannelstub and visorutil roles).

export {
  Channel,
  allocateChannelMemory,
  channelSpec,
  createChannel,
  serverInitialize,
} from './channel.js';
export type { ChannelIdentity, ChannelSpec } from './channel.js';
export {
  CONTROLVM_CHANNEL,
  ioChannelType,
  MIN_IO_CHANNEL_SIZE,
  noQueues,
  VBUS_CHANNEL,
} from './channel-types.js';
export type { ChannelType, QueuePlan } from './channel-types.js';
export * from './client-state.js';
export { CHANNEL_CORRUPTIONS, corruptChannel } from './corrupt.js';
export type { ChannelCorruption, CorruptionTarget } from './corrupt.js';
export { DOORBELL_BYTES, Doorbell, LOSS_SCALE } from './doorbell.js';
export type { ChannelSide, RingLoss, WaitOutcome } from './doorbell.js';
export { channelError } from './errors.js';
export type { ChannelError, ChannelErrorCode } from './errors.js';
export * from './layout.js';
export { ChannelMemory } from './memory.js';
export { SignalQueue } from './signal-queue.js';
export type { InsertOutcome, QueueCounters, RemoveOutcome } from './signal-queue.js';
export { checkHeader, validateChannel, validateQueue } from './validate.js';
export type { ChannelExpectation, QueueGeometry, ValidChannel } from './validate.js';
