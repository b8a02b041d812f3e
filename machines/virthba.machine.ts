// virthba: the Era A virtual HBA driver bound to virtpci, control plane and IO path
// (`torvalds/linux drivers/staging/unisys/virthba/virthba.c` @010c9f8e…; spar-protocol.md §4.6,
// §3.5 Era A pause path, §5.12; the IO path follows the final visorhba rules of §4.2 under Era A
// names, §4.4.4 correlation, §3.6 remove, §7 timers). The control-plane contract is in
// `virtpci-driver.logic.ts`; the IO path's types and pure helpers are in `virthba.logic.ts`.
//
// States: `matched` (spawned, PROBE not yet called) → `running` (bound; the receive thread runs) →
// `serverChanging` (serverdown work queued: `serverchangingstate`) → `serverDown` → `running`
// again on RESUME; `removed` is final. The IO path lives in context (the pending table), so the
// states stay the control plane's and the host sees `running` / `serverDown` as before.
//
// Host protocol (see `virthba.logic.ts`): the host performs each channel effect synchronously
// right after the transition and answers an insert only when it fails, and a removal with the
// message and whether the ring holds more — so the driver's bookkeeping costs no extra events.
// SCSI_QUEUE (queuecommand, §4.2): busy unless running (serverdown, serverchangingstate or not
// yet probed → SCSI_MLQUEUE_DEVICE_BUSY, nothing sent); else take a slot (full → busy) and have
// the host insert it; the command is in the ring from then on. INSERT_FAILED (ring full, or the
// DMA-window check) frees the slot and answers busy, unless the slot no longer holds that tag
// (a pause walk cleared it meanwhile): then it is counted and ignored.
// CHANNEL_INTERRUPT (the receive thread's wake-up, §4.6/§7) starts a drain: one
// `channel.removeResponse` per message, asking again while the last response says `more`; a
// first removal that finds the ring empty answers RESPONSES_EMPTY. A SCSI or task-management
// response naming a slot that holds no request of its kind stops the drain for this tick (§4.2);
// other response types are ignored. A CHANNEL_INTERRUPT during a drain only counts.
// TASK_MGMT (the error handler, §4.2): failed unless running; else a slot, an insert, and a wait
// for the response or `taskMgmtTimeoutMs` (delayed TASKMGMT_TIMEOUT, id `taskmgmt.<slot>`, started
// with the insert). Any response is success whatever its result (§4.2); the timeout frees the slot
// and fails; INSERT_FAILED cancels the wait, frees the slot and fails.
// Pause: the serverdown work item (SERVERDOWN_COMPLETE) completes every pending SCSI command with
// `DID_RESET << 16` and wakes every task-management waiter with TASK_MGMT_FAILED (success), clears
// the table and its timers, then sends the pause response (§4.6). Responses still in the ring are
// abandoned: response events arriving while not running are counted and dropped.
// Remove: see `removeWalk` (Choice: pending SCSI completes with DID_ABORT, waiters fail).
// Quirks `losePendingOnPause` and `doubleCompleteOnResume` are seeded recovery bugs (canaries, off
// by default; `virthba.logic.ts`). Control-plane choices and quirks as before:
// SUSPEND (serverdown) while running: returns 1 (`driver.suspended 1`), queues the work item; the
// work item fails what is pending, sets `serverdown` and calls
// `visorchipset_device_pause_response(bus, dev, 0)` (`driver.pauseResponse 0`).
// Choice: the work item is one internal step (a raised SERVERDOWN_COMPLETE taken in the same
// macrostep), so from outside `serverChanging` is never seen between two events; its rows are
// tested from a resolved snapshot.
// SUSPEND while changing: returns 0 (upstream "Server already processing change state message").
// SUSPEND while down: returns 1 and, by default, answers the pause at once with 0; quirk
// `pauseWhileDownUnanswered` keeps upstream's silence (no work queued, no response ever).
// RESUME (serverup) while down: `cli_state_os = ATTACHED`, thread restarted, returns 1. RESUME while
// running: returns 1 and does nothing ("Server up message received while server is already up").
// RESUME while changing: 0 by default (§4.6); quirk `resumeWhileServerdownPending` returns 1 and
// does nothing, because upstream tests `!serverdown` before `serverchangingstate`.
// Choice: probe always succeeds (status 0); a failing probe is a fault the injector will add.
// Choice: entry points before PROBE and after REMOVE are ignored (virtpci calls suspend/resume/
// remove only on a probed device). REMOVE works in every bound state.
// Choice: no scatter-gather model: the host builds `gpi_list` from `bufflen`; more than 64 entries
// is an insert failure it reports as INSERT_FAILED (§4.2 step 4).

import { enqueueActions, setup } from 'xstate';
import { assert } from '../src/base/assert.js';
import { narrowEvent } from './narrow-event.js';
import {
  atOf,
  bump,
  failedInsertAt,
  findFreeSlot,
  initialVirthbaContext,
  pauseWalk,
  pendingAt,
  removeWalk,
  takeSlot,
  taskMgmtTimerId,
  withSlot,
  type TableWalk,
  type VirthbaContext,
  type VirthbaEmitted,
  type VirthbaEvent,
  type VirthbaInput,
} from './virthba.logic.js';
import { isQuirkOn, virtpciDriverActions } from './virtpci-driver.logic.js';

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
      const taken = takeSlot(context, slot, { tag, kind: 'scsi', buffer });
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
      const taken = takeSlot(context, slot, { tag, kind: 'taskmgmt' });
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
      enqueue.cancel(taskMgmtTimerId(handle));
      const slots = withSlot(context.slots, handle, null);
      enqueue.assign({ slots, counts: bump(context.counts, 'taskMgmtSucceeded') });
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
          target: 'serverChanging',
          actions: ['blockRequests', { type: 'reportSuspended', params: { status: 1 } }],
        },
        RESUME: { actions: [{ type: 'reportResumed', params: { status: 1 } }] },
        REMOVE: { target: 'removed', actions: ['abortOutstandingOnRemoval', 'reportRemoved'] },
      },
    },
    serverChanging: {
      description: 'serverdown work queued (serverchangingstate): IO busy, the ring abandoned.',
      entry: ['queueServerdownWork'],
      on: {
        SERVERDOWN_COMPLETE: {
          target: 'serverDown',
          actions: ['completeOutstandingWithReset', 'sendPauseResponse'],
        },
        SCSI_QUEUE: { actions: ['answerScsiBusy'] },
        TASK_MGMT: { actions: ['answerTaskMgmtFailed'] },
        SCSI_RESPONSE: { actions: ['countAbandonedResponse'] },
        TASKMGMT_RESPONSE: { actions: ['countAbandonedResponse'] },
        OTHER_RESPONSE: { actions: ['countAbandonedResponse'] },
        SUSPEND: { actions: [{ type: 'reportSuspended', params: { status: 0 } }] },
        RESUME: [
          {
            guard: { type: 'isQuirkOn', params: { quirk: 'resumeWhileServerdownPending' } },
            actions: [{ type: 'reportResumed', params: { status: 1 } }],
          },
          { actions: [{ type: 'reportResumed', params: { status: 0 } }] },
        ],
        REMOVE: { target: 'removed', actions: ['abortOutstandingOnRemoval', 'reportRemoved'] },
      },
    },
    serverDown: {
      description: 'serverdown: thread stopped, pending commands reset, pause answered; IO busy.',
      on: {
        SCSI_QUEUE: { actions: ['answerScsiBusy'] },
        TASK_MGMT: { actions: ['answerTaskMgmtFailed'] },
        SCSI_RESPONSE: { actions: ['countAbandonedResponse'] },
        TASKMGMT_RESPONSE: { actions: ['countAbandonedResponse'] },
        OTHER_RESPONSE: { actions: ['countAbandonedResponse'] },
        SUSPEND: [
          {
            guard: { type: 'isQuirkOn', params: { quirk: 'pauseWhileDownUnanswered' } },
            actions: [{ type: 'reportSuspended', params: { status: 1 } }],
          },
          { actions: [{ type: 'reportSuspended', params: { status: 1 } }, 'sendPauseResponse'] },
        ],
        RESUME: {
          target: 'running',
          actions: [
            'attachChannel',
            'unblockRequests',
            { type: 'reportResumed', params: { status: 1 } },
          ],
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
