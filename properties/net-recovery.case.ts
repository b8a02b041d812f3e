// The net-recovery property's cases (properties/net-recovery.property.ts says what it checks):
// plain-JSON cases (topology, ping flows, IOSP faults and link flaps, sim seed) that shrink well,
// their fast-check arbitraries, and the plan that turns a case into a scenario with the bound the
// liveness check uses. Indices are taken modulo the counts, so every shrink is valid.
// Faults: the IOSP faults of iosp-faults.ts, and link flaps: an uplink's physical link down for a
// while (nic-link), which the IOSP reports to its segment's guests with NET_CONNECT_STATUS; it
// heals one idle IOSP poll after the link returns (jiffy = 1 ms in these cases).
// Topology: 1–2 IOSPs, 2–4 guests, each with one vnic (promiscuous or not) on one of two segments
// of one IOSP; each IOSP has an uplink (a NIC) on a subset of the segments. Flows go from a guest
// to another guest on the same IOSP and segment, or to the outside through an uplink of its IOSP
// on its segment; a drawn flow with neither is dropped.

import fc from 'fast-check';
import { IDLE_POLL_JIFFIES } from '../machines/iosp.machine.js';
import { DEFAULT_JIFFY_MS } from '../src/hypervisor/index.js';
import type { LoadedScenario } from '../src/scenario/load.js';
import { parseScenario, type Scenario } from '../src/scenario/schema.js';
import { loadCaseScenario } from './case-scenario.js';
import { type ChannelFaultCase, channelFaultArbitraries } from './channel-faults.js';
import {
  BOOT_SLACK_MS,
  clamp,
  describeFault,
  FaultSchedule,
  type IospFaultCase,
  iospFaultArbitraries,
  mod,
} from './iosp-faults.js';

// ---------------------------------------------------------------------------------------------
// Cases (plain JSON: counterexamples are saved as files)

/** A guest: its IOSP and segment (taken modulo the counts), and whether its vnic is promiscuous. */
export interface NetGuestCase {
  readonly iosp: number;
  readonly segment: number;
  readonly promiscuous?: boolean;
}

/** A ping flow; `to` < 0 pings the outside. */
export interface NetFlowCase {
  readonly from: number;
  readonly to: number;
  readonly count: number;
  readonly intervalMs: number;
  readonly frameBytes: number;
  readonly window: number;
}

/** The physical link of one of the IOSP's NICs (taken modulo its uplinks) is down for `downMs`. */
export interface LinkFlapCase {
  readonly kind: 'link-flap';
  readonly iosp: number;
  readonly nic: number;
  readonly atMs: number;
  readonly downMs: number;
}

/** A fault of the schedule: an IOSP fault, a link flap behind it, or a channel fault. */
export type NetFaultCase = IospFaultCase | LinkFlapCase | ChannelFaultCase;

/** One case. */
export interface NetCase {
  readonly guests: readonly NetGuestCase[];
  readonly flows: readonly NetFlowCase[];
  readonly iosps: number;
  /** Per IOSP, bit s set: an uplink on segment s. */
  readonly uplinks: readonly number[];
  readonly faults: readonly NetFaultCase[];
  readonly simSeed: number;
}

const atMs = fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 300 }));
const downMs = fc.integer({ min: 0, max: 200 });

const flowArbitrary: fc.Arbitrary<NetFlowCase> = fc.record({
  from: fc.nat(3),
  to: fc.integer({ min: -1, max: 3 }),
  count: fc.integer({ min: 5, max: 60 }),
  intervalMs: fc.integer({ min: 1, max: 10 }),
  frameBytes: fc.oneof(fc.constantFrom(60, 64, 1500, 1514), fc.integer({ min: 60, max: 1514 })),
  window: fc.integer({ min: 1, max: 4 }),
});

/** Every case: topology, traffic, fault schedule, sim seed (keys in shrink order, as storage). */
export const netCaseArbitrary: fc.Arbitrary<NetCase> = fc.record({
  guests: fc.array(fc.record({ iosp: fc.nat(1), segment: fc.nat(1), promiscuous: fc.boolean() }), {
    minLength: 2,
    maxLength: 4,
  }),
  flows: fc.array(flowArbitrary, { minLength: 1, maxLength: 4 }),
  iosps: fc.integer({ min: 1, max: 2 }),
  uplinks: fc.array(fc.nat(3), { minLength: 2, maxLength: 2 }),
  faults: fc.array(
    fc.oneof(
      ...iospFaultArbitraries({ atMs, downMs }, true, true),
      fc.record({
        kind: fc.constant('link-flap' as const),
        iosp: fc.nat(1),
        nic: fc.nat(1),
        atMs,
        downMs,
      }),
      ...channelFaultArbitraries(atMs),
    ),
    { maxLength: 3 },
  ),
  simSeed: fc.nat(99),
});

// ---------------------------------------------------------------------------------------------
// Case → scenario

/** The CP's resume handshake after the last heal. */
export const RESUME_MS = 100;
/** One lost ARP request costs its retry (ip-stack's default arpRetryMs). */
export const ARP_RETRY_MS = 1_000;
/** A request unanswered this long is lost (short: the sim's round trips are below 2 ms). */
export const PING_TIMEOUT_MS = 100;

/** A flow after normalisation. */
export interface PlannedFlow {
  readonly from: string;
  readonly to: string;
  readonly count: number;
  readonly intervalMs: number;
  readonly frameBytes: number;
  readonly window: number;
}

/** The case as a scenario, with what the checks need. */
export interface NetPlan {
  readonly iosps: readonly string[];
  readonly guests: readonly {
    readonly name: string;
    readonly iosp: string;
    readonly segment: string;
    readonly promiscuous: boolean;
  }[];
  readonly flows: readonly PlannedFlow[];
  readonly healedByMs: number;
  readonly untilMs: number;
  readonly scenario: Scenario;
  /** For each scenario fault, the index of the case fault it came from. */
  readonly faultOrigin: readonly number[];
}

const iospName = (i: number) => `iosp${i}`;
const segmentName = (s: number) => ['blue', 'red'][s] ?? 'blue';

/** The normalised topology, the scenario and the bound of `c`. */
export function netPlan(c: NetCase): NetPlan {
  const iospCount = clamp(c.iosps, 1, 2);
  const iosps = Array.from({ length: iospCount }, (_, i) => iospName(i));
  const guestCases =
    c.guests.length >= 2
      ? c.guests.slice(0, 4)
      : [...c.guests, { iosp: 0, segment: 0 }, { iosp: 0, segment: 0 }].slice(0, 2);
  const guests = guestCases.map((g, i) => ({
    name: `guest${i + 1}`,
    iosp: iospName(mod(g.iosp, iospCount)),
    segment: segmentName(mod(g.segment, 2)),
    promiscuous: g.promiscuous === true,
  }));
  const uplinks = iosps.map((_, i) => mod(c.uplinks[i] ?? 0, 4));
  const hasUplink = (iosp: string, segment: string) =>
    ((uplinks[iosps.indexOf(iosp)] ?? 0) & (segment === 'blue' ? 1 : 2)) !== 0;
  const flows = c.flows.slice(0, 4).flatMap((f) => {
    const from = guests[mod(f.from, guests.length)];
    if (from === undefined) return [];
    const peer = f.to < 0 ? undefined : guests[mod(f.to, guests.length)];
    const reachable =
      peer !== undefined &&
      peer !== from &&
      peer.iosp === from.iosp &&
      peer.segment === from.segment;
    const to = reachable ? peer.name : hasUplink(from.iosp, from.segment) ? 'outside' : null;
    if (to === null) return [];
    return [
      {
        from: from.name,
        to,
        count: clamp(f.count, 1, 200),
        intervalMs: clamp(f.intervalMs, 1, 100),
        frameBytes: clamp(f.frameBytes, 60, 1514),
        window: clamp(f.window, 1, 8),
      },
    ];
  });
  const schedule = new FaultSchedule();
  c.faults.forEach((f, index) => {
    if (f.kind === 'doorbell-lost' || f.kind === 'doorbell-spurious' || f.kind === 'queue-full') {
      schedule.addChannel(
        f,
        index,
        iosps,
        guests.map((g) => g.name),
      );
      return;
    }
    if (f.kind === 'guest-crash-then-reboot') {
      schedule.addGuest(
        f,
        index,
        guests.map((g) => g.name),
      );
      return;
    }
    if (f.kind !== 'link-flap') {
      schedule.addIosp(f, index, iospCount, iospName);
      return;
    }
    const iosp = mod(f.iosp, iospCount);
    const nics = ['blue', 'red'].filter((_, s) => ((uplinks[iosp] ?? 0) & (1 << s)) !== 0);
    if (nics.length === 0) return;
    const nic = `eth-${nics[mod(f.nic, nics.length)] ?? 'blue'}`;
    const at = clamp(f.atMs, 0, 10_000);
    // At least 1 ms down: two faults at one instant fire in a seeded order, and up must follow down.
    const up = at + clamp(f.downMs, 1, 10_000);
    schedule.addTimed(
      { action: 'nic-link', partition: iospName(iosp), nic, up: false, at },
      index,
      at,
    );
    // The guests hear of the link's return at the IOSP's next poll (at most one idle period later).
    schedule.addTimed(
      { action: 'nic-link', partition: iospName(iosp), nic, up: true, at: up },
      index,
      up + IDLE_POLL_JIFFIES * DEFAULT_JIFFY_MS + BOOT_SLACK_MS,
    );
  });
  const healedByMs = schedule.healedByMs;
  const flowMs = Math.max(0, ...flows.map((f) => f.count * f.intervalMs + 2 * PING_TIMEOUT_MS));
  const untilMs = Math.ceil(healedByMs + RESUME_MS + ARP_RETRY_MS + flowMs);
  const scenario = parseScenario({
    description: 'net-recovery property case',
    until: untilMs,
    // Both segments declared: an IOSP may have no uplink on a guest's segment.
    segments: ['blue', 'red'],
    partitions: [
      { name: 'cp', kind: 'command' },
      ...iosps.map((name, i) => ({
        name,
        kind: 'iosp',
        hardware: {
          nics: ['blue', 'red']
            .filter((_, s) => ((uplinks[i] ?? 0) & (1 << s)) !== 0)
            .map((segment) => ({ name: `eth-${segment}`, switch: segment })),
        },
      })),
      ...guests.map((g) => ({
        name: g.name,
        kind: 'guest',
        buses: [{ busNo: 2, deviceCount: 1 }],
        devices: [
          {
            busNo: 2,
            devNo: 0,
            channelType: 'vnic',
            server: g.iosp,
            segment: g.segment,
            ...(g.promiscuous ? { promiscuous: true } : {}),
          },
        ],
        workloads: flows
          .filter((f) => f.from === g.name)
          .map((f) => ({
            kind: 'ping',
            to: f.to,
            count: f.count,
            interval: f.intervalMs,
            size: f.frameBytes,
            window: f.window,
            timeout: PING_TIMEOUT_MS,
          })),
      })),
    ],
    faults: schedule.faults,
  });
  return { iosps, guests, flows, healedByMs, untilMs, scenario, faultOrigin: schedule.origin };
}

/** The plan as a loaded scenario (throws if the plan is not a valid configuration: a bug here). */
export function loadNetPlan(plan: NetPlan, quirks: readonly string[]): LoadedScenario {
  return loadCaseScenario('net-recovery', plan.scenario, quirks);
}

// ---------------------------------------------------------------------------------------------
// Description

/** The case in a few lines: topology, flows, faults and the bound. */
export function describeNetCase(c: NetCase): string {
  const plan = netPlan(c);
  const uplinks = plan.scenario.partitions
    .filter((p) => p.kind === 'iosp')
    .map(
      (p) =>
        `${p.name} uplinks: ${(p.hardware?.nics ?? []).map((n) => n.switch).join(', ') || 'none'}`,
    );
  return [
    `sim seed ${c.simSeed}; ${plan.iosps.length} IOSP(s); run until ${plan.untilMs} ms (faults healed by ${plan.healedByMs} ms)`,
    ...uplinks,
    ...plan.guests.map(
      (g) => `${g.name} on ${g.iosp}, segment ${g.segment}${g.promiscuous ? ', promiscuous' : ''}`,
    ),
    ...plan.flows.map(
      (f) =>
        `ping ${f.from} → ${f.to}: ${f.count} × ${f.frameBytes} B every ${f.intervalMs} ms, window ${f.window}`,
    ),
    ...(plan.scenario.faults.length === 0
      ? ['no faults']
      : plan.scenario.faults.map((f) => `fault: ${describeFault(f)}`)),
  ].join('\n');
}
