// iosp-recovery: the command partition's recovery orchestration for IO service partition
// failures (spar-protocol.md §4.1, §4.8; DESIGN "Recovery"). The guest never watches the IOSP: the
// command partition tells it, per device, with DEVICE_CHANGESTATE — standby (0x73, "server down",
// the driver pauses) when the hypervisor reports the IOSP down, running (0xF7, "server up", the
// driver resumes) once the IOSP is back with its channels re-initialised. The hypervisor restarts
// the IOSP after its down time; this machine only turns IOSP up/down reports into per-device
// state changes, which the command partition queues per guest in order.
//
// - One state per IOSP in context: `up`, or `down` since the last report. Reports that change
//   nothing (a second down while down: a crash during the reboot; up while up) send nothing, so
//   every device gets strictly alternating standby/running requests.
// - A failure during recovery (down again before or after running went out) queues a new
//   standby behind it; the per-guest FIFO keeps the order, so the device ends paused, and the
//   next up resumes it. Counted in `recoveries` / `failuresDuringRecovery`.
// - Choice: devices are paused and resumed in configuration order, one request per device.

import { assertEvent, assign, enqueueActions, setup } from 'xstate';

/** A device the CP created, with the IOSP that serves it. */
export interface RecoveryDevice {
  readonly guest: string;
  readonly busNo: number;
  readonly devNo: number;
  readonly server: string;
}

/** Machine input. */
export interface IospRecoveryInput {
  readonly partition: string;
  readonly devices: readonly RecoveryDevice[];
}

/** Context: plain data. */
export interface IospRecoveryContext {
  readonly partition: string;
  readonly devices: readonly RecoveryDevice[];
  /** IOSPs by name: `up` or `down` (missing: never reported, taken as up). */
  readonly iosps: Readonly<Record<string, 'up' | 'down'>>;
  /** Completed down → up cycles, and downs reported while a recovery was still running. */
  readonly recoveries: number;
  readonly failuresDuringRecovery: number;
  /** IOSPs whose running requests went out since their last down (a recovery in progress). */
  readonly resuming: readonly string[];
}

/** Reports from the hypervisor (through the CP's host). */
export type IospRecoveryEvent =
  | { readonly type: 'IOSP_DOWN'; readonly iosp: string }
  | { readonly type: 'IOSP_UP'; readonly iosp: string }
  /** The CP saw the answers of every running request of `iosp`: its recovery is complete. */
  | { readonly type: 'RESUMED'; readonly iosp: string };

/** Segment states (§3.1). */
export const SEGMENT_STANDBY = 0x73;
export const SEGMENT_RUNNING = 0xf7;

/** Effects: one DEVICE_CHANGESTATE for the command partition to queue. */
export type IospRecoveryEmitted = {
  readonly type: 'cp.changeState';
  readonly guest: string;
  readonly busNo: number;
  readonly devNo: number;
  readonly state: number;
  readonly iosp: string;
};

const iospOf = (event: IospRecoveryEvent) => event.iosp;

/** The recovery machine; one per command partition. */
export const iospRecoveryMachine = setup({
  types: {
    context: {} as IospRecoveryContext,
    events: {} as IospRecoveryEvent,
    emitted: {} as IospRecoveryEmitted,
    input: {} as IospRecoveryInput,
  },
  guards: {
    isUp: ({ context, event }) => (context.iosps[iospOf(event)] ?? 'up') === 'up',
    isDown: ({ context, event }) => context.iosps[iospOf(event)] === 'down',
    isResuming: ({ context, event }) => context.resuming.includes(iospOf(event)),
  },
  actions: {
    changeDevices: enqueueActions(({ context, event, enqueue }, params: { state: number }) => {
      const iosp = iospOf(event);
      for (const d of context.devices.filter((x) => x.server === iosp)) {
        enqueue.emit({ type: 'cp.changeState', guest: d.guest, busNo: d.busNo, devNo: d.devNo, state: params.state, iosp });
      }
    }),
    markDown: assign({ iosps: ({ context, event }) => ({ ...context.iosps, [iospOf(event)]: 'down' as const }) }),
    markUp: assign(({ context, event }) => ({
      iosps: { ...context.iosps, [iospOf(event)]: 'up' as const },
      resuming: [...context.resuming, iospOf(event)],
    })),
    countFailureDuringRecovery: assign(({ context, event }) => ({
      failuresDuringRecovery: context.failuresDuringRecovery + 1,
      resuming: context.resuming.filter((i) => i !== iospOf(event)),
    })),
    finishRecovery: assign(({ context, event }) => {
      assertEvent(event, 'RESUMED');
      return { recoveries: context.recoveries + 1, resuming: context.resuming.filter((i) => i !== event.iosp) };
    }),
  },
}).createMachine({
  id: 'iospRecovery',
  context: ({ input }) => ({ partition: input.partition, devices: input.devices, iosps: {}, recoveries: 0, failuresDuringRecovery: 0, resuming: [] }),
  initial: 'watching',
  states: {
    watching: {
      description: 'Turning IOSP down/up reports into DEVICE_CHANGESTATE standby/running per device.',
      on: {
        IOSP_DOWN: [
          {
            guard: 'isResuming',
            actions: ['countFailureDuringRecovery', 'markDown', { type: 'changeDevices', params: { state: SEGMENT_STANDBY } }],
          },
          { guard: 'isUp', actions: ['markDown', { type: 'changeDevices', params: { state: SEGMENT_STANDBY } }] },
        ],
        IOSP_UP: { guard: 'isDown', actions: ['markUp', { type: 'changeDevices', params: { state: SEGMENT_RUNNING } }] },
        RESUMED: { guard: 'isResuming', actions: 'finishRecovery' },
      },
    },
  },
});
