// The ringer's side of a doorbell-lost fault (issue #14; spar-protocol.md §7), the same in both
// runtimes: before a partition rings, an armed fault in the bell's memory may take the ring. A lost
// ring changes nothing and wakes nobody, so the partition it was for finds the work at its next
// poll, as a real guest does when an interrupt is lost. It is counted in the bell's memory
// (Doorbell.noteLost) for the pollers whose idle polls a runtime skips (Environment.onRing's
// `onLost`): those must still find the work at their next real poll instant. A chance below certainty is drawn from the
// ringing partition's own seeded stream, never Math.random, so a sim run stays a function of its
// seed.

import { type Prng, ratio } from '../base/prng.js';
import { type ChannelSide, type Doorbell, LOSS_SCALE } from '../channel/index.js';
import type { Environment } from '../partition/environment.js';

/** What {@link ringLost} needs of the ringing partition's environment. */
export interface RingingPartition extends Pick<Environment, 'now' | 'trace'> {
  readonly partition: string;
  /** The partition's stream for loss draws (one per environment, made once). */
  lossPrng(): Prng;
}

/** Whether an armed doorbell-lost fault takes this ring; traced as `doorbell.lost` if so. */
export function ringLost(env: RingingPartition, bell: Doorbell, side: ChannelSide): boolean {
  // The common case on the ring path: no fault armed, so no clock read and no closure.
  if (!bell.lossArmed(side)) return false;
  const draw = (millionths: number) => env.lossPrng().chance(ratio(millionths, LOSS_SCALE));
  if (!bell.takeLoss(side, env.now(), draw)) return false;
  bell.noteLost(side);
  const { partition } = env;
  const record = { partition, actor: `${partition}/doorbell`, event: 'doorbell.lost', state: side };
  env.trace({ atMs: env.now(), ...record });
  return true;
}
