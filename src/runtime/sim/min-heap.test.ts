import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MinHeap } from './min-heap.js';

const drain = (heap: MinHeap<number>): number[] => {
  const out: number[] = [];
  for (let item = heap.pop(); item !== undefined; item = heap.pop()) out.push(item);
  return out;
};

describe('min-heap', () => {
  test('smoke: pops the smallest entry first', () => {
    const heap = new MinHeap<number>((a, b) => a < b);
    for (const n of [5, 1, 3]) heap.push(n);
    expect(heap.peek()).toBe(1);
    expect(drain(heap)).toEqual([1, 3, 5]);
    expect(heap.pop()).toBeUndefined();
  });

  test('any sequence of pushes comes out sorted', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), (values) => {
        const heap = new MinHeap<number>((a, b) => a < b);
        for (const v of values) heap.push(v);
        expect(heap.size).toBe(values.length);
        expect(drain(heap)).toEqual([...values].sort((a, b) => a - b));
      }),
    );
  });

  test('retain drops the rejected entries and keeps the rest in order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 })), (values) => {
        const heap = new MinHeap<number>((a, b) => a < b);
        for (const v of values) heap.push(v);
        heap.retain((v) => v % 3 !== 0);
        const kept = values.filter((v) => v % 3 !== 0).sort((a, b) => a - b);
        expect(drain(heap)).toEqual(kept);
      }),
    );
  });
});
