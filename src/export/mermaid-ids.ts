// State ids that Mermaid's stateDiagram-v2 parser accepts (issue: CLI, `spar export`). Its lexer
// (mermaid-js/mermaid, packages/mermaid/src/diagrams/state/parser/stateDiagram.jison) takes an id
// as `[^:\n\s\-\{]+`, matches keywords case-insensitively, and keeps one namespace for the whole
// diagram, so `a.idle` and `b.idle` would be one state. A state keeps its key as id when the key
// is a plain identifier, no keyword, and unique in the machine; otherwise its id is its path
// joined by `_` (made unique with a numeric suffix) and the key is shown as its label.

import type { AnyStateNode } from 'xstate';

const SAFE = /^[A-Za-z][A-Za-z0-9_]*$/;
const KEYWORDS = new Set(
  [
    'state',
    'note',
    'end',
    'as',
    'left',
    'right',
    'of',
    'class',
    'classdef',
    'default',
    'direction',
    'scale',
    'hide',
    'width',
    'accTitle',
    'accDescr',
    'stateDiagram',
  ].map((k) => k.toLowerCase()),
);

/** The Mermaid id of every state node; the root's is only used when the root is drawn. */
export function mermaidIds(nodes: readonly AnyStateNode[]): Map<AnyStateNode, string> {
  const keyCounts = new Map<string, number>();
  for (const node of nodes) keyCounts.set(node.key, (keyCounts.get(node.key) ?? 0) + 1);
  const taken = new Set<string>();
  const ids = new Map<AnyStateNode, string>();
  for (const node of nodes) {
    const plain = keyCounts.get(node.key) === 1 && isSafeId(node.key);
    const base = plain ? node.key : pathId(node);
    let id = base;
    for (let n = 2; taken.has(id.toLowerCase()); n++) id = `${base}_${n}`;
    taken.add(id.toLowerCase());
    ids.set(node, id);
  }
  return ids;
}

/** True when `text` can stand as a Mermaid state id as it is. */
export function isSafeId(text: string): boolean {
  return SAFE.test(text) && !KEYWORDS.has(text.toLowerCase());
}

function pathId(node: AnyStateNode): string {
  const path = node.path.length === 0 ? [node.machine.id] : node.path;
  const joined = path.join('_').replace(/[^A-Za-z0-9_]/g, '_');
  const id = /^[A-Za-z]/.test(joined) ? joined : `s_${joined}`;
  return isSafeId(id) ? id : `s_${id}`;
}
