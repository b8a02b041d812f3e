// The guest side of the vhba kind (spar-protocol.md §4.2, §4.6): a storage stack above each vhba
// virthba probed, and the guest's block workloads on them. Choice: a workload runs on the first
// vhba of the IOSP that serves its disk (every vhba of that IOSP sees the same disks, §4.4.1).
// After a reboot each workload starts from the ledger its earlier boot left in the guest's
// journal (workload-journal.ts), and first reads back what it had acknowledged.

import type { virthbaMachine } from '../../../machines/virthba.machine.js';
import { guestWorkloads } from './hardware.js';
import { sharedWorkloads } from './block-history.js';
import type { BindingOf } from '../../partition/binding.js';
import type { HostView } from '../../partition/partition-host.js';
import type { GuestKindContext, GuestKindSide } from '../kind.js';
import { type StorageReport, StorageStack } from './storage-stack.js';
import type { ResetTally } from './reset-ledger.js';
import { WorkloadJournal } from './workload-journal.js';

/** The vhba kind's part of a guest's report: its workloads' and midlayers' ledgers. */
export type VhbaGuestReport = StorageReport;

/** A guest's vhba report in `view` (what {@link vhbaGuest} reported); null without one. */
export function vhbaReportOf(view: Pick<HostView, 'reports'> | undefined): VhbaGuestReport | null {
  return (view?.reports['vhba'] as VhbaGuestReport | undefined) ?? null;
}

/** The storage stacks of one guest boot. */
export function vhbaGuest(ctx: GuestKindContext): GuestKindSide {
  const workloads = sharedWorkloads(
    ctx.config,
    ctx.partition,
    guestWorkloads(ctx.config, ctx.partition),
  );
  // Choice: the journal is read once per boot, before any workload of this boot writes it.
  const journal = ctx.journal === undefined ? null : new WorkloadJournal(ctx.journal);
  const claimed = new Set<string>();
  const stacks: StorageStack[] = [];
  return {
    attach({ busNo, devNo, channel, driver, control }) {
      const iosp = channel.serverPartition;
      const mine = claimed.has(iosp) ? [] : workloads.filter((w) => w.iosp === iosp);
      claimed.add(iosp);
      const stack = new StorageStack(ctx, driver, channel, busNo, devNo, mine, journal);
      stacks.push(stack);
      const binding: BindingOf<typeof virthbaMachine> = { ...control, ...stack.binding() };
      return {
        binding,
        start: () => stack.start(),
        detach: () => stack.detach(),
        remove: () => stack.remove(),
      };
    },
    report(): VhbaGuestReport {
      const reports = stacks.map((s) => s.report());
      return {
        workloads: reports.flatMap((r) => r.workloads),
        midlayers: reports.flatMap((r) => r.midlayers),
        scans: reports.flatMap((r) => r.scans),
        resets: mergeTallies(reports.map((r) => r.resets)),
        hbas: reports.flatMap((r) => r.hbas),
        atMs: ctx.env.now(),
      };
    },
  };
}

// The stacks' reset tallies as one (counts summed per number of resets).
function mergeTallies(tallies: readonly ResetTally[]): ResetTally {
  const out: Record<string, { budgetFailures: number; otherEnds: number }> = {};
  for (const tally of tallies) {
    for (const [resets, row] of Object.entries(tally)) {
      const sum = out[resets] ?? { budgetFailures: 0, otherEnds: 0 };
      out[resets] = {
        budgetFailures: sum.budgetFailures + row.budgetFailures,
        otherEnds: sum.otherEnds + row.otherEnds,
      };
    }
  }
  return out;
}
