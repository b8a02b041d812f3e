// Loading a scenario file: YAML (the `yaml` library, which keeps source positions) → shape
// (zod, `schema.ts`) → references and configuration rules (`references.ts`). Every error is one
// line naming file, line and column and saying what was expected; the first stage with errors
// reports its errors (a syntax error: only the first) and stops there, since later stages would
// only repeat them.

import { basename, extname } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { err, ok, type Result } from '../base/result.js';
import type { Config } from '../hypervisor/index.js';
import { pathText, type ScenarioError } from './errors.js';
import { Positions } from './positions.js';
import { checkReferences } from './references.js';
import { safeParseScenario, type Scenario } from './schema.js';

/** Largest scenario file accepted: far above any real one, small enough to parse at once. */
export const MAX_SCENARIO_BYTES = 1 << 20;
/** YAML alias expansions allowed (a "billion laughs" file is refused, not expanded). */
const MAX_ALIASES = 100;

/** A loaded scenario: its name (file name without extension), contents and configuration. */
export interface LoadedScenario {
  readonly file: string;
  readonly name: string;
  readonly scenario: Scenario;
  readonly config: Config;
}

/** Parses and checks scenario `text`, read from `file` (used in messages and for the name). */
export function loadScenarioText(
  text: string,
  file: string,
): Result<LoadedScenario, ScenarioError[]> {
  const at = (line: number, column: number, path: string, message: string): ScenarioError => ({
    file,
    line,
    column,
    path,
    message,
  });
  if (text.length > MAX_SCENARIO_BYTES)
    return err([at(1, 1, '', `file is larger than ${MAX_SCENARIO_BYTES} bytes`)]);
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
  });
  // Only the first syntax error: the parser's later ones follow from it (an unclosed `[` is also
  // an unclosed `{`), so a garbage file is one line, at the first place it went wrong.
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const pos = lines.linePos(syntax.pos[0]);
    return err([at(pos.line, pos.col, '', `YAML: ${firstLine(syntax.message)}`)]);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    return err([at(1, 1, '', `YAML: ${firstLine((e as Error).message)}`)]);
  }
  const positions = new Positions(doc, lines);
  const parsed = safeParseScenario(data ?? {});
  if (!parsed.success)
    return err(parsed.error.issues.flatMap((issue) => issueErrors(issue, data, positions, at)));
  const { config, errors } = checkReferences(parsed.data);
  if (errors.length > 0 || config === null) {
    return err(
      errors.map((e) => {
        const pos = positions.of(e.path);
        return at(pos.line, pos.column, pathText(e.path), e.message);
      }),
    );
  }
  return ok({ file, name: basename(file, extname(file)), scenario: parsed.data, config });
}

type At = (line: number, column: number, path: string, message: string) => ScenarioError;

// One zod issue as errors: one per unknown key (at the key), else one at the node.
function issueErrors(
  issue: z.core.$ZodIssue,
  data: unknown,
  positions: Positions,
  at: At,
): ScenarioError[] {
  const path = issue.path;
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const pos = positions.ofKey(path, key);
      return at(pos.line, pos.column, pathText([...path, key]), `unknown key "${key}"`);
    });
  }
  const pos = positions.of(path);
  const missing = path.length > 0 && valueAt(data, path) === undefined;
  return [
    at(
      pos.line,
      pos.column,
      pathText(path),
      missing ? `missing required key "${String(path.at(-1))}"` : messageOf(issue),
    ),
  ];
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let node = data;
  for (const seg of path)
    node =
      typeof node === 'object' && node !== null
        ? (node as Record<PropertyKey, unknown>)[seg]
        : undefined;
  return node;
}

// zod's messages, reworded where they would not tell a scenario author what to write.
function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.message.startsWith('Invalid discriminator value')) {
    return `expected one of ${issue.message
      .replace(/^[^']*/, '')
      .replaceAll("'", '')
      .split(' | ')
      .join(', ')}`;
  }
  return issue.message.replace(/^Invalid input: /, '').replace(/^Invalid option: /, '');
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
