import { and, assign, createActor, createMachine, not, or, stateIn } from 'xstate';
import type { AnyStateMachine } from 'xstate';
import { describe, expect, test } from 'vitest';
import { MACHINES } from '../../machines/index.js';
import {
  configJson,
  machineConfigJson,
  machineShape,
  reviveConfig,
  type JsonObject,
} from './index.js';

/** The JSON as written to `<id>.json` and read back by `JSON.parse`. */
function throughJson(machine: AnyStateMachine): JsonObject {
  return JSON.parse(JSON.stringify(machineConfigJson(machine).config)) as JsonObject;
}

// A machine with every higher-order guard; `a` and `b` are supplied per test case.
const gated = createMachine({
  id: 'gated',
  type: 'parallel',
  states: {
    door: {
      initial: 'shut',
      states: {
        shut: {
          on: {
            GO: { target: 'open', guard: and(['a', or([not('b'), stateIn('#gated.lamp.lit')])]) },
          },
        },
        open: {},
      },
    },
    lamp: { initial: 'lit', states: { lit: { on: { DIM: 'dark' } }, dark: {} } },
  },
});

describe('config-json', () => {
  test('smoke: a config that names every implementation comes out as it went in', () => {
    const config = {
      id: 'toggle',
      initial: 'off',
      states: {
        off: {
          on: {
            FLIP: {
              target: 'on',
              guard: { type: 'isAllowed', params: { n: 1 } },
              actions: ['log'],
            },
          },
        },
        on: { after: { 1000: 'off' }, on: { FLIP: 'off' }, type: 'final', description: 'lit' },
      },
    };
    expect(configJson(config)).toEqual({ config, placeholders: [] });
  });

  test('higher-order guards become xstate.and/or/not/stateIn objects holding their operands', () => {
    const json = machineConfigJson(gated).config as {
      states: { door: { states: { shut: { on: { GO: unknown } } } } };
    };
    expect(json.states.door.states.shut.on.GO).toEqual({
      target: 'open',
      guard: {
        type: 'xstate.and',
        params: {
          guards: [
            'a',
            {
              type: 'xstate.or',
              params: {
                guards: [
                  { type: 'xstate.not', params: { guards: ['b'] } },
                  { type: 'xstate.stateIn', params: { stateValue: '#gated.lamp.lit' } },
                ],
              },
            },
          ],
        },
      },
    });
  });

  test('revived higher-order guards decide every case as the original guards do', () => {
    const revived = createMachine(reviveConfig(throughJson(gated)) as never) as AnyStateMachine;
    for (const a of [false, true]) {
      for (const b of [false, true]) {
        for (const dim of [false, true]) {
          const guards = { a: () => a, b: () => b };
          const outcomes = [gated, revived].map((machine) => {
            const actor = createActor(machine.provide({ guards })).start();
            if (dim) actor.send({ type: 'DIM' });
            actor.send({ type: 'GO' });
            return actor.getSnapshot().value;
          });
          expect(outcomes[1], `a=${a} b=${b} dim=${dim}`).toEqual(outcomes[0]);
        }
      }
    }
    const open = createActor(revived.provide({ guards: { a: () => true, b: () => true } })).start();
    open.send({ type: 'GO' }); // b is true, but the lamp is lit: stateIn decides
    expect(open.getSnapshot().value).toEqual({ door: 'open', lamp: 'lit' });
  });

  test('inline functions become named inline: placeholders where they stood, and are listed', () => {
    const machine = createMachine({
      types: {} as { context: { n: number }; input: number },
      id: 'inline',
      context: ({ input }) => ({ n: input }),
      initial: 'a',
      states: {
        a: {
          entry: assign({ n: 1 }),
          on: {
            GO: {
              target: 'b',
              guard: ({ context }) => context.n > 0,
              actions: [() => undefined, 'named'],
            },
          },
        },
        b: {},
      },
    });
    const { config, placeholders } = machineConfigJson(machine);
    const was = (kind: string) => ({ was: kind });
    expect(config).toEqual({
      types: {},
      id: 'inline',
      context: { type: 'inline:context', params: was('function') },
      initial: 'a',
      states: {
        a: {
          entry: { type: 'inline:states.a.entry', params: was('xstate.assign') },
          on: {
            GO: {
              target: 'b',
              guard: { type: 'inline:states.a.on.GO.guard', params: was('function') },
              actions: [
                { type: 'inline:states.a.on.GO.actions[0]', params: was('function') },
                'named',
              ],
            },
          },
        },
        b: {},
      },
    });
    expect(placeholders.map((p) => p.path)).toEqual([
      'context',
      'states.a.entry',
      'states.a.on.GO.guard',
      'states.a.on.GO.actions[0]',
    ]);
    expect(machineShape(createMachine(JSON.parse(JSON.stringify(config)) as never))).toEqual(
      machineShape(machine),
    );
  });

  test('values JSON cannot hold become placeholders too, and undefined keys are dropped', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    const { config, placeholders } = configJson({
      id: 'odd',
      schemas: undefined,
      meta: { when: new Date(0), big: 1n, nan: Number.NaN, cyclic, list: [undefined, 2] },
    });
    expect(config).toEqual({
      id: 'odd',
      meta: {
        when: { type: 'inline:meta.when', params: { was: 'Date' } },
        big: { type: 'inline:meta.big', params: { was: 'bigint' } },
        nan: { type: 'inline:meta.nan', params: { was: 'non-finite number' } },
        cyclic: {
          name: 'loop',
          self: { type: 'inline:meta.cyclic.self', params: { was: 'cycle' } },
        },
        list: [null, 2],
      },
    });
    expect(placeholders).toHaveLength(4);
  });

  test('a state or event called "guard" is not taken for a guard', () => {
    const config = {
      id: 'm',
      initial: 'guard',
      states: { guard: { on: { guard: 'other' } }, other: {} },
    };
    expect(configJson(config).config).toEqual(config);
  });

  test('the shape comparison notices a lost guard or target (so the round-trip tests can fail)', () => {
    const visorbus = MACHINES.find((m) => m.id === 'visorbus')?.machine;
    expect(visorbus).toBeDefined();
    if (visorbus === undefined) return;
    const json = throughJson(visorbus) as {
      states: {
        running: { on: { VISORBUS_REQUEST: { guard?: unknown }[]; STOP: { target?: string } } };
      };
    };
    delete json.states.running.on.VISORBUS_REQUEST[0]?.guard;
    expect(machineShape(createMachine(json as never))).not.toEqual(machineShape(visorbus));
    const again = throughJson(visorbus) as typeof json;
    delete again.states.running.on.STOP.target;
    expect(machineShape(createMachine(again as never))).not.toEqual(machineShape(visorbus));
  });

  describe.each(MACHINES.map((entry) => [entry.id, entry] as const))('%s', (_id, { machine }) => {
    test('its .json config gives the same states, initial states and transitions in createMachine', () => {
      const json = throughJson(machine);
      const again = createMachine(json as never) as AnyStateMachine;
      const shape = machineShape(machine);
      expect(shape.transitions.length).toBeGreaterThan(0);
      expect(machineShape(again)).toEqual(shape);
      expect(machineConfigJson(again).config).toEqual(json);
    });

    test('only its context factory is a placeholder: the config names every implementation', () => {
      const paths = machineConfigJson(machine).placeholders.map((p) => p.path);
      expect(paths.filter((p) => p !== 'context')).toEqual([]);
    });
  });
});
