// The JSON Schema of scenario files, generated from the zod schema so the two never disagree.
// Input side: keys with defaults are optional, durations accept numbers or strings.

import { z } from 'zod';
import { scenarioSchema } from './schema.js';

/** Where the generated schema is kept in the repository (editors find it via `$schema`). */
export const SCENARIO_SCHEMA_FILE = 'scenarios/scenario.schema.json';

/** The scenario JSON Schema (draft 2020-12) as formatted JSON text, newline-terminated. */
export function scenarioJsonSchemaText(): string {
  const schema = z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify(schema, null, 2)}\n`;
}
