import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { MACHINES, machineListing, registryIdOf } from '../../machines/index.js';

// Machine files another change is adding; the registry takes them once they compile. A file not
// listed here and not registered fails the last test, so no machine is left out of `spar export`.
const PENDING: readonly string[] = [];

describe('machine registry', () => {
  test('smoke: the registry lists every machine, in registry order', () => {
    expect(MACHINES.map((m) => m.id)).toEqual([
      'command-partition',
      'guest-partition',
      'iosp-recovery',
      'iosp',
      'partition-lifecycle',
      'visorchipset',
      'visorbus',
      'visorclientbus',
      'virtpci',
      'visorvideoclient',
      'visorconinclient',
      'visornoop',
      'virthba',
      'scsi-midlayer',
      'block-workload',
      'virtnic',
      'ip-stack',
    ]);
  });

  test('ids are unique, file-name safe and the kebab-case of machine.id', () => {
    const ids = MACHINES.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { id, machine } of MACHINES) {
      expect(id).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(registryIdOf(machine)).toBe(id);
    }
    expect(new Set(MACHINES.map((m) => m.machine)).size).toBe(MACHINES.length);
  });

  test('every summary is one sentence that cites the reference section', () => {
    for (const { id, summary } of MACHINES) {
      expect(summary, id).toMatch(/^[A-Z].*\(spar-protocol\.md §[^)]*\)\.$/);
      expect(summary, id).not.toContain('\n');
    }
  });

  test('the listing counts every nested state: visorchipset has 2 regions with 3 and 2 states', () => {
    const listing = machineListing();
    expect(listing.find((m) => m.id === 'visorchipset')).toMatchObject({ stateCount: 7 });
    expect(listing.find((m) => m.id === 'partition-lifecycle')?.stateCount).toBe(8);
    expect(listing.find((m) => m.id === 'visornoop')).toEqual({
      id: 'visornoop',
      summary: MACHINES.find((m) => m.id === 'visornoop')?.summary,
      stateCount: 4,
    });
  });

  test('every machines/*.machine.ts file is registered under its file name (or still pending)', () => {
    const dir = fileURLToPath(new URL('../../machines/', import.meta.url));
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.machine.ts'))
      .map((f) => f.slice(0, -'.machine.ts'.length));
    const registered = new Set(MACHINES.map((m) => m.id));
    expect(files.filter((f) => !registered.has(f) && !PENDING.includes(f))).toEqual([]);
    expect([...registered].filter((id) => !files.includes(id))).toEqual([]);
  });
});
