// The channel faults end to end in the sim runtime (issue #14): a lost doorbell only delays a
// poller until its next poll, a spurious one wakes a poller that finds nothing, and a queue held
// full drives the guest's command ring full without losing or duplicating a request.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Channel } from '../channel/index.js';
import { IOCHAN_TO_IOPART } from '../protocol/uiscmdrsp-constants.js';
import { VHBA_CHANNEL } from '../kinds/vhba/channel.js';
import { doorbellOf } from '../hypervisor/index.js';
import { SimRun } from '../runtime/sim/index.js';
import { loadScenarioText } from '../scenario/load.js';
import type { ScenarioFault } from '../scenario/schema.js';
import { applyFault } from './faults.js';
import { runScenario } from './run-scenario.js';
import { ROOT, simOptions } from './testing/shipped.js';

const VHBA = 'guest1/vbus2:dev0';

// The shipped storage scenario without its reboots, `edit` applied to its text, with `faults`.
function storage(faults: readonly ScenarioFault[], edit: (text: string) => string = (t) => t) {
  const text = readFileSync(join(ROOT, 'scenarios/iosp-reboot-storage.yaml'), 'utf8');
  const loaded = loadScenarioText(edit(text), 'storage');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  return { ...loaded.value, scenario: { ...loaded.value.scenario, faults } };
}

const deep = (t: string) => t.replace('queueDepth: 8, ops: 1200', 'queueDepth: 100, ops: 1200');

// Every one of the workload's 1200 requests completed once, none failed, no write lost.
function expectAllAnswered(report: Awaited<ReturnType<typeof runScenario>>['report']): void {
  expect(report.io.total).toMatchObject({
    submitted: 1200,
    completed: 1200,
    failed: 0,
    lostAckedWrites: 0,
    duplicateCompletions: 0,
  });
}

describe('channel faults', () => {
  test('smoke: every IOSP response doorbell of the storage channel lost for 3 s, the guest still gets every completion once, by polling, and nothing is lost', async () => {
    const lost: ScenarioFault = {
      action: 'doorbell-lost',
      partition: 'guest1',
      channel: VHBA,
      rate: 1,
      for: 3_000,
      at: 0,
    };
    const { report, trace } = await runScenario(storage([lost]), simOptions(6_000));
    const lostRings = trace.filter((r) => r.event === 'doorbell.lost');
    expect(lostRings.length).toBeGreaterThan(100);
    expect(new Set(lostRings.map((r) => `${r.partition} ${r.state}`))).toEqual(
      new Set(['iosp0 client']),
    );
    expect(lostRings.every((r) => r.atMs < 3_000)).toBe(true);
    expect(report.faults).toEqual({ 'doorbell-lost': 1 });
    expectAllAnswered(report);
    expect(report.verdict).toBe('pass');
  });

  test('a lost doorbell with a chance takes about that share of rings, the same ones for the same seed', async () => {
    const half: ScenarioFault = {
      action: 'doorbell-lost',
      partition: 'iosp0',
      rate: 0.5,
      for: 2_000,
      at: 0,
    };
    const lostOf = async () => {
      const { report, trace } = await runScenario(storage([half]), simOptions(4_000));
      expect(report.verdict).toBe('pass');
      return trace.filter((r) => r.event === 'doorbell.lost').map((r) => r.atMs);
    };
    const first = await lostOf();
    expect(first.length).toBeGreaterThan(50);
    expect(await lostOf()).toEqual(first);
  });

  test('without `for` a doorbell-lost takes exactly `count` rings', async () => {
    const three: ScenarioFault = {
      action: 'doorbell-lost',
      partition: 'iosp0',
      count: 3,
      rate: 1,
      at: 100,
    };
    const { report, trace } = await runScenario(storage([three]), simOptions(3_000));
    expect(trace.filter((r) => r.event === 'doorbell.lost')).toHaveLength(3);
    expect(report.verdict).toBe('pass');
  });

  test('a spurious doorbell wakes the listener of its side, and channel memory is unchanged: it announced nothing', () => {
    const idle = (t: string) => t.replace('maxBlocks: 8 }', 'maxBlocks: 8, start: 10s }');
    const run = new SimRun(storage([], idle).config, 1);
    run.bootAll();
    run.runUntil(500);
    const record = run.channels.byId(VHBA);
    if (record === undefined) throw new Error(`no channel ${VHBA}`);
    const woken: number[] = [];
    run.world
      .environment('guest1')
      .onRing(doorbellOf(record), 'client', () => woken.push(run.now()));
    const before = new Uint8Array(record.buffer).slice();
    const spurious: ScenarioFault = {
      action: 'doorbell-spurious',
      partition: 'guest1',
      channel: VHBA,
      count: 5,
      for: 100,
      at: 500,
    };
    const where = { index: 0, atMs: 500, ports: run.channelFaultPorts() };
    expect(applyFault(run.hypervisor, run.hardware, spurious, where)).toBeNull();
    run.runUntil(700);
    expect(woken.length).toBeGreaterThanOrEqual(2);
    expect(woken.every((t) => t >= 500 && t <= 600)).toBe(true);
    expect(new Uint8Array(record.buffer)).toEqual(before);
  });

  test('spurious doorbells on every channel of a guest and of the IOSP under IO change no outcome', async () => {
    const noise: ScenarioFault[] = ['guest1', 'iosp0'].map((partition) => ({
      action: 'doorbell-spurious',
      partition,
      count: 200,
      for: 2_000,
      at: 0,
    }));
    const { report } = await runScenario(storage(noise), simOptions(4_000));
    expect(report.faults).toEqual({ 'doorbell-spurious': 2 });
    expect(report.io.total).toMatchObject({ submitted: 1200, completed: 1200, failed: 0 });
    expect(report.verdict).toBe('pass');
  });

  test('queue-full drives the guest command ring full while held; the guest backs off and retries, and every request completes exactly once afterwards', async () => {
    const hold: ScenarioFault = {
      action: 'queue-full',
      partition: 'iosp0',
      channel: VHBA,
      for: 500,
      at: 20,
    };
    const run = new SimRun(storage([], deep).config, 1);
    run.bootAll();
    run.at(20, 'hold', () => {
      const where = { index: 0, atMs: 20, ports: run.channelFaultPorts() };
      expect(applyFault(run.hypervisor, run.hardware, hold, where)).toBeNull();
    });
    run.runUntil(300);
    const record = run.channels.byId(VHBA);
    if (record === undefined) throw new Error(`no channel ${VHBA}`);
    const channel = Channel.attachAs(record.buffer, VHBA_CHANNEL);
    if (!channel.ok) throw new Error(channel.error.message);
    const commands = channel.value.queue(IOCHAN_TO_IOPART);
    expect(commands.occupancy()).toBe(commands.slotCount - 1);
    const { report } = await runScenario(storage([hold], deep), simOptions(6_000));
    expect(report.faults).toEqual({ 'queue-full': 1 });
    expectAllAnswered(report);
    expect(report.verdict).toBe('pass');
  });
});
