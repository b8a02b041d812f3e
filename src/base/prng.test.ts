import { describe, expect, test } from 'vitest';
import { Prng, ratio } from './prng.js';

const draw = (p: Prng, n = 20) => Array.from({ length: n }, () => p.int(0, 1_000_000));

describe('prng', () => {
  test('smoke: the same seed gives the same values', () => {
    expect(draw(Prng.root(42))).toEqual(draw(Prng.root(42)));
  });

  test('different seeds give different values', () => {
    expect(draw(Prng.root(1))).not.toEqual(draw(Prng.root(2)));
  });

  test('a derived stream does not depend on what other streams drew', () => {
    const a = Prng.root(7);
    const untouched = draw(a.derive('iosp0/disk'));
    const b = Prng.root(7);
    draw(b, 1000);
    draw(b.derive('guest1'), 1000);
    expect(draw(b.derive('iosp0/disk'))).toEqual(untouched);
    expect(draw(a.derive('iosp0').derive('disk'))).toEqual(untouched);
    expect(draw(a.derive('iosp1/disk'))).not.toEqual(untouched);
  });

  test('chance(1/1) is always true, chance(0/n) never, and values stay in range', () => {
    const p = Prng.root(3);
    for (let i = 0; i < 1000; i++) {
      expect(p.chance(ratio(1, 1))).toBe(true);
      expect(p.chance(ratio(0, 5))).toBe(false);
      const v = p.int(-3, 3);
      expect(v >= -3 && v <= 3).toBe(true);
    }
  });
});
