// A binary min-heap for the sim scheduler's pending events (reference/stack.md §7 (a)).
//
// Why our own heap: XState's `SimulatedClock` re-sorts every timer on each flush, which is fine
// for a unit test and too slow for a run with thousands of pending polls. The heap orders
// entries by a caller-supplied strict "comes before" relation; the scheduler makes that a total
// order (time, tie, seq), so the pop order never depends on how the heap happens to be laid out.

import { assert } from '../../base/assert.js';

/** True when `a` must come out of the heap before `b`. Must be a strict total order. */
export type Before<T> = (a: T, b: T) => boolean;

/** A binary min-heap (array-backed, 0-based: children of `i` at `2i+1` and `2i+2`). */
export class MinHeap<T> {
  private items: T[] = [];

  constructor(private readonly before: Before<T>) {}

  /** How many entries the heap holds. */
  get size(): number {
    return this.items.length;
  }

  /** The first entry, without removing it; `undefined` when empty. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Adds `item`. O(log n). */
  push(item: T): void {
    this.items.push(item);
    this.siftUp(this.items.length - 1);
  }

  /** Removes and returns the first entry; `undefined` when empty. O(log n). */
  pop(): T | undefined {
    const first = this.items[0];
    const last = this.items.pop();
    if (first === undefined || last === undefined) return undefined;
    if (this.items.length > 0) {
      this.items[0] = last;
      this.siftDown(0);
    }
    return first;
  }

  /**
   * Keeps only the entries for which `keep` is true and rebuilds the heap in O(n). The scheduler
   * uses it to drop cancelled events once they outnumber live ones (lazy deletion).
   */
  retain(keep: (item: T) => boolean): void {
    const before = this.items.length;
    this.items = this.items.filter(keep);
    for (let i = Math.floor(this.items.length / 2) - 1; i >= 0; i--) this.siftDown(i);
    assert(this.items.length <= before, 'retain never adds entries');
  }

  private siftUp(start: number): void {
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(this.at(i), this.at(parent))) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(start: number): void {
    const n = this.items.length;
    let i = start;
    // Each pass moves one level down, so the loop runs at most log2(n) + 1 times.
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let best = i;
      if (left < n && this.before(this.at(left), this.at(best))) best = left;
      if (right < n && this.before(this.at(right), this.at(best))) best = right;
      if (best === i) return;
      this.swap(i, best);
      i = best;
    }
  }

  private at(index: number): T {
    assert(index >= 0 && index < this.items.length, `heap index ${index} out of range`);
    return this.items[index] as T;
  }

  private swap(a: number, b: number): void {
    const item = this.at(a);
    this.items[a] = this.at(b);
    this.items[b] = item;
  }
}
