// A scenario's fault schedule, the same in both runtimes: each fault fires at its time, or once at
// the Nth trace record matching its `when` (plus its delay). The control plane's faults go through
// the hypervisor; a device kind's act on the run's hardware (src/kinds/<kind>/scenario.ts). The
// hypervisor or the hardware may refuse one (a crash of a partition that is off): that is reported,
// not an error of the run. A runtime only decides when "now" is and how records reach the plan.

import { corruptChannel } from '../channel/index.js';
import type { ChannelMap, Hypervisor } from '../hypervisor/index.js';
import { KINDS, type RunHardware } from '../kinds/index.js';
import type { TraceRecord } from '../partition/environment.js';
import type { ScenarioFault } from '../scenario/schema.js';
import {
  applyChannelFault,
  type ChannelFaultPorts,
  channelFaultSpanMs,
  isChannelFault,
} from './channel-faults.js';

export type { ChannelFaultPorts } from './channel-faults.js';

/** What became of one fault. */
export interface FaultRecord {
  readonly index: number;
  readonly action: ScenarioFault['action'];
  readonly partition: string;
  /** When it fired, in ms on the trace's clock (as a trace record's atMs), or null if it never fired. */
  readonly atMs: number | null;
  /** Set when the hypervisor refused it. */
  readonly refused: string | null;
}

/** True when `record` meets every field of the fault's condition. */
export function matches(when: NonNullable<ScenarioFault['when']>, record: TraceRecord): boolean {
  if (when.partition !== undefined && record.partition !== when.partition) return false;
  if (when.actor !== undefined && record.actor !== when.actor) return false;
  return record.event === when.event;
}

/**
 * Applies `fault` now (`atMs`; fault number `index` of the plan) to the run's partitions, hardware
 * or channel memory; returns the refusal, if any. The channel faults (and channel-corrupt) need
 * `ports` (channel-faults.ts); without them they are refused.
 */
export function applyFault(
  hypervisor: Hypervisor,
  hardware: RunHardware,
  fault: ScenarioFault,
  where: { readonly index: number; readonly atMs: number; readonly ports?: ChannelFaultPorts } = {
    index: 0,
    atMs: 0,
  },
): string | null {
  if (isChannelFault(fault)) return applyChannelFault(fault, where.index, where.atMs, where.ports);
  for (const kind of KINDS) {
    const own = kind.scenario?.faults?.find((f) => f.action === fault.action);
    if (own !== undefined) return own.apply(hardware.get(kind.name), fault);
  }
  if (fault.action === 'channel-corrupt')
    return where.ports === undefined
      ? "channel-corrupt needs the run's channel memory"
      : applyCorruption(where.ports.channels, fault);
  const name = fault.partition;
  const result =
    fault.action === 'reboot'
      ? hypervisor.reboot(name, fault.down)
      : fault.action === 'crash'
        ? hypervisor.crash(name)
        : fault.action === 'hang'
          ? hypervisor.hang(name)
          : fault.action === 'shutdown'
            ? hypervisor.shutdown(name)
            : hypervisor.boot(name);
  return result.ok ? null : result.error.message;
}

// The hostile write of a channel-corrupt fault, into the guest's device channel (src/channel).
function applyCorruption(
  channels: ChannelMap,
  fault: Extract<ScenarioFault, { action: 'channel-corrupt' }>,
): string | null {
  const id = `${fault.partition}/vbus${fault.busNo}:dev${fault.devNo}`;
  const record = channels.byId(id);
  if (record === undefined) return `no channel ${id}`;
  const target = { form: fault.corrupt, queue: fault.queue };
  return corruptChannel(
    record.buffer,
    fault.value === undefined ? target : { ...target, value: fault.value },
  );
}

/**
 * When the last fired fault healed, or null if none fired (refused ones do not count).
 * Choice: a fault heals when it fired plus the down time it states — a reboot's `down`, a channel
 * fault's `for`; every other action (crash, hang, shutdown, boot, a kind's fault such as
 * `nic-link`) states none, so it heals the instant it fires. What a fault sets off after that (a watchdog reboot of a hung IOSP, the
 * command partition's resume) is not a fault: the guests' links coming back up say when it ended
 * (src/check/liveness.ts takes the later of the two).
 */
export function healedAtMs(
  faults: readonly ScenarioFault[],
  records: readonly FaultRecord[],
): number | null {
  let healed: number | null = null;
  for (const r of records) {
    if (r.atMs === null || r.refused !== null) continue;
    const fault = faults[r.index];
    const down =
      fault === undefined
        ? 0
        : fault.action === 'reboot'
          ? fault.down
          : isChannelFault(fault)
            ? channelFaultSpanMs(fault)
            : 0;
    healed = Math.max(healed ?? r.atMs, r.atMs + down);
  }
  return healed;
}

/** Counts of fired faults per action (refused ones are not counted). */
export function faultCounts(records: readonly FaultRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records)
    if (r.atMs !== null && r.refused === null) counts[r.action] = (counts[r.action] ?? 0) + 1;
  return counts;
}

/**
 * One run's faults: which fire at a time, which wait for a condition, and what became of each.
 * Feed it every trace record in order (`onRecord`); fire each fault when it is due (`fire`).
 */
export class FaultPlan {
  private readonly records: FaultRecord[];
  private readonly watching: Set<number>;
  private readonly seen = new Map<number, number>();

  constructor(
    private readonly faults: readonly ScenarioFault[],
    /** Told of each fault as it fires, and again with its refusal if it is refused. */
    private readonly onFire?: (record: FaultRecord) => void,
  ) {
    this.records = faults.map((f, index) => ({
      index,
      action: f.action,
      partition: f.partition,
      atMs: null,
      refused: null,
    }));
    this.watching = new Set(faults.flatMap((f, i) => (f.when === undefined ? [] : [i])));
  }

  /** The faults that fire at a time: index and time. */
  timed(): { readonly index: number; readonly atMs: number }[] {
    return this.faults.flatMap((f, index) => (f.at === undefined ? [] : [{ index, atMs: f.at }]));
  }

  /** The faults (index, delay in ms) that `record` triggers: the Nth match of their condition. */
  onRecord(record: TraceRecord): { readonly index: number; readonly afterMs: number }[] {
    const fired: { index: number; afterMs: number }[] = [];
    for (const i of this.watching) {
      const when = this.faults[i]?.when;
      if (when === undefined || !matches(when, record)) continue;
      const count = (this.seen.get(i) ?? 0) + 1;
      this.seen.set(i, count);
      if (count < when.occurrence) continue;
      this.watching.delete(i);
      fired.push({ index: i, afterMs: when.after });
    }
    return fired;
  }

  /** Fires fault `index` at `atMs` on the run; channel faults act through `ports`. */
  fire(
    index: number,
    atMs: number,
    hypervisor: Hypervisor,
    hardware: RunHardware,
    ports?: ChannelFaultPorts,
  ): void {
    const fault = this.faults[index];
    const record = this.records[index];
    if (fault === undefined || record === undefined) return;
    // The watcher hears of it before it applies, so the records it causes follow its note; and
    // again if the hypervisor or the hardware refused it.
    const firing = { ...record, atMs, refused: null };
    this.records[index] = firing;
    this.onFire?.(firing);
    const where = ports === undefined ? { index, atMs } : { index, atMs, ports };
    const refused = applyFault(hypervisor, hardware, fault, where);
    if (refused === null) return;
    this.records[index] = { ...firing, refused };
    this.onFire?.({ ...firing, refused });
  }

  /** How many faults have fired (refused ones included), of how many. */
  firedCount(): { readonly faultsFired: number; readonly faultsTotal: number } {
    const faultsFired = this.records.filter((r) => r.atMs !== null).length;
    return { faultsFired, faultsTotal: this.records.length };
  }

  /** Whether every fault has fired. */
  allFired(): boolean {
    return this.records.every((r) => r.atMs !== null);
  }

  /** When the last fired fault healed (see {@link healedAtMs}), or null if none fired. */
  healedAtMs(): number | null {
    return healedAtMs(this.faults, this.records);
  }

  /** What became of each fault, in scenario order. */
  log(): readonly FaultRecord[] {
    return [...this.records];
  }
}
