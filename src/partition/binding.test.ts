// Typed effects (binding.ts): a binding has one handler per effect type of the machine that emits
// them, each receiving exactly its variant, and an effect without a handler is a compile error.
// The `@ts-expect-error` lines are the type-level tests: `npm run typecheck` fails if any of them
// stops being an error (TypeScript reports an unused directive).

import { describe, expect, expectTypeOf, test } from 'vitest';
import { createActor, emit, setup } from 'xstate';
import type { virthbaMachine } from '../../machines/virthba.machine.js';
import type { VirthbaIoEmitted } from '../../machines/virthba.logic.js';
import type { visorbusMachine } from '../../machines/visorbus.machine.js';
import { type Binding, type BindingOf, bindActor, type EffectOf, perform } from './binding.js';

type Lamp = { readonly type: 'lamp.on'; readonly watts: number } | { readonly type: 'lamp.off' };

const lampMachine = setup({
  types: { events: {} as { type: 'FLIP' }, emitted: {} as Lamp },
  actions: {
    on: emit({ type: 'lamp.on' as const, watts: 60 }),
    off: emit({ type: 'lamp.off' as const }),
  },
}).createMachine({
  initial: 'dark',
  states: {
    dark: { on: { FLIP: { target: 'lit', actions: 'on' } } },
    lit: { on: { FLIP: { target: 'dark', actions: 'off' } } },
  },
});

describe('binding', () => {
  test('smoke: each effect an actor emits reaches its own handler with its own fields, in order', () => {
    const seen: string[] = [];
    const binding: BindingOf<typeof lampMachine> = {
      'lamp.on': ({ watts }) => seen.push(`on ${watts} W`),
      'lamp.off': () => seen.push('off'),
    };
    const actor = createActor(lampMachine).start();
    const traced: string[] = [];
    const failures: unknown[] = [];
    const fail = (error: unknown) => void failures.push(error);
    const unbind = bindActor<Lamp>(actor, binding, fail, (e) => traced.push(e.type));
    actor.send({ type: 'FLIP' });
    actor.send({ type: 'FLIP' });
    unbind();
    actor.send({ type: 'FLIP' });
    expect(seen).toEqual(['on 60 W', 'off']);
    expect(traced, 'the trace sees each effect before it is performed').toEqual([
      'lamp.on',
      'lamp.off',
    ]);
    expect(failures).toEqual([]);
  });

  test('a handler that throws is a bug handed to `fail`, not rethrown later by XState', () => {
    const failures: unknown[] = [];
    const broken: BindingOf<typeof lampMachine> = {
      'lamp.on': () => {
        throw new Error('broken handler');
      },
      'lamp.off': () => {},
    };
    const actor = createActor(lampMachine).start();
    bindActor(actor, broken, (error) => failures.push(error));
    actor.send({ type: 'FLIP' });
    expect(failures).toEqual([new Error('broken handler')]);
  });

  test('an effect type the binding has no handler for is a bug, reported by name', () => {
    const partial = { 'lamp.on': () => {} } as unknown as Binding<Lamp>;
    expect(() => perform(partial, { type: 'lamp.off' })).toThrow(/no handler for effect lamp.off/);
  });

  test('types: dropping a handler, a wrong field or an unknown effect type fails tsc', () => {
    // @ts-expect-error 'lamp.off' has no handler: an unperformed effect does not compile.
    const missing: BindingOf<typeof lampMachine> = { 'lamp.on': () => {} };
    const wrongField: BindingOf<typeof lampMachine> = {
      // @ts-expect-error lamp.on has `watts`, not `volts`.
      'lamp.on': ({ volts }) => volts,
      'lamp.off': () => {},
    };
    const unknown: BindingOf<typeof lampMachine> = {
      'lamp.on': () => {},
      'lamp.off': () => {},
      // @ts-expect-error no machine effect is called lamp.dim.
      'lamp.dim': () => {},
    };
    // @ts-expect-error virthba's IO binding without scsi.complete: the midlayer would never hear.
    const storage: Binding<VirthbaIoEmitted> = {
      'channel.insertScsi': () => {},
      'channel.insertTaskMgmt': () => {},
      'channel.removeResponse': () => {},
      'taskmgmt.complete': () => {},
      'scsi.blockRequests': () => {},
      'scsi.unblockRequests': () => {},
    };
    expect([missing, wrongField, unknown, storage]).toHaveLength(4);
  });

  test('types: a variant whose type is a union is narrowed to each handler key', () => {
    type Pause = Parameters<BindingOf<typeof visorbusMachine>['driver.pause']>[0];
    expectTypeOf<Pause['type']>().toEqualTypeOf<'driver.pause'>();
    expectTypeOf<Pause['driver']>().toEqualTypeOf<string>();
    type Complete = Parameters<BindingOf<typeof virthbaMachine>['scsi.complete']>[0];
    expectTypeOf<Complete>().toMatchTypeOf<EffectOf<typeof virthbaMachine>>();
  });
});
