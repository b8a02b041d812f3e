// Channel fault cases shared by the recovery properties (issue #14, src/run/channel-faults.ts):
// lost and spurious doorbells and queues held full, with their arbitraries. FaultSchedule
// (iosp-faults.ts) turns each into a scenario fault.

import fc from 'fast-check';

/**
 * A channel fault (issue #14, src/run/channel-faults.ts) on the channels of one partition of the
 * case: `target` indexes the IOSPs then the guests (modulo their count; queue-full only the IOSPs).
 * Each lasts `forMs` from `atMs`; that is its heal time.
 */
export type ChannelFaultCase =
  | {
      readonly kind: 'doorbell-lost';
      readonly target: number;
      readonly atMs: number;
      readonly forMs: number;
      /** Chance each ring is lost, in percent. */
      readonly ratePercent: number;
    }
  | {
      readonly kind: 'doorbell-spurious';
      readonly target: number;
      readonly atMs: number;
      readonly forMs: number;
      readonly count: number;
    }
  | {
      readonly kind: 'queue-full';
      readonly target: number;
      readonly atMs: number;
      readonly forMs: number;
    };

/** The kinds of channel fault {@link channelFaultArbitraries} draws. */
export const CHANNEL_FAULT_KINDS = ['doorbell-lost', 'doorbell-spurious', 'queue-full'] as const;

/** Arbitraries of the channel fault kinds, fired within `atMs`. */
export function channelFaultArbitraries(
  atMs: fc.Arbitrary<number>,
): fc.Arbitrary<ChannelFaultCase>[] {
  const target = fc.nat(5);
  const forMs = fc.integer({ min: 1, max: 300 });
  return [
    fc.record({
      kind: fc.constant('doorbell-lost' as const),
      target,
      atMs,
      forMs,
      ratePercent: fc.integer({ min: 1, max: 100 }),
    }),
    fc.record({
      kind: fc.constant('doorbell-spurious' as const),
      target,
      atMs,
      forMs,
      count: fc.integer({ min: 1, max: 50 }),
    }),
    fc.record({ kind: fc.constant('queue-full' as const), target, atMs, forMs }),
  ];
}
