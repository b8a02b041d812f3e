// A guest that crashes under IO and reboots (scenarios/guest-crash-reboot.yaml; issue #14 item 3):
// the command partition brings it up again, and its workload reads back, from the journal its
// crashed boot left, every block it had acknowledged. A block lost while the guest was down is
// caught by that read-back.

import { describe, expect, test } from 'vitest';
import { lbaEntries } from '../../../machines/block-workload.logic.js';
import type { WorkloadCounts } from '../../../machines/block-workload.types.js';
import { runScenario } from '../../run/run-scenario.js';
import { loadShipped, simOptions } from '../../run/testing/shipped.js';
import { SimRun } from '../../runtime/sim/index.js';
import type { Disk } from './disk.js';
import { vhbaReportOf } from './guest.js';
import { WorkloadJournal } from './workload-journal.js';

const scenario = loadShipped('guest-crash-reboot');

// Boots the scenario's configuration, crashes guest1 at 150 ms (its workload under way), reboots
// it at 200 ms for 100 ms, and runs `whileDown` at 250 ms.
function crashAndReboot(whileDown: (run: SimRun) => void): SimRun {
  const run = new SimRun(scenario.config, 1);
  expect(run.bootAll().ok).toBe(true);
  run.at(150, 'crash', () => run.hypervisor.crash('guest1'));
  run.at(200, 'reboot', () => run.hypervisor.reboot('guest1', 100));
  run.at(250, 'while-down', () => whileDown(run));
  run.runUntil(1_000);
  return run;
}

const countsOf = (run: SimRun): WorkloadCounts | undefined =>
  vhbaReportOf(run.host('guest1')?.view())?.workloads[0]?.counts;

describe('a guest crash under IO, and its reboot', () => {
  test('the CP brings the rebooted guest up again (a second cp.guestReady) and every expectation holds', async () => {
    const { report, trace } = await runScenario(scenario, simOptions(scenario.scenario.until));
    expect(report.verdict).toBe('pass');
    const cp = trace.filter((r) => r.actor === 'cp/command-partition').map((r) => r.event);
    expect(cp.filter((e) => e === 'cp.guestReady')).toHaveLength(2);
    expect(cp).toContain('cp.guestRebooted');
    expect(report.io.total.lostAckedWrites).toBe(0);
  });

  test('the rebooted workload reads back every block its crashed boot acknowledged, and all verify', () => {
    let acked = 0;
    const run = crashAndReboot((r) => {
      const journal = r.parts.journals.get('guest1');
      expect(journal).toBeDefined();
      const ledger = new WorkloadJournal(journal as SharedArrayBuffer).input('disk0').recovered;
      acked = lbaEntries(ledger?.lbas ?? {}).filter(([, s]) => s.acked > 0).length;
    });
    expect(acked).toBeGreaterThan(0);
    expect(countsOf(run)).toMatchObject({ recoveryReads: acked, verifyFailures: 0, failed: 0 });
  });

  test('an acknowledged block lost while the guest was down fails its read-back', () => {
    const run = crashAndReboot((r) => {
      const journal = r.parts.journals.get('guest1') as SharedArrayBuffer;
      const ledger = new WorkloadJournal(journal).input('disk0').recovered;
      const [lba] = lbaEntries(ledger?.lbas ?? {}).find(([, s]) => s.acked > 0) ?? [];
      expect(lba).toBeDefined();
      const disk = (r.hardware.get('vhba') as ReadonlyMap<string, Disk>).get('disk0');
      // The block goes back to never written: the write the guest was told is durable is gone.
      expect(disk?.write(lba ?? 0, new Uint8Array(512)).ok).toBe(true);
    });
    expect(countsOf(run)?.verifyFailures).toBeGreaterThanOrEqual(1);
  });
});
