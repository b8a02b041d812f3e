import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { AssertionError } from '../../base/assert.js';
import type { TraceRecord } from '../../partition/environment.js';
import { canonicalJson, toJsonLine, traceHash } from './trace-hash.js';

const boot: TraceRecord = {
  atMs: 0,
  partition: 'cp',
  actor: 'cp/visorchipset',
  event: 'boot',
  state: 'running',
  detail: { queue: 0, ok: true },
};

describe('trace-hash', () => {
  test('smoke: a hash is 64 hex digits and the same trace hashes the same', () => {
    expect(traceHash([boot])).toMatch(/^[0-9a-f]{64}$/);
    expect(traceHash([boot])).toBe(traceHash([{ ...boot }]));
  });

  test('key order in the records does not change the line or the hash', () => {
    const reordered: TraceRecord = {
      detail: { ok: true, queue: 0 },
      state: 'running',
      event: 'boot',
      actor: 'cp/visorchipset',
      partition: 'cp',
      atMs: 0,
    };
    expect(toJsonLine(reordered)).toBe(toJsonLine(boot));
    expect(traceHash([reordered])).toBe(traceHash([boot]));
    expect(toJsonLine(boot)).toBe(
      '{"actor":"cp/visorchipset","atMs":0,"detail":{"ok":true,"queue":0},"event":"boot","partition":"cp","state":"running"}',
    );
  });

  test('any change of content or order changes the hash', () => {
    const later = { ...boot, atMs: 1 };
    expect(traceHash([later])).not.toBe(traceHash([boot]));
    expect(traceHash([boot, later])).not.toBe(traceHash([later, boot]));
    expect(traceHash([])).not.toBe(traceHash([boot]));
  });

  test('the fast path for record-shaped lines writes exactly what canonicalJson writes, with and without detail, and across update batches', () => {
    const plain: TraceRecord = {
      atMs: 1.25,
      partition: 'g"1',
      actor: 'g"1/x',
      event: 'e\n',
      state: '{"a":"b"}',
    };
    const withExtra = { ...boot, extra: [2, 1] } as TraceRecord;
    for (const record of [boot, plain, withExtra, { ...boot, detail: { text: 'z', a: 1 } }]) {
      expect(toJsonLine(record)).toBe(canonicalJson(record));
    }
    const many = Array.from({ length: 600 }, (_, i) => ({ ...boot, atMs: i }));
    const byHand = createHash('sha256')
      .update(many.map((r) => `${canonicalJson(r)}\n`).join(''))
      .digest('hex');
    expect(traceHash(many)).toBe(byHand);
  });

  test('non-data values in a trace are programmer errors', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(AssertionError);
    expect(() => canonicalJson({ x: () => 1 })).toThrow(AssertionError);
    expect(() => canonicalJson(10n)).toThrow(AssertionError);
    expect(canonicalJson({ b: [1, 'x', null], a: undefined })).toBe('{"b":[1,"x",null]}');
  });
});
