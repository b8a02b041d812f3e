// Storage recovery (spar-protocol.md §4.1 IOSP failure, §4.2 "Guarantee to the guest", §4.6 Era A
// virthba pause/resume, §4.8 the outage checklist; §1.3 client states, §1.6 signal queues): over
// arbitrary storage topologies, block workloads and IOSP / disk fault schedules, run as scenarios
// in the deterministic runtime (`runSim`), the guest's storage keeps eight promises:
//
//   no-lost-acked-write      no acknowledged write is lost: every block holds its last
//                            acknowledged write (or a later unacknowledged one; src/check's write
//                            ledger, on the disk bytes), and no read of a disk's writer returned
//                            data older than an acknowledged write;
//   exactly-once-completion  every request completes to its workload exactly once (no duplicate
//                            completion, no answer for an unknown request; a finished workload
//                            completed all it submitted), and failures are explicit and explained:
//                            a guest's failed requests are at most the medium errors its disks
//                            returned (operations that touched a disk-error range) plus one per
//                            SD_MAX_RETRIES resets it retried (an exhausted retry budget);
//   guests-stay-running      every guest partition is running at every sampled ms and at the end,
//                            but one a scheduled guest crash takes down, until the faults healed;
//   io-completes-after-heal  every workload finished by the run's bound (below);
//   storage-isolation        each guest's vhba shows exactly the disks shared with it: its target
//                            scan at probe finds each shared disk at its address and no other,
//                            and a READ to an address with no disk is answered no-disk;
//   reset-budget             a request fails for its retry budget exactly when its commands were
//                            reset SD_MAX_RETRIES + 1 times, counted below the midlayer (the
//                            guest's reset ledger; src/check/reset-budget.ts); a busy is no reset;
//   slots-released           with no request live at the end, virthba's pending table is empty;
//   channel-invariants       at every virtual ms (runSim's `everyMs` sampler) and at every trace
//                            record of the channel's virthba (between the events of one instant,
//                            where the rings are not yet drained), on both queues of every vhba
//                            channel num_sent − num_received equals the occupancy and is at most
//                            max_slots − 1, and cli_state_os / cli_state_boot only changed along
//                            §1.3's legal transitions (between two samples a change must be
//                            reachable through legal steps: src/check's ChannelWatch); and at
//                            every IOSP boot each ring it serves starts at head = tail = 0
//                            (fresh-rings.ts).
//
// The checks themselves are src/check's oracles (shared with `spar run`'s expectations). The cases
// and the bound are in storage-recovery.case.ts, the wording of end-of-run findings (both
// runtimes) in storage-recovery.judge.ts; this file samples a sim run every ms and registers the
// property. One registered property checks all eight; each violation starts with the promise it
// breaks. Its `kind` is safety: the liveness promise is checked with an explicit bound, which makes
// it a safety property (a violation has a finite witness: the run up to the bound).

import { formatMs } from '../src/base/format-time.js';
import { InternalFailureError } from '../src/base/failure.js';
import { VHBA_CHANNEL } from '../src/kinds/vhba/channel.js';
import { type ChannelFinding, ChannelWatches, lostAckedWrites } from '../src/check/index.js';
import type { Disk } from '../src/kinds/vhba/disk.js';
import { hardwareOf } from '../src/kinds/index.js';
import { type VhbaGuestReport, vhbaReportOf } from '../src/kinds/vhba/guest.js';
import { vhbaKind } from '../src/kinds/vhba/index.js';
import type { TraceRecord } from '../src/partition/environment.js';
import type { FaultRecord } from '../src/run/faults.js';
import { runSim } from '../src/run/run-sim.js';
import type { SimRun } from '../src/runtime/sim/index.js';
import {
  describeStorageCase,
  loadPlan,
  type StorageCase,
  storageCaseArbitrary,
  type StoragePlan,
  storagePlan,
} from './storage-recovery.case.js';
import { FreshRingWatch } from './fresh-rings.js';
import { endViolations, type StoragePromise } from './storage-recovery.judge.js';

/** What one case produced: the violations, the trace and the fault records (for coverage). */
export interface StorageOutcome {
  readonly violations: readonly string[];
  readonly trace: readonly TraceRecord[];
  readonly faults: readonly FaultRecord[];
  /** Virtual ms the run lasted (≤ the plan's untilMs). */
  readonly endedAtMs: number;
  readonly plan: StoragePlan;
  /** Each guest's storage report at the end (ledgers and counters), null without one. */
  readonly reports: ReadonlyMap<string, VhbaGuestReport | null>;
}

/** Checks the per-ms promises (channel-invariants, guests-stay-running) and decides the early end. */
class Sampler {
  run: SimRun | null = null;
  private channels: ChannelWatches | null = null;
  private readonly reported = new Set<string>();
  readonly violations: string[] = [];
  /** Medium errors each disk has returned so far (read before the end-of-run checker reads it). */
  readonly diskErrors = new Map<string, number>();

  /** Guests a fault of the plan crashes: down until the faults healed, not a violation. */
  private readonly crashed: ReadonlySet<string>;

  constructor(private readonly plan: StoragePlan) {
    const crashes = plan.scenario.faults.flatMap((f) =>
      f.action === 'crash' ? [f.partition] : [],
    );
    this.crashed = new Set(crashes);
  }

  /** The `everyMs` hook of runSim: true ends the run (everything settled past the heal bound). */
  sample(run: SimRun): boolean {
    this.run = run;
    const now = run.now();
    this.channels ??= this.watch(run);
    this.channelViolations(this.channels.checkAll(now));
    for (const g of this.plan.guests) {
      const state = run.hypervisor.state(g);
      const value = state.ok ? state.value : 'unknown';
      const excused = this.crashed.has(g) && now <= this.plan.healedByMs;
      if (value !== 'running' && !excused && !this.reported.has(g)) {
        this.reported.add(g);
        this.violations.push(`guests-stay-running: ${g} is ${value} at ${formatMs(now)}`);
      }
    }
    for (const [name, disk] of hardwareOf(vhbaKind, run.hardware) ?? [])
      this.diskErrors.set(name, disk.firedFailures());
    return now >= this.plan.healedByMs && this.settled(run);
  }

  // Watches every vhba channel; also checks a channel at each trace record of its virthba (taken
  // before the effect is performed), which sees the rings between the events of one instant —
  // at whole ms they are always drained in the sim, since doorbells wake the peer at once.
  private watch(run: SimRun): ChannelWatches {
    const channels = new ChannelWatches();
    for (const record of run.channels.all()) {
      if (record.typeName !== 'vhba') continue;
      this.channelViolations(channels.add(record.id, record.buffer, VHBA_CHANNEL));
    }
    run.world.onRecord((record) => {
      const m = /^([^/]+)\/virthba:([0-9a-f]+):([0-9a-f]+)$/.exec(record.actor);
      if (m === null) return;
      const id = `${m[1]}/vbus${parseInt(m[2] ?? '', 16)}:dev${parseInt(m[3] ?? '', 16)}`;
      this.channelViolations(channels.check(id, record.atMs));
    });
    return channels;
  }

  // Each finding is new: ChannelWatches reports a broken invariant once.
  private channelViolations(findings: readonly ChannelFinding[]): void {
    for (const f of findings) this.violations.push(`channel-invariants: ${f.text}`);
  }

  // Every partition runs and every guest's workloads all started and finished.
  private settled(run: SimRun): boolean {
    for (const p of run.config.partitions) {
      const state = run.hypervisor.state(p.name);
      if (!state.ok || state.value !== 'running') return false;
    }
    return this.plan.guests.every((g) => {
      const expected = this.plan.disks.filter((d) => d.sharedWith.includes(g)).length;
      const io = vhbaReportOf(run.host(g)?.view());
      return (
        io !== null && io.workloads.length === expected && io.workloads.every((w) => w.finished)
      );
    });
  }
}

/** Runs one case in the sim runtime; returns every broken promise, the trace and the faults. */
export function runStorageCase(c: StorageCase, quirks: readonly string[]): StorageOutcome {
  return runStoragePlan(storagePlan(c), c.simSeed, quirks);
}

/**
 * Runs `plan` (a case's, or one another property derived from it) and checks the eight promises;
 * `observe` sees the run at every virtual ms, before the sampler (ring-full.property.ts).
 */
export function runStoragePlan(
  plan: StoragePlan,
  simSeed: number,
  quirks: readonly string[],
  observe?: (run: SimRun) => void,
): StorageOutcome {
  const sampler = new Sampler(plan);
  const fresh = new FreshRingWatch();
  const result = runSim(loadPlan(plan, quirks), simSeed, plan.untilMs, {
    everyMs: (run) => {
      fresh.observe(run);
      observe?.(run);
      return sampler.sample(run);
    },
  });
  // A bug inside spar-sim is not a verdict on the system: the case fails with it (a campaign
  // reports it as `threw: …`, with the counterexample).
  if (result.failure !== null) throw new InternalFailureError(result.failure);
  const reports = new Map<string, VhbaGuestReport | null>(
    plan.guests.map((g) => [g, vhbaReportOf(sampler.run?.host(g)?.view())]),
  );
  const run = sampler.run;
  const disks =
    (run === null ? undefined : hardwareOf(vhbaKind, run.hardware)) ?? new Map<string, Disk>();
  const lost = new Map(
    plan.guests.map((g) => [g, lostAckedWrites(reports.get(g)?.workloads ?? [], disks)]),
  );
  const violations = [
    ...sampler.violations,
    ...fresh.violations,
    ...endViolations(plan, result.observation, result.faults, {
      reports,
      lost,
      diskErrors: sampler.diskErrors,
    }),
  ];
  return {
    violations,
    trace: result.trace,
    faults: result.faults,
    endedAtMs: result.virtualMs,
    plan,
    reports,
  };
}

// ---------------------------------------------------------------------------------------------
// The registered property

/** The registered property (`properties/registry.ts`). */
export const storageRecovery = {
  name: 'storage-recovery',
  promise:
    'For any storage topology (1–2 IOSPs, 1–4 guests, 1–4 shared disks), block workloads and IOSP reboots, crashes, reboots during recovery, disk errors, command partition crashes and guest crashes under IO: ' +
    '(no-lost-acked-write) no acknowledged write is lost; ' +
    '(exactly-once-completion) every request completes to its workload exactly once, failing only explicitly and only from a disk error or an exhausted retry budget; ' +
    '(guests-stay-running) every guest keeps running, or after a crash the faults scheduled runs again; ' +
    '(io-completes-after-heal) once the last fault healed, all IO completes within a stated bound; ' +
    "(storage-isolation) each guest's vhba shows exactly the disks shared with it, and a command to an address with no disk is answered no-disk; " +
    '(reset-budget) a request fails for its retry budget exactly when its commands were reset SD_MAX_RETRIES + 1 times (counted below the midlayer; a busy is no reset); ' +
    "(slots-released) with no request live, virthba's pending table is empty; " +
    '(channel-invariants) at every virtual ms and virthba channel operation each vhba queue has num_sent − num_received = occupancy ≤ max_slots − 1 and client states change only along §1.3; an IOSP boots onto rings at head = tail = 0.',
  kind: 'safety' as const,
  arbitrary: storageCaseArbitrary,
  run: runStorageCase,
  describe: describeStorageCase,
  testRuns: 15,
  asScenario: {
    of: (c: StorageCase) => ({ scenario: storagePlan(c).scenario, seed: c.simSeed }),
    // channel-invariants is sampled every virtual ms and at each virthba record: no expectation.
    expectations: {
      'no-lost-acked-write': 'no-lost-writes',
      'exactly-once-completion': 'exactly-once-completion',
      'guests-stay-running': 'guests-running',
      'io-completes-after-heal': 'io-resumes',
      'storage-isolation': 'storage-isolation',
      // Judged from the guest's reset ledger and virthba's table, which no expectation reads.
      'reset-budget': null,
      'slots-released': null,
      'channel-invariants': null,
    } satisfies Record<StoragePromise, string | null>,
  },
};
