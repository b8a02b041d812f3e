// The pure rules of visorchipset (spar-protocol.md §2.5, §2.6, §2.10, §3.1, §3.5): the §2.6
// precondition table, responses and context updates, as functions of plain data so they can be
// read and tested in one place; visorchipset.machine.ts wires them into XState.

import { assert } from '../src/base/assert.js';
import type { ControlvmCommand, ControlvmResponse } from '../src/protocol/controlvm-command.js';
import {
  CONTROLVM_RESP_DEVICE_UDEV_TIMEOUT,
  LINUX_ERRNO,
  SEGMENT_STATE_BIT,
  SEGMENT_STATE_RUNNING,
  SEGMENT_STATE_STANDBY,
  VISOR_CHIPSET_FEATURE_PARA_HOTPLUG,
  VISOR_CHIPSET_FEATURE_REPLY,
} from '../src/protocol/controlvm.js';
import { narrowEvent } from './narrow-event.js';
import type {
  VisorchipsetEvent,
  VisorchipsetInput,
  RequestHeader,
  BusRecord,
  DeviceRecord,
  ParahotplugRequest,
  VisorbusRequest,
  AwaitedCreate,
  VisorchipsetContext,
} from './visorchipset.types.js';

/** For src/partition's hosts, which import them from here. */
export type { VisorbusRequest, VisorchipsetEvent } from './visorchipset.types.js';

/** `POLLJIFFIES_CONTROLVM_FAST`: poll interval while messages keep arriving (§2.5 step 6). */
export const POLLJIFFIES_CONTROLVM_FAST = 1;
/** `POLLJIFFIES_CONTROLVM_SLOW`: poll interval after `MIN_IDLE_SECONDS` without a message. */
export const POLLJIFFIES_CONTROLVM_SLOW = 100;
/** `MIN_IDLE_SECONDS`: idle seconds before the poll slows down (§2.5 step 6). */
export const MIN_IDLE_SECONDS = 10;
/** `PARAHOTPLUG_TIMEOUT_MS`: a disable unanswered by user space for this long fails (§2.10). */
export const PARAHOTPLUG_TIMEOUT_MS = 2000;

/** The initial context for an input. */
export function initialContext(input: VisorchipsetInput): VisorchipsetContext {
  return {
    partition: input.partition,
    jiffyMs: input.jiffyMs,
    pollIntervalJiffies: POLLJIFFIES_CONTROLVM_FAST,
    idleMs: 0,
    buses: {},
    devices: {},
    awaiting: null,
    backlog: [],
    parahotplug: [],
    nextParahotplugId: 1,
    doorbellPending: false,
    lastPollFoundCommands: true,
  };
}

/** The key of a device record. */
export function deviceKey(busNo: number, devNo: number): string {
  return `${busNo}/${devNo}`;
}

/**
 * How long the poll timer waits from now, in ms. After a poll that found commands: the interval
 * (§2.5 step 6). Choice (poll elision, DESIGN "Time, polling": a poll that would find every queue
 * empty is a no-op, so it may be skipped): after an empty poll at the FAST interval, the kernel
 * would poll every jiffy and find nothing until `MIN_IDLE_SECONDS` of idle time slowed it down;
 * every command the CP writes rings the doorbell, which ends any wait at once, so those polls
 * can only find an empty queue. The machine waits the whole stretch in one timer instead — up to
 * the first jiffy at which the idle time exceeds `MIN_IDLE_SECONDS` — and accrues it as idle
 * time, exactly as the skipped polls would have. The SLOW polls (every 100 jiffies) still run.
 * A ring a doorbell-lost fault takes would break the elision: the host then wakes the machine
 * at the jiffy the kernel's next poll would run (guest-chipset.ts `lostRing`).
 */
export function pollWaitMs(context: VisorchipsetContext): number {
  const intervalMs = context.pollIntervalJiffies * context.jiffyMs;
  if (!skipsIdlePolls(context)) return intervalMs;
  const jiffies = Math.floor((MIN_IDLE_SECONDS * 1000 - context.idleMs) / context.jiffyMs) + 1;
  return Math.max(1, jiffies) * context.jiffyMs;
}

/** Whether the wait after the last poll elides idle FAST polls ({@link pollWaitMs}). */
export function skipsIdlePolls(context: VisorchipsetContext): boolean {
  return (
    !context.lastPollFoundCommands && context.pollIntervalJiffies === POLLJIFFIES_CONTROLVM_FAST
  );
}

/**
 * The interval after a poll (§2.5 step 6): FAST when the poll found commands or the last one
 * was at most `MIN_IDLE_SECONDS` ago (`time_after` is strict), SLOW otherwise.
 */
export function nextPollIntervalJiffies(idleMs: number, commands: number): number {
  if (commands > 0) return POLLJIFFIES_CONTROLVM_FAST;
  return idleMs > MIN_IDLE_SECONDS * 1000 ? POLLJIFFIES_CONTROLVM_SLOW : POLLJIFFIES_CONTROLVM_FAST;
}

/** What a DEVICE_CHANGESTATE asks for (§3.1: only `alive` and `operating` are looked at). */
export function changeStateAction(state: number): 'pause' | 'resume' | 'none' {
  const alive = (state & SEGMENT_STATE_BIT.alive) !== 0;
  const operating = (state & SEGMENT_STATE_BIT.operating) !== 0;
  if (alive && operating) return 'resume';
  if (!alive && !operating) return 'pause';
  return 'none';
}

function deviceStatus(device: DeviceRecord | undefined): number {
  if (device === undefined) return LINUX_ERRNO.ENODEV;
  if (!device.created) return LINUX_ERRNO.EINVAL;
  if (device.pendingRequest !== null) return LINUX_ERRNO.EIO;
  return 0;
}

/**
 * The §2.6 precondition table: 0 when the command may proceed, else the positive errno of the
 * failed response. Checked in the kernel's order (the first failing row wins).
 */
export function preconditionStatus(
  context: VisorchipsetContext,
  command: ControlvmCommand,
): number {
  const p = command.packet;
  if (p.kind === 'other' || p.kind === 'init_chipset' || p.kind === 'chipset_selftest') return 0;
  if (p.kind === 'configure_device') return 0;
  const bus = context.buses[String(p.busNo)];
  switch (p.kind) {
    case 'create_bus':
      return bus?.created === true ? LINUX_ERRNO.EEXIST : 0;
    case 'destroy_bus':
      if (bus === undefined) return LINUX_ERRNO.ENODEV;
      if (!bus.created) return LINUX_ERRNO.ENOENT;
      return bus.pendingRequest === null ? 0 : LINUX_ERRNO.EEXIST;
    case 'configure_bus':
      if (bus === undefined || !bus.created) return LINUX_ERRNO.EINVAL;
      return bus.pendingRequest === null ? 0 : LINUX_ERRNO.EIO;
    case 'create_device':
      if (bus === undefined) return LINUX_ERRNO.ENODEV;
      if (!bus.created) return LINUX_ERRNO.EINVAL;
      return context.devices[deviceKey(p.busNo, p.devNo)]?.created === true
        ? LINUX_ERRNO.EEXIST
        : 0;
    case 'destroy_device':
      return deviceStatus(context.devices[deviceKey(p.busNo, p.devNo)]);
    case 'device_change_state': {
      if (p.physDevice) return 0; // para-hotplug checks nothing (§2.10)
      const device = context.devices[deviceKey(p.busNo, p.devNo)];
      const status = deviceStatus(device);
      if (status !== 0 || changeStateAction(p.state) === 'none') return status;
      return device?.changing === null ? 0 : LINUX_ERRNO.EBUSY;
    }
  }
}

/** The stored header of a command when it expects a response, else null. */
export function headerToHold(command: ControlvmCommand): RequestHeader | null {
  const { id, messageHandle } = command;
  return command.flags.responseExpected ? { id, messageHandle } : null;
}

/** The packet fields a response may carry (§2.6). */
export type ResponsePacket = Omit<ControlvmResponse, 'id' | 'messageHandle' | 'status' | 'failed'>;

/**
 * The response to a header for a handler result (§2.6 `controlvm_init_response`): a negative
 * result sets `failed` and carries its negation; 0 is success.
 */
export function responseTo(
  header: RequestHeader,
  result: number,
  packet: ResponsePacket = {},
): ControlvmResponse {
  const { id, messageHandle } = header;
  return { id, messageHandle, status: Math.max(0, -result), failed: result < 0, ...packet };
}

/** The immediate response to a command, or null when none is expected or it is a test message. */
export function responseToCommand(
  command: ControlvmCommand,
  result: number,
  packet: ResponsePacket = {},
): ControlvmResponse | null {
  const header = headerToHold(command);
  return header === null || command.flags.testMessage ? null : responseTo(header, result, packet);
}

/** The CHANGESTATE reply after visorbus finished a pause or resume (§3.5 step 5). */
export function changeStateResponse(
  device: DeviceRecord,
  header: RequestHeader,
  status: number,
): ControlvmResponse {
  const state = device.changing === 'pause' ? SEGMENT_STATE_STANDBY : SEGMENT_STATE_RUNNING;
  return responseTo(header, status, { busNo: device.busNo, devNo: device.devNo, state });
}

/**
 * The reply to an expired para-hotplug disable. Choice: failed with status 1400 as §2.10 states;
 * upstream passes +1400 to `controlvm_respond`, which writes only negative results, so the real
 * wire reply reads as success (not modelled).
 */
export function parahotplugTimeoutResponse(
  request: ParahotplugRequest,
  header: RequestHeader,
): ControlvmResponse {
  const packet = { state: request.state, physDevice: true };
  return responseTo(header, -CONTROLVM_RESP_DEVICE_UDEV_TIMEOUT, packet);
}

/** True when a segment state asks to enable a physical device (`state.active`, §2.10). */
export function isActive(state: number): boolean {
  return (state & SEGMENT_STATE_BIT.active) !== 0;
}

/** The visorbus request a create, destroy, pause or resume turns into (§3.3–§3.5). */
export function visorbusRequestFor(command: ControlvmCommand): VisorbusRequest | null {
  const p = command.packet;
  switch (p.kind) {
    case 'create_bus': {
      const { kind: _kind, ...fields } = p;
      return { kind: 'createBus', ...fields };
    }
    case 'create_device': {
      const { kind: _kind, intr: _intr, ...fields } = p;
      return { kind: 'createDevice', ...fields };
    }
    case 'destroy_bus':
      return { kind: 'destroyBus', busNo: p.busNo };
    case 'destroy_device':
      return { kind: 'destroyDevice', busNo: p.busNo, devNo: p.devNo };
    case 'device_change_state': {
      const action = changeStateAction(p.state);
      if (p.physDevice || action === 'none') return null;
      const kind = action === 'pause' ? 'pauseDevice' : 'resumeDevice';
      return { kind, busNo: p.busNo, devNo: p.devNo };
    }
    default:
      return null;
  }
}

// Context updates. Records are replaced, never mutated, so snapshots stay plain and comparable.

type Update = Partial<VisorchipsetContext>;

/** `records` without `key`. */
export function withoutKey<T>(
  records: Readonly<Record<string, T>>,
  key: string,
): Record<string, T> {
  const { [key]: _removed, ...rest } = records;
  return rest;
}

/**
 * A BUS_CREATE/DEVICE_CREATE passed its preconditions: an uncreated record, and the create to
 * await.
 */
export function recordCreate(context: VisorchipsetContext, command: ControlvmCommand): Update {
  const p = command.packet;
  const pendingRequest = headerToHold(command);
  if (p.kind === 'create_bus') {
    const bus: BusRecord = { busNo: p.busNo, created: false, pendingRequest, guestHandle: null };
    const awaiting: AwaitedCreate = { kind: 'createBus', busNo: p.busNo, devNo: null };
    return { buses: { ...context.buses, [String(p.busNo)]: bus }, awaiting };
  }
  assert(p.kind === 'create_device', `recordCreate needs a create packet, got ${p.kind}`);
  const { busNo, devNo } = p;
  const device: DeviceRecord = { busNo, devNo, created: false, pendingRequest, changing: null };
  const awaiting: AwaitedCreate = { kind: 'createDevice', busNo: p.busNo, devNo: p.devNo };
  return { devices: { ...context.devices, [deviceKey(p.busNo, p.devNo)]: device }, awaiting };
}

/**
 * The awaited create after visorbus reported (§3.3 step 1, §3.4 step 1): on success the record is
 * created and its header answered; on failure the record is dropped (the kernel frees it) and the
 * header answered with the errno.
 */
export function finishCreate(
  context: VisorchipsetContext,
  status: number,
): { update: Update; response: ControlvmResponse | null } {
  const awaited = context.awaiting;
  assert(awaited !== null, 'finishCreate needs an awaited create');
  const failed = status < 0;
  const answer = (header: RequestHeader | null) =>
    header === null ? null : responseTo(header, status);
  if (awaited.devNo === null) {
    const key = String(awaited.busNo);
    const bus = context.buses[key];
    assert(bus !== undefined, `the awaited bus ${key} has a record`);
    const buses = failed
      ? withoutKey(context.buses, key)
      : { ...context.buses, [key]: { ...bus, created: true, pendingRequest: null } };
    return { update: { buses, awaiting: null }, response: answer(bus.pendingRequest) };
  }
  const key = deviceKey(awaited.busNo, awaited.devNo);
  const device = context.devices[key];
  assert(device !== undefined, `the awaited device ${key} has a record`);
  const devices = failed
    ? withoutKey(context.devices, key)
    : { ...context.devices, [key]: { ...device, created: true, pendingRequest: null } };
  return { update: { devices, awaiting: null }, response: answer(device.pendingRequest) };
}

/** A BUS_DESTROY/DEVICE_DESTROY was answered: the record is gone (§3.3 step 3, §3.4 step 4). */
export function forgetRecord(context: VisorchipsetContext, command: ControlvmCommand): Update {
  const p = command.packet;
  if (p.kind === 'destroy_bus') return { buses: withoutKey(context.buses, String(p.busNo)) };
  assert(p.kind === 'destroy_device', `forgetRecord needs a destroy packet, got ${p.kind}`);
  return { devices: withoutKey(context.devices, deviceKey(p.busNo, p.devNo)) };
}

/** BUS_CONFIGURE: the bus keeps `guest_handle` as its channel's partition handle (§3.3 step 2). */
export function configureBus(context: VisorchipsetContext, command: ControlvmCommand): Update {
  const p = command.packet;
  assert(p.kind === 'configure_bus', `configureBus needs a configure_bus packet, got ${p.kind}`);
  const bus = context.buses[String(p.busNo)];
  assert(bus !== undefined, 'the precondition guard admits existing buses only');
  return { buses: { ...context.buses, [String(p.busNo)]: { ...bus, guestHandle: p.guestHandle } } };
}

/**
 * A DEVICE_CHANGESTATE passed its preconditions (§3.5 steps 1, 4): the header is held and, for a
 * pause or resume, the device is changing until visorbus reports. For any other state (0x77) only
 * the header is held, and nothing will ever answer it (§3.1).
 */
export function holdChangeState(context: VisorchipsetContext, command: ControlvmCommand): Update {
  const p = command.packet;
  assert(
    p.kind === 'device_change_state',
    `holdChangeState needs a change-state packet, got ${p.kind}`,
  );
  const key = deviceKey(p.busNo, p.devNo);
  const device = context.devices[key];
  assert(device !== undefined, 'the precondition guard admits existing devices only');
  const action = changeStateAction(p.state);
  const changing = action === 'none' ? device.changing : action;
  const held: DeviceRecord = { ...device, pendingRequest: headerToHold(command), changing };
  return { devices: { ...context.devices, [key]: held } };
}

/** visorbus finished the device's pause or resume: nothing pending any more. */
export function finishChangeState(context: VisorchipsetContext, key: string): Update {
  const device = context.devices[key];
  assert(device !== undefined, `finishChangeState: no device ${key}`);
  return {
    devices: { ...context.devices, [key]: { ...device, pendingRequest: null, changing: null } },
  };
}

/**
 * A para-hotplug DEVICE_CHANGESTATE (§2.10): a request id is taken, and a disable is kept until it
 * expires (an enable is answered at once and not kept).
 */
export function startParahotplug(context: VisorchipsetContext, command: ControlvmCommand): Update {
  const p = command.packet;
  assert(p.kind === 'device_change_state', `startParahotplug needs change-state, got ${p.kind}`);
  const requestId = context.nextParahotplugId;
  const { busNo, devNo, state } = p;
  const request: ParahotplugRequest = {
    requestId,
    header: headerToHold(command),
    busNo,
    devNo,
    state,
  };
  const parahotplug = isActive(p.state) ? context.parahotplug : [...context.parahotplug, request];
  return { nextParahotplugId: requestId + 1, parahotplug };
}

// Event access (narrowEvent asserts the type: a wrong one is our bug).

/** The command of a CONTROLVM_COMMAND event. */
export function commandOf(event: VisorchipsetEvent): ControlvmCommand {
  return narrowEvent(event, 'CONTROLVM_COMMAND').command;
}

/** The device_change_state packet of a CONTROLVM_COMMAND event, or null for other packets. */
export function changeStateOf(event: VisorchipsetEvent) {
  const p = commandOf(event).packet;
  return p.kind === 'device_change_state' ? p : null;
}

/** The chipset features CHIPSET_INIT answers with (§2.6): PARA_HOTPLUG if offered, and REPLY. */
export function chipsetInitFeatures(command: ControlvmCommand): number {
  const offered = command.packet.kind === 'init_chipset' ? command.packet.features : 0;
  return (offered & VISOR_CHIPSET_FEATURE_PARA_HOTPLUG) | VISOR_CHIPSET_FEATURE_REPLY;
}
