// The liveness deadlines: fed workloads unfinished at the bound, a vnic that never opened, a link
// down at the end, a flow with no reply after the last fault healed (its link never down) and one
// that stopped getting replies before the end (spar-protocol.md §4.2, §4.3, §4.8).

import { describe, expect, test } from 'vitest';
import {
  type FlowAtEnd,
  type InterfaceAtEnd,
  LINK_RECOVERY_GRACE_MS,
  linkRecoveryFindings,
  networkAtBound,
  networkHealedAtMs,
  unfinishedWork,
} from './liveness.js';

const flow = (over: Partial<FlowAtEnd> = {}): FlowAtEnd => ({
  flow: 0,
  to: '10.0.0.2',
  sent: 10,
  delivered: 10,
  lost: 0,
  count: 10,
  intervalMs: 10,
  timeoutMs: 1_000,
  started: true,
  finished: true,
  lastDeliveredAtMs: 900,
  ...over,
});

// The stall: 78 of 300 answered, the link up since 1 s and never down.
const stuck = flow({ flow: 3, count: 300, sent: 82, delivered: 78, finished: false });
const PATIENCE = LINK_RECOVERY_GRACE_MS + stuck.intervalMs + stuck.timeoutMs;

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
const running = { guest1: 'running', guest2: 'running', iosp0: 'running' };

describe('liveness deadlines', () => {
  test('smoke: every workload finished by the bound, every link up and every flow done', () => {
    expect(unfinishedWork({ finished: 2, submitted: 40, completed: 40 }, 2)).toBeNull();
    expect(linkRecoveryFindings([vnic], { guest1: [eth()] }, running, 1_500)).toEqual([]);
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
    expect(linkRecoveryFindings([vnic], {}, running, null)).toEqual([
      { kind: 'never-opened', guest: 'guest1', vnic },
    ]);
    expect(linkRecoveryFindings([vnic], {}, { ...running, iosp0: 'crashed' }, null)).toEqual([]);
  });

  test('a link down at the end misses link recovery, unless its IOSP is not running', () => {
    const down = eth({ up: false });
    expect(linkRecoveryFindings([vnic], { guest1: [down] }, running, null)).toEqual([
      { kind: 'link-down', guest: 'guest1', ifname: 'eth0' },
    ]);
    expect(linkRecoveryFindings([], { guest1: [down] }, { guest1: 'running' }, null)).toEqual([]);
  });

  test('the network heals at the later of the last fault healing and the last link coming up', () => {
    const late = eth({ lastLinkUpMs: 4_000 });
    expect(networkHealedAtMs({ guest1: [eth()], guest2: [late] }, 2_502)).toBe(4_000);
    expect(networkHealedAtMs({ guest1: [eth()] }, 2_502)).toBe(2_502);
    expect(networkHealedAtMs({ guest1: [eth({ lastLinkUpMs: null })] }, null)).toBe(0);
  });

  test('an unfinished flow whose last reply came before the last fault healed has stalled, though its link never went down', () => {
    const before = { ...stuck, lastDeliveredAtMs: 2_400 };
    const i = eth({ atMs: 2_502 + PATIENCE, flows: [before] });
    expect(linkRecoveryFindings([vnic], { guest1: [i] }, running, 2_502)).toEqual([
      { kind: 'stalled', guest: 'guest1', ifname: 'eth0', flow: before, healedAtMs: 2_502 },
    ]);
    const never = { ...stuck, lastDeliveredAtMs: null };
    expect(
      linkRecoveryFindings(
        [vnic],
        { guest1: [eth({ atMs: 2_502 + PATIENCE, flows: [never] })] },
        running,
        2_502,
      ),
    ).toEqual([
      { kind: 'stalled', guest: 'guest1', ifname: 'eth0', flow: never, healedAtMs: 2_502 },
    ]);
  });

  test('a link that came up after the fault moves the heal: a reply between the two does not count', () => {
    const between = { ...stuck, lastDeliveredAtMs: 3_000 };
    const other = eth({ lastLinkUpMs: 4_000, flows: [] });
    const i = eth({ atMs: 4_000 + PATIENCE, flows: [between] });
    expect(linkRecoveryFindings([vnic], { guest1: [i], guest2: [other] }, running, 2_502)).toEqual([
      { kind: 'stalled', guest: 'guest1', ifname: 'eth0', flow: between, healedAtMs: 4_000 },
    ]);
  });

  test('an unfinished flow with replies after the heal that then stopped for its patience has stopped', () => {
    const stopped = { ...stuck, lastDeliveredAtMs: 2_600 };
    const i = eth({ atMs: 2_600 + PATIENCE, flows: [stopped] });
    expect(linkRecoveryFindings([vnic], { guest1: [i] }, running, 2_502)).toEqual([
      { kind: 'stopped', guest: 'guest1', ifname: 'eth0', flow: stopped, endMs: 2_600 + PATIENCE },
    ]);
  });

  test('an unfinished flow still answered after the heal, too young to judge, or not started is not stalled', () => {
    const flowing = { ...stuck, lastDeliveredAtMs: 2_600 };
    const atEnd = 2_600 + PATIENCE - 1;
    expect(
      linkRecoveryFindings(
        [vnic],
        { guest1: [eth({ atMs: atEnd, flows: [flowing] })] },
        running,
        2_502,
      ),
    ).toEqual([]);
    const young = eth({
      atMs: 2_502 + PATIENCE - 1,
      flows: [{ ...stuck, lastDeliveredAtMs: null }],
    });
    expect(linkRecoveryFindings([vnic], { guest1: [young] }, running, 2_502)).toEqual([]);
    const waiting = { ...stuck, started: false, sent: 0, delivered: 0, lastDeliveredAtMs: null };
    const late = eth({ atMs: 2_502 + PATIENCE, flows: [waiting] });
    expect(linkRecoveryFindings([vnic], { guest1: [late] }, running, 2_502)).toEqual([]);
  });

  test('at the bound every link must be up and every flow finished', () => {
    const late = flow({ flow: 1, finished: false, sent: 4, delivered: 2, lost: 1 });
    expect(networkAtBound('guest1', [eth({ up: false, flows: [flow(), late] })])).toEqual([
      { kind: 'link-down', guest: 'guest1', ifname: 'eth0' },
      { kind: 'unfinished-flow', guest: 'guest1', ifname: 'eth0', flow: late },
    ]);
  });
});
