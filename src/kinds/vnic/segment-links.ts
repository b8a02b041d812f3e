// The link state of an IO service partition's uplinks as its NIC server sees it (spar-protocol.md
// §4.3 NET_CONNECT_STATUS row; the words are hardware: nic-links.ts). Frames ask
// whether an uplink has link now; each poll asks which segments changed since the guests on them
// were last told (nic-server.ts says what is sent then).
//
// Choice: a segment has link while at least one of this IOSP's NICs on it has link, as a team of
// NICs behind one bridge loses carrier only with its last member; a segment without an uplink of
// this IOSP (guests only) has no physical link to lose and is always up.
// Choice: a boot starts from "every segment up" — what a guest assumes once its ENBDIS(1) is
// acked — so a link already down when the IOSP boots is a change its first poll reports.

import { isLinkWordUp } from './nic-links.js';

/** One uplink of this IOSP: its switch port id, its segment and its word in the link page. */
export interface UplinkWord {
  readonly id: string;
  readonly segment: string;
  readonly index: number;
}

/** A segment whose link changed, and its state now. */
export interface LinkChange {
  readonly segment: string;
  readonly up: boolean;
}

/** The uplinks' link words of one IOSP boot, and what its guests were last told per segment. */
export class SegmentLinks {
  /** By segment with an uplink: the state last reported by {@link changes} (true at boot). */
  private readonly told = new Map<string, boolean>();
  /** The IOSP's link page, viewed once; without one (a bench with no hardware) every link is up. */
  private readonly words: Int32Array | undefined;

  constructor(
    private readonly uplinks: readonly UplinkWord[],
    page: SharedArrayBuffer | undefined,
  ) {
    this.words = page === undefined ? undefined : new Int32Array(page);
    for (const u of uplinks) this.told.set(u.segment, true);
  }

  /** Whether `uplink`, one of this IOSP's, has link now; frames move through it only then. */
  uplinkUp(uplink: UplinkWord): boolean {
    return this.words === undefined || isLinkWordUp(this.words, uplink.index);
  }

  /** Whether the guests of `segment` were last told its link is down. */
  toldDown(segment: string): boolean {
    return this.told.get(segment) === false;
  }

  /** The segments whose link differs from what was last told, now counted as told (one poll). */
  changes(): LinkChange[] {
    const out: LinkChange[] = [];
    for (const [segment, was] of this.told) {
      const up = this.uplinks.some((u) => u.segment === segment && this.uplinkUp(u));
      if (up === was) continue;
      this.told.set(segment, up);
      out.push({ segment, up });
    }
    return out;
  }
}
