// A ring lost to a doorbell-lost fault (issue #14) costs the guest at most one poll period of the
// real poller it stands for (spar-protocol.md §7): visorchipset's next jiffy poll, the vnic
// receive thread's timed wait. The sim skips idle polls that would find nothing, and the lost
// ring's `onLost` (Environment.onRing) keeps that from stretching into seconds.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { doorbellOf } from '../hypervisor/index.js';
import { runScenario } from '../run/run-scenario.js';
import { ROOT, simOptions } from '../run/testing/shipped.js';
import { Prng } from '../base/prng.js';
import { Doorbell, LOSS_SCALE } from '../channel/index.js';
import { SimRun } from '../runtime/sim/index.js';
import { WorkerEnvironment } from '../runtime/workers/worker-environment.js';
import { loadScenarioText } from '../scenario/load.js';
import type { ScenarioFault } from '../scenario/schema.js';

// A shipped scenario with `faults` added to its own.
function shipped(name: string, faults: readonly ScenarioFault[]) {
  const text = readFileSync(join(ROOT, `scenarios/${name}.yaml`), 'utf8');
  const loaded = loadScenarioText(text, name);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  const { scenario } = loaded.value;
  return { ...loaded.value, scenario: { ...scenario, faults: [...scenario.faults, ...faults] } };
}

describe('lost rings', () => {
  test('smoke: a lost ring runs the onLost of its side, never its onRing, and nothing for a listener without one', () => {
    const run = new SimRun(shipped('boot-minimal', []).config, 1);
    run.bootAll();
    run.runUntil(50);
    const record = run.channels.byId('guest1/controlvm');
    if (record === undefined) throw new Error('no guest1/controlvm');
    const bell = doorbellOf(record);
    const seen: string[] = [];
    const env = run.world.environment('cp');
    const stopA = env.onRing(
      bell,
      'client',
      () => seen.push('ring'),
      () => seen.push('lost'),
    );
    const stopB = env.onRing(bell, 'client', () => seen.push('ring-b'));
    bell.injectLoss('client', { count: 1, millionths: 1_000_000, untilMs: 10_000 });
    const before = bell.seen('client');
    env.ring(bell, 'client');
    run.runUntil(60);
    expect(seen).toEqual(['lost']);
    expect(bell.seen('client'), 'a lost ring leaves the ring count').toBe(before);
    expect(bell.lostSeen('client')).toBe(1);
    stopA();
    stopB();
  });

  test('in workers a lost ring wakes the listener through onLost, not onRing, within its wait', async () => {
    const env = new WorkerEnvironment('guest1', Prng.root(3), performance.timeOrigin, () => {});
    const bell = Doorbell.allocate();
    const seen: string[] = [];
    let lost: () => void = () => {};
    const woken = new Promise<void>((resolve) => {
      lost = resolve;
    });
    const stop = env.onRing(
      bell,
      'client',
      () => seen.push('ring'),
      () => {
        seen.push('lost');
        lost();
      },
    );
    bell.injectLoss('client', { count: 1, millionths: LOSS_SCALE, untilMs: 0x7fff_ffff });
    env.ring(bell, 'client');
    await woken;
    stop();
    expect(seen).toEqual(['lost']);
  });

  test('every CP ring to a guest lost around an IOSP reboot: the guest finds each CHANGESTATE at most one jiffy later than when it rang, not after MIN_IDLE_SECONDS of elided polls', async () => {
    const lost: ScenarioFault = {
      action: 'doorbell-lost',
      partition: 'guest1',
      channel: 'guest1/controlvm',
      rate: 1,
      for: 2_000,
      at: 1_000,
    };
    const requestTimes = async (faults: readonly ScenarioFault[]) => {
      const { report, trace } = await runScenario(
        shipped('iosp-reboot-network', faults),
        simOptions(3_000),
      );
      expect(report.verdict).toBe('pass');
      const lostRings = trace.filter((r) => r.event === 'doorbell.lost');
      const requests = trace.filter(
        (r) =>
          r.actor === 'guest1/visorchipset' && r.event === 'visorbus.request' && r.atMs > 1_000,
      );
      return { lostRings, times: requests.map((r) => r.atMs) };
    };
    const rung = await requestTimes([]);
    const lostRun = await requestTimes([lost]);
    expect(rung.times.length, 'the reboots pause and resume guest1').toBeGreaterThanOrEqual(4);
    expect(new Set(lostRun.lostRings.map((r) => `${r.partition} ${r.state}`))).toEqual(
      new Set(['cp client']),
    );
    expect(lostRun.times).toHaveLength(rung.times.length);
    const delays = lostRun.times.map((t, i) => t - (rung.times[i] ?? 0));
    expect(delays.every((d) => d >= 0 && d <= 1)).toBe(true);
  });

  test("every IOSP ring to a guest's vnic lost across a resume: the receive thread's timed wait finds the ENBDIS answer and the link comes back", async () => {
    const lost: ScenarioFault = {
      action: 'doorbell-lost',
      partition: 'guest1',
      channel: 'guest1/vbus2:dev0',
      rate: 1,
      for: 4_500,
      at: 1_400,
    };
    const { report, trace } = await runScenario(
      shipped('iosp-reboot-network', [lost]),
      simOptions(6_000),
    );
    const lostRings = trace.filter((r) => r.event === 'doorbell.lost');
    expect(lostRings.length).toBeGreaterThan(10);
    expect(new Set(lostRings.map((r) => `${r.partition} ${r.state}`))).toEqual(
      new Set(['iosp0 client']),
    );
    expect(report.verdict).toBe('pass');
  });
});
