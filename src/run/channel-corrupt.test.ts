// The channel-corrupt fault end to end (scenarios/channel-corrupt.yaml, one form per run): each
// side that meets the corruption quarantines the channel with a typed error in the trace, the
// guest's IO on it fails from then on (DID_NO_CONNECT, never a request left unanswered), and the
// run neither crashes nor loses an acknowledged write.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadScenarioText } from '../scenario/load.js';
import { runScenario } from './run-scenario.js';
import { ROOT, simOptions } from './testing/shipped.js';

const TEXT = readFileSync(join(ROOT, 'scenarios/channel-corrupt.yaml'), 'utf8');
const GUEST_ACTOR = 'guest1/virthba:2:0';
const IOSP_ACTOR = 'iosp0/iosp';

// The shipped scenario with its fault's form and queue replaced.
async function runForm(corrupt: string, queue: number) {
  const text = TEXT.replace('corrupt: head,', `corrupt: ${corrupt},`).replace(
    'queue: 1,',
    `queue: ${queue},`,
  );
  expect(text).toContain(`corrupt: ${corrupt},`);
  const loaded = loadScenarioText(text, `channel-corrupt ${corrupt} q${queue}`);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  const result = await runScenario(loaded.value, simOptions(loaded.value.scenario.until));
  const quarantines = result.trace.filter((r) => r.event === 'CHANNEL_QUARANTINED');
  const codeOf = (actor: string) => quarantines.find((r) => r.actor === actor)?.detail?.['code'];
  return { report: result.report, quarantines, codeOf };
}

describe('channel-corrupt scenarios', () => {
  test.each([
    ['signature', 1, 'bad-signature', 'bad-signature'],
    ['head', 1, 'index-out-of-range', 'index-out-of-range'],
    ['tail', 1, 'index-out-of-range', 'index-out-of-range'],
    ['head', 0, 'index-out-of-range', 'index-out-of-range'],
    ['tail', 0, 'index-out-of-range', 'index-out-of-range'],
    ['queue-header', 1, 'slots-outside-channel', 'slots-outside-channel'],
    ['queue-header', 0, 'slots-outside-channel', 'slots-outside-channel'],
    ['slot-oversized', 1, 'slots-outside-channel', 'slots-outside-channel'],
    ['slot-oversized', 0, 'slots-outside-channel', 'slots-outside-channel'],
    ['slot-torn', 1, 'bad-slot', undefined],
  ] as const)(
    '%s on queue %i: the guest quarantines (%s), the IOSP too (%s), and every later request fails, none unanswered',
    async (form, queue, guestCode, iospCode) => {
      const { report, quarantines, codeOf } = await runForm(form, queue);
      expect(report.verdict).toBe('pass');
      expect(report.faults).toEqual({ 'channel-corrupt': 1 });
      expect(codeOf(GUEST_ACTOR)).toBe(guestCode);
      expect(codeOf(IOSP_ACTOR)).toBe(iospCode);
      // Once per side, never again: a quarantined channel is not touched.
      expect(quarantines.length).toBe(iospCode === undefined ? 1 : 2);
      expect(quarantines.every((r) => r.atMs >= 100)).toBe(true);
      const io = report.io.total;
      expect(io.completed).toBe(io.submitted);
      expect(io.failed).toBeGreaterThan(0);
      expect(io.lostAckedWrites).toBe(0);
      expect(io.duplicateCompletions).toBe(0);
      expect(report.partitions.every((p) => p.state === 'running')).toBe(true);
    },
  );

  test('a torn command slot is a malformed command to the IOSP: answered or counted, the queue stays in use and no request fails', async () => {
    const { report, quarantines } = await runForm('slot-torn', 0);
    expect(report.verdict).toBe('pass');
    expect(quarantines).toEqual([]);
    expect(report.io.total.failed).toBe(0);
    expect(report.io.total.succeeded).toBe(report.io.total.submitted);
  });

  test('a vnic channel corrupted under pings: the guest and the IOSP quarantine it, the guest keeps running, no frame is duplicated and the other guests flows are untouched', async () => {
    const text = readFileSync(join(ROOT, 'scenarios/iosp-reboot-network.yaml'), 'utf8');
    const fault =
      'faults:\n  - { action: channel-corrupt, partition: guest1, busNo: 2, devNo: 0, corrupt: head, queue: 1, at: 500ms }\n';
    const corrupted = `${text.slice(0, text.indexOf('faults:'))}${fault}${text.slice(text.indexOf('expect:'))}`;
    const loaded = loadScenarioText(corrupted.replace('  - link-recovers\n', ''), 'net corrupt');
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
    const { report, trace } = await runScenario(
      loaded.value,
      simOptions(loaded.value.scenario.until),
    );
    expect(report.verdict).toBe('pass');
    const quarantined = trace.filter((r) => r.event === 'CHANNEL_QUARANTINED').map((r) => r.actor);
    expect(quarantined.sort()).toEqual(['guest1/virtnic:2:0', 'iosp0/iosp']);
    expect(report.partitions.every((p) => p.state === 'running')).toBe(true);
    const guests = report.net?.guests ?? {};
    expect(guests['guest1']?.duplicated).toBe(0);
    expect(guests['guest1']?.sent).toBeLessThan(400); // its flows stopped at the quarantine
    expect(guests['guest3']?.delivered).toBe(400); // another segment, another channel: untouched
  });
});
