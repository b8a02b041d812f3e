// A saved counterexample as an editable scenario file (`spar replay FILE --scenario OUT.yaml`):
// the property's case as the scenario it runs (storage-recovery.case.ts, net-recovery.case.ts
// build one), with its sim seed, its quirks and, as `expect`, the scenario expectations that check
// the property's promises, so `spar run OUT.yaml --runtime sim` fails the expectation of the
// promise the case breaks. A header comment says where the file came from.

import { Document, isScalar, visit } from 'yaml';
import type { SparProperty } from '../../properties/registry.js';
import { err, ok, type Result } from '../base/result.js';

/** What the scenario file is made from. */
export interface CaseScenarioRequest {
  readonly property: SparProperty<unknown>;
  /** Every registered property, to name the ones that support scenarios in an error. */
  readonly registry: readonly SparProperty<unknown>[];
  readonly value: unknown;
  readonly quirks: readonly string[];
  /** The violations the case produces now (from the replay). */
  readonly violations: readonly string[];
  /** The counterexample file and the output file, for the header. */
  readonly from: string;
  readonly out: string;
}

/** The scenario file's text and what running it should show. */
export interface CaseScenarioFile {
  readonly text: string;
  /** The file's `expect`: every expectation that checks one of the property's promises. */
  readonly expect: readonly string[];
  /** The expectations of the promises the case breaks: these should fail. */
  readonly failing: readonly string[];
}

/** The promise a violation names (`exactly-once-completion: guest1: …`). */
export function promiseOf(violation: string): string {
  return violation.slice(0, Math.max(0, violation.indexOf(':')));
}

/** Why `property`'s cases cannot be scenario files (one line), or null when they can. */
export function noScenarioReason(
  property: SparProperty<unknown>,
  registry: readonly SparProperty<unknown>[],
): string | null {
  if (property.asScenario !== undefined) return null;
  const supported = registry.filter((p) => p.asScenario !== undefined).map((p) => p.name);
  return `${property.name} drives the partitions itself (its case is not a topology, workloads and faults), and the scenario format cannot express it; --scenario supports ${supported.join(', ')}`;
}

/** The scenario file of a counterexample, or a one-line reason why the case cannot be one. */
export function caseScenarioFile(req: CaseScenarioRequest): Result<CaseScenarioFile, string> {
  const { property } = req;
  const as = property.asScenario;
  if (as === undefined) return err(noScenarioReason(property, req.registry) ?? '');
  const broken = [...new Set(req.violations.map(promiseOf))];
  const failing = [...new Set(broken.flatMap((p) => as.expectations[p] ?? []))];
  const unchecked = broken.filter((p) => (as.expectations[p] ?? null) === null);
  if (broken.length > 0 && failing.length === 0)
    return err(
      `the case breaks only ${unchecked.join(', ')}, which no scenario expectation checks (${property.name} checks it itself)`,
    );
  const expect = [
    ...new Set(Object.values(as.expectations).filter((e): e is string => e !== null)),
  ];
  const { scenario, seed } = as.of(req.value);
  const { $schema: _schema, description: _d, seed: _s, quirks: _q, expect: _e, ...rest } = scenario;
  const body = {
    description: `A ${property.name} counterexample (${req.from}) as a scenario.`,
    seed,
    ...(withoutEmpty(rest) as object),
    quirks: [...req.quirks],
    expect,
  };
  const header = [
    `Made by \`spar replay ${req.from} --scenario ${req.out}\` from a counterexample of the`,
    `property ${property.name}${req.quirks.length > 0 ? ` (quirks: ${req.quirks.join(', ')})` : ''}. The case:`,
    ...property
      .describe(req.value)
      .split('\n')
      .map((l) => `  ${l}`),
    ...(broken.length === 0
      ? ['It breaks no promise any more (fixed since it was saved?).']
      : ['It broke:', ...req.violations.map((v) => `  ${v}`)]),
    ...(unchecked.length === 0
      ? []
      : [`No expectation checks ${unchecked.join(', ')}: that part shows only in spar replay.`]),
    `Run it with: spar run ${req.out} --runtime sim${failing.length > 0 ? `  (fails ${failing.join(', ')})` : ''}`,
  ];
  const text = `${header.map((l) => `# ${l}`.trimEnd()).join('\n')}\n${yamlText(body)}`;
  return ok({ text, expect, failing });
}

// Drops empty lists (the schema's defaults) so the file shows only what the case set. An empty
// object stays: `hardware: {}` makes the same configuration as the case's, leaving it out not.
function withoutEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmpty);
  if (typeof value !== 'object' || value === null) return value;
  const kept = Object.entries(value).flatMap(([k, v]) =>
    Array.isArray(v) && v.length === 0 ? [] : [[k, withoutEmpty(v)] as const],
  );
  return Object.fromEntries(kept);
}

// Block style for the structure, flow style (`{ busNo: 2, devNo: 0 }`, `[guest1]`) for lists and
// objects of plain values, as the shipped scenarios are written.
function yamlText(body: object): string {
  const doc = new Document(body);
  visit(doc, {
    Map: (_, node) => {
      if (node.items.every((pair) => isScalar(pair.value))) node.flow = true;
    },
    Seq: (_, node) => {
      if (node.items.every(isScalar)) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 100, flowCollectionPadding: false });
}
