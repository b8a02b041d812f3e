// scsi-midlayer: the guest's Linux SCSI midlayer and sd for one SCSI host, i.e. one vhba device
// (spar-protocol.md §4.2 "Guarantee to the guest", §4.8 step 2, §8: Linux behaviour described
// from general knowledge). Not s-Par code: the layer above virthba whose retry policy decides what
// an IOSP outage means to the filesystem. Rules and their Linux sources: `scsi-midlayer.logic.ts`.
//
// States: `running` has two children. `dispatching`: requests, busy requeues and DID_RESET retries
// go to virthba as `hba.queue`. `blocked` (virthba's server is down: `scsi_block_requests`): the
// same commands are parked without a timer, and HOST_UNBLOCKED requeues them all after the busy
// delay. What does not depend on dispatch (duplicates, invalid requests, stray completions, good
// status, errors, HOST_REMOVED) sits once on `running`: XState takes a child's row first and falls
// back to the parent's when the child has none enabled. `removed` (`scsi_remove_host`): every live
// request failed with `hostRemoved`; later requests fail at once.
// Choice: `removed` is not final, so late requests are still answered and late completions counted.
// Command timeouts: every command handed to virthba arms `timeout.<tag>` (sd's 30 s), cancelled by
// its completion; when it fires the command enters the error handler (scsi-midlayer.eh.ts: abort,
// LUN reset, bus reset, host reset through virthba's TASK_MGMT; then one retry, or a failure).
// Not modelled: SCAN, queue depth.

import { enqueueActions, setup } from 'xstate';
import { assert } from '../src/base/assert.js';
import { narrowEvent } from './narrow-event.js';
import {
  atOf,
  bump,
  commandTimerId,
  dropRequest,
  hbaQueueEffect,
  HOST_BYTE_DID_RESET,
  hostByte,
  initialMidlayerContext,
  isOutstanding,
  isResetWithBudget,
  isValidRequest,
  liveOf,
  parkedRequests,
  requestOfId,
  requestOfTag,
  requeueTimerId,
  storeRequest,
  withNextTag,
} from './scsi-midlayer.logic.js';
import { ehAfterTaskMgmt, type EhMove, ehMove, requestOfTaskMgmt } from './scsi-midlayer.eh.js';
import type {
  FailReason,
  ScsiMidlayerContext,
  ScsiMidlayerEmitted,
  ScsiMidlayerEvent,
  ScsiMidlayerInput,
} from './scsi-midlayer.types.js';

/** The scsi-midlayer machine; create it with `input: { partition, busNo, devNo }`. */
export const scsiMidlayerMachine = setup({
  types: {
    context: {} as ScsiMidlayerContext,
    events: {} as ScsiMidlayerEvent,
    emitted: {} as ScsiMidlayerEmitted,
    input: {} as ScsiMidlayerInput,
  },
  delays: {
    busyRetryDelay: ({ context }) => context.busyRetryDelayMs,
    commandTimeout: ({ context }) => context.commandTimeoutMs,
  },
  actions: {
    countDuplicateRequest: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'REQUEST');
      enqueue.assign({ counts: bump(context.counts, 'duplicateRequests') });
    }),
    rejectRequest: enqueueActions(({ context, event, enqueue }, params: { reason: FailReason }) => {
      const { id, origin } = narrowEvent(event, 'REQUEST');
      enqueue.assign({ counts: bump(context.counts, 'requests', 'failed') });
      const { reason } = params;
      enqueue.emit({ type: 'request.done', ...atOf(context), id, origin, ok: false, reason });
    }),
    issueRequest: enqueueActions(({ context, event, enqueue }) => {
      const { type: _type, ...request } = narrowEvent(event, 'REQUEST');
      const fresh = { ...request, resetRetries: 0, eh: null };
      const { live, update } = withNextTag(context, fresh, 'issued');
      enqueue.assign({ ...update, counts: bump(context.counts, 'requests', 'commandsQueued') });
      enqueue.emit(hbaQueueEffect(context, live));
      armCommandTimer(enqueue, live.tag);
    }),
    parkRequest: enqueueActions(({ context, event, enqueue }) => {
      const { type: _type, ...request } = narrowEvent(event, 'REQUEST');
      const { update } = withNextTag(context, { ...request, resetRetries: 0, eh: null }, 'parked');
      enqueue.assign({ ...update, counts: bump(context.counts, 'requests', 'parked') });
    }),
    // Every completion of an outstanding command ends its timeout.
    cancelCommandTimer: enqueueActions(({ event, enqueue }) => {
      enqueue.cancel(commandTimerId(narrowEvent(event, 'SCSI_COMPLETE').tag));
    }),
    startErrorHandler: enqueueActions(({ context, event, enqueue }) => {
      const { tag } = narrowEvent(event, 'COMMAND_TIMEOUT');
      const eh = { step: 'abort', tmfTag: null, released: false } as const;
      const timedOut = { ...liveOf(context, tag), phase: 'eh', eh } as const;
      const counted = { ...context, counts: bump(context.counts, 'commandTimeouts') };
      applyEhMove(enqueue, ehMove(counted, timedOut, true, false));
    }),
    releaseTimedOut: enqueueActions(({ context, event, enqueue }, params: { park: boolean }) => {
      const live = liveOf(context, narrowEvent(event, 'SCSI_COMPLETE').tag);
      assert(live.eh !== null, `request ${live.id} is in the error handler`);
      const released = { ...live, eh: { ...live.eh, released: true } };
      applyEhMove(enqueue, ehMove(context, released, false, params.park));
    }),
    advanceErrorHandler: enqueueActions(
      ({ context, event, enqueue }, params: { park: boolean }) => {
        const { tag, outcome } = narrowEvent(event, 'TASKMGMT_COMPLETE');
        const live = requestOfTaskMgmt(context.requests, tag);
        assert(live?.eh != null, `task management ${tag} is awaited`);
        const moved = { ...live, eh: ehAfterTaskMgmt(live.eh, outcome) };
        applyEhMove(enqueue, ehMove(context, moved, outcome === 'failed', params.park));
      },
    ),
    countUnknownTaskMgmt: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'TASKMGMT_COMPLETE');
      enqueue.assign({ counts: bump(context.counts, 'unknownTaskMgmt') });
    }),
    countUnknownCompletion: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'SCSI_COMPLETE');
      enqueue.assign({ counts: bump(context.counts, 'unknownCompletions') });
    }),
    countDuplicateCompletion: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'SCSI_COMPLETE');
      enqueue.assign({ counts: bump(context.counts, 'duplicateCompletions') });
    }),
    scheduleRequeue: enqueueActions(({ context, event, enqueue }) => {
      const { tag } = narrowEvent(event, 'SCSI_COMPLETE');
      const live = { ...liveOf(context, tag), phase: 'requeued' } as const;
      const counts = bump(context.counts, 'busyRequeues');
      enqueue.assign({ ...storeRequest(context, live), counts });
      enqueue.raise({ type: 'REQUEUE', tag }, { id: requeueTimerId(tag), delay: 'busyRetryDelay' });
    }),
    parkCommand: enqueueActions(({ context, event, enqueue }) => {
      const { tag } = narrowEvent(event, ['SCSI_COMPLETE', 'REQUEUE']);
      const live = { ...liveOf(context, tag), phase: 'parked' } as const;
      enqueue.assign({ ...storeRequest(context, live), counts: bump(context.counts, 'parked') });
    }),
    reissueRequest: enqueueActions(({ context, event, enqueue }) => {
      const { tag } = narrowEvent(event, 'REQUEUE');
      const live = { ...liveOf(context, tag), phase: 'issued' } as const;
      const counts = bump(context.counts, 'commandsQueued');
      enqueue.assign({ ...storeRequest(context, live), counts });
      enqueue.emit(hbaQueueEffect(context, live));
      armCommandTimer(enqueue, tag);
    }),
    finishRequest: enqueueActions(({ context, event, enqueue }) => {
      const completion = narrowEvent(event, 'SCSI_COMPLETE');
      const { id, origin } = liveOf(context, completion.tag);
      enqueue.assign({ ...dropRequest(context, id), counts: bump(context.counts, 'succeeded') });
      const data = completion.outcome === 'done' ? completion.data : undefined;
      const done = { type: 'request.done', ...atOf(context), id, origin, ok: true } as const;
      enqueue.emit(data === undefined ? done : { ...done, data });
    }),
    retryWithNewTag: enqueueActions(({ context, event, enqueue }) => {
      const old = liveOf(context, narrowEvent(event, 'SCSI_COMPLETE').tag);
      const retry = { ...old, resetRetries: old.resetRetries + 1 };
      const { live, update } = withNextTag(context, retry, 'issued', old.id);
      enqueue.assign({ ...update, counts: bump(context.counts, 'resetRetries', 'commandsQueued') });
      enqueue.emit(hbaQueueEffect(context, live));
      armCommandTimer(enqueue, live.tag);
    }),
    parkRetry: enqueueActions(({ context, event, enqueue }) => {
      const old = liveOf(context, narrowEvent(event, 'SCSI_COMPLETE').tag);
      const retry = { ...old, resetRetries: old.resetRetries + 1 };
      const { update } = withNextTag(context, retry, 'parked', old.id);
      enqueue.assign({ ...update, counts: bump(context.counts, 'resetRetries', 'parked') });
    }),
    // Every parked command waits the busy delay again, as a requeue would (tag order).
    requeueParked: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'HOST_UNBLOCKED');
      let next: ScsiMidlayerContext = context;
      for (const parked of parkedRequests(context)) {
        next = { ...next, ...storeRequest(next, { ...parked, phase: 'requeued' }) };
        const { tag } = parked;
        enqueue.raise(
          { type: 'REQUEUE', tag },
          { id: requeueTimerId(tag), delay: 'busyRetryDelay' },
        );
      }
      enqueue.assign(next);
    }),
    failRequest: enqueueActions(({ context, event, enqueue }, params: { reason: FailReason }) => {
      const completion = narrowEvent(event, 'SCSI_COMPLETE');
      assert(completion.outcome === 'done', 'only a done completion fails a request');
      const { id, origin } = liveOf(context, completion.tag);
      enqueue.assign({ ...dropRequest(context, id), counts: bump(context.counts, 'failed') });
      const { linuxstat } = completion;
      const at = atOf(context);
      const { reason } = params;
      enqueue.emit({ type: 'request.done', ...at, id, origin, ok: false, reason, linuxstat });
    }),
    failAllOnHostRemoval: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'HOST_REMOVED');
      let counts = context.counts;
      for (const live of context.requests) {
        if (live.phase === 'requeued') enqueue.cancel(requeueTimerId(live.tag));
        if (live.phase === 'issued') enqueue.cancel(commandTimerId(live.tag));
        counts = bump(counts, 'failed');
        const at = atOf(context);
        const { id, origin } = live;
        enqueue.emit({ type: 'request.done', ...at, id, origin, ok: false, reason: 'hostRemoved' });
      }
      enqueue.assign({ requests: [], counts });
    }),
  },
  guards: {
    isLiveRequest: ({ context, event }) =>
      requestOfId(context, narrowEvent(event, 'REQUEST').id) !== undefined,
    isInvalidRequest: ({ event }) => !isValidRequest(narrowEvent(event, 'REQUEST')),
    // Neither of the two above: the request becomes a command (issued or parked).
    isNewRequest: ({ context, event }) => {
      const request = narrowEvent(event, 'REQUEST');
      return requestOfId(context, request.id) === undefined && isValidRequest(request);
    },
    isUnknownTag: ({ context, event }) => {
      const { tag } = narrowEvent(event, 'SCSI_COMPLETE');
      return !(Number.isSafeInteger(tag) && tag >= 1 && tag < context.nextTag);
    },
    isNotOutstanding: ({ context, event }) =>
      !isOutstanding(context, narrowEvent(event, 'SCSI_COMPLETE').tag),
    // An outstanding command bounced busy by virthba.
    isBusyCommand: ({ context, event }) => {
      const completion = narrowEvent(event, 'SCSI_COMPLETE');
      return isOutstanding(context, completion.tag) && completion.outcome === 'busy';
    },
    // An outstanding command completed with DID_RESET while its request has retries left.
    isRetryableReset: ({ context, event }) => {
      const completion = narrowEvent(event, 'SCSI_COMPLETE');
      return isOutstanding(context, completion.tag) && isResetWithBudget(context, completion);
    },
    isGoodStatus: ({ event }) => {
      const completion = narrowEvent(event, 'SCSI_COMPLETE');
      return completion.outcome === 'done' && completion.linuxstat === 0;
    },
    isReset: ({ event }) => {
      const completion = narrowEvent(event, 'SCSI_COMPLETE');
      return (
        completion.outcome === 'done' && hostByte(completion.linuxstat) === HOST_BYTE_DID_RESET
      );
    },
    isTimedOut: ({ context, event }) =>
      isOutstanding(context, narrowEvent(event, 'COMMAND_TIMEOUT').tag),
    // A completion of a command its error handler has not been given back yet.
    isTimedOutRelease: ({ context, event }) => {
      const live = requestOfTag(context, narrowEvent(event, 'SCSI_COMPLETE').tag);
      return live?.eh != null && !live.eh.released;
    },
    isAwaitedTaskMgmt: ({ context, event }) =>
      requestOfTaskMgmt(context.requests, narrowEvent(event, 'TASKMGMT_COMPLETE').tag) !==
      undefined,
    isRequeueAwaited: ({ context, event }) =>
      requestOfTag(context, narrowEvent(event, 'REQUEUE').tag)?.phase === 'requeued',
  },
}).createMachine({
  id: 'scsiMidlayer',
  context: ({ input }) => initialMidlayerContext(input),
  initial: 'running',
  states: {
    running: {
      description: 'The SCSI host is registered: requests become commands at virthba.',
      initial: 'dispatching',
      on: {
        // Reached when the child took no row: a duplicate or an invalid request.
        REQUEST: [
          { guard: 'isLiveRequest', actions: ['countDuplicateRequest'] },
          {
            guard: 'isInvalidRequest',
            actions: [{ type: 'rejectRequest', params: { reason: 'invalidRequest' } }],
          },
        ],
        // First match wins; busy bounces and retryable resets of outstanding commands were taken
        // by the child.
        SCSI_COMPLETE: [
          { guard: 'isUnknownTag', actions: ['countUnknownCompletion'] },
          { guard: 'isNotOutstanding', actions: ['countDuplicateCompletion'] },
          { guard: 'isGoodStatus', actions: ['cancelCommandTimer', 'finishRequest'] },
          {
            guard: 'isReset',
            actions: [
              'cancelCommandTimer',
              { type: 'failRequest', params: { reason: 'retriesExhausted' } },
            ],
          },
          {
            actions: ['cancelCommandTimer', { type: 'failRequest', params: { reason: 'ioError' } }],
          },
        ],
        COMMAND_TIMEOUT: { guard: 'isTimedOut', actions: ['startErrorHandler'] },
        // Reached when the child took no row: no error handler awaits this tag.
        TASKMGMT_COMPLETE: { actions: ['countUnknownTaskMgmt'] },
        HOST_REMOVED: { target: 'removed', actions: ['failAllOnHostRemoval'] },
      },
      states: {
        dispatching: {
          description: 'Commands go to virthba (queuecommand).',
          on: {
            REQUEST: { guard: 'isNewRequest', actions: ['issueRequest'] },
            SCSI_COMPLETE: [
              {
                guard: 'isTimedOutRelease',
                actions: [{ type: 'releaseTimedOut', params: { park: false } }],
              },
              { guard: 'isBusyCommand', actions: ['cancelCommandTimer', 'scheduleRequeue'] },
              { guard: 'isRetryableReset', actions: ['cancelCommandTimer', 'retryWithNewTag'] },
            ],
            TASKMGMT_COMPLETE: {
              guard: 'isAwaitedTaskMgmt',
              actions: [{ type: 'advanceErrorHandler', params: { park: false } }],
            },
            REQUEUE: { guard: 'isRequeueAwaited', actions: ['reissueRequest'] },
            HOST_BLOCKED: { target: 'blocked' },
          },
        },
        blocked: {
          description: 'virthba reported its server down: commands are parked, none dispatched.',
          on: {
            REQUEST: { guard: 'isNewRequest', actions: ['parkRequest'] },
            SCSI_COMPLETE: [
              {
                guard: 'isTimedOutRelease',
                actions: [{ type: 'releaseTimedOut', params: { park: true } }],
              },
              { guard: 'isBusyCommand', actions: ['cancelCommandTimer', 'parkCommand'] },
              { guard: 'isRetryableReset', actions: ['cancelCommandTimer', 'parkRetry'] },
            ],
            TASKMGMT_COMPLETE: {
              guard: 'isAwaitedTaskMgmt',
              actions: [{ type: 'advanceErrorHandler', params: { park: true } }],
            },
            REQUEUE: { guard: 'isRequeueAwaited', actions: ['parkCommand'] },
            HOST_UNBLOCKED: { target: 'dispatching', actions: ['requeueParked'] },
          },
        },
      },
    },
    removed: {
      description: 'scsi_remove_host ran: new requests fail, late completions are counted.',
      on: {
        REQUEST: [
          { guard: 'isLiveRequest', actions: ['countDuplicateRequest'] },
          { actions: [{ type: 'rejectRequest', params: { reason: 'hostRemoved' } }] },
        ],
        SCSI_COMPLETE: [
          { guard: 'isUnknownTag', actions: ['countUnknownCompletion'] },
          { actions: ['countDuplicateCompletion'] },
        ],
        TASKMGMT_COMPLETE: { actions: ['countUnknownTaskMgmt'] },
      },
    },
  },
});

/** What enqueueActions offers that an error-handler move and a timer arm use. */
interface MoveEnqueue {
  assign(values: Partial<ScsiMidlayerContext>): void;
  emit(effect: ScsiMidlayerEmitted): void;
  raise(
    event: { type: 'COMMAND_TIMEOUT'; tag: number },
    options: { id: string; delay: 'commandTimeout' },
  ): void;
}

// sd's timeout for command `tag`, under its own id so its completion can cancel it.
function armCommandTimer(enqueue: Pick<MoveEnqueue, 'raise'>, tag: number): void {
  enqueue.raise(
    { type: 'COMMAND_TIMEOUT', tag },
    { id: commandTimerId(tag), delay: 'commandTimeout' },
  );
}

// Stores the move's context, emits its effects and arms the timeout of a reissued command.
function applyEhMove(enqueue: MoveEnqueue, move: EhMove): void {
  enqueue.assign(move.next);
  for (const effect of move.effects) enqueue.emit(effect);
  if (move.armTag !== null) armCommandTimer(enqueue, move.armTag);
}
