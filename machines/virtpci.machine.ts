// virtpci (module `virtpcimod`, Era A) with the uislib table it sits behind: one actor per guest,
// systemId `<partition>/virtpci` (`torvalds/linux drivers/staging/unisys/virtpci/virtpci.c`
// @05f6d025…, `uislib/uislib.c` @027b8c5b…; spar-protocol.md §5.12, §5.7, §3.6, §3.7, §4.6, §4.7,
// §7). It takes each `struct guest_msgs` (GUEST_MSG), checks it against uislib's table, does
// virtpci's part (vbus records, the server wait, the driver calls) and answers each message exactly
// once with `uislib.done`: 0 or a negated CONTROLVM_RESP code (a virtpci failure is -605).
//
// Choice: the order is upstream's: uislib's checks, the server wait (every 1000 ms, 120 times, id
// `serverWait.<bus>.<dev>`), then the duplicate WWNN/MAC check.
// Choice: PAUSE/RESUME are answered after `suspend`/`resume` return (1 → 0, 0 → -605); the
// CHANGESTATE response itself is the driver's `driver.pauseResponse` (§3.5, §5.11).
// Choice: DEL_VHBA/DEL_VNIC answer after DRIVER_REMOVED (upstream removes before uislib unmaps the
// channel, so the host may unmap on this done); an unbound device is dropped at once.
// Choice: DEL_ALL_* (no upstream sender) drop every device in scope at once and empty uislib's
// slots too, to keep the two tables one.
// Choice: a failed probe answers 0 and leaves the device registered but unbound (as
// `device_register`); its pause/resume answer -605. Stray answers are counted.
// Quirk `destroyDeviceUsesBusNo` (off): see `VirtpciQuirks`.
// Not modelled: uislib's channel validation before GUEST_ADD_* (the host's, §1.7), its
// `dev_incoming` thread, debugfs.

import { and, assign, emit, enqueueActions, not, setup } from 'xstate';
import { narrowEvent } from './narrow-event.js';
import { assert } from '../src/base/assert.js';
import {
  addBus,
  asDoneStatus,
  commitDevice,
  deleteBus,
  GUEST_DEL_ALL_VBUSES,
  reserveDevice,
} from './visoruislib.logic.js';
import {
  addressOf,
  busRecordWrites,
  delAllScope,
  deviceAt,
  deviceKey,
  deviceRecordWrites,
  doneForDevice,
  doneForMsg,
  driverCall,
  forgetDevices,
  initialContext,
  isDuplicateIdentity,
  msgGroup,
  msgOf,
  phaseOf,
  newDevice,
  SERVER_WAIT_INTERVAL_MS,
  SERVER_WAIT_TRIES,
  serverWaitId,
  uislibCheck,
  updateDevice,
  VIRTPCI_FAILURE,
  virtpciCheck,
  type MsgGroup,
} from './virtpci.logic.js';
import type {
  VirtpciContext,
  VirtpciDriverCall,
  VirtpciEmitted,
  VirtpciEvent,
  VirtpciInput,
  VirtpciPhase,
} from './virtpci.types.js';

/** The virtpci machine; create it with `input: { partition }` and an injected clock. */
export const virtpciMachine = setup({
  types: {
    context: {} as VirtpciContext,
    events: {} as VirtpciEvent,
    emitted: {} as VirtpciEmitted,
    input: {} as VirtpciInput,
  },
  delays: { serverWaitInterval: SERVER_WAIT_INTERVAL_MS },
  guards: {
    isRejectedByUislib: ({ context, event }) => uislibCheck(context, msgOf(event)) !== 0,
    isRejectedByVirtpci: ({ context, event }) => virtpciCheck(context, msgOf(event)) !== 0,
    isMsg: ({ event }, params: { group: MsgGroup }) =>
      msgGroup(msgOf(event).msgtype) === params.group,
    isDeviceDelete: ({ event }) => msgGroup(msgOf(event).msgtype) === 'delDevice',
    isDeviceUnbound: (args) => phaseOf(args) === 'unbound',
    // An answer counts only while its device waits for exactly that answer.
    isServerStateAwaited: (args) => phaseOf(args) === 'serverWait',
    isServerWaitSleeping: (args) => phaseOf(args) === 'serverSleep',
    isProbeAwaited: (args) => phaseOf(args) === 'probing',
    isSuspendAwaited: (args) => phaseOf(args) === 'suspending',
    isResumeAwaited: (args) => phaseOf(args) === 'resuming',
    isRemoveAwaited: (args) => phaseOf(args) === 'removing',
    isServerReady: ({ event }) => narrowEvent(event, 'CHANNEL_STATUS').serverReady,
    isDuplicateIdentity: ({ context, event }) =>
      isDuplicateIdentity(context, addressOf(context, event)),
    isServerWaitExhausted: ({ context, event }) =>
      (deviceAt(context, addressOf(context, event))?.serverReads ?? 0) >= SERVER_WAIT_TRIES,
    isProbeOk: ({ event }) => narrowEvent(event, 'DRIVER_PROBED').status === 0,
    isDriverCallOk: ({ event }) =>
      narrowEvent(event, ['DRIVER_SUSPENDED', 'DRIVER_RESUMED']).status !== 0,
  },
  actions: {
    answerUislibCheck: emit(({ context, event }) =>
      doneForMsg(msgOf(event), asDoneStatus(uislibCheck(context, msgOf(event)))),
    ),
    answerVirtpciCheck: emit(({ context, event }) =>
      doneForMsg(msgOf(event), asDoneStatus(virtpciCheck(context, msgOf(event)))),
    ),
    answerMsgSuccess: emit(({ event }) => doneForMsg(msgOf(event), 0)),
    answerDevice: emit(({ context, event }, params: { status: 'success' | 'failure' }) => {
      const status = params.status === 'success' ? 0 : asDoneStatus(VIRTPCI_FAILURE);
      return doneForDevice(deviceAt(context, addressOf(context, event)), status);
    }),
    addBus: assign(({ context, event }) => {
      const msg = msgOf(event);
      assert('devCount' in msg, `addBus needs GUEST_ADD_VBUS, got ${msg.msgtype}`);
      return { table: addBus(context.table, msg.busNo, msg.devCount).table };
    }),
    deleteBus: assign(({ context, event }) => ({
      table: deleteBus(context.table, msgOf(event).busNo).table,
    })),
    writeBusRecords: enqueueActions(({ event, enqueue }) => {
      for (const write of busRecordWrites(msgOf(event).busNo)) enqueue.emit(write);
    }),
    writeDeviceRecords: enqueueActions(({ context, event, enqueue }) => {
      const device = deviceAt(context, addressOf(context, event));
      for (const write of deviceRecordWrites(device)) enqueue.emit(write);
    }),
    reserveDevice: assign(({ context, event }) => {
      const device = newDevice(msgOf(event));
      const { busNo, devNo, kind } = device;
      const { table } = reserveDevice(context.table, busNo, devNo, kind);
      return { table, devices: { ...context.devices, [deviceKey(busNo, devNo)]: device } };
    }),
    releaseDevice: assign(({ context, event }) => {
      const device = deviceAt(context, addressOf(context, event));
      return device === undefined ? {} : forgetDevices(context, [device]);
    }),
    readServerState: emit(({ context, event }) => {
      const { busNo, devNo } = addressOf(context, event);
      return { type: 'channel.readServerState' as const, busNo, devNo };
    }),
    sleepServerWait: assign(({ context, event }) =>
      updateDevice(context, addressOf(context, event), { phase: 'serverSleep' }),
    ),
    scheduleServerWaitTick: enqueueActions(({ context, event, enqueue }) => {
      const { busNo, devNo } = addressOf(context, event);
      const id = serverWaitId(busNo, devNo);
      const tick = { type: 'SERVER_WAIT_TICK' as const, busNo, devNo };
      enqueue.raise(tick, { delay: 'serverWaitInterval', id });
    }),
    countServerRead: assign(({ context, event }) => {
      const at = addressOf(context, event);
      const reads = deviceAt(context, at)?.serverReads ?? 0;
      return updateDevice(context, at, { phase: 'serverWait', serverReads: reads + 1 });
    }),
    attachChannel: emit(({ context, event }) => {
      const { busNo, devNo } = addressOf(context, event);
      return { type: 'channel.setClientStateAttached' as const, busNo, devNo };
    }),
    callDriver: emit(({ context, event }, params: { call: VirtpciDriverCall }) =>
      driverCall(params.call, deviceAt(context, addressOf(context, event))),
    ),
    startDriverCall: assign(({ context, event }, params: { phase: VirtpciPhase }) => {
      const msgtype = event.type === 'GUEST_MSG' ? event.msg.msgtype : undefined;
      const { phase } = params;
      const change = msgtype === undefined ? { phase } : { phase, msgtype };
      return updateDevice(context, addressOf(context, event), change);
    }),
    settleDevice: assign(({ context, event }, params: { phase: 'bound' | 'unbound' }) =>
      updateDevice(context, addressOf(context, event), { phase: params.phase, msgtype: null }),
    ),
    commitSlot: assign(({ context, event }) => {
      const { busNo, devNo } = addressOf(context, event);
      return { table: commitDevice(context.table, busNo, devNo) };
    }),
    forgetDevice: assign(({ context, event }) => {
      const device = deviceAt(context, addressOf(context, event));
      return device === undefined ? {} : forgetDevices(context, [device]);
    }),
    removeAll: enqueueActions(({ context, event, enqueue }) => {
      const msg = msgOf(event);
      const gone = delAllScope(context, msg);
      for (const d of gone) if (d.phase === 'bound') enqueue.emit(driverCall('driver.remove', d));
      const update = forgetDevices(context, gone);
      const table = update.table ?? context.table;
      const buses = msg.msgtype === GUEST_DEL_ALL_VBUSES ? {} : table.buses;
      enqueue.assign({ devices: update.devices ?? context.devices, table: { ...table, buses } });
    }),
    countStrayAnswer: assign(({ context }) => ({ strayAnswers: context.strayAnswers + 1 })),
  },
}).createMachine({
  id: 'virtpci',
  initial: 'running',
  context: ({ input }) => initialContext(input),
  states: {
    running: {
      on: {
        // First match wins: uislib's checks, virtpci's checks, then one row per message group.
        GUEST_MSG: [
          { guard: 'isRejectedByUislib', actions: 'answerUislibCheck' },
          { guard: 'isRejectedByVirtpci', actions: 'answerVirtpciCheck' },
          {
            guard: { type: 'isMsg', params: { group: 'addVbus' } },
            actions: ['addBus', 'writeBusRecords', 'answerMsgSuccess'],
          },
          {
            guard: { type: 'isMsg', params: { group: 'addDevice' } },
            actions: ['reserveDevice', 'readServerState'],
          },
          {
            guard: { type: 'isMsg', params: { group: 'delVbus' } },
            actions: ['deleteBus', 'answerMsgSuccess'],
          },
          {
            guard: { type: 'isMsg', params: { group: 'pause' } },
            actions: [
              { type: 'startDriverCall', params: { phase: 'suspending' } },
              { type: 'callDriver', params: { call: 'driver.suspend' } },
            ],
          },
          {
            guard: { type: 'isMsg', params: { group: 'resume' } },
            actions: [
              'writeDeviceRecords',
              { type: 'startDriverCall', params: { phase: 'resuming' } },
              { type: 'callDriver', params: { call: 'driver.resume' } },
            ],
          },
          {
            guard: and(['isDeviceDelete', 'isDeviceUnbound']),
            actions: ['forgetDevice', 'answerMsgSuccess'],
          },
          {
            guard: { type: 'isMsg', params: { group: 'delDevice' } },
            actions: [
              { type: 'startDriverCall', params: { phase: 'removing' } },
              { type: 'callDriver', params: { call: 'driver.remove' } },
            ],
          },
          {
            guard: { type: 'isMsg', params: { group: 'delAll' } },
            actions: ['removeAll', 'answerMsgSuccess'],
          },
        ],
        CHANNEL_STATUS: [
          {
            guard: not('isServerStateAwaited'),
            actions: 'countStrayAnswer',
          },
          {
            guard: and(['isServerReady', 'isDuplicateIdentity']),
            actions: [{ type: 'answerDevice', params: { status: 'failure' } }, 'releaseDevice'],
          },
          {
            guard: 'isServerReady',
            actions: [
              { type: 'startDriverCall', params: { phase: 'probing' } },
              'attachChannel',
              { type: 'callDriver', params: { call: 'driver.probe' } },
            ],
          },
          { actions: ['sleepServerWait', 'scheduleServerWaitTick'] },
        ],
        SERVER_WAIT_TICK: [
          {
            guard: not('isServerWaitSleeping'),
            actions: 'countStrayAnswer',
          },
          {
            guard: 'isServerWaitExhausted',
            actions: [{ type: 'answerDevice', params: { status: 'failure' } }, 'releaseDevice'],
          },
          { actions: ['countServerRead', 'readServerState'] },
        ],
        DRIVER_PROBED: [
          {
            guard: not('isProbeAwaited'),
            actions: 'countStrayAnswer',
          },
          {
            guard: 'isProbeOk',
            actions: [
              'writeDeviceRecords',
              { type: 'answerDevice', params: { status: 'success' } },
              { type: 'settleDevice', params: { phase: 'bound' } },
              'commitSlot',
            ],
          },
          {
            actions: [
              { type: 'answerDevice', params: { status: 'success' } },
              { type: 'settleDevice', params: { phase: 'unbound' } },
              'commitSlot',
            ],
          },
        ],
        DRIVER_SUSPENDED: [
          {
            guard: not('isSuspendAwaited'),
            actions: 'countStrayAnswer',
          },
          {
            guard: 'isDriverCallOk',
            actions: [
              { type: 'answerDevice', params: { status: 'success' } },
              { type: 'settleDevice', params: { phase: 'bound' } },
            ],
          },
          {
            actions: [
              { type: 'answerDevice', params: { status: 'failure' } },
              { type: 'settleDevice', params: { phase: 'bound' } },
            ],
          },
        ],
        DRIVER_RESUMED: [
          {
            guard: not('isResumeAwaited'),
            actions: 'countStrayAnswer',
          },
          {
            guard: 'isDriverCallOk',
            actions: [
              { type: 'answerDevice', params: { status: 'success' } },
              { type: 'settleDevice', params: { phase: 'bound' } },
            ],
          },
          {
            actions: [
              { type: 'answerDevice', params: { status: 'failure' } },
              { type: 'settleDevice', params: { phase: 'bound' } },
            ],
          },
        ],
        DRIVER_REMOVED: [
          {
            guard: not('isRemoveAwaited'),
            actions: 'countStrayAnswer',
          },
          { actions: [{ type: 'answerDevice', params: { status: 'success' } }, 'forgetDevice'] },
        ],
      },
    },
  },
});
