// The files `spar export` writes for one machine (issue: CLI, `spar export`): `<id>.js` for
// Stately Studio, `<id>.json` with its config, `<id>.mmd` with its Mermaid diagram.

import type { AnyStateMachine } from 'xstate';
import { machineConfigJson } from './config-json.js';
import type { InlinePlaceholder } from './inline-placeholder.js';
import { mermaidDiagram } from './mermaid.js';
import { statelyModule } from './stately-js.js';

/** The export formats, in the order their files are written. */
export const EXPORT_FORMATS = ['stately', 'json', 'mermaid'] as const;

/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The file name extension of each format (without the dot). */
export const FORMAT_EXTENSION: Readonly<Record<ExportFormat, string>> = {
  stately: 'js',
  json: 'json',
  mermaid: 'mmd',
};

/** A machine to export: its registry id (the file name), summary and machine. */
export interface ExportSource {
  readonly id: string;
  readonly summary: string;
  readonly machine: AnyStateMachine;
}

/** One file to write. */
export interface ExportFile {
  /** File name, `<id>.<extension>`. */
  readonly name: string;
  readonly format: ExportFormat;
  readonly content: string;
  /** Inline values written as `inline:` placeholders (always empty for Mermaid). */
  readonly placeholders: readonly InlinePlaceholder[];
}

/** The files of `source` in `formats` (in {@link EXPORT_FORMATS} order). */
export function exportFiles(source: ExportSource, formats: readonly ExportFormat[]): ExportFile[] {
  const json = machineConfigJson(source.machine);
  const content: Record<ExportFormat, () => string> = {
    stately: () => statelyModule(source, source.machine, json),
    json: () => `${JSON.stringify(json.config, null, 2)}\n`,
    mermaid: () => mermaidDiagram(source.machine),
  };
  return EXPORT_FORMATS.filter((f) => formats.includes(f)).map((format) => ({
    name: `${source.id}.${FORMAT_EXTENSION[format]}`,
    format,
    content: content[format](),
    placeholders: format === 'mermaid' ? [] : json.placeholders,
  }));
}
