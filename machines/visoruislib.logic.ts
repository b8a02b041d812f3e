// visoruislib (module `uislibmod`, Era A; `torvalds/linux drivers/staging/unisys/uislib/uislib.c`
// @027b8c5b…): the bus/device table uislib keeps for the client buses, as pure functions of plain
// data, and the `struct guest_msgs` vocabulary it speaks to virtpci (spar-protocol.md §5.7, §3.6,
// §3.7, §2.7). The virtpci machine holds one table per guest; visorclientbus builds the
// `uislib_client_inject_*` requests.
//
// Statuses: every check returns 0 or a positive `CONTROLVM_RESP_*` code, as uislib's handlers do.
// Toward visorchipset they travel negated (`asDoneStatus`: 201 → -201), because visorchipset's
// `controlvm_respond` writes `completion_status = -status` and sets `failed` only for a negative
// status (§2.6); a positive status would read as success on the wire.
//
// Choice: `busCount` defaults to 23 (`UISLIB_DEFAULT_BUS_COUNT`): with `disable_controlvm=1` uislib
// never sees CHIPSET_INIT, and `uislib_client_inject_add_bus` self-initialises the chipset with
// `bus_count = 23` (§3.7).
// Choice: the 201 check is the one `create_bus` makes: it fails when the number of buses already
// created equals `busCount` (`max_bus_count == bus_list_count`), not when the bus *number* is
// ≥ `busCount` as §3.7's wording suggests; bus 40 is accepted while fewer than 23 buses exist.
// Choice: `uislib_client_inject_add_bus` creates every client bus with `dev_count = 23`
// ("devNo+1" in a comment), whatever BUS_CREATE said: `UISLIB_CLIENT_DEV_COUNT`.
// Upstream codes, each cited from uislib.c: add bus: 201 when full, then 1 (ALREADY_DONE) for a
// duplicate bus number. Add device: 500 (BUS_INVALID) when the bus is missing — so that is the
// choice for "bus missing" — 202 when `devNo >= devCount`, 1 when the slot is taken. Pause,
// resume and destroy of a device: 500 bus missing, 501 (DEVICE_INVALID) `devNo >= devCount`, 1
// slot empty. Destroy bus: 1 when missing, 700 (ERROR_BUS_DEVICE_ATTACHED) when any slot is
// populated (§3.6).
// Choice: a slot has a state: `adding` while virtpci waits for the server and probes (uislib
// fills `bus->device[dev_no]` only after virtpci returned, so an adding device is "missing" to
// pause/resume/destroy: 1), `present` afterwards. Reserving at once makes a second add of the
// same slot fail with 1 and a bus destroy fail with 700, as the kernel's serialised order would.

import { assert } from '../src/base/assert.js';
import {
  CONTROLVM_RESP_ALREADY_DONE,
  CONTROLVM_RESP_BUS_INVALID,
  CONTROLVM_RESP_DEVICE_INVALID,
  CONTROLVM_RESP_ERROR_BUS_DEVICE_ATTACHED,
  CONTROLVM_RESP_ERROR_MAX_BUSES,
  CONTROLVM_RESP_ERROR_MAX_DEVICES,
} from '../src/protocol/controlvm.js';

/** `GUEST_ADD_VBUS`: create a virtpci bus `vbus<N>` (§5.7). */
export const GUEST_ADD_VBUS = 0;
/** `GUEST_ADD_VHBA`: add a vhba device (wait for the server, probe virthba). */
export const GUEST_ADD_VHBA = 1;
/** `GUEST_ADD_VNIC`: add a vnic device (wait for the server, probe virtnic). */
export const GUEST_ADD_VNIC = 2;
/** `GUEST_DEL_VBUS`: delete a virtpci bus. */
export const GUEST_DEL_VBUS = 3;
/** `GUEST_DEL_VHBA`: delete one vhba device. */
export const GUEST_DEL_VHBA = 4;
/** `GUEST_DEL_VNIC`: delete one vnic device. */
export const GUEST_DEL_VNIC = 5;
/** `GUEST_DEL_ALL_VHBAS`: delete every vhba on a bus. */
export const GUEST_DEL_ALL_VHBAS = 6;
/** `GUEST_DEL_ALL_VNICS`: delete every vnic on a bus. */
export const GUEST_DEL_ALL_VNICS = 7;
/** `GUEST_DEL_ALL_VBUSES`: delete every device and every bus. */
export const GUEST_DEL_ALL_VBUSES = 8;
/** `GUEST_PAUSE_VHBA`: virthba `suspend` (serverdown). */
export const GUEST_PAUSE_VHBA = 9;
/** `GUEST_PAUSE_VNIC`: virtnic `suspend` (serverdown). */
export const GUEST_PAUSE_VNIC = 10;
/** `GUEST_RESUME_VHBA`: virthba `resume` (serverup). */
export const GUEST_RESUME_VHBA = 11;
/** `GUEST_RESUME_VNIC`: virtnic `resume` (serverup). */
export const GUEST_RESUME_VNIC = 12;

/** The 13 `msgtype` values of `struct guest_msgs`. */
export type GuestMsgtype =
  | typeof GUEST_ADD_VBUS
  | typeof GUEST_ADD_VHBA
  | typeof GUEST_ADD_VNIC
  | typeof GUEST_DEL_VBUS
  | typeof GUEST_DEL_VHBA
  | typeof GUEST_DEL_VNIC
  | typeof GUEST_DEL_ALL_VHBAS
  | typeof GUEST_DEL_ALL_VNICS
  | typeof GUEST_DEL_ALL_VBUSES
  | typeof GUEST_PAUSE_VHBA
  | typeof GUEST_PAUSE_VNIC
  | typeof GUEST_RESUME_VHBA
  | typeof GUEST_RESUME_VNIC;

/** uislib's self-initialised `max_bus_count` (`uislib_client_inject_add_bus`, §3.7). */
export const UISLIB_DEFAULT_BUS_COUNT = 23;
/** `dev_count` of every bus `uislib_client_inject_add_bus` creates. */
export const UISLIB_CLIENT_DEV_COUNT = 23;

/** The two Era A client device kinds (virtpci devtype VIRTHBA 0 / VIRTNIC 1). */
export type DeviceKind = 'vhba' | 'vnic';

/** A message that names only a bus. */
interface OnBus {
  readonly busNo: number;
}
/** A message that names a device. */
interface OnDevice {
  readonly busNo: number;
  readonly devNo: number;
}

/**
 * `struct guest_msgs` as virtpci receives it (§5.7), discriminated on `msgtype`. Channel pointers
 * are replaced by the (bus, dev) address; the adds carry what virtpci reads from the channel:
 * `wwnn` as 16 hex digits (`wwnn1` then `wwnn2`, e.g. `5001438001234567`) and `mac` as
 * `aa:bb:cc:dd:ee:ff`, both compared case-insensitively. Choice: DEL_ALL_VBUSES carries a `busNo`
 * too (ignored), so every answer names a bus.
 */
export type GuestMsg =
  | ({ readonly msgtype: typeof GUEST_ADD_VBUS; readonly devCount: number } & OnBus)
  | ({ readonly msgtype: typeof GUEST_ADD_VHBA; readonly wwnn: string } & OnDevice)
  | ({ readonly msgtype: typeof GUEST_ADD_VNIC; readonly mac: string } & OnDevice)
  | ({
      readonly msgtype:
        | typeof GUEST_DEL_VBUS
        | typeof GUEST_DEL_ALL_VHBAS
        | typeof GUEST_DEL_ALL_VNICS
        | typeof GUEST_DEL_ALL_VBUSES;
    } & OnBus)
  | ({
      readonly msgtype:
        | typeof GUEST_DEL_VHBA
        | typeof GUEST_DEL_VNIC
        | typeof GUEST_PAUSE_VHBA
        | typeof GUEST_PAUSE_VNIC
        | typeof GUEST_RESUME_VHBA
        | typeof GUEST_RESUME_VNIC;
    } & OnDevice);

/**
 * A `uislib_client_inject_*` call as visorclientbus makes it. Same as {@link GuestMsg} except the
 * device adds: they name the kind and leave `wwnn`/`mac` to the partition host, which reads them
 * from the device channel before it hands the message to virtpci.
 */
export type UislibInjectMsg =
  | Exclude<GuestMsg, { msgtype: typeof GUEST_ADD_VHBA | typeof GUEST_ADD_VNIC }>
  | ({ readonly msgtype: typeof GUEST_ADD_VHBA; readonly kind: 'vhba' } & OnDevice)
  | ({ readonly msgtype: typeof GUEST_ADD_VNIC; readonly kind: 'vnic' } & OnDevice);

/** One populated device slot (`bus->device[dev_no]`). */
export interface UislibSlot {
  readonly kind: DeviceKind;
  /** `adding` while virtpci works on GUEST_ADD_*, `present` once it returned success. */
  readonly state: 'adding' | 'present';
}

/** One bus of the table (`struct bus_info`). */
export interface UislibBus {
  readonly busNo: number;
  /** `device_count`: slots 0 .. devCount − 1. */
  readonly devCount: number;
  /** Populated slots by `String(devNo)`. */
  readonly slots: Readonly<Record<string, UislibSlot>>;
}

/** uislib's table: `max_bus_count` and `bus_list`. */
export interface UislibTable {
  /** `max_bus_count`: how many buses may exist at once. */
  readonly busCount: number;
  /** Buses by `String(busNo)`. */
  readonly buses: Readonly<Record<string, UislibBus>>;
}

/** A table operation's outcome: 0 and the new table, or a positive code and the table unchanged. */
export interface UislibResult {
  readonly status: number;
  readonly table: UislibTable;
}

/** A status as it travels toward visorchipset: 0, or the code negated (§2.6). */
export function asDoneStatus(code: number): number {
  assert(Number.isSafeInteger(code) && code >= 0, `uislib code ${code} is not a positive code`);
  return code === 0 ? 0 : -code;
}

/** The device kind a message is about, or null for bus messages. */
export function kindOfMsgtype(msgtype: GuestMsgtype): DeviceKind | null {
  switch (msgtype) {
    case GUEST_ADD_VHBA:
    case GUEST_DEL_VHBA:
    case GUEST_DEL_ALL_VHBAS:
    case GUEST_PAUSE_VHBA:
    case GUEST_RESUME_VHBA:
      return 'vhba';
    case GUEST_ADD_VNIC:
    case GUEST_DEL_VNIC:
    case GUEST_DEL_ALL_VNICS:
    case GUEST_PAUSE_VNIC:
    case GUEST_RESUME_VNIC:
      return 'vnic';
    default:
      return null;
  }
}

function assertNumber(name: string, value: number): void {
  assert(Number.isSafeInteger(value), `${name} ${value} is not an integer`);
  assert(value >= 0, `${name} ${value} is negative`);
}

/** An empty table; `busCount` defaults to uislib's self-initialised 23. */
export function createUislibTable(busCount: number = UISLIB_DEFAULT_BUS_COUNT): UislibTable {
  assertNumber('busCount', busCount);
  return { busCount, buses: {} };
}

/** The bus `busNo`, or undefined. */
export function busAt(table: UislibTable, busNo: number): UislibBus | undefined {
  return table.buses[String(busNo)];
}

/** The slot (busNo, devNo), or undefined. */
export function slotAt(table: UislibTable, busNo: number, devNo: number): UislibSlot | undefined {
  return busAt(table, busNo)?.slots[String(devNo)];
}

/** `create_bus`'s checks: 201 when `busCount` buses exist, then 1 for a duplicate number. */
export function addBusStatus(table: UislibTable, busNo: number): number {
  assertNumber('busNo', busNo);
  if (Object.keys(table.buses).length >= table.busCount) return CONTROLVM_RESP_ERROR_MAX_BUSES;
  return busAt(table, busNo) === undefined ? 0 : CONTROLVM_RESP_ALREADY_DONE;
}

/** `create_bus`: a bus with `devCount` empty slots. */
export function addBus(table: UislibTable, busNo: number, devCount: number): UislibResult {
  assertNumber('devCount', devCount);
  const status = addBusStatus(table, busNo);
  if (status !== 0) return { status, table };
  const bus: UislibBus = { busNo, devCount, slots: {} };
  return { status, table: { ...table, buses: { ...table.buses, [String(busNo)]: bus } } };
}

/** `create_device`'s checks: 500 bus missing, 202 `devNo >= devCount`, 1 slot taken. */
export function addDeviceStatus(table: UislibTable, busNo: number, devNo: number): number {
  assertNumber('devNo', devNo);
  const bus = busAt(table, busNo);
  if (bus === undefined) return CONTROLVM_RESP_BUS_INVALID;
  if (devNo >= bus.devCount) return CONTROLVM_RESP_ERROR_MAX_DEVICES;
  return bus.slots[String(devNo)] === undefined ? 0 : CONTROLVM_RESP_ALREADY_DONE;
}

function withSlot(
  table: UislibTable,
  busNo: number,
  devNo: number,
  slot: UislibSlot | null,
): UislibTable {
  const bus = busAt(table, busNo);
  assert(bus !== undefined, `no uislib bus ${busNo}`);
  const { [String(devNo)]: _old, ...rest } = bus.slots;
  const slots = slot === null ? rest : { ...rest, [String(devNo)]: slot };
  return { ...table, buses: { ...table.buses, [String(busNo)]: { ...bus, slots } } };
}

/** The start of `create_device` for a client device: the slot is reserved (`adding`). */
export function reserveDevice(
  table: UislibTable,
  busNo: number,
  devNo: number,
  kind: DeviceKind,
): UislibResult {
  const status = addDeviceStatus(table, busNo, devNo);
  if (status !== 0) return { status, table };
  return { status, table: withSlot(table, busNo, devNo, { kind, state: 'adding' }) };
}

/** virtpci returned success: `bus->device[dev_no] = dev`. */
export function commitDevice(table: UislibTable, busNo: number, devNo: number): UislibTable {
  const slot = slotAt(table, busNo, devNo);
  assert(slot?.state === 'adding', `slot ${busNo}/${devNo} is not being added`);
  return withSlot(table, busNo, devNo, { ...slot, state: 'present' });
}

/** The slot is emptied (add failed, or the device was destroyed). */
export function releaseDevice(table: UislibTable, busNo: number, devNo: number): UislibTable {
  assert(slotAt(table, busNo, devNo) !== undefined, `slot ${busNo}/${devNo} is empty`);
  return withSlot(table, busNo, devNo, null);
}

/** The checks of pause/resume/destroy: 500 bus missing, 501 `devNo >= devCount`, 1 no device. */
export function deviceStatus(table: UislibTable, busNo: number, devNo: number): number {
  assertNumber('devNo', devNo);
  const bus = busAt(table, busNo);
  if (bus === undefined) return CONTROLVM_RESP_BUS_INVALID;
  if (devNo >= bus.devCount) return CONTROLVM_RESP_DEVICE_INVALID;
  return bus.slots[String(devNo)]?.state === 'present' ? 0 : CONTROLVM_RESP_ALREADY_DONE;
}

/** `destroy_device`'s table half: the checks, then the slot is emptied. */
export function deleteDevice(table: UislibTable, busNo: number, devNo: number): UislibResult {
  const status = deviceStatus(table, busNo, devNo);
  if (status !== 0) return { status, table };
  return { status, table: releaseDevice(table, busNo, devNo) };
}

/** `destroy_bus`'s checks: 1 when missing, 700 when any slot is populated (§3.6). */
export function deleteBusStatus(table: UislibTable, busNo: number): number {
  const bus = busAt(table, busNo);
  if (bus === undefined) return CONTROLVM_RESP_ALREADY_DONE;
  return Object.keys(bus.slots).length === 0 ? 0 : CONTROLVM_RESP_ERROR_BUS_DEVICE_ATTACHED;
}

/** `destroy_bus`: the bus leaves the table. */
export function deleteBus(table: UislibTable, busNo: number): UislibResult {
  const status = deleteBusStatus(table, busNo);
  if (status !== 0) return { status, table };
  const { [String(busNo)]: _gone, ...buses } = table.buses;
  return { status, table: { ...table, buses } };
}
