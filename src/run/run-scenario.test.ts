// Running scenarios end to end: the shipped default boots in both runtimes with every expectation
// met; the sim runtime is a pure function of the seed; faults fire by time and by condition.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadScenarioText } from '../scenario/load.js';
import { SimRun } from '../runtime/sim/index.js';
import { runScenario, type RunOptions } from './run-scenario.js';
import { loadShipped, ROOT, simOptions } from './testing/shipped.js';

const DIR = join(ROOT, 'scenarios');
const load = loadShipped;
const opts = (over: Partial<RunOptions> = {}): RunOptions => simOptions(2_000, over);

describe('running scenarios', () => {
  test('a disk of any block size from 512 to 4096 bytes carries the storage scenario: every request completes once and no acknowledged write is lost', async () => {
    const text = readFileSync(join(DIR, 'iosp-reboot-storage.yaml'), 'utf8');
    for (const blockSize of [512, 1024, 2048, 4096]) {
      const sized = text.replace('blockSize: 512', `blockSize: ${blockSize}`);
      expect(sized).toContain(`blockSize: ${blockSize}`);
      const loaded = loadScenarioText(sized, `block size ${blockSize}`);
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
      const untilMs = loaded.value.scenario.until;
      const { report } = await runScenario(loaded.value, opts({ untilMs }));
      expect(
        report.expectations.filter((e) => !e.ok),
        `blockSize ${blockSize}`,
      ).toEqual([]);
      expect(report.io.total).toMatchObject({
        submitted: 1200,
        succeeded: 1200,
        lostAckedWrites: 0,
      });
    }
  });

  test('boot-minimal passes every expectation in the sim runtime', async () => {
    const { report } = await runScenario(load('boot-minimal'), opts());
    expect(report.expectations.filter((e) => !e.ok)).toEqual([]);
    expect(report.verdict).toBe('pass');
    expect(report.partitions).toEqual([
      { name: 'cp', kind: 'command', state: 'running' },
      { name: 'guest1', kind: 'guest', state: 'running' },
    ]);
    expect(report.stats.virtualMs).toBe(2_000);
  });

  test('with the quirk ack-after-response boot-minimal fails every-request-answered only: each of its 6 responses came before its ack, the first at the guest writing response 1', async () => {
    const loaded = load('boot-minimal');
    const quirked = { ...loaded, config: { ...loaded.config, quirks: ['ack-after-response'] } };
    const { report, trace } = await runScenario(quirked, opts());
    expect(report.verdict).toBe('fail');
    const failed = report.expectations.filter((e) => !e.ok);
    expect(failed.map((e) => e.name)).toEqual(['every-request-answered']);
    expect(failed[0]?.detail.split('; ')).toHaveLength(6);
    expect(failed[0]?.detail).toMatch(
      /^guest1 #1 id 0x301: response before its ack \(acked after it\);/,
    );
    const at = failed[0]?.firstViolation;
    expect(at?.found).toBe('record');
    expect(trace[at?.record ?? -1]).toMatchObject({
      partition: 'guest1',
      event: 'controlvm.respond',
    });
    expect(trace[at?.record ?? -1]?.detail?.['text']).toMatch(/ handle=1 /);
  });

  test('the same seed gives the same trace hash; the report says which seed and runtime', async () => {
    const a = await runScenario(load('guest-crash-reboot'), opts({ seed: 9 }));
    const b = await runScenario(load('guest-crash-reboot'), opts({ seed: 9 }));
    expect(a.report.traceHash).toBe(b.report.traceHash);
    expect(a.trace).toEqual(b.trace);
    expect(a.report).toMatchObject({ seed: 9, runtime: 'sim', scenario: 'guest-crash-reboot' });
  });

  test("guest-crash-reboot: the crash fires on its condition (the workload's 100th completion), the reboot on the crash, and the guest ends running 100 ms later", async () => {
    const { report, trace } = await runScenario(
      load('guest-crash-reboot'),
      opts({ untilMs: 1_000 }),
    );
    expect(report.faults).toEqual({ crash: 1, reboot: 1 });
    const done = trace.filter(
      (r) => r.actor === 'guest1/block-workload:disk0' && r.event === 'workload.done',
    );
    const crashAtMs = done[99]?.atMs;
    expect(crashAtMs).toBeGreaterThan(0);
    const lifecycle = trace
      .filter((r) => r.actor === 'guest1/lifecycle')
      .map((r) => [r.atMs, JSON.parse(r.state)]);
    expect(lifecycle).toEqual([
      [0, 'booting'],
      [0, 'running'],
      [crashAtMs, 'crashed'],
      [crashAtMs, 'rebooting'],
      [(crashAtMs ?? 0) + 100, 'booting'],
      [(crashAtMs ?? 0) + 100, 'running'],
    ]);
    expect(report.verdict).toBe('pass');
  });

  test('an unmet expectation fails the verdict and says why: a crashed guest is not running', async () => {
    const loaded = load('guest-crash-reboot');
    const crashOnly = {
      ...loaded,
      scenario: { ...loaded.scenario, faults: loaded.scenario.faults.slice(0, 1) },
    };
    const { report, trace } = await runScenario(crashOnly, opts({ untilMs: 1_000 }));
    expect(report.verdict).toBe('fail');
    const crash = trace.findIndex((r) => r.actor === 'guest1/lifecycle' && r.event === 'CRASH');
    expect(crash).toBeGreaterThan(0);
    // Its first violation: the crash the guest never came back from.
    expect(report.expectations.find((e) => e.name === 'guests-running')).toEqual({
      name: 'guests-running',
      kind: 'liveness',
      ok: false,
      detail: 'guest1 is crashed',
      firstViolation: { atMs: trace[crash]?.atMs, record: crash, found: 'record' },
    });
  });

  test('boot-minimal passes in the worker runtime too', async () => {
    const { report } = await runScenario(
      load('boot-minimal'),
      opts({ runtime: 'workers', untilMs: 1_500, wallClock: () => performance.now() }),
    );
    expect(report.expectations.filter((e) => !e.ok)).toEqual([]);
    expect(report.stats.traceRecords).toBeGreaterThan(20);
  }, 60_000);

  test('iosp-reboot-storage: three IOSP reboots under a write-and-verify workload, every storage expectation met (sim)', async () => {
    const { report, trace } = await runScenario(
      load('iosp-reboot-storage'),
      opts({ untilMs: 6_000 }),
    );
    expect(report.expectations.filter((e) => !e.ok)).toEqual([]);
    expect(report.faults).toEqual({ reboot: 3 });
    // Every reboot paused the guest's vhba with in-flight commands completed DID_RESET and retried.
    const standby = trace.filter(
      (r) => r.actor === 'cp/iosp-recovery' && r.event === 'cp.changeState',
    );
    expect(standby).toHaveLength(6);
    expect(report.expectations.find((e) => e.name === 'io-resumes')?.detail).toMatch(
      /\(([1-9]\d*) retries after resets\)/,
    );
  });

  test.each([
    ['lose-pending-on-pause', 'io-resumes'],
    ['double-complete-on-resume', 'exactly-once-completion'],
  ])('with the quirk %s the storage scenario fails %s', async (quirk, expectation) => {
    const loaded = load('iosp-reboot-storage');
    const quirked = { ...loaded, config: { ...loaded.config, quirks: [quirk] } };
    const { report, trace } = await runScenario(quirked, opts({ untilMs: 6_000 }));
    expect(report.verdict).toBe('fail');
    expect(report.expectations.filter((e) => !e.ok).map((e) => e.name)).toEqual([expectation]);
    // A duplicate completion points at the record of the second completion of one tag; a
    // workload that never finished is judged at the end.
    const at = report.expectations.find((e) => !e.ok)?.firstViolation;
    if (expectation === 'exactly-once-completion') {
      const r = trace[at?.record ?? -1];
      expect(at?.found).toBe('record');
      expect(r?.event).toBe('scsi.complete');
      const same = trace.filter(
        (x) =>
          x.event === r?.event &&
          x.actor === r?.actor &&
          x.detail?.['text'] === r?.detail?.['text'],
      );
      expect(same.length).toBeGreaterThanOrEqual(2);
      expect(same[1]).toBe(r); // the first repeat, not a later one
    } else {
      expect(at).toMatchObject({ found: 'end', atMs: 6_000 });
      expect(trace[at?.record ?? -1]?.partition).toBe('guest1');
    }
  });

  // Run past the CP's 30 s response timeout: only then does the CP send the next standby, which
  // the device's still-pending resume makes visorchipset refuse (§3.5, §2.6 EIO).
  // The requests stuck behind the unanswered resume do not stay stuck: past sd's 30 s command
  // timeout the midlayer's error handler ends each of them (machines/scsi-midlayer.eh.ts), so the
  // workload finishes and only the control plane's promise is broken.
  test('with the quirk visorhba-resume-no-complete the storage scenario fails every-request-answered: the first resume is never answered, and every later CHANGESTATE is refused EIO without reaching virthba', async () => {
    const loaded = load('iosp-reboot-storage');
    const quirked = {
      ...loaded,
      config: { ...loaded.config, quirks: ['visorhba-resume-no-complete'] },
    };
    const { report, trace } = await runScenario(quirked, opts({ untilMs: 31_000 }));
    expect(report.verdict).toBe('fail');
    expect(report.expectations.filter((e) => !e.ok).map((e) => e.name)).toEqual([
      'every-request-answered',
    ]);
    const text = (r: (typeof trace)[number]) => String(r.detail?.['text'] ?? '');
    const answers = trace
      .filter(
        (r) =>
          r.actor === 'guest1/visorchipset' &&
          r.event === 'controlvm.respond' &&
          text(r).startsWith('CONTROLVM_DEVICE_CHANGESTATE'),
      )
      .map((r) => ({
        handle: /handle=(\d+)/.exec(text(r))?.[1],
        status: /status=(\d+)/.exec(text(r))?.[1],
        late: r.atMs >= 30_000,
      }));
    // Handle 5 is the first standby, 6 the unanswered running; 7–10 the next two reboots' pairs.
    expect(answers).toEqual([
      { handle: '5', status: '0', late: false },
      ...['7', '8', '9', '10'].map((handle) => ({ handle, status: '5', late: true })),
    ]);
    const virthba = (event: string) =>
      trace.filter((r) => r.actor === 'guest1/virthba:2:0' && r.event === event).length;
    expect(
      [virthba('driver.suspended'), virthba('driver.resumed')],
      'paused and resumed once, by the first reboot',
    ).toEqual([1, 1]);
  });

  test('iosp-reboot-storage passes in the worker runtime too: three reboots fire, no write lost', async () => {
    const { report } = await runScenario(
      load('iosp-reboot-storage'),
      opts({ runtime: 'workers', untilMs: 60_000, wallClock: () => performance.now() }),
    );
    expect(report.faults).toEqual({ reboot: 3 });
    expect(report.expectations.filter((e) => !e.ok)).toEqual([]);
  }, 120_000);

  test("iosp-hang-watchdog: nobody reports the hang; the CP's watchdog finds it within its timeout and has the IOSP rebooted; IO finishes", async () => {
    const { report, trace } = await runScenario(
      load('iosp-hang-watchdog'),
      opts({ untilMs: 6_000 }),
    );
    expect(report.expectations.filter((e) => !e.ok)).toEqual([]);
    const reboot = trace.find(
      (r) => r.actor === 'cp/iosp-recovery' && r.event === 'hypervisor.reboot',
    );
    expect(reboot?.atMs).toBeGreaterThanOrEqual(60 + 1_000);
    expect(reboot?.atMs).toBeLessThanOrEqual(60 + 1_000 + 100);
    expect(report.partitions.find((p) => p.name === 'iosp0')?.state).toBe('running');
  });

  test('disk-error faults: the failing requests fail explicitly (medium error, not retried), nothing else does, no write is lost', async () => {
    const loaded = load('iosp-reboot-storage');
    const errors = [
      {
        action: 'disk-error' as const,
        partition: 'iosp0',
        disk: 'disk0',
        op: 'write' as const,
        lba: 0,
        count: 2048,
        times: 3,
        at: 20,
      },
      {
        action: 'disk-error' as const,
        partition: 'iosp0',
        disk: 'disk0',
        op: 'read' as const,
        lba: 0,
        count: 2048,
        times: 2,
        at: 50,
      },
    ];
    const withErrors = { ...loaded, scenario: { ...loaded.scenario, faults: errors } };
    const { report } = await runScenario(withErrors, opts({ untilMs: 6_000 }));
    expect(report.faults).toEqual({ 'disk-error': 2 });
    expect(report.io.total).toMatchObject({
      submitted: 1200,
      completed: 1200,
      failed: 5,
      succeeded: 1195,
      lostAckedWrites: 0,
      duplicateCompletions: 0,
    });
    expect(report.verdict).toBe('pass');
  });

  test('after every partition of a storage run shuts down nothing stays scheduled: no host, stack or workload keeps polling', () => {
    const run = new SimRun(load('iosp-reboot-storage').config, 1);
    run.bootAll();
    run.runUntil(100);
    for (const name of ['cp', 'guest1', 'iosp0'])
      expect(run.hypervisor.shutdown(name).ok).toBe(true);
    expect(run.world.scheduler.runUntilQuiet(10_000).stoppedBy).toBe('quiet');
  });

  test('the lost-write check reads the disks as they are: a read error still pending at the end is neither hit nor used up', async () => {
    const loaded = load('iosp-reboot-storage');
    const late = [
      {
        action: 'disk-error' as const,
        partition: 'iosp0',
        disk: 'disk0',
        op: 'read' as const,
        lba: 0,
        count: 2048,
        times: 3,
        at: 5_000,
      },
    ];
    const { report } = await runScenario(
      { ...loaded, scenario: { ...loaded.scenario, faults: late } },
      opts({ untilMs: 6_000 }),
    );
    expect(report.io.total).toMatchObject({ lostAckedWrites: 0, failed: 0 });
    expect(report.verdict).toBe('pass');
  });
  test("storage-isolation: guest1's scan finds disk0 at target 0, guest2's finds no disk and its READs are answered no-disk; with iosp-ignores-shared-with only storage-isolation fails", async () => {
    const loaded = load('storage-isolation');
    const { report } = await runScenario(loaded, opts());
    expect(report.expectations.filter((e) => !e.ok)).toEqual([]);
    expect(report.io.guests['guest1']?.scans).toEqual([
      {
        iosp: 'iosp0',
        targets: [
          { id: 0, inquiry: 'disk', serial: 'disk0' },
          { id: 1, inquiry: 'no-disk', read: 'no-disk' },
        ],
      },
    ]);
    expect(report.io.guests['guest2']?.scans).toEqual([
      {
        iosp: 'iosp0',
        targets: [
          { id: 0, inquiry: 'no-disk', read: 'no-disk' },
          { id: 1, inquiry: 'no-disk', read: 'no-disk' },
        ],
      },
    ]);
    const quirked = {
      ...loaded,
      config: { ...loaded.config, quirks: ['iosp-ignores-shared-with'] },
    };
    const bad = await runScenario(quirked, opts());
    expect(bad.report.verdict).toBe('fail');
    const failed = bad.report.expectations.filter((e) => !e.ok);
    expect(failed.map((e) => e.name)).toEqual(['storage-isolation']);
    expect(failed[0]?.detail).toBe(
      'guest2: iosp0 target 0 shows disk "disk0", which is not shared with it there',
    );
  });
});
