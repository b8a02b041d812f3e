// `spar list`: what this spar-sim has — scenarios, properties (with their promise), machines
// and quirks — as text or JSON.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../base/package-root.js';
import { PROPERTIES } from '../../properties/registry.js';
import { machineListing } from '../../machines/index.js';
import { QUIRKS } from '../kinds/index.js';

/** The folder of the shipped scenarios. */
export const SCENARIO_DIR = join(packageRoot(), 'scenarios');

/** Everything `spar list` shows. */
export function listing() {
  return {
    scenarios: shippedScenarios(),
    properties: PROPERTIES.map((p) => ({ name: p.name, kind: p.kind, promise: p.promise })),
    machines: machineListing(),
    quirks: QUIRKS.map((q) => ({ ...q })),
  };
}

/** Shipped scenarios: name, file, and what the first comment says it shows. */
export function shippedScenarios(): { name: string; file: string; shows: string }[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const text = readFileSync(join(SCENARIO_DIR, f), 'utf8');
      const comment = text
        .split('\n')
        .filter((l) => l.startsWith('#'))
        .map((l) => l.replace(/^#\s?/, ''));
      const shows =
        comment
          .join(' ')
          .replace(/^Shows:\s*/, '')
          .split(/(?<=\.)\s/)[0] ?? '';
      return { name: f.replace(/\.yaml$/, ''), file: `scenarios/${f}`, shows };
    });
}

/** The listing as text. */
export function listingText(): string {
  const l = listing();
  const section = (title: string, rows: string[]) => [
    `${title}:`,
    ...(rows.length === 0 ? ['  (none yet)'] : rows),
    '',
  ];
  return [
    ...section(
      'scenarios',
      l.scenarios.map((s) => `  ${s.name.padEnd(24)} ${s.shows}`),
    ),
    ...section(
      'properties',
      l.properties.map((p) => `  ${p.name.padEnd(28)} [${p.kind}] ${p.promise}`),
    ),
    ...section(
      'machines',
      l.machines.map(
        (m) => `  ${m.id.padEnd(24)} ${String(m.stateCount).padStart(3)} states  ${m.summary}`,
      ),
    ),
    ...section(
      'quirks',
      l.quirks.map((q) => `  ${q.name.padEnd(28)} (${q.module}) ${q.description}`),
    ),
  ].join('\n');
}
