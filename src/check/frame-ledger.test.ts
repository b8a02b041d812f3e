// The frame ledger's oracle: fed flows with a frame delivered twice, a frame neither answered nor
// counted lost, and frames out of order (spar-protocol.md §4.3 "Guarantee to the guest (vnic)").

import { describe, expect, test } from 'vitest';
import { type FlowCounts, type FrameTotals, frameFindings, frameTotals } from './frame-ledger.js';

const flow = (over: Partial<FlowCounts> = {}): FlowCounts => ({
  sent: 10,
  delivered: 7,
  lost: 2,
  outstanding: 1,
  duplicates: 0,
  outOfOrder: 0,
  ...over,
});

const clean: FrameTotals = frameTotals(
  [flow(), flow({ sent: 5, delivered: 5, lost: 0, outstanding: 0 })],
  [{ duplicates: 0, outOfOrder: 0 }],
);

describe('frame ledger', () => {
  test('smoke: frames lost across an outage are allowed when each is counted', () => {
    expect(clean).toEqual({
      sent: 15,
      delivered: 12,
      dropped: 2,
      outstanding: 1,
      duplicated: 0,
      outOfOrder: 0,
    });
    expect(frameFindings(clean)).toEqual([]);
  });

  test('a reply delivered twice breaks at-most-once', () => {
    expect(frameFindings(frameTotals([flow({ duplicates: 1 })], []))).toEqual([
      { kind: 'duplicated', count: 1 },
    ]);
  });

  test('a request a responder received twice breaks at-most-once too', () => {
    expect(frameFindings(frameTotals([], [{ duplicates: 2, outOfOrder: 0 }]))).toEqual([
      { kind: 'duplicated', count: 2 },
    ]);
  });

  test('a frame neither answered, lost nor outstanding breaks the loss accounting', () => {
    expect(frameFindings(frameTotals([flow({ lost: 1 })], []))).toEqual([
      { kind: 'unaccounted', sent: 10, delivered: 7, dropped: 1, outstanding: 1 },
    ]);
  });

  test('a frame that arrives after a later one of its flow breaks per-flow order, at either end', () => {
    expect(frameFindings(frameTotals([flow({ outOfOrder: 1 })], []))).toEqual([
      { kind: 'out-of-order', count: 1 },
    ]);
    expect(frameFindings(frameTotals([], [{ duplicates: 0, outOfOrder: 3 }]))).toEqual([
      { kind: 'out-of-order', count: 3 },
    ]);
  });

  test('findings come in a fixed order: duplicated, unaccounted, out-of-order', () => {
    const all = frameFindings({ ...clean, duplicated: 1, outOfOrder: 1, sent: 99 });
    expect(all.map((f) => f.kind)).toEqual(['duplicated', 'unaccounted', 'out-of-order']);
  });
});
