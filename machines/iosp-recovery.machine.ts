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
// - The watchdog (issue: an IOSP hang is "detected by a watchdog in the command partition"):
//   every `periodMs` the host reads each IOSP's heartbeat counter (the IOSP bumps it every
//   poll) and answers HEARTBEATS; an IOSP that is up and whose counter has not moved for
//   `timeoutMs` is declared hung: its devices are paused, as for a crash, and the CP asks the
//   hypervisor to reboot it (`hypervisor.reboot`, down `rebootDownMs`); its up report resumes them.
//   Choice: period 100 ms, timeout 1 s, down 0 ms by default — the reference gives no values; a
//   healthy IOSP polls at least every 100 jiffies, so a second of silence is far outside jitter.
//   Choice: the watchdog rests (`resting`, no timer) while every IOSP it watches is down — there
//   is no heartbeat to expect — and starts afresh for an IOSP that comes back up (its old count
//   is forgotten), so a long reboot neither costs ten checks a second nor counts as silence.
// - A recovery is complete once every DEVICE_CHANGESTATE sent for the IOSP's devices, the running
//   ones included, has an answer (CHANGE_ANSWERED, the CP's outcome of each): the machine counts
//   the requests outstanding per device, so a late answer to an earlier standby does not end a
//   recovery whose running requests are still out.
// - Restart recovery (issue #14 item 1): a command partition that boots again knows nothing of
//   what its previous incarnation sent, and the reports of its down time are lost. It starts in
//   `reconciling` and waits for the hypervisor's IOSP_STATES (every IOSP's state now): each
//   device of a down IOSP gets standby; each device of an up IOSP gets standby then running.
//   Choice: the cycle rather than running alone, because the IOSP may have crashed and come back
//   while the CP was down, unseen: its channels were re-initialised under requests the guest
//   still holds, and only a pause completes those (DID_RESET, retried after the resume). A pause
//   or resume the device already had is answered as done (§4.6/§4.7: SUSPEND while down, RESUME
//   while running), so the cycle is safe whatever the old CP had sent.

import { assign, emit, enqueueActions, setup } from 'xstate';
import { narrowEvent } from './narrow-event.js';

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
  /** Watchdog timing; omitted: the defaults (WATCHDOG_DEFAULTS). */
  readonly watchdog?: WatchdogTiming;
  /** The IOSPs the watchdog watches (those with a heartbeat page); omitted: the devices' servers. */
  readonly iosps?: readonly string[];
  /** The CP booted again: reconcile every device with IOSP_STATES first (omitted: false). */
  readonly restarted?: boolean;
}

/** Watchdog timing in ms. */
export interface WatchdogTiming {
  readonly periodMs: number;
  readonly timeoutMs: number;
  readonly rebootDownMs: number;
}

/** The watchdog's default timing. */
export const WATCHDOG_DEFAULTS: WatchdogTiming = {
  periodMs: 100,
  timeoutMs: 1_000,
  rebootDownMs: 0,
};

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
  /** DEVICE_CHANGESTATE requests sent and not yet answered, by device (`deviceKey`). */
  readonly outstanding: Readonly<Record<string, number>>;
  readonly watchdog: WatchdogTiming;
  /** The IOSPs the watchdog watches. */
  readonly watched: readonly string[];
  /** Per IOSP: the last heartbeat count seen and for how many checks it has not moved. */
  readonly beats: Readonly<Record<string, { readonly count: number; readonly stale: number }>>;
  /** IOSPs the watchdog declared hung. */
  readonly hangsDetected: number;
  /** The CP booted again (input): the machine starts by reconciling. */
  readonly restarted: boolean;
}

/** Reports from the hypervisor (through the CP's host). */
export type IospRecoveryEvent =
  | { readonly type: 'IOSP_DOWN'; readonly iosp: string }
  | { readonly type: 'IOSP_UP'; readonly iosp: string }
  /** The command partition's answer (its outcome) to a DEVICE_CHANGESTATE of this device. */
  | {
      readonly type: 'CHANGE_ANSWERED';
      readonly guest: string;
      readonly busNo: number;
      readonly devNo: number;
    }
  /** The host's answer to `watchdog.check`: each IOSP's heartbeat counter now. */
  | { readonly type: 'HEARTBEATS'; readonly counts: Readonly<Record<string, number>> }
  /** Every IOSP's state now, told by the hypervisor to a CP that booted again. */
  | {
      readonly type: 'IOSP_STATES';
      readonly states: Readonly<Record<string, 'up' | 'down'>>;
    };

/** Segment states (§3.1). */
export const SEGMENT_STANDBY = 0x73;
export const SEGMENT_RUNNING = 0xf7;

/** Effects: a DEVICE_CHANGESTATE to queue, a heartbeat read, a reboot request to the hypervisor. */
export type IospRecoveryEmitted =
  | {
      readonly type: 'cp.changeState';
      readonly guest: string;
      readonly busNo: number;
      readonly devNo: number;
      readonly state: number;
      readonly iosp: string;
    }
  | { readonly type: 'watchdog.check' }
  | { readonly type: 'hypervisor.reboot'; readonly iosp: string; readonly downMs: number };

const iospOf = (event: IospRecoveryEvent): string =>
  narrowEvent(event, ['IOSP_DOWN', 'IOSP_UP']).iosp;

/** The key of a device in `outstanding`. */
export function deviceKey(d: { guest: string; busNo: number; devNo: number }): string {
  return `${d.guest}:${d.busNo}:${d.devNo}`;
}

/** `outstanding` with one more request for each device a batch of changes addresses. */
function withSent(
  outstanding: IospRecoveryContext['outstanding'],
  changes: readonly IospRecoveryEmitted[],
): IospRecoveryContext['outstanding'] {
  const next = { ...outstanding };
  for (const c of changes)
    if (c.type === 'cp.changeState') next[deviceKey(c)] = (next[deviceKey(c)] ?? 0) + 1;
  return next;
}

/** The IOSP serving the device a CHANGE_ANSWERED names, and the counts after the answer. */
function afterAnswer(context: IospRecoveryContext, event: IospRecoveryEvent) {
  const key = deviceKey(narrowEvent(event, 'CHANGE_ANSWERED'));
  const left = Math.max(0, (context.outstanding[key] ?? 0) - 1);
  const outstanding = { ...context.outstanding, [key]: left };
  const iosp = context.devices.find((d) => deviceKey(d) === key)?.server;
  return { iosp, outstanding };
}

/** One DEVICE_CHANGESTATE to `state` for each device `iosp` serves, in configuration order. */
function changesFor(
  context: IospRecoveryContext,
  iosp: string,
  state: number,
): IospRecoveryEmitted[] {
  return context.devices
    .filter((d) => d.server === iosp)
    .map((d) => ({
      type: 'cp.changeState' as const,
      guest: d.guest,
      busNo: d.busNo,
      devNo: d.devNo,
      state,
      iosp,
    }));
}

/** The IOSPs whose heartbeat has not moved for the timeout while they were up. */
function hungIosps(
  context: IospRecoveryContext,
  counts: Readonly<Record<string, number>>,
): string[] {
  const limit = Math.ceil(context.watchdog.timeoutMs / context.watchdog.periodMs);
  return Object.keys(counts).filter((iosp) => {
    const before = context.beats[iosp];
    const stale = before !== undefined && before.count === counts[iosp] ? before.stale + 1 : 0;
    return stale >= limit && (context.iosps[iosp] ?? 'up') === 'up';
  });
}

/** The initial context: nothing reported, every IOSP serving a device watched unless told. */
export function initialIospRecoveryContext(input: IospRecoveryInput): IospRecoveryContext {
  return {
    partition: input.partition,
    devices: input.devices,
    iosps: {},
    recoveries: 0,
    failuresDuringRecovery: 0,
    resuming: [],
    outstanding: {},
    watchdog: input.watchdog ?? WATCHDOG_DEFAULTS,
    watched: input.iosps ?? [...new Set(input.devices.map((d) => d.server))],
    beats: {},
    hangsDetected: 0,
    restarted: input.restarted ?? false,
  };
}

/**
 * The restart reconciliation (header): per reported IOSP, standby for each of its devices, then
 * running too for an up one; the new IOSP states; the up IOSPs being resumed.
 */
function reconcile(context: IospRecoveryContext, event: IospRecoveryEvent) {
  const { states } = narrowEvent(event, 'IOSP_STATES');
  const changes: IospRecoveryEmitted[] = [];
  const iosps = { ...context.iosps };
  const resuming = [...context.resuming];
  for (const [iosp, state] of Object.entries(states)) {
    changes.push(...changesFor(context, iosp, SEGMENT_STANDBY));
    iosps[iosp] = state;
    if (state === 'down') continue;
    changes.push(...changesFor(context, iosp, SEGMENT_RUNNING));
    if (!resuming.includes(iosp)) resuming.push(iosp);
  }
  return { changes, iosps, resuming };
}

/** The recovery machine; one per command partition. */
export const iospRecoveryMachine = setup({
  types: {
    context: {} as IospRecoveryContext,
    events: {} as IospRecoveryEvent,
    emitted: {} as IospRecoveryEmitted,
    input: {} as IospRecoveryInput,
  },
  delays: {
    watchdogPeriod: ({ context }) => context.watchdog.periodMs,
  },
  guards: {
    isUp: ({ context, event }) => (context.iosps[iospOf(event)] ?? 'up') === 'up',
    isDown: ({ context, event }) => context.iosps[iospOf(event)] === 'down',
    isResuming: ({ context, event }) => context.resuming.includes(iospOf(event)),
    // The answer is the last one outstanding for a device of an IOSP being resumed.
    completesRecovery: ({ context, event }) => {
      const { iosp, outstanding } = afterAnswer(context, event);
      if (iosp === undefined || !context.resuming.includes(iosp)) return false;
      return context.devices.every((d) => d.server !== iosp || outstanding[deviceKey(d)] === 0);
    },
    hasNothingToWatch: ({ context }) =>
      context.watched.every((iosp) => context.iosps[iosp] === 'down'),
    isRestart: ({ context }) => context.restarted,
  },
  actions: {
    pauseDevices: enqueueActions(({ context, event, enqueue }) => {
      const changes = changesFor(context, iospOf(event), SEGMENT_STANDBY);
      enqueue.assign({ outstanding: withSent(context.outstanding, changes) });
      for (const e of changes) enqueue.emit(e);
    }),
    resumeDevices: enqueueActions(({ context, event, enqueue }) => {
      const changes = changesFor(context, iospOf(event), SEGMENT_RUNNING);
      enqueue.assign({ outstanding: withSent(context.outstanding, changes) });
      for (const e of changes) enqueue.emit(e);
    }),
    countAnswer: assign(({ context, event }) => ({
      outstanding: afterAnswer(context, event).outstanding,
    })),
    markDown: assign({
      iosps: ({ context, event }) => ({ ...context.iosps, [iospOf(event)]: 'down' as const }),
    }),
    markUp: assign(({ context, event }) => {
      const { [iospOf(event)]: _forgotten, ...beats } = context.beats;
      return {
        iosps: { ...context.iosps, [iospOf(event)]: 'up' as const },
        resuming: [...context.resuming, iospOf(event)],
        beats,
      };
    }),
    countFailureDuringRecovery: assign(({ context, event }) => ({
      failuresDuringRecovery: context.failuresDuringRecovery + 1,
      resuming: context.resuming.filter((i) => i !== iospOf(event)),
    })),
    reconcileDevices: enqueueActions(({ context, event, enqueue }) => {
      const { changes, iosps, resuming } = reconcile(context, event);
      enqueue.assign({ iosps, resuming, outstanding: withSent(context.outstanding, changes) });
      for (const e of changes) enqueue.emit(e);
    }),
    checkHeartbeats: emit({ type: 'watchdog.check' as const }),
    // First the effects of the IOSPs found hung (from the context before this check)...
    reportHangs: enqueueActions(({ context, event, enqueue }) => {
      const { counts } = narrowEvent(event, 'HEARTBEATS');
      let { outstanding } = context;
      for (const iosp of hungIosps(context, counts)) {
        const changes = changesFor(context, iosp, SEGMENT_STANDBY);
        outstanding = withSent(outstanding, changes);
        for (const e of changes) enqueue.emit(e);
        enqueue.emit({ type: 'hypervisor.reboot', iosp, downMs: context.watchdog.rebootDownMs });
      }
      enqueue.assign({ outstanding });
    }),
    // ...then the record of this check.
    recordHeartbeats: assign(({ context, event }) => {
      const { counts } = narrowEvent(event, 'HEARTBEATS');
      const hung = hungIosps(context, counts);
      const beats = Object.fromEntries(
        Object.entries(counts).map(([iosp, count]) => {
          const before = context.beats[iosp];
          const stale = hung.includes(iosp)
            ? 0
            : before !== undefined && before.count === count
              ? before.stale + 1
              : 0;
          return [iosp, { count, stale }];
        }),
      );
      const iosps = { ...context.iosps };
      for (const iosp of hung) iosps[iosp] = 'down';
      return {
        beats,
        iosps,
        hangsDetected: context.hangsDetected + hung.length,
        resuming: context.resuming.filter((i) => !hung.includes(i)),
      };
    }),
    finishRecovery: assign(({ context, event }) => {
      const { iosp } = afterAnswer(context, event);
      return {
        recoveries: context.recoveries + 1,
        resuming: context.resuming.filter((i) => i !== iosp),
      };
    }),
  },
}).createMachine({
  id: 'iospRecovery',
  context: ({ input }) => initialIospRecoveryContext(input),
  initial: 'starting',
  on: {
    IOSP_DOWN: [
      {
        guard: 'isResuming',
        actions: ['countFailureDuringRecovery', 'markDown', 'pauseDevices'],
      },
      { guard: 'isUp', actions: ['markDown', 'pauseDevices'] },
    ],
    CHANGE_ANSWERED: [
      { guard: 'completesRecovery', actions: ['countAnswer', 'finishRecovery'] },
      { actions: 'countAnswer' },
    ],
  },
  states: {
    starting: {
      description: 'A first boot watches at once; a CP that booted again reconciles first.',
      always: [{ guard: 'isRestart', target: 'reconciling' }, { target: 'watching' }],
    },
    reconciling: {
      description:
        'The CP booted again: waiting for IOSP_STATES to pause the devices of down IOSPs and cycle those of up ones.',
      on: {
        IOSP_STATES: { target: 'watching', actions: 'reconcileDevices' },
        IOSP_UP: { guard: 'isDown', actions: ['markUp', 'resumeDevices'] },
      },
    },
    watching: {
      id: 'recoveryWatching',
      description:
        'Turning IOSP down/up reports into DEVICE_CHANGESTATE standby/running per device; the watchdog checks heartbeats every period.',
      always: { guard: 'hasNothingToWatch', target: 'resting' },
      after: { watchdogPeriod: { target: 'watching', reenter: true, actions: 'checkHeartbeats' } },
      on: {
        HEARTBEATS: { actions: ['reportHangs', 'recordHeartbeats'] },
        IOSP_UP: { guard: 'isDown', actions: ['markUp', 'resumeDevices'] },
      },
    },
    resting: {
      description: 'Every watched IOSP is down: no heartbeat to check until one comes back up.',
      on: {
        IOSP_UP: { guard: 'isDown', target: 'watching', actions: ['markUp', 'resumeDevices'] },
      },
    },
  },
});
