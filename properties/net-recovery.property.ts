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
//                     write it (src/check/buffer-ownership.ts, fed by the guest's net stack).
//
// The bound: faults heal by H (iosp-faults.ts); the run lasts until
//   H + RESUME_MS + ARP_RETRY_MS + max over flows of (count × interval + 2 × timeout),
// the CP's resume handshake, one lost ARP request's retry, and the slowest flow from scratch
// (a tick that finds the window full waits at most one timeout). It ends earlier once the time is
// past H, every partition runs and every flow finished.
//
// The checks themselves are src/check's oracles (frame ledger, isolation, buffer ownership,
// liveness deadlines), shared with `spar run`'s expectations; net-recovery.case.ts generates the
// cases and plans them; this file runs them and words each finding.

import {
  type BoundFinding,
  type FrameFinding,
  foreignChannels,
  frameFindings,
  type IsolationFinding,
  isolationFindings,
  networkAtBound,
} from '../src/check/index.js';
import { InternalFailureError } from '../src/base/failure.js';
import type { TraceRecord } from '../src/partition/environment.js';
import type { FaultRecord } from '../src/run/faults.js';
import type { Observation } from '../src/run/observation.js';
import type { NetStats } from '../src/kinds/vnic/report.js';
import { vnicReportOf } from '../src/kinds/vnic/guest.js';
import { judge } from '../src/run/expectations.js';
import { runSim } from '../src/run/run-sim.js';
import type { SimRun } from '../src/runtime/sim/index.js';
import type { IpStackContext } from '../machines/ip-stack.logic.js';
import {
  describeNetCase,
  loadNetPlan,
  type NetCase,
  netCaseArbitrary,
  type NetPlan,
  netPlan,
} from './net-recovery.case.js';

export {
  ARP_RETRY_MS,
  describeNetCase,
  type NetCase,
  type NetPlan,
  netCaseArbitrary,
  netPlan,
  PING_TIMEOUT_MS,
  RESUME_MS,
} from './net-recovery.case.js';

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
  // A bug inside spar-sim fails the case with it, as in storage-recovery.
  if (result.failure !== null) throw new InternalFailureError(result.failure);
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
  // The scenario expectation's rule too (every vnic came up; no flow stalled after the heal).
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
  asScenario: {
    of: (c: NetCase) => ({ scenario: netPlan(c).scenario, seed: c.simSeed }),
    // The isolation expectation counts frames from outside the segment and early buffer reads;
    // per-flow-order is the property's own ledger: no expectation.
    expectations: {
      'at-most-once': 'no-duplicate-frames',
      isolation: 'isolation',
      'per-flow-order': null,
      'link-recovery': 'link-recovers',
      'buffer-ownership': 'isolation',
    } satisfies Record<NetPromise, string | null>,
  },
};
