// visorchipset: the guest side of the controlvm protocol, as the final kernel's
// drivers/visorbus/visorchipset.c runs it (spar-protocol.md §2.5 poll loop, §2.6 per-command
// handling, §2.10 para-hotplug, §3.1 segment states, §3.3–§3.5, §7 cadence). The host does the
// channel I/O; this machine owns the poll cadence, the §2.6 preconditions and "exactly one response
// per request"; visorbus answers bus and device requests with VISORBUS_DONE (STYLE §4 split).
// Regions: `controlvm` (`controlvm_periodic_work`: waiting, draining, blocked) and `chipset`
// (`chipset_inited`).
//
// Choice: commands wait in `blocked` while a BUS_CREATE/DEVICE_CREATE is in visorbus and are then
// replayed in order (the kernel registers synchronously), so the §2.6 rows "bus not created" and
// "bus response pending" are reached only from resolved snapshots. Destroy, pause and resume never
// block.
// Choice: POLL_DONE.commands counts every non-test message removed, including one dropped because
// its ack did not fit (§2.5 3b).
// Choice: a para-hotplug disable expires exactly 2000 ms after it arrived (id
// `parahotplug.<requestId>`); an enable without `response_expected` is not answered.
// Choice: a failed pause/resume VISORBUS_DONE frees `pending_msg_hdr` (upstream keeps it and may
// answer twice; exactly-once is the promise here).
// Choice: a doorbell ends the poll wait at once (DESIGN "Time, polling"); a ring during a poll
// starts the next one right after it. Idle FAST polls are elided (`pollWaitMs`), the idle time
// accruing as if each jiffy had been polled. The poll timer's id comes from its state id:
// `xstate.after.pollInterval.controlvmPollWait`.
// Not modelled: the Era A startup delay and READY hold (§2.5, §2.9), BUS_CONFIGURE payloads (§2.8),
// kdump messages (§2.11), the 128 KiB payload throttle (§2.5 3a).

import { and, assign, emit, enqueueActions, not, setup, stateIn } from 'xstate';
import { narrowEvent } from './narrow-event.js';
import { assert } from '../src/base/assert.js';
import type { ControlvmCommand } from '../src/protocol/controlvm-command.js';
import {
  CONTROLVM_ID,
  CONTROLVM_RESP_ALREADY_DONE,
  CONTROLVM_RESP_ID_UNKNOWN,
} from '../src/protocol/controlvm.js';
import {
  changeStateAction,
  changeStateOf,
  changeStateResponse,
  chipsetInitFeatures,
  commandOf,
  configureBus,
  deviceKey,
  finishChangeState,
  finishCreate,
  forgetRecord,
  holdChangeState,
  initialContext,
  isActive,
  nextPollIntervalJiffies,
  pollWaitMs,
  PARAHOTPLUG_TIMEOUT_MS,
  parahotplugTimeoutResponse,
  preconditionStatus,
  recordCreate,
  responseToCommand,
  startParahotplug,
  visorbusRequestFor,
  type ResponsePacket,
} from './visorchipset.logic.js';
import type {
  VisorchipsetContext,
  VisorchipsetEmitted,
  VisorchipsetEvent,
  VisorchipsetInput,
} from './visorchipset.types.js';

/** Emits the immediate response to a command unless it expects none (§2.3 `response_expected`). */
function respond(
  emitEffect: (effect: VisorchipsetEmitted) => void,
  command: ControlvmCommand,
  result: number,
  packet: ResponsePacket = {},
): void {
  const response = responseToCommand(command, result, packet);
  if (response !== null) emitEffect({ type: 'controlvm.respond', response });
}

/**
 * The visorchipset machine; create it with `input: { partition, jiffyMs }` and an injected clock.
 */
export const visorchipsetMachine = setup({
  types: {
    context: {} as VisorchipsetContext,
    events: {} as VisorchipsetEvent,
    emitted: {} as VisorchipsetEmitted,
    input: {} as VisorchipsetInput,
  },
  delays: {
    pollInterval: ({ context }) => pollWaitMs(context),
    parahotplugTimeout: PARAHOTPLUG_TIMEOUT_MS,
  },
  guards: {
    isDoorbellPending: ({ context }) => context.doorbellPending,
    isTestMessage: ({ event }) => commandOf(event).flags.testMessage,
    isCommand: ({ event }, params: { id: keyof typeof CONTROLVM_ID }) =>
      commandOf(event).id === CONTROLVM_ID[params.id],
    isChipsetInitToProcess: and([
      { type: 'isCommand', params: { id: 'CONTROLVM_CHIPSET_INIT' } },
      not('isTestMessage'),
      stateIn('#controlvmDraining'),
    ]),
    failsPrecondition: ({ context, event }) => preconditionStatus(context, commandOf(event)) !== 0,
    isParahotplug: ({ event }, params: { enable: boolean }) => {
      const p = changeStateOf(event);
      return p?.physDevice === true && isActive(p.state) === params.enable;
    },
    isDeviceChange: ({ event }, params: { action: 'pause' | 'resume' | 'none' }) => {
      const p = changeStateOf(event);
      return p !== null && !p.physDevice && changeStateAction(p.state) === params.action;
    },
    isAwaitedCreateDone: ({ context, event }) => {
      const done = narrowEvent(event, 'VISORBUS_DONE');
      const awaited = context.awaiting;
      if (awaited === null || awaited.kind !== done.kind || awaited.busNo !== done.busNo)
        return false;
      return awaited.devNo === null || awaited.devNo === done.devNo;
    },
    isDeviceChangeDone: ({ context, event }) => {
      const done = narrowEvent(event, 'VISORBUS_DONE');
      if (done.devNo === undefined) return false;
      const changing = context.devices[deviceKey(done.busNo, done.devNo)]?.changing;
      if (done.kind === 'pauseDevice') return changing === 'pause';
      return done.kind === 'resumeDevice' && changing === 'resume';
    },
  },
  actions: {
    rememberDoorbell: assign({ doorbellPending: true }),
    forgetDoorbell: assign({ doorbellPending: false }),
    accrueIdleTime: assign({
      idleMs: ({ context }) => context.idleMs + pollWaitMs(context),
    }),
    emitPoll: emit({ type: 'controlvm.poll' }),
    reschedulePoll: assign(({ context, event }) => {
      const { commands } = narrowEvent(event, 'POLL_DONE');
      const idleMs = commands > 0 ? 0 : context.idleMs;
      const lastPollFoundCommands = commands > 0;
      return {
        idleMs,
        lastPollFoundCommands,
        pollIntervalJiffies: nextPollIntervalJiffies(idleMs, commands),
      };
    }),
    respondSuccess: enqueueActions(({ event, enqueue }) =>
      respond(enqueue.emit, commandOf(event), 0),
    ),
    respondPreconditionFailure: enqueueActions(({ context, event, enqueue }) =>
      respond(enqueue.emit, commandOf(event), -preconditionStatus(context, commandOf(event))),
    ),
    respondIdUnknown: enqueueActions(({ event, enqueue }) =>
      respond(enqueue.emit, commandOf(event), -CONTROLVM_RESP_ID_UNKNOWN),
    ),
    respondChipsetInit: enqueueActions(({ event, enqueue }) =>
      respond(enqueue.emit, commandOf(event), 0, {
        features: chipsetInitFeatures(commandOf(event)),
      }),
    ),
    respondAlreadyDone: enqueueActions(({ event, enqueue }) =>
      respond(enqueue.emit, commandOf(event), -CONTROLVM_RESP_ALREADY_DONE),
    ),
    respondParahotplugEnabled: enqueueActions(({ event, enqueue }) => {
      const state = changeStateOf(event)?.state ?? 0;
      respond(enqueue.emit, commandOf(event), 0, { state, physDevice: true });
    }),
    emitUevent: emit((_, params: { kind: 'online' | 'selftest' | 'offline' }) => ({
      type: 'chipset.uevent' as const,
      kind: params.kind,
    })),
    emitParahotplugUevent: emit(({ context, event }) => {
      const p = changeStateOf(event);
      assert(p !== null, 'emitParahotplugUevent needs a device_change_state packet');
      // startParahotplug ran first and took the id (§2.10 VISOR_PARAHOTPLUG_ID).
      const requestId = context.nextParahotplugId - 1;
      const active = isActive(p.state);
      const [busNo, device, fn] = [p.busNo, p.devNo >> 3, p.devNo & 7];
      const kind = 'parahotplug' as const;
      return {
        type: 'chipset.uevent' as const,
        kind,
        requestId,
        active,
        busNo,
        device,
        function: fn,
      };
    }),
    requestVisorbus: emit(({ event }) => {
      const request = visorbusRequestFor(commandOf(event));
      assert(request !== null, `no visorbus request for command id ${commandOf(event).id}`);
      return { type: 'visorbus.request' as const, request };
    }),
    recordCreate: assign(({ context, event }) => recordCreate(context, commandOf(event))),
    forgetRecord: assign(({ context, event }) => forgetRecord(context, commandOf(event))),
    configureBus: assign(({ context, event }) => configureBus(context, commandOf(event))),
    holdChangeState: assign(({ context, event }) => holdChangeState(context, commandOf(event))),
    startParahotplug: assign(({ context, event }) => startParahotplug(context, commandOf(event))),
    scheduleParahotplugExpiry: enqueueActions(({ context, enqueue }) => {
      const requestId = context.nextParahotplugId - 1;
      const id = `parahotplug.${requestId}`;
      enqueue.raise(
        { type: 'PARAHOTPLUG_EXPIRED', requestId },
        { delay: 'parahotplugTimeout', id },
      );
    }),
    expireParahotplug: enqueueActions(({ context, event, enqueue }) => {
      const { requestId } = narrowEvent(event, 'PARAHOTPLUG_EXPIRED');
      const request = context.parahotplug.find((r) => r.requestId === requestId);
      if (request === undefined) return;
      enqueue.assign({ parahotplug: context.parahotplug.filter((r) => r !== request) });
      if (request.header === null) return;
      const response = parahotplugTimeoutResponse(request, request.header);
      enqueue.emit({ type: 'controlvm.respond', response });
    }),
    holdBack: assign(({ context, event }) => ({
      backlog: [...context.backlog, narrowEvent(event, ['CONTROLVM_COMMAND', 'POLL_DONE'])],
    })),
    replayBacklog: enqueueActions(({ context, enqueue }) => {
      // Raised events run before any external one, so held commands keep their place in line.
      for (const held of context.backlog) enqueue.raise(held);
      enqueue.assign({ backlog: [] });
    }),
    finishCreate: enqueueActions(({ context, event, enqueue }) => {
      const { status } = narrowEvent(event, 'VISORBUS_DONE');
      const { update, response } = finishCreate(context, status);
      if (response !== null) enqueue.emit({ type: 'controlvm.respond', response });
      enqueue.assign(update);
    }),
    finishChangeState: enqueueActions(({ context, event, enqueue }) => {
      const done = narrowEvent(event, 'VISORBUS_DONE');
      const key = deviceKey(done.busNo, done.devNo ?? -1);
      const device = context.devices[key];
      assert(device !== undefined, 'isDeviceChangeDone admits existing devices only');
      if (device.pendingRequest !== null) {
        const response = changeStateResponse(device, device.pendingRequest, done.status);
        enqueue.emit({ type: 'controlvm.respond', response });
      }
      enqueue.assign(finishChangeState(context, key));
    }),
  },
}).createMachine({
  id: 'visorchipset',
  type: 'parallel',
  context: ({ input }) => initialContext(input),
  states: {
    controlvm: {
      initial: 'waiting',
      on: {
        VISORBUS_DONE: { guard: 'isDeviceChangeDone', actions: 'finishChangeState' },
        PARAHOTPLUG_EXPIRED: { actions: 'expireParahotplug' },
      },
      states: {
        waiting: {
          id: 'controlvmPollWait',
          always: {
            guard: 'isDoorbellPending',
            target: 'draining',
            actions: ['forgetDoorbell', 'emitPoll'],
          },
          after: { pollInterval: { target: 'draining', actions: ['accrueIdleTime', 'emitPoll'] } },
          on: { DOORBELL: { target: 'draining', actions: 'emitPoll' } },
        },
        draining: {
          id: 'controlvmDraining',
          on: {
            DOORBELL: { actions: 'rememberDoorbell' },
            POLL_DONE: { target: 'waiting', actions: 'reschedulePoll' },
            // §2.6, first match wins. CHIPSET_INIT is the chipset region's.
            CONTROLVM_COMMAND: [
              { guard: 'isTestMessage' },
              { guard: { type: 'isCommand', params: { id: 'CONTROLVM_CHIPSET_INIT' } } },
              { guard: 'failsPrecondition', actions: 'respondPreconditionFailure' },
              {
                guard: { type: 'isCommand', params: { id: 'CONTROLVM_BUS_CREATE' } },
                target: 'blocked',
                actions: ['recordCreate', 'requestVisorbus'],
              },
              {
                guard: { type: 'isCommand', params: { id: 'CONTROLVM_DEVICE_CREATE' } },
                target: 'blocked',
                actions: ['recordCreate', 'requestVisorbus'],
              },
              {
                guard: { type: 'isCommand', params: { id: 'CONTROLVM_BUS_DESTROY' } },
                actions: ['respondSuccess', 'forgetRecord', 'requestVisorbus'],
              },
              {
                guard: { type: 'isCommand', params: { id: 'CONTROLVM_DEVICE_DESTROY' } },
                actions: ['respondSuccess', 'forgetRecord', 'requestVisorbus'],
              },
              {
                guard: { type: 'isCommand', params: { id: 'CONTROLVM_BUS_CONFIGURE' } },
                actions: ['configureBus', 'respondSuccess'],
              },
              {
                guard: { type: 'isCommand', params: { id: 'CONTROLVM_DEVICE_CONFIGURE' } },
                actions: 'respondSuccess',
              },
              {
                guard: { type: 'isParahotplug', params: { enable: true } },
                actions: ['startParahotplug', 'emitParahotplugUevent', 'respondParahotplugEnabled'],
              },
              {
                guard: { type: 'isParahotplug', params: { enable: false } },
                actions: ['startParahotplug', 'emitParahotplugUevent', 'scheduleParahotplugExpiry'],
              },
              {
                guard: { type: 'isDeviceChange', params: { action: 'pause' } },
                actions: ['holdChangeState', 'requestVisorbus'],
              },
              {
                guard: { type: 'isDeviceChange', params: { action: 'resume' } },
                actions: ['holdChangeState', 'requestVisorbus'],
              },
              {
                guard: { type: 'isDeviceChange', params: { action: 'none' } },
                actions: 'holdChangeState',
              },
              {
                guard: { type: 'isCommand', params: { id: 'CONTROLVM_CHIPSET_READY' } },
                actions: [{ type: 'emitUevent', params: { kind: 'online' } }, 'respondSuccess'],
              },
              {
                guard: { type: 'isCommand', params: { id: 'CONTROLVM_CHIPSET_SELFTEST' } },
                actions: [{ type: 'emitUevent', params: { kind: 'selftest' } }, 'respondSuccess'],
              },
              {
                guard: { type: 'isCommand', params: { id: 'CONTROLVM_CHIPSET_STOP' } },
                actions: [{ type: 'emitUevent', params: { kind: 'offline' } }, 'respondSuccess'],
              },
              { actions: 'respondIdUnknown' },
            ],
          },
        },
        blocked: {
          on: {
            DOORBELL: { actions: 'rememberDoorbell' },
            CONTROLVM_COMMAND: { actions: 'holdBack' },
            POLL_DONE: { actions: 'holdBack' },
            VISORBUS_DONE: {
              guard: 'isAwaitedCreateDone',
              target: 'draining',
              actions: ['finishCreate', 'replayBacklog'],
            },
          },
        },
      },
    },
    chipset: {
      initial: 'uninitialized',
      states: {
        uninitialized: {
          on: {
            CONTROLVM_COMMAND: {
              guard: 'isChipsetInitToProcess',
              target: 'initialized',
              actions: 'respondChipsetInit',
            },
          },
        },
        initialized: {
          on: {
            CONTROLVM_COMMAND: { guard: 'isChipsetInitToProcess', actions: 'respondAlreadyDone' },
          },
        },
      },
    },
  },
});
