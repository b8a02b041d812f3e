// The checks a scenario can expect of its network (the vnic kind; spar-protocol.md §4.3, §4.7),
// judged on the run's `net` section with src/check's oracles, which the net-recovery property
// shares.

import { formatMs } from '../../base/format-time.js';
import {
  frameFindings,
  isolationFindings,
  type LinkFinding,
  linkRecoveryFindings,
  networkHealedAtMs,
} from '../../check/index.js';
import type { Observation } from '../../run/observation.js';
import type { KindExpectation } from '../kind.js';
import { networkPlan } from './network.js';
import { totalNet } from './report.js';

const netTotal = (o: Observation) => totalNet(Object.values(o.net).map((n) => n.stats));

/** The vnic kind's expectations, by name. */
export const VNIC_EXPECTATIONS: Readonly<Record<string, KindExpectation>> = {
  'no-duplicate-frames': {
    description:
      'No frame was delivered twice: no echo request answered twice, no reply received twice (at-most-once).',
    kind: 'safety',
    judge: (o) => {
      const dup = Object.entries(o.net).filter(([, n]) =>
        frameFindings(n.stats).some((f) => f.kind === 'duplicated'),
      );
      const all = netTotal(o);
      return {
        ok: dup.length === 0,
        detail:
          dup.length === 0
            ? `${all.delivered} of ${all.sent} echo requests answered, none twice (${all.dropped} lost in outages)`
            : dup
                .map(([g, n]) => `${g}: ${n.stats.duplicated} frame(s) delivered twice`)
                .join(', '),
      };
    },
  },
  isolation: {
    description:
      'No frame reached a guest outside its segment, and no receive buffer was read while the IOSP could still write it.',
    kind: 'safety',
    judge: (o) => {
      const breached = Object.entries(o.net).filter(
        ([, n]) => isolationFindings(n.stats).length > 0,
      );
      const detail = breached
        .map(
          ([g, n]) =>
            `${g}: ${n.stats.misdelivered} frame(s) from outside its segment, ${n.stats.ownershipViolations} buffer(s) read while the IOSP owned them`,
        )
        .join(', ');
      return {
        ok: breached.length === 0,
        detail:
          breached.length === 0
            ? `${netTotal(o).interfaces} interface(s): no frame from outside its segment`
            : detail,
      };
    },
  },
  'link-recovers': {
    description:
      'Every vnic whose IOSP is up has its link up at the end, and every ping flow unfinished at the end got replies after the last fault healed and its last link came back, and was still getting them at the end.',
    kind: 'liveness',
    judge: (o) => {
      const interfaces = Object.fromEntries(
        Object.entries(o.net).map(([g, n]) => [g, n.interfaces]),
      );
      const vnics = networkPlan(o.config).vnics;
      const findings = linkRecoveryFindings(vnics, interfaces, o.states, o.faultsHealedAtMs);
      const problems = findings.map(linkProblem);
      const all = netTotal(o);
      const healed = formatMs(networkHealedAtMs(interfaces, o.faultsHealedAtMs));
      return {
        ok: problems.length === 0,
        detail:
          problems.length === 0
            ? `${all.linksUp} of ${all.interfaces} link(s) up, ${all.finishedFlows} of ${all.flows} flow(s) finished, the rest progressing after the last fault healed at ${healed}, ${formatMs(all.linkDownMs)} link down in all`
            : problems.join(', '),
      };
    },
  },
};

// One link-recovers problem in words.
function linkProblem(f: LinkFinding): string {
  switch (f.kind) {
    case 'never-opened':
      return `${f.guest} vbus${f.vnic.busNo}:dev${f.vnic.devNo}: no interface (the vnic never opened)`;
    case 'link-down':
      return `${f.guest} ${f.ifname}: link down at the end`;
    case 'stalled':
      return `${f.guest} ${f.ifname}: flow ${f.flow.flow} stalled at ${f.flow.delivered} of ${f.flow.count} after the last fault healed at ${formatMs(f.healedAtMs)}`;
    case 'stopped':
      return `${f.guest} ${f.ifname}: flow ${f.flow.flow} stopped at ${f.flow.delivered} of ${f.flow.count}: no reply since ${formatMs(f.flow.lastDeliveredAtMs ?? 0)}, run ended at ${formatMs(f.endMs)}`;
    case 'unfinished-flow':
      return `${f.guest} ${f.ifname}: flow ${f.flow.flow} unfinished at the end`;
  }
}
