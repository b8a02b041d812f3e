import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  validateConfig,
  type ConfigErrorCode,
  type ConfigInput,
  type PartitionInput,
} from './config.js';
import { ioGuestConfig, minimalGuestConfig } from './presets.js';

const cp: PartitionInput = { name: 'cp', kind: 'command' };
const iosp0: PartitionInput = { name: 'iosp0', kind: 'iosp' };
const guest = (
  devices: PartitionInput['devices'],
  buses = [{ busNo: 1, deviceCount: 4 }],
): PartitionInput => ({
  name: 'guest1',
  kind: 'guest',
  buses,
  devices: devices ?? [],
});

/** The errors of an input that must not validate. */
function errorsOf(input: ConfigInput) {
  const result = validateConfig(input);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.error;
}

interface Case {
  readonly code: ConfigErrorCode;
  readonly input: ConfigInput;
  readonly at: { path: string; partition?: string; busNo?: number; devNo?: number };
}

const cases: readonly Case[] = [
  { code: 'bad-jiffy', input: { partitions: [cp], jiffyMs: 0 }, at: { path: 'jiffyMs' } },
  {
    code: 'bad-partition-name',
    input: { partitions: [cp, { name: '', kind: 'guest' }] },
    at: { path: 'partitions[1]', partition: '' },
  },
  {
    code: 'duplicate-partition-name',
    input: { partitions: [cp, { name: 'g', kind: 'guest' }, { name: 'g', kind: 'guest' }] },
    at: { path: 'partitions[2]', partition: 'g' },
  },
  {
    code: 'unknown-partition-kind',
    input: { partitions: [cp, { name: 'x', kind: 'router' }] },
    at: { path: 'partitions[1]', partition: 'x' },
  },
  {
    code: 'bad-partition-index',
    input: { partitions: [cp, { name: 'g', kind: 'guest', index: -1 }] },
    at: { path: 'partitions[1]', partition: 'g' },
  },
  {
    code: 'duplicate-partition-index',
    input: { partitions: [cp, { name: 'g', kind: 'guest', index: 0 }] },
    at: { path: 'partitions[1]', partition: 'g' },
  },
  {
    code: 'command-partition-count',
    input: { partitions: [guest([])] },
    at: { path: 'partitions' },
  },
  {
    code: 'buses-on-non-guest',
    input: { partitions: [cp, { ...iosp0, buses: [{ busNo: 0, deviceCount: 1 }] }] },
    at: { path: 'partitions[1]', partition: 'iosp0' },
  },
  {
    code: 'bad-bus-number',
    input: { partitions: [cp, guest([], [{ busNo: 1.5, deviceCount: 1 }])] },
    at: { path: 'partitions[1].buses[0]', partition: 'guest1', busNo: 1.5 },
  },
  {
    code: 'duplicate-bus',
    input: {
      partitions: [
        cp,
        guest(
          [],
          [
            { busNo: 1, deviceCount: 1 },
            { busNo: 1, deviceCount: 2 },
          ],
        ),
      ],
    },
    at: { path: 'partitions[1].buses[1]', partition: 'guest1', busNo: 1 },
  },
  {
    code: 'bad-device-count',
    input: { partitions: [cp, guest([], [{ busNo: 1, deviceCount: 0 }])] },
    at: { path: 'partitions[1].buses[0]', partition: 'guest1', busNo: 1 },
  },
  {
    code: 'unknown-channel-type',
    input: { partitions: [cp, guest([{ busNo: 1, devNo: 0, channelType: 'floppy' }])] },
    at: { path: 'partitions[1].devices[0]', partition: 'guest1', busNo: 1, devNo: 0 },
  },
  {
    code: 'bad-device-number',
    input: { partitions: [cp, guest([{ busNo: 1, devNo: -1, channelType: 'mouse' }])] },
    at: { path: 'partitions[1].devices[0]', partition: 'guest1', busNo: 1, devNo: -1 },
  },
  {
    code: 'device-on-missing-bus',
    input: { partitions: [cp, guest([{ busNo: 7, devNo: 0, channelType: 'keyboard' }])] },
    at: { path: 'partitions[1].devices[0]', partition: 'guest1', busNo: 7, devNo: 0 },
  },
  {
    code: 'duplicate-dev-no',
    input: {
      partitions: [
        cp,
        guest([
          { busNo: 1, devNo: 2, channelType: 'keyboard' },
          { busNo: 1, devNo: 2, channelType: 'mouse' },
        ]),
      ],
    },
    at: { path: 'partitions[1].devices[1]', partition: 'guest1', busNo: 1, devNo: 2 },
  },
  {
    code: 'dev-no-out-of-range',
    input: { partitions: [cp, guest([{ busNo: 1, devNo: 4, channelType: 'video' }])] },
    at: { path: 'partitions[1].devices[0]', partition: 'guest1', busNo: 1, devNo: 4 },
  },
  {
    code: 'server-not-iosp',
    input: { partitions: [cp, guest([{ busNo: 1, devNo: 0, channelType: 'vhba', server: 'cp' }])] },
    at: { path: 'partitions[1].devices[0]', partition: 'guest1', busNo: 1, devNo: 0 },
  },
  {
    code: 'server-not-command',
    input: {
      partitions: [
        cp,
        iosp0,
        guest([{ busNo: 1, devNo: 0, channelType: 'diag', server: 'iosp0' }]),
      ],
    },
    at: { path: 'partitions[2].devices[0]', partition: 'guest1', busNo: 1, devNo: 0 },
  },
];

describe('hypervisor/config', () => {
  it('accepts both presets unchanged', () => {
    for (const config of [minimalGuestConfig(), ioGuestConfig()]) {
      expect(validateConfig(config)).toEqual({ ok: true, value: config });
    }
  });

  it('fills defaults: HZ=1000 jiffies, index by position, console devices served by cp', () => {
    const result = validateConfig({
      partitions: [cp, guest([{ busNo: 1, devNo: 0, channelType: 'console-serial' }])],
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.jiffyMs).toBe(1);
    expect(result.value.partitions.map((p) => p.index)).toEqual([0, 1]);
    expect(result.value.partitions[1]?.devices[0]?.server).toBe('cp');
  });

  it.each(cases)(
    'reports $code naming the offending partition, bus and device',
    ({ code, input, at }) => {
      const found = errorsOf(input).filter((e) => e.code === code);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject(at);
      if (at.partition !== undefined && at.partition !== '')
        expect(found[0]?.message).toContain(`partition ${at.partition}`);
      if (at.busNo !== undefined) expect(found[0]?.message).toContain(`bus ${at.busNo}`);
      if (at.devNo !== undefined) expect(found[0]?.message).toContain(`dev ${at.devNo}`);
    },
  );

  it('a vhba whose server does not exist is refused as not an iosp', () => {
    const errors = errorsOf({
      partitions: [cp, guest([{ busNo: 1, devNo: 0, channelType: 'vnic', server: 'nobody' }])],
    });
    expect(errors.map((e) => e.code)).toEqual(['server-not-iosp']);
    expect(errors[0]?.message).toContain('no such partition');
  });

  it('reports every error of an input, not only the first', () => {
    const errors = errorsOf({
      jiffyMs: -1,
      partitions: [cp, cp, guest([{ busNo: 9, devNo: 0, channelType: 'tape' }])],
    });
    expect(new Set(errors.map((e) => e.code))).toEqual(
      new Set([
        'bad-jiffy',
        'duplicate-partition-name',
        'unknown-channel-type',
        'device-on-missing-bus',
      ]),
    );
  });

  it('never throws for hostile input: every input is a config or a non-empty error list', () => {
    const num = fc.oneof(
      fc.integer({ min: -3, max: 300 }),
      fc.constantFrom(Number.NaN, Infinity, 0.5, 2 ** 33),
    );
    const text = fc.constantFrom(
      '',
      'cp',
      'iosp0',
      'guest1',
      'vhba',
      'vnic',
      'mouse',
      'diag',
      'controlvm',
      'command',
      'iosp',
      'guest',
      'x',
    );
    const device = fc.record(
      { busNo: num, devNo: num, channelType: text, server: text },
      { requiredKeys: ['busNo', 'devNo', 'channelType'] },
    );
    const partition = fc.record(
      {
        name: text,
        kind: text,
        index: num,
        buses: fc.array(fc.record({ busNo: num, deviceCount: num }), { maxLength: 3 }),
        devices: fc.array(device, { maxLength: 4 }),
      },
      { requiredKeys: ['name', 'kind'] },
    );
    const input = fc.record(
      { partitions: fc.array(partition, { maxLength: 5 }), jiffyMs: num },
      { requiredKeys: ['partitions'] },
    );
    fc.assert(
      fc.property(input, (i) => {
        const result = validateConfig(i);
        return result.ok || result.error.length > 0;
      }),
    );
  });
});
