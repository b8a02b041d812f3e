// scsi-midlayer: the guest's Linux SCSI midlayer and sd for one SCSI host, i.e. one vhba device
// (spar-protocol.md §4.2 "Guarantee to the guest", §4.8 checklist step 2, §8 "Linux SCSI midlayer
// behaviour … described from general knowledge"). Not s-Par code: the layer above virthba whose
// retry policy decides what an IOSP outage means to the filesystem. Rules, with their Linux
// sources, are in `scsi-midlayer.logic.ts`.
//
// Flow: the workload (through the host) sends REQUEST; the midlayer builds the CDB, assigns a
// command tag and emits `hba.queue`, which the host turns into virthba's SCSI_QUEUE. virthba's
// `scsi.complete` comes back as SCSI_COMPLETE: busy → REQUEUE after `busyRetryDelayMs` (delayed,
// id `requeue.<tag>`, same tag); DID_RESET → a new tag while the retry budget lasts; status 0 →
// `request.done ok`; anything else, or the budget spent → `request.done` failed with a reason.
// Exactly one `request.done` per REQUEST; completions for tags not outstanding are counted.
// HOST_BLOCKED / HOST_UNBLOCKED (virthba's server down / up, `scsi_block_requests` /
// `scsi_unblock_requests`): while blocked nothing is dispatched — new requests, busy bounces,
// DID_RESET retries and due requeues are parked without a timer; unblocking requeues every parked
// command after `busyRetryDelayMs` (see the logic file for why this is a choice).
// States: `running`; `removed` after HOST_REMOVED (`scsi_remove_host`): every live request fails
// with `hostRemoved`, requeue timers are cancelled, later REQUESTs fail at once.
// Choice: `removed` is not final, so late requests are still answered and late completions counted.
// Not modelled: SCAN (INQUIRY / REPORT LUNS), command timeouts and the error handler's escalation
// (it would issue virthba's TASK_MGMT), queue depth limits (virthba's table is the limit).

import { enqueueActions, setup } from 'xstate';
import { assert } from '../src/base/assert.js';
import { narrowEvent } from './narrow-event.js';
import {
  atOf,
  bump,
  dropRequest,
  hbaQueueEffect,
  HOST_BYTE_DID_RESET,
  hostByte,
  initialMidlayerContext,
  isOutstanding,
  isValidRequest,
  parkedRequests,
  requestOfId,
  requestOfTag,
  requeueTimerId,
  storeRequest,
  withNextTag,
  type FailReason,
  type ScsiCompleteEvent,
  type ScsiMidlayerContext,
  type ScsiMidlayerEmitted,
  type ScsiMidlayerEvent,
  type ScsiMidlayerInput,
} from './scsi-midlayer.logic.js';

/** A DID_RESET completion of a request that has retries left. */
function isResetWithBudget(context: ScsiMidlayerContext, completion: ScsiCompleteEvent): boolean {
  if (completion.outcome !== 'done') return false;
  if (hostByte(completion.linuxstat) !== HOST_BYTE_DID_RESET) return false;
  return liveOf(context, completion.tag).resetRetries < context.retryBudget;
}

/** The live request a SCSI_COMPLETE or REQUEUE names (guards made sure it exists). */
function liveOf(context: ScsiMidlayerContext, tag: number) {
  const live = requestOfTag(context, tag);
  assert(live !== undefined, `tag ${tag} is live`);
  return live;
}

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
      const { live, update } = withNextTag(context, { ...request, resetRetries: 0 }, 'issued');
      enqueue.assign({ ...update, counts: bump(context.counts, 'requests', 'commandsQueued') });
      enqueue.emit(hbaQueueEffect(context, live));
    }),
    parkRequest: enqueueActions(({ context, event, enqueue }) => {
      const { type: _type, ...request } = narrowEvent(event, 'REQUEST');
      const { update } = withNextTag(context, { ...request, resetRetries: 0 }, 'parked');
      enqueue.assign({ ...update, counts: bump(context.counts, 'requests', 'parked') });
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
    }),
    parkRetry: enqueueActions(({ context, event, enqueue }) => {
      const old = liveOf(context, narrowEvent(event, 'SCSI_COMPLETE').tag);
      const retry = { ...old, resetRetries: old.resetRetries + 1 };
      const { update } = withNextTag(context, retry, 'parked', old.id);
      enqueue.assign({ ...update, counts: bump(context.counts, 'resetRetries', 'parked') });
    }),
    blockHost: enqueueActions(({ event, enqueue }) => {
      narrowEvent(event, 'HOST_BLOCKED');
      enqueue.assign({ hostBlocked: true });
    }),
    // Every parked command waits the busy delay again, as a requeue would (tag order).
    unblockHost: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'HOST_UNBLOCKED');
      let next: ScsiMidlayerContext = { ...context, hostBlocked: false };
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
    isUnknownTag: ({ context, event }) => {
      const { tag } = narrowEvent(event, 'SCSI_COMPLETE');
      return !(Number.isSafeInteger(tag) && tag >= 1 && tag < context.nextTag);
    },
    isNotOutstanding: ({ context, event }) =>
      !isOutstanding(context, narrowEvent(event, 'SCSI_COMPLETE').tag),
    isBusy: ({ event }) => narrowEvent(event, 'SCSI_COMPLETE').outcome === 'busy',
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
    isResetWithBudget: ({ context, event }) =>
      isResetWithBudget(context, narrowEvent(event, 'SCSI_COMPLETE')),
    isHostBlocked: ({ context }) => context.hostBlocked,
    isRequeueAwaited: ({ context, event }) =>
      requestOfTag(context, narrowEvent(event, 'REQUEUE').tag)?.phase === 'requeued',
    // The same three with the host blocked: the command is parked instead of (re)issued.
    isBusyWhileHostBlocked: ({ context, event }) =>
      context.hostBlocked && narrowEvent(event, 'SCSI_COMPLETE').outcome === 'busy',
    isResetWithBudgetWhileHostBlocked: ({ context, event }) =>
      context.hostBlocked && isResetWithBudget(context, narrowEvent(event, 'SCSI_COMPLETE')),
    isRequeueAwaitedWhileHostBlocked: ({ context, event }) =>
      context.hostBlocked &&
      requestOfTag(context, narrowEvent(event, 'REQUEUE').tag)?.phase === 'requeued',
  },
}).createMachine({
  id: 'scsiMidlayer',
  context: ({ input }) => initialMidlayerContext(input),
  initial: 'running',
  states: {
    running: {
      description: 'The SCSI host is registered: requests become commands at virthba.',
      on: {
        REQUEST: [
          { guard: 'isLiveRequest', actions: ['countDuplicateRequest'] },
          {
            guard: 'isInvalidRequest',
            actions: [{ type: 'rejectRequest', params: { reason: 'invalidRequest' } }],
          },
          { guard: 'isHostBlocked', actions: ['parkRequest'] },
          { actions: ['issueRequest'] },
        ],
        // First match wins: stray tags, then the disposition of an outstanding command.
        SCSI_COMPLETE: [
          { guard: 'isUnknownTag', actions: ['countUnknownCompletion'] },
          { guard: 'isNotOutstanding', actions: ['countDuplicateCompletion'] },
          { guard: 'isBusyWhileHostBlocked', actions: ['parkCommand'] },
          { guard: 'isBusy', actions: ['scheduleRequeue'] },
          { guard: 'isGoodStatus', actions: ['finishRequest'] },
          { guard: 'isResetWithBudgetWhileHostBlocked', actions: ['parkRetry'] },
          { guard: 'isResetWithBudget', actions: ['retryWithNewTag'] },
          {
            guard: 'isReset',
            actions: [{ type: 'failRequest', params: { reason: 'retriesExhausted' } }],
          },
          { actions: [{ type: 'failRequest', params: { reason: 'ioError' } }] },
        ],
        REQUEUE: [
          { guard: 'isRequeueAwaitedWhileHostBlocked', actions: ['parkCommand'] },
          { guard: 'isRequeueAwaited', actions: ['reissueRequest'] },
        ],
        HOST_BLOCKED: { actions: ['blockHost'] },
        HOST_UNBLOCKED: { actions: ['unblockHost'] },
        HOST_REMOVED: { target: 'removed', actions: ['failAllOnHostRemoval'] },
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
      },
    },
  },
});
