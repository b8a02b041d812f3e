// JavaScript source for a literal value (issue: CLI, `spar export`): the body of the
// `createMachine({...})` call in a Stately module. Objects and arrays go on one line when that
// line fits in 100 columns (STYLE §3), otherwise one entry per line; keys are bare identifiers
// where JavaScript allows, strings are single-quoted. A `HelperCall` renders as a call of an
// xstate helper (`and([...])`), and the renderer collects which helpers it used for the import.

import { isPlainObject } from './json-value.js';
import { assert } from '../base/assert.js';

/** A call of an xstate export, `helper(...args)`, inside a literal. */
export class HelperCall {
  constructor(
    readonly helper: string,
    readonly args: readonly unknown[],
  ) {}
}

const WIDTH = 100;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Renders `value` at `indent`, when `prefixLength` columns already stand before it on its line;
 * `multiline` spreads the outermost object or array over lines even when it would fit on one.
 */
export function renderLiteral(
  value: unknown,
  indent: string,
  prefixLength: number,
  helpers: Set<string>,
  multiline = false,
): string {
  const flat = renderFlat(value, helpers);
  const fits =
    indent.length + prefixLength + flat.length <= WIDTH && !(multiline && flat.length > 2);
  if (fits || !isComposite(value)) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    const items = value.map(
      (item: unknown) => `${inner}${renderLiteral(item, inner, 1, helpers)},`,
    );
    return `[\n${items.join('\n')}\n${indent}]`;
  }
  if (value instanceof HelperCall) {
    const args = value.args.map((arg) =>
      renderLiteral(arg, indent, value.helper.length + 1, helpers),
    );
    return `${value.helper}(${args.join(', ')})`;
  }
  const entries = Object.entries(value as Record<string, unknown>).map(([key, child]) => {
    const k = renderKey(key);
    return `${inner}${k}: ${renderLiteral(child, inner, k.length + 3, helpers)},`;
  });
  return `{\n${entries.join('\n')}\n${indent}}`;
}

function renderFlat(value: unknown, helpers: Set<string>): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'number')
    return String(value);
  if (typeof value === 'string') return quote(value);
  if (value instanceof HelperCall) {
    helpers.add(value.helper);
    return `${value.helper}(${value.args.map((arg) => renderFlat(arg, helpers)).join(', ')})`;
  }
  if (Array.isArray(value))
    return `[${value.map((item: unknown) => renderFlat(item, helpers)).join(', ')}]`;
  assert(
    isPlainObject(value),
    `renderLiteral takes JSON values and helper calls, not ${typeof value}`,
  );
  const entries = Object.entries(value).map(
    ([key, child]) => `${renderKey(key)}: ${renderFlat(child, helpers)}`,
  );
  return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
}

function isComposite(value: unknown): boolean {
  return Array.isArray(value) || value instanceof HelperCall || isPlainObject(value);
}

function renderKey(key: string): string {
  return IDENTIFIER.test(key) ? key : quote(key);
}

/** A single-quoted JavaScript string literal. */
export function quote(text: string): string {
  const escaped = JSON.stringify(text).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'");
  return `'${escaped}'`;
}
