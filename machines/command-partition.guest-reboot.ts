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
// device. A device whose last asked state was not running (recovery paused it: its IOSP is down)
// is paused again right after the bring-up, unless a command for it is still queued: a created
// device runs, and its requests would go to a channel no IOSP serves; the pause completes them
// with DID_RESET and the IOSP's up report resumes it. That pause is part of the bring-up, so its
// outcome is not recovery's answer (src/partition/command-host.ts). The bring-up restarts even for a guest the CP had given up (`failed`): a reboot is the
// guest's fresh start.

import { assert } from '../src/base/assert.js';
import { SEGMENT_STATE_RUNNING } from '../src/protocol/controlvm.js';
import { deviceChangeStateRequest } from '../src/protocol/controlvm-request.js';
import {
  bringUpCommands,
  type CommandPartitionContext,
  deviceKey,
  type GuestPlan,
  type QueuedCommand,
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
  const queue = [...bringUpCommands(plan), ...reapplied(g.requestedStates, operate), ...operate];
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

/** `c` noting that `state` (null: a destroy, which forgets it) was asked for a device of `guest`. */
export function noteRequestedState(
  c: CommandPartitionContext,
  command: { guest: string; busNo: number; devNo: number; state: number | null },
): CommandPartitionContext {
  const g = c.guests[command.guest];
  if (g === undefined) return c;
  const key = deviceKey(command.busNo, command.devNo);
  const { [key]: _forgotten, ...rest } = g.requestedStates ?? {};
  const requestedStates = command.state === null ? rest : { ...rest, [key]: command.state };
  return withGuest(c, command.guest, { ...g, requestedStates });
}

// A bring-up DEVICE_CHANGESTATE for each device last asked a state other than running, unless a
// command for it is still queued (that one applies).
function reapplied(
  states: Readonly<Record<string, number>> | undefined,
  operate: readonly QueuedCommand[],
): QueuedCommand[] {
  const queued = new Set(
    operate.flatMap(({ request: { packet: p } }) =>
      'devNo' in p ? [deviceKey(p.busNo, p.devNo)] : [],
    ),
  );
  return Object.entries(states ?? {}).flatMap(([key, state]) => {
    const [busNo, devNo] = key.split(':').map(Number);
    if (state === SEGMENT_STATE_RUNNING || queued.has(key)) return [];
    if (busNo === undefined || devNo === undefined) return [];
    return [{ phase: 'bringUp', request: deviceChangeStateRequest(busNo, devNo, state) }];
  });
}
