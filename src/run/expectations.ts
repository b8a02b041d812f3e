// The named checks a scenario can expect (scenario schema EXPECTATIONS), judged on the end of a
// run. Each says whether it is a safety check (nothing bad happened) or a liveness check
// (something good happened by the time limit), as exit code 1 reports. The storage and network
// ones ask src/check's oracles, which the recovery properties share.

import { channelTypes } from '../channel/index.js';
import {
  completionFindings,
  frameFindings,
  isolationFindings,
  type LinkFinding,
  linkRecoveryFindings,
  unfinishedWork,
} from '../check/index.js';
import type { ExpectationName } from '../scenario/schema.js';
import { networkPlan } from '../hypervisor/index.js';
import { NO_NET } from './net-stats.js';
import { sumRecords, totalIo, type Observation } from './observation.js';

/** The verdict of one expectation. */
export interface ExpectationResult {
  readonly name: ExpectationName;
  readonly kind: 'safety' | 'liveness';
  readonly ok: boolean;
  readonly detail: string;
}

type Check = {
  readonly kind: 'safety' | 'liveness';
  judge(o: Observation): { ok: boolean; detail: string };
};

const guestsOf = (o: Observation) => o.config.partitions.filter((p) => p.kind === 'guest');

/** `busNo:devNo` of every device with a bound driver actor (`…:vbus1:dev0`, Era A `…:1:0` in hex). */
export function boundDevices(snapshot: Readonly<Record<string, unknown>>): Set<string> {
  const bound = new Set<string>();
  for (const id of Object.keys(snapshot)) {
    const final = /:vbus(\d+):dev(\d+)$/.exec(id);
    if (final !== null) bound.add(`${final[1]}:${final[2]}`);
    const eraA = /\/virt(?:hba|nic):([0-9a-f]+):([0-9a-f]+)$/.exec(id);
    if (eraA !== null) bound.add(`${parseInt(eraA[1] ?? '', 16)}:${parseInt(eraA[2] ?? '', 16)}`);
  }
  return bound;
}

const netTotal = (o: Observation) =>
  sumRecords(
    NO_NET,
    Object.values(o.net).map((n) => n.stats),
  );

const CHECKS: Readonly<Record<ExpectationName, Check>> = {
  'guests-running': {
    kind: 'liveness',
    judge: (o) => {
      const down = guestsOf(o).filter((g) => o.states[g.name] !== 'running');
      return {
        ok: down.length === 0,
        detail:
          down.length === 0
            ? `${guestsOf(o).length} guest(s) running`
            : down.map((g) => `${g.name} is ${o.states[g.name] ?? 'unknown'}`).join(', '),
      };
    },
  },
  'bring-up-complete': {
    kind: 'liveness',
    judge: (o) => {
      const done = [...o.cpOutcomes].reverse().find((e) => e.type === 'cp.bringUpDone') as
        | { ready: string[]; failed: string[] }
        | undefined;
      if (done === undefined)
        return { ok: false, detail: 'the command partition did not finish bringing guests up' };
      const missing = guestsOf(o)
        .map((g) => g.name)
        .filter((g) => !done.ready.includes(g));
      const ok = missing.length === 0 && done.failed.length === 0;
      return {
        ok,
        detail: ok
          ? `ready: ${done.ready.join(', ')}`
          : `failed: ${[...done.failed, ...missing.filter((m) => !done.failed.includes(m))].join(', ')}`,
      };
    },
  },
  'every-request-answered': {
    kind: 'safety',
    judge: (o) => {
      if (o.cpContext === null)
        return { ok: false, detail: 'the command partition is not running' };
      const sent = Object.values(o.cpContext.sent);
      const unanswered = sent.filter((s) => s.resolution !== 'response');
      const violations = o.cpContext.violationCount;
      const ok = unanswered.length === 0 && violations === 0;
      const detail = ok
        ? `${sent.length} controlvm requests, each answered once`
        : `${unanswered.length} of ${sent.length} not answered (${unanswered.map((s) => s.resolution).join(', ')}), ${violations} duplicate or stray replies`;
      return { ok, detail };
    },
  },
  'drivers-bound': {
    kind: 'liveness',
    judge: (o) => {
      const problems: string[] = [];
      let total = 0;
      for (const g of guestsOf(o)) {
        const bound = boundDevices(o.guests[g.name]?.snapshot ?? {});
        for (const d of g.devices) {
          total++;
          if (!bound.has(`${d.busNo}:${d.devNo}`))
            problems.push(`${g.name} vbus${d.busNo}:dev${d.devNo} (${d.channelType}) unbound`);
        }
      }
      return {
        ok: problems.length === 0,
        detail: problems.length === 0 ? `${total} device(s) bound` : problems.join(', '),
      };
    },
  },
  'sysfs-matches-config': {
    kind: 'safety',
    judge: (o) => {
      const problems: string[] = [];
      for (const g of guestsOf(o)) {
        const sysfs = o.guests[g.name]?.sysfs ?? {};
        const shownBuses = Object.keys(sysfs).flatMap(
          (p) => /^\/sys\/devices\/visorbus(\d+)\/channel_addr$/.exec(p)?.[1] ?? [],
        );
        const wantBuses = g.buses.map((b) => String(b.busNo));
        for (const b of wantBuses)
          if (!shownBuses.includes(b)) problems.push(`${g.name}: visorbus${b} missing`);
        for (const b of shownBuses)
          if (!wantBuses.includes(b)) problems.push(`${g.name}: visorbus${b} not configured`);
        const shownDevices = Object.entries(sysfs).flatMap(([p, v]) => {
          const m = /^\/sys\/devices\/visorbus\d+\/vbus(\d+):dev(\d+)\/typeguid$/.exec(p);
          return m === null ? [] : [{ key: `${m[1]}:${m[2]}`, guid: v.trim() }];
        });
        // Era A devices (vhba, vnic) live on virtpci, not in visorbus's sysfs (§5.12).
        const visorbusDevices = g.devices.filter(
          (d) => d.channelType !== 'vhba' && d.channelType !== 'vnic',
        );
        for (const d of visorbusDevices) {
          const shown = shownDevices.find((s) => s.key === `${d.busNo}:${d.devNo}`);
          if (shown === undefined) problems.push(`${g.name}: vbus${d.busNo}:dev${d.devNo} missing`);
          else if (shown.guid !== channelTypes[d.channelType].guid)
            problems.push(`${g.name}: vbus${d.busNo}:dev${d.devNo} typeguid ${shown.guid}`);
        }
        for (const s of shownDevices)
          if (!visorbusDevices.some((d) => `${d.busNo}:${d.devNo}` === s.key))
            problems.push(`${g.name}: device ${s.key} not configured`);
      }
      return {
        ok: problems.length === 0,
        detail:
          problems.length === 0
            ? 'every configured bus and device, nothing else'
            : problems.join(', '),
      };
    },
  },
  'no-lost-writes': {
    kind: 'safety',
    judge: (o) => {
      const lost = Object.entries(o.io).filter(([, io]) => io.lostAckedWrites > 0);
      return {
        ok: lost.length === 0,
        detail:
          lost.length === 0
            ? `every block holds its last acknowledged write (${totalIo(Object.values(o.io)).succeeded} requests succeeded)`
            : lost
                .map(([g, io]) => `${g}: ${io.lostAckedWrites} block(s) lost an acknowledged write`)
                .join(', '),
      };
    },
  },
  'exactly-once-completion': {
    kind: 'safety',
    judge: (o) => {
      const problems = Object.entries(o.io).flatMap(([g, io]) =>
        completionFindings(io).map((f) =>
          f.kind === 'duplicate-completion'
            ? `${g}: ${f.count} duplicate completion(s)`
            : `${g}: ${f.missing} request(s) never completed`,
        ),
      );
      const all = totalIo(Object.values(o.io));
      return {
        ok: problems.length === 0,
        detail:
          problems.length === 0
            ? `${all.completed} of ${all.submitted} requests completed, each once`
            : problems.join(', '),
      };
    },
  },
  'io-resumes': {
    kind: 'liveness',
    judge: (o) => {
      const stuck = Object.entries(o.io).flatMap(([g, io]) => {
        const left = unfinishedWork(io, io.workloads);
        return left === null ? [] : [{ g, left }];
      });
      const all = totalIo(Object.values(o.io));
      return {
        ok: stuck.length === 0,
        detail:
          stuck.length === 0
            ? `${all.finished} workload(s) finished (${all.retried} retries after resets)`
            : stuck
                .map(
                  ({ g, left }) =>
                    `${g}: ${left.unfinished} workload(s) unfinished, ${left.outstanding} request(s) outstanding`,
                )
                .join(', '),
      };
    },
  },
  'no-duplicate-frames': {
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
    kind: 'liveness',
    judge: (o) => {
      const interfaces = Object.fromEntries(
        Object.entries(o.net).map(([g, n]) => [g, n.interfaces]),
      );
      const problems = linkRecoveryFindings(networkPlan(o.config).vnics, interfaces, o.states).map(
        linkProblem,
      );
      const all = netTotal(o);
      return {
        ok: problems.length === 0,
        detail:
          problems.length === 0
            ? `${all.linksUp} of ${all.interfaces} link(s) up, ${all.finishedFlows} of ${all.flows} flow(s) finished, ${all.linkDownMs} ms link down in all`
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
      return `${f.guest} ${f.ifname}: flow ${f.flow} got no reply since the link came up at ${f.sinceMs} ms`;
    case 'unfinished-flow':
      return `${f.guest} ${f.ifname}: flow ${f.flow.flow} unfinished at the end`;
  }
}

/** Judges `names` on `o`, in the order given. */
export function judge(names: readonly ExpectationName[], o: Observation): ExpectationResult[] {
  return names.map((name) => ({ name, kind: CHECKS[name].kind, ...CHECKS[name].judge(o) }));
}
