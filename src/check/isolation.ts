// Isolation: what one guest can see of another (DESIGN "Rules that keep it simple": a partition
// holds only the channels its configuration gives it; spar-protocol.md §4.3 for the vnic's
// receive buffers, §1.6 for who owns a slot). Three checks over plain counters and records:
// no frame crossed from another segment (the IP layer counts senders outside its subnet), no
// receive page was read while the IOSP could still write it (the network stack's ownership
// ledger), and no guest was handed a channel of another guest.

/** The isolation counters a guest's network stacks report (the run's `NetStats` carries them). */
export interface IsolationCounts {
  /** Frames accepted from a sender outside the guest's segment. */
  readonly misdelivered: number;
  /** Receive pages handed to the IP layer while the IOSP could still write them. */
  readonly ownershipViolations: number;
}

/** A broken isolation promise of a guest's network. */
export type IsolationFinding =
  | { readonly kind: 'misdelivered'; readonly count: number }
  | { readonly kind: 'buffer-ownership'; readonly count: number };

/** The broken promises of `c`: frames from outside the segment, then buffers read too early. */
export function isolationFindings(c: IsolationCounts): IsolationFinding[] {
  const out: IsolationFinding[] = [];
  if (c.misdelivered > 0) out.push({ kind: 'misdelivered', count: c.misdelivered });
  if (c.ownershipViolations > 0)
    out.push({ kind: 'buffer-ownership', count: c.ownershipViolations });
  return out;
}

/** A channel handed to a partition, and the guest whose device it serves. */
export interface GivenChannel {
  readonly id: string;
  readonly guestPartition: string;
}

/** The channels of `given` that guest `guest` must not hold: those serving another guest. */
export function foreignChannels<C extends GivenChannel>(guest: string, given: readonly C[]): C[] {
  return given.filter((ch) => ch.guestPartition !== guest);
}
