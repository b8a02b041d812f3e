// Partition lifecycle as the hypervisor sees it (DESIGN "Faults the simulation can inject",
// "Recovery"; spar-protocol.md §4.1): a partition is off until first booted, boots, runs, and
// may crash, hang, be rebooted after some down time, or be shut down. This is the hypervisor's
// record of the partition, not the partition's own logic: the runtime (sim or workers) starts
// a partition host when this machine emits `hostStart` and tears it down on `hostStop` (a crash
// terminates the worker; a reboot starts a fresh one on the same channel memory).
//
// - BOOTED comes from the partition host once its drivers are up.
// - REBOOT carries the down time in ms, chosen by the fault injector or the scenario (machines
//   draw no random numbers, STYLE §4); the machine waits in `rebooting` through the named
//   delay `rebootDelay` and then boots again.
// - Choice: HANG is a state of its own (`hung`): the host stays alive but stops making
//   progress. Only CRASH (a watchdog's verdict), REBOOT or SHUTDOWN leave it.
// - Choice: SHUTDOWN from a crashed or rebooting partition is the hypervisor powering it off;
//   a partition that shut down can be booted again.

import { assertEvent, assign, emit, setup } from 'xstate';

/**
 * Context: how often the partition booted and failed. Plain data. The partition's name is not
 * here: the runtime holds one actor per partition (systemId `<partition>/lifecycle`), so it
 * knows whose effects it receives, and the config stays a literal that JSON round-trips.
 */
export interface PartitionLifecycleContext {
  /** Times the partition entered `booting`. */
  readonly bootCount: number;
  /** CRASH events taken. */
  readonly crashCount: number;
  /** HANG events taken. */
  readonly hangCount: number;
  /** Down time of the current or last reboot, in ms (the `rebootDelay`). */
  readonly rebootDownMs: number;
}

/** Events the hypervisor (or the fault injector, or the partition host) sends. */
export type PartitionLifecycleEvent =
  | { readonly type: 'BOOT' }
  | { readonly type: 'BOOTED' }
  | { readonly type: 'CRASH' }
  | { readonly type: 'HANG' }
  /** `downMs`: milliseconds the partition stays down before it boots again. */
  | { readonly type: 'REBOOT'; readonly downMs: number }
  | { readonly type: 'SHUTDOWN' };

/** Why a partition host is being stopped. */
export type HostStopReason = 'crash' | 'reboot' | 'shutdown';

/** Effect requests for the runtime that hosts the partition. */
export type PartitionLifecycleEmitted =
  | { readonly type: 'hostStart'; readonly bootCount: number }
  | { readonly type: 'hostStop'; readonly reason: HostStopReason }
  | { readonly type: 'hostHang' };

/** The state values, for tests and traces. */
export const PARTITION_LIFECYCLE_STATES = [
  'off',
  'booting',
  'running',
  'hung',
  'crashed',
  'rebooting',
  'shutDown',
] as const;

/** One of {@link PARTITION_LIFECYCLE_STATES}. */
export type PartitionLifecycleState = (typeof PARTITION_LIFECYCLE_STATES)[number];

function stopReason(event: PartitionLifecycleEvent): HostStopReason {
  if (event.type === 'CRASH') return 'crash';
  if (event.type === 'REBOOT') return 'reboot';
  return 'shutdown';
}

/**
 * The lifecycle machine. The delayed transition out of `rebooting` is scheduled by XState with
 * the id `xstate.after.rebootDelay.rebooting` (from the state's explicit `id`), never a random
 * one, so a sim run's scheduled events are the same on every replay.
 */
export const partitionLifecycleMachine = setup({
  types: {
    context: {} as PartitionLifecycleContext,
    events: {} as PartitionLifecycleEvent,
    emitted: {} as PartitionLifecycleEmitted,
  },
  actions: {
    countBoot: assign({ bootCount: ({ context }) => context.bootCount + 1 }),
    countCrash: assign({ crashCount: ({ context }) => context.crashCount + 1 }),
    countHang: assign({ hangCount: ({ context }) => context.hangCount + 1 }),
    recordRebootDown: assign({
      rebootDownMs: ({ event }) => {
        assertEvent(event, 'REBOOT');
        return event.downMs;
      },
    }),
    requestHostStart: emit(({ context }) => ({
      type: 'hostStart' as const,
      bootCount: context.bootCount,
    })),
    requestHostStop: emit(({ event }) => {
      assertEvent(event, ['CRASH', 'REBOOT', 'SHUTDOWN']);
      return { type: 'hostStop' as const, reason: stopReason(event) };
    }),
    requestHostHang: emit({ type: 'hostHang' as const }),
  },
  guards: {
    // A negative, fractional or non-finite down time is a broken fault plan; the REBOOT is
    // ignored rather than scheduling a delay XState cannot honour.
    isValidDownTime: ({ event }) => {
      assertEvent(event, 'REBOOT');
      return Number.isSafeInteger(event.downMs) && event.downMs >= 0;
    },
  },
  delays: {
    rebootDelay: ({ context }) => context.rebootDownMs,
  },
}).createMachine({
  id: 'partitionLifecycle',
  context: { bootCount: 0, crashCount: 0, hangCount: 0, rebootDownMs: 0 },
  initial: 'off',
  states: {
    off: {
      description: 'Configured but never started.',
      on: { BOOT: { target: 'booting' } },
    },
    booting: {
      description: 'The partition host is up; its drivers are loading (§6 boot order).',
      entry: ['countBoot', 'requestHostStart'],
      on: {
        BOOTED: { target: 'running' },
        CRASH: { target: 'crashed', actions: ['countCrash', 'requestHostStop'] },
        HANG: { target: 'hung', actions: ['countHang', 'requestHostHang'] },
        REBOOT: {
          guard: 'isValidDownTime',
          target: 'rebooting',
          actions: ['recordRebootDown', 'requestHostStop'],
        },
        SHUTDOWN: { target: 'shutDown', actions: ['requestHostStop'] },
      },
    },
    running: {
      description: 'Booted and serving or using its channels.',
      on: {
        CRASH: { target: 'crashed', actions: ['countCrash', 'requestHostStop'] },
        HANG: { target: 'hung', actions: ['countHang', 'requestHostHang'] },
        REBOOT: {
          guard: 'isValidDownTime',
          target: 'rebooting',
          actions: ['recordRebootDown', 'requestHostStop'],
        },
        SHUTDOWN: { target: 'shutDown', actions: ['requestHostStop'] },
      },
    },
    hung: {
      description: 'Alive but making no progress: it polls no channel and answers nothing.',
      on: {
        CRASH: { target: 'crashed', actions: ['countCrash', 'requestHostStop'] },
        REBOOT: {
          guard: 'isValidDownTime',
          target: 'rebooting',
          actions: ['recordRebootDown', 'requestHostStop'],
        },
        SHUTDOWN: { target: 'shutDown', actions: ['requestHostStop'] },
      },
    },
    crashed: {
      description: 'Dead; its channel memory survives for the reboot.',
      on: {
        REBOOT: { guard: 'isValidDownTime', target: 'rebooting', actions: ['recordRebootDown'] },
        SHUTDOWN: { target: 'shutDown' },
      },
    },
    rebooting: {
      id: 'rebooting',
      description: 'Down for rebootDownMs, then boots again on the same channel memory.',
      after: { rebootDelay: { target: 'booting' } },
      on: { SHUTDOWN: { target: 'shutDown' } },
    },
    shutDown: {
      description: 'Stopped in an orderly way (ACPI shutdown) or powered off; may boot again.',
      on: { BOOT: { target: 'booting' } },
    },
  },
});
