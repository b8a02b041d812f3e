// The zod pieces every part of the scenario schema uses: the core's and each device kind's
// fragments (src/kinds/<kind>/scenario.ts). Kept apart from schema.ts, which composes them, so a
// kind can import them without importing the whole schema.

import { z } from 'zod';
import { parseDuration } from './duration.js';

/** A duration: milliseconds as a number, or a string such as "250ms", "1.5s", "2m". */
export const durationSchema = z
  .union([z.number(), z.string()])
  .refine((v) => parseDuration(v) !== null, {
    error:
      'expected a duration such as 250, "250ms", "1.5s" or "2m" (whole milliseconds, not negative)',
  })
  .transform((v) => parseDuration(v) as number)
  .meta({ description: 'Milliseconds, or a string with a unit: "250ms", "1.5s", "2m".' });

/** A name of letters, digits, `_`, `.` or `-`. */
export const nameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+$/, { error: 'expected a name of letters, digits, "_", "." or "-"' });

/** An unsigned 32-bit integer. */
export const u32Schema = z.number().int().min(0).max(0xffff_ffff);

/** A fault's trigger: a time, or the Nth trace record matching a condition (every fault has it). */
export const triggerShape = {
  at: durationSchema
    .optional()
    .meta({ description: 'When the fault fires (from the start of the run).' }),
  when: z
    .strictObject({
      partition: nameSchema.optional(),
      actor: z
        .string()
        .optional()
        .meta({ description: 'Actor systemId, e.g. guest1/visorchipset.' }),
      event: z
        .string()
        .meta({ description: 'Trace event, e.g. controlvm.respond, BOOTED (a lifecycle event).' }),
      occurrence: z
        .number()
        .int()
        .min(1)
        .default(1)
        .meta({ description: 'Fire at the Nth matching record (default the first).' }),
      after: durationSchema.default(0).meta({ description: 'Delay after the matching record.' }),
    })
    .optional()
    .meta({ description: 'Fires once, at the Nth trace record matching every field given.' }),
};
