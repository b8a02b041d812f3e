// block-workload: a guest application doing block I/O on one disk, with a built-in "no lost write"
// check (spar-protocol.md §4.2 "Guarantee to the guest": no command silently lost; §4.8 the
// outage checklist). Not s-Par code: the load the storage path carries through IOSP outages. The
// data pattern, the seed-word schedule and the verification rule are in `block-workload.logic.ts`.
//
// States: `idle` until START → `running` (requests still to issue; up to `queueDepth` outstanding)
// → `draining` (all issued, waiting for the last answers) → `finished` (`workload.finished` once).
// Each `workload.submit` is answered by REQUEST_DONE: the host passes it through the SCSI midlayer,
// and a read's REQUEST_DONE brings the bytes read, which the workload decodes (`blockVersions`).
// It then emits `workload.verified` (reads that succeeded) and `workload.done` (every request).
// Choice: `finished` is not final, so a late or repeated REQUEST_DONE is still counted.
// After its guest rebooted, a workload given its previous boot's ledger (`recovered`) first reads
// back every block it had acknowledged (block-workload.recovery.ts).

import { enqueueActions, setup } from 'xstate';
import { assert } from '../src/base/assert.js';
import { narrowEvent } from './narrow-event.js';
import {
  bump,
  firstMismatch,
  inFlightRequest,
  initialWorkloadContext,
  issueNext,
  settleWrite,
} from './block-workload.logic.js';
import { hasRequestsLeft, issueReadBack, withRecoveredLedger } from './block-workload.recovery.js';
import type {
  BlockWorkloadContext,
  BlockWorkloadEmitted,
  BlockWorkloadEvent,
  BlockWorkloadInput,
} from './block-workload.types.js';

/** The block-workload machine; create it with `input: BlockWorkloadInput`, then send START. */
export const blockWorkloadMachine = setup({
  types: {
    context: {} as BlockWorkloadContext,
    events: {} as BlockWorkloadEvent,
    emitted: {} as BlockWorkloadEmitted,
    input: {} as BlockWorkloadInput,
  },
  actions: {
    // Issue requests until the queue is full or all were issued (bounded by queueDepth).
    fillQueue: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, ['START', 'REQUEST_DONE']);
      let next = context;
      const effects: BlockWorkloadEmitted[] = [];
      while (hasRequestsLeft(next) && next.inFlight.length < next.queueDepth) {
        const step = next.toVerify.length > 0 ? issueReadBack(next) : issueNext(next);
        next = step.context;
        effects.push(step.effect);
      }
      enqueue.assign(next);
      for (const effect of effects) enqueue.emit(effect);
    }),
    settleRequest: enqueueActions(({ context, event, enqueue }) => {
      const { id, ok, data } = narrowEvent(event, 'REQUEST_DONE');
      const request = inFlightRequest(context, id);
      assert(request !== undefined, `request ${id} is outstanding`);
      const inFlight = context.inFlight.filter((r) => r !== request);
      const { name } = context;
      let counts = bump(context.counts, ok ? 'succeeded' : 'failed');
      let lbas = context.lbas;
      if (request.op === 'write') lbas = settleWrite(context, request, ok);
      if (request.op === 'read' && ok) {
        const mismatch = firstMismatch(request, data, context.blockSize);
        counts = bump(counts, mismatch === null ? 'verified' : 'verifyFailures');
        enqueue.emit(
          mismatch === null
            ? { type: 'workload.verified', name, id, ok: true }
            : { type: 'workload.verified', name, id, ok: false, mismatch },
        );
      }
      enqueue.assign({ inFlight, lbas, counts });
      enqueue.emit({ type: 'workload.done', name, id, ok });
    }),
    countUnknownDone: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'REQUEST_DONE');
      enqueue.assign({ counts: bump(context.counts, 'unknownDones') });
    }),
    reportFinished: enqueueActions(({ context, enqueue }) => {
      const { name, ops, counts } = context;
      const { failed, verifyFailures } = counts;
      enqueue.emit({ type: 'workload.finished', name, ops, failed, verifyFailures });
    }),
  },
  guards: {
    isUnknownDone: ({ context, event }) =>
      inFlightRequest(context, narrowEvent(event, 'REQUEST_DONE').id) === undefined,
    isAllIssued: ({ context }) => !hasRequestsLeft(context),
    isNothingOutstanding: ({ context }) => context.inFlight.length === 0,
  },
}).createMachine({
  id: 'blockWorkload',
  context: ({ input }) => withRecoveredLedger(initialWorkloadContext(input), input.recovered),
  initial: 'idle',
  states: {
    idle: {
      description: 'Created; waits for START so the host is wired before the first submit.',
      on: {
        START: { target: 'running', actions: ['fillQueue'] },
        REQUEST_DONE: { actions: ['countUnknownDone'] },
      },
    },
    running: {
      description: 'Requests left to issue: each answer settles one and issues the next.',
      always: { guard: 'isAllIssued', target: 'draining' },
      on: {
        REQUEST_DONE: [
          { guard: 'isUnknownDone', actions: ['countUnknownDone'] },
          { actions: ['settleRequest', 'fillQueue'] },
        ],
      },
    },
    draining: {
      description: 'Every request issued; waits for the outstanding answers.',
      always: { guard: 'isNothingOutstanding', target: 'finished' },
      on: {
        REQUEST_DONE: [
          { guard: 'isUnknownDone', actions: ['countUnknownDone'] },
          { actions: ['settleRequest'] },
        ],
      },
    },
    finished: {
      description: 'All requests answered; workload.finished was emitted.',
      entry: ['reportFinished'],
      on: {
        REQUEST_DONE: { actions: ['countUnknownDone'] },
      },
    },
  },
});
