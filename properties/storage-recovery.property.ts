// Storage recovery (spar-protocol.md §4.1 IOSP failure, §4.2 "Guarantee to the guest", §4.6 Era A
// virthba pause/resume, §4.8 the outage checklist; §1.3 client states, §1.6 signal queues): over
// arbitrary storage topologies, block workloads and IOSP / disk fault schedules, run as scenarios
// in the deterministic runtime (`runSim`), the guest's storage keeps five promises:
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
//   guests-stay-running      every guest partition is running at every sampled ms and at the end;
//   io-completes-after-heal  every workload finished by the run's bound (below);
//   channel-invariants       at every virtual ms (runSim's `everyMs` sampler) and at every trace
//                            record of the channel's virthba (between the events of one instant,
//                            where the rings are not yet drained), on both queues of every vhba
//                            channel num_sent − num_received equals the occupancy and is at most
//                            max_slots − 1, and cli_state_os / cli_state_boot only changed along
//                            §1.3's legal transitions (between two samples a change must be
//                            reachable through legal steps: src/check's ChannelWatch).
//
// The checks themselves are src/check's oracles (shared with `spar run`'s expectations); this file
// generates the cases, samples the run and words each finding. One registered property checks all
// five; each violation starts with the promise it breaks. Its `kind` is safety: the liveness
// promise is checked with an explicit bound, which makes it a safety property (a violation has a
// finite witness: the run up to the bound).
//
// The bound (the liveness bound of io-completes-after-heal). Every fault has healed by
//   H = max over timed faults of (reboot: at + down; crash then reboot: at + gap + down;
//       disk error: at) + Σ over reboots-during-recovery of (after + down),
// each reboot term plus BOOT_SLACK_MS (a boot takes 0 virtual ms today): a reboot-during-recovery
// fires `after` ms after a BOOTED of its IOSP, and every BOOTED but the first ends the down time
// of a fault that fired earlier, so by induction over firing order the j-th one to fire has
// healed by max(timed heals) + the sum of the first j (after + down). The run lasts until
//   untilMs = H + RESUME_MS + max over workloads of ⌈ops / queueDepth⌉ × (latency max + PER_REQUEST_SLACK_MS),
// the time the slowest workload would need from scratch with nothing failing, after the CP's
// resume handshake (measured on 120 generated cases: none ended later than 28% of the way from
// H to untilMs). It ends earlier (the sampler's early end) once the time is past H, every
// partition runs and every workload finished: nothing can change after that.
//
// Topology: 1–2 IOSPs, 1–4 guests, 1–4 disks; each disk belongs to one IOSP and is shared with
// 1+ guests; every guest sees at least one disk and has one vhba per IOSP whose disks it sees, on
// bus 2 (devNo in IOSP order). A disk's first sharing guest is its writer (the workload's own
// verification assumes it is the disk's only writer); the other sharing guests run the same
// workload read-only. Indices in a case are taken modulo the counts, so every shrink is valid.

import fc from 'fast-check';
import { VHBA_CHANNEL } from '../src/kinds/vhba/channel.js';
import {
  type ChannelFinding,
  ChannelWatches,
  type CompletionFinding,
  completionFindings,
  diskErrorsBound,
  type FiredDiskError,
  failureAccounting,
  lostAckedWrites,
  staleReads,
  unfinishedWork,
  workloadCompletionFindings,
} from '../src/check/index.js';
import { BLOCK_SIZES, type BlockSize, type Disk } from '../src/kinds/vhba/disk.js';
import { hardwareOf } from '../src/kinds/index.js';
import { type VhbaGuestReport, vhbaReportOf } from '../src/kinds/vhba/guest.js';
import { vhbaKind } from '../src/kinds/vhba/index.js';
import type { IoStats } from '../src/kinds/vhba/report.js';
import type { TraceRecord } from '../src/partition/environment.js';
import type { FaultRecord } from '../src/run/faults.js';
import type { Observation } from '../src/run/observation.js';
import { runSim } from '../src/run/run-sim.js';
import type { SimRun } from '../src/runtime/sim/index.js';
import type { LoadedScenario } from '../src/scenario/load.js';
import { parseScenario, type Scenario } from '../src/scenario/schema.js';
import { loadCaseScenario } from './case-scenario.js';
import {
  clamp,
  describeFault,
  FaultSchedule,
  iospFaultArbitraries,
  mod,
  type IospFaultCase,
} from './iosp-faults.js';

export { BOOT_SLACK_MS } from './iosp-faults.js';
/** The channel-invariants oracle (src/check), as this property's runner tests it. */
export { type ChannelFinding, ChannelWatch } from '../src/check/index.js';

// ---------------------------------------------------------------------------------------------
// Cases (plain JSON: counterexamples are saved as files)

/** One disk's workload: the writer runs it as drawn, every other sharing guest read-only. */
export interface WorkloadCase {
  readonly queueDepth: number;
  readonly ops: number;
  /** The writer's writeFraction, in percent. */
  readonly writePercent: number;
  readonly maxBlocks: number;
}

/** A disk; `iosp` and `guests` are taken modulo the counts (duplicates dropped). */
export interface DiskCase {
  readonly iosp: number;
  /** The guests it is shared with; the first is its writer. */
  readonly guests: readonly number[];
  readonly blocks: number;
  /** Bytes per block; a case saved before block sizes were drawn has none (512). */
  readonly blockSize?: number;
  /** Latency in tenths of a ms: the minimum, and max − min. */
  readonly latencyTenthsMs: readonly [min: number, spread: number];
  readonly workload: WorkloadCase;
}

/** A fault of the schedule; each becomes one or two scenario `faults` (IOSP faults: iosp-faults.ts). */
export type FaultCase =
  | Exclude<IospFaultCase, { kind: 'hang' }>
  /** The next `times` `op`s on blocks lba..lba+count−1 of the disk fail (taken within the disk). */
  | {
      readonly kind: 'disk-error';
      readonly disk: number;
      readonly op: 'read' | 'write';
      readonly lba: number;
      readonly count: number;
      readonly times: number;
      readonly atMs: number;
    };

/** The kinds of fault the arbitrary generates. */
export const FAULT_KINDS = [
  'reboot',
  'crash-then-reboot',
  'reboot-during-recovery',
  'disk-error',
] as const;

/** One case. */
export interface StorageCase {
  readonly iosps: number;
  readonly guests: number;
  readonly disks: readonly DiskCase[];
  readonly faults: readonly FaultCase[];
  readonly simSeed: number;
}

const atMs = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 200 }));
const downMs = fc.integer({ min: 0, max: 200 });
const iosp = fc.nat(1);

const workloadArbitrary: fc.Arbitrary<WorkloadCase> = fc.record({
  queueDepth: fc.integer({ min: 1, max: 8 }),
  ops: fc.integer({ min: 20, max: 200 }),
  writePercent: fc.integer({ min: 0, max: 100 }),
  maxBlocks: fc.integer({ min: 1, max: 8 }),
});

const diskArbitrary: fc.Arbitrary<DiskCase> = fc.record({
  iosp,
  guests: fc.uniqueArray(fc.nat(3), { minLength: 1, maxLength: 4 }),
  blocks: fc.integer({ min: 16, max: 256 }),
  // The sizes real disks come in (512e, 4Kn) and one between; the midlayer and virthba carry a
  // request's buffer at the disk's size, so a size-dependent bug shows up as a lost write.
  blockSize: fc.constantFrom(512, 1024, 4096),
  latencyTenthsMs: fc.tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 20 })),
  workload: workloadArbitrary,
});

const faultArbitrary: fc.Arbitrary<FaultCase> = fc.oneof(
  ...(iospFaultArbitraries({ atMs, downMs }, false) as fc.Arbitrary<FaultCase>[]),
  fc.record({
    kind: fc.constant('disk-error' as const),
    disk: fc.nat(3),
    op: fc.constantFrom<'read' | 'write'>('read', 'write'),
    lba: fc.nat(255),
    count: fc.integer({ min: 1, max: 8 }),
    times: fc.integer({ min: 1, max: 3 }),
    atMs,
  }),
);

/** Every case: topology, workloads, fault schedule, sim seed. */
// Choice: keys in shrink order (fc.record shrinks the first key first): whole disks and guests go
// before the details; the sim seed is small (its shrinking costs runs, and every other field
// already varies the interleavings).
export const storageCaseArbitrary: fc.Arbitrary<StorageCase> = fc.record({
  disks: fc.array(diskArbitrary, { minLength: 1, maxLength: 4 }),
  guests: fc.integer({ min: 1, max: 4 }),
  iosps: fc.integer({ min: 1, max: 2 }),
  faults: fc.array(faultArbitrary, { maxLength: 4 }),
  simSeed: fc.nat(99),
});

// ---------------------------------------------------------------------------------------------
// Case → scenario

/** The CP's resume handshake after the last heal (IOSP_UP → DEVICE_CHANGESTATE running → resume). */
export const RESUME_MS = 100;
/** Per request beyond the disk's latency: polls, doorbells, a busy requeue (3 ms). */
export const PER_REQUEST_SLACK_MS = 5;

/** A disk after normalisation. */
export interface TopologyDisk {
  readonly name: string;
  readonly iosp: string;
  /** Writer first. */
  readonly sharedWith: readonly string[];
  readonly blocks: number;
  readonly blockSize: BlockSize;
  readonly latencyMs: { readonly min: number; readonly max: number };
  readonly workload: WorkloadCase;
}

/** The case as a scenario, with what the checks need. */
export interface StoragePlan {
  readonly iosps: readonly string[];
  readonly guests: readonly string[];
  readonly disks: readonly TopologyDisk[];
  /** Every fault has healed by then (see the header). */
  readonly healedByMs: number;
  /** The run's length: the liveness bound. */
  readonly untilMs: number;
  readonly scenario: Scenario;
  /** For each scenario fault, the index of the case fault it came from. */
  readonly faultOrigin: readonly number[];
}

const iospName = (i: number) => `iosp${i}`;
const guestName = (i: number) => `guest${i + 1}`;
const diskName = (i: number) => `disk${i}`;

/** The normalised topology, the scenario and the bound of `c`. */
export function storagePlan(c: StorageCase): StoragePlan {
  const iospCount = clamp(c.iosps, 1, 2);
  const guestCount = clamp(c.guests, 1, 4);
  const iosps = Array.from({ length: iospCount }, (_, i) => iospName(i));
  const guests = Array.from({ length: guestCount }, (_, i) => guestName(i));
  const diskCases = c.disks.slice(0, 4);
  const sharing = diskCases.map((d) => [...new Set(d.guests.map((g) => mod(g, guestCount)))]);
  // A guest that sees no disk joins one (round robin), as a reader.
  for (let g = 0; g < guestCount; g++) {
    if (diskCases.length > 0 && !sharing.some((s) => s.includes(g)))
      sharing[g % diskCases.length]?.push(g);
  }
  const disks: TopologyDisk[] = diskCases.map((d, i) => {
    const shared = sharing[i] ?? [];
    const minTenths = clamp(d.latencyTenthsMs[0], 0, 10);
    return {
      name: diskName(i),
      iosp: iospName(mod(d.iosp, iospCount)),
      sharedWith: (shared.length === 0 ? [0] : shared).map(guestName),
      blocks: clamp(d.blocks, 16, 256),
      blockSize: BLOCK_SIZES.find((b) => b === d.blockSize) ?? 512,
      latencyMs: {
        min: minTenths / 10,
        max: (minTenths + clamp(d.latencyTenthsMs[1], 0, 20)) / 10,
      },
      workload: {
        queueDepth: clamp(d.workload.queueDepth, 1, 8),
        ops: clamp(d.workload.ops, 1, 200),
        writePercent: clamp(d.workload.writePercent, 0, 100),
        maxBlocks: clamp(d.workload.maxBlocks, 1, 8),
      },
    };
  });
  const schedule = new FaultSchedule();
  c.faults.forEach((f, index) => {
    if (f.kind !== 'disk-error') {
      schedule.addIosp(f, index, iospCount, iospName);
      return;
    }
    const disk = disks[mod(f.disk, Math.max(disks.length, 1))];
    if (disk === undefined) return;
    const at = clamp(f.atMs, 0, 10_000);
    const lba = mod(f.lba, disk.blocks);
    const count = clamp(f.count, 1, disk.blocks - lba);
    schedule.addTimed(
      {
        action: 'disk-error',
        partition: disk.iosp,
        disk: disk.name,
        op: f.op,
        lba,
        count,
        times: clamp(f.times, 1, 100),
        at,
      },
      index,
      at,
    );
  });
  const { faults, origin: faultOrigin, healedByMs } = schedule;
  const workloadMs = Math.max(
    0,
    ...disks.map(
      (d) =>
        Math.ceil(d.workload.ops / d.workload.queueDepth) *
        (d.latencyMs.max + PER_REQUEST_SLACK_MS),
    ),
  );
  const untilMs = Math.ceil(healedByMs + RESUME_MS + workloadMs);
  const guestPartitions = guests.map((g) => {
    const seen = iosps.filter((i) => disks.some((d) => d.iosp === i && d.sharedWith.includes(g)));
    return {
      name: g,
      kind: 'guest',
      buses: [{ busNo: 2, deviceCount: Math.max(seen.length, 1) }],
      devices: seen.map((server, devNo) => ({ busNo: 2, devNo, channelType: 'vhba', server })),
      workloads: disks
        .filter((d) => d.sharedWith.includes(g))
        .map((d) => ({
          kind: 'block',
          disk: d.name,
          queueDepth: d.workload.queueDepth,
          ops: d.workload.ops,
          writeFraction: d.sharedWith[0] === g ? d.workload.writePercent / 100 : 0,
          maxBlocks: d.workload.maxBlocks,
        })),
    };
  });
  const iospPartitions = iosps.map((name) => ({
    name,
    kind: 'iosp',
    hardware: {
      scsi: [
        {
          name: 'hba0',
          disks: disks
            .filter((d) => d.iosp === name)
            .map((d) => ({
              name: d.name,
              blocks: d.blocks,
              blockSize: d.blockSize,
              sharedWith: [...d.sharedWith],
              latencyMs: d.latencyMs,
            })),
        },
      ],
    },
  }));
  const scenario = parseScenario({
    description: 'storage-recovery property case',
    until: untilMs,
    partitions: [{ name: 'cp', kind: 'command' }, ...iospPartitions, ...guestPartitions],
    faults,
  });
  return { iosps, guests, disks, healedByMs, untilMs, scenario, faultOrigin };
}

/** The plan as a loaded scenario (throws if the plan is not a valid configuration: a bug here). */
export function loadPlan(plan: StoragePlan, quirks: readonly string[]): LoadedScenario {
  return loadCaseScenario('storage-recovery', plan.scenario, quirks);
}

// ---------------------------------------------------------------------------------------------
// The promises

/** The promises, by the name each violation starts with. */
export const STORAGE_PROMISES = {
  'no-lost-acked-write':
    'No acknowledged write is lost (every block holds its last acknowledged write or a later one; no writer read older data).',
  'exactly-once-completion':
    'Every request completes to its workload exactly once; failures are explicit and only from disk errors or an exhausted retry budget.',
  'guests-stay-running': 'Every guest partition stays running.',
  'io-completes-after-heal':
    'Once the last fault healed, all outstanding IO completes within the bound.',
  'channel-invariants':
    'At every virtual ms and virthba channel operation each vhba queue has num_sent − num_received = occupancy ≤ max_slots − 1, and client states change only along §1.3.',
} as const;

/** One of {@link STORAGE_PROMISES}. */
export type StoragePromise = keyof typeof STORAGE_PROMISES;

/** What one case produced: the violations, the trace and the fault records (for coverage). */
export interface StorageOutcome {
  readonly violations: readonly string[];
  readonly trace: readonly TraceRecord[];
  readonly faults: readonly FaultRecord[];
  /** Virtual ms the run lasted (≤ the plan's untilMs). */
  readonly endedAtMs: number;
  readonly plan: StoragePlan;
}

/** Checks the per-ms promises (channel-invariants, guests-stay-running) and decides the early end. */
class Sampler {
  run: SimRun | null = null;
  private channels: ChannelWatches | null = null;
  private readonly reported = new Set<string>();
  readonly violations: string[] = [];
  /** Medium errors each disk has returned so far (read before the end-of-run checker reads it). */
  readonly diskErrors = new Map<string, number>();

  constructor(private readonly plan: StoragePlan) {}

  /** The `everyMs` hook of runSim: true ends the run (everything settled past the heal bound). */
  sample(run: SimRun): boolean {
    this.run = run;
    const now = run.now();
    this.channels ??= this.watch(run);
    this.channelViolations(this.channels.checkAll(now));
    for (const g of this.plan.guests) {
      const state = run.hypervisor.state(g);
      const value = state.ok ? state.value : 'unknown';
      if (value !== 'running' && !this.reported.has(g)) {
        this.reported.add(g);
        this.violations.push(`guests-stay-running: ${g} is ${value} at ${now} ms`);
      }
    }
    for (const [name, disk] of hardwareOf(vhbaKind, run.hardware) ?? []) this.diskErrors.set(name, disk.firedFailures());
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
  const plan = storagePlan(c);
  const sampler = new Sampler(plan);
  const result = runSim(loadPlan(plan, quirks), c.simSeed, plan.untilMs, {
    everyMs: (run) => sampler.sample(run),
  });
  const reports = new Map<string, VhbaGuestReport | null>(
    plan.guests.map((g) => [g, vhbaReportOf(sampler.run?.host(g)?.view())]),
  );
  const run = sampler.run;
  const disks = (run === null ? undefined : hardwareOf(vhbaKind, run.hardware)) ?? new Map<string, Disk>();
  const lost = new Map(
    plan.guests.map((g) => [g, lostAckedWrites(reports.get(g)?.workloads ?? [], disks)]),
  );
  const violations = [
    ...sampler.violations,
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
  };
}

/** What only the sim runtime sees at the end of a run, for {@link endViolations}. */
export interface SimEnd {
  /** Each guest's workload and midlayer ledgers: writer reads verified, unknown answers, totals. */
  readonly reports: ReadonlyMap<string, VhbaGuestReport | null>;
  /** Per guest, the write ledger on the disks as the run left them (replaces `io.lostAckedWrites`). */
  readonly lost: ReadonlyMap<string, number>;
  /** Per disk, the medium errors it returned: failures a disk error explains. */
  readonly diskErrors: ReadonlyMap<string, number>;
}

/**
 * The promises judged on the end of a run (both runtimes): no-lost-acked-write,
 * exactly-once-completion, guests-stay-running (at the end), io-completes-after-heal. Without
 * `sim` (the worker runtime) a failed request is explained by any operation a fired disk-error
 * fault on its disks could fail (`times`), and lost writes are `io.lostAckedWrites`.
 */
export function endViolations(
  plan: StoragePlan,
  o: Observation,
  faults: readonly FaultRecord[],
  sim: SimEnd | null = null,
): string[] {
  const out: string[] = [];
  const v = (promise: StoragePromise, text: string) => out.push(`${promise}: ${text}`);
  for (const g of plan.guests) {
    const io: IoStats | undefined = o.io[g];
    const mine = plan.disks.filter((d) => d.sharedWith.includes(g));
    if (o.states[g] !== 'running')
      v('guests-stay-running', `${g} is ${o.states[g] ?? 'unknown'} at the end`);
    if (io === undefined) continue;
    const lost = sim?.lost.get(g) ?? io.lostAckedWrites;
    if (lost > 0) v('no-lost-acked-write', `${g}: ${lost} block(s) lost an acknowledged write`);
    for (const w of sim?.reports.get(g)?.workloads ?? []) {
      const disk = plan.disks.find((d) => d.name === w.name);
      const stale = staleReads(w, disk?.sharedWith[0] === g);
      if (stale > 0)
        v(
          'no-lost-acked-write',
          `${g}: ${stale} read(s) of ${w.name} returned data older than an acknowledged write`,
        );
      const ops = mine.find((d) => d.name === w.name)?.workload.ops;
      for (const f of workloadCompletionFindings(w, ops))
        v('exactly-once-completion', completionText(g, f));
    }
    for (const f of completionFindings(io)) v('exactly-once-completion', completionText(g, f));
    const diskErrors =
      sim === null
        ? diskErrorsBound(
            firedDiskErrors(plan, faults),
            mine.map((d) => d.name),
          )
        : mine.reduce((n, d) => n + (sim.diskErrors.get(d.name) ?? 0), 0);
    const unexplained = failureAccounting(io, diskErrors);
    if (unexplained !== null) v('exactly-once-completion', completionText(g, unexplained));
    const left = unfinishedWork(io, mine.length);
    if (left !== null)
      v(
        'io-completes-after-heal',
        `${g}: ${left.unfinished} of ${left.expected} workload(s) unfinished at ${plan.untilMs} ms (faults healed by ${plan.healedByMs} ms), ${left.outstanding} request(s) outstanding`,
      );
  }
  return out;
}

// The disk-error faults that fired (the worker runtime's bound on the medium errors returned).
function firedDiskErrors(plan: StoragePlan, faults: readonly FaultRecord[]): FiredDiskError[] {
  return faults
    .filter((f) => f.action === 'disk-error' && f.atMs !== null && f.refused === null)
    .flatMap((f) => {
      const fault = plan.scenario.faults[f.index];
      return fault?.action === 'disk-error' ? [{ disk: fault.disk, times: fault.times }] : [];
    });
}

// One exactly-once-completion finding of guest `g` in words.
function completionText(g: string, f: CompletionFinding): string {
  switch (f.kind) {
    case 'duplicate-completion':
      return `${g}: ${f.count} duplicate completion(s)`;
    case 'never-completed':
      return `${g}: ${f.missing} of ${f.submitted} request(s) never completed`;
    case 'unknown-answer':
      return `${g}: ${f.count} answer(s) for ${f.workload} requests not outstanding`;
    case 'incomplete-finish':
      return `${g}: ${f.workload} finished with ${f.submitted} of ${f.planned} submitted, ${f.completed} completed`;
    case 'unexplained-failure':
      return `${g}: ${f.failed} request(s) failed, but disk errors on its disks explain at most ${f.diskErrors} and exhausted retry budgets ${f.exhaustedBudgets} (${f.retried} resets retried)`;
  }
}

// ---------------------------------------------------------------------------------------------
// Description

/** The case in a few lines: topology, workloads, faults and the bound. */
export function describeStorageCase(c: StorageCase): string {
  const plan = storagePlan(c);
  const disks = plan.disks.map((d) => {
    const w = d.workload;
    const readers = d.sharedWith.slice(1);
    return `${d.name} on ${d.iosp} (${d.blocks} blocks, ${d.latencyMs.min}–${d.latencyMs.max} ms): ${d.sharedWith[0]} writes ${w.writePercent}%${readers.length > 0 ? `, ${readers.join(', ')} read` : ''}; qd ${w.queueDepth}, ${w.ops} ops, ≤ ${w.maxBlocks} blocks`;
  });
  const faults = plan.scenario.faults.map(describeFault);
  return [
    `sim seed ${c.simSeed}; ${plan.iosps.length} IOSP(s), ${plan.guests.length} guest(s); run until ${plan.untilMs} ms (faults healed by ${plan.healedByMs} ms)`,
    ...disks,
    ...(faults.length === 0 ? ['no faults'] : faults.map((f) => `fault: ${f}`)),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The registered property

/** The registered property (`properties/registry.ts`). */
export const storageRecovery = {
  name: 'storage-recovery',
  promise:
    'For any storage topology (1–2 IOSPs, 1–4 guests, 1–4 shared disks), block workloads and IOSP reboots, crashes, reboots during recovery and disk errors: ' +
    '(no-lost-acked-write) no acknowledged write is lost; ' +
    '(exactly-once-completion) every request completes to its workload exactly once, failing only explicitly and only from a disk error or an exhausted retry budget; ' +
    '(guests-stay-running) every guest keeps running; ' +
    '(io-completes-after-heal) once the last fault healed, all IO completes within a stated bound; ' +
    '(channel-invariants) at every virtual ms and virthba channel operation each vhba queue has num_sent − num_received = occupancy ≤ max_slots − 1 and client states change only along §1.3.',
  kind: 'safety' as const,
  arbitrary: storageCaseArbitrary,
  run: runStorageCase,
  describe: describeStorageCase,
  testRuns: 15,
};
