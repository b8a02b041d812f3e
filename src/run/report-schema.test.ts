// The `spar run --json` report against its published schema, docs/report.schema.json (draft
// 2020-12, validated with ajv): real reports of a storage and a network scenario in the sim
// runtime validate; a report with a field removed, mistyped or added does not, so the schema is
// not vacuous; and the schema's enums are the code's own lists, so a new expectation, fault
// action or lifecycle state cannot leave the documentation behind unnoticed.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, test } from 'vitest';
import { PARTITION_LIFECYCLE_STATES } from '../../machines/partition-lifecycle.machine.js';
import { FAULT_ACTIONS } from '../scenario/schema.js';
import { EXPECTATIONS } from './expectations.js';
import { runScenario, type RunReport } from './run-scenario.js';
import { loadShipped, ROOT } from './testing/shipped.js';

const schema = JSON.parse(readFileSync(join(ROOT, 'docs/report.schema.json'), 'utf8')) as {
  readonly $defs: Readonly<Record<string, { readonly enum?: readonly string[] }>>;
  readonly properties: Readonly<Record<string, unknown>>;
};

const load = loadShipped;

/** The report of `name` in the sim runtime, seed 1, at its own time limit. */
async function reportOf(name: string): Promise<RunReport> {
  const loaded = load(name);
  const { report } = await runScenario(loaded, {
    runtime: 'sim',
    seed: 1,
    untilMs: loaded.scenario.until,
    wallClock: () => 0,
  });
  // What `spar run --json` prints: the report after a JSON round trip.
  return JSON.parse(JSON.stringify(report)) as RunReport;
}

/** ajv's errors as `path: message` lines, for readable failures. */
function errorsOf(validate: ValidateFunction): string[] {
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? ''}`);
}

type Json = Record<string, unknown>;
const at = (value: unknown, ...path: (string | number)[]): Json =>
  path.reduce<unknown>((v, k) => (v as Json)[k], value) as Json;

describe('docs/report.schema.json', () => {
  let validate: ValidateFunction;
  let storage: RunReport;
  let network: RunReport;

  beforeAll(async () => {
    // strict: an unknown keyword or a type mismatch inside the schema is itself an error.
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
    validate = ajv.compile(schema);
    storage = await reportOf('iosp-reboot-storage');
    network = await reportOf('iosp-reboot-network');
  });

  test('the storage scenario report validates, and its io section is not empty', () => {
    expect(storage.io.total.submitted).toBeGreaterThan(0);
    expect(storage.faults['reboot']).toBeGreaterThan(0);
    expect(validate(storage), errorsOf(validate).join('\n')).toBe(true);
  });

  test('the network scenario report validates, and its net section has interfaces and flows', () => {
    expect(network.net.total.flows).toBeGreaterThan(0);
    expect(Object.values(network.net.interfaces).flat().length).toBeGreaterThan(0);
    expect(validate(network), errorsOf(validate).join('\n')).toBe(true);
  });

  test('a report with a field removed, mistyped, out of its enum or added fails validation', () => {
    const broken: [string, (r: Json) => void, string][] = [
      [
        'traceHash removed',
        (r) => delete r['traceHash'],
        "must have required property 'traceHash'",
      ],
      ['verdict not in its enum', (r) => (r['verdict'] = 'passed'), '/verdict'],
      ['runtime not in its enum', (r) => (r['runtime'] = 'threads'), '/runtime'],
      ['seed a string', (r) => (r['seed'] = '1'), '/seed'],
      ['an expectation kind unknown', (r) => (at(r, 'expectations', 0)['kind'] = 'both'), '/kind'],
      ['io.total.submitted a string', (r) => (at(r, 'io', 'total')['submitted'] = '5'), '/io'],
      ['a net stat removed', (r) => delete at(r, 'net', 'total')['linkDownMs'], '/net/total'],
      [
        'a flow field removed',
        (r) => delete at(r, 'net', 'interfaces', 'guest1', 0, 'flows', 0)['rttAvgMs'],
        '/flows/0',
      ],
      ['a fault count for no action', (r) => (at(r, 'faults')['meltdown'] = 1), '/faults'],
      ['a key added to stats', (r) => (at(r, 'stats')['cpuMs'] = 3), '/stats'],
      ['traceHash shortened', (r) => (r['traceHash'] = 'a42d184165522656'), '/traceHash'],
    ];
    for (const [what, mutate, where] of broken) {
      const report = structuredClone(network) as unknown as Json;
      mutate(report);
      expect(validate(report), what).toBe(false);
      expect(errorsOf(validate).join('\n'), what).toContain(where);
    }
  });

  test("the schema's enums are the code's lists", () => {
    const defs = schema.$defs;
    expect(defs['expectationName']?.enum).toEqual(Object.keys(EXPECTATIONS));
    expect(defs['faultAction']?.enum).toEqual([...FAULT_ACTIONS]);
    expect(at(defs, 'partition', 'properties', 'state')['enum']).toEqual([
      ...PARTITION_LIFECYCLE_STATES,
      'unknown',
    ]);
  });

  test('every key of a real report is in the schema, and every schema key is in the report (failure only with verdict error: internal-failure.test.ts)', () => {
    const keys = Object.keys(schema.properties).filter((k) => k !== 'failure');
    expect(keys.sort()).toEqual(Object.keys(network).sort());
  });
});
