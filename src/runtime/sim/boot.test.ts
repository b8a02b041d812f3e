import { describe, expect, test } from 'vitest';
import { minimalGuestConfig, type Config } from '../../hypervisor/index.js';
import { readVbusRecord } from '../../partition/vbus-records.js';
import { simulateBoot } from './boot.js';

describe('simulated boot', () => {
  test('smoke: the command partition brings a guest with the minimum driver set up, in virtual time', () => {
    const outcome = simulateBoot(minimalGuestConfig(), 1, 2_000);
    expect(outcome.commandPartition.snapshot['cp/command-partition']).toBe('ready');
    const outcomes = outcome.commandPartition.command?.outcomes ?? [];
    const done = outcomes.find((o) => o.type === 'cp.bringUpDone');
    expect(done).toMatchObject({ ready: ['guest1'], failed: [] });
    const guest = outcome.guests.get('guest1');
    const drivers = Object.keys(guest?.snapshot() ?? {}).filter((id) => id.includes(':vbus'));
    expect(drivers.sort()).toEqual([
      'guest1/visorconinclient:vbus1:dev1',
      'guest1/visorconinclient:vbus1:dev2',
      'guest1/visorvideoclient:vbus1:dev0',
    ]);
  });

  test("the guest's bus channel holds the chipset, bus and device records the configuration implies", () => {
    const outcome = simulateBoot(minimalGuestConfig(), 7, 2_000);
    const vbus = outcome.channels.forPartition('guest1').find((c) => c.kind === 'vbus');
    expect(vbus).toBeDefined();
    if (vbus === undefined) return;
    expect(readVbusRecord(vbus, 'chipset')).toEqual({
      devtype: 'chipset',
      drvname: 'visorchipset',
    });
    expect(readVbusRecord(vbus, 'bus')).toEqual({ devtype: 'clientbus', drvname: 'visorbus' });
    // drvname is char[16] written with snprintf: a 16-letter module name loses its last letter.
    expect([0, 1, 2].map((dev) => readVbusRecord(vbus, dev))).toEqual([
      { devtype: 'video', drvname: 'visorvideoclien' },
      { devtype: 'keyboard', drvname: 'visorconinclien' },
      { devtype: 'mouse', drvname: 'visorconinclien' },
    ]);
  });

  test("the guest's sysfs view equals the configuration: one bus, three bound devices, addresses from the channel map", () => {
    const outcome = simulateBoot(minimalGuestConfig(), 5, 2_000);
    const files = outcome.guests.get('guest1')?.sysfs() ?? {};
    const vbus = outcome.channels.forPartition('guest1').find((c) => c.kind === 'vbus');
    expect(files['/sys/devices/visorbus1/channel_addr']).toBe(
      `0x${vbus?.channelAddr.toString(16)}`,
    );
    expect(files['/sys/devices/visorbus1/channel_id']).toBe('193b331b-c58f-11da-95a9-00e08161165f');
    expect(files['/sys/devices/visorbus1/partition_handle']).toBe('0x1'); // BUS_CONFIGURE guest_handle
    const devices = Object.keys(files)
      .filter((f) => f.endsWith('/modalias'))
      .sort();
    expect(devices).toEqual([0, 1, 2].map((d) => `/sys/devices/visorbus1/vbus1:dev${d}/modalias`));
    expect(files['/sys/devices/visorbus1/vbus1:dev1/modalias']).toBe(
      'visorbus:c73416d0-b0b8-44af-b304-9d2ae99f1b3d',
    );
    expect(files['/sys/devices/visorbus1/vbus1:dev1/typename']).toBe('keyboard');
    expect(files['/sys/devices/visorbus1/vbus1:dev2/driver']).toBe(
      '../../../../bus/visorbus/drivers/visorconinclient',
    );
    const dev0 = outcome.channels
      .forPartition('guest1')
      .find((c) => c.kind === 'device' && c.devNo === 0);
    expect(files['/sys/devices/visorbus1/vbus1:dev0/physaddr']).toBe(
      `0x${dev0?.channelAddr.toString(16)}`,
    );
    expect(files['/sys/devices/visorbus1/vbus1:dev0/nbytes']).toBe(
      `0x${dev0?.channelBytes.toString(16)}`,
    );
  });

  test('with two guests polling at the same instants, different seeds give different interleavings', () => {
    const hashes = new Set([1, 2, 3].map((seed) => simulateBoot(twoGuests(), seed, 500).traceHash));
    expect(hashes.size).toBeGreaterThan(1);
    const outcome = simulateBoot(twoGuests(), 2, 2_000);
    expect(
      outcome.commandPartition.command?.outcomes.find((o) => o.type === 'cp.bringUpDone'),
    ).toMatchObject({ failed: [] });
  });

  test('the same seed gives the same trace hash; the run is a pure function of config and seed', () => {
    const a = simulateBoot(minimalGuestConfig(), 42, 1_000);
    const b = simulateBoot(minimalGuestConfig(), 42, 1_000);
    expect(a.traceHash).toBe(b.traceHash);
    expect(a.world.trace.length).toBeGreaterThan(10);
  });
});

function twoGuests(): Config {
  const base = minimalGuestConfig();
  const guest = base.partitions[1];
  if (guest === undefined) throw new Error('minimalGuestConfig has a guest');
  return { ...base, partitions: [...base.partitions, { ...guest, name: 'guest2', index: 2 }] };
}
