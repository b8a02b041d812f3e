import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMachine, type AnyStateMachine } from 'xstate';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MACHINES } from '../../machines/index.js';
import { machineConfigJson, machineShape, statelyModule } from './index.js';

// The modules import 'xstate', so they are written inside the project (under node_modules/.cache,
// which Node searches upwards from for node_modules/xstate) with a package.json that makes `.js`
// an ES module there, and removed afterwards.
const CACHE = fileURLToPath(new URL('../../node_modules/.cache/', import.meta.url));
let dir = '';

beforeAll(async () => {
  await mkdir(CACHE, { recursive: true });
  dir = await mkdtemp(join(CACHE, 'spar-export-test-'));
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
});

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

async function importModule(name: string, text: string): Promise<AnyStateMachine> {
  const file = join(dir, name);
  await writeFile(file, text);
  const module = (await import(pathToFileURL(file).href)) as { machine: AnyStateMachine };
  return module.machine;
}

describe('stately-js', () => {
  test('smoke: a module is a createMachine call with its import, header and literal config', () => {
    const machine = createMachine({
      id: 'toggle',
      initial: 'off',
      states: { off: { on: { FLIP: 'on' } }, on: {} },
    });
    expect(statelyModule({ id: 'toggle', summary: 'A switch.' }, machine)).toBe(
      [
        '// toggle: A switch.',
        '// Written by `spar export` from spar-sim machines/; change the machine there, not this file.',
        '// Import into Stately Studio with "Import from code". Actions, guards and delays are named;',
        '// their implementations stay in spar-sim.',
        '',
        "import { createMachine } from 'xstate';",
        '',
        'export const machine = createMachine({',
        "  id: 'toggle',",
        "  initial: 'off',",
        "  states: { off: { on: { FLIP: 'on' } }, on: {} },",
        '});',
        '',
      ].join('\n'),
    );
  });

  test('higher-order guards are written as and/not calls and imported from xstate', () => {
    const entry = MACHINES.find((m) => m.id === 'visorbus');
    expect(entry).toBeDefined();
    if (entry === undefined) return;
    const text = statelyModule(entry, entry.machine);
    expect(text).toContain("import { and, createMachine, not } from 'xstate';");
    expect(text).toContain("guard: and(['isDestroyBus', not('busExists')]),");
    expect(text).toContain("guard: not('isDeviceLive'),");
    expect(text).not.toContain('xstate.and');
  });

  test('keys that are not identifiers are quoted and strings escaped', async () => {
    const machine = createMachine({
      id: "it's",
      initial: 'a b',
      states: { 'a b': { description: 'line\nbreak \\ "q"', on: { 'x.y': '1000' } }, 1000: {} },
    });
    const text = statelyModule({ id: 'odd', summary: 'Odd\nnames.' }, machine);
    expect(text).toContain("'a b': {");
    expect(text).toContain("id: 'it\\'s'");
    expect(text.split('\n')[0]).toBe('// odd: Odd names.');
    const again = await importModule('odd.js', text);
    expect(machineShape(again)).toEqual(machineShape(machine));
    expect(again.config).toEqual(machine.config);
  });

  test('inline functions are listed in the header and written as inline: references', async () => {
    const machine = createMachine({
      id: 'inline',
      context: () => ({ n: 0 }),
      initial: 'a',
      states: { a: { on: { GO: { target: 'b', guard: () => true } } }, b: {} },
    });
    const text = statelyModule({ id: 'inline', summary: 'Inline.' }, machine);
    expect(text).toContain(
      '// Inline functions written as "inline:<path>" named references: context, states.a.on.GO.guard.',
    );
    expect(text).toContain(
      "guard: { type: 'inline:states.a.on.GO.guard', params: { was: 'function' } }",
    );
    expect(machineShape(await importModule('inline.js', text))).toEqual(machineShape(machine));
  });

  describe.each(MACHINES.map((entry) => [entry.id, entry] as const))('%s', (id, entry) => {
    test('its .js module, imported with xstate, gives the same states, initial states and transitions', async () => {
      const again = await importModule(`${id}.js`, statelyModule(entry, entry.machine));
      const shape = machineShape(entry.machine);
      expect(shape.transitions.length).toBeGreaterThan(0);
      expect(machineShape(again)).toEqual(shape);
      expect(machineConfigJson(again).config).toEqual(machineConfigJson(entry.machine).config);
    });
  });
});
