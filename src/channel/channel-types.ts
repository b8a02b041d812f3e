// The channel types spar-sim creates (spar-protocol.md §1.8, §1.9): type GUID, version, the
// minimum size the guest demands, and where the server puts each signal queue and its slots.

import { assert } from '../base/assert.js';
import { CHANNEL_HEADER_BYTES, SIGNAL_QUEUE_HEADER_BYTES } from './layout.js';

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
  /** spar-sim's name for the type (`vhba`, `controlvm`, ...). */
  readonly name: ChannelTypeName;
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
}

/** Names of the channel types of §1.8 that spar-sim can create. */
export type ChannelTypeName =
  | 'controlvm'
  | 'vbus'
  | 'vhba'
  | 'vnic'
  | 'console-serial'
  | 'diag'
  | 'keyboard'
  | 'mouse'
  | 'video';

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

const noQueues = (): readonly QueuePlan[] => [];

function ioType(name: 'vhba' | 'vnic', guid: string): ChannelType {
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

function inputType(name: 'keyboard' | 'mouse', guid: string): ChannelType {
  // Header; nInputReports u32 @128; flags/resolution @132; queue header @136; 50 × 16-byte
  // reports right after it (§1.9).
  const chSpaceOffsetBytes = 136;
  const slotsOffsetBytes = chSpaceOffsetBytes + SIGNAL_QUEUE_HEADER_BYTES;
  return {
    name,
    guid,
    versionId: 1,
    minSizeBytes: CHANNEL_HEADER_BYTES,
    defaultSizeBytes: 4096,
    chSpaceOffsetBytes,
    queues: () => [{ signalSizeBytes: 16, slotCount: 50, slotsOffsetBytes }],
  };
}

/** `DIAG_CH_SIZE` = 4 MiB; events start after header, queue header and the 72-byte diag header. */
export const DIAG_CH_SIZE = 4096 * 1024;
const DIAG_CH_EVENT_OFFSET = CHANNEL_HEADER_BYTES + SIGNAL_QUEUE_HEADER_BYTES + 72;
/** `sizeof(DIAG_CHANNEL_EVENT)` [computed, §1.9]. */
export const DIAG_CHANNEL_EVENT_BYTES = 448;

/** The catalogue, by name. */
export const channelTypes: Readonly<Record<ChannelTypeName, ChannelType>> = {
  controlvm: {
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
  },
  vbus: {
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
  },
  vhba: ioType('vhba', '414815ed-c58c-11da-95a9-00e08161165f'),
  vnic: ioType('vnic', '8cd5994d-c58e-11da-95a9-00e08161165f'),
  'console-serial': {
    name: 'console-serial',
    guid: 'bfe91f41-45e1-4ad8-8676-d46420810841',
    versionId: 2,
    minSizeBytes: 4096,
    defaultSizeBytes: 4096,
    chSpaceOffsetBytes: 256,
    // InQ (queue 0): 512 one-byte signals at 512; OutQ (queue 1): 3072 at 1024 (§1.9).
    queues: () => [
      { signalSizeBytes: 1, slotCount: 512, slotsOffsetBytes: 512 },
      { signalSizeBytes: 1, slotCount: 3072, slotsOffsetBytes: 1024 },
    ],
  },
  diag: {
    name: 'diag',
    guid: 'eea7a573-db82-447c-8716-efbeaaae4858',
    versionId: 2,
    minSizeBytes: DIAG_CH_EVENT_OFFSET + DIAG_CHANNEL_EVENT_BYTES,
    defaultSizeBytes: DIAG_CH_SIZE,
    chSpaceOffsetBytes: CHANNEL_HEADER_BYTES,
    queues: (sizeBytes) => [
      {
        signalSizeBytes: DIAG_CHANNEL_EVENT_BYTES,
        slotCount: Math.floor((sizeBytes - DIAG_CH_EVENT_OFFSET) / DIAG_CHANNEL_EVENT_BYTES),
        slotsOffsetBytes: DIAG_CH_EVENT_OFFSET,
      },
    ],
  },
  keyboard: inputType('keyboard', 'c73416d0-b0b8-44af-b304-9d2ae99f1b3d'),
  mouse: inputType('mouse', 'addf07d4-94a9-46e2-81c3-61abcdbdbd87'),
  video: {
    name: 'video',
    guid: '3cd6e705-d6a2-4aa5-ad5c-7b08889dffe2',
    // Choice: the reference does not know the console video version (§1.8 "?"); 1 is used.
    versionId: 1,
    minSizeBytes: CHANNEL_HEADER_BYTES,
    defaultSizeBytes: 4096,
    chSpaceOffsetBytes: CHANNEL_HEADER_BYTES,
    queues: noQueues,
  },
};
