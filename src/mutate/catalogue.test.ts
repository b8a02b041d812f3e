import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { CATALOGUE } from './catalogue.js';
import { whyNotApplicable } from './tree-copy.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('mutation catalogue', () => {
  test('every mutant patch applies to this tree (a snippet moved under it fails here first)', () => {
    const stale = CATALOGUE.flatMap((m) =>
      m.edits.map((e) => whyNotApplicable(readFileSync(`${ROOT}/${e.file}`, 'utf8'), e)),
    ).filter((why) => why !== null);
    expect(stale).toEqual([]);
  });

  test('names are unique and every mutant has a killer and changes something', () => {
    expect(new Set(CATALOGUE.map((m) => m.name)).size).toBe(CATALOGUE.length);
    for (const m of CATALOGUE) {
      expect(m.killers.length, m.name).toBeGreaterThan(0);
      expect(
        m.edits.every((e) => e.search !== e.replace),
        m.name,
      ).toBe(true);
    }
  });
});
