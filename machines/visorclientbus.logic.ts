// The pure rules of visorclientbus (spar-protocol.md §5.11, §3.5 Era A pause path;
// `kjdepro/unisys-1 drivers/staging/unisys/visorclientbus/visorclientbus_main.c` @2bd79faa…,
// `torvalds/linux drivers/staging/unisys/uislib/uislib.c` @027b8c5b… for what each
// `uislib_client_inject_*` returns): routing, uislib messages and answers as functions of plain
// data; visorclientbus.machine.ts wires them into XState.

import { narrowEvent } from './narrow-event.js';
import { assert } from '../src/base/assert.js';
import { VHBA_CHANNEL } from '../src/kinds/vhba/channel.js';
import { VNIC_CHANNEL } from '../src/kinds/vnic/channel.js';
import type { VisorbusRequest, VisorbusRequestKind } from './visorchipset.types.js';
import {
  GUEST_ADD_VBUS,
  GUEST_ADD_VHBA,
  GUEST_ADD_VNIC,
  GUEST_DEL_VBUS,
  GUEST_DEL_VHBA,
  GUEST_DEL_VNIC,
  GUEST_PAUSE_VHBA,
  GUEST_PAUSE_VNIC,
  GUEST_RESUME_VHBA,
  GUEST_RESUME_VNIC,
  UISLIB_CLIENT_DEV_COUNT,
  type DeviceKind,
  type GuestMsgtype,
  type UislibInjectMsg,
} from './visoruislib.logic.js';
import type {
  VisorclientbusQuirks,
  VisorclientbusInput,
  Route,
  PendingRequest,
  RememberedType,
  VisorclientbusContext,
  VisorclientbusEvent,
  VisorclientbusEmitted,
} from './visorclientbus.types.js';

/**
 * `chipset_preamble` failed (create/destroy/pause/resume); also the rc of a failed bus call and
 * of a failed vnic pause/resume (`uislib_client_inject_*_vnic` return -1).
 */
export const RC_PREAMBLE_FAILED = -1;
/** `chipset_device_create`: `uislib_client_inject_add_vnic` failed. */
export const RC_VNIC_ADD_FAILED = -2;
/** `chipset_device_create`: `uislib_client_inject_add_vhba` failed. */
export const RC_VHBA_ADD_FAILED = -3;
/** `chipset_device_create`: unsupported channel type GUID (not reached: those go to visorbus). */
export const RC_UNSUPPORTED_GUID = -4;

/** The actor's systemId: `<partition>/visorclientbus`. */
export function visorclientbusSystemId(partition: string): string {
  return `${partition}/visorclientbus`;
}

/** The key of a remembered device type. */
export function deviceKey(busNo: number, devNo: number): string {
  return `${busNo}/${devNo}`;
}

/** Initial context. */
export function initialContext(input: VisorclientbusInput): VisorclientbusContext {
  const quirks = { vhbaStateChangeRcPositive: false, vhbaResumeNoComplete: false, ...input.quirks };
  const { partition } = input;
  return { partition, quirks, nextSeq: 1, pending: [], deviceTypes: {}, strayAnswers: 0 };
}

/** The Era A kind of a channel type GUID, or 'other' (case-insensitive compare). */
export function typeOfGuid(guid: string): RememberedType {
  const lower = guid.toLowerCase();
  if (lower === VHBA_CHANNEL.guid) return 'vhba';
  if (lower === VNIC_CHANNEL.guid) return 'vnic';
  return 'other';
}

/** The device a request names, or null for a bus request. */
function devNoOf(request: VisorbusRequest): number | null {
  return 'devNo' in request ? request.devNo : null;
}

/** The Era A kind a request is about: from its GUID (create) or remembered (others); else null. */
export function eraADeviceKind(
  context: VisorclientbusContext,
  request: VisorbusRequest,
): DeviceKind | null {
  if (request.kind === 'createDevice') {
    const type = typeOfGuid(request.dataTypeGuid);
    return type === 'other' ? null : type;
  }
  const devNo = devNoOf(request);
  if (devNo === null) return null;
  const type = context.deviceTypes[deviceKey(request.busNo, devNo)];
  return type === undefined || type === 'other' ? null : type;
}

/**
 * Where a request goes (spar-sim's routing for a guest with both final visorbus drivers and Era A
 * virtpci drivers): bus requests to both, vhba/vnic device requests to uislib, the rest to
 * visorbus.
 */
export function routeOf(context: VisorclientbusContext, request: VisorbusRequest): Route {
  if (request.kind === 'createBus' || request.kind === 'destroyBus') return 'both';
  return eraADeviceKind(context, request) === null ? 'visorbus' : 'uislib';
}

/** The device messages other than adds: their `msgtype`s by request kind and device kind. */
type DeviceMsgtype = Extract<UislibInjectMsg, { devNo: number; kind?: never }>['msgtype'];
const DEVICE_MSGTYPES: Record<
  'destroyDevice' | 'pauseDevice' | 'resumeDevice',
  Record<DeviceKind, DeviceMsgtype>
> = {
  destroyDevice: { vhba: GUEST_DEL_VHBA, vnic: GUEST_DEL_VNIC },
  pauseDevice: { vhba: GUEST_PAUSE_VHBA, vnic: GUEST_PAUSE_VNIC },
  resumeDevice: { vhba: GUEST_RESUME_VHBA, vnic: GUEST_RESUME_VNIC },
};

/**
 * The `uislib_client_inject_*` call for a request. Bus creates name `UISLIB_CLIENT_DEV_COUNT`
 * slots, as `uislib_client_inject_add_bus` does whatever BUS_CREATE said.
 */
export function injectMsgFor(
  request: VisorbusRequest,
  deviceKind: DeviceKind | null,
): UislibInjectMsg {
  const { busNo } = request;
  if (request.kind === 'createBus') {
    return { msgtype: GUEST_ADD_VBUS, busNo, devCount: UISLIB_CLIENT_DEV_COUNT };
  }
  if (request.kind === 'destroyBus') return { msgtype: GUEST_DEL_VBUS, busNo };
  assert(deviceKind !== null, `${request.kind} ${busNo}/${request.devNo} is not a vhba/vnic`);
  const { devNo } = request;
  if (request.kind === 'createDevice') {
    return deviceKind === 'vhba'
      ? { msgtype: GUEST_ADD_VHBA, kind: 'vhba', busNo, devNo }
      : { msgtype: GUEST_ADD_VNIC, kind: 'vnic', busNo, devNo };
  }
  return { msgtype: DEVICE_MSGTYPES[request.kind][deviceKind], busNo, devNo };
}

/** The request kind a `msgtype` answers. */
export function requestKindOfMsgtype(msgtype: GuestMsgtype): VisorbusRequestKind | null {
  if (msgtype === GUEST_ADD_VBUS) return 'createBus';
  if (msgtype === GUEST_DEL_VBUS) return 'destroyBus';
  if (msgtype === GUEST_ADD_VHBA || msgtype === GUEST_ADD_VNIC) return 'createDevice';
  for (const kind of ['destroyDevice', 'pauseDevice', 'resumeDevice'] as const) {
    const byType = DEVICE_MSGTYPES[kind];
    if (byType.vhba === msgtype || byType.vnic === msgtype) return kind;
  }
  return null; // DEL_ALL_*: never injected by visorclientbus
}

/**
 * uislib's status (0 or a negated code) as visorclientbus's rc: bus calls fail -1; adds -2 (vnic)
 * / -3 (vhba); destroy is always 0 (`chipset_device_destroy` ignores the inject's result); pause
 * and resume fail -1 for a vnic and pass uislib's code for a vhba — negated, or positive under the
 * quirk.
 */
export function uislibRc(
  entry: PendingRequest,
  uislibStatus: number,
  quirks: VisorclientbusQuirks,
): number {
  if (uislibStatus === 0 || entry.kind === 'destroyDevice') return 0;
  if (entry.kind === 'createBus' || entry.kind === 'destroyBus') return RC_PREAMBLE_FAILED;
  if (entry.kind === 'createDevice') {
    return entry.deviceKind === 'vhba' ? RC_VHBA_ADD_FAILED : RC_VNIC_ADD_FAILED;
  }
  if (entry.deviceKind === 'vnic') return RC_PREAMBLE_FAILED;
  return quirks.vhbaStateChangeRcPositive ? Math.abs(uislibStatus) : -Math.abs(uislibStatus);
}

/** A request's bookkeeping entry. */
export function pendingEntry(
  context: VisorclientbusContext,
  request: VisorbusRequest,
): PendingRequest {
  const route = routeOf(context, request);
  const deviceKind = route === 'uislib' ? eraADeviceKind(context, request) : null;
  return {
    seq: context.nextSeq,
    kind: request.kind,
    busNo: request.busNo,
    devNo: devNoOf(request),
    route,
    deviceKind,
    visorbusStatus: null,
    uislibStatus: null,
  };
}

/** Which party an answer comes from. */
export type Party = 'visorbus' | 'uislib';

/** An answer event's party, request kind and address. */
export function answerOf(event: VisorclientbusEvent): {
  party: Party;
  kind: VisorbusRequestKind | null;
  busNo: number;
  devNo: number | null;
  status: number;
} {
  const e = narrowEvent(event, ['VISORBUS_DONE', 'UISLIB_DONE']);
  const devNo = e.devNo ?? null;
  if (e.type === 'VISORBUS_DONE') {
    return { party: 'visorbus', kind: e.kind, busNo: e.busNo, devNo, status: e.status };
  }
  const kind = requestKindOfMsgtype(e.msgtype);
  return { party: 'uislib', kind, busNo: e.busNo, devNo, status: e.status };
}

/** The oldest outstanding request an answer belongs to, or undefined. */
export function matchAnswer(
  context: VisorclientbusContext,
  event: VisorclientbusEvent,
): PendingRequest | undefined {
  const a = answerOf(event);
  return context.pending.find(
    (p) =>
      p.kind === a.kind &&
      p.busNo === a.busNo &&
      p.devNo === a.devNo &&
      (p.route === 'both' || p.route === a.party) &&
      (a.party === 'visorbus' ? p.visorbusStatus : p.uislibStatus) === null,
  );
}

/** Guard: the named quirk is on. */
export function isQuirkOn(
  { context }: { readonly context: VisorclientbusContext },
  params: { readonly quirk: keyof VisorclientbusQuirks },
): boolean {
  return context.quirks[params.quirk];
}

/** True when `event` is uislib's success for an awaited request of `kind` (for a vhba if given). */
export function isAcceptedByUislib(
  context: VisorclientbusContext,
  event: VisorclientbusEvent,
  kind: 'pauseDevice' | 'resumeDevice',
  deviceKind: DeviceKind | null = null,
): boolean {
  const entry = matchAnswer(context, event);
  const answer = answerOf(event);
  if (entry === undefined || entry.kind !== kind || answer.party !== 'uislib') return false;
  return answer.status === 0 && (deviceKind === null || entry.deviceKind === deviceKind);
}

/** The answer's status in visorclientbus's terms (uislib's mapped by {@link uislibRc}). */
export function answerStatus(context: VisorclientbusContext, event: VisorclientbusEvent): number {
  const entry = matchAnswer(context, event);
  assert(entry !== undefined, 'answerStatus needs a matching request');
  const a = answerOf(event);
  return a.party === 'visorbus' ? a.status : uislibRc(entry, a.status, context.quirks);
}

/** True when this answer is the last one its request waits for. */
export function completesRequest(
  context: VisorclientbusContext,
  event: VisorclientbusEvent,
): boolean {
  const entry = matchAnswer(context, event);
  if (entry === undefined) return false;
  if (entry.route !== 'both') return true;
  const other = answerOf(event).party === 'visorbus' ? entry.uislibStatus : entry.visorbusStatus;
  return other !== null;
}

/** The final status: the first failure in arrival order, else 0. */
export function finalStatus(context: VisorclientbusContext, event: VisorclientbusEvent): number {
  const entry = matchAnswer(context, event);
  assert(entry !== undefined, 'finalStatus needs a matching request');
  const earlier = [entry.visorbusStatus, entry.uislibStatus].find((s) => s !== null && s !== 0);
  return earlier ?? answerStatus(context, event);
}

/** The done effect for the request an answer completes. */
export function doneFor(
  context: VisorclientbusContext,
  event: VisorclientbusEvent,
): VisorclientbusEmitted {
  const entry = matchAnswer(context, event);
  assert(entry !== undefined, 'doneFor needs a matching request');
  const { kind, busNo, devNo } = entry;
  const status = finalStatus(context, event);
  if (devNo === null) return { type: 'visorchipset.done', kind, busNo, status };
  return { type: 'visorchipset.done', kind, busNo, devNo, status };
}

// Event access (narrowEvent asserts the type: a wrong one is our bug).

/** The request of a CHIPSET_REQUEST. */
export function requestOf(event: VisorclientbusEvent): VisorbusRequest {
  return narrowEvent(event, 'CHIPSET_REQUEST').request;
}

// Context updates.

/** A context update, as `assign` takes it. */
export type Update = Partial<VisorclientbusContext>;

/** A new request is tracked (and a created device's type remembered). */
export function trackRequest(context: VisorclientbusContext, request: VisorbusRequest): Update {
  const entry = pendingEntry(context, request);
  let deviceTypes = context.deviceTypes;
  if (request.kind === 'createDevice') {
    const key = deviceKey(request.busNo, request.devNo);
    deviceTypes = { ...deviceTypes, [key]: typeOfGuid(request.dataTypeGuid) };
  }
  return { nextSeq: context.nextSeq + 1, pending: [...context.pending, entry], deviceTypes };
}

/** A partial answer of a fanned-out request is recorded. */
export function recordAnswer(context: VisorclientbusContext, event: VisorclientbusEvent): Update {
  const entry = matchAnswer(context, event);
  assert(entry !== undefined, 'recordAnswer needs a matching request');
  const status = answerStatus(context, event);
  const field = answerOf(event).party === 'visorbus' ? 'visorbusStatus' : 'uislibStatus';
  const pending = context.pending.map((p) => (p === entry ? { ...p, [field]: status } : p));
  return { pending };
}

/**
 * The request an answer completes is settled: it leaves `pending`, and the device's type is
 * forgotten after a destroy or a failed create (visorchipset drops its record then too).
 */
export function settleRequest(context: VisorclientbusContext, event: VisorclientbusEvent): Update {
  const entry = matchAnswer(context, event);
  assert(entry !== undefined, 'settleRequest needs a matching request');
  const pending = context.pending.filter((p) => p !== entry);
  const failed = finalStatus(context, event) !== 0;
  const forget =
    entry.devNo !== null &&
    (entry.kind === 'destroyDevice' || (entry.kind === 'createDevice' && failed));
  if (!forget || entry.devNo === null) return { pending };
  const { [deviceKey(entry.busNo, entry.devNo)]: _gone, ...deviceTypes } = context.deviceTypes;
  return { pending, deviceTypes };
}
