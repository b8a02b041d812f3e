// The pure rules of virtpci (spar-protocol.md §5.12 virtpci, §5.7 uislib, §3.6, §3.7 names;
// `torvalds/linux drivers/staging/unisys/virtpci/virtpci.c` @05f6d025…, `uislib/uislib.c`
// @027b8c5b…): uislib's and virtpci's checks, effects and context updates as functions of plain
// data, so they can be read and tested here; virtpci.machine.ts wires them into XState.

import { narrowEvent } from './narrow-event.js';
import { assert } from '../src/base/assert.js';
import { CONTROLVM_RESP_VIRTPCI_DRIVER_CALLBACK_ERROR } from '../src/protocol/controlvm.js';
import { virtpciDeviceName, virtpciDriverFor } from './virtpci-driver.logic.js';
import {
  addBusStatus,
  addDeviceStatus,
  createUislibTable,
  deleteBusStatus,
  deviceStatus,
  GUEST_ADD_VBUS,
  GUEST_ADD_VHBA,
  GUEST_ADD_VNIC,
  GUEST_DEL_ALL_VBUSES,
  GUEST_DEL_ALL_VHBAS,
  GUEST_DEL_ALL_VNICS,
  GUEST_DEL_VBUS,
  GUEST_DEL_VHBA,
  GUEST_DEL_VNIC,
  GUEST_PAUSE_VHBA,
  GUEST_PAUSE_VNIC,
  GUEST_RESUME_VHBA,
  GUEST_RESUME_VNIC,
  kindOfMsgtype,
  releaseDevice,
  type DeviceKind,
  type GuestMsg,
  type GuestMsgtype,
} from './visoruislib.logic.js';
import type {
  VirtpciInput,
  VirtpciPhase,
  VirtpciDevice,
  VirtpciContext,
  Address,
  VirtpciEvent,
  VirtpciDriverCall,
  VirtpciEmitted,
} from './virtpci.types.js';

/** `WAIT_FOR_IO_CHANNEL`: one `srv_state` check per second (`UIS_THREAD_WAIT_SEC(1)`). */
export const SERVER_WAIT_INTERVAL_MS = 1000;
/** `WAIT_FOR_IO_CHANNEL`: `count = 120` checks, so the add fails after 120 s (§5.12, §7). */
export const SERVER_WAIT_TRIES = 120;
/** virtpci returned 0: uislib answers `CONTROLVM_RESP_ERROR_VIRTPCI_DRIVER_CALLBACK_ERROR`. */
export const VIRTPCI_FAILURE = CONTROLVM_RESP_VIRTPCI_DRIVER_CALLBACK_ERROR;

/** The actor's systemId: `<partition>/virtpci`. */
export function virtpciSystemId(partition: string): string {
  return `${partition}/virtpci`;
}

/** The root device name. */
export const VIRTPCI_ROOT_NAME = 'vbusroot';

/** The bus device name `vbus<N>` (§3.7). */
export function virtpciBusName(busNo: number): string {
  return `vbus${busNo}`;
}

export { virtpciDeviceName };

/** The key of a device record. */
export function deviceKey(busNo: number, devNo: number): string {
  return `${busNo}/${devNo}`;
}

/** The explicit id of a device's delayed SERVER_WAIT_TICK. */
export function serverWaitId(busNo: number, devNo: number): string {
  return `serverWait.${busNo}.${devNo}`;
}

/** Initial context. */
export function initialContext(input: VirtpciInput): VirtpciContext {
  const quirks = { destroyDeviceUsesBusNo: false, ...input.quirks };
  const table = createUislibTable(input.busCount);
  return { partition: input.partition, quirks, table, devices: {}, strayAnswers: 0 };
}

/** What a message asks for, grouping the vhba/vnic twins. */
export type MsgGroup =
  | 'addVbus'
  | 'addDevice'
  | 'delVbus'
  | 'delDevice'
  | 'delAll'
  | 'pause'
  | 'resume';

/** The group of a message type. */
export function msgGroup(msgtype: GuestMsgtype): MsgGroup {
  switch (msgtype) {
    case GUEST_ADD_VBUS:
      return 'addVbus';
    case GUEST_ADD_VHBA:
    case GUEST_ADD_VNIC:
      return 'addDevice';
    case GUEST_DEL_VBUS:
      return 'delVbus';
    case GUEST_DEL_VHBA:
    case GUEST_DEL_VNIC:
      return 'delDevice';
    case GUEST_DEL_ALL_VHBAS:
    case GUEST_DEL_ALL_VNICS:
    case GUEST_DEL_ALL_VBUSES:
      return 'delAll';
    case GUEST_PAUSE_VHBA:
    case GUEST_PAUSE_VNIC:
      return 'pause';
    case GUEST_RESUME_VHBA:
    case GUEST_RESUME_VNIC:
      return 'resume';
  }
}

/** A WWNN or MAC in canonical form; a malformed one is a host bug (it decodes channel bytes). */
export function normalizeIdentity(kind: DeviceKind, value: string): string {
  const lower = value.toLowerCase();
  const pattern = kind === 'vhba' ? /^[0-9a-f]{16}$/ : /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
  assert(pattern.test(lower), `${kind} identity ${JSON.stringify(value)} is malformed`);
  return lower;
}

/** The device a device message acts on: its address, or (bus, bus) under the destroy quirk. */
export function targetOf(context: VirtpciContext, msg: GuestMsg): Address {
  assert('devNo' in msg, `msgtype ${msg.msgtype} names no device`);
  const quirky = context.quirks.destroyDeviceUsesBusNo && msgGroup(msg.msgtype) === 'delDevice';
  return { busNo: msg.busNo, devNo: quirky ? msg.busNo : msg.devNo };
}

/** The device record at an address, or undefined. */
export function deviceAt(context: VirtpciContext, at: Address): VirtpciDevice | undefined {
  return context.devices[deviceKey(at.busNo, at.devNo)];
}

/** uislib's check of a message: 0, or the positive code it answers with (visoruislib.logic). */
export function uislibCheck(context: VirtpciContext, msg: GuestMsg): number {
  const { table } = context;
  switch (msgGroup(msg.msgtype)) {
    case 'addVbus':
      return addBusStatus(table, msg.busNo);
    case 'addDevice':
      return addDeviceStatus(table, msg.busNo, targetOf(context, msg).devNo);
    case 'delVbus':
      return deleteBusStatus(table, msg.busNo);
    case 'delAll':
      return 0; // virtpci's own messages: uislib never sends them (no table check upstream)
    default: {
      const at = targetOf(context, msg);
      return deviceStatus(table, at.busNo, at.devNo);
    }
  }
}

const SETTLED: readonly VirtpciPhase[] = ['bound', 'unbound'];

/** The devices a DEL_ALL_* removes: every settled or busy device in its scope. */
export function delAllScope(context: VirtpciContext, msg: GuestMsg): VirtpciDevice[] {
  const kind = kindOfMsgtype(msg.msgtype);
  const all = Object.values(context.devices);
  if (msg.msgtype === GUEST_DEL_ALL_VBUSES) return all;
  return all.filter((d) => d.busNo === msg.busNo && d.kind === kind);
}

/**
 * virtpci's own check after uislib's: 0, or {@link VIRTPCI_FAILURE} when virtpci would return 0.
 * Device messages need the device in virtpci's list, of the message's kind, not busy with another
 * driver call (Choice: the kernel serialised these, so "busy" cannot happen there), and bound for
 * pause/resume (Choice: upstream calls a NULL driver's suspend after a failed probe and oopses).
 * DEL_ALL_VHBAS/VNICS need the bus; every DEL_ALL fails while a device in scope is busy (Choice).
 */
export function virtpciCheck(context: VirtpciContext, msg: GuestMsg): number {
  const group = msgGroup(msg.msgtype);
  if (group === 'addVbus' || group === 'addDevice' || group === 'delVbus') return 0;
  if (group === 'delAll') {
    const busMissing =
      msg.msgtype !== GUEST_DEL_ALL_VBUSES && context.table.buses[String(msg.busNo)] === undefined;
    const busy = delAllScope(context, msg).some((d) => !SETTLED.includes(d.phase));
    return busMissing || busy ? VIRTPCI_FAILURE : 0;
  }
  const device = deviceAt(context, targetOf(context, msg));
  if (device === undefined || device.kind !== kindOfMsgtype(msg.msgtype)) return VIRTPCI_FAILURE;
  if (device.phase === 'bound') return 0;
  return device.phase === 'unbound' && group === 'delDevice' ? 0 : VIRTPCI_FAILURE;
}

/**
 * The add's duplicate check (`virtpci_device_add`): another device of the same kind already in
 * virtpci's list (past its server wait) with the same WWNN/MAC. Choice: across all buses, as
 * upstream's one global list; §5.12 says "on the same bus". Upstream also compares against the
 * other kind's zeroed field; not modelled.
 */
export function isDuplicateIdentity(context: VirtpciContext, at: Address): boolean {
  const device = deviceAt(context, at);
  assert(device !== undefined, `no device ${deviceKey(at.busNo, at.devNo)} being added`);
  return Object.values(context.devices).some(
    (d) =>
      d !== device &&
      d.kind === device.kind &&
      d.identity === device.identity &&
      d.phase !== 'serverWait' &&
      d.phase !== 'serverSleep',
  );
}

// Effects.

/** A `uislib.done`; bus messages carry no `devNo`. */
export function doneFor(
  msgtype: GuestMsgtype,
  busNo: number,
  devNo: number | null,
  status: number,
): VirtpciEmitted {
  if (devNo === null) return { type: 'uislib.done', msgtype, busNo, status };
  return { type: 'uislib.done', msgtype, busNo, devNo, status };
}

/** The answer to a GUEST_MSG with `status` (already negated). */
export function doneForMsg(msg: GuestMsg, status: number): VirtpciEmitted {
  return doneFor(msg.msgtype, msg.busNo, 'devNo' in msg ? msg.devNo : null, status);
}

/** The answer to the message a device has outstanding. */
export function doneForDevice(device: VirtpciDevice | undefined, status: number): VirtpciEmitted {
  assert(device !== undefined, 'a device answer needs a device');
  assert(device.msgtype !== null, `${device.name}: no message outstanding`);
  return doneFor(device.msgtype, device.busNo, device.devNo, status);
}

/** `write_vbus_chp_info` then `write_vbus_bus_info` (`add_vbus`, `fix_vbus_dev_info`). */
export function busRecordWrites(busNo: number): VirtpciEmitted[] {
  return [
    { type: 'vbus.write', busNo, record: 'chipset', devtype: 'chipset', drvname: 'uislib' },
    { type: 'vbus.write', busNo, record: 'bus', devtype: 'clientbus', drvname: 'virtpci' },
  ];
}

/**
 * `fix_vbus_dev_info`: the device record, then the chipset and bus records again ("it is
 * possible that this was previously written by our good counterpart, visorbus").
 */
export function deviceRecordWrites(device: VirtpciDevice | undefined): VirtpciEmitted[] {
  assert(device !== undefined, 'a device record needs a device');
  const { devtype, name: drvname } = virtpciDriverFor(device.kind);
  const { busNo, devNo } = device;
  const record: VirtpciEmitted = {
    type: 'vbus.write',
    busNo,
    devNo,
    record: 'device',
    devtype,
    drvname,
  };
  return [record, ...busRecordWrites(busNo)];
}

/** A driver call for a device. */
export function driverCall(
  call: VirtpciDriverCall,
  device: VirtpciDevice | undefined,
): VirtpciEmitted {
  assert(device !== undefined, `${call} needs a device`);
  const { busNo, devNo } = device;
  return { type: call, driver: virtpciDriverFor(device.kind).module, busNo, devNo };
}

// Event access (narrowEvent asserts the type: a wrong one is our bug).

/** The message of a GUEST_MSG. */
export function msgOf(event: VirtpciEvent): GuestMsg {
  return narrowEvent(event, 'GUEST_MSG').msg;
}

/** The device an event is about: the target of a device message, or an answer's address. */
export function addressOf(context: VirtpciContext, event: VirtpciEvent): Address {
  if (event.type === 'GUEST_MSG') return targetOf(context, event.msg);
  const e = narrowEvent(event, [
    'CHANNEL_STATUS',
    'DRIVER_PROBED',
    'DRIVER_SUSPENDED',
    'DRIVER_RESUMED',
    'DRIVER_REMOVED',
    'SERVER_WAIT_TICK',
  ]);
  return { busNo: e.busNo, devNo: e.devNo };
}

/** The phase of the device an event is about, or undefined when there is none. */
export function phaseOf(args: {
  readonly context: VirtpciContext;
  readonly event: VirtpciEvent;
}): VirtpciPhase | undefined {
  const { context, event } = args;
  return deviceAt(context, addressOf(context, event))?.phase;
}

// Context updates: records are replaced, never mutated.

/** A context update, as `assign` takes it. */
export type Update = Partial<VirtpciContext>;

/** The device at an address changed by `change`. */
export function updateDevice(
  context: VirtpciContext,
  at: Address,
  change: Partial<VirtpciDevice>,
): Update {
  const key = deviceKey(at.busNo, at.devNo);
  const device = context.devices[key];
  assert(device !== undefined, `no device ${key} to update (guards admit existing ones only)`);
  return { devices: { ...context.devices, [key]: { ...device, ...change } } };
}

/** The devices in `gone` leave virtpci's list and their uislib slots are emptied. */
export function forgetDevices(context: VirtpciContext, gone: readonly VirtpciDevice[]): Update {
  const devices = { ...context.devices };
  let table = context.table;
  for (const d of gone) {
    delete devices[deviceKey(d.busNo, d.devNo)];
    table = releaseDevice(table, d.busNo, d.devNo);
  }
  return { devices, table };
}

/** A new add: the device record in `serverWait` with its first `srv_state` read out. */
export function newDevice(msg: GuestMsg): VirtpciDevice {
  const isAdd = msg.msgtype === GUEST_ADD_VHBA || msg.msgtype === GUEST_ADD_VNIC;
  assert(isAdd, `newDevice needs an add, got ${msg.msgtype}`);
  const kind = msg.msgtype === GUEST_ADD_VHBA ? 'vhba' : 'vnic';
  const identity = normalizeIdentity(kind, msg.msgtype === GUEST_ADD_VHBA ? msg.wwnn : msg.mac);
  const { busNo, devNo, msgtype } = msg;
  const name = virtpciDeviceName(busNo, devNo);
  return { busNo, devNo, kind, name, identity, phase: 'serverWait', serverReads: 1, msgtype };
}
