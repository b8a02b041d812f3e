// Context types and pure rules of the command-partition machine (spar-protocol.md §2.1–2.4, §2.6,
// §2.7, §3.1). Everything is a function of plain data: a guest's bring-up plan, the command
// queue per guest, and the ledger that correlates acks and responses by message handle.
// command-partition.machine.ts only wires these into XState.
//
// The plans themselves are built host-side by src/partition/guest-plans.ts (channel addresses
// from the hypervisor, name-based instance GUIDs).

import { assert } from '../src/base/assert.js';
import { VBUS_CHANNEL } from '../src/channel/index.js';
import {
  CONTROLVM_ID as ID,
  VISOR_CHIPSET_FEATURE_PARA_HOTPLUG,
} from '../src/protocol/controlvm.js';
import {
  busConfigureRequest,
  busCreateRequest,
  chipsetInitRequest,
  deviceCreateRequest,
  type ControlvmRequest,
  type ControlvmRequestBody,
} from '../src/protocol/controlvm-request.js';
import { narrowEvent } from './narrow-event.js';
import { firstHandle } from './command-partition.reconcile.js';
import type { CommandPartitionEvent } from './command-partition.types.js';

/** Where a channel is: guest-physical address and size in bytes, both decimal u64 strings. */
interface ChannelPlace {
  readonly channelAddr: string;
  readonly channelBytes: string;
}

/** A bus the CP creates in a guest (BUS_CREATE, §2.4); `devCount` is its device slots. */
export interface BusPlan extends ChannelPlace {
  readonly busNo: number;
  readonly devCount: number;
  readonly busInstGuid: string;
}

/** A device the CP creates on a bus (DEVICE_CREATE, §2.4); `dataTypeGuid` is its channel type. */
export interface DevicePlan extends ChannelPlace {
  readonly busNo: number;
  readonly devNo: number;
  readonly dataTypeGuid: string;
  readonly devInstGuid: string;
  /** The partition serving the device's channel (an IOSP for vhba/vnic); recovery uses it. */
  readonly server?: string;
}

/** What the CP brings up in one guest, in configuration order. */
export interface GuestPlan {
  readonly name: string;
  /** The guest's partition index: Choice: also BUS_CONFIGURE's `guest_handle`. */
  readonly partitionIndex: number;
  readonly buses: readonly BusPlan[];
  readonly devices: readonly DevicePlan[];
}

/** Machine input. */
export interface CommandPartitionInput {
  /** The command partition's name (`cp`), for traces. */
  readonly partition: string;
  readonly guests: readonly GuestPlan[];
  /** Milliseconds from sending a command until its ack (queue 3) must have arrived. */
  readonly ackTimeoutMs: number;
  /** Milliseconds from sending a command until its response (queue 0) must have arrived. */
  readonly responseTimeoutMs: number;
  /** Which boot of the CP this is, from 1 (omitted: 1); see command-partition.reconcile.ts. */
  readonly incarnation?: number;
}

/** Bring-up progress of one guest; `ready` also covers the commands issued after bring-up. */
export type GuestStatus = 'initializing' | 'creatingBuses' | 'creatingDevices' | 'ready' | 'failed';

/** Whether a command belongs to the guest's bring-up or was asked for afterwards. */
export type CommandPhase = 'bringUp' | 'operate';

/** A command waiting its turn; the message handle is assigned when it is sent. */
export interface QueuedCommand {
  readonly phase: CommandPhase;
  readonly request: ControlvmRequestBody;
}

/** How a sent command ended; `pending` until its response, a timeout or its guest's reboot. */
export type Resolution = 'pending' | 'response' | CommandTimeout | 'guest-rebooted';
type CommandTimeout = 'ack-timeout' | 'response-timeout';

/** The ledger entry of one sent command, keyed by its message handle. */
export interface SentCommand {
  readonly guest: string;
  readonly id: number;
  readonly phase: CommandPhase;
  /** The device a device command addresses, else null. */
  readonly busNo: number | null;
  readonly devNo: number | null;
  readonly acked: boolean;
  /**
   * The response was taken while no ack of it had been seen (§2.5 3b: the guest acks first).
   * The host hands the acks of one poll over before its responses, and reads queue 0 before
   * queue 3, so a guest that acked first is never judged out of order.
   */
  readonly responseBeforeAck: boolean;
  readonly resolution: Resolution;
}

/** One guest's progress and its command queue (sent one at a time, §2.5 is sequential). */
export interface GuestProgress {
  readonly partitionIndex: number;
  readonly status: GuestStatus;
  /** `"<busNo>:<devNo>"` of every planned device: commands for others are rejected. */
  readonly devices: readonly string[];
  readonly queue: readonly QueuedCommand[];
  /** Message handle of the command awaiting its response, or null. */
  readonly outstanding: string | null;
  /** Which boot of the guest the CP is bringing up or serving, from 1 (guest-reboot.ts). */
  readonly boot: number;
  /** The last state asked for each device (`deviceKey`), if any: a reboot reapplies it. */
  readonly requestedStates?: Readonly<Record<string, number>>;
}

/** A command that failed: a failed response, or no ack/response in time (status null). */
export interface CommandFailure {
  readonly guest: string;
  readonly id: number;
  readonly messageHandle: string;
  /** `completion_status` (§2.7 code or errno), or null when nothing arrived. */
  readonly status: number | null;
  readonly cause: 'failed-response' | 'ack-timeout' | 'response-timeout';
  readonly phase: CommandPhase;
}

/** What was wrong with a reply the machine did not act on. */
export type ViolationKind =
  | 'unknown-handle'
  | 'duplicate-ack'
  | 'duplicate-response'
  | 'late-reply'
  | 'id-mismatch';

/** A reply that broke the protocol; recorded, never acted on. */
export interface ProtocolViolation {
  readonly guest: string;
  readonly messageHandle: string;
  readonly reply: 'ack' | 'response';
  readonly kind: ViolationKind;
}

/** A CHANGE_DEVICE_STATE or DESTROY_DEVICE (`id`) that was never sent, and why. */
export interface CommandRejection {
  readonly guest: string;
  readonly id: number;
  readonly busNo: number;
  readonly devNo: number;
  readonly reason: 'unknown-guest' | 'unknown-device' | 'bad-state' | 'queue-full' | 'guest-failed';
}

/** Machine context: plain data only. */
export interface CommandPartitionContext {
  readonly partition: string;
  readonly ackTimeoutMs: number;
  readonly responseTimeoutMs: number;
  /** Which boot of the CP this is, from 1: the high 32 bits of its message handles. */
  readonly incarnation: number;
  /** The next message handle; handles increase across the incarnation, from `firstHandle`. */
  readonly nextHandle: number;
  readonly guests: Readonly<Record<string, GuestProgress>>;
  /**
   * Every command sent in the run, by message handle: kept so a duplicate or late reply is
   * recognised however late it comes. It grows with the commands the run issues (the plan plus
   * the scenario's requests), never with what a guest sends.
   */
  readonly sent: Readonly<Record<string, SentCommand>>;
  readonly failures: readonly CommandFailure[];
  /** The first {@link MAX_VIOLATIONS_RECORDED} violations; `violationCount` counts all. */
  readonly violations: readonly ProtocolViolation[];
  readonly violationCount: number;
  /** Replies to commands an older incarnation sent: not violations, ignored. */
  readonly staleReplies: number;
  readonly rejections: readonly CommandRejection[];
}

/** Operate commands a guest may have waiting: a controlvm queue's worth (§2.1, 64 slots). */
export const MAX_QUEUED_COMMANDS = 64;
/** Violations kept in context; a hostile guest cannot grow it further. */
export const MAX_VIOLATIONS_RECORDED = 256;
/**
 * A guest's bring-up in order (§2.6, §3.3, §3.4): CHIPSET_INIT offering PARA_HOTPLUG, then per
 * bus BUS_CREATE and BUS_CONFIGURE, then DEVICE_CREATE for every device. All expect a response.
 */
export function bringUpCommands(plan: GuestPlan): QueuedCommand[] {
  const guestHandle = String(plan.partitionIndex);
  const requests = [
    chipsetInitRequest(plan.buses.length, VISOR_CHIPSET_FEATURE_PARA_HOTPLUG),
    ...plan.buses.flatMap((b) => [
      busCreateRequest({ ...b, busDataTypeGuid: VBUS_CHANNEL.guid }),
      busConfigureRequest(b.busNo, guestHandle),
    ]),
    ...plan.devices.map((d) => deviceCreateRequest(d)),
  ];
  return requests.map((request) => ({ phase: 'bringUp', request }));
}

/** The context a run starts from; asserts the input (a bad one is the host's bug). */
export function initialContext(input: CommandPartitionInput): CommandPartitionContext {
  for (const ms of [input.ackTimeoutMs, input.responseTimeoutMs]) {
    assert(Number.isSafeInteger(ms) && ms > 0, `timeouts are positive integer ms, got ${ms}`);
  }
  const names = new Set(input.guests.map((g) => g.name));
  assert(names.size === input.guests.length, 'guest names are unique');
  const guests = Object.fromEntries(
    input.guests.map((plan): [string, GuestProgress] => [
      plan.name,
      {
        partitionIndex: plan.partitionIndex,
        status: 'initializing',
        devices: plan.devices.map((d) => deviceKey(d.busNo, d.devNo)),
        queue: bringUpCommands(plan),
        outstanding: null,
        boot: 1,
      },
    ]),
  );
  const { partition, ackTimeoutMs, responseTimeoutMs } = input;
  const incarnation = input.incarnation ?? 1;
  assert(Number.isSafeInteger(incarnation) && incarnation >= 1, 'incarnations count from 1');
  const ledger = { sent: {}, failures: [], violations: [], violationCount: 0, rejections: [] };
  const handles = { incarnation, nextHandle: firstHandle(incarnation), staleReplies: 0 };
  return { partition, ackTimeoutMs, responseTimeoutMs, ...handles, guests, ...ledger };
}

/** The key of a device in {@link GuestProgress.devices}. */
export const deviceKey = (busNo: number, devNo: number): string => `${busNo}:${devNo}`;

/** `c` with guest `guest`'s progress replaced by `g`. */
export const withGuest = (c: CommandPartitionContext, guest: string, g: GuestProgress) => ({
  ...c,
  guests: { ...c.guests, [guest]: g },
});

/** The bring-up status while `id` is outstanding (§3.3 buses before §3.4 devices). */
function bringUpStatus(id: number): GuestStatus {
  if (id === ID.CONTROLVM_CHIPSET_INIT) return 'initializing';
  return id === ID.CONTROLVM_DEVICE_CREATE ? 'creatingDevices' : 'creatingBuses';
}

/**
 * Sends the next queued command of every guest that has none outstanding, giving each the next
 * handle and a ledger entry. A guest whose bring-up commands are all answered becomes `ready`.
 * Returns the new context, the requests to emit and the guests that just became ready.
 */
export function dispatchAll(context: CommandPartitionContext) {
  let c = context;
  const sent: { guest: string; request: ControlvmRequest }[] = [];
  const becameReady: string[] = [];
  for (const [guest, g] of Object.entries(context.guests)) {
    if (g.outstanding !== null || g.status === 'failed') continue;
    const [next, ...queue] = g.queue;
    const status = next?.phase === 'bringUp' ? bringUpStatus(next.request.id) : 'ready';
    if (status === 'ready' && g.status !== 'ready') becameReady.push(guest);
    if (next === undefined) {
      c = withGuest(c, guest, { ...g, status });
      continue;
    }
    const messageHandle = String(c.nextHandle);
    const p = next.request.packet;
    const entry: SentCommand = {
      ...{ guest, id: next.request.id, phase: next.phase, acked: false, resolution: 'pending' },
      responseBeforeAck: false,
      ...{ busNo: 'busNo' in p ? p.busNo : null, devNo: 'devNo' in p ? p.devNo : null },
    };
    c = withGuest(c, guest, { ...g, status, queue, outstanding: messageHandle });
    c = { ...c, nextHandle: c.nextHandle + 1, sent: { ...c.sent, [messageHandle]: entry } };
    sent.push({ guest, request: { ...next.request, messageHandle } });
  }
  return { context: c, sent, becameReady };
}

/**
 * Why a reply cannot be taken, or null when it is the first ack, or the response, of a command
 * sent to that guest. An ack after the response is taken (the ledger's `responseBeforeAck`
 * already marks the order for src/check); after a timeout the command is settled and any reply
 * is late.
 */
export function replyViolation(
  c: CommandPartitionContext,
  reply: { readonly guest: string; readonly messageHandle: string; readonly id?: number },
): ViolationKind | null {
  const sent = c.sent[reply.messageHandle];
  if (sent === undefined || sent.guest !== reply.guest) return 'unknown-handle';
  const timedOut = sent.resolution === 'ack-timeout' || sent.resolution === 'response-timeout';
  if (reply.id === undefined) return sent.acked ? 'duplicate-ack' : timedOut ? 'late-reply' : null;
  if (sent.resolution === 'response') return 'duplicate-response';
  if (timedOut) return 'late-reply';
  return sent.id === reply.id ? null : 'id-mismatch';
}

/** The ledger entry of a sent command (asserts: guards admit only known handles). */
export function sentOf(c: CommandPartitionContext, handle: string): SentCommand {
  const sent = c.sent[handle];
  assert(sent !== undefined, `message handle ${handle} was never sent`);
  return sent;
}

/** Marks a command acked. */
export function acknowledge(c: CommandPartitionContext, handle: string): CommandPartitionContext {
  return { ...c, sent: { ...c.sent, [handle]: { ...sentOf(c, handle), acked: true } } };
}

/** Settles a pending command and frees its guest for the next one. */
export function settle(
  c: CommandPartitionContext,
  handle: string,
  resolution: Resolution,
): CommandPartitionContext {
  const sent = sentOf(c, handle);
  const g = c.guests[sent.guest];
  assert(g?.outstanding === handle, `${handle} is not ${sent.guest}'s outstanding command`);
  const settled = withGuest(c, sent.guest, { ...g, outstanding: null });
  const responseBeforeAck = resolution === 'response' && !sent.acked;
  return { ...settled, sent: { ...c.sent, [handle]: { ...sent, resolution, responseBeforeAck } } };
}

/** Records a violation, keeping at most {@link MAX_VIOLATIONS_RECORDED}. */
export function withViolation(c: CommandPartitionContext, v: ProtocolViolation) {
  const full = c.violations.length >= MAX_VIOLATIONS_RECORDED;
  const violations = full ? c.violations : [...c.violations, v];
  return { ...c, violations, violationCount: c.violationCount + 1 };
}

/** Stops a guest: `failed`, queue dropped; its queued operate commands become rejections. */
export function stopGuest(c: CommandPartitionContext, guest: string) {
  const g = c.guests[guest];
  assert(g !== undefined, `no guest ${guest} in the plan`);
  const dropped = g.queue.flatMap(({ phase, request: { id, packet: p } }): CommandRejection[] => {
    if (phase !== 'operate' || !('devNo' in p)) return [];
    return [{ guest, id, busNo: p.busNo, devNo: p.devNo, reason: 'guest-failed' }];
  });
  const failed = withGuest(c, guest, { ...g, status: 'failed', queue: [] });
  return { context: { ...failed, rejections: [...c.rejections, ...dropped] }, dropped };
}

/** Why an operate command (`state` null for a destroy) cannot be queued, or null if it can. */
export function rejectionReason(
  c: CommandPartitionContext,
  command: { guest: string; busNo: number; devNo: number; state: number | null },
): CommandRejection['reason'] | null {
  const g = c.guests[command.guest];
  if (g === undefined) return 'unknown-guest';
  if (g.status === 'failed') return 'guest-failed';
  if (!g.devices.includes(deviceKey(command.busNo, command.devNo))) return 'unknown-device';
  const { state } = command;
  const isU16 = Number.isInteger(state) && (state ?? 0) >= 0 && (state ?? 0) <= 0xffff;
  if (state !== null && !isU16) return 'bad-state';
  const waiting = g.queue.filter((q) => q.phase === 'operate').length;
  return waiting >= MAX_QUEUED_COMMANDS ? 'queue-full' : null;
}

/** Appends an operate command to a guest's queue (behind its bring-up, if still running). */
export function enqueueCommand(
  c: CommandPartitionContext,
  guest: string,
  request: ControlvmRequestBody,
) {
  const g = c.guests[guest];
  assert(g !== undefined, `no guest ${guest} in the plan`);
  return withGuest(c, guest, { ...g, queue: [...g.queue, { phase: 'operate', request }] });
}

/** True when every guest finished bring-up; with `ready`, also none failed. */
export function allGuests(c: CommandPartitionContext, ready: boolean): boolean {
  const settled = (s: GuestStatus) => s === 'ready' || (!ready && s === 'failed');
  return Object.values(c.guests).every((g) => settled(g.status));
}

/** The delayed-event id of a command's ack or response timer: explicit, never random. */
export const timerId = (kind: 'ack' | 'response', guest: string, handle: string): string =>
  `${guest}.${kind}Timeout.${handle}`;

// Event access (narrowEvent asserts the type: a wrong one is our bug).

/** The events that settle a sent command. */
export const SETTLING = ['CONTROLVM_RESPONSE', 'ACK_TIMEOUT', 'RESPONSE_TIMEOUT'] as const;

/** What a response or timeout says about its command. */
export function settlement(event: CommandPartitionEvent) {
  const settling = narrowEvent(event, SETTLING);
  if (settling.type === 'CONTROLVM_RESPONSE') {
    const failed = settling.failed || settling.status !== 0;
    return { resolution: 'response', status: settling.status, failed } as const;
  }
  const resolution = settling.type === 'ACK_TIMEOUT' ? 'ack-timeout' : 'response-timeout';
  return { resolution, status: null, failed: true } as const;
}

/** The operate command of a CHANGE_DEVICE_STATE or DESTROY_DEVICE (state null for a destroy). */
export function operateOf(event: CommandPartitionEvent) {
  const operate = narrowEvent(event, ['CHANGE_DEVICE_STATE', 'DESTROY_DEVICE']);
  const state = operate.type === 'CHANGE_DEVICE_STATE' ? operate.state : null;
  return { guest: operate.guest, busNo: operate.busNo, devNo: operate.devNo, state };
}
