// Partition lifecycle as the hypervisor sees it (spar-protocol.md §4.1; DESIGN "Faults the
// simulation can inject", "Recovery"): the hypervisor's record of a partition, not the
// partition's own logic. The runtime starts a host on `hostStart` and tears it down on `hostStop`.
// A partition that is `up` (booting, running or hung) can crash, be rebooted or shut down, all
// from one place; REBOOT's down time comes from the fault plan (machines draw no random numbers).
// Choice: a hang keeps the host alive but idle; only CRASH (a watchdog's verdict), REBOOT or
// SHUTDOWN leave `hung`. SHUTDOWN of a crashed or rebooting partition is a power-off; a partition
// that shut down can boot again.

import { assign, emit, setup, type StateValue } from 'xstate';
import { assert } from '../src/base/assert.js';
import { narrowEvent } from './narrow-event.js';

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

/**
 * The lifecycle's states by leaf name, as the hypervisor reports them (booting, running and hung
 * are children of `up`; {@link lifecycleStateOf} maps a state value to its leaf).
 */
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

/** The leaf name of a lifecycle state value (`{ up: 'running' }` → `'running'`). */
export function lifecycleStateOf(value: StateValue): PartitionLifecycleState {
  const leaf = typeof value === 'string' ? value : value['up'];
  const state = PARTITION_LIFECYCLE_STATES.find((s) => s === leaf);
  assert(state !== undefined, `not a lifecycle state: ${JSON.stringify(value)}`);
  return state;
}

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
      rebootDownMs: ({ event }) => narrowEvent(event, 'REBOOT').downMs,
    }),
    requestHostStart: emit(({ context }) => ({
      type: 'hostStart' as const,
      bootCount: context.bootCount,
    })),
    requestHostStop: emit(({ event }) => ({
      type: 'hostStop' as const,
      reason: stopReason(narrowEvent(event, ['CRASH', 'REBOOT', 'SHUTDOWN'])),
    })),
    requestHostHang: emit({ type: 'hostHang' as const }),
  },
  guards: {
    // A negative, fractional or non-finite down time is a broken fault plan; the REBOOT is
    // ignored rather than scheduling a delay XState cannot honour.
    isValidDownTime: ({ event }) => {
      const { downMs } = narrowEvent(event, 'REBOOT');
      return Number.isSafeInteger(downMs) && downMs >= 0;
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
      on: { BOOT: { target: 'up.booting' } },
    },
    up: {
      description: 'The partition has a host: it can crash, hang, be rebooted or shut down.',
      initial: 'booting',
      on: {
        CRASH: { target: 'crashed', actions: ['countCrash', 'requestHostStop'] },
        HANG: { target: '.hung', actions: ['countHang', 'requestHostHang'] },
        REBOOT: {
          guard: 'isValidDownTime',
          target: 'rebooting',
          actions: ['recordRebootDown', 'requestHostStop'],
        },
        SHUTDOWN: { target: 'shutDown', actions: ['requestHostStop'] },
      },
      states: {
        booting: {
          description: 'The partition host is up; its drivers are loading (§6 boot order).',
          entry: ['countBoot', 'requestHostStart'],
          on: { BOOTED: { target: 'running' } },
        },
        running: {
          description: 'Booted and serving or using its channels.',
        },
        hung: {
          description: 'Alive but making no progress: it polls no channel and answers nothing.',
          on: { HANG: { description: 'Already hung: a second hang is not taken.' } },
        },
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
      after: { rebootDelay: { target: 'up.booting' } },
      on: { SHUTDOWN: { target: 'shutDown' } },
    },
    shutDown: {
      description: 'Stopped in an orderly way (ACPI shutdown) or powered off; may boot again.',
      on: { BOOT: { target: 'up.booting' } },
    },
  },
});
