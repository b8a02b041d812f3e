// The command partition's side of a guest's reboot (issue #14 item 3; spar-protocol.md §2.5,
// §3.5): the hypervisor tells the CP that a guest booted again (src/hypervisor/recovery-notices.ts,
// as it tells it of an IOSP), and the CP brings that guest up again from CHIPSET_INIT, as it did
// at the guest's first boot. Pure functions of the machine's context; command-partition.machine.ts
// wires them.
//
// Choice: the command outstanding at the reboot died with the guest's incarnation: it is settled
// `guest-rebooted` (its outcome says so, status null, so recovery counts its state change
// answered), and a reply to it from the fresh guest, which may still find it in queue 2, is stale,
// not a violation (command-partition.reconcile.ts). Operate commands still queued stay queued
// behind the new bring-up: a pause or resume recovery asked for still applies to the re-created
// device. The bring-up restarts even for a guest the CP had given up (`failed`): a reboot is the
// guest's fresh start.

import { assert } from '../src/base/assert.js';
import {
  bringUpCommands,
  type CommandPartitionContext,
  type GuestPlan,
  type SentCommand,
  withGuest,
} from './command-partition.logic.js';

/** What a guest's reboot does to the context, and the command it abandoned (if one was out). */
export interface GuestRestart {
  readonly context: CommandPartitionContext;
  /** The handle and ledger entry of the command that was outstanding, now `guest-rebooted`. */
  readonly abandoned: { readonly messageHandle: string; readonly sent: SentCommand } | null;
}

/** `c` after guest `plan.name` booted again: its bring-up queued anew, its next boot counted. */
export function restartGuest(c: CommandPartitionContext, plan: GuestPlan): GuestRestart {
  const g = c.guests[plan.name];
  assert(g !== undefined, `no guest ${plan.name} in the plan`);
  const operate = g.queue.filter((q) => q.phase === 'operate');
  const queue = [...bringUpCommands(plan), ...operate];
  const restarted = withGuest(c, plan.name, {
    ...g,
    status: 'initializing',
    queue,
    outstanding: null,
    boot: g.boot + 1,
  });
  const handle = g.outstanding;
  const sent = handle === null ? undefined : c.sent[handle];
  if (handle === null || sent === undefined) return { context: restarted, abandoned: null };
  const gone: SentCommand = { ...sent, resolution: 'guest-rebooted' };
  const context = { ...restarted, sent: { ...restarted.sent, [handle]: gone } };
  return { context, abandoned: { messageHandle: handle, sent: gone } };
}
