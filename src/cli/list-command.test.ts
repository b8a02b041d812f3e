// `spar list` and `spar schema` (issue: the CLI).

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { cli as run } from './testing/run-cli.js';
import { KINDS } from '../kinds/index.js';

describe('spar list and schema', () => {
  test('list --json names the shipped scenarios, the properties with their promise, every machine, and the quirks', async () => {
    const { code, out } = await run('list', '--json');
    expect(code).toBe(0);
    const l = JSON.parse(out) as {
      scenarios: { name: string; shows: string }[];
      properties: { name: string; promise: string }[];
      machines: { id: string }[];
      quirks: unknown[];
      kinds: { name: string; channels: { type: string; server: string }[]; machines: string[] }[];
    };
    expect(l.scenarios.map((s) => s.name)).toEqual(
      expect.arrayContaining(['boot-minimal', 'guest-crash-reboot']),
    );
    expect(l.scenarios.find((s) => s.name === 'boot-minimal')?.shows).toMatch(
      /^the command partition bringing one guest up/,
    );
    expect(l.properties.map((p) => p.name)).toContain('control-plane-convergence');
    expect(l.properties[0]?.promise).toMatch(/converges/);
    expect(l.machines.map((m) => m.id)).toEqual(
      expect.arrayContaining(['visorchipset', 'visorbus', 'virtpci']),
    );
    expect(l.kinds.map((k) => k.name)).toEqual(KINDS.map((k) => k.name));
    expect(l.kinds.find((k) => k.name === 'vhba')).toMatchObject({
      channels: [{ type: 'vhba', server: 'iosp' }],
      machines: ['virthba', 'scsi-midlayer', 'block-workload'],
    });
    expect(Array.isArray(l.quirks)).toBe(true);
    expect(l.quirks).toContainEqual(
      expect.objectContaining({
        name: 'visorhba-resume-no-complete',
        module: 'visorclientbus',
        description: expect.stringMatching(/never completes a resume/),
      }),
    );
  });

  test('list prints the five sections as text', async () => {
    const { out } = await run('list');
    for (const section of ['scenarios:', 'properties:', 'device kinds:', 'machines:', 'quirks:'])
      expect(out).toContain(section);
    expect(out).toMatch(
      /^ {2}visorhba-resume-no-complete +\(visorclientbus\) The upstream driver never completes a resume/m,
    );
  });

  test('schema prints the JSON Schema kept in the repository', async () => {
    const { code, out } = await run('schema');
    expect(code).toBe(0);
    expect(out).toBe(readFileSync('scenarios/scenario.schema.json', 'utf8'));
  });
});
