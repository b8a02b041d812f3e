// Network recovery (issue "Network path"; spar-protocol.md §4.1, §4.3 "Guarantee to the guest
// (vnic)", §4.7, §4.8): over arbitrary network topologies, ping traffic and IOSP fault schedules,
// run as scenarios in the deterministic runtime (`runSim`), the guests' networking keeps five
// promises:
//
//   at-most-once      no frame is delivered twice: no echo request reaches its responder twice,
//                     no reply reaches its sender twice; frames in flight across an outage may be
//                     lost, and every loss is counted (per flow, sent = delivered + lost +
//                     outstanding);
//   isolation         no frame from another segment reaches a guest (its IP layer counts senders
//                     outside its subnet, one subnet per segment), and no guest host is given a
//                     channel of another guest (the memory a worker can reach is what it is given);
//   per-flow-order    the frames of one flow arrive in the order sent (requests at the responder,
//                     replies at the sender);
//   link-recovery     once the last fault healed, every interface's link is up and every flow
//                     finished (sent all its requests, none outstanding) within the bound below;
//   buffer-ownership  no receive page was handed to a guest's IP layer while the IOSP could still
//                     write it (net-stack.ts's ledger).
//
// The bound: faults heal by H (iosp-faults.ts); the run lasts until
//   H + RESUME_MS + ARP_RETRY_MS + max over flows of (count × interval + 2 × timeout),
// the CP's resume handshake, one lost ARP request's retry, and the slowest flow from scratch
// (a tick that finds the window full waits at most one timeout). It ends earlier once the time is
// past H, every partition runs and every flow finished.
//
// The checks themselves are src/check's oracles (frame ledger, isolation, liveness deadlines),
// shared with `spar run`'s expectations; this file generates the cases, runs them and words each
// finding.
//
// Faults: the IOSP faults of iosp-faults.ts, and link flaps: an uplink's physical link down for a
// while (nic-link), which the IOSP reports to its segment's guests with NET_CONNECT_STATUS; it
// heals one idle IOSP poll after the link returns (jiffy = 1 ms in these cases).
// Topology: 1–2 IOSPs, 2–4 guests, each with one vnic (promiscuous or not) on one of two segments of one IOSP; each
// IOSP has an uplink (a NIC) on a subset of the segments. Flows go from a guest to another guest
// on the same IOSP and segment, or to the outside through an uplink of its IOSP on its segment; a
// drawn flow with neither is dropped. Indices are taken modulo the counts, so every shrink is valid.

import fc from 'fast-check';
import {
  type BoundFinding,
  type FrameFinding,
  foreignChannels,
  frameFindings,
  type IsolationFinding,
  isolationFindings,
  networkAtBound,
} from '../src/check/index.js';
import type { TraceRecord } from '../src/partition/environment.js';
import type { FaultRecord } from '../src/run/faults.js';
import type { Observation } from '../src/run/observation.js';
import type { NetStats } from '../src/kinds/vnic/report.js';
import { vnicReportOf } from '../src/kinds/vnic/guest.js';
import { judge } from '../src/run/expectations.js';
import { runSim } from '../src/run/run-sim.js';
import type { SimRun } from '../src/runtime/sim/index.js';
import type { LoadedScenario } from '../src/scenario/load.js';
import { parseScenario, type Scenario } from '../src/scenario/schema.js';
import type { IpStackContext } from '../machines/ip-stack.logic.js';
import { loadCaseScenario } from './case-scenario.js';
import { IDLE_POLL_JIFFIES } from '../machines/iosp.machine.js';
import { DEFAULT_JIFFY_MS } from '../src/hypervisor/index.js';
import {
  BOOT_SLACK_MS,
  clamp,
  describeFault,
  FaultSchedule,
  iospFaultArbitraries,
  mod,
  type IospFaultCase,
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

/** A fault of the schedule: an IOSP fault, or a link flap behind it. */
export type NetFaultCase = IospFaultCase | LinkFlapCase;

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
      ...iospFaultArbitraries({ atMs, downMs }, true),
      fc.record({
        kind: fc.constant('link-flap' as const),
        iosp: fc.nat(1),
        nic: fc.nat(1),
        atMs,
        downMs,
      }),
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
// The promises

/** The promises, by the name each violation starts with. */
export const NET_PROMISES = {
  'at-most-once':
    'No frame is delivered twice; every frame lost across an outage is counted (sent = delivered + lost + outstanding).',
  isolation:
    "No frame reaches a guest outside its segment, and no guest host holds another guest's channel.",
  'per-flow-order': 'The frames of one flow arrive in the order sent.',
  'link-recovery':
    'Once the last fault healed, every link is up and every flow finished within the bound.',
  'buffer-ownership':
    'No receive buffer is handed to the guest stack while the IOSP may still write it.',
} as const;

/** One of {@link NET_PROMISES}. */
export type NetPromise = keyof typeof NET_PROMISES;

/** What one case produced. */
export interface NetOutcome {
  readonly violations: readonly string[];
  readonly trace: readonly TraceRecord[];
  readonly faults: readonly FaultRecord[];
  readonly endedAtMs: number;
  readonly plan: NetPlan;
  /** Echo requests lost across outages (counted, allowed). */
  readonly lostFrames: number;
}

/** Runs one case in the sim runtime; returns every broken promise, the trace and the faults. */
export function runNetCase(c: NetCase, quirks: readonly string[]): NetOutcome {
  const plan = netPlan(c);
  let last: SimRun | null = null;
  const sample = (run: SimRun): boolean => {
    last = run;
    return run.now() >= plan.healedByMs && settled(run, plan);
  };
  const result = runSim(loadNetPlan(plan, quirks), c.simSeed, plan.untilMs, { everyMs: sample });
  const run = last as SimRun | null;
  const violations = [
    ...netEndViolations(plan, result.observation),
    ...(run === null ? [] : channelIsolation(run, plan)),
  ];
  const lostFrames = Object.values(result.observation.net).reduce((n, g) => n + g.stats.dropped, 0);
  return {
    violations,
    trace: result.trace,
    faults: result.faults,
    endedAtMs: result.virtualMs,
    plan,
    lostFrames,
  };
}

// Every partition runs and every flow finished.
function settled(run: SimRun, plan: NetPlan): boolean {
  for (const p of run.config.partitions) {
    const state = run.hypervisor.state(p.name);
    if (!state.ok || state.value !== 'running') return false;
  }
  return plan.guests.every((g) => {
    const net = vnicReportOf(run.host(g.name)?.view());
    const expected = plan.flows.filter((f) => f.from === g.name).length;
    return (
      net.length === 1 &&
      net.every(
        (i) =>
          (i.ipStack as IpStackContext).flows.length === expected &&
          (i.ipStack as IpStackContext).finished,
      )
    );
  });
}

/** The promises judged on the end of a run (both runtimes). */
export function netEndViolations(plan: NetPlan, o: Observation): string[] {
  const out: string[] = [];
  const v = (promise: NetPromise, text: string) => out.push(`${promise}: ${text}`);
  for (const g of plan.guests) {
    const net = o.net[g.name];
    if (o.states[g.name] !== 'running')
      v('link-recovery', `${g.name} is ${o.states[g.name] ?? 'unknown'} at the end`);
    if (net === undefined) continue;
    for (const [promise, text] of statsViolations(g, net.stats)) v(promise, text);
    for (const f of networkAtBound(g.name, net.interfaces)) v('link-recovery', atBound(plan, f));
    const expectedFlows = plan.flows.filter((f) => f.from === g.name).length;
    if (net.interfaces.length !== 1 || net.stats.flows !== expectedFlows)
      v(
        'link-recovery',
        `${g.name}: ${net.interfaces.length} interface(s) with ${net.stats.flows} flow(s) at the end, expected 1 with ${expectedFlows}`,
      );
  }
  // The scenario expectation's rule too (every vnic came up; no flow stalled after a link-up).
  for (const r of judge(['link-recovers'], o)) if (!r.ok) v('link-recovery', r.detail);
  return out;
}

// The frame ledger's and the isolation counters' findings on guest `g`, worded, in this order.
const STATS_ORDER = [
  'duplicated',
  'unaccounted',
  'misdelivered',
  'out-of-order',
  'buffer-ownership',
] as const;

function statsViolations(g: NetPlan['guests'][number], s: NetStats): [NetPromise, string][] {
  const rank = (f: FrameFinding | IsolationFinding) => STATS_ORDER.indexOf(f.kind);
  return [...frameFindings(s), ...isolationFindings(s)]
    .sort((a, b) => rank(a) - rank(b))
    .map((f) => statsText(g, f));
}

function statsText(
  g: NetPlan['guests'][number],
  f: FrameFinding | IsolationFinding,
): [NetPromise, string] {
  switch (f.kind) {
    case 'duplicated':
      return ['at-most-once', `${g.name}: ${f.count} frame(s) delivered twice`];
    case 'unaccounted':
      return [
        'at-most-once',
        `${g.name}: ${f.sent} sent ≠ ${f.delivered} delivered + ${f.dropped} lost + ${f.outstanding} outstanding`,
      ];
    case 'misdelivered':
      return ['isolation', `${g.name}: ${f.count} frame(s) from outside segment ${g.segment}`];
    case 'out-of-order':
      return [
        'per-flow-order',
        `${g.name}: ${f.count} frame(s) arrived after a later one of their flow`,
      ];
    case 'buffer-ownership':
      return [
        'buffer-ownership',
        `${g.name}: ${f.count} receive page(s) read while the IOSP could still write them`,
      ];
  }
}

// A link down or a flow unfinished when the run reached its bound, worded.
function atBound(plan: NetPlan, f: BoundFinding): string {
  if (f.kind === 'link-down')
    return `${f.guest} ${f.ifname}: link down at ${plan.untilMs} ms (faults healed by ${plan.healedByMs} ms)`;
  const { flow, to, sent, delivered, lost } = f.flow;
  return `${f.guest} flow ${flow} → ${to}: unfinished at the bound (${sent} sent, ${delivered} answered, ${lost} lost)`;
}

// The channels each guest's host was given (what its worker can reach) are its own.
function channelIsolation(run: SimRun, plan: NetPlan): string[] {
  return plan.guests.flatMap((g) =>
    foreignChannels(g.name, run.channels.forPartition(g.name)).map(
      (ch) => `isolation: ${g.name} was given channel ${ch.id} of ${ch.guestPartition}`,
    ),
  );
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

// ---------------------------------------------------------------------------------------------
// The registered property

/** The registered property (`properties/registry.ts`). */
export const netRecovery = {
  name: 'net-recovery',
  promise:
    'For any network topology (1–2 IOSPs, 2–4 guests on one or two segments, uplinks to the outside), ping traffic, IOSP reboots, crashes, hangs and reboots during recovery, and uplink link flaps: ' +
    '(at-most-once) no frame is delivered twice and every loss is counted; ' +
    "(isolation) no frame reaches a guest outside its segment and no guest holds another guest's channel; " +
    '(per-flow-order) the frames of a flow arrive in order; ' +
    '(link-recovery) once the last fault healed, every link comes up and every flow finishes within a stated bound; ' +
    '(buffer-ownership) no receive buffer reaches the guest stack while the IOSP may still write it.',
  kind: 'safety' as const,
  arbitrary: netCaseArbitrary,
  run: runNetCase,
  describe: describeNetCase,
  testRuns: 15,
};
