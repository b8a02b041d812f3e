// The structure of a machine as XState resolved it (issue: CLI, `spar export`): every state node
// with its type and initial states, and every transition with source, event, guard and targets,
// in XState's order. Two machines with equal shapes have the same states and transitions; the
// export tests compare each machine with the one its `.json` and `.js` files give back.

import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { isInlinePlaceholder } from './inline-placeholder.js';
import type { JsonValue } from './json-value.js';
import { isPlainObject } from './json-value.js';

/** One state node (the root included). */
export interface StateShape {
  /** The node's id (`machine.state.child`, or its explicit `id`). */
  readonly id: string;
  /** atomic, compound, parallel, final or history. */
  readonly type: string;
  /** Ids of the initial child states (empty for atomic, final and parallel nodes). */
  readonly initial: readonly string[];
}

/** One transition. */
export interface TransitionShape {
  readonly source: string;
  /** The event type; `''` for `always`, `xstate.after.<delay>.<state id>` for `after`. */
  readonly event: string;
  /** Target state ids; empty for a targetless transition. */
  readonly targets: readonly string[];
  /**
   * The guard: its name, `{ type, params }`, `{ and: [...] }` / `{ or }` / `{ not }` / `{ in }`
   * for higher-order guards (as calls or as their JSON form), `'inline'` for an inline function or
   * its placeholder.
   */
  readonly guard: JsonValue | null;
}

/** Every state and transition of a machine. */
export interface MachineShape {
  readonly id: string;
  readonly states: readonly StateShape[];
  readonly transitions: readonly TransitionShape[];
}

/** The shape of `machine`. */
export function machineShape(machine: AnyStateMachine): MachineShape {
  const states: StateShape[] = [];
  const transitions: TransitionShape[] = [];
  for (const node of stateNodes(machine.root)) {
    const initial = node.initial?.target.map((t: AnyStateNode) => t.id) ?? [];
    states.push({ id: node.id, type: node.type, initial });
    const definitions = [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
    for (const t of definitions) {
      const targets = (t.target ?? []).map((s: AnyStateNode) => s.id);
      transitions.push({
        source: node.id,
        event: t.eventType,
        targets,
        guard: guardShape(t.guard),
      });
    }
  }
  return { id: machine.id, states, transitions };
}

/** The root and every node below it, parents before children, in document order. */
export function stateNodes(root: AnyStateNode): AnyStateNode[] {
  return [root, ...Object.values(root.states).flatMap((child: AnyStateNode) => stateNodes(child))];
}

// Written apart from the encoder (guards.ts), so a mistake there shows up as a difference between
// the original machine and the one read back, instead of being made on both sides alike.
function guardShape(guard: unknown): JsonValue | null {
  if (guard === undefined) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return functionGuardShape(guard as HigherOrder);
  if (!isPlainObject(guard) || isInlinePlaceholder(guard)) return 'inline';
  const params = isPlainObject(guard['params']) ? guard['params'] : {};
  const helper = /^xstate\.(and|or|not|stateIn)$/.exec(String(guard['type']))?.[1];
  if (helper === 'stateIn') return { in: asJson(params['stateValue']) };
  const operands = params['guards'];
  if (helper !== undefined && Array.isArray(operands))
    return { [helper]: operands.map(guardShape) };
  return { type: asJson(guard['type']), params: asJson(guard['params'] ?? null) };
}

interface HigherOrder {
  readonly name: string;
  readonly check?: unknown;
  readonly guards?: readonly unknown[];
  readonly stateValue?: unknown;
}

// `and`, `or`, `not` and `stateIn` are functions named after themselves that carry a `check`.
function functionGuardShape(guard: HigherOrder): JsonValue {
  if (typeof guard.check !== 'function') return 'inline';
  if (guard.name === 'stateIn') return { in: asJson(guard.stateValue) };
  if (Array.isArray(guard.guards)) return { [guard.name]: guard.guards.map(guardShape) };
  return 'inline';
}

function asJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value) ?? 'null') as JsonValue;
}
