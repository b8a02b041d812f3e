// The pure rules of visorbus (spar-protocol.md §1.7 match and channel check, §1.9 vbus
// device-info records, §3.2 per-device flags, §3.3 bus, §3.4 device, §3.5 pause/resume, §3.7
// numbering, §3.8 names), as functions of plain data so they can be read and tested here;
// visorbus.machine.ts wires them into XState.

import { narrowEvent } from './narrow-event.js';
import { assert } from '../src/base/assert.js';
import type { VisorChannelTypeMatch } from './visor-driver.logic.js';
import type { VisorbusRequest, VisorbusRequestKind } from './visorchipset.types.js';
import type {
  DriverRegistration,
  VisorbusInput,
  DeviceRecord,
  VisorbusContext,
  Address,
  VisorbusEvent,
  DriverCall,
  VisorbusEmitted,
} from './visorbus.types.js';

/**
 * For src/partition (driver set, guest visorbus side) and guest-partition, which import them here.
 */
export type { DriverRegistration, VisorbusEmitted } from './visorbus.types.js';

/** Events that answer for one device by `busNo`/`devNo` (the host's check, the drivers). */
export const ANSWER_EVENTS = [
  'CHANNEL_CHECKED',
  'DRIVER_PROBED',
  'DRIVER_PAUSE_STARTED',
  'DRIVER_RESUME_STARTED',
  'DRIVER_STATE_COMPLETE',
] as const;

/** Negative errnos visorbus answers with (Linux values, §2.6). */
export const VISORBUS_ERRNO = { EBUSY: -16, EEXIST: -17, ENODEV: -19 } as const;

/** The actor's systemId (STYLE §4): `<partition>/visorbus`. */
export function visorbusSystemId(partition: string): string {
  return `${partition}/visorbus`;
}

/** The bus device name (§3.8). */
export function busName(busNo: number): string {
  return `visorbus${busNo}`;
}

/** The device name (§3.8). */
export function deviceName(busNo: number, devNo: number): string {
  return `vbus${busNo}:dev${devNo}`;
}

/** The key of a device record. */
export function deviceKey(busNo: number, devNo: number): string {
  return `${busNo}/${devNo}`;
}

/** Initial context; duplicate driver names are a host bug (the kernel refuses them). */
export function initialContext(input: VisorbusInput): VisorbusContext {
  const names = input.drivers.map((d) => d.name);
  assert(new Set(names).size === names.length, `duplicate driver names: ${names.join(', ')}`);
  const { partition, drivers } = input;
  return { partition, drivers, buses: {}, devices: {}, spuriousCompletions: 0 };
}

/** The driver's channel-type entry for `guid`, or undefined when it does not list it. */
export function channelTypeOf(
  driver: DriverRegistration,
  guid: string,
): VisorChannelTypeMatch | undefined {
  return driver.channelTypes.find((t) => t.guid.toLowerCase() === guid.toLowerCase());
}

/** The first registered driver listing `guid` (§3.4 step 1 `visorbus_match`), or undefined. */
export function matchDriver(
  drivers: readonly DriverRegistration[],
  guid: string,
): DriverRegistration | undefined {
  return drivers.find((d) => channelTypeOf(d, guid) !== undefined);
}

/** The `channel.check` effect for a device whose phase names its matched driver (§1.7). */
export function channelCheckFor(
  context: VisorbusContext,
  device: DeviceRecord | undefined,
): VisorbusEmitted {
  assert(device !== undefined, 'a channel check needs a device');
  const driver = context.drivers.find((d) => d.name === device.driver);
  assert(driver !== undefined, `${device.name}: matched driver ${device.driver} is not registered`);
  const type = channelTypeOf(driver, device.dataTypeGuid);
  assert(type !== undefined, `${device.name}: ${driver.name} does not list ${device.dataTypeGuid}`);
  const { busNo, devNo } = device;
  return { type: 'channel.check', busNo, devNo, ...type };
}

/** Unbound devices a newly registered driver is tried on (`driver_attach`, §3.4 step 1). */
export function attachableDevices(
  context: VisorbusContext,
  driver: DriverRegistration,
): DeviceRecord[] {
  return Object.values(context.devices).filter(
    (d) => d.phase === 'unbound' && channelTypeOf(driver, d.dataTypeGuid) !== undefined,
  );
}

/** The device a request names, or undefined (bus requests name none). */
export function requestedDevice(
  context: VisorbusContext,
  request: VisorbusRequest,
): DeviceRecord | undefined {
  if (!('devNo' in request)) return undefined;
  return context.devices[deviceKey(request.busNo, request.devNo)];
}

/** The device a request names, if live: one being removed is gone for destroy/pause/resume. */
export function liveDevice(
  context: VisorbusContext,
  request: VisorbusRequest,
): DeviceRecord | undefined {
  const device = requestedDevice(context, request);
  return device?.beingRemoved === true ? undefined : device;
}

/** The done effect answering `request` with `status`; bus kinds carry no `devNo`. */
export function doneFor(request: VisorbusRequest, status: number): VisorbusEmitted {
  const { kind, busNo } = request;
  if (!('devNo' in request)) return { type: 'visorchipset.done', kind, busNo, status };
  return { type: 'visorchipset.done', kind, busNo, devNo: request.devNo, status };
}

/** The device-info record a bound device publishes (`publish_vbus_dev_info`, §1.9). */
export function deviceRecordWrite(device: DeviceRecord | undefined): VisorbusEmitted {
  assert(device !== undefined, 'a device record needs a device');
  assert(device.driver !== null, `${device.name}: a device record needs a driver`);
  const { busNo, devNo } = device;
  return { type: 'vbus.write', busNo, record: 'device', devNo, drvname: device.driver };
}

/** The chipset or bus record written into the vbus channel at bus creation (§1.9). */
export function busRecordWrite(busNo: number, record: 'chipset' | 'bus'): VisorbusEmitted {
  const names = record === 'chipset' ? ['chipset', 'visorchipset'] : ['clientbus', 'visorbus'];
  const [devtype, drvname] = names as [string, string];
  return { type: 'vbus.write', busNo, record, devtype, drvname };
}

/** A call of a driver entry point for a device with a matched or bound driver. */
export function driverCall(call: DriverCall, device: DeviceRecord | undefined): VisorbusEmitted {
  assert(device !== undefined, `${call} needs a device`);
  assert(device.driver !== null, `${device.name}: ${call} needs a matched driver`);
  const { busNo, devNo } = device;
  return { type: call, driver: device.driver, busNo, devNo };
}

/** The done for the pause or resume a device has outstanding (§3.5 step 5). */
export function stateChangeDone(device: DeviceRecord | undefined, status: number): VisorbusEmitted {
  assert(device !== undefined, 'a state change done needs a device');
  assert(device.pausing !== device.resuming, `${device.name}: exactly one change flag is set`);
  const kind = device.pausing ? 'pauseDevice' : 'resumeDevice';
  return doneFor({ kind, busNo: device.busNo, devNo: device.devNo }, status);
}

// Event access (narrowEvent asserts the type: a wrong one is our bug).

/** The request of a VISORBUS_REQUEST event. */
export function requestOf(event: VisorbusEvent): VisorbusRequest {
  return narrowEvent(event, 'VISORBUS_REQUEST').request;
}

/** The device a device request or a driver answer is about. */
export function addressOf(event: VisorbusEvent): Address {
  const e = narrowEvent(event, ['VISORBUS_REQUEST', ...ANSWER_EVENTS]);
  if (e.type !== 'VISORBUS_REQUEST') return { busNo: e.busNo, devNo: e.devNo };
  assert('devNo' in e.request, `${e.request.kind} names no device`);
  return { busNo: e.request.busNo, devNo: e.request.devNo };
}

/** The device record at an address, or undefined. */
export function deviceAt(context: VisorbusContext, at: Address): DeviceRecord | undefined {
  return context.devices[deviceKey(at.busNo, at.devNo)];
}

/** What a guard is given: the machine's context and the event being handled. */
type GuardArgs = { readonly context: VisorbusContext; readonly event: VisorbusEvent };

/** A guard admitting VISORBUS_REQUESTs of one kind. */
function isRequestOfKind(kind: VisorbusRequestKind) {
  return ({ event }: GuardArgs) => requestOf(event).kind === kind;
}

/**
 * The guards on VISORBUS_REQUEST (the machine's `setup` spreads them in). "Live" devices exclude
 * ones being removed: for destroy, pause and resume those are already gone.
 */
export const requestGuards = {
  isCreateBus: isRequestOfKind('createBus'),
  isDestroyBus: isRequestOfKind('destroyBus'),
  isCreateDevice: isRequestOfKind('createDevice'),
  isDestroyDevice: isRequestOfKind('destroyDevice'),
  isPauseDevice: isRequestOfKind('pauseDevice'),
  isResumeDevice: isRequestOfKind('resumeDevice'),
  busExists: ({ context, event }: GuardArgs) =>
    context.buses[String(requestOf(event).busNo)] !== undefined,
  isDeviceRecorded: ({ context, event }: GuardArgs) =>
    requestedDevice(context, requestOf(event)) !== undefined,
  isDeviceLive: ({ context, event }: GuardArgs) =>
    liveDevice(context, requestOf(event)) !== undefined,
  isDeviceBound: ({ context, event }: GuardArgs) =>
    liveDevice(context, requestOf(event))?.phase === 'bound',
  isDeviceBinding: ({ context, event }: GuardArgs) => {
    const phase = liveDevice(context, requestOf(event))?.phase;
    return phase === 'checking' || phase === 'probing';
  },
  isDeviceChanging: ({ context, event }: GuardArgs) => {
    const device = liveDevice(context, requestOf(event));
    return device !== undefined && (device.pausing || device.resuming);
  },
  hasMatchingDriver: ({ context, event }: GuardArgs) => {
    const request = requestOf(event);
    assert(request.kind === 'createDevice', `hasMatchingDriver got ${request.kind}`);
    return matchDriver(context.drivers, request.dataTypeGuid) !== undefined;
  },
};

// Context updates: records are replaced, never mutated, so snapshots stay plain and comparable.

/** `records` without `key`. */
export function withoutKey<T>(
  records: Readonly<Record<string, T>>,
  key: string,
): Record<string, T> {
  const { [key]: _removed, ...rest } = records;
  return rest;
}

/** A context update, as `assign` takes it. */
export type Update = Partial<VisorbusContext>;

/** `context.devices` with the device at (busNo, devNo) changed by `change`. */
export function updateDevice(
  context: VisorbusContext,
  at: Address,
  change: Partial<DeviceRecord>,
): Update {
  const key = deviceKey(at.busNo, at.devNo);
  const device = context.devices[key];
  assert(device !== undefined, `no device ${key} to update (guards admit existing ones only)`);
  return { devices: { ...context.devices, [key]: { ...device, ...change } } };
}

/** A DEVICE_CREATE's record: matched to the first driver listing its type (checking) or unbound. */
export function recordDevice(context: VisorbusContext, request: VisorbusRequest): Update {
  assert(request.kind === 'createDevice', `recordDevice needs createDevice, got ${request.kind}`);
  const { busNo, devNo } = request;
  const driver = matchDriver(context.drivers, request.dataTypeGuid);
  const device: DeviceRecord = {
    busNo,
    devNo,
    name: deviceName(busNo, devNo),
    dataTypeGuid: request.dataTypeGuid.toLowerCase(),
    phase: driver === undefined ? 'unbound' : 'checking',
    driver: driver?.name ?? null,
    pausing: false,
    resuming: false,
    beingRemoved: false,
  };
  return { devices: { ...context.devices, [deviceKey(busNo, devNo)]: device } };
}

/** The device at an address is gone. */
export function forgetDevice(context: VisorbusContext, at: Address): Update {
  return { devices: withoutKey(context.devices, deviceKey(at.busNo, at.devNo)) };
}

/** A BUS_CREATE's record (§3.3 step 1). */
export function recordBus(context: VisorbusContext, request: VisorbusRequest): Update {
  const { busNo } = request;
  return { buses: { ...context.buses, [String(busNo)]: { busNo, name: busName(busNo) } } };
}

/** The bus a request names is gone (its devices stay, §3.3 step 3). */
export function forgetBus(context: VisorbusContext, request: VisorbusRequest): Update {
  return { buses: withoutKey(context.buses, String(request.busNo)) };
}

/** A newly registered driver is tried on the unbound devices of its types (`driver_attach`). */
export function attachDriver(context: VisorbusContext, driver: DriverRegistration): Update {
  const devices = { ...context.devices };
  for (const device of attachableDevices(context, driver)) {
    const key = deviceKey(device.busNo, device.devNo);
    devices[key] = { ...device, phase: 'checking', driver: driver.name };
  }
  return { drivers: [...context.drivers, driver], devices };
}
