// visorbus: the bus-driver half of the final kernel's visorbus.ko (drivers/visorbus/
// visorbus_main.c; spar-protocol.md §1.7 driver match, §1.9 vbus records, §3.2–§3.5, §3.7, §3.8).
// visorchipset hands it each create/destroy/pause/resume; it registers buses and devices, matches
// drivers and brokers probe/remove/pause/resume to the driver machines; the host does the I/O.
// Binding state is per device in context: the machine has `running` and, after STOP, `stopped`.
//
// Quirk: pause/resume with no driver bound does nothing (no call, no done), so visorchipset keeps
// its pending header (§3.5 step 2). A driver that never completes a resume (visorhba, §3.5) leaves
// `resuming` set: later pause/resume of that device are EBUSY, as upstream.
// Choice: the createDevice done (0) goes out before the check and probe (upstream answers success
// after `device_add` whatever the probe did, §3.4).
// Choice: only the first driver listing the type GUID is tried; a driver registering later is tried
// on every unbound device of its types (`driver_attach`).
// Choice: a request naming a missing bus or device gets ENODEV. One may arrive while a check or
// probe is out: destroy is answered 0 at once and the record kept `being_removed` until the answer
// (a probe that then succeeds is followed by `driver.remove`), and a createDevice of that name gets
// EEXIST. Destroy while pausing/resuming answers the state change ENODEV first.
// Choice: a negative `*_STARTED` after the completion answered is ignored (upstream answers twice);
// a duplicate driver name is ignored (EBUSY upstream); STOP drops everything.
// Not modelled: vbus header validation (the host's), uevents and module autoload, debugfs/sysfs.

import { and, assign, emit, enqueueActions, not, setup } from 'xstate';
import { narrowEvent } from './narrow-event.js';
import {
  addressOf,
  attachDriver,
  busRecordWrite,
  channelCheckFor,
  deviceAt,
  deviceRecordWrite,
  doneFor,
  driverCall,
  forgetBus,
  forgetDevice,
  initialContext,
  liveDevice,
  recordBus,
  recordDevice,
  requestGuards,
  requestOf,
  stateChangeDone,
  updateDevice,
  VISORBUS_ERRNO,
} from './visorbus.logic.js';
import type {
  DriverCall,
  VisorbusContext,
  VisorbusEmitted,
  VisorbusEvent,
  VisorbusInput,
} from './visorbus.types.js';

/** The visorbus machine; create it with `input: { partition, drivers }`. */
export const visorbusMachine = setup({
  types: {
    context: {} as VisorbusContext,
    events: {} as VisorbusEvent,
    emitted: {} as VisorbusEmitted,
    input: {} as VisorbusInput,
  },
  guards: {
    ...requestGuards,
    isCheckAwaited: ({ context, event }) =>
      deviceAt(context, narrowEvent(event, 'CHANNEL_CHECKED'))?.phase === 'checking',
    isProbeAwaited: ({ context, event }) =>
      deviceAt(context, narrowEvent(event, 'DRIVER_PROBED'))?.phase === 'probing',
    isBeingRemoved: ({ context, event }) => {
      const answer = narrowEvent(event, ['CHANNEL_CHECKED', 'DRIVER_PROBED']);
      return deviceAt(context, answer)?.beingRemoved === true;
    },
    isChannelOk: ({ event }) => narrowEvent(event, 'CHANNEL_CHECKED').ok,
    isProbeOk: ({ event }) => narrowEvent(event, 'DRIVER_PROBED').status >= 0,
    isNotStarted: ({ event }) =>
      narrowEvent(event, ['DRIVER_PAUSE_STARTED', 'DRIVER_RESUME_STARTED']).status < 0,
    isPausing: ({ context, event }) => {
      const answer = narrowEvent(event, ['DRIVER_PAUSE_STARTED', 'DRIVER_STATE_COMPLETE']);
      return deviceAt(context, answer)?.pausing === true;
    },
    isResuming: ({ context, event }) => {
      const answer = narrowEvent(event, ['DRIVER_RESUME_STARTED', 'DRIVER_STATE_COMPLETE']);
      return deviceAt(context, answer)?.resuming === true;
    },
    isNewDriver: ({ context, event }) => {
      const { driver } = narrowEvent(event, 'REGISTER_DRIVER');
      return context.drivers.every((d) => d.name !== driver.name);
    },
  },
  actions: {
    emitDone: emit(({ event }) => doneFor(requestOf(event), 0)),
    emitFailure: emit(({ event }, params: { errno: keyof typeof VISORBUS_ERRNO }) =>
      doneFor(requestOf(event), VISORBUS_ERRNO[params.errno]),
    ),
    recordBus: assign(({ context, event }) => recordBus(context, requestOf(event))),
    forgetBus: assign(({ context, event }) => forgetBus(context, requestOf(event))),
    writeBusRecord: emit(({ event }, params: { record: 'chipset' | 'bus' }) =>
      busRecordWrite(requestOf(event).busNo, params.record),
    ),
    recordDevice: assign(({ context, event }) => recordDevice(context, requestOf(event))),
    forgetDevice: assign(({ context, event }) => forgetDevice(context, addressOf(event))),
    markBeingRemoved: assign(({ context, event }) =>
      updateDevice(context, addressOf(event), { beingRemoved: true }),
    ),
    emitChannelCheck: emit(({ context, event }) =>
      channelCheckFor(context, deviceAt(context, addressOf(event))),
    ),
    startProbe: assign(({ context, event }) =>
      updateDevice(context, addressOf(event), { phase: 'probing' }),
    ),
    bindDevice: assign(({ context, event }) =>
      updateDevice(context, addressOf(event), { phase: 'bound' }),
    ),
    unbindDevice: assign(({ context, event }) =>
      updateDevice(context, addressOf(event), { phase: 'unbound', driver: null }),
    ),
    emitDriverCall: emit(({ context, event }, params: { call: DriverCall }) =>
      driverCall(params.call, deviceAt(context, addressOf(event))),
    ),
    writeDeviceRecord: emit(({ context, event }) =>
      deviceRecordWrite(deviceAt(context, addressOf(event))),
    ),
    setStateChange: assign(({ context, event }, params: { flag: 'pausing' | 'resuming' }) =>
      updateDevice(context, addressOf(event), { [params.flag]: true }),
    ),
    clearStateChange: assign(({ context, event }) =>
      updateDevice(context, addressOf(event), { pausing: false, resuming: false }),
    ),
    emitStateChangeDone: emit(({ context, event }) => {
      const answer = narrowEvent(event, [
        'DRIVER_PAUSE_STARTED',
        'DRIVER_RESUME_STARTED',
        'DRIVER_STATE_COMPLETE',
      ]);
      return stateChangeDone(deviceAt(context, answer), answer.status);
    }),
    abandonStateChange: emit(({ context, event }) =>
      stateChangeDone(liveDevice(context, requestOf(event)), VISORBUS_ERRNO.ENODEV),
    ),
    countSpuriousCompletion: assign(({ context, event }) => {
      narrowEvent(event, 'DRIVER_STATE_COMPLETE');
      return { spuriousCompletions: context.spuriousCompletions + 1 };
    }),
    attachDriver: assign(({ context, event }) =>
      attachDriver(context, narrowEvent(event, 'REGISTER_DRIVER').driver),
    ),
    // After attachDriver: the devices now checking with this driver are exactly those it was
    // attached to, since isNewDriver admits a name no device can have referred to before.
    emitChannelChecksForDriver: enqueueActions(({ context, event, enqueue }) => {
      const { driver } = narrowEvent(event, 'REGISTER_DRIVER');
      for (const device of Object.values(context.devices)) {
        if (device.phase === 'checking' && device.driver === driver.name) {
          enqueue.emit(channelCheckFor(context, device));
        }
      }
    }),
  },
}).createMachine({
  id: 'visorbus',
  initial: 'running',
  context: ({ input }) => initialContext(input),
  states: {
    running: {
      on: {
        // First match wins; each row is one outcome of one request kind.
        VISORBUS_REQUEST: [
          // §3.3 step 1: the chipset and bus records are written once the bus is registered.
          {
            guard: and(['isCreateBus', 'busExists']),
            actions: { type: 'emitFailure', params: { errno: 'EEXIST' } },
          },
          {
            guard: 'isCreateBus',
            actions: [
              'recordBus',
              { type: 'writeBusRecord', params: { record: 'chipset' } },
              { type: 'writeBusRecord', params: { record: 'bus' } },
              'emitDone',
            ],
          },
          // §3.3 step 3: respond, then unregister; the bus's devices stay.
          {
            guard: and(['isDestroyBus', not('busExists')]),
            actions: { type: 'emitFailure', params: { errno: 'ENODEV' } },
          },
          { guard: 'isDestroyBus', actions: ['emitDone', 'forgetBus'] },
          // §3.4 step 1: done right after the device is added, before check and probe.
          {
            guard: and(['isCreateDevice', not('busExists')]),
            actions: { type: 'emitFailure', params: { errno: 'ENODEV' } },
          },
          {
            guard: and(['isCreateDevice', 'isDeviceRecorded']),
            actions: { type: 'emitFailure', params: { errno: 'EEXIST' } },
          },
          {
            guard: and(['isCreateDevice', 'hasMatchingDriver']),
            actions: ['recordDevice', 'emitDone', 'emitChannelCheck'],
          },
          { guard: 'isCreateDevice', actions: ['recordDevice', 'emitDone'] },
          // The remaining kinds name a device, which must be live.
          {
            guard: not('isDeviceLive'),
            actions: { type: 'emitFailure', params: { errno: 'ENODEV' } },
          },
          // §3.4 step 4, §3.6: respond first, then `remove`.
          {
            guard: and(['isDestroyDevice', 'isDeviceChanging']),
            actions: [
              'abandonStateChange',
              'emitDone',
              { type: 'emitDriverCall', params: { call: 'driver.remove' } },
              'forgetDevice',
            ],
          },
          {
            guard: and(['isDestroyDevice', 'isDeviceBound']),
            actions: [
              'emitDone',
              { type: 'emitDriverCall', params: { call: 'driver.remove' } },
              'forgetDevice',
            ],
          },
          {
            guard: and(['isDestroyDevice', 'isDeviceBinding']),
            actions: ['emitDone', 'markBeingRemoved'],
          },
          { guard: 'isDestroyDevice', actions: ['emitDone', 'forgetDevice'] },
          // §3.5 steps 2–4, pause or resume: nothing at all without a driver (Quirk), else EBUSY
          // while one is in progress, else set the flag and call the driver.
          { guard: not('isDeviceBound') },
          {
            guard: 'isDeviceChanging',
            actions: { type: 'emitFailure', params: { errno: 'EBUSY' } },
          },
          {
            guard: 'isPauseDevice',
            actions: [
              { type: 'setStateChange', params: { flag: 'pausing' } },
              { type: 'emitDriverCall', params: { call: 'driver.pause' } },
            ],
          },
          {
            guard: 'isResumeDevice',
            actions: [
              'writeDeviceRecord',
              { type: 'setStateChange', params: { flag: 'resuming' } },
              { type: 'emitDriverCall', params: { call: 'driver.resume' } },
            ],
          },
        ],
        REGISTER_DRIVER: {
          guard: 'isNewDriver',
          actions: ['attachDriver', 'emitChannelChecksForDriver'],
        },
        CHANNEL_CHECKED: [
          { guard: not('isCheckAwaited') },
          { guard: 'isBeingRemoved', actions: 'forgetDevice' },
          {
            guard: 'isChannelOk',
            actions: ['startProbe', { type: 'emitDriverCall', params: { call: 'driver.probe' } }],
          },
          { actions: 'unbindDevice' },
        ],
        DRIVER_PROBED: [
          { guard: not('isProbeAwaited') },
          {
            guard: and(['isBeingRemoved', 'isProbeOk']),
            actions: [
              { type: 'emitDriverCall', params: { call: 'driver.remove' } },
              'forgetDevice',
            ],
          },
          { guard: 'isBeingRemoved', actions: 'forgetDevice' },
          { guard: 'isProbeOk', actions: ['bindDevice', 'writeDeviceRecord'] },
          { actions: 'unbindDevice' },
        ],
        // §3.5 step 4: a negative return means not started: answer it and clear the flag.
        DRIVER_PAUSE_STARTED: {
          guard: and(['isNotStarted', 'isPausing']),
          actions: ['emitStateChangeDone', 'clearStateChange'],
        },
        DRIVER_RESUME_STARTED: {
          guard: and(['isNotStarted', 'isResuming']),
          actions: ['emitStateChangeDone', 'clearStateChange'],
        },
        // §3.5 step 5: the completion answers only while its flag is set.
        DRIVER_STATE_COMPLETE: [
          { guard: 'isPausing', actions: ['emitStateChangeDone', 'clearStateChange'] },
          { guard: 'isResuming', actions: ['emitStateChangeDone', 'clearStateChange'] },
          { actions: 'countSpuriousCompletion' },
        ],
        STOP: { target: 'stopped' },
      },
    },
    stopped: { type: 'final' },
  },
});
