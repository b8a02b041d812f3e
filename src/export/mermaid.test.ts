import { and, createMachine, not, stateIn } from 'xstate';
import { describe, expect, test } from 'vitest';
import { MACHINES } from '../../machines/index.js';
import { mermaidDiagram } from './index.js';
import { stateNodes } from './machine-shape.js';
import { isSafeId } from './mermaid-ids.js';

// Nested and parallel states, a final state, after (numeric and named), always, a targetless
// transition on an atomic and on a parallel state, higher-order and parameterised guards, a
// state key used twice (`off`) and one that is a Mermaid keyword (`state`).
const door = createMachine({
  id: 'door',
  initial: 'closed',
  states: {
    closed: {
      on: {
        OPEN: { target: 'opened', guard: and(['isUnlocked', not('isJammed')]) },
        KNOCK: { actions: 'answer' },
        BREAK: 'broken',
      },
    },
    opened: {
      type: 'parallel',
      on: { CLOSE: 'closed', DRAFT: { actions: 'shiver' } },
      states: {
        light: {
          initial: 'off',
          states: { off: { on: { SWITCH: 'on' } }, on: { after: { 5000: 'off' } } },
        },
        fan: {
          initial: 'off',
          states: {
            off: { always: { target: 'state', guard: stateIn('#door.opened.light.on') } },
            state: {
              after: {
                spinDown: { target: 'off', guard: { type: 'isIdle', params: { forMs: 10 } } },
              },
            },
          },
        },
      },
    },
    broken: { type: 'final' },
  },
});

const DOOR_MMD = `stateDiagram-v2
  closed
  state opened {
    state light {
      state "off" as opened_light_off
      on
      [*] --> opened_light_off
      opened_light_off --> on : SWITCH
      on --> opened_light_off : after 5000ms
    }
    --
    state fan {
      state "off" as opened_fan_off
      state "state" as opened_fan_state
      [*] --> opened_fan_off
      opened_fan_off --> opened_fan_state : always [in door.opened.light.on]
      opened_fan_state --> opened_fan_off : after spinDown [isIdle(forMs=10)]
    }
  }
  broken
  [*] --> closed
  closed --> opened : OPEN [isUnlocked and not isJammed]
  closed --> closed : KNOCK
  closed --> broken : BREAK
  opened --> closed : CLOSE
  %% opened --> opened : DRAFT
  broken --> [*]
`;

describe('mermaid', () => {
  test('smoke: a flat machine is its states, the initial arrow and labelled transitions', () => {
    const toggle = createMachine({
      id: 'toggle',
      initial: 'off',
      states: { off: { on: { FLIP: 'on' } }, on: { on: { FLIP: 'off' } } },
    });
    expect(mermaidDiagram(toggle)).toBe(
      'stateDiagram-v2\n  off\n  on\n  [*] --> off\n  off --> on : FLIP\n  on --> off : FLIP\n',
    );
  });

  test('nested, parallel and final states, delays, always and guards come out as expected', () => {
    expect(mermaidDiagram(door)).toBe(DOOR_MMD);
  });

  test('a parallel root is drawn as a state with -- between its regions', () => {
    const lines = mermaidDiagram(
      MACHINES.find((m) => m.id === 'visorchipset')?.machine ?? door,
    ).split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'stateDiagram-v2',
      '  state visorchipset {',
      '    state controlvm {',
    ]);
    expect(lines).toContain('    --');
    expect(lines).toContain('      waiting --> draining : after pollInterval');
    expect(lines).toContain('      waiting --> draining : always [isDoorbellPending]');
    expect(lines).toContain(
      '      draining --> blocked : CONTROLVM_COMMAND [isCommand(id=CONTROLVM_BUS_CREATE)]',
    );
    expect(lines).toContain('    %% controlvm --> controlvm : VISORBUS_DONE [isDeviceChangeDone]');
  });

  test('labels never carry what ends or breaks a Mermaid line', () => {
    const odd = createMachine({
      id: 'odd',
      initial: 'a',
      states: { a: { on: { 'x:y;z%%{w}': 'b', 'set direction LR': 'b' } }, b: {} },
    });
    const text = mermaidDiagram(odd);
    expect(text).toContain('a --> b : x.y,z%(w)\n');
    expect(text).toContain('a --> b : set direction_LR\n');
  });

  describe.each(MACHINES.map((entry) => [entry.id, entry] as const))('%s', (_id, { machine }) => {
    test('every state is declared once with a safe, unique id, and the diagram starts stateDiagram-v2', () => {
      const text = mermaidDiagram(machine);
      expect(text.startsWith('stateDiagram-v2\n')).toBe(true);
      const declared = text
        .split('\n')
        .map((line) => line.trim())
        .filter(
          (line) =>
            line !== '' &&
            !line.includes('-->') &&
            !line.startsWith('%%') &&
            line !== '--' &&
            line !== '}',
        )
        .filter((line) => line !== 'stateDiagram-v2')
        .map((line) => /^state (?:"[^"]*" as )?([^ {]+)/.exec(line)?.[1] ?? line);
      expect(new Set(declared).size).toBe(declared.length);
      const rootDrawn = text.includes(`\n  state ${machine.id} {\n`) ? 1 : 0;
      expect(declared.length).toBe(stateNodes(machine.root).length - 1 + rootDrawn);
      for (const id of declared) expect(isSafeId(id), id).toBe(true);
      expect(text).toMatch(/\[\*\] --> /);
    });
  });
});
