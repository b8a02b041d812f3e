// Test and benchmark payloads for 64-byte signals, shared by the cross-thread queue test and
// bench/channel.bench.ts so both check delivery the same way.
//
// Layout, as sixteen host-endian u32 words (both threads run on the same host, so byte order
// never differs between writer and reader): word 0 is the sequence number, words 1..14 are
// derived from it, word 15 is a checksum over words 0..14. A slot torn between two writes mixes
// words of two sequence numbers, which the checksum catches; a lost, repeated or reordered
// signal shows up as a sequence number other than the one expected.

/** Bytes per test signal: one cache line, like the 64-byte records of stack.md §8. */
export const SIGNAL_BYTES = 64;

const SIGNAL_WORDS = SIGNAL_BYTES / 4;
const CHECKSUM_WORD = SIGNAL_WORDS - 1;

/** One signal buffer with a byte view (for the queue API) and a word view (for fill and check). */
export interface SignalBuffer {
  readonly bytes: Uint8Array;
  readonly words: Uint32Array;
}

/** A fresh zeroed signal buffer whose ArrayBuffer is exactly {@link SIGNAL_BYTES} long. */
export function signalBuffer(): SignalBuffer {
  const buffer = new ArrayBuffer(SIGNAL_BYTES);
  return { bytes: new Uint8Array(buffer), words: new Uint32Array(buffer) };
}

// A cheap integer mix (murmur3 finaliser constants) so neighbouring words and neighbouring
// sequence numbers differ in many bits.
function derivedWord(seq: number, index: number): number {
  let x = Math.imul(seq ^ Math.imul(index, 0x9e3779b1), 0x85ebca6b);
  x ^= x >>> 13;
  return Math.imul(x, 0xc2b2ae35) >>> 0;
}

// FNV-1a over words 0..14.
function checksum(words: Uint32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < CHECKSUM_WORD; i++) h = Math.imul(h ^ (words[i] ?? 0), 0x01000193);
  return h >>> 0;
}

/** Fills the whole payload for `seq`: sequence word, derived words, checksum. */
export function fillSignal(words: Uint32Array, seq: number): void {
  words[0] = seq;
  for (let i = 1; i < CHECKSUM_WORD; i++) words[i] = derivedWord(seq, i);
  words[CHECKSUM_WORD] = checksum(words);
}

/** Sets only the sequence word (benchmarks: the rest of the payload is a fixed template). */
export function stampSequence(words: Uint32Array, seq: number): void {
  words[0] = seq;
}

/** The sequence number a signal carries. */
export function sequenceOf(words: Uint32Array): number {
  return words[0] ?? -1;
}

/** True when the checksum word matches the rest of the payload (the slot was not torn). */
export function checksumHolds(words: Uint32Array): boolean {
  return words[CHECKSUM_WORD] === checksum(words);
}

/** What a consumer saw in one run. */
export interface DeliveryReport {
  /** Signals taken out of the transport. */
  readonly received: number;
  /** Signals whose sequence number was not the one expected next. */
  readonly outOfOrder: number;
  /** Of those, signals whose sequence number had already been passed (repeats). */
  readonly duplicates: number;
  /** Signals whose checksum did not match (always 0 when checksums are not checked). */
  readonly badChecksum: number;
  /** Sequence number of the last signal received, -1 when none arrived. */
  readonly lastSeq: number;
}

/**
 * Consumer-side bookkeeping: expects 0, 1, 2, ... and counts every deviation. After a gap it
 * resynchronises on the sequence it saw, so one lost signal counts once rather than forever; a
 * repeat of an earlier sequence number counts as a duplicate and leaves the expectation alone.
 */
export class DeliveryTally {
  private received = 0;
  private outOfOrder = 0;
  private duplicates = 0;
  private badChecksum = 0;
  private expected = 0;
  private lastSeq = -1;

  constructor(private readonly verifyChecksum: boolean) {}

  /** Records one delivered signal. */
  record(words: Uint32Array): void {
    const seq = sequenceOf(words);
    this.received++;
    this.lastSeq = seq;
    if (this.verifyChecksum && !checksumHolds(words)) this.badChecksum++;
    if (seq === this.expected) {
      this.expected = seq + 1;
    } else if (seq < this.expected) {
      this.outOfOrder++;
      this.duplicates++;
    } else {
      this.outOfOrder++;
      this.expected = seq + 1;
    }
  }

  /** Signals recorded so far. */
  get count(): number {
    return this.received;
  }

  /** The counts so far, as plain data that survives `postMessage`. */
  report(): DeliveryReport {
    const { received, outOfOrder, duplicates, badChecksum, lastSeq } = this;
    return { received, outOfOrder, duplicates, badChecksum, lastSeq };
  }
}
