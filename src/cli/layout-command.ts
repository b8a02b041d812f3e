// `spar layout`: every shared structure with its kernel name, size and fields, so a user can
// check spar-sim against the C headers or a memory dump (issue: foundation, deliverable 3).

import type { StructDescriptor } from '../base/struct.js';
import { allLayouts } from '../protocol/layouts.js';

/** The JSON shape of `spar layout --json`. */
export interface LayoutJson {
  readonly structs: readonly {
    readonly name: string;
    readonly size: number;
    readonly fields: readonly {
      readonly name: string;
      readonly offset: number;
      readonly size: number;
      readonly type: string;
    }[];
  }[];
}

/** Builds the `--json` document. */
export function layoutJson(structs: readonly StructDescriptor[] = allLayouts): LayoutJson {
  return {
    structs: structs.map((s) => ({
      name: s.name,
      size: s.sizeBytes,
      fields: s.fields.map((f) => ({ name: f.name, offset: f.offset, size: f.size, type: f.type })),
    })),
  };
}

/** Renders the human-readable table, optionally only the structs whose name contains `filter`. */
export function layoutText(structs: readonly StructDescriptor[] = allLayouts): string {
  const lines: string[] = [];
  for (const s of structs) {
    lines.push(`struct ${s.name}  (${s.sizeBytes} bytes)`);
    lines.push(`  ${'offset'.padStart(6)}  ${'size'.padStart(5)}  ${'type'.padEnd(20)}  field`);
    for (const f of s.fields) {
      lines.push(
        `  ${String(f.offset).padStart(6)}  ${String(f.size).padStart(5)}  ${f.type.padEnd(20)}  ${f.name}`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}
