// Types and pure helpers of the visorclientbus machine (spar-protocol.md §5.11, §3.5 Era A pause
// path; `kjdepro/unisys-1 drivers/staging/unisys/visorclientbus/visorclientbus_main.c` @2bd79faa…,
// `torvalds/linux drivers/staging/unisys/uislib/uislib.c` @027b8c5b… for what each
// `uislib_client_inject_*` returns). visorclientbus.machine.ts wires these into XState.

import { narrowEvent } from './narrow-event.js';
import { assert } from '../src/base/assert.js';
import { channelTypes } from '../src/channel/index.js';
import type { VisorbusRequest, VisorbusRequestKind } from './visorchipset.logic.js';
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

/** Upstream bugs a run may switch on (default off). */
export interface VisorclientbusQuirks {
  /**
   * Quirk: `uislib_client_inject_pause_vhba`/`_resume_vhba` return uislib's *positive* code on
   * failure (the vnic ones return -1) and visorclientbus passes it to the responder as it is;
   * visorchipset treats a positive status as success, so the CP reads a failed vhba pause/resume
   * as done. Off: the negated code is passed, and the CHANGESTATE fails.
   */
  readonly vhbaStateChangeRcPositive: boolean;
  /**
   * Quirk `visorhba-resume-no-complete` (§3.5 driver table, §4.2 "Resume (IOSP back)"): upstream
   * visorhba's `resume` re-enables polling and clears the down flags but never calls
   * `complete(dev, status)`, so the CHANGESTATE(running) response is never sent and the device
   * keeps its pending request for good. Here: a vhba resume that uislib carried out (virthba's
   * serverup ran) is settled without `visorchipset.done`, so visorchipset keeps the device's
   * `pendingRequest` and refuses every later CHANGESTATE/DESTROY of it (EIO, §2.6). A failed
   * resume is still answered (final visorbus answers a driver's failed `resume` at once, §3.5
   * step 4). Off: the resume is answered with uislib's result at once (Era A, §5.11).
   */
  readonly vhbaResumeNoComplete: boolean;
}

/** Machine input. */
export interface VisorclientbusInput {
  /** Partition name, as in the actor's systemId. */
  readonly partition: string;
  /** Quirks to switch on; missing ones are off. */
  readonly quirks?: Partial<VisorclientbusQuirks>;
}

/** Who a request went to. */
export type Route = 'visorbus' | 'uislib' | 'both';

/** One request visorchipset handed over and that has not been settled. */
export interface PendingRequest {
  /** Arrival number, for FIFO matching of answers. */
  readonly seq: number;
  readonly kind: VisorbusRequestKind;
  readonly busNo: number;
  /** Null for bus requests. */
  readonly devNo: number | null;
  readonly route: Route;
  /** The Era A device kind when the request went to uislib for a device, else null. */
  readonly deviceKind: DeviceKind | null;
  /** visorbus's answer (for 'visorbus'/'both'), or null while out. */
  readonly visorbusStatus: number | null;
  /** uislib's answer mapped to visorclientbus's rc (for 'uislib'/'both'), or null while out. */
  readonly uislibStatus: number | null;
}

/** The type of a device as visorclientbus remembers it from DEVICE_CREATE. */
export type RememberedType = DeviceKind | 'other';

/** Machine context: plain data. */
export interface VisorclientbusContext {
  readonly partition: string;
  readonly quirks: VisorclientbusQuirks;
  readonly nextSeq: number;
  /** Outstanding requests in arrival order. */
  readonly pending: readonly PendingRequest[];
  /** Device types by {@link deviceKey}, from createDevice until destroy or a failed create. */
  readonly deviceTypes: Readonly<Record<string, RememberedType>>;
  /** Answers that matched no outstanding request (ignored, counted). */
  readonly strayAnswers: number;
}

/** Events: visorchipset's requests and the two parties' answers (routed by the host). */
export type VisorclientbusEvent =
  | { readonly type: 'CHIPSET_REQUEST'; readonly request: VisorbusRequest }
  /** visorbus's `visorchipset.done` for a forwarded request (same shape). */
  | {
      readonly type: 'VISORBUS_DONE';
      readonly kind: VisorbusRequestKind;
      readonly busNo: number;
      readonly devNo?: number;
      /** 0 or a negative errno. */
      readonly status: number;
    }
  /** virtpci's `uislib.done` for an injected message. */
  | {
      readonly type: 'UISLIB_DONE';
      readonly msgtype: GuestMsgtype;
      readonly busNo: number;
      readonly devNo?: number;
      /** 0 or a negated CONTROLVM_RESP code. */
      readonly status: number;
    };

/** Effects visorclientbus asks its partition host for. */
export type VisorclientbusEmitted =
  /** Hand the request to visorbus (as its VISORBUS_REQUEST). */
  | { readonly type: 'visorbus.forward'; readonly request: VisorbusRequest }
  /** `uislib_client_inject_*`: the host fills wwnn/mac for adds and sends virtpci GUEST_MSG. */
  | { readonly type: 'uislib.inject'; readonly msg: UislibInjectMsg }
  /** The answer to a request, for visorchipset's VISORBUS_DONE. */
  | {
      readonly type: 'visorchipset.done';
      readonly kind: VisorbusRequestKind;
      readonly busNo: number;
      readonly devNo?: number;
      readonly status: number;
    };

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
  if (lower === channelTypes.vhba.guid) return 'vhba';
  if (lower === channelTypes.vnic.guid) return 'vnic';
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
  const e = eventOf(event, ['VISORBUS_DONE', 'UISLIB_DONE']);
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

// Event access.

/** `event` narrowed to `types` (asserted: a wrong one is our bug). */
export function eventOf<T extends VisorclientbusEvent['type']>(
  event: VisorclientbusEvent,
  types: T | T[],
): Extract<VisorclientbusEvent, { type: T }> {
  return narrowEvent(event, types);
}

/** The request of a CHIPSET_REQUEST. */
export function requestOf(event: VisorclientbusEvent): VisorbusRequest {
  return eventOf(event, 'CHIPSET_REQUEST').request;
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
