// A one-line description of a machine effect for traces and timelines: which controlvm command,
// which message handle, which bus and device, which status. It reads any effect's plain fields by
// name and checks each one's type, so it describes every machine's effects without knowing them.
// bindTraced binds a host's actor with that trace, as every host does.

import type { AnyActorRef } from 'xstate';
import { controlvmIdName } from '../protocol/controlvm.js';
import { type AnyBinding, bindActor, type Effect } from './binding.js';
import type { Environment } from './environment.js';

/** The field `key` of `value` when it is an object, else undefined. */
function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
}

/** Short human-readable facts of an effect (empty when there are none worth showing). */
export function effectDetail(effect: { readonly type: string }): string {
  const parts: string[] = [];
  const at = (key: string): unknown => field(effect, key);
  const message = at('request') ?? at('response') ?? at('msg');
  const either = (key: string): unknown => field(message, key) ?? at(key);
  // Only controlvm messages and the CP's outcomes carry a controlvm id; other effects' ids are
  // request ids (workloads, the midlayer).
  const { type } = effect;
  const controlvm =
    type.startsWith('controlvm.') || type.startsWith('cp.') || type.startsWith('visorbus.');
  const id = either('id');
  if (typeof id === 'number') parts.push(controlvm ? controlvmIdName(id) : `#${id}`);
  const op = at('op');
  if (typeof op === 'string') parts.push(`${op} lba ${String(at('lba'))}+${String(at('blocks'))}`);
  const tag = at('tag');
  if (typeof tag === 'number') parts.push(`tag ${tag}`);
  const kind = either('kind');
  if (typeof kind === 'string') parts.push(kind);
  const handle = either('messageHandle');
  if (typeof handle === 'string') parts.push(`handle=${handle}`);
  const guest = at('guest');
  if (typeof guest === 'string') parts.push(`guest=${guest}`);
  const driver = at('driver');
  if (typeof driver === 'string') parts.push(driver);
  const bus = either('busNo');
  const dev = either('devNo');
  if (typeof bus === 'number')
    parts.push(typeof dev === 'number' ? `vbus${bus}:dev${dev}` : `bus ${bus}`);
  const status = either('status');
  if (typeof status === 'number') parts.push(`status=${status}`);
  return parts.join(' ');
}

/**
 * Binds `actor` (systemId `systemId` of `partition`) to `binding` as every host does: each effect
 * traced with the actor's state after it (but those `untraced` says are polls), then performed;
 * what a handler throws fails the run (Environment.fail). Returns the unsubscribe function.
 */
export function bindTraced<E extends Effect>(
  env: Environment,
  partition: string,
  systemId: string,
  actor: AnyActorRef,
  binding: AnyBinding,
  untraced: (effect: E) => boolean = () => false,
): () => void {
  const fail = (error: unknown) => env.fail(error, systemId);
  return bindActor<E>(actor, binding, fail, (effect) => {
    if (untraced(effect)) return;
    const state = JSON.stringify(actor.getSnapshot().value);
    const detail = { text: effectDetail(effect) };
    env.trace({ atMs: env.now(), partition, actor: systemId, event: effect.type, state, detail });
  });
}
