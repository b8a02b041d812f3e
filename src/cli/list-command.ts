// `spar list`: what this spar-sim has — scenarios, properties (with their promise), device kinds,
// machines and quirks — as text or JSON.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../base/package-root.js';
import { PROPERTIES } from '../../properties/registry.js';
import { machineListing } from '../../machines/index.js';
import { driverModule, KINDS, QUIRKS } from '../kinds/index.js';

/** A device kind as `spar list` shows it: its channel types, who serves them, its machines. */
function kindListing() {
  return KINDS.map((k) => ({
    name: k.name,
    summary: k.summary,
    channels: k.channels.map((c) => ({ type: c.type.name, guid: c.type.guid, server: c.server })),
    driver: k.driver === undefined ? null : { bus: k.driver.bus, module: driverModule(k.driver) },
    machines: k.machines.map((m) => m.module),
  }));
}

/** The folder of the shipped scenarios. */
export const SCENARIO_DIR = join(packageRoot(), 'scenarios');

/** Everything `spar list` shows. */
export function listing() {
  return {
    scenarios: shippedScenarios(),
    properties: PROPERTIES.map((p) => ({ name: p.name, kind: p.kind, promise: p.promise })),
    kinds: kindListing(),
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
      'device kinds',
      l.kinds.map((k) => {
        const channels = k.channels.map((c) => `${c.type} (served by ${c.server})`).join(', ');
        const machines = k.machines.length === 0 ? '' : ` The guest runs ${k.machines.join(', ')}.`;
        return `  ${k.name.padEnd(10)} ${channels}: ${k.summary}${machines}`;
      }),
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
