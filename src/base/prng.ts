// Seeded randomness (STYLE §5): one root seed per run, and a substream per component derived
// from the root seed and a label, so adding randomness in one place never shifts another.
// Generator: pure-rand's xoroshiro128+; integers through its uniformInt distribution.
// Probabilities are integer ratios, never floats, so decisions are exact on every platform.

import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { assert } from './assert.js';

/** A probability as an exact ratio `numerator / denominator`. */
export interface Ratio {
  readonly numerator: number;
  readonly denominator: number;
}

/** Builds a {@link Ratio}; asserts 0 <= numerator <= denominator, denominator > 0. */
export function ratio(numerator: number, denominator: number): Ratio {
  assert(
    Number.isSafeInteger(numerator) && Number.isSafeInteger(denominator),
    'ratio parts must be integers',
  );
  assert(
    denominator > 0 && numerator >= 0 && numerator <= denominator,
    `bad ratio ${numerator}/${denominator}`,
  );
  return { numerator, denominator };
}

/** A seeded random stream. */
export class Prng {
  private constructor(
    private readonly rootSeed: number,
    /** Full label path of this stream (`''` for the root). */
    readonly label: string,
    private readonly rng: RandomGenerator,
  ) {}

  /** The root stream of a run. */
  static root(seed: number): Prng {
    assert(Number.isSafeInteger(seed), `seed must be an integer, got ${seed}`);
    return new Prng(seed, '', xoroshiro128plus(mix(seed, '')));
  }

  /**
   * An independent substream for `label` (e.g. `iosp0/disk`). It depends only on the root seed
   * and the full label path, not on how many values any stream has drawn.
   */
  derive(label: string): Prng {
    assert(label.length > 0, 'a derived stream needs a label');
    const path = this.label === '' ? label : `${this.label}/${label}`;
    return new Prng(this.rootSeed, path, xoroshiro128plus(mix(this.rootSeed, path)));
  }

  /** A uniform integer in [min, max]. */
  int(min: number, max: number): number {
    assert(
      Number.isSafeInteger(min) && Number.isSafeInteger(max) && min <= max,
      `bad range ${min}..${max}`,
    );
    return uniformInt(this.rng, min, max);
  }

  /** True with probability `p`. */
  chance(p: Ratio): boolean {
    return this.int(1, p.denominator) <= p.numerator;
  }

  /** A uniformly chosen element. */
  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'pick from an empty list');
    return items[this.int(0, items.length - 1)] as T;
  }
}

// FNV-1a over the seed and the label: a stable 32-bit seed per (root seed, label path).
function mix(seed: number, label: string): number {
  let hash = 0x811c9dc5;
  const text = `${seed}:${label}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash | 0;
}
