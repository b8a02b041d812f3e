// The disk-slow fault (issue #14): the next commands to a disk take as long as the fault says,
// across tens of seconds, and the guest still gets every request answered exactly once with
// nothing lost. (The midlayer's command timeout and abort/reset escalation are not modelled yet:
// scsi-midlayer.machine.ts's header.)

import { describe, expect, test } from 'vitest';
import { runScenario } from '../../run/run-scenario.js';
import { loadShipped, simOptions } from '../../run/testing/shipped.js';
import { Disk } from './disk.js';

describe('disk-slow', () => {
  test('smoke: a slowness takes exactly `times` commands, then the disk is back to its own latency', () => {
    const made = Disk.allocate({ name: 'd', blocks: 8, blockSize: 512 });
    if (!made.ok) throw new Error(made.error.message);
    const disk = made.value;
    expect(disk.takeSlowness()).toBeNull();
    expect(disk.injectSlowness({ times: 2, minMs: 100, maxMs: 200 }).ok).toBe(true);
    expect([disk.takeSlowness(), disk.takeSlowness(), disk.takeSlowness()]).toEqual([
      { minMs: 100, maxMs: 200 },
      { minMs: 100, maxMs: 200 },
      null,
    ]);
    expect(disk.injectSlowness({ times: 1, minMs: 5, maxMs: 1 }).ok).toBe(false);
  });

  test('commands slowed to 20–30 s each: every request still completes exactly once, late, and no acknowledged write is lost', async () => {
    const loaded = loadShipped('iosp-reboot-storage');
    const slow = {
      action: 'disk-slow' as const,
      partition: 'iosp0',
      disk: 'disk0',
      latencyMs: { min: 20_000, max: 30_000 },
      times: 4,
      at: 20,
    };
    const withSlow = { ...loaded, scenario: { ...loaded.scenario, faults: [slow] } };
    const { report, trace } = await runScenario(withSlow, simOptions(40_000));
    expect(report.faults).toEqual({ 'disk-slow': 1 });
    expect(report.io.total).toMatchObject({
      submitted: 1200,
      completed: 1200,
      failed: 0,
      lostAckedWrites: 0,
      duplicateCompletions: 0,
    });
    const finished = trace.find((r) => r.event === 'workload.finished');
    expect(finished?.atMs).toBeGreaterThanOrEqual(20_000);
    expect(report.verdict).toBe('pass');
  });
});
