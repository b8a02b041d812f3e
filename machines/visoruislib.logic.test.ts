// uislib's bus/device table (spar-protocol.md §5.7, §3.6, §3.7; uislib.c create_bus,
// create_device, destroy_bus, destroy_device, pause_device, resume_device).

import { describe, expect, test } from 'vitest';
import {
  addBus,
  addBusStatus,
  addDeviceStatus,
  asDoneStatus,
  commitDevice,
  createUislibTable,
  deleteBus,
  deleteDevice,
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
  reserveDevice,
  slotAt,
  UISLIB_DEFAULT_BUS_COUNT,
  type GuestMsgtype,
  type UislibTable,
} from './visoruislib.logic.js';

/** A table with bus `busNo` of `devCount` slots. */
function withBus(busNo = 1, devCount = 4, table = createUislibTable()): UislibTable {
  const result = addBus(table, busNo, devCount);
  expect(result.status).toBe(0);
  return result.table;
}

describe('visoruislib logic', () => {
  test('smoke: an empty table allows 23 buses and has none', () => {
    const table = createUislibTable();
    expect(table).toEqual({ busCount: 23, buses: {} });
    expect(UISLIB_DEFAULT_BUS_COUNT).toBe(23);
  });

  test('GUEST_* msgtypes are exactly §5.7: ADD_VBUS 0 … RESUME_VNIC 12', () => {
    const ordered: GuestMsgtype[] = [
      GUEST_ADD_VBUS,
      GUEST_ADD_VHBA,
      GUEST_ADD_VNIC,
      GUEST_DEL_VBUS,
      GUEST_DEL_VHBA,
      GUEST_DEL_VNIC,
      GUEST_DEL_ALL_VHBAS,
      GUEST_DEL_ALL_VNICS,
      GUEST_DEL_ALL_VBUSES,
      GUEST_PAUSE_VHBA,
      GUEST_PAUSE_VNIC,
      GUEST_RESUME_VHBA,
      GUEST_RESUME_VNIC,
    ];
    expect(ordered).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const kinds = ordered.map(kindOfMsgtype);
    expect(kinds).toEqual([
      null,
      'vhba',
      'vnic',
      null,
      'vhba',
      'vnic',
      'vhba',
      'vnic',
      null,
      'vhba',
      'vnic',
      'vhba',
      'vnic',
    ]);
  });

  test('statuses travel toward visorchipset negated: 201 → -201, 0 stays 0', () => {
    expect([0, 201, 202, 700].map(asDoneStatus)).toEqual([0, -201, -202, -700]);
    expect(() => asDoneStatus(-5)).toThrow(/not a positive code/);
  });

  test('add bus fails 201 once busCount buses exist, by count and not by bus number', () => {
    let table = createUislibTable(2);
    expect(addBusStatus(table, 40)).toBe(0); // a large number is fine while the table has room
    table = withBus(40, 4, table);
    table = withBus(0, 4, table);
    const third = addBus(table, 1, 4);
    expect(third).toEqual({ status: 201, table });
  });

  test('add bus of an existing number fails ALREADY_DONE (1), and the table is unchanged', () => {
    const table = withBus(1);
    expect(addBus(table, 1, 8)).toEqual({ status: 1, table });
    expect(table.buses['1']?.devCount).toBe(4);
  });

  test('add device: 500 on a missing bus, 202 when devNo >= devCount, 1 when the slot is taken', () => {
    const table = withBus(1, 4);
    expect(addDeviceStatus(table, 2, 0)).toBe(500);
    expect(addDeviceStatus(table, 1, 4)).toBe(202);
    expect(addDeviceStatus(table, 1, 3)).toBe(0);
    const reserved = reserveDevice(table, 1, 3, 'vhba');
    expect(reserved.status).toBe(0);
    expect(slotAt(reserved.table, 1, 3)).toEqual({ kind: 'vhba', state: 'adding' });
    expect(reserveDevice(reserved.table, 1, 3, 'vnic')).toEqual({
      status: 1,
      table: reserved.table,
    });
    expect(reserveDevice(table, 1, 9, 'vhba')).toEqual({ status: 202, table });
  });

  test('a device being added is missing (1) to pause/resume/destroy until committed', () => {
    const adding = reserveDevice(withBus(1, 4), 1, 2, 'vnic').table;
    expect(deviceStatus(adding, 1, 2)).toBe(1);
    const present = commitDevice(adding, 1, 2);
    expect(slotAt(present, 1, 2)?.state).toBe('present');
    expect(deviceStatus(present, 1, 2)).toBe(0);
    expect(() => commitDevice(present, 1, 2)).toThrow(/not being added/);
  });

  test('pause/resume/destroy checks: 500 bus missing, 501 devNo >= devCount, 1 empty slot', () => {
    const table = withBus(1, 4);
    expect(deviceStatus(table, 7, 0)).toBe(500);
    expect(deviceStatus(table, 1, 4)).toBe(501);
    expect(deviceStatus(table, 1, 0)).toBe(1);
    expect(deleteDevice(table, 1, 0)).toEqual({ status: 1, table });
  });

  test('delete device empties the slot; release of an empty slot is a bug', () => {
    const present = commitDevice(reserveDevice(withBus(1, 4), 1, 2, 'vhba').table, 1, 2);
    const deleted = deleteDevice(present, 1, 2);
    expect(deleted.status).toBe(0);
    expect(slotAt(deleted.table, 1, 2)).toBeUndefined();
    expect(() => releaseDevice(deleted.table, 1, 2)).toThrow(/empty/);
  });

  test('delete bus with a populated (or reserved) slot fails 700; a missing bus fails 1', () => {
    const bus = withBus(1, 4);
    const adding = reserveDevice(bus, 1, 0, 'vhba').table;
    expect(deleteBus(adding, 1)).toEqual({ status: 700, table: adding });
    expect(deleteBus(commitDevice(adding, 1, 0), 1).status).toBe(700);
    expect(deleteBus(bus, 2)).toEqual({ status: 1, table: bus });
    const gone = deleteBus(releaseDevice(adding, 1, 0), 1);
    expect(gone).toEqual({ status: 0, table: { busCount: 23, buses: {} } });
  });

  test('the count limit frees up again after a bus is deleted', () => {
    const full = withBus(1, 4, withBus(0, 4, createUislibTable(2)));
    expect(addBusStatus(full, 5)).toBe(201);
    expect(addBusStatus(deleteBus(full, 0).table, 5)).toBe(0);
  });

  test('operations never mutate the table they are given', () => {
    const table = withBus(1, 4);
    const frozen = JSON.stringify(table);
    reserveDevice(table, 1, 1, 'vhba');
    addBus(table, 2, 4);
    deleteBus(table, 1);
    expect(JSON.stringify(table)).toBe(frozen);
  });
});
