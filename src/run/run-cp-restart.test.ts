// The command partition's own recovery end to end (issue #14 item 1): the two shipped scenarios
// pass in the sim runtime, the rebooted CP's bring-up is answered "already there", its previous
// incarnation's replies are ignored rather than reported, and with the quirk
// cp-restart-from-scratch (the CP before its restart recovery) both fail.

import { describe, expect, test } from 'vitest';
import { runScenario } from './run-scenario.js';
import { loadShipped, simOptions } from './testing/shipped.js';

const failed = (report: { expectations: readonly { name: string; ok: boolean }[] }) =>
  report.expectations.filter((e) => !e.ok).map((e) => e.name);

describe('the command partition restart scenarios', () => {
  test('cp-crash-mid-recovery (sim): the CP crashes after its pauses, the IOSP returns unseen, the rebooted CP finishes the recovery; storage and network recover', async () => {
    const { report, trace } = await runScenario(
      loadShipped('cp-crash-mid-recovery'),
      simOptions(6_000),
    );
    expect(failed(report)).toEqual([]);
    expect(report.faults).toEqual({ reboot: 2, crash: 1 });
    // The old incarnation's replies were read by the new one and ignored, not counted as strays.
    expect(trace.some((r) => r.event === 'cp.staleReply')).toBe(true);
    // The rebooted CP's CHIPSET_INIT was answered ALREADY_DONE (status 1) and the guests still came up.
    const alreadyDone = trace.filter(
      (r) =>
        r.event === 'cp.outcome' &&
        /CHIPSET_INIT handle=4294967\d+ guest=guest\d status=1$/.test(String(r.detail?.['text'])),
    );
    expect(alreadyDone).toHaveLength(3);
  });

  test('cp-reboot-then-iosp-reboot (sim): after the CP reboots, the IOSP reboot pauses and resumes the vhba, whose in-flight commands complete once', async () => {
    const { report } = await runScenario(
      loadShipped('cp-reboot-then-iosp-reboot'),
      simOptions(6_000),
    );
    expect(failed(report)).toEqual([]);
    expect(report.faults).toEqual({ reboot: 2 });
  });

  test.each([
    ['cp-crash-mid-recovery', ['bring-up-complete', 'io-resumes', 'link-recovers']],
    ['cp-reboot-then-iosp-reboot', ['bring-up-complete', 'io-resumes', 'link-recovers']],
  ])('with the quirk cp-restart-from-scratch %s fails %s', async (name, expectations) => {
    const loaded = loadShipped(name);
    const quirked = {
      ...loaded,
      config: { ...loaded.config, quirks: ['cp-restart-from-scratch'] },
    };
    const { report } = await runScenario(quirked, simOptions(6_000));
    expect(failed(report)).toEqual(expect.arrayContaining(expectations));
  });
});
