// Channel types (spar-protocol.md §1.8, §1.9): type GUID, version, the minimum size the guest
// demands, and where the server puts each signal queue and its slots. The bus-level types live
// here; each device kind defines its own (src/kinds/<kind>/channel.ts), IO channels through
// `ioChannelType`.

import { assert } from '../base/assert.js';
import type { ChannelSpec } from './channel.js';
import { CHANNEL_HEADER_BYTES } from './layout.js';
import type { ChannelMemory } from './memory.js';

/** One signal queue as the server lays it out. */
export interface QueuePlan {
  /** `signal_size`: bytes per slot. */
  readonly signalSizeBytes: number;
  /** `max_slots`: ring modulus; capacity is one less. */
  readonly slotCount: number;
  /** Offset of slot 0 from the start of the channel. */
  readonly slotsOffsetBytes: number;
}

/** A channel type: identity, the checks the guest makes, and the server's layout. */
export interface ChannelType {
  /** spar-sim's name for the type (`vhba`, `controlvm`, ...): a scenario's `channelType`. */
  readonly name: string;
  /** `chtype` GUID. */
  readonly guid: string;
  /** `version_id` the guest expects. */
  readonly versionId: number;
  /** Minimum `size` the guest accepts (visor_check_channel expected_min_bytes). */
  readonly minSizeBytes: number;
  /** Channel size used when the configuration gives none. */
  readonly defaultSizeBytes: number;
  /** `ch_space_offset`: where queue 0's header starts. */
  readonly chSpaceOffsetBytes: number;
  /** The server's queue layout for a channel of `sizeBytes`. */
  queues(sizeBytes: number): readonly QueuePlan[];
  /** Type-specific fixed fields the server fills after the header and queues, if any. */
  initialize?(mem: ChannelMemory, spec: ChannelSpec): void;
}

/** IO channel constants (§1.9): protocol area rounded to 64, slot = SIZEOF_CMDRSP. */
export const IO_SIZEOF_PROTOCOL = 1472;
export const IO_SIZEOF_CMDRSP = 1216;
export const MIN_NUMSIGNALS = 64;
export const MAX_NUMSIGNALS = 4096;
/** `MIN_IO_CHANNEL_SIZE` = round_up(1472 + 2·64·1216, 4096) [computed]. */
export const MIN_IO_CHANNEL_SIZE = 159744;

/** Era A IO channel initialiser: each queue gets (size − 1472)/2/1216 slots. */
function ioQueues(sizeBytes: number): readonly QueuePlan[] {
  const slotCount = Math.floor((sizeBytes - IO_SIZEOF_PROTOCOL) / 2 / IO_SIZEOF_CMDRSP);
  assert(
    slotCount >= MIN_NUMSIGNALS,
    `IO channel of ${sizeBytes} bytes gives ${slotCount} slots < 64`,
  );
  assert(
    slotCount <= MAX_NUMSIGNALS,
    `IO channel of ${sizeBytes} bytes gives ${slotCount} slots > 4096`,
  );
  const cmd = {
    signalSizeBytes: IO_SIZEOF_CMDRSP,
    slotCount,
    slotsOffsetBytes: IO_SIZEOF_PROTOCOL,
  };
  const rspOffset = IO_SIZEOF_PROTOCOL + slotCount * IO_SIZEOF_CMDRSP;
  return [cmd, { ...cmd, slotsOffsetBytes: rspOffset }];
}

/** A channel type without signal queues. */
export const noQueues = (): readonly QueuePlan[] => [];

/** An IO channel type (`visor_io_channel`, §1.9): the vhba and vnic layout under `guid`. */
export function ioChannelType(name: string, guid: string): ChannelType {
  // Choice: the final guest demands only 128 bytes; spar-sim's servers always build at least
  // Era A's MIN_IO_CHANNEL_SIZE so both eras' checks pass.
  return {
    name,
    guid,
    versionId: 2,
    minSizeBytes: CHANNEL_HEADER_BYTES,
    defaultSizeBytes: MIN_IO_CHANNEL_SIZE,
    chSpaceOffsetBytes: CHANNEL_HEADER_BYTES,
    queues: ioQueues,
  };
}

/**
 * The bus-level channel types every guest has: its controlvm channel (cp ↔ guest) and a vbus
 * channel per bus. Device channel types belong to their device kinds (src/kinds/<kind>/channel.ts).
 */
export const CONTROLVM_CHANNEL: ChannelType = {
  name: 'controlvm',
  guid: '2b3c2d10-7ef5-4ad8-b966-3448b7386b3d',
  versionId: 1,
  minSizeBytes: 36608,
  defaultSizeBytes: 36608,
  chSpaceOffsetBytes: 3072,
  // Choice: max_slots = 64 for all four queues (§8 [UNCONFIRMED]; the pools hold 64 messages).
  queues: () =>
    [0, 1, 2, 3].map((q) => ({
      signalSizeBytes: 128,
      slotCount: 64,
      slotsOffsetBytes: 3584 + q * 8192,
    })),
  // Offsets cross-checked against the struct descriptors in channel.test.ts.
  initialize: (mem) => {
    mem.writeU32(232, 128); // message_bytes = sizeof(struct controlvm_message)
    mem.writeU32(236, 64); // message_count = CONTROLVM_MESSAGE_MAX
    mem.data.setUint16(3014, 2, true); // saved_crash_message_count = CONTROLVM_CRASHMSG_MAX
    mem.writeU32(3016, 36352); // saved_crash_message_offset: the saved_crash_msg array
  },
};

/** The vbus channel (§1.9): no signal queues, device-info records after a 768-byte fixed part. */
export const VBUS_CHANNEL: ChannelType = {
  name: 'vbus',
  guid: '193b331b-c58f-11da-95a9-00e08161165f',
  versionId: 1,
  minSizeBytes: 768,
  // Room for 16 device-info records after the 768-byte fixed part.
  defaultSizeBytes: 768 + 16 * 256,
  // Choice: the bus channel has no signal queues; ch_space_offset points at hdr_info (128)
  // so the guest's `ch_space_offset >= 128` check holds.
  chSpaceOffsetBytes: CHANNEL_HEADER_BYTES,
  queues: noQueues,
  initialize: (mem, spec) => {
    // visor_vbus_headerinfo at 128; offsets are measured from hdr_info (§1.9).
    mem.writeU32(128, 128); // struct_bytes
    mem.writeU32(132, 256); // device_info_struct_bytes
    mem.writeU32(136, Math.floor((spec.sizeBytes - 768) / 256)); // dev_info_count
    mem.writeU32(140, 128); // chp_info_offset  (chp_info at 256)
    mem.writeU32(144, 384); // bus_info_offset  (bus_info at 512)
    mem.writeU32(148, 640); // dev_info_offset  (dev_info[] at 768)
  },
};
