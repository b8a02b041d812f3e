// A machine as a Mermaid `stateDiagram-v2` (issue: CLI, `spar export`), for the `.mmd` export
// and for GitHub, where a fenced `mermaid` block renders it.
//
// - Every state is declared in its parent's block before any arrow names it (an aliased one as
//   `state "key" as id`, mermaid-ids.ts). A compound state is `state X { ... }` with
//   `[*] --> initial` inside; a final state gets `X --> [*]`; parallel regions are separated by
//   `--`, each region drawn as a state of its own.
// - The root is drawn as a state of its own only when it is parallel (Mermaid allows `--` only
//   inside a state) or has transitions with targets; otherwise its states are the diagram's top.
// - Labels: the event type, `always`, or `after <delay>` (named, or `<n>ms`), then the guard in
//   brackets: named guards with their params `isCommand(id=CONTROLVM_BUS_CREATE)`, `and`/`or`/
//   `not`, `in <state id>`, and `inline` for an inline function.
// - Choice: a targetless transition (actions only) of an atomic state is drawn as a self-loop, so
//   a state that reacts to an event without leaving shows it. On a compound or parallel state
//   (the root included) Mermaid cannot draw a self-loop reliably (a nested one is a syntax error,
//   mermaid-js/mermaid#4866), so there it is written as the same line behind `%% `, a comment:
//   in the text, not in the picture.
// - Each transition line stands in the block where its source is declared. Not handled: arrows
//   between states inside different composite states (Mermaid documents no support; it moves the
//   target into the source's block, mermaid-js/mermaid#5290) are written all the same.

import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { decodeGuardHelper, encodeGuard } from './guards.js';
import { isInlinePlaceholder } from './inline-placeholder.js';
import { isPlainObject } from './json-value.js';
import { mermaidIds } from './mermaid-ids.js';
import { stateNodes } from './machine-shape.js';
import { assert } from '../base/assert.js';

type Ids = ReadonlyMap<AnyStateNode, string>;

/** The Mermaid text for `machine`, ending with a newline. */
export function mermaidDiagram(machine: AnyStateMachine): string {
  const root = machine.root;
  const ids = mermaidIds(stateNodes(root));
  const drawRoot =
    root.type === 'parallel' || transitionsOf(root).some((edge) => edge.targets.length > 0);
  const rootLines = transitionLines(root, ids);
  const body = drawRoot
    ? [...declaration(root, ids), ...rootLines]
    : [...children(root, ids), ...rootLines];
  return ['stateDiagram-v2', ...body.map((line) => `  ${line}`), ''].join('\n');
}

function declaration(node: AnyStateNode, ids: Ids): string[] {
  const id = idOf(node, ids);
  const head = id === node.key ? id : `state "${stateLabel(node.key)}" as ${id}`;
  if (Object.keys(node.states).length === 0) return [head];
  const opening = id === node.key ? `state ${id} {` : `${head} {`;
  return [opening, ...children(node, ids).map((line) => `  ${line}`), '}'];
}

function children(node: AnyStateNode, ids: Ids): string[] {
  const kids = Object.values(node.states) as AnyStateNode[];
  if (node.type === 'parallel') {
    return kids.flatMap((region, i) => [
      ...(i > 0 ? ['--'] : []),
      ...declaration(region, ids),
      ...transitionLines(region, ids),
    ]);
  }
  const initial = (node.initial?.target ?? []).map((t: AnyStateNode) => `[*] --> ${idOf(t, ids)}`);
  const finals = kids.filter((k) => k.type === 'final').map((k) => `${idOf(k, ids)} --> [*]`);
  // Declarations come first, so an aliased state has its label before any arrow names it.
  return [
    ...kids.flatMap((kid) => declaration(kid, ids)),
    ...initial,
    ...kids.flatMap((kid) => transitionLines(kid, ids)),
    ...finals,
  ];
}

interface Edge {
  readonly targets: readonly AnyStateNode[];
  readonly label: string;
}

function transitionsOf(node: AnyStateNode): Edge[] {
  const delays = new Map<unknown, unknown>(node.after.map((t) => [t, t.delay]));
  const edges: Edge[] = [];
  for (const list of node.transitions.values()) {
    for (const t of list) {
      const event = delays.has(t) ? `after ${delayLabel(delays.get(t))}` : t.eventType;
      edges.push({ targets: t.target ?? [], label: withGuard(event, t.guard) });
    }
  }
  for (const t of node.always ?? []) {
    edges.push({ targets: t.target ?? [], label: withGuard('always', t.guard) });
  }
  return edges;
}

function delayLabel(delay: unknown): string {
  if (typeof delay === 'number') return `${delay}ms`;
  return typeof delay === 'string' ? delay : 'delay';
}

function transitionLines(node: AnyStateNode, ids: Ids): string[] {
  const source = idOf(node, ids);
  const atomic = Object.keys(node.states).length === 0;
  return transitionsOf(node).flatMap(({ targets, label }) => {
    if (targets.length === 0)
      return [`${atomic ? '' : '%% '}${source} --> ${source} : ${edgeLabel(label)}`];
    return targets.map((target) => `${source} --> ${idOf(target, ids)} : ${edgeLabel(label)}`);
  });
}

function withGuard(event: string, guard: unknown): string {
  return guard === undefined
    ? event
    : `${event} [${guardLabel(encodeGuard(guard, 'guard', []), false)}]`;
}

/** A guard (as JSON) in words; `nested` parenthesises `and`/`or` inside another operator. */
function guardLabel(guard: unknown, nested: boolean): string {
  if (typeof guard === 'string') return guard;
  if (isInlinePlaceholder(guard)) return 'inline';
  const decoded = decodeGuardHelper(guard);
  if (decoded !== null) {
    const { helper, operands } = decoded;
    if (helper === 'stateIn') return `in ${stateValueLabel(operands[0])}`;
    if (helper === 'not') return `not ${guardLabel(operands[0], true)}`;
    const text = operands.map((g) => guardLabel(g, true)).join(` ${helper} `);
    return nested ? `(${text})` : text;
  }
  if (!isPlainObject(guard)) return 'guard';
  const params = isPlainObject(guard['params']) ? Object.entries(guard['params']) : [];
  const args = params.map(
    ([k, v]) => `${k}=${typeof v === 'object' && v !== null ? '…' : String(v)}`,
  );
  return args.length === 0 ? String(guard['type']) : `${String(guard['type'])}(${args.join(', ')})`;
}

function stateValueLabel(value: unknown): string {
  return typeof value === 'string' ? value.replace(/^#/, '') : JSON.stringify(value);
}

function idOf(node: AnyStateNode, ids: Ids): string {
  const id = ids.get(node);
  assert(id !== undefined, `mermaidIds names every state node, not ${node.id}`);
  return id;
}

// Mermaid ends a label at `:`, `;` or a newline, reads `%%` as a comment and a line containing
// `direction LR` (or TB, BT, RL) as a direction statement, and `{`/`}` open and close blocks.
function edgeLabel(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/:/g, '.')
    .replace(/;/g, ',')
    .replace(/%%/g, '%')
    .replace(/\{/g, '(')
    .replace(/\}/g, ')')
    .replace(/direction(\s+)(tb|bt|rl|lr)/gi, 'direction_$2');
}

// A `state "..." as id` label ends at the next double quote.
function stateLabel(key: string): string {
  return edgeLabel(key).replace(/"/g, "'");
}
