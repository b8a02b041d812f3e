// Typed effects end to end (STYLE §12 "Typed at every boundary"): a machine's emitted effects are
// one discriminated union, and the code that performs them is a Binding — one handler per effect
// type, each receiving exactly its variant. An effect type without a handler is a compile error
// where the binding is written (binding.test-d.ts shows it), so no effect is silently dropped.

import type {
  ActorRefFrom,
  AnyActorLogic,
  AnyActorRef,
  AnyStateMachine,
  EmittedFrom,
} from 'xstate';
import { assert } from '../base/assert.js';

/** Anything a machine emits: a tagged object. */
export interface Effect {
  readonly type: string;
}

/** The effects an actor logic (a machine) emits. */
export type EffectOf<L extends AnyActorLogic> = EmittedFrom<L>;

/**
 * The variant of `E` whose `type` is `K`. A variant whose `type` is itself a union (visorbus's
 * driver calls) is narrowed to `K`, so each handler sees exactly its own type.
 */
export type VariantOf<E extends Effect, K extends string> = E extends unknown
  ? K extends E['type']
    ? E & { readonly type: K }
    : never
  : never;

/** One handler per effect type of `E`, each receiving exactly its variant. */
export type Binding<E extends Effect> = {
  readonly [K in E['type']]: (effect: VariantOf<E, K>) => void;
};

/** The binding of everything actor logic `L` emits. */
export type BindingOf<L extends AnyActorLogic> = Binding<EffectOf<L>>;

/** Any binding, its effect types erased: what a host keeps once the types were checked. */
export type AnyBinding = { readonly [type: string]: (effect: never) => void };

/** Performs `effect` with its handler in `binding`. */
export function perform<const E extends Effect>(binding: NoInfer<Binding<E>>, effect: E): void;
export function perform(binding: AnyBinding, effect: Effect): void;
export function perform(binding: AnyBinding, effect: Effect): void {
  // Each key's handler takes exactly that key's variant; TypeScript cannot follow the pairing
  // through an index, hence the one widening here.
  const handler = binding[effect.type] as ((effect: Effect) => void) | undefined;
  assert(handler !== undefined, `no handler for effect ${effect.type}`);
  handler(effect);
}

/**
 * Subscribes `binding` to every effect `actor` emits; `before` sees each effect first (the trace).
 * What a handler throws goes to `fail` (a bug inside spar-sim: Environment.fail), since XState
 * would only rethrow it bare on a later tick. Returns the unsubscribe function.
 */
export function bindActor<E extends Effect = Effect>(
  actor: AnyActorRef,
  binding: AnyBinding,
  fail: (error: unknown) => void,
  before?: (effect: E) => void,
): () => void {
  // The actor's emitted union is E: the caller's binding was checked against the same machine.
  const subscription = actor.on('*', (emitted: E) => {
    try {
      before?.(emitted);
      perform(binding, emitted);
    } catch (error) {
      fail(error);
    }
  });
  return () => subscription.unsubscribe();
}

/** What binds a spawned child actor: a partition host. */
export interface Binder {
  /**
   * The spawned child `systemId`, each of its effects traced and then performed by `binding`,
   * whose type the child's machine `M` fixes (one handler per effect it emits).
   */
  bind<M extends AnyStateMachine>(systemId: string, binding: BindingOf<M>): ActorRefFrom<M>;
}
