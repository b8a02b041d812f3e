// Validation of channel memory that another partition wrote (spar-protocol.md §1.7 and beyond).
// visor_check_channel's four checks, in the kernel's order, then everything a hostile header
// could use to make a queue operation leave the channel: ch_space_offset, each queue's slot
// geometry, and head/tail. Reads are bounds-checked before they happen; nothing here throws.

import { guidFromBytes } from '../base/guid.js';
import { err, ok, type Result } from '../base/result.js';
import { channelError, type ChannelError } from './errors.js';
import {
  CH,
  CHANNEL_HEADER_BYTES,
  SIGNAL_QUEUE_HEADER_BYTES,
  SQ,
  VISOR_CHANNEL_SIGNATURE,
} from './layout.js';
import type { ChannelMemory } from './memory.js';

/** What the attaching side expects; like the kernel, a check is skipped when its value is absent. */
export interface ChannelExpectation {
  /** Expected `chtype`. */
  readonly guid?: string;
  /** Minimum `size`. */
  readonly minSizeBytes?: number;
  /** Expected `version_id`. */
  readonly versionId?: number;
  /** Expected `signature`; defaults to VISOR_CHANNEL_SIGNATURE. */
  readonly signature?: bigint;
  /** How many signal queues the attaching side will use (each is validated). */
  readonly queueCount?: number;
}

/** A queue's checked geometry: every slot lies inside the channel. */
export interface QueueGeometry {
  readonly queue: number;
  /** Offset of the queue header from the channel start. */
  readonly headerOffset: number;
  readonly signalSizeBytes: number;
  readonly slotCount: number;
  /** Offset of slot 0 from the channel start. */
  readonly slotsOffset: number;
}

/** A channel whose header passed validation. */
export interface ValidChannel {
  /** `size`, which validation proved is no more than the mapped memory. */
  readonly sizeBytes: number;
  readonly chSpaceOffset: number;
  readonly queues: readonly QueueGeometry[];
}

/**
 * Choice: queue headers must start on an 8-byte boundary (every real layout does: 128, 136,
 * 256, 3072) so that head, tail and the u64 counters can be published with `Atomics`.
 */
export const QUEUE_HEADER_ALIGNMENT = 8;

/** Validates the header and the first `queueCount` queues of a channel. */
export function validateChannel(
  mem: ChannelMemory,
  expect: ChannelExpectation,
): Result<ValidChannel, ChannelError> {
  if (mem.byteLength < CHANNEL_HEADER_BYTES) {
    return err(
      channelError(
        'channel-too-small',
        'memory',
        `>= ${CHANNEL_HEADER_BYTES} bytes`,
        mem.byteLength,
      ),
    );
  }
  const identity = checkIdentity(mem, expect);
  if (identity !== null) return err(identity);
  const size = mem.readU64(CH.size);
  if (size > BigInt(mem.byteLength)) {
    return err(
      channelError('size-exceeds-memory', 'size', `<= ${mem.byteLength} (mapped bytes)`, size),
    );
  }
  const sizeBytes = Number(size);
  const space = checkChSpaceOffset(mem, sizeBytes);
  if (!space.ok) return space;
  const queues: QueueGeometry[] = [];
  for (let q = 0; q < (expect.queueCount ?? 0); q++) {
    const geometry = validateQueue(mem, sizeBytes, space.value, q);
    if (!geometry.ok) return geometry;
    queues.push(geometry.value);
  }
  return ok({ sizeBytes, chSpaceOffset: space.value, queues });
}

// visor_check_channel (§1.7): chtype, size, version, signature, in that order.
function checkIdentity(mem: ChannelMemory, expect: ChannelExpectation): ChannelError | null {
  if (expect.guid !== undefined) {
    const actual = guidFromBytes(mem.u8.subarray(CH.chtype, CH.chtype + 16));
    if (actual !== expect.guid) return channelError('wrong-type', 'chtype', expect.guid, actual);
  }
  const size = mem.readU64(CH.size);
  if (expect.minSizeBytes !== undefined && size < BigInt(expect.minSizeBytes)) {
    return channelError('size-too-small', 'size', `>= ${expect.minSizeBytes}`, size);
  }
  const version = mem.readU32(CH.versionId);
  if (expect.versionId !== undefined && version !== expect.versionId) {
    return channelError('version-mismatch', 'version_id', expect.versionId, version);
  }
  const signature = mem.readU64(CH.signature);
  const wanted = expect.signature ?? VISOR_CHANNEL_SIGNATURE;
  if (signature !== wanted)
    return channelError('bad-signature', 'signature', hex(wanted), hex(signature));
  return null;
}

function checkChSpaceOffset(mem: ChannelMemory, sizeBytes: number): Result<number, ChannelError> {
  const raw = mem.readU64(CH.chSpaceOffset);
  if (raw < BigInt(CHANNEL_HEADER_BYTES) || raw > BigInt(sizeBytes)) {
    return err(
      channelError(
        'bad-ch-space-offset',
        'ch_space_offset',
        `${CHANNEL_HEADER_BYTES}..${sizeBytes}`,
        raw,
      ),
    );
  }
  const offset = Number(raw);
  if (offset % QUEUE_HEADER_ALIGNMENT !== 0) {
    return err(
      channelError(
        'misaligned',
        'ch_space_offset',
        `a multiple of ${QUEUE_HEADER_ALIGNMENT}`,
        offset,
      ),
    );
  }
  return ok(offset);
}

/** Validates queue `q`: header inside the channel, slots inside the channel, head/tail in range. */
export function validateQueue(
  mem: ChannelMemory,
  sizeBytes: number,
  chSpaceOffset: number,
  q: number,
): Result<QueueGeometry, ChannelError> {
  const headerOffset = chSpaceOffset + q * SIGNAL_QUEUE_HEADER_BYTES;
  if (headerOffset + SIGNAL_QUEUE_HEADER_BYTES > sizeBytes) {
    const expected = `<= ${sizeBytes - SIGNAL_QUEUE_HEADER_BYTES}`;
    return err(
      channelError('queue-outside-channel', 'ch_space_offset + q*128', expected, headerOffset, q),
    );
  }
  const signalSizeBytes = mem.readU32(headerOffset + SQ.signalSize);
  if (signalSizeBytes < 1)
    return err(channelError('bad-signal-size', 'signal_size', '>= 1', signalSizeBytes, q));
  const slotCount = mem.readU32(headerOffset + SQ.maxSlots);
  if (slotCount < 2) return err(channelError('bad-max-slots', 'max_slots', '>= 2', slotCount, q));
  const base = mem.readU64(headerOffset + SQ.sigBaseOffset);
  const end = BigInt(headerOffset) + base + BigInt(slotCount) * BigInt(signalSizeBytes);
  if (end > BigInt(sizeBytes)) {
    const actual = `${base} (slots end at ${end})`;
    return err(
      channelError(
        'slots-outside-channel',
        'sig_base_offset',
        `slots ending <= size ${sizeBytes}`,
        actual,
        q,
      ),
    );
  }
  const head = mem.readU32(headerOffset + SQ.head);
  if (head >= slotCount)
    return err(channelError('index-out-of-range', 'head', `< max_slots ${slotCount}`, head, q));
  const tail = mem.readU32(headerOffset + SQ.tail);
  if (tail >= slotCount)
    return err(channelError('index-out-of-range', 'tail', `< max_slots ${slotCount}`, tail, q));
  return ok({
    queue: q,
    headerOffset,
    signalSizeBytes,
    slotCount,
    slotsOffset: headerOffset + Number(base),
  });
}

/**
 * The cheap check of a header both sides repeat at each poll (STYLE §7: valid at attach *and* at
 * each poll): the signature is still VISOR_CHANNEL_SIGNATURE and `size` and `ch_space_offset`
 * still say what attach validated. The queue headers are re-checked by every queue operation.
 */
export function checkHeader(mem: ChannelMemory, valid: ValidChannel): ChannelError | null {
  const signature = mem.readU64(CH.signature);
  if (signature !== VISOR_CHANNEL_SIGNATURE) {
    return channelError('bad-signature', 'signature', hex(VISOR_CHANNEL_SIGNATURE), hex(signature));
  }
  const size = mem.readU64(CH.size);
  if (size !== BigInt(valid.sizeBytes))
    return channelError('header-changed', 'size', valid.sizeBytes, size);
  const space = mem.readU64(CH.chSpaceOffset);
  if (space !== BigInt(valid.chSpaceOffset))
    return channelError('header-changed', 'ch_space_offset', valid.chSpaceOffset, space);
  return null;
}

function hex(value: bigint): string {
  return `0x${value.toString(16).toUpperCase()}`;
}
