// virthba: the Era A virtual HBA driver bound to virtpci (spar-protocol.md §4.6; its IO path
// follows §4.2 under Era A names, with §4.4.4 correlation, §3.6 remove, §7 timers;
// `torvalds/linux drivers/staging/unisys/virthba/virthba.c` @010c9f8e). Control plane:
// `virtpci-driver.logic.ts`; protocol types: `virthba.types.ts`; table walks: `virthba.logic.ts`.
//
// States: matched → running ⇄ serverAway (serverChanging → serverDown) → removed; running or
// serverAway → quarantined (the channel was found corrupt) → removed. While the server
// is away IO is answered busy or failed and responses still in the ring are abandoned: those rows
// sit once on `serverAway`, its children hold only how they answer SUSPEND and RESUME. The
// pending table lives in context, so the states stay the control plane's.
// Choice: the serverdown work item is one internal step (a raised SERVERDOWN_COMPLETE in the same
// macrostep), so `serverChanging` is never seen between two events; tests resolve it directly.
// Choice: SUSPEND while down answers the pause again (quirk `pauseWhileDownUnanswered`: upstream's
// silence); RESUME while changing returns 0 as §4.6 says (quirk `resumeWhileServerdownPending`: 1).
// Choice: probe always succeeds; entry points before PROBE and after REMOVE are ignored.
// Choice: no scatter-gather model: the host builds `gpi_list` from `bufflen` and reports more than
// 64 entries as INSERT_FAILED (§4.2 step 4).
// Choice: a corrupt channel (CHANNEL_CORRUPT, the host's typed channel error) quarantines the
// device for the rest of its life in this guest (`quarantined`): pending and new commands fail with
// DID_NO_CONNECT (not retried), the ring is never touched again, and pause/resume are still
// answered so the command partition's recovery of the IOSP is not held up. Only a new probe (the
// guest's reboot, or the device re-created) attaches the channel again.
// Quirks `losePendingOnPause`, `doubleCompleteOnResume`: seeded recovery bugs (canaries, off).

import { enqueueActions, setup } from 'xstate';
import { DID_NO_CONNECT } from './virthba.logic.js';
import { assert } from '../src/base/assert.js';
import { narrowEvent } from './narrow-event.js';
import {
  atOf,
  bump,
  failedInsertAt,
  findFreeSlot,
  initialVirthbaContext,
  pauseWalk,
  NO_SLOT,
  pendingAt,
  quarantineWalk,
  removeWalk,
  takeSlot,
  taskMgmtCovers,
  taskMgmtSuccessWalk,
  taskMgmtTimerId,
  withSlot,
  type TableWalk,
} from './virthba.logic.js';
import type {
  VirthbaContext,
  VirthbaEmitted,
  VirthbaEvent,
  VirthbaInput,
} from './virthba.types.js';
import {
  isQuirkOn,
  SUSPEND_WHILE_SERVER_DOWN,
  virtpciDriverActions,
} from './virtpci-driver.logic.js';

export { VIRTHBA_DRIVER } from './virtpci-driver.logic.js';

/** A CDB is at most 16 bytes (`MAX_CMND_SIZE`, the uiscmdrsp `cmnd[16]`, §4.4.3). */
const MAX_CDB_BYTES = 16;

/** The virthba machine: one actor per vhba device virtpci probed (input: the device address). */
export const virthbaMachine = setup({
  types: {
    context: {} as VirthbaContext,
    events: {} as VirthbaEvent,
    emitted: {} as VirthbaEmitted,
    input: {} as VirthbaInput,
  },
  delays: {
    taskMgmtTimeout: ({ context }) => context.taskMgmtTimeoutMs,
  },
  actions: {
    ...virtpciDriverActions<VirthbaContext, VirthbaEvent>(),
    // The SCSI host goes down / comes back for the midlayer above (scsi-midlayer.logic.ts: host
    // blocked); emitted before the pause walk's DID_RESET completions, after the resume.
    blockRequests: enqueueActions(({ context, enqueue }) => {
      enqueue.emit({ type: 'scsi.blockRequests', ...atOf(context) });
    }),
    unblockRequests: enqueueActions(({ context, enqueue }) => {
      enqueue.emit({ type: 'scsi.unblockRequests', ...atOf(context) });
    }),
    answerScsiBusy: enqueueActions(({ context, event, enqueue }) => {
      const { tag } = narrowEvent(event, 'SCSI_QUEUE');
      enqueue.assign({ counts: bump(context.counts, 'scsiBusy') });
      enqueue.emit({ type: 'scsi.complete', ...atOf(context), tag, outcome: 'busy' });
    }),
    queueScsiCommand: enqueueActions(({ context, event, enqueue }) => {
      const { tag, cdb, dataDir, bufflen, vdest, buffer } = narrowEvent(event, 'SCSI_QUEUE');
      assert(cdb.length <= MAX_CDB_BYTES, `CDB of ${cdb.length} bytes for tag ${tag}`);
      const slot = findFreeSlot(context.slots, context.nextInsert);
      assert(slot !== null, 'queueScsiCommand runs only when a slot is free');
      const taken = takeSlot(context, slot, { tag, kind: 'scsi', buffer, vdest });
      enqueue.assign({ ...taken, counts: bump(context.counts, 'scsiQueued') });
      const at = atOf(context);
      const command = { slot, tag, cdb, dataDir, bufflen, vdest, buffer };
      enqueue.emit({ type: 'channel.insertScsi', ...at, ...command });
    }),
    answerTaskMgmtFailed: enqueueActions(({ context, event, enqueue }) => {
      const { tag } = narrowEvent(event, 'TASK_MGMT');
      enqueue.assign({ counts: bump(context.counts, 'taskMgmtFailed') });
      enqueue.emit({ type: 'taskmgmt.complete', ...atOf(context), tag, outcome: 'failed' });
    }),
    queueTaskMgmt: enqueueActions(({ context, event, enqueue }) => {
      const { tag, tasktype, vdest } = narrowEvent(event, 'TASK_MGMT');
      const slot = findFreeSlot(context.slots, context.nextInsert);
      assert(slot !== null, 'queueTaskMgmt runs only when a slot is free');
      const covers = taskMgmtCovers(context.slots, tasktype, vdest);
      const taken = takeSlot(context, slot, { tag, kind: 'taskmgmt', covers });
      enqueue.assign({ ...taken, counts: bump(context.counts, 'taskMgmtQueued') });
      enqueue.emit({
        type: 'channel.insertTaskMgmt',
        ...atOf(context),
        slot,
        tag,
        tasktype,
        vdest,
      });
      // The wait of §4.2 starts with the insert (the host performs it right after this step).
      const timeout = { type: 'TASKMGMT_TIMEOUT', slot, tag } as const;
      enqueue.raise(timeout, { id: taskMgmtTimerId(slot), delay: 'taskMgmtTimeout' });
    }),
    failInsert: enqueueActions(({ context, event, enqueue }) => {
      const failed = narrowEvent(event, 'INSERT_FAILED');
      const entry = failedInsertAt(context, failed);
      assert(entry !== null, `slot ${failed.slot} holds tag ${failed.tag}`);
      const slots = withSlot(context.slots, failed.slot, null);
      const at = atOf(context);
      if (entry.kind === 'scsi') {
        enqueue.assign({ slots, counts: bump(context.counts, 'insertFailures', 'scsiBusy') });
        enqueue.emit({ type: 'scsi.complete', ...at, tag: entry.tag, outcome: 'busy' });
      } else {
        enqueue.cancel(taskMgmtTimerId(failed.slot));
        enqueue.assign({ slots, counts: bump(context.counts, 'insertFailures', 'taskMgmtFailed') });
        enqueue.emit({ type: 'taskmgmt.complete', ...at, tag: entry.tag, outcome: 'failed' });
      }
    }),
    countStaleInsertFailure: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'INSERT_FAILED');
      enqueue.assign({ counts: bump(context.counts, 'staleInsertFailures') });
    }),
    startDrain: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'CHANNEL_INTERRUPT');
      enqueue.assign({ draining: true });
      enqueue.emit({ type: 'channel.removeResponse', ...atOf(context) });
    }),
    requestNextResponse: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, ['SCSI_RESPONSE', 'TASKMGMT_RESPONSE', 'OTHER_RESPONSE']);
      enqueue.emit({ type: 'channel.removeResponse', ...atOf(context) });
    }),
    completeScsiCommand: enqueueActions(({ context, event, enqueue }) => {
      const { handle, linuxstat, sense, noDiskResult } = narrowEvent(event, 'SCSI_RESPONSE');
      const entry = pendingAt(context, handle, 'scsi');
      assert(entry !== null, `slot ${handle} holds a SCSI command`);
      const slots = withSlot(context.slots, handle, null);
      enqueue.assign({ slots, counts: bump(context.counts, 'scsiCompleted') });
      const { tag, buffer } = entry;
      const status = { linuxstat, sense, noDiskResult };
      const done = { tag, outcome: 'done', ...status, slot: handle, buffer } as const;
      enqueue.emit({ type: 'scsi.complete', ...atOf(context), ...done });
    }),
    completeTaskMgmt: enqueueActions(({ context, event, enqueue }) => {
      const { handle, result } = narrowEvent(event, 'TASKMGMT_RESPONSE');
      const entry = pendingAt(context, handle, 'taskmgmt');
      assert(entry !== null, `slot ${handle} holds a task-management request`);
      const walk = taskMgmtSuccessWalk(context, handle);
      for (const slot of walk.cancelTimers) enqueue.cancel(taskMgmtTimerId(slot));
      enqueue.assign({ slots: walk.slots, counts: walk.counts });
      for (const effect of walk.completions) enqueue.emit(effect);
      const success = { tag: entry.tag, outcome: 'success', result } as const;
      enqueue.emit({ type: 'taskmgmt.complete', ...atOf(context), ...success });
    }),
    stopDrainOnStaleResponse: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, ['SCSI_RESPONSE', 'TASKMGMT_RESPONSE']);
      enqueue.assign({ draining: false, counts: bump(context.counts, 'staleResponses') });
    }),
    countOtherResponse: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'OTHER_RESPONSE');
      enqueue.assign({ counts: bump(context.counts, 'otherResponses') });
    }),
    // The ring was empty, or held nothing more after the response just taken.
    endDrain: enqueueActions(({ event, enqueue }) => {
      narrowEvent(event, [
        'SCSI_RESPONSE',
        'TASKMGMT_RESPONSE',
        'OTHER_RESPONSE',
        'RESPONSES_EMPTY',
      ]);
      enqueue.assign({ draining: false });
    }),
    countAbandonedResponse: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, ['SCSI_RESPONSE', 'TASKMGMT_RESPONSE', 'OTHER_RESPONSE']);
      enqueue.assign({ counts: bump(context.counts, 'abandonedResponses') });
    }),
    failTaskMgmtOnTimeout: enqueueActions(({ context, event, enqueue }) => {
      const { slot, tag } = narrowEvent(event, 'TASKMGMT_TIMEOUT');
      const slots = withSlot(context.slots, slot, null);
      const counts = bump(context.counts, 'taskMgmtTimeouts', 'taskMgmtFailed');
      enqueue.assign({ slots, counts });
      enqueue.emit({ type: 'taskmgmt.complete', ...atOf(context), tag, outcome: 'failed' });
    }),
    // The serverdown work item's walk (§4.2 pause, §4.6 serverdown), before the pause response.
    completeOutstandingWithReset: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'SERVERDOWN_COMPLETE');
      applyWalk(pauseWalk(context), enqueue);
    }),
    // The host found the channel corrupt: nothing pending can be answered by that ring any more.
    quarantineChannel: enqueueActions(({ context, event, enqueue }) => {
      const { message } = narrowEvent(event, 'CHANNEL_CORRUPT');
      enqueue.assign({ quarantine: message });
      applyWalk(quarantineWalk(context), enqueue);
    }),
    // A command for a quarantined device fails at once, without a slot (never retried).
    answerScsiNoConnect: enqueueActions(({ context, event, enqueue }) => {
      const { tag, buffer } = narrowEvent(event, 'SCSI_QUEUE');
      enqueue.assign({ counts: bump(context.counts, 'scsiFailedCorrupt') });
      const status = { linuxstat: DID_NO_CONNECT << 16, sense: null, noDiskResult: false };
      const done = { tag, outcome: 'done', ...status, slot: NO_SLOT, buffer } as const;
      enqueue.emit({ type: 'scsi.complete', ...atOf(context), ...done });
    }),
    abortOutstandingOnRemoval: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'REMOVE');
      applyWalk(removeWalk(context), enqueue);
    }),
  },
  guards: {
    isQuirkOn,
    isTableFull: ({ context }) => findFreeSlot(context.slots, context.nextInsert) === null,
    isDraining: ({ context }) => context.draining,
    // A drain is on and the response just taken was not the ring's last.
    hasMoreResponses: ({ context, event }) =>
      context.draining &&
      narrowEvent(event, ['SCSI_RESPONSE', 'TASKMGMT_RESPONSE', 'OTHER_RESPONSE']).more,
    isStaleInsertFailure: ({ context, event }) =>
      failedInsertAt(context, narrowEvent(event, 'INSERT_FAILED')) === null,
    isStaleScsiResponse: ({ context, event }) =>
      pendingAt(context, narrowEvent(event, 'SCSI_RESPONSE').handle, 'scsi') === null,
    isStaleTaskMgmtResponse: ({ context, event }) =>
      pendingAt(context, narrowEvent(event, 'TASKMGMT_RESPONSE').handle, 'taskmgmt') === null,
    isTaskMgmtAwaited: ({ context, event }) => {
      const { slot, tag } = narrowEvent(event, 'TASKMGMT_TIMEOUT');
      return pendingAt(context, slot, 'taskmgmt')?.tag === tag;
    },
  },
}).createMachine({
  id: 'virthba',
  context: ({ input }) => initialVirthbaContext(input),
  initial: 'matched',
  on: {
    // A failed insert is taken in whatever state the device is in by then; a pause walk may
    // already have answered and cleared its slot.
    INSERT_FAILED: [
      { guard: 'isStaleInsertFailure', actions: ['countStaleInsertFailure'] },
      { actions: ['failInsert'] },
    ],
  },
  states: {
    matched: {
      description: 'virtpci registered the device; probe has not run yet (IO is busy/failed).',
      on: {
        PROBE: { target: 'running', actions: ['reportProbed'] },
        SCSI_QUEUE: { actions: ['answerScsiBusy'] },
        TASK_MGMT: { actions: ['answerTaskMgmtFailed'] },
      },
    },
    running: {
      description: 'Bound, receive thread running: commands go out, responses are drained.',
      on: {
        CHANNEL_INTERRUPT: [
          { guard: 'isDraining', actions: ['countChannelInterrupt'] },
          { actions: ['countChannelInterrupt', 'startDrain'] },
        ],
        SCSI_QUEUE: [
          { guard: 'isTableFull', actions: ['answerScsiBusy'] },
          { actions: ['queueScsiCommand'] },
        ],
        TASK_MGMT: [
          { guard: 'isTableFull', actions: ['answerTaskMgmtFailed'] },
          { actions: ['queueTaskMgmt'] },
        ],
        SCSI_RESPONSE: [
          { guard: 'isStaleScsiResponse', actions: ['stopDrainOnStaleResponse'] },
          { guard: 'hasMoreResponses', actions: ['completeScsiCommand', 'requestNextResponse'] },
          { actions: ['completeScsiCommand', 'endDrain'] },
        ],
        TASKMGMT_RESPONSE: [
          { guard: 'isStaleTaskMgmtResponse', actions: ['stopDrainOnStaleResponse'] },
          { guard: 'hasMoreResponses', actions: ['completeTaskMgmt', 'requestNextResponse'] },
          { actions: ['completeTaskMgmt', 'endDrain'] },
        ],
        OTHER_RESPONSE: [
          { guard: 'hasMoreResponses', actions: ['countOtherResponse', 'requestNextResponse'] },
          { actions: ['countOtherResponse', 'endDrain'] },
        ],
        RESPONSES_EMPTY: { actions: ['endDrain'] },
        TASKMGMT_TIMEOUT: { guard: 'isTaskMgmtAwaited', actions: ['failTaskMgmtOnTimeout'] },
        SUSPEND: {
          target: 'serverAway.serverChanging',
          actions: ['blockRequests', { type: 'reportSuspended', params: { status: 1 } }],
        },
        RESUME: { actions: [{ type: 'reportResumed', params: { status: 1 } }] },
        REMOVE: { target: 'removed', actions: ['abortOutstandingOnRemoval', 'reportRemoved'] },
        CHANNEL_CORRUPT: { target: 'quarantined', actions: ['quarantineChannel'] },
      },
    },
    serverAway: {
      description: 'The server is going or gone: IO busy or failed, the ring abandoned.',
      initial: 'serverChanging',
      on: {
        SCSI_QUEUE: { actions: ['answerScsiBusy'] },
        TASK_MGMT: { actions: ['answerTaskMgmtFailed'] },
        SCSI_RESPONSE: { actions: ['countAbandonedResponse'] },
        TASKMGMT_RESPONSE: { actions: ['countAbandonedResponse'] },
        OTHER_RESPONSE: { actions: ['countAbandonedResponse'] },
        REMOVE: { target: 'removed', actions: ['abortOutstandingOnRemoval', 'reportRemoved'] },
        CHANNEL_CORRUPT: { target: 'quarantined', actions: ['quarantineChannel'] },
      },
      states: {
        serverChanging: {
          description: 'serverdown work queued (serverchangingstate).',
          entry: ['queueServerdownWork'],
          on: {
            SERVERDOWN_COMPLETE: {
              target: 'serverDown',
              actions: ['completeOutstandingWithReset', 'sendPauseResponse'],
            },
            SUSPEND: { actions: [{ type: 'reportSuspended', params: { status: 0 } }] },
            RESUME: [
              {
                guard: { type: 'isQuirkOn', params: { quirk: 'resumeWhileServerdownPending' } },
                actions: [{ type: 'reportResumed', params: { status: 1 } }],
              },
              { actions: [{ type: 'reportResumed', params: { status: 0 } }] },
            ],
          },
        },
        serverDown: {
          description: 'serverdown: thread stopped, pending commands reset, pause answered.',
          on: {
            SUSPEND: SUSPEND_WHILE_SERVER_DOWN,
            RESUME: {
              target: '#virthba.running',
              actions: [
                'attachChannel',
                'unblockRequests',
                { type: 'reportResumed', params: { status: 1 } },
              ],
            },
          },
        },
      },
    },
    quarantined: {
      description:
        'The channel was found corrupt: IO fails with DID_NO_CONNECT; pause and resume are answered.',
      on: {
        SCSI_QUEUE: { actions: ['answerScsiNoConnect'] },
        TASK_MGMT: { actions: ['answerTaskMgmtFailed'] },
        SCSI_RESPONSE: { actions: ['countAbandonedResponse'] },
        TASKMGMT_RESPONSE: { actions: ['countAbandonedResponse'] },
        OTHER_RESPONSE: { actions: ['countAbandonedResponse'] },
        SUSPEND: {
          actions: [{ type: 'reportSuspended', params: { status: 1 } }, 'sendPauseResponse'],
        },
        RESUME: {
          actions: ['unblockRequests', { type: 'reportResumed', params: { status: 1 } }],
        },
        REMOVE: { target: 'removed', actions: ['abortOutstandingOnRemoval', 'reportRemoved'] },
      },
    },
    removed: {
      description: 'remove returned; the actor is done.',
      type: 'final',
    },
  },
});

/** What enqueueActions offers that a table walk uses. */
interface WalkEnqueue {
  cancel(id: string): void;
  assign(values: Partial<VirthbaContext>): void;
  emit(effect: VirthbaEmitted): void;
}

// Cancel the walk's timers, store its table and counters (the drain ends with the thread), then
// emit its completions in slot order.
function applyWalk(walk: TableWalk, enqueue: WalkEnqueue): void {
  for (const slot of walk.cancelTimers) enqueue.cancel(taskMgmtTimerId(slot));
  enqueue.assign({ slots: walk.slots, counts: walk.counts, draining: false });
  for (const effect of walk.completions) enqueue.emit(effect);
}
