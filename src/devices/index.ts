// Public surface of the devices layer: hardware behind an IOSP's adapters (spar-protocol.md §4.2).

export {
  DISK_FAULT_SLOTS,
  DISK_HEADER_BYTES,
  DISK_MAX_BYTES,
  Disk,
  checkDiskSpec,
  diskMemoryBytes,
} from './disk.js';
export type { DiskError, DiskErrorCode, DiskFailurePlan, DiskOp, DiskSpec } from './disk.js';
export * from './scsi-constants.js';
export { INQUIRY_PRODUCT, INQUIRY_REVISION, INQUIRY_VENDOR } from './scsi-pages.js';
export { executeScsi } from './scsi-target.js';
export type { ScsiOutcome, ScsiTargetOptions } from './scsi-target.js';
