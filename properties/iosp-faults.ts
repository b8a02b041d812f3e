// IOSP fault schedules shared by the recovery properties (storage-recovery, net-recovery): the
// fault cases, their arbitrary, and how each becomes scenario faults with the time by which it
// has healed (the liveness bound's first term; see storage-recovery.property.ts's header for the
// induction over reboots during recovery).
//
// Heal time per case: reboot at + down; crash then reboot at + gap + down; reboot during recovery
// adds after + down to a running sum (it fires after a BOOTED that ends an earlier fault's down
// time); hang at + the watchdog's timeout and period (the CP declares it hung and reboots it, down
// 0 ms by default). Each reboot term gets BOOT_SLACK_MS (a boot takes 0 virtual ms today).
//
// Command partition faults (issue #14 item 1, its restart recovery): the CP crashes and is rebooted
// `gap` ms later, down `down` ms, at a time or during a recovery (right after its recovery's
// n-th DEVICE_CHANGESTATE request, + `after`). Heal: the CP back (crash + gap + down + slack),
// plus the watchdog's timeout and period, since a hang the CP was not running to see (or whose
// silence its crash forgot) is detected that long after it is back. The during-recovery kind adds
// its terms to the running sum like a reboot during recovery: every DEVICE_CHANGESTATE request is
// caused by a fault (an IOSP down or up, a hang detected, a CP's restart) and sent by the time
// that fault healed, so the same induction over firing order holds.
//
// Guest faults (issue #14 item 3): a guest crashes under IO or flows and is rebooted `gap` ms
// later, down `down` ms; the CP brings it up again and its workloads start over (a block
// workload first reads back what its crashed boot acknowledged). Heal: at + gap + down + slack.

import fc from 'fast-check';
import type { ChannelFaultCase } from './channel-faults.js';
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
  | { readonly kind: 'hang'; readonly iosp: number; readonly atMs: number }
  /** The command partition crashes at `atMs` and is rebooted `gapMs` later. */
  | {
      readonly kind: 'cp-crash-then-reboot';
      readonly atMs: number;
      readonly gapMs: number;
      readonly downMs: number;
    }
  /**
   * The command partition crashes `afterMs` after its recovery's `changeOccurrence`-th
   * DEVICE_CHANGESTATE request (an IOSP recovery in flight) and is rebooted `gapMs` later.
   */
  | {
      readonly kind: 'cp-crash-during-recovery';
      readonly changeOccurrence: number;
      readonly afterMs: number;
      readonly gapMs: number;
      readonly downMs: number;
    }
  /** Guest `guest` (modulo the guests) crashes at `atMs` and is rebooted `gapMs` later. */
  | {
      readonly kind: 'guest-crash-then-reboot';
      readonly guest: number;
      readonly atMs: number;
      readonly gapMs: number;
      readonly downMs: number;
    };

/** A guest fault of a schedule ({@link FaultSchedule.addGuest}). */
export type GuestFaultCase = Extract<IospFaultCase, { kind: 'guest-crash-then-reboot' }>;

/** The command partition of every property case. */
export const CP_NAME = 'cp';

/**
 * Arbitraries of the IOSP fault kinds, with the schedule's time ranges; `withHang` adds hangs,
 * `withGuestCrash` guest crashes under IO.
 */
export function iospFaultArbitraries(
  times: { readonly atMs: fc.Arbitrary<number>; readonly downMs: fc.Arbitrary<number> },
  withHang: boolean,
  withGuestCrash = false,
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
    fc.record({
      kind: fc.constant('cp-crash-then-reboot' as const),
      atMs,
      gapMs: fc.integer({ min: 1, max: 50 }),
      downMs,
    }),
    fc.record({
      kind: fc.constant('cp-crash-during-recovery' as const),
      changeOccurrence: fc.integer({ min: 1, max: 4 }),
      afterMs: fc.integer({ min: 0, max: 5 }),
      gapMs: fc.integer({ min: 1, max: 50 }),
      downMs,
    }),
    ...(withGuestCrash ? [guestCrashArbitrary(atMs, downMs)] : []),
  ];
}

/** A guest crash under IO, then its reboot `gapMs` later. */
function guestCrashArbitrary(
  atMs: fc.Arbitrary<number>,
  downMs: fc.Arbitrary<number>,
): fc.Arbitrary<IospFaultCase> {
  return fc.record({
    kind: fc.constant('guest-crash-then-reboot' as const),
    guest: fc.nat(3),
    atMs,
    gapMs: fc.integer({ min: 1, max: 50 }),
    downMs,
  });
}

/** The watchdog's detection time, added to a CP fault's heal (see the header). */
const CP_WATCHDOG_MS =
  WATCHDOG_DEFAULTS.timeoutMs + WATCHDOG_DEFAULTS.periodMs + WATCHDOG_DEFAULTS.rebootDownMs;

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

  /** Adds command partition fault `f` (case index `index`). */
  private addCp(f: Extract<IospFaultCase, { kind: `cp-${string}` }>, index: number): void {
    const { faults, healMs } = cpFaults(f);
    if (f.kind === 'cp-crash-then-reboot') {
      const [crash, reboot] = faults;
      this.addTimed(crash as Record<string, unknown>, index, 0);
      this.addTimed(reboot as Record<string, unknown>, index, healMs);
      return;
    }
    for (const fault of faults) {
      this.faults.push(fault);
      this.origin.push(index);
    }
    this.recoverySum += healMs;
  }

  /**
   * Adds a fault that fires at `atMs` and then costs at most `extraMs` of the work after every
   * other fault healed (a slowed disk's next commands): the bound grows by `extraMs`.
   */
  addSlowing(fault: Record<string, unknown>, index: number, atMs: number, extraMs: number): void {
    this.addTimed(fault, index, atMs);
    this.recoverySum += extraMs;
  }

  /** Adds channel fault `f` (case index `index`) on one of `iosps` or `guests`. */
  addChannel(
    f: ChannelFaultCase,
    index: number,
    iosps: readonly string[],
    guests: readonly string[],
  ): void {
    // A lost ring may hit any doorbell, the CP's included: every poller finds the work at its next
    // real poll (a guest's controlvm poller and vnic receive thread through Environment.onRing's
    // `onLost`, the CP and the IOSPs at their idle polls). queue-full holds an IOSP's drain only.
    const targets =
      f.kind === 'queue-full'
        ? iosps
        : f.kind === 'doorbell-lost'
          ? [...iosps, ...guests, CP_NAME]
          : [...iosps, ...guests];
    const partition = targets[mod(f.target, Math.max(targets.length, 1))];
    if (partition === undefined) return;
    const at = clamp(f.atMs, 0, 10_000);
    const span = clamp(f.forMs, 1, 10_000);
    const fault =
      f.kind === 'doorbell-lost'
        ? {
            action: f.kind,
            partition,
            rate: clamp(f.ratePercent, 1, 100) / 100,
            for: span,
            at,
          }
        : f.kind === 'doorbell-spurious'
          ? { action: f.kind, partition, count: clamp(f.count, 1, 1_000), for: span, at }
          : { action: f.kind, partition, for: span, at };
    this.addTimed(fault, index, at + span);
  }

  /** Adds IOSP fault `f` (case index `index`) for a run with `iospCount` IOSPs named by `iospName`. */
  addIosp(
    f: IospFaultCase,
    index: number,
    iospCount: number,
    iospName: (i: number) => string,
  ): void {
    if (f.kind === 'cp-crash-then-reboot' || f.kind === 'cp-crash-during-recovery') {
      this.addCp(f, index);
      return;
    }
    // A guest fault needs the guests' names: the case's loop hands it to addGuest instead.
    if (f.kind === 'guest-crash-then-reboot') return;
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

  /** Adds guest fault `f` (case index `index`) crashing one of `guests` (taken modulo). */
  addGuest(f: GuestFaultCase, index: number, guests: readonly string[]): void {
    const partition = guests[mod(f.guest, guests.length)];
    if (partition === undefined) return;
    const at = clamp(f.atMs, 0, 10_000);
    const gap = clamp(f.gapMs, 1, 10_000);
    const down = clamp(f.downMs, 0, 10_000);
    this.addTimed({ action: 'crash', partition, at }, index, at);
    const heal = at + gap + down + BOOT_SLACK_MS;
    this.addTimed({ action: 'reboot', partition, down, at: at + gap }, index, heal);
  }
}

/** A command partition fault: a crash, then a reboot `gap` ms later (header: its heal). */
function cpFaults(f: Extract<IospFaultCase, { kind: `cp-${string}` }>): {
  faults: Record<string, unknown>[];
  at: number;
  healMs: number;
} {
  const partition = CP_NAME;
  const gap = clamp(f.gapMs, 1, 10_000);
  const down = clamp(f.downMs, 0, 10_000);
  const heal = gap + down + BOOT_SLACK_MS + CP_WATCHDOG_MS;
  if (f.kind === 'cp-crash-then-reboot') {
    const at = clamp(f.atMs, 0, 10_000);
    const faults = [
      { action: 'crash', partition, at },
      { action: 'reboot', partition, down, at: at + gap },
    ];
    return { faults, at, healMs: at + heal };
  }
  const after = clamp(f.afterMs, 0, 10_000);
  const occurrence = clamp(f.changeOccurrence, 1, 100);
  const change = { actor: `${partition}/iosp-recovery`, event: 'cp.changeState', occurrence };
  const faults = [
    { action: 'crash', partition, when: { ...change, after } },
    { action: 'reboot', partition, down, when: { ...change, after: after + gap } },
  ];
  return { faults, at: 0, healMs: after + heal };
}

/** A scenario fault in a few words, for counterexample descriptions. */
export function describeFault(f: ScenarioFault): string {
  const when =
    f.when === undefined
      ? `at ${f.at} ms`
      : `${ordinal(f.when.occurrence)} ${f.when.event} of ${f.partition} + ${f.when.after} ms`;
  if (f.action === 'disk-error')
    return `disk-error ${f.disk} ${f.op} lba ${f.lba}+${f.count} ×${f.times} ${when}`;
  if (f.action === 'doorbell-lost' || f.action === 'doorbell-spurious' || f.action === 'queue-full')
    return `${f.action} ${f.partition}${f.channel === undefined ? '' : ` ${f.channel}`} ${when} for ${f.for ?? 'ever'} ms`;
  if (f.action === 'disk-slow')
    return `disk-slow ${f.disk} ${f.latencyMs.min}–${f.latencyMs.max} ms ×${f.times} ${when}`;
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
