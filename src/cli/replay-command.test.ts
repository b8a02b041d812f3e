// `spar replay` (issue: the CLI): `--json` prints a report that validates against
// docs/replay.schema.json; `--scenario OUT.yaml` turns a storage-recovery counterexample (the
// seeded quirk double-complete-on-resume, shrunk by `spar fuzz --seed 2`) into a scenario file
// that `spar run OUT.yaml --runtime sim` fails with the same promise; a property whose case is not
// a scenario is a one-line usage error.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { PROPERTIES } from '../../properties/registry.js';
import type { Counterexample } from '../fuzz/campaign.js';
import { counterexampleFile, saveCounterexample } from '../fuzz/counterexample-file.js';
import { plantedProperty } from '../fuzz/testing.js';
import { runReplayCommand } from './replay-command.js';
import { docsSchema } from './testing/json-schema.js';
import { cli } from './testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'spar-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const validate = docsSchema('replay.schema.json');

/** Saves `value` as a counterexample of `property` with `quirks`; returns the file. */
function saved(property: string, value: unknown, quirks: string[], violations: string[]): string {
  const c: Counterexample = { value, violations, seed: 2, path: '', shrinks: 0 };
  return saveCounterexample(dir, counterexampleFile(property, quirks, c, ''));
}

// What `spar fuzz storage-recovery --quirk double-complete-on-resume --seed 2` found and shrank.
const DOUBLE_COMPLETE = {
  disks: [
    {
      iosp: 0,
      guests: [0],
      blocks: 16,
      blockSize: 512,
      latencyTenthsMs: [0, 0],
      workload: { queueDepth: 1, ops: 20, writePercent: 0, maxBlocks: 1 },
    },
  ],
  guests: 1,
  iosps: 1,
  faults: [{ kind: 'reboot', iosp: 0, atMs: 0, downMs: 0 }],
  simSeed: 0,
};

describe('spar replay', () => {
  test('--json prints a report that validates against docs/replay.schema.json', async () => {
    const file = saved('planted-below-50', 50, [], ['50 is not below 50']);
    const trace = join(dir, 'planted.jsonl');
    const { lines, fails } = await runReplayCommand({ file, trace, colour: false, json: true }, [
      plantedProperty,
    ]);
    expect(fails).toBe(true);
    const report = JSON.parse(lines.join('\n')) as Record<string, unknown>;
    expect(validate(report)).toEqual([]);
    expect(report).toMatchObject({ verdict: 'fail', violations: ['50 is not below 50'], trace });
    delete report['verdict'];
    expect(validate(report)).toContainEqual(expect.stringMatching(/verdict/));
  });

  test('--scenario writes a scenario that spar run fails with the same promise, and says so', async () => {
    const quirks = ['double-complete-on-resume'];
    const file = saved('storage-recovery', DOUBLE_COMPLETE, quirks, []);
    const out = join(dir, 'double-complete.yaml');
    const { lines, fails } = await runReplayCommand({
      file,
      trace: undefined,
      colour: false,
      json: true,
      scenario: out,
    });
    expect(fails).toBe(true);
    const report = JSON.parse(lines.join('\n')) as Record<string, unknown>;
    expect(validate(report)).toEqual([]);
    expect(report['brokenPromises']).toEqual(['exactly-once-completion']);
    expect(report['scenario']).toMatchObject({
      shouldFail: ['exactly-once-completion'],
      failed: ['exactly-once-completion'],
    });
    const yaml = readFileSync(out, 'utf8');
    expect(yaml).toMatch(/^# Made by `spar replay .*storage-recovery-2\.json --scenario /);
    expect(yaml).toContain('quirks: [double-complete-on-resume]');
    const run = await cli('run', out, '--runtime', 'sim', '--quiet');
    expect(run.code).toBe(1);
    expect(run.out).toMatch(
      /^FAIL {2}exactly-once-completion \(safety\): guest1: \d+ duplicate completion/m,
    );
    expect(run.out).toMatch(/^ok {4}io-resumes/m);
  }, 60_000);

  test('the same case without the quirk: the scenario holds', async () => {
    const file = saved('storage-recovery', DOUBLE_COMPLETE, [], []);
    const out = join(dir, 'fixed.yaml');
    const { lines, fails } = await runReplayCommand({
      file,
      trace: undefined,
      colour: false,
      scenario: out,
    });
    expect(fails).toBe(false);
    expect(lines.at(-1)).toBe(`  spar run ${out} --runtime sim passes`);
  }, 60_000);

  test('a property whose case is not a scenario is a one-line error naming the ones that are', async () => {
    const file = saved('control-plane-convergence', [[], 0], [], []);
    const { code, err } = await cli('replay', file, '--scenario', join(dir, 'cp.yaml'));
    expect(code).toBe(2);
    const supported = PROPERTIES.filter((p) => p.asScenario !== undefined).map((p) => p.name);
    expect(supported).toEqual(['storage-recovery', 'net-recovery']);
    expect(err).toBe(
      `spar: --scenario: control-plane-convergence drives the partitions itself (its case is not a topology, workloads and faults), and the scenario format cannot express it; --scenario supports ${supported.join(', ')}\n`,
    );
  });

  test('--scenario into a folder that does not exist fails before the replay', async () => {
    const file = saved('storage-recovery', DOUBLE_COMPLETE, [], []);
    const { code, err } = await cli('replay', file, '--scenario', join(dir, 'nope', 'x.yaml'));
    expect(code).toBe(2);
    expect(err).toBe(
      `spar: --scenario: cannot write '${join(dir, 'nope', 'x.yaml')}': the directory '${join(dir, 'nope')}' does not exist\n`,
    );
  });
});
