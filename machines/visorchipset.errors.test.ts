// visorchipset's §2.6 error table (spar-protocol.md §2.6): every row is answered once, failed,
// with its status. The rows that command serialisation makes unreachable by polling start from a
// resolved snapshot.

import { describe, expect, test } from 'vitest';
import type { ControlvmCommand } from '../src/protocol/controlvm-command.js';
import { CONTROLVM_ID as ID } from '../src/protocol/controlvm.js';
import { visorchipsetMachine } from './visorchipset.machine.js';
import { initialContext } from './visorchipset.logic.js';
import type { VisorchipsetContext } from './visorchipset.types.js';
import {
  broughtUp,
  busCmd,
  changeState,
  chipsetInit,
  devCmd,
  failedWith,
  type Harness,
  INPUT,
  start,
} from './visorchipset.harness.js';

describe('visorchipset machine', () => {
  const held = { id: 0x204, messageHandle: '999999' };
  const bus1 = (created: boolean, pendingRequest: typeof held | null = null) => ({
    '1': { busNo: 1, created, pendingRequest, guestHandle: null },
  });
  const dev12 = (created: boolean, pendingRequest: typeof held | null = null) => ({
    '1/2': { busNo: 1, devNo: 2, created, pendingRequest, changing: null },
  });
  function viaSnapshot(
    buses: VisorchipsetContext['buses'],
    devices: VisorchipsetContext['devices'],
    c: ControlvmCommand,
  ) {
    const context = { ...initialContext(INPUT), buses, devices };
    const value = { controlvm: 'draining', chipset: 'initialized' };
    const h = start(() => 0, visorchipsetMachine.resolveState({ value, context }));
    h.actor.send({ type: 'CONTROLVM_COMMAND', command: c });
    return { h, command: c };
  }
  const viaPoll = (h: Harness, command: ControlvmCommand) => {
    h.poll(command);
    h.release();
    return { h, command };
  };
  const unknownIds = [
    ID.CONTROLVM_INVALID,
    ID.CONTROLVM_BUS_CHANGESTATE,
    ID.CONTROLVM_BUS_CHANGESTATE_EVENT,
    ID.CONTROLVM_DEVICE_RECONFIGURE,
    ID.CONTROLVM_DEVICE_CHANGESTATE_EVENT,
    ID.CONTROLVM_DISK_CREATE,
    ID.CONTROLVM_DISK_DESTROY,
    ID.CONTROLVM_DISK_CONFIGURE,
    ID.CONTROLVM_DISK_CHANGESTATE,
    ID.CONTROLVM_CHIPSET_SHUTDOWN,
    0xdead,
  ];
  const B = {
    create: ID.CONTROLVM_BUS_CREATE,
    destroy: ID.CONTROLVM_BUS_DESTROY,
    configure: ID.CONTROLVM_BUS_CONFIGURE,
  };
  const D = { create: ID.CONTROLVM_DEVICE_CREATE, destroy: ID.CONTROLVM_DEVICE_DESTROY };
  const rows: [string, () => { h: Harness; command: ControlvmCommand }, number][] = [
    ['a second CHIPSET_INIT (ALREADY_DONE)', () => viaPoll(broughtUp(), chipsetInit()), 1],
    ['BUS_CREATE of a created bus (EEXIST)', () => viaPoll(broughtUp(), busCmd(B.create, 1)), 17],
    [
      'BUS_CREATE with an invalid vbus channel',
      () =>
        viaPoll(
          start(() => -22),
          busCmd(B.create, 1),
        ),
      22,
    ],
    [
      'BUS_CREATE whose channel cannot be mapped',
      () =>
        viaPoll(
          start(() => -12),
          busCmd(B.create, 1),
        ),
      12,
    ],
    ['BUS_DESTROY of a missing bus (ENODEV)', () => viaPoll(start(), busCmd(B.destroy, 1)), 19],
    [
      'BUS_DESTROY of a bus not created (ENOENT)',
      () => viaSnapshot(bus1(false), {}, busCmd(B.destroy, 1)),
      2,
    ],
    [
      'BUS_DESTROY with a response pending',
      () => viaSnapshot(bus1(true, held), {}, busCmd(B.destroy, 1)),
      17,
    ],
    ['BUS_CONFIGURE of a missing bus (EINVAL)', () => viaPoll(start(), busCmd(B.configure, 1)), 22],
    [
      'BUS_CONFIGURE of a bus not created',
      () => viaSnapshot(bus1(false), {}, busCmd(B.configure, 1)),
      22,
    ],
    [
      'BUS_CONFIGURE with a response pending (EIO)',
      () => viaSnapshot(bus1(true, held), {}, busCmd(B.configure, 1)),
      5,
    ],
    ['DEVICE_CREATE on a missing bus', () => viaPoll(start(), devCmd(D.create, 1, 2)), 19],
    [
      'DEVICE_CREATE on a bus not created',
      () => viaSnapshot(bus1(false), {}, devCmd(D.create, 1, 2)),
      22,
    ],
    ['DEVICE_CREATE of an existing device', () => viaPoll(broughtUp(), devCmd(D.create, 1, 2)), 17],
    [
      'DEVICE_CREATE whose channel cannot be mapped',
      () => {
        const h = broughtUp((r) => (r.kind === 'createDevice' && r.devNo === 3 ? -12 : 0));
        return viaPoll(h, devCmd(D.create, 1, 3));
      },
      12,
    ],
    [
      'DEVICE_CHANGESTATE of a missing device',
      () => viaPoll(broughtUp(), changeState(1, 3, 0x73)),
      19,
    ],
    [
      'DEVICE_CHANGESTATE of a device not created',
      () => viaSnapshot(bus1(true), dev12(false), changeState(1, 2, 0x73)),
      22,
    ],
    [
      'DEVICE_CHANGESTATE with a response pending',
      () => viaSnapshot(bus1(true), dev12(true, held), changeState(1, 2, 0x73)),
      5,
    ],
    [
      'DEVICE_CHANGESTATE while the driver is still pausing (EBUSY)',
      () => {
        const h = broughtUp((r) => (r.kind === 'pauseDevice' ? 'hold' : 0));
        h.poll(changeState(1, 2, 0x73, false, { responseExpected: false }));
        return viaPoll(h, changeState(1, 2, 0xf7)); // released only after the answer
      },
      16,
    ],
    ['DEVICE_DESTROY of a missing device', () => viaPoll(broughtUp(), devCmd(D.destroy, 1, 3)), 19],
    [
      'DEVICE_DESTROY of a device not created',
      () => viaSnapshot(bus1(true), dev12(false), devCmd(D.destroy, 1, 2)),
      22,
    ],
    [
      'DEVICE_DESTROY with a response pending',
      () => viaSnapshot(bus1(true), dev12(true, held), devCmd(D.destroy, 1, 2)),
      5,
    ],
    ...unknownIds.map((id): (typeof rows)[number] => [
      `id 0x${id.toString(16)} (ID_UNKNOWN)`,
      () => viaPoll(broughtUp(), busCmd(id, 1)),
      4,
    ]),
  ];
  test.each(rows)(
    '§2.6 error row: %s is answered once, failed, with status %i',
    (_, arrange, status) => {
      const { h, command } = arrange();
      expect(h.responseTo(command)).toEqual([
        expect.objectContaining({ id: command.id, ...failedWith(status) }),
      ]);
    },
  );

  test('a failed create leaves no record behind: the next BUS_DESTROY finds no bus', () => {
    const h = start(() => -22);
    h.poll(busCmd(ID.CONTROLVM_BUS_CREATE, 1));
    const destroy = busCmd(ID.CONTROLVM_BUS_DESTROY, 1);
    h.poll(destroy);
    expect(h.responseTo(destroy)).toEqual([expect.objectContaining(failedWith(19))]);
  });
});
