// command-partition: the CP's side of every guest's controlvm channel (spar-protocol.md §2.1–§2.7,
// §3.1, §3.5; DESIGN "Recovery"). It brings each guest up (CHIPSET_INIT, BUS_CREATE and
// BUS_CONFIGURE per bus, DEVICE_CREATE per device), then changes device states and destroys
// devices. The host does the channel I/O; this machine owns ordering, correlation by message
// handle and timeouts. One actor per CP, systemId `<partition>/command-partition`.
//
// Choice: per-guest progress lives in context (`guests[name].status`), not in spawned children, so
// every effect stays on one actor and a snapshot is plain data; the states say where the whole
// bring-up is (`bringingUp`, then `ready` or `degraded`).
// Choice: one command outstanding per guest (the real CP and the guest's queue 2 are sequential,
// §2.5), guests concurrent; later commands wait behind the bring-up, at most MAX_QUEUED_COMMANDS
// per guest. Whether a destroyed device still exists is the guest's to judge (ENODEV, §2.6).
// Choice: message handles are one run-wide counter from 1 (decimal strings, in send order);
// BUS_CONFIGURE's guest_handle is the guest's partition index.
// Choice: ack and response timers start at send (ids `<guest>.ackTimeout.<handle>`,
// `<guest>.responseTimeout.<handle>`). A failure during bring-up stops that guest; afterwards it is
// reported as the command's outcome, since recovery decides what it means.
// Choice: unexpected replies (unknown handle, second ack or response, late, wrong id) are recorded
// as violations and otherwise ignored: no command is settled twice.
// Restart (command-partition.reconcile.ts): a CP that booted again numbers its handles by its
// incarnation, ignores replies to older incarnations (`cp.staleReply`, not violations), and takes
// ALREADY_DONE / EEXIST answers to its repeated bring-up as "already there".
// Guest reboot (command-partition.guest-reboot.ts): a guest that booted again is brought up anew.

import { and, assign, emit, enqueueActions, setup } from 'xstate';
import { narrowEvent } from './narrow-event.js';
import { assert } from '../src/base/assert.js';
import { CONTROLVM_ID as ID } from '../src/protocol/controlvm.js';
import {
  deviceChangeStateRequest,
  deviceDestroyRequest,
} from '../src/protocol/controlvm-request.js';
import {
  acknowledge,
  allGuests,
  dispatchAll,
  enqueueCommand,
  initialContext,
  operateOf,
  rejectionReason,
  replyViolation,
  sentOf,
  settle,
  SETTLING,
  settlement,
  stopGuest,
  timerId,
  withViolation,
  type CommandPartitionContext,
  type CommandPartitionInput,
  type CommandRejection,
} from './command-partition.logic.js';
import { isAlreadyThere, isStaleReply } from './command-partition.reconcile.js';
import { noteRequestedState, restartGuest } from './command-partition.guest-reboot.js';
import type { CommandPartitionEmitted, CommandPartitionEvent } from './command-partition.types.js';

/** The command-partition machine; create it with {@link CommandPartitionInput} and a clock. */
export const commandPartitionMachine = setup({
  types: {
    context: {} as CommandPartitionContext,
    events: {} as CommandPartitionEvent,
    emitted: {} as CommandPartitionEmitted,
    input: {} as CommandPartitionInput,
  },
  delays: {
    ackTimeout: ({ context }) => context.ackTimeoutMs,
    responseTimeout: ({ context }) => context.responseTimeoutMs,
  },
  guards: {
    isStaleReply: ({ context, event }) =>
      isStaleReply(context, narrowEvent(event, ['CONTROLVM_ACK', 'CONTROLVM_RESPONSE'])),
    isAlreadyThere: ({ context, event }) =>
      isAlreadyThere(context, narrowEvent(event, 'CONTROLVM_RESPONSE')),
    isUnexpectedReply: ({ context, event }) =>
      replyViolation(context, narrowEvent(event, ['CONTROLVM_ACK', 'CONTROLVM_RESPONSE'])) !== null,
    isFailedResponse: ({ event }) => settlement(narrowEvent(event, 'CONTROLVM_RESPONSE')).failed,
    // A timeout is live only while its command waits for what it times; the reply cancels the
    // timer, so this fails only for a timeout event injected from outside.
    isLiveTimeout: ({ context, event }) => {
      const timeout = narrowEvent(event, ['ACK_TIMEOUT', 'RESPONSE_TIMEOUT']);
      const sent = context.sent[timeout.messageHandle];
      if (sent?.guest !== timeout.guest || sent.resolution !== 'pending') return false;
      return timeout.type === 'RESPONSE_TIMEOUT' || !sent.acked;
    },
    isBringUpCommand: ({ context, event }) =>
      context.sent[narrowEvent(event, SETTLING).messageHandle]?.phase === 'bringUp',
    isFailedBringUpResponse: and(['isFailedResponse', 'isBringUpCommand']),
    isLiveBringUpTimeout: and(['isLiveTimeout', 'isBringUpCommand']),
    isRejectedCommand: ({ context, event }) => rejectionReason(context, operateOf(event)) !== null,
    isPlannedGuest: ({ context, event }) =>
      context.guests[narrowEvent(event, 'GUEST_REBOOTED').plan.name] !== undefined,
    allGuestsReady: ({ context }) => allGuests(context, true),
    allGuestsSettled: ({ context }) => allGuests(context, false),
  },
  actions: {
    ignoreStaleReply: enqueueActions(({ context, event, enqueue }) => {
      const answer = narrowEvent(event, ['CONTROLVM_ACK', 'CONTROLVM_RESPONSE']);
      const reply = answer.type === 'CONTROLVM_ACK' ? ('ack' as const) : ('response' as const);
      const { guest, messageHandle } = answer;
      enqueue.assign({ staleReplies: context.staleReplies + 1 });
      enqueue.emit({ type: 'cp.staleReply', guest, messageHandle, reply });
    }),
    recordViolation: assign(({ context, event }) => {
      const answer = narrowEvent(event, ['CONTROLVM_ACK', 'CONTROLVM_RESPONSE']);
      const kind = replyViolation(context, answer);
      assert(kind !== null, 'recordViolation runs only for unexpected replies');
      const reply = answer.type === 'CONTROLVM_ACK' ? 'ack' : 'response';
      const { guest, messageHandle } = answer;
      return withViolation(context, { guest, messageHandle, reply, kind });
    }),
    acceptAck: enqueueActions(({ context, event, enqueue }) => {
      const { guest, messageHandle } = narrowEvent(event, 'CONTROLVM_ACK');
      enqueue.cancel(timerId('ack', guest, messageHandle));
      enqueue.assign(() => acknowledge(context, messageHandle));
    }),
    // Cancels both timers: whichever is still scheduled is moot once the command is settled.
    settleCommand: enqueueActions(({ context, event, enqueue }) => {
      const { guest, messageHandle } = narrowEvent(event, SETTLING);
      enqueue.cancel(timerId('ack', guest, messageHandle));
      enqueue.cancel(timerId('response', guest, messageHandle));
      enqueue.assign(() => settle(context, messageHandle, settlement(event).resolution));
    }),
    recordFailure: assign({
      failures: ({ context, event }) => {
        const { guest, messageHandle } = narrowEvent(event, SETTLING);
        const { id, phase } = sentOf(context, messageHandle);
        const { resolution, status } = settlement(event);
        const cause = resolution === 'response' ? 'failed-response' : resolution;
        return [...context.failures, { guest, id, messageHandle, status, cause, phase }];
      },
    }),
    emitOutcome: emit(({ context, event }) => {
      const { guest, messageHandle } = narrowEvent(event, SETTLING);
      const { id, busNo, devNo } = sentOf(context, messageHandle);
      const { resolution: cause, status, failed } = settlement(event);
      const result = { status, failed, cause, busNo, devNo };
      return { type: 'cp.outcome' as const, guest, id, messageHandle, ...result };
    }),
    failGuest: enqueueActions(({ context, event, enqueue }) => {
      const { guest, messageHandle } = narrowEvent(event, SETTLING);
      const { context: next, dropped } = stopGuest(context, guest);
      const failure = context.failures.at(-1);
      assert(failure?.messageHandle === messageHandle, 'recordFailure runs before failGuest');
      enqueue.assign(() => next);
      enqueue.emit({ type: 'cp.guestFailed', guest, failure });
      for (const rejection of dropped) enqueue.emit({ type: 'cp.rejected', rejection });
    }),
    sendNextCommands: enqueueActions(({ context, enqueue }) => {
      const { context: next, sent, becameReady } = dispatchAll(context);
      enqueue.assign(() => next);
      for (const { guest, request } of sent) {
        const { messageHandle } = request;
        enqueue.emit({ type: 'controlvm.send', guest, request });
        const reply = { guest, messageHandle };
        const ackId = timerId('ack', guest, messageHandle);
        enqueue.raise({ type: 'ACK_TIMEOUT', ...reply }, { id: ackId, delay: 'ackTimeout' });
        const responseId = timerId('response', guest, messageHandle);
        const responseTimer = { id: responseId, delay: 'responseTimeout' } as const;
        enqueue.raise({ type: 'RESPONSE_TIMEOUT', ...reply }, responseTimer);
      }
      for (const guest of becameReady) enqueue.emit({ type: 'cp.guestReady', guest });
    }),
    queueCommand: assign(({ context, event }) => {
      const { guest, busNo, devNo, state } = operateOf(event);
      const request =
        state === null
          ? deviceDestroyRequest(busNo, devNo)
          : deviceChangeStateRequest(busNo, devNo, state);
      return noteRequestedState(enqueueCommand(context, guest, request), operateOf(event));
    }),
    rejectCommand: enqueueActions(({ context, event, enqueue }) => {
      const { state, ...device } = operateOf(event);
      const reason = rejectionReason(context, { state, ...device });
      assert(reason !== null, 'rejectCommand runs only for rejected commands');
      const id = state === null ? ID.CONTROLVM_DEVICE_DESTROY : ID.CONTROLVM_DEVICE_CHANGESTATE;
      const rejection: CommandRejection = { ...device, id, reason };
      enqueue.assign({ rejections: [...context.rejections, rejection] });
      enqueue.emit({ type: 'cp.rejected', rejection });
    }),
    // The abandoned command's timers go and its outcome is reported (recovery awaits its answer).
    restartGuest: enqueueActions(({ context, event, enqueue }) => {
      const { plan } = narrowEvent(event, 'GUEST_REBOOTED');
      const { context: next, abandoned } = restartGuest(context, plan);
      enqueue.assign(() => next);
      const guest = plan.name;
      enqueue.emit({ type: 'cp.guestRebooted', guest, boot: next.guests[guest]?.boot ?? 0 });
      if (abandoned === null) return;
      const { messageHandle, sent } = abandoned;
      enqueue.cancel(timerId('ack', guest, messageHandle));
      enqueue.cancel(timerId('response', guest, messageHandle));
      const { id, busNo, devNo } = sent;
      const result = { status: null, failed: true, cause: 'guest-rebooted' as const, busNo, devNo };
      enqueue.emit({ type: 'cp.outcome', guest, id, messageHandle, ...result });
    }),
    emitBringUpDone: emit(({ context }) => {
      const all = Object.entries(context.guests);
      const names = (status: string) => all.flatMap(([n, g]) => (g.status === status ? [n] : []));
      return { type: 'cp.bringUpDone' as const, ready: names('ready'), failed: names('failed') };
    }),
  },
}).createMachine({
  id: 'commandPartition',
  context: ({ input }) => initialContext(input),
  initial: 'bringingUp',
  on: {
    CONTROLVM_ACK: [
      { guard: 'isStaleReply', actions: 'ignoreStaleReply' },
      { guard: 'isUnexpectedReply', actions: 'recordViolation' },
      { actions: 'acceptAck' },
    ],
    CONTROLVM_RESPONSE: [
      { guard: 'isStaleReply', actions: 'ignoreStaleReply' },
      { guard: 'isUnexpectedReply', actions: 'recordViolation' },
      { guard: 'isAlreadyThere', actions: ['settleCommand', 'emitOutcome', 'sendNextCommands'] },
      {
        guard: 'isFailedBringUpResponse',
        actions: ['settleCommand', 'recordFailure', 'emitOutcome', 'failGuest'],
      },
      {
        guard: 'isFailedResponse',
        actions: ['settleCommand', 'recordFailure', 'emitOutcome', 'sendNextCommands'],
      },
      { actions: ['settleCommand', 'emitOutcome', 'sendNextCommands'] },
    ],
    ACK_TIMEOUT: [
      {
        guard: 'isLiveBringUpTimeout',
        actions: ['settleCommand', 'recordFailure', 'emitOutcome', 'failGuest'],
      },
      {
        guard: 'isLiveTimeout',
        actions: ['settleCommand', 'recordFailure', 'emitOutcome', 'sendNextCommands'],
      },
    ],
    RESPONSE_TIMEOUT: [
      {
        guard: 'isLiveBringUpTimeout',
        actions: ['settleCommand', 'recordFailure', 'emitOutcome', 'failGuest'],
      },
      {
        guard: 'isLiveTimeout',
        actions: ['settleCommand', 'recordFailure', 'emitOutcome', 'sendNextCommands'],
      },
    ],
    CHANGE_DEVICE_STATE: [
      { guard: 'isRejectedCommand', actions: 'rejectCommand' },
      { actions: ['queueCommand', 'sendNextCommands'] },
    ],
    DESTROY_DEVICE: [
      { guard: 'isRejectedCommand', actions: 'rejectCommand' },
      { actions: ['queueCommand', 'sendNextCommands'] },
    ],
    GUEST_REBOOTED: {
      guard: 'isPlannedGuest',
      target: '.bringingUp',
      actions: ['restartGuest', 'sendNextCommands'],
    },
  },
  states: {
    bringingUp: {
      description: 'Some guest is still in CHIPSET_INIT, BUS_CREATE/CONFIGURE or DEVICE_CREATE.',
      entry: 'sendNextCommands',
      always: [
        { guard: 'allGuestsReady', target: 'ready' },
        { guard: 'allGuestsSettled', target: 'degraded' },
      ],
    },
    ready: {
      description: 'Every guest is up; device state changes and destroys go out one per guest.',
      entry: 'emitBringUpDone',
    },
    degraded: {
      description: 'Bring-up is over and some guest failed; the others take commands as usual.',
      entry: 'emitBringUpDone',
    },
  },
});
