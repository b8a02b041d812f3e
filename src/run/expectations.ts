// The named checks a scenario can expect (`expect:`), judged on the end of a run: the control
// plane's own here, each device kind's in its folder (src/kinds/<kind>/expectations.ts). Each says
// whether it is a safety check (nothing bad happened) or a liveness check (something good happened
// by the time limit), as exit code 1 reports.

import { assert } from '../base/assert.js';
import { ackOrderFindings, ackOrderText } from '../check/index.js';
import { deviceChannel, KINDS, VIRTPCI_MODULES } from '../kinds/index.js';
import type { KindExpectation } from '../kinds/kind.js';
import type { TraceRecord } from '../partition/environment.js';
import type { Observation } from './observation.js';
import { type FirstViolation, firstViolation, lastIndex } from './violation.js';

/** The verdict of one expectation. */
export interface ExpectationResult {
  readonly name: string;
  readonly kind: 'safety' | 'liveness';
  readonly ok: boolean;
  readonly detail: string;
  /** Only when it failed: the instant and trace record of its first violation. */
  readonly firstViolation?: FirstViolation;
}

// An Era A driver actor's systemId: `<partition>/<virtpci module>:<bus hex>:<dev hex>`.
const ERA_A_DRIVER = new RegExp(`/(?:${VIRTPCI_MODULES.join('|')}):([0-9a-f]+):([0-9a-f]+)$`);

const guestsOf = (o: Observation) => o.config.partitions.filter((p) => p.kind === 'guest');

/** `busNo:devNo` of every device with a bound driver actor (`…:vbus1:dev0`, Era A `…:1:0` in hex). */
function boundDevices(snapshot: Readonly<Record<string, unknown>>): Set<string> {
  const bound = new Set<string>();
  for (const id of Object.keys(snapshot)) {
    const final = /:vbus(\d+):dev(\d+)$/.exec(id);
    if (final !== null) bound.add(`${final[1]}:${final[2]}`);
    const eraA = ERA_A_DRIVER.exec(id);
    if (eraA !== null) bound.add(`${parseInt(eraA[1] ?? '', 16)}:${parseInt(eraA[2] ?? '', 16)}`);
  }
  return bound;
}

/** The exchanges of the CP's ledger whose response it saw before the ack (src/check). */
const answeredBeforeAcked = (sent: NonNullable<Observation['cpContext']>['sent']) =>
  ackOrderFindings(Object.entries(sent).map(([messageHandle, s]) => ({ messageHandle, ...s })));

/** The control plane's checks. */
const CORE_CHECKS: Readonly<Record<string, KindExpectation>> = {
  'guests-running': {
    description: 'Every guest partition is running at the end (lifecycle state running).',
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
    // The last lifecycle change of the first guest that is down: it never came back from it.
    locate: (trace, o) => {
      const down = guestsOf(o).find((g) => o.states[g.name] !== 'running');
      const at = lastIndex(trace, (r) => r.actor === `${down?.name}/lifecycle`);
      return at === -1 ? undefined : at;
    },
  },
  'bring-up-complete': {
    description:
      'The command partition brought every guest up: every create answered with success.',
    kind: 'liveness',
    judge: (o) => {
      const done = [...o.cpOutcomes].reverse().find((e) => e.type === 'cp.bringUpDone');
      if (done?.type !== 'cp.bringUpDone')
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
    // The command partition giving a guest up.
    locate: (trace) => {
      const at = trace.findIndex((r) => r.event === 'cp.guestFailed');
      return at === -1 ? undefined : at;
    },
  },
  // The ack's order belongs here (§2.5 step 3b): it is half of each exchange this check judges,
  // and every scenario expects this check by default.
  'every-request-answered': {
    description: 'Every controlvm request that expected a response got exactly one, after its ack.',
    kind: 'safety',
    judge: (o) => {
      if (o.cpContext === null)
        return { ok: false, detail: 'the command partition is not running' };
      const sent = Object.values(o.cpContext.sent);
      const unanswered = sent.filter((s) => s.resolution !== 'response');
      const violations = o.cpContext.violationCount;
      const early = answeredBeforeAcked(o.cpContext.sent);
      const problems = [
        ...(unanswered.length === 0 && violations === 0
          ? []
          : [
              `${unanswered.length} of ${sent.length} not answered (${unanswered.map((s) => s.resolution).join(', ')}), ${violations} duplicate or stray replies`,
            ]),
        ...early.map(ackOrderText),
      ];
      const ok = problems.length === 0;
      const detail = ok
        ? `${sent.length} controlvm requests, each answered once`
        : problems.join('; ');
      return { ok, detail };
    },
    // The first response the guest wrote before its ack, when that is what failed.
    locate: (trace, o) => {
      const first = answeredBeforeAcked(o.cpContext?.sent ?? {})[0];
      if (first === undefined) return undefined;
      const text = new RegExp(`\\bhandle=${first.messageHandle}\\b`);
      const at = trace.findIndex(
        (r) =>
          r.partition === first.guest &&
          r.event === 'controlvm.respond' &&
          text.test(String(r.detail?.['text'] ?? '')),
      );
      return at === -1 ? undefined : at;
    },
  },
  'drivers-bound': {
    description: 'Every configured device of every running guest has a bound driver.',
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
    description: "Each guest's sysfs view shows exactly the configured buses and devices.",
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
          (d) => deviceChannel(d.channelType)?.kind.driver?.bus !== 'virtpci',
        );
        for (const d of visorbusDevices) {
          const shown = shownDevices.find((s) => s.key === `${d.busNo}:${d.devNo}`);
          if (shown === undefined) problems.push(`${g.name}: vbus${d.busNo}:dev${d.devNo} missing`);
          else if (shown.guid !== deviceChannel(d.channelType)?.type.guid)
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
};

/** Every check a scenario can expect, by name: the control plane's, then each kind's. */
export const EXPECTATIONS: Readonly<Record<string, KindExpectation>> = {
  ...CORE_CHECKS,
  ...Object.assign({}, ...KINDS.map((k) => k.expectations ?? {})),
};

/**
 * Judges `names` on `o`, in the order given; every name is one of {@link EXPECTATIONS}. Given the
 * run's trace and end, a failed one carries its first violation.
 */
export function judge(
  names: readonly string[],
  o: Observation,
  run?: { readonly trace: readonly TraceRecord[]; readonly endMs: number },
): ExpectationResult[] {
  return names.map((name) => {
    const check = EXPECTATIONS[name];
    assert(check !== undefined, `no expectation named ${name}`);
    const { ok, detail } = check.judge(o);
    if (ok || run === undefined) return { name, kind: check.kind, ok, detail };
    const at = firstViolation(check, detail, run.trace, o, run.endMs);
    return { name, kind: check.kind, ok, detail, firstViolation: at };
  });
}
