// The storage-recovery property's cases (spar-protocol.md §4.1, §4.8): what a case is, the
// arbitrary that draws one, and how it becomes a scenario with the liveness bound that
// storage-recovery.property.ts checks.
//
// The bound (the liveness bound of io-completes-after-heal). Every fault has healed by
//   H = max over timed faults of (reboot: at + down; crash then reboot: at + gap + down;
//       disk error: at) + Σ over reboots-during-recovery of (after + down),
// each reboot term plus BOOT_SLACK_MS (a boot takes 0 virtual ms today): a reboot-during-recovery
// fires `after` ms after a BOOTED of its IOSP, and every BOOTED but the first ends the down time
// of a fault that fired earlier, so by induction over firing order the j-th one to fire has
// healed by max(timed heals) + the sum of the first j (after + down). The run lasts until
//   untilMs = H + RESUME_MS + max over workloads of ⌈ops / queueDepth⌉ × (latency max + PER_REQUEST_SLACK_MS),
// the time the slowest workload would need from scratch with nothing failing (with a guest crash
// in the schedule, plus a read-back of every block of its disk), after the CP's
// resume handshake (measured on 120 generated cases: none ended later than 28% of the way from
// H to untilMs). It ends earlier (the sampler's early end, storage-recovery.property.ts) once the
// time is past H, every partition runs and every workload finished: nothing can change after that.
//
// Topology: 1–2 IOSPs, 1–4 guests, 1–4 disks; each disk belongs to one IOSP and is shared with
// 1+ guests; every guest sees at least one disk and has one vhba per IOSP whose disks it sees, on
// bus 2 (devNo in IOSP order). A disk's first sharing guest is its writer (the workload's own
// verification assumes it is the disk's only writer); the other sharing guests run the same
// workload read-only. Indices in a case are taken modulo the counts, so every shrink is valid.

import fc from 'fast-check';
import { BLOCK_SIZES, type BlockSize } from '../src/kinds/vhba/disk.js';
import type { LoadedScenario } from '../src/scenario/load.js';
import { parseScenario, type Scenario } from '../src/scenario/schema.js';
import { loadCaseScenario } from './case-scenario.js';
import {
  CHANNEL_FAULT_KINDS,
  channelFaultArbitraries,
  type ChannelFaultCase,
} from './channel-faults.js';
import {
  clamp,
  describeFault,
  FaultSchedule,
  iospFaultArbitraries,
  mod,
  type IospFaultCase,
} from './iosp-faults.js';

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
    }
  /** A channel fault: lost or spurious doorbells, a queue held full (iosp-faults.ts). */
  | ChannelFaultCase
  /** The next `times` commands to the disk take `minMs`..`minMs + spreadMs` each (disk-slow). */
  | {
      readonly kind: 'disk-slow';
      readonly disk: number;
      readonly minMs: number;
      readonly spreadMs: number;
      readonly times: number;
      readonly atMs: number;
    };

/** The kinds of fault the arbitrary generates. */
export const FAULT_KINDS = [
  'reboot',
  'crash-then-reboot',
  'reboot-during-recovery',
  'disk-error',
  ...CHANNEL_FAULT_KINDS,
  'disk-slow',
  'cp-crash-then-reboot',
  'cp-crash-during-recovery',
  'guest-crash-then-reboot',
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

/** The deepest workload queue of a storage-recovery case (ring-full.property.ts allows 128). */
export const QUEUE_DEPTH_MAX = 8;

const workloadArbitrary: fc.Arbitrary<WorkloadCase> = fc.record({
  queueDepth: fc.integer({ min: 1, max: QUEUE_DEPTH_MAX }),
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
  ...(iospFaultArbitraries({ atMs, downMs }, false, true) as fc.Arbitrary<FaultCase>[]),
  fc.record({
    kind: fc.constant('disk-error' as const),
    disk: fc.nat(3),
    op: fc.constantFrom<'read' | 'write'>('read', 'write'),
    lba: fc.nat(255),
    count: fc.integer({ min: 1, max: 8 }),
    times: fc.integer({ min: 1, max: 3 }),
    atMs,
  }),
  ...channelFaultArbitraries(atMs),
  fc.record({
    kind: fc.constant('disk-slow' as const),
    disk: fc.nat(3),
    // One draw in three crosses sd's 30 s command timeout, so the error handler runs.
    minMs: fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 2_000 }), weight: 2 },
      { arbitrary: fc.integer({ min: 30_001, max: 45_000 }), weight: 1 },
    ),
    spreadMs: fc.integer({ min: 0, max: 1_000 }),
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

/** The normalised topology, the scenario and the bound of `c`, queue depths up to `queueDepthMax`. */
export function storagePlan(c: StorageCase, queueDepthMax = QUEUE_DEPTH_MAX): StoragePlan {
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
        queueDepth: clamp(d.workload.queueDepth, 1, queueDepthMax),
        ops: clamp(d.workload.ops, 1, 200),
        writePercent: clamp(d.workload.writePercent, 0, 100),
        maxBlocks: clamp(d.workload.maxBlocks, 1, 8),
      },
    };
  });
  const schedule = new FaultSchedule();
  c.faults.forEach((f, index) => {
    if (f.kind === 'doorbell-lost' || f.kind === 'doorbell-spurious' || f.kind === 'queue-full') {
      schedule.addChannel(f, index, iosps, guests);
      return;
    }
    if (f.kind === 'disk-slow') {
      addDiskSlow(schedule, f, index, disks);
      return;
    }
    if (f.kind === 'guest-crash-then-reboot') {
      schedule.addGuest(f, index, guests);
      return;
    }
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
  // A workload whose guest rebooted starts over after reading back up to every block.
  const guestCrash = c.faults.some((f) => f.kind === 'guest-crash-then-reboot');
  const workloadMs = Math.max(
    0,
    ...disks.map(
      (d) =>
        Math.ceil((d.workload.ops + (guestCrash ? d.blocks : 0)) / d.workload.queueDepth) *
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

// A disk-slow fault on one of `disks`. Choice: the slowed commands are the next ones to the disk
// whenever they come, so they may fall after every other fault healed: they add at most their
// service times one after another (times × the slowest) to the bound.
function addDiskSlow(
  schedule: FaultSchedule,
  f: Extract<FaultCase, { kind: 'disk-slow' }>,
  index: number,
  disks: readonly TopologyDisk[],
): void {
  const disk = disks[mod(f.disk, Math.max(disks.length, 1))];
  if (disk === undefined) return;
  const at = clamp(f.atMs, 0, 10_000);
  const min = clamp(f.minMs, 0, 60_000);
  const max = min + clamp(f.spreadMs, 0, 60_000);
  const times = clamp(f.times, 1, 10);
  const fault = { action: 'disk-slow', partition: disk.iosp, disk: disk.name, times, at };
  schedule.addSlowing({ ...fault, latencyMs: { min, max } }, index, at, times * max);
}

/** The plan as a loaded scenario (throws if the plan is not a valid configuration: a bug here). */
export function loadPlan(plan: StoragePlan, quirks: readonly string[]): LoadedScenario {
  return loadCaseScenario('storage-recovery', plan.scenario, quirks);
}

// ---------------------------------------------------------------------------------------------
// Description

/** The case in a few lines: topology, workloads, faults and the bound. */
export function describeStorageCase(c: StorageCase, queueDepthMax = QUEUE_DEPTH_MAX): string {
  const plan = storagePlan(c, queueDepthMax);
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
