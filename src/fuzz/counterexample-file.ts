// Saved counterexamples (`spar fuzz` writes, `spar replay` reads): one JSON file per failure under
// the failures folder, written atomically and never over an earlier one. Reading treats the file
// as untrusted input: a typed error for anything that is not a counterexample of a known shape.

import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { err, ok, type Result } from '../base/result.js';
import type { Counterexample } from './campaign.js';

/** Format tag of the file; bumped if the layout changes. */
export const COUNTEREXAMPLE_FORMAT = 'spar-counterexample/1';
/** Largest counterexample file read. */
const MAX_BYTES = 16 << 20;

const fileSchema = z.strictObject({
  format: z.literal(COUNTEREXAMPLE_FORMAT),
  property: z.string(),
  quirks: z.array(z.string()),
  campaignSeed: z.number().int(),
  path: z.string(),
  shrinks: z.number().int().min(0),
  violations: z.array(z.string()),
  description: z.string(),
  // Absent in files saved before --check-determinism existed: those were run once.
  checkDeterminism: z.boolean().optional(),
  value: z.unknown(),
});

/** The contents of a counterexample file. */
export type CounterexampleFile = z.infer<typeof fileSchema>;

/** The file for a counterexample of `property`. */
export function counterexampleFile(
  property: string,
  quirks: readonly string[],
  c: Counterexample,
  description: string,
  options: { readonly checkDeterminism: boolean } = { checkDeterminism: false },
): CounterexampleFile {
  return {
    format: COUNTEREXAMPLE_FORMAT,
    property,
    quirks: [...quirks],
    campaignSeed: c.seed,
    path: c.path,
    shrinks: c.shrinks,
    violations: [...c.violations],
    description,
    checkDeterminism: options.checkDeterminism,
    value: c.value,
  };
}

/**
 * Writes `file` into `dir` as `<property>-<campaignSeed>[-<n>].json`: written to a temporary
 * name first, then hard-linked to the final name, which fails rather than replace an existing
 * file; the next free suffix is taken. Returns the path written.
 */
export function saveCounterexample(dir: string, file: CounterexampleFile): string {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${file.property}-${process.pid}-${Date.now()}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { flag: 'wx' });
  try {
    for (let n = 0; ; n++) {
      const name = join(dir, `${file.property}-${file.campaignSeed}${n === 0 ? '' : `-${n}`}.json`);
      try {
        linkSync(tmp, name);
        return name;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  } finally {
    unlinkSync(tmp);
  }
}

/** A counterexample file that cannot be used, and why. */
export interface CounterexampleReadError {
  readonly file: string;
  readonly message: string;
}

/** Reads and checks a counterexample file. */
export function readCounterexample(
  path: string,
): Result<CounterexampleFile, CounterexampleReadError> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return err({
      file: path,
      message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    });
  }
  if (text.length > MAX_BYTES)
    return err({ file: path, message: `larger than ${MAX_BYTES} bytes` });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return err({ file: path, message: `not JSON: ${(e as Error).message}` });
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.join('.')}: `;
    return err({
      file: path,
      message: `not a spar counterexample (${where}${issue?.message ?? 'invalid'})`,
    });
  }
  return ok(parsed.data);
}
