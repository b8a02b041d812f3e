// A machine as a JavaScript module for Stately Studio's "Import from code" (issue: CLI, `spar
// export`): `import { createMachine } from 'xstate'; export const machine = createMachine({...});`
// with the config as a literal. Stately's importer (statelyai/xstate-tools, machine-extractor)
// finds `createMachine(...)` calls anywhere in the file and reads targets as strings and guards
// and actions as names or `{ type, params }` objects, which is how spar-sim's machines reference
// their implementations (STYLE §4), so the literal is the config as it stands.
// Choice: higher-order guards are written as the XState calls they are (`and([...])`, `not(...)`,
// `stateIn(...)`, imported from 'xstate'), so the module is a valid XState machine with the same
// guards. Quirk (Stately): the extractor reads a guard that is a call expression as an opaque
// expression rather than a named guard; the JSON export carries such guards as plain data.
// Inline functions are `inline:` placeholders here as in the JSON (inline-placeholder.ts).

import type { AnyStateMachine } from 'xstate';
import { mapStateNode } from './config-walk.js';
import type { ConfigJson } from './config-json.js';
import { machineConfigJson } from './config-json.js';
import { decodeGuardHelper } from './guards.js';
import { HelperCall, renderLiteral } from './js-literal.js';

/** What the module's header says about the machine. */
export interface StatelyModuleSource {
  /** Registry id (file name). */
  readonly id: string;
  /** One sentence of what the machine models. */
  readonly summary: string;
}

const OPENING = 'export const machine = createMachine(';

/** The module text for `machine` (its JSON config may be passed when already computed). */
export function statelyModule(
  source: StatelyModuleSource,
  machine: AnyStateMachine,
  json: ConfigJson = machineConfigJson(machine),
): string {
  const literal = mapStateNode(json.config, '', {
    guard: (value) => toHelperCall(value),
    data: (value) => value,
  });
  const helpers = new Set<string>(['createMachine']);
  const body = renderLiteral(literal, '', OPENING.length, helpers, true);
  return [
    ...header(source, json),
    '',
    `import { ${[...helpers].sort().join(', ')} } from 'xstate';`,
    '',
    `${OPENING}${body});`,
    '',
  ].join('\n');
}

function header(source: StatelyModuleSource, json: ConfigJson): string[] {
  const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
  const lines = [
    `// ${oneLine(source.id)}: ${oneLine(source.summary)}`,
    '// Written by `spar export` from spar-sim machines/; change the machine there, not this file.',
    '// Import into Stately Studio with "Import from code". Actions, guards and delays are named;',
    '// their implementations stay in spar-sim.',
  ];
  if (json.placeholders.length > 0) {
    const paths = json.placeholders.map((p) => oneLine(p.path)).join(', ');
    lines.push(`// Inline functions written as "inline:<path>" named references: ${paths}.`);
  }
  return lines;
}

function toHelperCall(json: unknown): unknown {
  const decoded = decodeGuardHelper(json);
  if (decoded === null) return json;
  const operands = decoded.operands.map(toHelperCall);
  const args = decoded.helper === 'and' || decoded.helper === 'or' ? [operands] : operands;
  return new HelperCall(decoded.helper, args);
}
