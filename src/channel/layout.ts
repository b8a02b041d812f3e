// The two layouts every channel shares (spar-protocol.md §1.1, §1.5; include/linux/visorbus.h):
// the 128-byte common channel header and the 128-byte signal queue header. Field names are the
// kernel's, so `spar layout` can be checked line by line against the C header.

import { array, defineStruct, scalar as f } from '../base/struct.js';

/** `struct channel_header`: the first 128 bytes of every channel (§1.1). */
export const channelHeader = defineStruct(
  'channel_header',
  [
    f('signature', 'u64', 'VISOR_CHANNEL_SIGNATURE 0x4C4E4345 ("ECNL")'),
    f('legacy_state', 'u32', 'deprecated; superseded by srv_state, cli_state_boot, cli_state_os'),
    f('header_size', 'u32', 'sizeof(struct channel_header) = 128'),
    f('size', 'u64', 'total channel size in bytes; the guest maps exactly this many'),
    f('features', 'u64', 'feature and interrupt policy bits (§1.4)'),
    f('chtype', 'guid', 'channel type GUID (§1.8)'),
    f('partition_handle', 'u64', 'id of the client (guest) partition'),
    f('handle', 'u64', 'device number of the channel in the client'),
    f('ch_space_offset', 'u64', 'offset of the first signal-queue header; the guest rejects < 128'),
    f('version_id', 'u32', 'channel-type-specific version'),
    f('partition_index', 'u32', 'index of the guest partition'),
    f('zone_guid', 'guid', 'zone GUID'),
    f('cli_str_offset', 'u32', 'offset of a NUL-terminated client string, 0 = none'),
    f(
      'cli_state_boot',
      'u32',
      'client state of the pre-boot (EFI) client (enum channel_clientstate)',
    ),
    f('cmd_state_cli', 'u32', 'command state (overloaded by Windows drivers)'),
    f('cli_state_os', 'u32', 'client state of the guest-OS client (enum channel_clientstate)'),
    f('ch_characteristic', 'u32', 'CHANNEL_CHARACTERISTIC_* (never defined in Linux code)'),
    f('cmd_state_srv', 'u32', 'command state (overloaded by Windows drivers)'),
    f('srv_state', 'u32', 'server state (enum channel_serverstate)'),
    f('cli_error_boot', 'u8', 'error-log throttle bits, boot client'),
    f('cli_error_os', 'u8', 'error-log throttle bits, OS client'),
    array('filler', 'u8', 1, 'pad'),
    f('recover_channel', 'u8', 'last byte of the cache line'),
  ],
  128,
);

/** `struct signal_queue_header`: one per queue, at `ch_space_offset + q*128` (§1.5). */
export const signalQueueHeader = defineStruct(
  'signal_queue_header',
  [
    f('version', 'u32', 'queue header version (server)'),
    f('chtype', 'u32', 'queue type: storage, network, ... (server)'),
    f('size', 'u64', 'bytes of slot storage (server)'),
    f('sig_base_offset', 'u64', 'offset of slot 0 from the start of this queue header (server)'),
    f('features', 'u64', 'per-queue flags, bit 0 = interrupts enabled (both)'),
    f('num_sent', 'u64', 'total successful inserts (producer)'),
    f('num_overflows', 'u64', 'inserts rejected because the queue was full (producer)'),
    f('signal_size', 'u32', 'bytes per slot (server)'),
    f('max_slots', 'u32', 'number of slots, the ring modulus (server)'),
    f('max_signals', 'u32', 'max_slots - 1: one slot is always empty (server)'),
    f('head', 'u32', 'index of the last slot written (producer only)'),
    f('num_received', 'u64', 'total successful removes (consumer)'),
    f('tail', 'u32', 'index of the last slot consumed (consumer only)'),
    f('reserved1', 'u32', 'reserved'),
    f('reserved2', 'u64', 'reserved'),
    f('client_queue', 'u64', 'unused by Linux'),
    f('num_irq_received', 'u64', 'interrupts received (consumer; Era A ISR)'),
    f('num_empty', 'u64', 'removes that found the queue empty (consumer; Era A only)'),
    f('errorflags', 'u32', 'set during server re-init (server)'),
    array('filler', 'u8', 12, 'pad to 128'),
  ],
  128,
);

/** Byte offsets inside a signal queue header, for the hot path that does not use views. */
export const SQ = {
  sigBaseOffset: signalQueueHeader.field('sig_base_offset').offset,
  numSent: signalQueueHeader.field('num_sent').offset,
  numOverflows: signalQueueHeader.field('num_overflows').offset,
  signalSize: signalQueueHeader.field('signal_size').offset,
  maxSlots: signalQueueHeader.field('max_slots').offset,
  maxSignals: signalQueueHeader.field('max_signals').offset,
  head: signalQueueHeader.field('head').offset,
  numReceived: signalQueueHeader.field('num_received').offset,
  tail: signalQueueHeader.field('tail').offset,
  numEmpty: signalQueueHeader.field('num_empty').offset,
} as const;

/** Byte offsets inside the channel header used on every attach. */
export const CH = {
  signature: channelHeader.field('signature').offset,
  size: channelHeader.field('size').offset,
  chtype: channelHeader.field('chtype').offset,
  chSpaceOffset: channelHeader.field('ch_space_offset').offset,
  versionId: channelHeader.field('version_id').offset,
  cliStateBoot: channelHeader.field('cli_state_boot').offset,
  cliStateOs: channelHeader.field('cli_state_os').offset,
  srvState: channelHeader.field('srv_state').offset,
  cliErrorOs: channelHeader.field('cli_error_os').offset,
} as const;

/** `VISOR_CHANNEL_SIGNATURE` = ('L'<<24)|('N'<<16)|('C'<<8)|'E' (§1.2). */
export const VISOR_CHANNEL_SIGNATURE = 0x4c4e4345n;
/** `sizeof(struct channel_header)`. */
export const CHANNEL_HEADER_BYTES = channelHeader.sizeBytes;
/** `sizeof(struct signal_queue_header)`. */
export const SIGNAL_QUEUE_HEADER_BYTES = signalQueueHeader.sizeBytes;

/** Feature bits of `channel_header.features` and `signal_queue_header.features` (§1.4). */
export const VISOR_CHANNEL_ENABLE_INTS = 0x1n;
export const VISOR_DRIVER_ENABLES_INTS = 0x2n;
export const VISOR_CHANNEL_IS_POLLING = 0x8n;
export const VISOR_IOVM_OK_DRIVER_DISABLING_INTS = 0x10n;
export const VISOR_DRIVER_DISABLES_INTS = 0x20n;
export const VISOR_DRIVER_ENHANCED_RCVBUF_CHECKING = 0x40n;
