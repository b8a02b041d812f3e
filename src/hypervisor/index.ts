// Public surface of the hypervisor model shared by both runtimes (DESIGN "hypervisor/"): the
// run configuration and its validation, channel allocation, the partition lifecycle machine and
// the Hypervisor that drives one lifecycle per partition through a runtime's launcher. Cross-folder imports go through here only (STYLE §1).

export {
  CONSOLE_DEVICE_TYPES,
  DEFAULT_JIFFY_MS,
  IO_DEVICE_TYPES,
  MAX_DEVICES_PER_BUS,
  validateConfig,
} from './config.js';
export type {
  BlockWorkloadConfig,
  BusConfig,
  Config,
  ConfigError,
  ConfigErrorCode,
  ConfigInput,
  DeviceChannelTypeName,
  DeviceConfig,
  DeviceInput,
  DiskConfig,
  HardwareConfig,
  PartitionConfig,
  PartitionInput,
  PartitionKind,
  PingWorkloadConfig,
  WorkloadConfig,
} from './config.js';
export type { ConfigLocation } from './config-errors.js';
export { ioGuestConfig, minimalGuestConfig } from './presets.js';
export {
  guestNetwork,
  networkPlan,
  vnicOf,
  NIC_MTU,
  NUM_RCV_BUFS,
  SEGMENT_NETMASK,
  VNIC_DMA_PAGES,
  VNIC_RCV_PAGES,
  VNIC_TX_SLOTS,
} from './network.js';
export type {
  GuestNetwork,
  Ip,
  Mac,
  NetworkPlan,
  PingFlowPlan,
  UplinkPlan,
  VnicPlan,
} from './network.js';
export { disksSeenBy, DMA_SLOT_BYTES, DMA_WINDOW_BYTES, guestWorkloads } from './hardware.js';
export type { GuestWorkload, SharedDisk } from './hardware.js';
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
export { iospNotice } from './recovery-notices.js';
export { allocateDisks } from './disks.js';
export { allocateHeartbeats } from './heartbeats.js';
export { allocateNicLinks, isNicLinkUp, nicLinkIndex, setNicLink } from './nic-links.js';
export type { NicLinks } from './nic-links.js';
export type { HypervisorEnvironment, LaunchResult, PartitionLauncher } from './hypervisor.js';
export type {
  HypervisorError,
  HypervisorErrorCode,
  HypervisorRequest,
  LifecycleRequest,
} from './hypervisor-errors.js';
