// Scenario errors (STYLE §6 class 2, input errors): each names the file, line and column, the
// place in the document (a JSON-style path) and what was expected. Never thrown for bad input.

/** One thing wrong with a scenario file. */
export interface ScenarioError {
  readonly file: string;
  /** 1-based line and column of the offending node (of the key, for an unknown key). */
  readonly line: number;
  readonly column: number;
  /** Where in the document, e.g. `partitions[1].kind`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
}

/** `file:line:col: path: message`, always one line (a message's line breaks become spaces). */
export function formatScenarioError(e: ScenarioError): string {
  const where = e.path === '' ? '' : `${e.path}: `;
  return `${e.file}:${e.line}:${e.column}: ${where}${e.message}`.replace(/\s*[\r\n]+\s*/g, ' ');
}

/** A JSON-style path from path segments: `partitions[1].kind`. */
export function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : `${i === 0 ? '' : '.'}${String(seg)}`))
    .join('');
}
