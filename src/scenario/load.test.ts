// Scenario loading (issue: "The parser"): every shipped scenario loads; malformed YAML, a wrong
// type, an unknown key and a missing reference each give an error with the right line.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatScenarioError } from './errors.js';
import { scenarioJsonSchemaText } from './json-schema.js';
import { loadScenarioText } from './load.js';

const DIR = join(import.meta.dirname, '../../scenarios');
const BASE = `until: 1s
partitions:
  - name: cp
    kind: command
  - name: guest1
    kind: guest
    buses:
      - { busNo: 1, deviceCount: 1 }
    devices:
      - { busNo: 1, devNo: 0, channelType: video }
`;

function errorsOf(text: string) {
  const r = loadScenarioText(text, 'x.yaml');
  if (r.ok) throw new Error('expected errors');
  return r.error.map(formatScenarioError);
}

describe('scenario loading', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
  test.each(files)(
    'shipped scenario %s loads and starts with a comment saying what it shows',
    (file) => {
      const text = readFileSync(join(DIR, file), 'utf8');
      expect(text.startsWith('# Shows: ')).toBe(true);
      const r = loadScenarioText(text, `scenarios/${file}`);
      expect(r.ok ? [] : r.error.map(formatScenarioError)).toEqual([]);
    },
  );

  test('the base text loads, with defaults filled in and durations in ms', () => {
    const r = loadScenarioText(BASE, 'scenarios/base.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.name).toBe('base');
    expect(r.value.scenario.until).toBe(1000);
    expect(r.value.scenario.faults).toEqual([]);
    expect(r.value.config.partitions[1]?.devices[0]).toMatchObject({
      channelType: 'video',
      server: 'cp',
    });
  });

  test('malformed YAML names the line of the mistake', () => {
    const errors = errorsOf(BASE.replace('    kind: guest', '    kind: [guest'));
    expect(errors[0]).toMatch(/^x\.yaml:(6|7):\d+: YAML: /);
  });

  test('a wrong type names its line and column and what was expected', () => {
    expect(errorsOf(BASE.replace('deviceCount: 1', 'deviceCount: one'))).toEqual([
      'x.yaml:8:34: partitions[1].buses[0].deviceCount: expected number, received string',
    ]);
  });

  test('an unknown key points at the key itself', () => {
    expect(
      errorsOf(BASE.replace('    kind: guest\n', '    kind: guest\n    kernel: linux\n')),
    ).toEqual(['x.yaml:7:5: partitions[1].kernel: unknown key "kernel"']);
  });

  test('a wrong enum value lists the choices', () => {
    expect(errorsOf(BASE.replace('kind: guest', 'kind: guset'))).toEqual([
      'x.yaml:6:11: partitions[1].kind: expected one of "command"|"iosp"|"guest"',
    ]);
  });

  test('a disk shared with a guest that does not exist is named at its line', () => {
    const text = `${BASE}  - name: iosp0
    kind: iosp
    hardware:
      scsi:
        - name: hba0
          disks:
            - { name: disk0, blocks: 64, sharedWith: [guest1, guest9] }
`;
    expect(errorsOf(text)).toEqual([
      'x.yaml:17:63: partitions[2].hardware.scsi[0].disks[0].sharedWith[1]: disk "disk0" is shared with a guest that does not exist: no partition named "guest9"',
    ]);
  });

  test('configuration rules come back with the line of the device at fault', () => {
    const errors = errorsOf(BASE.replace('busNo: 1, devNo: 0', 'busNo: 2, devNo: 0'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^x\.yaml:10:9: partitions\[1\]\.devices\[0\]: .*bus 2/);
  });

  test('faults: unknown partition, missing trigger, unknown action, bad duration', () => {
    const text = `${BASE}faults:
  - { action: crash, partition: guest7, at: 10ms }
  - { action: hang, partition: guest1 }
  - { action: explode, partition: guest1, at: 5 }
  - { action: reboot, partition: guest1, at: soon }
`;
    expect(errorsOf(text)).toEqual([
      'x.yaml:14:15: faults[2].action: expected one of crash, reboot, hang, shutdown, boot, channel-corrupt, doorbell-lost, doorbell-spurious, queue-full, disk-error, disk-slow, nic-link',
      'x.yaml:15:46: faults[3].at: expected a duration such as 250, "250ms", "1.5s" or "2m" (whole milliseconds, not negative)',
    ]);
    const second = errorsOf(
      `${BASE}faults:\n  - { action: crash, partition: guest7, at: 10ms }\n  - { action: hang, partition: guest1 }\n`,
    );
    expect(second).toEqual([
      'x.yaml:12:33: faults[0].partition: no partition named "guest7" (have cp, guest1)',
      'x.yaml:13:5: faults[1]: a fault needs exactly one trigger: "at" (a time) or "when" (a condition)',
    ]);
  });

  test('a when: naming a partition, actor or event no record of the scenario has is one error at its line, with a suggestion', () => {
    const faults = (...whens: string[]) =>
      `${BASE}faults:\n${whens.map((w) => `  - { action: crash, partition: guest1, when: { ${w} } }\n`).join('')}`;
    expect(
      errorsOf(
        faults(
          'actor: guest1/lifecycle, event: BOOTD',
          'partition: guest9, event: BOOTED',
          'actor: guest1/visorchipst, event: controlvm.respond',
          'actor: gues1/lifecycle, event: BOOTED',
          'partition: cp, event: driver.probed',
          'event: vbus.wrte',
          'actor: guest1/virthba:2:0, event: scsi.complete',
        ),
      ),
    ).toEqual([
      'x.yaml:12:81: faults[0].when.event: guest1/lifecycle never records the event "BOOTD" (did you mean "BOOTED"?)',
      'x.yaml:13:60: faults[1].when.partition: no partition named "guest9" (did you mean "guest1"?) (have cp, guest1)',
      'x.yaml:14:56: faults[2].when.actor: guest1 (guest) has no actor of module "visorchipst" (did you mean "guest1/visorchipset"?) (have lifecycle, guest-partition, visorchipset, visorbus, visorvideoclient)',
      'x.yaml:15:56: faults[3].when.actor: no partition named "gues1" (did you mean "guest1/lifecycle"?) (have cp, guest1)',
      'x.yaml:16:71: faults[4].when.event: no actor of cp records the event "driver.probed"',
      'x.yaml:17:56: faults[5].when.event: no actor of this scenario records the event "vbus.wrte" (did you mean "vbus.write"?)',
      'x.yaml:18:56: faults[6].when.actor: guest1 (guest) has no virthba actor: it runs in a guest with a vhba device',
    ]);
    const fine = faults(
      'actor: guest1/lifecycle, event: BOOTED',
      'partition: guest1, event: controlvm.respond',
      'actor: guest1/visorvideoclient:vbus1:dev0, event: driver.probed',
    );
    const loaded = loadScenarioText(fine, 'x.yaml');
    expect(loaded.ok ? [] : loaded.error.map(formatScenarioError)).toEqual([]);
  });

  test('a nic-link fault naming a NIC its IOSP does not own is named at the line of its nic; one it owns loads', () => {
    const text = `${BASE}  - { name: iosp0, kind: iosp, hardware: { nics: [{ name: eth-blue, switch: blue }] } }
  - { name: iosp1, kind: iosp }
faults:
  - { action: nic-link, partition: iosp0, nic: eth-blue, up: false, at: 100ms }
  - { action: nic-link, partition: iosp0, nic: eth-red, up: false, at: 200ms }
  - { action: nic-link, partition: iosp1, nic: eth-blue, up: true, at: 300ms }
`;
    expect(errorsOf(text)).toEqual([
      'x.yaml:15:48: faults[1].nic: iosp0 owns no NIC named "eth-red" (have eth-blue)',
      'x.yaml:16:48: faults[2].nic: iosp1 owns no NIC named "eth-blue"',
    ]);
    const fine = loadScenarioText(text.split('\n').slice(0, 14).join('\n'), 'x.yaml');
    expect(fine.ok ? fine.value.scenario.faults : fine.error.map(formatScenarioError)).toEqual([
      { action: 'nic-link', partition: 'iosp0', nic: 'eth-blue', up: false, at: 100 },
    ]);
  });

  test('garbage JSON or YAML is exactly one error line, at file:line:col of the first mistake', () => {
    const garbage: [string, RegExp][] = [
      ['{"until": 1s, partitions: [\n', /^x\.yaml:2:1: YAML: Flow sequence .*end with a \]$/],
      ['{"a":\n', /^x\.yaml:1:6: YAML: Flow map must end with a \}$/],
      ['[[[[\n', /^x\.yaml:2:1: YAML: /],
      ['}{\n', /^x\.yaml:1:1: YAML: /],
      ['a: b: c\n', /^x\.yaml:1:4: YAML: /],
      ['\u0000\u0001\uFFFD: [: }\n', /^x\.yaml:1:\d+: YAML: /],
      ['until: 1s\n\tpartitions: []\n', /^x\.yaml:2:1: YAML: /],
    ];
    for (const [text, line] of garbage) {
      const errors = errorsOf(text);
      expect(errors, JSON.stringify(text)).toHaveLength(1);
      expect(errors[0], JSON.stringify(text)).toMatch(line);
      expect(errors[0], JSON.stringify(text)).not.toMatch(/[\r\n]/);
    }
  });

  test('an error message with line breaks is printed on one line', () => {
    const e = { file: 'x.yaml', line: 3, column: 5, path: 'a', message: 'two\n  lines\r\nhere' };
    expect(formatScenarioError(e)).toBe('x.yaml:3:5: a: two lines here');
  });

  test('hostile files: huge, alias bombs and non-mapping documents are refused with one error', () => {
    expect(errorsOf('x'.repeat((1 << 20) + 1))).toEqual([
      'x.yaml:1:1: file is larger than 1048576 bytes',
    ]);
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
    expect(errorsOf(bomb)[0]).toMatch(/^x\.yaml:1:1: YAML: .*alias/i);
    expect(errorsOf('- just\n- a list\n')[0]).toMatch(
      /^x\.yaml:1:1: expected object, received array/,
    );
  });

  test('pings: one that can never be answered, one to itself, one to a non-guest, and a segment on a vhba are each named at their line', () => {
    const text = `until: 1s
partitions:
  - { name: cp, kind: command }
  - { name: iosp0, kind: iosp }
  - name: guest1
    kind: guest
    buses: [{ busNo: 2, deviceCount: 2 }]
    devices:
      - { busNo: 2, devNo: 0, channelType: vnic, server: iosp0, segment: blue }
    workloads:
      - { kind: ping, to: outside }
      - { kind: ping, to: guest1 }
      - { kind: ping, to: cp }
segments: [blue]
`;
    expect(errorsOf(text)).toEqual([
      'x.yaml:12:27: partitions[2].workloads[1].to: guest1 cannot ping itself',
      'x.yaml:13:27: partitions[2].workloads[2].to: "cp" is a command, not a guest',
      'x.yaml:11:27: partitions[2].workloads[0].to: ping cannot be answered: no vnic of guest1 sits on a segment with an uplink of its IOSP (hardware.nics[].switch)',
    ]);
    const vhba = text
      .replace('channelType: vnic', 'channelType: vhba')
      .replace(/ {4}workloads:[\s\S]*/, '');
    expect(errorsOf(vhba)).toEqual([
      expect.stringMatching(
        /^x\.yaml:9:\d+: partitions\[2\]\.devices\[0\]: option-of-another-kind: "segment" is not an option of a vhba device/,
      ),
    ]);
  });

  test('a missing required key is named as missing', () => {
    expect(errorsOf(BASE.replace('until: 1s\n', ''))).toEqual([
      'x.yaml:1:1: until: missing required key "until"',
    ]);
  });

  test('the JSON Schema in the repository is the one the zod schema generates', () => {
    const file = readFileSync(join(DIR, 'scenario.schema.json'), 'utf8');
    expect(file).toBe(scenarioJsonSchemaText());
    const schema = JSON.parse(file) as { additionalProperties: boolean; required: string[] };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['until', 'partitions']);
  });
});
