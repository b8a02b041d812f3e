// Public surface of the hypervisor model shared by both runtimes (DESIGN "hypervisor/"): the
// run configuration and its validation, channel allocation, the partition lifecycle machine and
// the Hypervisor that drives one lifecycle per partition through a runtime's launcher. Cross-folder imports go through here only (STYLE §1).

export {
  DEFAULT_JIFFY_MS,
  MAX_DEVICES_PER_BUS,
  validateConfig,
} from './config.js';
export type {
  BusConfig,
  Config,
  ConfigError,
  ConfigErrorCode,
  ConfigInput,
  DeviceConfig,
  DeviceInput,
  DeviceOptions,
  HardwareConfig,
  PartitionConfig,
  PartitionInput,
  PartitionKind,
  WorkloadConfig,
  WorkloadConfigs,
} from './config.js';
export type { ConfigLocation } from './config-errors.js';
export { ioGuestConfig, minimalGuestConfig } from './presets.js';
export {
  BUS_ROOT_DEVICE,
  CHANNEL_ADDR_BASE,
  PAGE_BYTES,
  allocateChannels,
  doorbellOf,
  pageAlignUp,
  serverInitializeChannel,
  vbusChannelBytes,
} from './allocation.js';
export type {
  ChannelHeaderIdentity,
  ChannelKind,
  ChannelMap,
  ChannelRecord,
} from './allocation.js';
export {
  PARTITION_LIFECYCLE_STATES,
  partitionLifecycleMachine,
} from '../../machines/partition-lifecycle.machine.js';
export type {
  HostStopReason,
  PartitionLifecycleContext,
  PartitionLifecycleEmitted,
  PartitionLifecycleEvent,
  PartitionLifecycleState,
} from '../../machines/partition-lifecycle.machine.js';
export { bootOrder, Hypervisor } from './hypervisor.js';
export {
  type CpNotice,
  guestNotice,
  iospNotice,
  iospStatesNotice,
} from './recovery-notices.js';
export { allocateHeartbeats } from './heartbeats.js';
export type { HypervisorEnvironment, LaunchResult, PartitionLauncher } from './hypervisor.js';
export type {
  HypervisorError,
  HypervisorErrorCode,
  HypervisorRequest,
  LifecycleRequest,
} from './hypervisor-errors.js';
