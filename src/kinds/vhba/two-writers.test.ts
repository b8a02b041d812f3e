// The two-writers scenario: two guests write and read the same blocks of one disk across IOSP
// reboots, and the block register judges each block (spar-protocol.md §4.2). It passes, and not
// vacuously: the guests read each other's writes, which a one-writer ledger would call lost.

import { describe, expect, test } from 'vitest';
import { lostAckedWrites, registerReadFindings } from '../../check/index.js';
import { runScenario } from '../../run/run-scenario.js';
import { runSim } from '../../run/run-sim.js';
import { loadShipped, simOptions } from '../../run/testing/shipped.js';
import type { SimRun } from '../../runtime/sim/index.js';
import { hardwareOf } from '../index.js';
import { type VhbaGuestReport, vhbaReportOf } from './guest.js';
import { vhbaKind } from './index.js';

const GUESTS = ['guest1', 'guest2'] as const;

describe('two writers on one disk', () => {
  test('every read and every block keep the register across two IOSP reboots', async () => {
    const loaded = loadShipped('two-writers');
    const { report } = await runScenario(loaded, simOptions(loaded.scenario.until));
    expect(report.expectations.filter((e) => !e.ok)).toEqual([]);
    expect(report.faults).toEqual({ reboot: 2 });
    expect(report.io.total).toMatchObject({ submitted: 800, succeeded: 800, staleReads: 0 });
  });

  test("each guest reads the other's writes, which only the register, not a one-writer ledger, accepts", () => {
    const loaded = loadShipped('two-writers');
    let last: SimRun | null = null;
    const reportOf = (run: SimRun, g: string) => vhbaReportOf(run.host(g)?.view());
    const finished = (r: VhbaGuestReport | null) => r?.workloads[0]?.finished === true;
    runSim(loaded, 1, loaded.scenario.until, {
      everyMs: (run) => {
        last = run;
        return GUESTS.every((g) => finished(reportOf(run, g)));
      },
    });
    const run = last as SimRun | null;
    if (run === null) throw new Error('the run never sampled');
    const reports = GUESTS.map((g) => reportOf(run, g));
    const [one, two] = reports.map((r) => r?.workloads[0]);
    if (one === undefined || two === undefined) throw new Error('a workload is missing');
    const histories = [
      { writer: 'guest1', ops: one.history },
      { writer: 'guest2', ops: two.history },
    ];
    // guest1 writes odd versions, guest2 even ones: reads that showed the other's version.
    const crossed = (ops: typeof one.history, parity: number) =>
      ops.filter((op) => op.read?.some((v) => v !== null && v > 0 && v % 2 === parity)).length;
    expect(crossed(one.history, 0), "guest1 read guest2's writes").toBeGreaterThan(0);
    expect(crossed(two.history, 1), "guest2 read guest1's writes").toBeGreaterThan(0);
    expect(registerReadFindings(histories)).toEqual([]);
    // A ledger that assumes one writer per disk calls blocks the other guest overwrote lost.
    const disks = hardwareOf(vhbaKind, run.hardware) ?? new Map();
    expect(lostAckedWrites([one, two], disks)).toBeGreaterThan(0);
    expect(one.counts.verifyFailures + two.counts.verifyFailures).toBeGreaterThan(0);
  });
});
