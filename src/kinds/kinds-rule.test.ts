// The device-kind rule (docs/architecture.md "Adding a device kind"), checked on the sources:
// every folder of src/kinds/ is a registered kind, and no code outside a kind's folder imports
// from it but the registry (src/kinds/index.ts). Tests and the machines of a kind may.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { KINDS } from './index.js';

const ROOT = join(import.meta.dirname, '../..');
const KINDS_DIR = join(ROOT, 'src/kinds');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

const folders = readdirSync(KINDS_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory() && e.name !== 'testing')
  .map((e) => e.name);

describe('device kinds', () => {
  test('every folder of src/kinds is a registered kind, named after it', () => {
    expect(KINDS.map((k) => k.name).sort()).toEqual([...folders].sort());
  });

  test("no code of src/ outside a kind's folder imports from it, but the registry", () => {
    const offenders = sources(join(ROOT, 'src')).flatMap((file) => {
      const from = relative(ROOT, file);
      if (from === 'src/kinds/index.ts' || from.includes('/testing/')) return [];
      const imports = [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)];
      return imports.flatMap(([, spec]) => {
        const target = relative(ROOT, join(file, '..', spec ?? ''));
        const kind = /^src\/kinds\/([^/]+)\//.exec(target)?.[1];
        const own = from.startsWith(`src/kinds/${kind}/`);
        return kind !== undefined && kind !== 'testing' && !own ? [`${from} → ${target}`] : [];
      });
    });
    expect(offenders).toEqual([]);
  });
});
