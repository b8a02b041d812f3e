// The vnic kind's scenario checks (scenario.ts): a vnic's segment must be declared, by a NIC's
// `switch` or in the top-level `segments:`; a misspelt one is an error at its line with a
// suggestion, not a silent segment of its own.

import { describe, expect, test } from 'vitest';
import { formatScenarioError } from '../../scenario/errors.js';
import { loadScenarioText } from '../../scenario/load.js';

// Two guests on iosp0, whose NIC joins `blue`; guest2's vnic segment is `SEGMENT`.
const TEXT = `until: 1s
partitions:
  - { name: cp, kind: command }
  - { name: iosp0, kind: iosp, hardware: { nics: [{ name: eth0, switch: blue }] } }
  - name: guest1
    kind: guest
    buses: [{ busNo: 2, deviceCount: 1 }]
    devices: [{ busNo: 2, devNo: 0, channelType: vnic, server: iosp0, segment: blue }]
  - name: guest2
    kind: guest
    buses: [{ busNo: 2, deviceCount: 1 }]
    devices: [{ busNo: 2, devNo: 0, channelType: vnic, server: iosp0, segment: SEGMENT }]
`;

function load(text: string): string[] {
  const r = loadScenarioText(text, 'x.yaml');
  return r.ok ? [] : r.error.map(formatScenarioError);
}

describe('vnic scenario checks', () => {
  test("smoke: a segment a NIC's switch names loads", () => {
    expect(load(TEXT.replace('SEGMENT', 'blue'))).toEqual([]);
  });

  test('a misspelt segment is one error at its line, with the segment it is close to', () => {
    expect(load(TEXT.replace('SEGMENT', 'bleu'))).toEqual([
      'x.yaml:12:80: partitions[3].devices[0].segment: unknown segment "bleu" (did you mean "blue"?): declare it in segments: or as a NIC\'s switch (declared: blue)',
    ]);
  });

  test('a segment without an uplink loads once listed in segments:, and the list is kept', () => {
    const text = TEXT.replace('SEGMENT', 'green');
    expect(load(text)).toEqual([
      expect.stringMatching(/^x\.yaml:12:80: .*unknown segment "green": declare it/),
    ]);
    const declared = loadScenarioText(`${text}segments: [green]\n`, 'x.yaml');
    expect(declared.ok ? declared.value.scenario.segments : declared.error).toEqual(['green']);
  });

  test('a vnic without segment needs no declaration (it joins its IOSP\'s first NIC\'s, else "default")', () => {
    const text = TEXT.replace(', segment: SEGMENT', '').replace(
      '{ nics: [{ name: eth0, switch: blue }] }',
      '{ nics: [] }',
    );
    expect(load(text.replace(', segment: blue', ''))).toEqual([]);
  });
});
