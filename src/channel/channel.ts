// Creating and attaching channels (visorchannel / visorchannelstub roles, spar-protocol.md §1).
// The hypervisor allocates a channel's memory (zeroed: server state UNINITIALIZED); the server
// side lays out the header and queues as §1.5 describes; each side then attaches, which
// validates the header against what that side expects before any queue is touched.

import { assert } from '../base/assert.js';
import { guidToBytes } from '../base/guid.js';
import { err, ok, type Result } from '../base/result.js';
import { StructView } from '../base/struct.js';
import type { ChannelType, QueuePlan } from './channel-types.js';
import { CHANNELSRV_READY, CHANNELSRV_UNINITIALIZED } from './client-state.js';
import type { ChannelError } from './errors.js';
import {
  CH,
  CHANNEL_HEADER_BYTES,
  channelHeader,
  SIGNAL_QUEUE_HEADER_BYTES,
  SQ,
  VISOR_CHANNEL_SIGNATURE,
} from './layout.js';
import { ChannelMemory } from './memory.js';
import { SignalQueue } from './signal-queue.js';
import {
  checkHeader,
  validateChannel,
  type ChannelExpectation,
  type ValidChannel,
} from './validate.js';

/** Everything the server writes when it initialises a channel. */
export interface ChannelSpec {
  readonly guid: string;
  readonly versionId: number;
  readonly sizeBytes: number;
  readonly chSpaceOffsetBytes: number;
  readonly queues: readonly QueuePlan[];
}

/** Identity fields of the header that come from the configuration. */
export interface ChannelIdentity {
  /** `partition_handle`: id of the client partition. */
  readonly partitionHandle?: bigint;
  /** `handle`: device number of the channel in the client. */
  readonly handle?: bigint;
  /** `partition_index`. */
  readonly partitionIndex?: number;
  /** `zone_guid`. */
  readonly zoneGuid?: string;
  /** Leave `srv_state` UNINITIALIZED (a server that has not come up yet). Default false. */
  readonly serverNotReady?: boolean;
}

/** The server layout of a catalogue type at a given size (default: the type's default size). */
export function channelSpec(type: ChannelType, sizeBytes = type.defaultSizeBytes): ChannelSpec {
  return {
    guid: type.guid,
    versionId: type.versionId,
    sizeBytes,
    chSpaceOffsetBytes: type.chSpaceOffsetBytes,
    queues: type.queues(sizeBytes),
  };
}

/** Zeroed memory for a channel, as the hypervisor hands it out. */
export function allocateChannelMemory(sizeBytes: number): SharedArrayBuffer {
  assert(
    Number.isSafeInteger(sizeBytes) && sizeBytes >= CHANNEL_HEADER_BYTES,
    `bad channel size ${sizeBytes}`,
  );
  return new SharedArrayBuffer(sizeBytes);
}

/**
 * Server-side initialisation (§1.5): header fields, every queue header with head = tail = 0 and
 * zeroed counters, then `srv_state = READY` last so a client never sees READY before the queues.
 * A rebooted server calls this again on the same memory: queues come back empty (§4.1).
 */
export function serverInitialize(
  buffer: SharedArrayBuffer,
  spec: ChannelSpec,
  identity: ChannelIdentity = {},
): void {
  assert(
    buffer.byteLength >= spec.sizeBytes,
    `memory ${buffer.byteLength} < channel ${spec.sizeBytes}`,
  );
  const mem = new ChannelMemory(buffer);
  Atomics.store(mem.i32, CH.srvState / 4, CHANNELSRV_UNINITIALIZED);
  const header = StructView.at(channelHeader, buffer, 0);
  header.set64('signature', VISOR_CHANNEL_SIGNATURE);
  header.set('header_size', CHANNEL_HEADER_BYTES);
  header.set64('size', BigInt(spec.sizeBytes));
  header.setGuid('chtype', spec.guid);
  header.set64('partition_handle', identity.partitionHandle ?? 0n);
  header.set64('handle', identity.handle ?? 0n);
  header.set64('ch_space_offset', BigInt(spec.chSpaceOffsetBytes));
  header.set('version_id', spec.versionId);
  header.set('partition_index', identity.partitionIndex ?? 0);
  header
    .raw('zone_guid')
    .set(identity.zoneGuid === undefined ? new Uint8Array(16) : guidToBytes(identity.zoneGuid));
  for (const [q, plan] of spec.queues.entries()) initQueue(mem, spec, plan, q);
  if (identity.serverNotReady !== true) Atomics.store(mem.i32, CH.srvState / 4, CHANNELSRV_READY);
}

function initQueue(mem: ChannelMemory, spec: ChannelSpec, plan: QueuePlan, q: number): void {
  const at = spec.chSpaceOffsetBytes + q * SIGNAL_QUEUE_HEADER_BYTES;
  assert(at % 8 === 0, `queue ${q} header at ${at} is not 8-byte aligned`);
  assert(plan.slotCount >= 2, `queue ${q}: max_slots ${plan.slotCount} < 2`);
  const slotsEnd = plan.slotsOffsetBytes + plan.slotCount * plan.signalSizeBytes;
  assert(
    plan.slotsOffsetBytes >= at + SIGNAL_QUEUE_HEADER_BYTES && slotsEnd <= spec.sizeBytes,
    `queue ${q} slots outside`,
  );
  mem.u8.fill(0, at, at + SIGNAL_QUEUE_HEADER_BYTES);
  mem.writeU64(at + 8, BigInt(plan.slotCount * plan.signalSizeBytes)); // size
  mem.writeU64(at + SQ.sigBaseOffset, BigInt(plan.slotsOffsetBytes - at));
  mem.writeU32(at + SQ.signalSize, plan.signalSizeBytes);
  mem.writeU32(at + SQ.maxSlots, plan.slotCount);
  mem.writeU32(at + SQ.maxSignals, plan.slotCount - 1);
}

/** Allocates and server-initialises a channel of `type`. */
export function createChannel(
  type: ChannelType,
  options: ChannelIdentity & { readonly sizeBytes?: number } = {},
): SharedArrayBuffer {
  const spec = channelSpec(type, options.sizeBytes);
  const buffer = allocateChannelMemory(spec.sizeBytes);
  serverInitialize(buffer, spec, options);
  type.initialize?.(new ChannelMemory(buffer), spec);
  return buffer;
}

/** A validated channel as one side sees it. */
export class Channel {
  private constructor(
    readonly memory: ChannelMemory,
    private readonly valid: ValidChannel,
    private readonly queues: readonly SignalQueue[],
  ) {}

  /** `size` as attach validated it. */
  get sizeBytes(): number {
    return this.valid.sizeBytes;
  }

  /**
   * The check of each poll: the header (validate.ts `checkHeader`), then every attached queue's
   * geometry and head/tail, whichever side owns them. Null while all still hold; else the first
   * error. A side so learns of a corruption on a queue it is not using at the moment.
   */
  check(): ChannelError | null {
    const header = checkHeader(this.memory, this.valid);
    if (header !== null) return header;
    for (const queue of this.queues) {
      const empty = queue.isEmpty();
      if (typeof empty !== 'boolean') return empty;
    }
    return null;
  }

  /**
   * Attaches to channel memory: validates the header (visor_check_channel plus the hostile-
   * memory checks) and the first `expect.queueCount` queues.
   */
  static attach(
    buffer: SharedArrayBuffer,
    expect: ChannelExpectation,
  ): Result<Channel, ChannelError> {
    const mem = new ChannelMemory(buffer);
    const valid = validateChannel(mem, expect);
    if (!valid.ok) return err(valid.error);
    const { sizeBytes, chSpaceOffset, queues } = valid.value;
    return ok(
      new Channel(
        mem,
        valid.value,
        queues.map((g) => new SignalQueue(mem, sizeBytes, chSpaceOffset, g)),
      ),
    );
  }

  /** Attaches expecting a catalogue type: its GUID, version, minimum size and queue count. */
  static attachAs(buffer: SharedArrayBuffer, type: ChannelType): Result<Channel, ChannelError> {
    const queueCount = type.queues(type.defaultSizeBytes).length;
    return Channel.attach(buffer, {
      guid: type.guid,
      minSizeBytes: type.minSizeBytes,
      versionId: type.versionId,
      queueCount,
    });
  }

  /** Signal queue `q` (validated at attach). */
  queue(q: number): SignalQueue {
    const found = this.queues[q];
    assert(found !== undefined, `queue ${q} was not attached (${this.queues.length} queues)`);
    return found;
  }

  /** Number of attached queues. */
  get queueCount(): number {
    return this.queues.length;
  }

  /** A typed view of the 128-byte channel header. */
  header(): StructView {
    return StructView.at(channelHeader, this.memory.buffer, 0);
  }
}
