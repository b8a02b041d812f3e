// The liveness deadlines: fed workloads unfinished at the bound, a vnic that never opened, a link
// down at the end and a flow with no reply long after its link came back (spar-protocol.md §4.2,
// §4.3, §4.8).

import { describe, expect, test } from 'vitest';
import {
  type FlowAtEnd,
  type InterfaceAtEnd,
  LINK_RECOVERY_GRACE_MS,
  linkRecoveryFindings,
  networkAtBound,
  unfinishedWork,
} from './liveness.js';

const flow = (over: Partial<FlowAtEnd> = {}): FlowAtEnd => ({
  flow: 0,
  to: '10.0.0.2',
  sent: 10,
  delivered: 10,
  lost: 0,
  finished: true,
  lastDeliveredAtMs: 900,
  ...over,
});

const eth = (over: Partial<InterfaceAtEnd> = {}): InterfaceAtEnd => ({
  ifname: 'eth0',
  busNo: 2,
  devNo: 0,
  iosp: 'iosp0',
  up: true,
  lastLinkUpMs: 1_000,
  atMs: 1_000 + LINK_RECOVERY_GRACE_MS,
  flows: [flow()],
  ...over,
});

const vnic = { guest: 'guest1', iosp: 'iosp0', busNo: 2, devNo: 0 };
const running = { guest1: 'running', iosp0: 'running' };

describe('liveness deadlines', () => {
  test('smoke: every workload finished by the bound, every link up and every flow done', () => {
    expect(unfinishedWork({ finished: 2, submitted: 40, completed: 40 }, 2)).toBeNull();
    expect(linkRecoveryFindings([vnic], { guest1: [eth()] }, running)).toEqual([]);
    expect(networkAtBound('guest1', [eth()])).toEqual([]);
  });

  test('a workload unfinished at the bound misses the deadline, with its outstanding requests', () => {
    expect(unfinishedWork({ finished: 1, submitted: 40, completed: 37 }, 2)).toEqual({
      unfinished: 1,
      expected: 2,
      outstanding: 3,
    });
  });

  test('a configured vnic of a running guest and IOSP that never opened misses link recovery', () => {
    expect(linkRecoveryFindings([vnic], {}, running)).toEqual([
      { kind: 'never-opened', guest: 'guest1', vnic },
    ]);
    expect(linkRecoveryFindings([vnic], {}, { ...running, iosp0: 'crashed' })).toEqual([]);
  });

  test('a link down at the end misses link recovery, unless its IOSP is not running', () => {
    const down = eth({ up: false });
    expect(linkRecoveryFindings([vnic], { guest1: [down] }, running)).toEqual([
      { kind: 'link-down', guest: 'guest1', ifname: 'eth0' },
    ]);
    expect(linkRecoveryFindings([], { guest1: [down] }, { guest1: 'running' })).toEqual([]);
  });

  test('a flow with no reply since a link-up at least the grace period ago has stalled', () => {
    const stalled = eth({ flows: [flow({ finished: false, lastDeliveredAtMs: 999 })] });
    expect(linkRecoveryFindings([vnic], { guest1: [stalled] }, running)).toEqual([
      { kind: 'stalled', guest: 'guest1', ifname: 'eth0', flow: 0, sinceMs: 1_000 },
    ]);
  });

  test('within the grace period, or with a reply since the link-up, an unfinished flow is not stalled', () => {
    const young = eth({
      atMs: 1_000 + LINK_RECOVERY_GRACE_MS - 1,
      flows: [flow({ finished: false, lastDeliveredAtMs: null })],
    });
    const flowing = eth({ flows: [flow({ finished: false, lastDeliveredAtMs: 1_000 })] });
    expect(linkRecoveryFindings([vnic], { guest1: [young] }, running)).toEqual([]);
    expect(linkRecoveryFindings([vnic], { guest1: [flowing] }, running)).toEqual([]);
  });

  test('at the bound every link must be up and every flow finished', () => {
    const late = flow({ flow: 1, finished: false, sent: 4, delivered: 2, lost: 1 });
    expect(networkAtBound('guest1', [eth({ up: false, flows: [flow(), late] })])).toEqual([
      { kind: 'link-down', guest: 'guest1', ifname: 'eth0' },
      { kind: 'unfinished-flow', guest: 'guest1', ifname: 'eth0', flow: late },
    ]);
  });
});
