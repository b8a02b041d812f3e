// IOSP fault schedules shared by the recovery properties (storage-recovery, net-recovery): the
// fault cases, their arbitrary, and how each becomes scenario faults with the time by which it
// has healed (the liveness bound's first term; see storage-recovery.property.ts's header for the
// induction over reboots during recovery).
//
// Heal time per case: reboot at + down; crash then reboot at + gap + down; reboot during recovery
// adds after + down to a running sum (it fires after a BOOTED that ends an earlier fault's down
// time); hang at + the watchdog's timeout and period (the CP declares it hung and reboots it, down
// 0 ms by default). Each reboot term gets BOOT_SLACK_MS (a boot takes 0 virtual ms today).

import fc from 'fast-check';
import { WATCHDOG_DEFAULTS } from '../machines/iosp-recovery.machine.js';
import type { ScenarioFault } from '../src/scenario/schema.js';

/** Margin per boot in the heal bound (a boot takes 0 virtual ms today). */
export const BOOT_SLACK_MS = 10;

/** An IOSP fault of a schedule; each becomes one or two scenario `faults`. */
export type IospFaultCase =
  | {
      readonly kind: 'reboot';
      readonly iosp: number;
      readonly atMs: number;
      readonly downMs: number;
    }
  | {
      readonly kind: 'crash-then-reboot';
      readonly iosp: number;
      readonly atMs: number;
      readonly gapMs: number;
      readonly downMs: number;
    }
  /** A reboot `afterMs` after the IOSP's `bootedOccurrence`-th BOOTED (the 1st is its first boot). */
  | {
      readonly kind: 'reboot-during-recovery';
      readonly iosp: number;
      readonly bootedOccurrence: number;
      readonly afterMs: number;
      readonly downMs: number;
    }
  /** The IOSP stops polling; the CP's watchdog notices and reboots it. */
  | { readonly kind: 'hang'; readonly iosp: number; readonly atMs: number };

/** Arbitraries of the IOSP fault kinds, with the schedule's time ranges. */
export function iospFaultArbitraries(
  times: { readonly atMs: fc.Arbitrary<number>; readonly downMs: fc.Arbitrary<number> },
  withHang: boolean,
): fc.Arbitrary<IospFaultCase>[] {
  const iosp = fc.nat(1);
  const { atMs, downMs } = times;
  return [
    fc.record({ kind: fc.constant('reboot' as const), iosp, atMs, downMs }),
    fc.record({
      kind: fc.constant('crash-then-reboot' as const),
      iosp,
      atMs,
      gapMs: fc.integer({ min: 1, max: 50 }),
      downMs,
    }),
    fc.record({
      kind: fc.constant('reboot-during-recovery' as const),
      iosp,
      bootedOccurrence: fc.integer({ min: 2, max: 3 }),
      afterMs: fc.integer({ min: 0, max: 20 }),
      downMs,
    }),
    ...(withHang ? [fc.record({ kind: fc.constant('hang' as const), iosp, atMs })] : []),
  ];
}

/** Scenario faults being built, with where each came from and the heal terms so far. */
export class FaultSchedule {
  readonly faults: Record<string, unknown>[] = [];
  /** For each scenario fault, the index of the case fault it came from. */
  readonly origin: number[] = [];
  private timedHeal = 0;
  private recoverySum = 0;

  /** Every fault has healed by then. */
  get healedByMs(): number {
    return this.timedHeal + this.recoverySum;
  }

  /** Adds a fault that heals at `healMs` (a disk error: when it fires). */
  addTimed(fault: Record<string, unknown>, index: number, healMs: number): void {
    this.faults.push(fault);
    this.origin.push(index);
    this.timedHeal = Math.max(this.timedHeal, healMs);
  }

  /** Adds IOSP fault `f` (case index `index`) for a run with `iospCount` IOSPs named by `iospName`. */
  addIosp(
    f: IospFaultCase,
    index: number,
    iospCount: number,
    iospName: (i: number) => string,
  ): void {
    const partition = iospName(mod(f.iosp, iospCount));
    const at = clamp(f.kind === 'reboot-during-recovery' ? 0 : f.atMs, 0, 10_000);
    if (f.kind === 'hang') {
      const { timeoutMs, periodMs, rebootDownMs } = WATCHDOG_DEFAULTS;
      this.addTimed(
        { action: 'hang', partition, at },
        index,
        at + timeoutMs + periodMs + rebootDownMs + BOOT_SLACK_MS,
      );
      return;
    }
    const down = clamp(f.downMs, 0, 10_000);
    if (f.kind === 'reboot') {
      this.addTimed({ action: 'reboot', partition, down, at }, index, at + down + BOOT_SLACK_MS);
      return;
    }
    if (f.kind === 'crash-then-reboot') {
      const gap = clamp(f.gapMs, 1, 10_000);
      this.addTimed({ action: 'crash', partition, at }, index, at);
      this.addTimed(
        { action: 'reboot', partition, down, at: at + gap },
        index,
        at + gap + down + BOOT_SLACK_MS,
      );
      return;
    }
    const after = clamp(f.afterMs, 0, 10_000);
    this.faults.push({
      action: 'reboot',
      partition,
      down,
      when: {
        actor: `${partition}/lifecycle`,
        event: 'BOOTED',
        occurrence: clamp(f.bootedOccurrence, 1, 100),
        after,
      },
    });
    this.origin.push(index);
    this.recoverySum += after + down + BOOT_SLACK_MS;
  }
}

/** A scenario fault in a few words, for counterexample descriptions. */
export function describeFault(f: ScenarioFault): string {
  const when =
    f.when === undefined
      ? `at ${f.at} ms`
      : `${ordinal(f.when.occurrence)} ${f.when.event} of ${f.partition} + ${f.when.after} ms`;
  if (f.action === 'disk-error')
    return `disk-error ${f.disk} ${f.op} lba ${f.lba}+${f.count} ×${f.times} ${when}`;
  if (f.action === 'nic-link')
    return `nic-link ${f.partition} ${f.nic} ${f.up ? 'up' : 'down'} ${when}`;
  return `${f.action} ${f.partition} ${when}${f.action === 'reboot' ? `, down ${f.down} ms` : ''}`;
}

/** `n` as an integer in [min, max] (non-finite: min): shrunk and hostile values stay valid. */
export function clamp(n: number, min: number, max: number): number {
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.trunc(n))) : min;
}

/** `n` modulo `m`, never negative. */
export function mod(n: number, m: number): number {
  return ((Math.trunc(n) % m) + m) % m;
}

function ordinal(n: number): string {
  return `${n}${n === 1 ? 'st' : n === 2 ? 'nd' : n === 3 ? 'rd' : 'th'}`;
}
