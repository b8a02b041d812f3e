// `spar export [--out DIR] [--format stately|json|mermaid|all]` (issue: CLI): every registered
// machine as `DIR/<id>.js` (a `createMachine({...})` module for Stately Studio's "Import from
// code"), `DIR/<id>.json` (its `machine.config`) and `DIR/<id>.mmd` (a Mermaid stateDiagram-v2).
// Library code: it returns the lines to print and throws UsageError for the user's mistakes
// (program.ts turns those into one line on stderr and exit 2).
//
// Choice: the default directory is `./machines-export`, relative to where spar runs, and it is in
// .gitignore: an export is a build product, regenerated from machines/ at will. Files of the same
// name are replaced (it is an export); anything else in the directory is left alone.

import { join } from 'node:path';
import { MACHINES, type MachineEntry } from '../../machines/index.js';
import {
  EXPORT_FORMATS,
  FORMAT_EXTENSION,
  exportFiles,
  writeFilesAtomically,
  type ExportFile,
  type ExportFormat,
} from '../export/index.js';
import { checkWritableDir } from './output-paths.js';
import { UsageError } from './usage-error.js';

/** Where `spar export` writes when `--out` is not given. */
export const DEFAULT_OUT = './machines-export';

/** The values `--format` takes: one format, or `all`. */
export const FORMAT_CHOICES = [...EXPORT_FORMATS, 'all'] as const;

/** Options of `spar export`, checked. */
export interface ExportOptions {
  /** The directory to write into, as the user gave it (created if missing). */
  readonly out: string;
  readonly formats: readonly ExportFormat[];
}

/** Checks the raw option values commander parsed; a bad one is a UsageError naming its flag. */
export function parseExportOptions(raw: {
  readonly out: string;
  readonly format: string;
}): ExportOptions {
  if (raw.out.trim() === '') throw new UsageError('the output directory is empty', '--out');
  if (raw.format === 'all') return { out: raw.out, formats: EXPORT_FORMATS };
  const format = EXPORT_FORMATS.find((f) => f === raw.format);
  if (format === undefined) {
    throw new UsageError(
      `'${raw.format}' is not a format; use ${FORMAT_CHOICES.join(', ')}`,
      '--format',
    );
  }
  return { out: raw.out, formats: [format] };
}

/**
 * Writes every machine's files; returns one line per file written and a final summary line. The
 * directory is checked (and made) first, so an unwritable `--out` is one line before any work.
 */
export async function runExport(
  options: ExportOptions,
  machines: readonly MachineEntry[] = MACHINES,
): Promise<readonly string[]> {
  checkWritableDir(options.out, '--out', { create: true });
  const files = machines.flatMap((entry) => exportFiles(entry, options.formats));
  const written = await writeFilesAtomically(options.out, files);
  if (!written.ok) throw new UsageError(written.error.message, '--out');
  return [
    ...files.map((file) => fileLine(options.out, file)),
    summaryLine(options, machines.length, files),
  ];
}

function fileLine(out: string, file: ExportFile): string {
  const line = `wrote ${join(out, file.name)}`;
  if (file.placeholders.length === 0) return line;
  const paths = file.placeholders.map((p) => p.path).join(', ');
  const noun = file.placeholders.length === 1 ? 'placeholder' : 'placeholders';
  return `${line}  (${noun} for inline ${paths})`;
}

function summaryLine(
  options: ExportOptions,
  machineCount: number,
  files: readonly ExportFile[],
): string {
  const kinds = options.formats.map((f) => `${f} .${FORMAT_EXTENSION[f]}`).join(', ');
  const counted = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  const where = join(options.out);
  return `exported ${counted(machineCount, 'machine')} to ${where}: ${counted(files.length, 'file')} (${kinds})`;
}
