// Colour per no-color.org and FORCE_COLOR (issue 13, item 7): every row of the rules in
// colour.ts, on a terminal and off one.

import { describe, expect, test } from 'vitest';
import { colourFromEnv } from './colour.js';

describe('colourFromEnv', () => {
  test('smoke: no variables set, colour exactly on a terminal', () => {
    expect(colourFromEnv({}, true)).toBe(true);
    expect(colourFromEnv({}, false)).toBe(false);
  });

  test('NO_COLOR with a value turns colour off; an empty NO_COLOR does not', () => {
    expect(colourFromEnv({ NO_COLOR: '1' }, true)).toBe(false);
    expect(colourFromEnv({ NO_COLOR: '0' }, true)).toBe(false);
    expect(colourFromEnv({ NO_COLOR: '' }, true)).toBe(true);
    expect(colourFromEnv({ NO_COLOR: '' }, false)).toBe(false);
  });

  test('FORCE_COLOR 1, 2, 3, true or empty forces colour off a terminal, over NO_COLOR too', () => {
    for (const value of ['1', '2', '3', '4', 'true', '']) {
      expect(colourFromEnv({ FORCE_COLOR: value }, false), value).toBe(true);
      expect(colourFromEnv({ FORCE_COLOR: value, NO_COLOR: '1' }, false), value).toBe(true);
    }
  });

  test('FORCE_COLOR 0 or false turns colour off on a terminal', () => {
    for (const value of ['0', 'false']) {
      expect(colourFromEnv({ FORCE_COLOR: value }, true), value).toBe(false);
    }
  });

  test('an unknown FORCE_COLOR value is ignored: the terminal and NO_COLOR decide', () => {
    for (const value of ['yes', '-1']) {
      expect(colourFromEnv({ FORCE_COLOR: value }, true), value).toBe(true);
      expect(colourFromEnv({ FORCE_COLOR: value }, false), value).toBe(false);
      expect(colourFromEnv({ FORCE_COLOR: value, NO_COLOR: '1' }, true), value).toBe(false);
    }
  });

  test('TERM=dumb turns colour off unless FORCE_COLOR forces it', () => {
    expect(colourFromEnv({ TERM: 'dumb' }, true)).toBe(false);
    expect(colourFromEnv({ TERM: 'dumb', FORCE_COLOR: '1' }, true)).toBe(true);
    expect(colourFromEnv({ TERM: 'xterm-256color' }, true)).toBe(true);
  });
});
