// `spar fuzz --json` against its published schema, docs/fuzz.schema.json: one object whatever the
// number of properties, with a `properties` array; real output of a failing and a holding property,
// of an interrupted command, of a --check-determinism command and of the registered control-plane
// property validates, and an object with a property entry's field removed does not (the schema is
// not vacuous).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { plantedProperty, recordingProperty } from '../fuzz/testing.js';
import { type FuzzArgs, runFuzzCommand } from './fuzz-command.js';
import { docsSchema } from './testing/json-schema.js';
import { fuzzArgs } from './testing/fuzz-args.js';
import { cli } from './testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'spar-fuzz-json-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const validate = docsSchema('fuzz.schema.json');
type Json = Record<string, unknown>;

async function fuzzJson(over: Partial<FuzzArgs>, signal?: AbortSignal): Promise<Json> {
  let out = '';
  await runFuzzCommand(fuzzArgs(dir, { json: true, ...over }), {
    properties: [recordingProperty([]), plantedProperty],
    now: () => 0,
    progressStream: null,
    out: (t) => {
      out += t;
    },
    warn: () => {},
    ...(signal === undefined ? {} : { signal }),
  });
  return JSON.parse(out) as Json;
}

describe('docs/fuzz.schema.json', () => {
  test('two properties, one failing: one object with both in `properties`, and it validates', async () => {
    const json = await fuzzJson({});
    expect(validate(json)).toEqual([]);
    expect(json).toMatchObject({
      seed: 5,
      verdict: 'fail',
      campaignSeeds: [5],
      checkDeterminism: false,
    });
    const [held, failed] = json['properties'] as Json[];
    expect(held).toMatchObject({
      property: 'recording',
      runs: 300,
      verdict: 'pass',
      stopped: null,
    });
    expect(failed).toMatchObject({ property: 'planted-below-50', counterexample: { value: 50 } });
    expect(String(failed?.['replay'])).toMatch(/^spar replay .*planted-below-50-\d+(-\d+)?\.json$/);
  });

  test('one property still prints the object with a one-entry array', async () => {
    const json = await fuzzJson({ property: 'recording' });
    expect(validate(json)).toEqual([]);
    expect(json['properties']).toHaveLength(1);
  });

  test('an interrupted command validates, with its stop reason and resume seed', async () => {
    const controller = new AbortController();
    controller.abort();
    const json = await fuzzJson({}, controller.signal);
    expect(validate(json)).toEqual([]);
    expect(json).toMatchObject({ verdict: 'interrupted', interrupted: true });
    expect((json['properties'] as Json[])[0]).toMatchObject({
      runs: 0,
      verdict: 'interrupted',
      stopped: 'interrupt',
      resumeSeed: 5,
    });
  });

  test('--check-determinism says so, and the object validates; without the field it does not', async () => {
    const json = await fuzzJson({ property: 'recording', checkDeterminism: true });
    expect(validate(json)).toEqual([]);
    expect(json['checkDeterminism']).toBe(true);
    delete json['checkDeterminism'];
    expect(validate(json)).toContainEqual(expect.stringMatching(/checkDeterminism/));
  });

  test('a property entry without its runs does not validate', async () => {
    const json = await fuzzJson({ property: 'recording' });
    delete (json['properties'] as Json[])[0]?.['runs'];
    expect(validate(json)).toContainEqual(expect.stringMatching(/runs/));
  });

  test('the registered control-plane property through the CLI validates', async () => {
    const { code, out } = await cli(
      ...['fuzz', 'control-plane-convergence', '--runs', '5', '--seed', '1', '--json'],
      ...['--failures', dir],
    );
    expect(code).toBe(0);
    expect(validate(JSON.parse(out))).toEqual([]);
  }, 60_000);
});
