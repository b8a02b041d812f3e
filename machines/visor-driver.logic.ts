// The driver-facing contract shared by the function-driver machines (visornoop, visorvideoclient,
// visorconinclient): the five entry points of `struct visor_driver` as events, the effects a
// driver asks its partition host to perform, and the named actions the three machines share
// (spar-protocol.md §3.4 device lifecycle, §3.5 driver interface and pause/resume, §7 polling).
//
// One actor per bound device: the partition host spawns it with systemId
// `<partition>/<module>:vbus<bus>:dev<dev>` and input `{ partition, busNo, devNo }`, then calls
// the entry points by sending events. Events carry no payload because the actor is the device.
// Every answer is an emitted effect carrying `busNo`/`devNo`, so visorbus can route it without
// knowing which actor spoke:
// - PROBE → `driver.probed` with probe's return value as `status` (0 = bound).
// - PAUSE / RESUME → `driver.pauseStarted` / `driver.resumeStarted` with the entry point's
//   return value as `status` (< 0 not started, ≥ 0 started, §3.5), and then, once the driver
//   is done, `driver.stateComplete` with the status it passes to `complete(dev, status)`.
//   Choice: the completion effect does not say pause or resume, like the kernel callback; visorbus
//   knows from its `pausing`/`resuming` flag.
// - REMOVE → `driver.removed`; the device's poll timer stops with it, as final visorbus stops it
//   after `remove` returns (§3.4 step 4).
// - `channel.enableInterrupts` is `visorbus_enable_channel_interrupts`: from then on the device
//   is polled, a CHANNEL_INTERRUPT every `POLLJIFFIES_NORMALCHANNEL` = 10 jiffies (§7).
//   Choice: visorbus's per-device timer (`dev->timer`) is a delayed event of the device's own
//   driver actor (id `channelPoll`): one actor per device, and the timer's only work is to call
//   that driver's `channel_interrupt`. It runs while the device is bound, paused or not.

import { assign, emit, enqueueActions, type NonReducibleUnknown, type StateMachine } from 'xstate';
import { assert } from '../src/base/assert.js';
import { narrowEvent } from './narrow-event.js';
import type { ChannelType } from '../src/channel/index.js';

/** Machine input: the partition the driver runs in and the device it is bound to. */
export interface VisorDriverInput {
  /** Partition name, as in the actor's systemId. */
  readonly partition: string;
  /** `chipset_bus_no` of the device's bus. */
  readonly busNo: number;
  /** `chipset_dev_no` of the device on that bus. */
  readonly devNo: number;
  /** Milliseconds per jiffy (the poll period is 10 jiffies); default 1 (HZ = 1000). */
  readonly jiffyMs?: number;
}

/** visorbus polls a device channel every 10 jiffies once its driver enables it (§7). */
export const POLLJIFFIES_NORMALCHANNEL = 10;

/** The id of a device's poll timer (STYLE §4: explicit ids for delayed sends). */
export const CHANNEL_POLL_ID = 'channelPoll';

/** Context: the bound device and what the driver has done with it. Plain data. */
export interface VisorDriverContext {
  readonly partition: string;
  readonly busNo: number;
  readonly devNo: number;
  /** Milliseconds between two polls of the device channel once enabled. */
  readonly pollIntervalMs: number;
  /** CHANNEL_INTERRUPT ticks taken while running (paused ticks are ignored, not counted). */
  readonly channelInterruptCount: number;
}

/** The entry points of `struct visor_driver` (§3.5), called by the partition host for visorbus. */
export type VisorDriverEvent =
  | { readonly type: 'PROBE' }
  | { readonly type: 'REMOVE' }
  /** One visorbus poll tick of the device channel (`channel_interrupt`). */
  | { readonly type: 'CHANNEL_INTERRUPT' }
  | { readonly type: 'PAUSE' }
  | { readonly type: 'RESUME' };

/** The device a driver effect concerns. */
interface DeviceAddress {
  readonly busNo: number;
  readonly devNo: number;
}

/** Effect requests a driver machine emits for the partition host (and, through it, visorbus). */
export type VisorDriverEmitted =
  /** `probe` returned `status` (0 = device bound). */
  | ({ readonly type: 'driver.probed'; readonly status: number } & DeviceAddress)
  /** `visorbus_enable_channel_interrupts`: start polling the device channel (§7). */
  | ({ readonly type: 'channel.enableInterrupts' } & DeviceAddress)
  /** `pause` returned `status`: < 0 not started, ≥ 0 started (completion follows or preceded). */
  | ({ readonly type: 'driver.pauseStarted'; readonly status: number } & DeviceAddress)
  /** `resume` returned `status`: < 0 not started, ≥ 0 started. */
  | ({ readonly type: 'driver.resumeStarted'; readonly status: number } & DeviceAddress)
  /** The driver called `complete(dev, status)` for the pause or resume in progress. */
  | ({ readonly type: 'driver.stateComplete'; readonly status: number } & DeviceAddress)
  /** `remove` returned; the driver holds nothing of the device any more. */
  | ({ readonly type: 'driver.removed' } & DeviceAddress);

/** The state values every driver machine has, for tests and traces. */
export const VISOR_DRIVER_STATES = ['matched', 'running', 'paused', 'removed'] as const;

/** One of {@link VISOR_DRIVER_STATES}. */
export type VisorDriverState = (typeof VISOR_DRIVER_STATES)[number];

/** One entry of a driver's `channel_types` table: what visorbus's match and check demand. */
export interface VisorChannelTypeMatch {
  /** Channel type GUID, lowercase (`chtype`). */
  readonly guid: string;
  /** Smallest channel `size` the driver accepts, in bytes (`min_bytes`). */
  readonly minSizeBytes: number;
  /** `version_id` the channel must carry (`version`). */
  readonly version: number;
}

/** A driver's registration (`visorbus_register_visor_driver`): its name and the types it binds. */
export interface VisorDriverRegistration {
  /** Kernel module name, also the `<module>` part of the actor's systemId. */
  readonly name: string;
  /** The channel types this driver is probed for, in table order. */
  readonly channelTypes: readonly VisorChannelTypeMatch[];
}

/** The match entry for a channel type of the catalogue (`src/channel/channel-types.ts`). */
export function channelTypeMatch(type: ChannelType): VisorChannelTypeMatch {
  return { guid: type.guid, minSizeBytes: type.minSizeBytes, version: type.versionId };
}

/** The actor's systemId: `<partition>/<module>:vbus<bus>:dev<dev>`. */
export function visorDriverSystemId(module: string, input: VisorDriverInput): string {
  return `${input.partition}/${module}:vbus${input.busNo}:dev${input.devNo}`;
}

/** A bus or device number is a non-negative integer; anything else is a bug in the host. */
function assertDeviceNumber(name: string, value: number): void {
  assert(Number.isSafeInteger(value), `${name} ${value} is not an integer`);
  assert(value >= 0, `${name} ${value} is negative`);
}

/** Initial context (the machines' `context` factory); the host passes a device address. */
export function initialVisorDriverContext({
  input,
}: {
  input: VisorDriverInput;
}): VisorDriverContext {
  const { partition, busNo, devNo } = input;
  const jiffyMs = input.jiffyMs ?? 1;
  assertDeviceNumber('busNo', busNo);
  assertDeviceNumber('devNo', devNo);
  assert(Number.isFinite(jiffyMs) && jiffyMs > 0, `jiffyMs ${jiffyMs} is not positive`);
  const pollIntervalMs = POLLJIFFIES_NORMALCHANNEL * jiffyMs;
  return { partition, busNo, devNo, pollIntervalMs, channelInterruptCount: 0 };
}

type EntryPoint = VisorDriverEvent['type'];
type Ctx = VisorDriverContext;
type Ev = VisorDriverEvent;

/**
 * An action, bound to the entry points `on`, that emits the effect `effectOf` builds from the
 * device address. The event check comes first so a config that wires an answer to the wrong
 * entry point fails at the first step instead of answering the wrong question.
 */
function answer(
  on: EntryPoint | EntryPoint[],
  effectOf: (at: DeviceAddress) => VisorDriverEmitted,
) {
  return emit<Ctx, Ev, undefined, Ev, VisorDriverEmitted>(({ context, event }) => {
    narrowEvent(event, on);
    return effectOf({ busNo: context.busNo, devNo: context.devNo });
  });
}

/**
 * The named actions of every driver machine. Pause and resume in these drivers finish inside the
 * entry point, so each returns 0 (started) and completes with status 0 (§3.5 Era A rows, §5.4,
 * §5.6).
 */
export const visorDriverActions = {
  reportProbed: answer('PROBE', (at) => ({ type: 'driver.probed', ...at, status: 0 })),
  enableChannelInterrupts: answer('PROBE', (at) => ({ type: 'channel.enableInterrupts', ...at })),
  reportPauseStarted: answer('PAUSE', (at) => ({ type: 'driver.pauseStarted', ...at, status: 0 })),
  reportResumeStarted: answer('RESUME', (at) => ({
    type: 'driver.resumeStarted',
    ...at,
    status: 0,
  })),
  completeStateChange: answer(['PAUSE', 'RESUME'], (at) => ({
    type: 'driver.stateComplete',
    ...at,
    status: 0,
  })),
  reportRemoved: answer('REMOVE', (at) => ({ type: 'driver.removed', ...at })),
  countChannelInterrupt: assign<Ctx, Ev, undefined, Ev, never>(({ context, event }) => {
    narrowEvent(event, 'CHANNEL_INTERRUPT');
    return { channelInterruptCount: context.channelInterruptCount + 1 };
  }),
  /** The device's next poll (enabled at probe, again after each tick). */
  pollChannelLater: enqueueActions<Ctx, Ev, undefined, Ev, never, never, never, never, never>(
    ({ context, enqueue }) => {
      const delay = context.pollIntervalMs;
      enqueue.raise({ type: 'CHANNEL_INTERRUPT' }, { id: CHANNEL_POLL_ID, delay });
    },
  ),
  stopChannelPoll: enqueueActions<Ctx, Ev, undefined, Ev, never, never, never, never, never>(
    ({ enqueue }) => enqueue.cancel(CHANNEL_POLL_ID),
  ),
};

/** The `types` block of every driver machine's `setup`. */
export const visorDriverTypes = {
  context: {} as VisorDriverContext,
  events: {} as VisorDriverEvent,
  emitted: {} as VisorDriverEmitted,
  input: {} as VisorDriverInput,
};

/** A type slot of {@link VisorDriverMachine} that differs by machine config and is left open. */
// biome-ignore lint/suspicious/noExplicitAny: the slots that differ by machine config are left open.
type Open = any;

/**
 * A driver machine built on `visor-driver.logic.ts`. Only the slots the contract reads are
 * pinned; children, actions, tags, meta and the state schema differ by config and are left open.
 */
export type VisorDriverMachine = StateMachine<
  VisorDriverContext,
  VisorDriverEvent,
  Open,
  Open,
  Open,
  Open,
  Open,
  VisorDriverState,
  Open,
  VisorDriverInput,
  NonReducibleUnknown,
  VisorDriverEmitted,
  Open,
  Open
>;
