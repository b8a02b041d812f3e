import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { TraceRecord } from '../partition/environment.js';
import type { FaultRecord } from '../run/faults.js';
import { runScenario } from '../run/run-scenario.js';
import { loadShipped, ROOT, simOptions } from '../run/testing/shipped.js';
import { shippedScenarios } from './list-command.js';
import { readableEvent } from './record-text.js';
import { formatRecord, GLOSSARY_FILE, timelineLines } from './timeline.js';

const record = (over: Partial<TraceRecord> = {}): TraceRecord => ({
  atMs: 1578.619873046875,
  partition: 'iosp0',
  actor: 'iosp0/lifecycle',
  event: 'xstate.after.rebootDelay.rebooting',
  state: '"booting"',
  detail: { text: 'booting: boots 2, crashes 0, hangs 0' },
  ...over,
});

describe('timeline', () => {
  test('smoke: one record is one line of time, actor, readable event and detail', () => {
    expect(formatRecord(record(), { colour: false })).toBe(
      `+ 1578.620 ms  ${'iosp0/lifecycle'.padEnd(36)}  after rebootDelay (rebooting)  booting: boots 2, crashes 0, hangs 0`,
    );
  });

  test('times count from the origin given; before it they are negative', () => {
    const line = (atMs: number, origin: number) =>
      formatRecord(record({ atMs }), { colour: false, origin }).slice(0, 13);
    expect(line(1578.619873046875, 1500)).toBe('+   78.620 ms');
    expect(line(20, 1500)).toBe('- 1480.000 ms');
    expect(line(1500, 1500)).toBe('+    0.000 ms');
  });

  test('colour wraps the time, actor and detail in ANSI codes only when asked', () => {
    expect(formatRecord(record(), { colour: true })).toContain('\u001b[36miosp0/lifecycle');
    expect(formatRecord(record(), { colour: false })).not.toContain('\u001b[');
  });

  test('timelineLines counts the poll effects instead of listing them and passes the faults on', () => {
    const trace = [
      record({ event: 'controlvm.poll', actor: 'guest1/visorchipset', detail: { text: '' } }),
      record({ atMs: 20, event: 'CRASH', detail: { text: 'crashed' } }),
    ];
    const faults: FaultRecord[] = [
      { index: 0, action: 'crash', partition: 'iosp0', atMs: 20, refused: null },
    ];
    const lines = timelineLines(trace, false, { faults });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/CRASH\s+crashed — injected fault 0$/);
    expect(lines[1]).toBe('(1 controlvm.poll effects not shown)');
  });

  test('no shipped scenario shows an XState internal name or a raw float time in its sim timeline, and the glossary explains every event it shows', async () => {
    const glossary = readFileSync(join(ROOT, GLOSSARY_FILE), 'utf8');
    const names = shippedScenarios().map((s) => s.name);
    expect(names.length).toBeGreaterThanOrEqual(5);
    for (const name of names) {
      const loaded = loadShipped(name);
      const { report, trace } = await runScenario(loaded, simOptions(loaded.scenario.until));
      const events = new Set(trace.map((r) => readableEvent(r.event).split(' (')[0]));
      expect(
        [...events].filter((e) => !glossary.includes(`\`${e}`)),
        `${name}: events the glossary does not list`,
      ).toEqual([]);
      const lines = timelineLines(trace, false, { faults: report.faultLog });
      expect(lines.length, name).toBeGreaterThan(10);
      expect(
        lines.filter((l) => l.includes('xstate.')),
        name,
      ).toEqual([]);
      expect(
        lines.filter((l) => /\d\.\d{4,}/.test(l)),
        name,
      ).toEqual([]);
    }
  }, 120_000);
});
