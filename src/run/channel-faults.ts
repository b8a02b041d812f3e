// The channel faults of a scenario (issue #14; docs/scenario-format.md "Faults"): lost and spurious
// doorbells and a queue held full, on every channel a partition is one end of or on one of them.
// They act on the fault words beside each channel (src/channel/doorbell.ts), which the partitions
// at both ends read in whichever runtime they run, and, for a spurious ring, on the runtime's own
// doorbell delivery. Spec: spar-protocol.md §7 — pollers poll anyway, so a lost doorbell only
// delays the work until the next poll, and a spurious one wakes a poller that finds nothing.

import type { Prng } from '../base/prng.js';
import { type ChannelSide, type Doorbell, LOSS_SCALE } from '../channel/index.js';
import { type ChannelMap, type ChannelRecord, doorbellOf } from '../hypervisor/index.js';
import type { ScenarioFault } from '../scenario/schema.js';

/** What the channel faults need of a runtime: the run's channels and its doorbell delivery. */
export interface ChannelFaultPorts {
  readonly channels: ChannelMap;
  /** Rings `side` of `bell` now: an interrupt that announces nothing (never itself lost). */
  ring(bell: Doorbell, side: ChannelSide): void;
  /** Runs `run` after `delayMs` ms of the run's time (a later spurious ring). */
  after(delayMs: number, label: string, run: () => void): void;
  /** The run's seeded stream for `label` (never Math.random). */
  prng(label: string): Prng;
}

/** A channel fault of a scenario. */
export type ChannelFault = Extract<
  ScenarioFault,
  { action: 'doorbell-lost' | 'doorbell-spurious' | 'queue-full' }
>;

/** Whether `fault` is one of the channel faults. */
export function isChannelFault(fault: ScenarioFault): fault is ChannelFault {
  const { action } = fault;
  return action === 'doorbell-lost' || action === 'doorbell-spurious' || action === 'queue-full';
}

/** How long a channel fault lasts after it fires (ms): its `for`, or 0. */
export function channelFaultSpanMs(fault: ChannelFault): number {
  return fault.for ?? 0;
}

// Int32 bound of the fault words' times: a fault with no end lasts until then (24 days).
const FOREVER_MS = 0x7fff_ffff;

/**
 * Applies `fault`, fired at `atMs` (fault number `index` of the plan), to its channels; returns
 * the refusal, if any: no such channel, or a runtime that cannot ring doorbells.
 */
export function applyChannelFault(
  fault: ChannelFault,
  index: number,
  atMs: number,
  ports: ChannelFaultPorts | undefined,
): string | null {
  if (ports === undefined) return `${fault.action} needs a runtime with doorbells`;
  const ends = channelEnds(ports.channels, fault.partition, fault.channel);
  if (ends.length === 0) {
    const which = fault.channel === undefined ? 'no channels' : `no channel ${fault.channel}`;
    return `${fault.partition} has ${which}`;
  }
  if (fault.action === 'queue-full') {
    if (ends.some((e) => e.side !== 'server')) return `${fault.partition} serves no such channel`;
    const untilMs = Math.min(FOREVER_MS, Math.round(atMs + fault.for));
    for (const e of ends) {
      const bell = doorbellOf(e.record);
      bell.holdDrain('server', untilMs);
      // The peer resumes draining when the hold ends: it looks at its queues then, as a partition
      // coming back to work would, rather than at whichever poll or ring happens to come next
      // (a server that elides idle polls would otherwise sleep on a full ring nobody rings again).
      ports.after(untilMs - atMs, `fault/${index}/resume`, () => ports.ring(bell, 'server'));
    }
    return null;
  }
  if (fault.action === 'doorbell-lost') {
    const count = fault.count ?? (fault.for === undefined ? 1 : -1);
    const untilMs = fault.for === undefined ? FOREVER_MS : Math.round(atMs + fault.for);
    const millionths = Math.max(1, Math.round(fault.rate * LOSS_SCALE));
    const loss = { count, millionths, untilMs: Math.min(FOREVER_MS, untilMs) };
    for (const e of ends) doorbellOf(e.record).injectLoss(e.side, loss);
    return null;
  }
  ringSpuriously(fault, index, ends, ports);
  return null;
}

// `count` rings of each doorbell, at seeded instants within `for` (the first at once).
function ringSpuriously(
  fault: Extract<ChannelFault, { action: 'doorbell-spurious' }>,
  index: number,
  ends: readonly ChannelEnd[],
  ports: ChannelFaultPorts,
): void {
  const prng = ports.prng(`faults/${index}/doorbell-spurious`);
  for (const e of ends) {
    const bell = doorbellOf(e.record);
    for (let n = 0; n < fault.count; n++) {
      const delayMs = n === 0 ? 0 : prng.int(0, fault.for);
      if (delayMs === 0) ports.ring(bell, e.side);
      else ports.after(delayMs, `fault/${index}/ring`, () => ports.ring(bell, e.side));
    }
  }
}

/** One channel a fault acts on, and the side of it the faulted partition is. */
interface ChannelEnd {
  readonly record: ChannelRecord;
  readonly side: ChannelSide;
}

// The channels `partition` is one end of (only `channel`, when named), with its side of each.
function channelEnds(
  channels: ChannelMap,
  partition: string,
  channel: string | undefined,
): ChannelEnd[] {
  return channels
    .all()
    .filter((r) => r.guestPartition === partition || r.serverPartition === partition)
    .filter((r) => channel === undefined || r.id === channel)
    .map((record) => ({
      record,
      side: record.serverPartition === partition ? 'server' : 'client',
    }));
}
