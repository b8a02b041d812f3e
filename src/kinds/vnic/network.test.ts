// The network a configuration describes: addresses by configuration order, the default segment,
// pings that cannot be answered, and vnics that would get no address of their own.

import { describe, expect, test } from 'vitest';
import type { Config, PartitionConfig } from '../../hypervisor/config.js';
import { networkPlan } from './network.js';

const guest = (
  name: string,
  index: number,
  segment: string | undefined,
  workloads: PartitionConfig['workloads'] = [],
): PartitionConfig => ({
  name,
  kind: 'guest',
  index,
  buses: [{ busNo: 2, deviceCount: 1 }],
  devices: [
    {
      busNo: 2,
      devNo: 0,
      channelType: 'vnic',
      server: 'iosp0',
      ...(segment === undefined ? {} : { segment }),
    },
  ],
  workloads,
});
const config = (guests: PartitionConfig[], nics = [{ name: 'eth0', switch: 'red' }]): Config => ({
  jiffyMs: 1,
  partitions: [
    { name: 'cp', kind: 'command', index: 0, buses: [], devices: [] },
    { name: 'iosp0', kind: 'iosp', index: 1, buses: [], devices: [], hardware: { scsi: [], nics } },
    ...guests,
  ],
});
const ping = (to: string) => ({
  kind: 'ping' as const,
  to,
  count: 1,
  intervalMs: 1,
  frameBytes: 64,
  window: 1,
  timeoutMs: 10,
  start: 0,
});

describe('network plan', () => {
  test("segments in order of first appearance are 10.k.0.0/24; vnics get .1, .2… and MACs 02:53:50:00:00:n; the outside .254; no segment means the IOSP's first NIC's", () => {
    const plan = networkPlan(
      config([guest('g1', 2, 'blue'), guest('g2', 3, undefined), guest('g3', 4, 'blue')]),
    );
    expect(plan.segments).toEqual(['blue', 'red']);
    expect(
      plan.vnics.map((v) => [v.guest, v.segment, v.ip.toString(16), v.mac.toString(16)]),
    ).toEqual([
      ['g1', 'blue', 'a000001', '25350000001'],
      ['g2', 'red', 'a010001', '25350000002'],
      ['g3', 'blue', 'a000002', '25350000003'],
    ]);
    expect(plan.uplinks.map((u) => [u.nic, u.segment, u.ip.toString(16)])).toEqual([
      ['eth0', 'red', 'a0100fe'],
    ]);
  });

  test('a ping resolves to the peer on the same IOSP and segment or to the outside through an uplink; otherwise it is unreachable, with why', () => {
    const plan = networkPlan(
      config([
        guest('g1', 2, 'blue', [ping('g3'), ping('outside'), ping('g2')]),
        guest('g2', 3, 'red', [ping('outside')]),
        guest('g3', 4, 'blue'),
      ]),
    );
    expect(plan.flows.map((f) => [f.flow, f.guest, f.to, f.dstIp.toString(16)])).toEqual([
      [1, 'g1', 'g3', 'a000002'],
      [2, 'g2', 'outside', 'a0100fe'],
    ]);
    expect(plan.unreachable.map((u) => [u.guest, u.workload])).toEqual([
      ['g1', 1],
      ['g1', 2],
    ]);
    expect(plan.unreachable[0]?.reason).toMatch(/uplink/);
  });

  test('a /24 holds 253 vnics beside one outside host: the 254th and 255th vnic of a segment get no address', () => {
    const many = Array.from({ length: 255 }, (_, i) => guest(`g${i + 1}`, i + 2, 'red'));
    const plan = networkPlan(config(many));
    expect(plan.unaddressable.map((u) => u.guest)).toEqual(['g254', 'g255']);
    expect(plan.vnics[252]?.ip.toString(16)).toBe('a0000fd'); // red is segment 0 here
  });
});
