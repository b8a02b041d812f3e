// The control-plane convergence property's cases (spar-protocol.md §2.6, §3.3–§3.5): the requests
// the test's CP may send, including what the real CP never would (duplicate CHIPSET_INIT, unknown
// ids, bogus addresses, destroys of nothing), and the arbitrary that draws a sequence of them.
//
// Choice: DEVICE_CREATE's `data_type_guid` is drawn too (the channel's own type, another, or vhba,
// which no loaded driver lists), so "CHANGESTATE with no driver bound" (§3.5 step 2) follows from
// CP knowledge: only a device announced as its own console type passes `visor_check_channel`.
// Choice: plain-data steps, not fc.commands: the promise is about the settled end state, and plain
// data can be stored and replayed by `spar fuzz`. The sim seed is drawn too (same-instant order).

import fc from 'fast-check';
import { CONTROLVM_ID as ID } from '../src/protocol/controlvm.js';
import { segmentStateText } from '../src/protocol/value-names.js';

/** The type DEVICE_CREATE announces; `own` is the type of the channel at its address. */
export type AnnouncedType = 'own' | 'video' | 'keyboard' | 'mouse' | 'vhba';

/** A request of the test's CP (response expected). Addresses: bus 1 and dev 0..2 on bus 1 name
 * their channels; bus 2 a bogus address, or bus 1's with `reuse`; other devices a bogus one. */
export type CpRequest =
  | { readonly op: 'chipsetInit' }
  | { readonly op: 'busCreate'; readonly busNo: number; readonly reuse: boolean }
  | { readonly op: 'busConfigure' | 'busDestroy'; readonly busNo: number }
  | {
      readonly op: 'deviceCreate';
      readonly busNo: number;
      readonly devNo: number;
      readonly announced: AnnouncedType;
    }
  | { readonly op: 'deviceDestroy'; readonly busNo: number; readonly devNo: number }
  | {
      readonly op: 'deviceChangeState';
      readonly busNo: number;
      readonly devNo: number;
      readonly state: number;
    }
  | { readonly op: 'unknownId'; readonly id: number };

/** A request, then the jiffies the guest runs before the next (0: the next shares its poll). */
export type CpStep = { readonly request: CpRequest; readonly gapJiffies: number };

// Weighted towards bus 1 and its three real devices: a uniform mix leaves the bus absent most of
// the time, and nearly every device request would only exercise ENODEV.
const busNo = fc.constantFrom(1, 1, 1, 2);
const devNo = fc.constantFrom(0, 1, 2, 0, 1, 2, 3);
const announced = fc.constantFrom<AnnouncedType>(
  'own',
  'own',
  'own',
  'video',
  'keyboard',
  'mouse',
  'vhba',
);
const of = <T extends CpRequest>(weight: number, arbitrary: fc.Arbitrary<T>) => ({
  weight,
  arbitrary,
});

/** One request of the mix: duplicate CHIPSET_INITs, unknown ids and bogus addresses included. */
export const cpRequestArbitrary: fc.Arbitrary<CpRequest> = fc.oneof(
  of(1, fc.record({ op: fc.constant('chipsetInit' as const) })),
  of(3, fc.record({ op: fc.constant('busCreate' as const), busNo, reuse: fc.boolean() })),
  of(2, fc.record({ op: fc.constantFrom('busConfigure' as const, 'busDestroy' as const), busNo })),
  of(5, fc.record({ op: fc.constant('deviceCreate' as const), busNo, devNo, announced })),
  of(2, fc.record({ op: fc.constant('deviceDestroy' as const), busNo, devNo })),
  of(
    5,
    fc.record({
      op: fc.constant('deviceChangeState' as const),
      busNo,
      devNo,
      state: fc.constantFrom(0xf7, 0x73, 0x77),
    }),
  ),
  of(
    1,
    fc.record({
      op: fc.constant('unknownId' as const),
      id: fc.constantFrom(0x999, ID.CONTROLVM_BUS_CHANGESTATE),
    }),
  ),
);

/** The real CP's bring-up of bus 1 (§3.3, §3.4), so that most runs start from a device tree. */
const BRING_UP: readonly CpStep[] = [
  { request: { op: 'chipsetInit' }, gapJiffies: 1 },
  { request: { op: 'busCreate', busNo: 1, reuse: false }, gapJiffies: 1 },
  ...[0, 1, 2].map(
    (d): CpStep => ({
      request: { op: 'deviceCreate', busNo: 1, devNo: d, announced: 'own' },
      gapJiffies: 0,
    }),
  ),
];

const gapJiffies = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 }));
const step: fc.Arbitrary<CpStep> = fc.record({ request: cpRequestArbitrary, gapJiffies });
// Each bring-up step is kept 2 times in 3, and shrinks towards dropped (cross-shrink to `false`).
const kept = fc.oneof({ withCrossShrink: true }, fc.constant(false), {
  weight: 2,
  arbitrary: fc.constant(true),
});

/** 1..30 steps: most of the bring-up, then random requests; a third of the gaps are 0 (batched). */
export const cpSequenceArbitrary: fc.Arbitrary<readonly CpStep[]> = fc
  .tuple(
    fc.tuple(...BRING_UP.map(() => kept)),
    fc.array(step, { minLength: 1, maxLength: 30, size: 'medium' }),
  )
  .map(([keep, steps]) => [...BRING_UP.filter((_, i) => keep[i]), ...steps].slice(0, 30));

/** A request for messages, e.g. `deviceChangeState 1 0 0x77 (paused)` (ids in hex, states named). */
export function describeRequest(r: CpRequest): string {
  return Object.entries(r)
    .map(([k, v]) =>
      typeof v !== 'number'
        ? String(v)
        : k === 'state'
          ? segmentStateText(v)
          : v > 9
            ? `0x${v.toString(16)}`
            : String(v),
    )
    .join(' ');
}

/** One case: the CP's request sequence and the sim seed (same-instant order). */
export type ControlPlaneCase = readonly [steps: readonly CpStep[], simSeed: number];
