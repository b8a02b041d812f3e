// The machine-readable outputs of `spar list`, `spar layout`, `spar run` and its `--trace` file
// against their published schemas in docs/ (draft 2020-12, ajv in strict mode), from the real
// commands (issue 13, item 7). Each schema also rejects a broken document, so none is vacuous.
// The trace's `state` is a JSON value, and the trace hash can be recomputed from the file.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, test } from 'vitest';
import type { TraceRecord } from '../partition/environment.js';
import { traceHash } from '../runtime/sim/trace-hash.js';
import { cli } from './testing/run-cli.js';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'spar-json-schemas-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Json = Record<string, unknown>;

/** A validator for `docs/<name>.schema.json`; its errors come back as readable lines. */
function schema(name: string): (value: unknown) => string[] {
  const text = readFileSync(join(ROOT, 'docs', `${name}.schema.json`), 'utf8');
  // strict: an unknown keyword or a type mismatch inside the schema is itself an error.
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  const validate: ValidateFunction = ajv.compile(JSON.parse(text) as object);
  return (value) =>
    validate(value)
      ? []
      : (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? ''}`);
}

/** `spar <argv…>`, its stdout parsed as JSON; it must exit 0, or 1 when `mayFail` (a run). */
async function jsonOf(argv: readonly string[], mayFail = false): Promise<Json> {
  const r = await cli(...argv);
  expect(r.err).toBe('');
  expect(mayFail ? [0, 1] : [0]).toContain(r.code);
  return JSON.parse(r.out) as Json;
}

/** `mutate` applied to a deep copy of `value`. */
function broken(value: Json, mutate: (copy: Json) => void): Json {
  const copy = structuredClone(value);
  mutate(copy);
  return copy;
}

const first = (value: unknown, key: string): Json => (value as Json[] & Json)[key] as Json;
const at0 = (list: unknown): Json => (list as Json[])[0] as Json;

describe('docs/*.schema.json against the real commands', () => {
  test('smoke: spar list --json validates against list.schema.json, with every section filled', async () => {
    const valid = schema('list');
    const listing = await jsonOf(['list', '--json']);
    expect(valid(listing)).toEqual([]);
    for (const section of ['scenarios', 'properties', 'kinds', 'machines', 'quirks']) {
      expect((listing[section] as unknown[]).length, section).toBeGreaterThan(0);
    }
    expect(valid(broken(listing, (l) => delete l['quirks']))).toContain(
      "/: must have required property 'quirks'",
    );
    expect(valid(broken(listing, (l) => (at0(l['properties'])['kind'] = 'both'))).join()).toContain(
      '/properties/0/kind',
    );
    expect(valid(broken(listing, (l) => (at0(l['kinds'])['extra'] = 1))).join()).toContain(
      '/kinds/0',
    );
  });

  test('spar layout --json validates against layout.schema.json, whole and for one --struct', async () => {
    const valid = schema('layout');
    const all = await jsonOf(['layout', '--json']);
    expect(valid(all)).toEqual([]);
    const one = await jsonOf(['layout', '--json', '--struct', 'channel_header']);
    expect(valid(one)).toEqual([]);
    expect((one['structs'] as unknown[]).length).toBe(1);
    const field = (l: Json) => at0(at0(l['structs'])['fields']);
    expect(valid(broken(all, (l) => (field(l)['offset'] = '0'))).join()).toContain(
      '/structs/0/fields/0/offset',
    );
    expect(valid(broken(all, (l) => delete field(l)['type'])).join()).toContain(
      "must have required property 'type'",
    );
  });

  // report-schema.test.ts validates the storage and network scenarios; the trace test below
  // validates guest-crash-reboot's report.
  test('spar run --json of the other shipped scenarios validates against report.schema.json', async () => {
    const valid = schema('report');
    for (const name of ['boot-minimal', 'iosp-hang-watchdog']) {
      const report = await jsonOf(['run', name, '--runtime', 'sim', '--json']);
      expect(valid(report), name).toEqual([]);
      expect(report['scenario']).toBe(name);
    }
  });

  // A loaded machine may not finish the bring-up in time: the report validates either way.
  test('a workers run report validates against report.schema.json too', async () => {
    const report = await jsonOf(['run', 'boot-minimal', '--json', '--until', '300ms'], true);
    expect(report['runtime']).toBe('workers');
    expect(schema('report')(report)).toEqual([]);
  });

  test('every --trace line validates against trace.schema.json, states are JSON values, and the file gives back the trace hash', async () => {
    const valid = schema('trace');
    const file = join(dir, 'trace.jsonl');
    const argv = ['run', 'guest-crash-reboot', '--runtime', 'sim', '--json', '--trace', file];
    const report = await jsonOf(argv);
    expect(schema('report')(report)).toEqual([]);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const records = lines.map((line) => JSON.parse(line) as Json);
    expect(records.length).toBe(first(report, 'stats')['traceRecords']);
    for (const [i, record] of records.entries()) expect(valid(record), lines[i]).toEqual([]);
    // Nested states (visorchipset's parallel regions) are objects in the file, not JSON text.
    expect(records.some((r) => typeof r['state'] === 'object')).toBe(true);
    expect(records.some((r) => typeof r['state'] === 'string')).toBe(true);
    const asRecorded = records.map(
      (r) => ({ ...r, state: JSON.stringify(r['state']) }) as unknown as TraceRecord,
    );
    expect(traceHash(asRecorded)).toBe(report['traceHash']);
    const old = { ...records.find((r) => typeof r['state'] === 'object') };
    old['state'] = JSON.stringify(old['state']);
    expect(valid(old).join()).toContain('/state');
  });
});
