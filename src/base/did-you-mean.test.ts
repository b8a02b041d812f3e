// The suggestions of scenario errors: a slip finds its name, an unrelated word finds none.

import { describe, expect, test } from 'vitest';
import { closestName, didYouMean, editDistance } from './did-you-mean.js';

describe('did-you-mean', () => {
  test('smoke: a dropped letter suggests the known name', () => {
    expect(didYouMean('BOOTD', ['BOOT', 'BOOTED', 'CRASH'])).toBe(' (did you mean "BOOTED"?)');
  });

  test('edit distance counts inserts, deletes, substitutions and swapped neighbours as one each', () => {
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance('abc', 'abd')).toBe(1);
    expect(editDistance('abc', 'acb')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  test('a name too far from every known one gets no suggestion; case is ignored', () => {
    expect(closestName('explode', ['crash', 'reboot'])).toBeUndefined();
    expect(didYouMean('zzz', ['BOOTED'])).toBe('');
    expect(closestName('booted', ['BOOT', 'BOOTED'])).toBe('BOOTED');
    expect(closestName('visorchipst', ['visorbus', 'visorchipset'])).toBe('visorchipset');
  });
});
