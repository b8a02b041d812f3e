// Physical NIC link state (spar-protocol.md §4.3 NET_CONNECT_STATUS row: "models physical link
// loss behind the IOSP"): one Int32 word per NIC an IO service partition owns, 1 while its link
// is up (the initial state), 0 while it is down. The scenario's `nic-link` fault writes a word;
// the IOSP's NIC server reads it at each poll and tells the guests on the NIC's segment.
//
// Choice: like disks and heartbeats this is hardware, memory outside any partition: a link lost
// while the IOSP is down is still lost when it boots again, and it outlives every incarnation.
// Choice: one SharedArrayBuffer per IOSP, word i for its `hardware.nics[i]`, rather than one
// buffer for the whole run: a buffer cannot be shared in part, and an IOSP's worker must be given
// only its own NICs' words (worker-launcher.ts), as it is given only its own disks.

import { assert } from '../../base/assert.js';
import type { Config } from '../../hypervisor/config.js';

const WORD_BYTES = 4;
/** A link word's values. */
const LINK_UP = 1;
const LINK_DOWN = 0;

/** The run's NIC link words, and the lookup the fault injector uses. */
export interface NicLinks {
  /** Link words by IOSP: word i is the link of the IOSP's `hardware.nics[i]`. */
  readonly pages: ReadonlyMap<string, SharedArrayBuffer>;
  /** Takes `iosp`'s NIC `nic` down or up; false when the IOSP owns no NIC of that name. */
  set(iosp: string, nic: string, up: boolean): boolean;
}

/** One page per IOSP (empty for an IOSP without NICs), every link up. */
export function allocateNicLinks(config: Config): NicLinks {
  const pages = new Map(
    config.partitions
      .filter((p) => p.kind === 'iosp')
      .map((p) => {
        const count = p.hardware?.nics.length ?? 0;
        const page = new SharedArrayBuffer(count * WORD_BYTES);
        new Int32Array(page).fill(LINK_UP);
        return [p.name, page] as const;
      }),
  );
  return {
    pages,
    set(iosp, nic, up) {
      const page = pages.get(iosp);
      const index = nicLinkIndex(config, iosp, nic);
      if (page === undefined || index === null) return false;
      setNicLink(page, index, up);
      return true;
    },
  };
}

/** The word of `iosp`'s NIC `nic` in its page, or null when it owns no NIC of that name. */
export function nicLinkIndex(config: Config, iosp: string, nic: string): number | null {
  const partition = config.partitions.find((p) => p.name === iosp && p.kind === 'iosp');
  const index = partition?.hardware?.nics.findIndex((n) => n.name === nic) ?? -1;
  return index < 0 ? null : index;
}

/** The hardware's side: the link of word `index` goes down or comes up. */
export function setNicLink(page: SharedArrayBuffer, index: number, up: boolean): void {
  assertWord(page, index);
  Atomics.store(new Int32Array(page), index, up ? LINK_UP : LINK_DOWN);
}

/** The IOSP's side: whether the link of word `index` is up now (one look: a view per call). */
export function isNicLinkUp(page: SharedArrayBuffer, index: number): boolean {
  return isLinkWordUp(new Int32Array(page), index);
}

/**
 * The same through `words`, a view of the whole page the reader keeps (an IOSP boot reads its
 * words at every poll and frame, so it makes the view once).
 */
export function isLinkWordUp(words: Int32Array, index: number): boolean {
  assertWord(words, index);
  const word = Atomics.load(words, index);
  assert(word === LINK_UP || word === LINK_DOWN, `link word ${index} holds ${word}, not 0 or 1`);
  return word === LINK_UP;
}

function assertWord(page: { readonly byteLength: number }, index: number): void {
  assert(Number.isInteger(index) && index >= 0, `link word index ${index} is a whole number`);
  assert(
    (index + 1) * WORD_BYTES <= page.byteLength,
    `link word ${index} lies in its ${page.byteLength}-byte page`,
  );
}
