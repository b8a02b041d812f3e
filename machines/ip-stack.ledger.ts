// The guest IPv4 layer's ledgers and the echo requests it answers (spar-protocol.md §4.3
// "Guarantee to the guest (vnic)": at most once, every loss counted; src/check/frame-ledger.ts
// judges them). Accounting (all O(flows), none grows with frames):
// - Sender, per flow: `sent = delivered + lost + outstanding` at every step. A request is
//   outstanding from the tick that creates it (ping's sendto; it may still sit in the backlog)
//   until its reply (→ delivered) or `timeoutMs` later (→ lost). A reply for a lost seq is `late`
//   and stays lost, so `late ≤ lost` and nothing is counted twice. A reply for a seq already
//   answered (delivered or late) is a `duplicate`; one for a seq never sent is `unknownReplies`.
// - Order: `highestSeq` is the highest seq answered, `gaps` the seqs below it not answered yet
//   (sorted). A seq is answered iff `seq ≤ highestSeq` and it is not in `gaps`, so duplicates are
//   exact without a per-seq set. A first answer below `highestSeq` fills a gap: `outOfOrder`.
//   `gaps` keeps at most GAP_LIMIT entries (the newest); seqs it could not keep are counted in
//   `gapsDropped`, after which a first answer for one of them reads as a duplicate. The sender
//   checks its outstanding list (≤ window) first, so delivered/lost stay exact regardless.
// - Receiver, per source flow (`srcIp:id`): the same tracking over echo requests; `received`
//   counts unique seqs, so `received + duplicates` requests were answered.
// - Frames: the per-kind counters (arpRequestsSent, arpRepliesSent, echoRequestsSent,
//   echoRepliesSent) count frames the stack produced; each went to the driver (`framesSent`), was
//   dropped at a full backlog (`backlogDrops`) or still waits in `backlog`.

import { assert } from '../src/base/assert.js';
import type { FrameSpec, Ip, ParsedFrame } from '../src/kinds/vnic/ethernet.js';
import { NO_ANSWERS, output } from './ip-stack.logic.js';
import {
  bump,
  FRAME_BYTES_MIN,
  type FlowLedger,
  GAP_LIMIT,
  type IpStackContext,
  type Outbox,
  RECEIVER_LIMIT,
  type ReceiverLedger,
  type SeqTrack,
} from './ip-stack.types.js';

type ReplyOutcome = 'delivered' | 'late' | 'duplicate' | 'unknown';

/** Whether `seq` was answered already (exact while `gapsDropped` is 0). */
export function isAnswered(t: SeqTrack, seq: number): boolean {
  return seq <= t.highestSeq && !t.gaps.includes(seq);
}

/** `t` with `seq` answered; `filled`: it was below the highest (a gap fill, i.e. out of order). */
export function markAnswered<T extends SeqTrack>(t: T, seq: number): { track: T; filled: boolean } {
  if (seq <= t.highestSeq) {
    return { track: { ...t, gaps: t.gaps.filter((g) => g !== seq) }, filled: true };
  }
  // New gaps are highestSeq+1 .. seq−1; only the newest GAP_LIMIT are kept (bounded loop).
  const from = Math.max(t.highestSeq + 1, seq - GAP_LIMIT);
  const added = Array.from({ length: seq - from }, (_, k) => from + k);
  const gaps = [...t.gaps, ...added];
  const excess = Math.max(0, gaps.length - GAP_LIMIT);
  const skipped = from - (t.highestSeq + 1);
  const gapsDropped = t.gapsDropped + skipped + excess;
  return { track: { ...t, highestSeq: seq, gaps: gaps.slice(excess), gapsDropped }, filled: false };
}

/** Receiver ledger key of a source flow. */
export function receiverKey(srcIp: Ip, id: number): string {
  return `${srcIp}:${id}`;
}

/** An echo request to our IP: the reply (same id, seq, tag, length) and the receiver ledger. */
export function answerEcho(c: IpStackContext, request: ParsedFrame, out: Outbox): IpStackContext {
  assert(request.kind === 'echo' && request.type === 8, 'an echo request');
  assert(request.dstIp === c.ip, 'to our IP');
  const { src, srcIp, id, seq, tag, len } = request;
  const reply: FrameSpec = {
    ...{ kind: 'echo', type: 0, srcMac: c.mac, dstMac: src, srcIp: c.ip, dstIp: srcIp },
    // An unpadded request (under 60 bytes) is answered with the padded minimum.
    ...{ id, seq, frameBytes: Math.max(len, FRAME_BYTES_MIN), tag },
  };
  const next = recordRequest(c, srcIp, id, seq);
  return output({ ...next, counts: bump(next.counts, 'echoRepliesSent') }, reply, out);
}

function recordRequest(c: IpStackContext, srcIp: Ip, id: number, seq: number): IpStackContext {
  const key = receiverKey(srcIp, id);
  const known = c.receivers[key];
  if (known === undefined && Object.keys(c.receivers).length >= RECEIVER_LIMIT) {
    return { ...c, counts: bump(c.counts, 'receiverOverflow') };
  }
  const r = known ?? { srcIp, id, received: 0, duplicates: 0, outOfOrder: 0, ...NO_ANSWERS };
  const { track, filled } = markAnswered(r, seq);
  const next: ReceiverLedger = isAnswered(r, seq)
    ? { ...r, duplicates: r.duplicates + 1 }
    : { ...track, received: r.received + 1, outOfOrder: r.outOfOrder + (filled ? 1 : 0) };
  return { ...c, receivers: { ...c.receivers, [key]: next } };
}

/** How a reply for `seq` counts for its flow (see the header). */
export function classifyReply(f: FlowLedger, seq: number): ReplyOutcome {
  if (!Number.isSafeInteger(seq) || seq < 0 || seq >= f.sent) return 'unknown';
  if (f.pending.includes(seq)) return 'delivered';
  return isAnswered(f, seq) ? 'duplicate' : 'late';
}
