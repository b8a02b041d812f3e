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

import { and, assign, emit, enqueueActions, setup } from 'xstate';
import { narrowEvent } from './narrow-event.js';
import { assert } from '../src/base/assert.js';
import { CONTROLVM_ID as ID } from '../src/protocol/controlvm.js';
import {
  deviceChangeStateRequest,
  deviceDestroyRequest,
  type ControlvmRequest,
} from '../src/protocol/controlvm-request.js';
import {
  acknowledge,
  allGuests,
  dispatchAll,
  enqueueCommand,
  initialContext,
  rejectionReason,
  replyViolation,
  sentOf,
  settle,
  stopGuest,
  timerId,
  withViolation,
  type CommandFailure,
  type CommandPartitionContext,
  type CommandPartitionInput,
  type CommandRejection,
  type Resolution,
} from './command-partition.logic.js';

type Reply = { readonly guest: string; readonly messageHandle: string };
type Device = { readonly guest: string; readonly busNo: number; readonly devNo: number };
type Response = { readonly id: number; readonly status: number; readonly failed: boolean };

/** Events: replies the host decoded, commands from recovery or a scenario, and own timers. */
export type CommandPartitionEvent =
  /** An ack from queue 3 (§2.5 step 3b). */
  | ({ readonly type: 'CONTROLVM_ACK' } & Reply)
  /** A response from queue 0: the id answered, `completion_status` and `flags.failed` (§2.6). */
  | ({ readonly type: 'CONTROLVM_RESPONSE' } & Response & Reply)
  /** Raised by the machine's own timers (ids from `timerId`); the host never sends them. */
  | ({ readonly type: 'ACK_TIMEOUT' } & Reply)
  | ({ readonly type: 'RESPONSE_TIMEOUT' } & Reply)
  /** DEVICE_CHANGESTATE to a §3.1 segment state: 0xF7 running (resume), 0x73 standby (pause). */
  | ({ readonly type: 'CHANGE_DEVICE_STATE'; readonly state: number } & Device)
  | ({ readonly type: 'DESTROY_DEVICE' } & Device);

/** How one sent command ended; `status` is null when nothing arrived in time. */
export interface CommandOutcome {
  readonly type: 'cp.outcome';
  readonly guest: string;
  readonly id: number;
  readonly messageHandle: string;
  readonly status: number | null;
  readonly failed: boolean;
  readonly cause: Exclude<Resolution, 'pending'>;
  /** The addressed bus and device, or null for commands without them. */
  readonly busNo: number | null;
  readonly devNo: number | null;
}

/** Effect requests for the partition host (and, through it, recovery orchestration). */
export type CommandPartitionEmitted =
  /** Encode `request` onto `guest`'s controlvm queue 2 and ring its doorbell. */
  | { readonly type: 'controlvm.send'; readonly guest: string; readonly request: ControlvmRequest }
  | CommandOutcome
  | { readonly type: 'cp.guestReady'; readonly guest: string }
  | { readonly type: 'cp.guestFailed'; readonly guest: string; readonly failure: CommandFailure }
  | { readonly type: 'cp.rejected'; readonly rejection: CommandRejection }
  /** Bring-up is over: which guests are ready and which failed. */
  | { readonly type: 'cp.bringUpDone'; readonly ready: string[]; readonly failed: string[] };

const SETTLING = ['CONTROLVM_RESPONSE', 'ACK_TIMEOUT', 'RESPONSE_TIMEOUT'] as const;

/** What a response or timeout says about its command. */
function settlement(event: CommandPartitionEvent) {
  const settling = narrowEvent(event, SETTLING);
  if (settling.type === 'CONTROLVM_RESPONSE') {
    const failed = settling.failed || settling.status !== 0;
    return { resolution: 'response', status: settling.status, failed } as const;
  }
  const resolution = settling.type === 'ACK_TIMEOUT' ? 'ack-timeout' : 'response-timeout';
  return { resolution, status: null, failed: true } as const;
}

/** The operate command of a CHANGE_DEVICE_STATE or DESTROY_DEVICE (state null for a destroy). */
function operateOf(event: CommandPartitionEvent) {
  const operate = narrowEvent(event, ['CHANGE_DEVICE_STATE', 'DESTROY_DEVICE']);
  const state = operate.type === 'CHANGE_DEVICE_STATE' ? operate.state : null;
  return { guest: operate.guest, busNo: operate.busNo, devNo: operate.devNo, state };
}

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
    allGuestsReady: ({ context }) => allGuests(context, true),
    allGuestsSettled: ({ context }) => allGuests(context, false),
  },
  actions: {
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
      return enqueueCommand(context, guest, request);
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
      { guard: 'isUnexpectedReply', actions: 'recordViolation' },
      { actions: 'acceptAck' },
    ],
    CONTROLVM_RESPONSE: [
      { guard: 'isUnexpectedReply', actions: 'recordViolation' },
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
