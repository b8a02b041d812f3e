// A published JSON Schema in docs/ (draft 2020-12) as a test's validator, with ajv in strict mode
// so that a mistake inside the schema is itself an error.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';

/** The validator of `docs/<file>`: returns ajv's errors as `path: message` lines (none: valid). */
export function docsSchema(file: string): (value: unknown) => string[] {
  const schema = JSON.parse(
    readFileSync(resolve(import.meta.dirname, '../../../docs', file), 'utf8'),
  ) as object;
  const validate = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true }).compile(
    schema,
  );
  return (value) =>
    validate(value)
      ? []
      : (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? ''}`);
}
