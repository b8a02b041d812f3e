// ip-stack's ping flows and their ledgers (ARP resolution, ticks, window, flood, timeouts,
// duplicates, gap fills, rtt; ip-stack.flows.ts, ip-stack.ledger.ts), driven on a SimulatedClock
// by the fake host of ip-stack.harness.ts.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BROADCAST, GAP_LIMIT } from './ip-stack.logic.js';
import { markAnswered } from './ip-stack.ledger.js';
import {
  MAC,
  IP,
  PEER_MAC,
  PEER_IP,
  FLOW,
  stack,
  arpReply,
  echo,
  replyTo,
  resolved,
  seqsOf,
  balanced,
} from './ip-stack.harness.js';

describe('ip-stack ping flows', () => {
  test('a flow resolves with a broadcast ARP request retried every arpRetryMs, then sends count requests every intervalMs', () => {
    const s = stack({ pings: [{ ...FLOW, startMs: 50 }], arpRetryMs: 300 });
    s.send({ type: 'START' });
    expect(s.takeFrames()).toEqual([]);
    s.advance(50);
    const request = {
      kind: 'arp',
      op: 1,
      srcMac: MAC,
      dstMac: BROADCAST,
      senderMac: MAC,
      senderIp: IP,
      targetMac: 0,
      targetIp: PEER_IP,
    };
    expect(s.takeFrames()).toEqual([request]);
    s.advance(299);
    expect(s.takeFrames()).toEqual([]);
    s.advance(1);
    expect(s.takeFrames()).toEqual([request]);
    s.advance(300);
    expect(s.takeFrames()).toEqual([request]);
    expect(s.flow()).toMatchObject({ started: true, resolved: false, sent: 0, arpRequests: 3 });
    s.advance(20);
    s.frame(arpReply());
    const sent = s.takeFrames();
    expect(sent).toEqual([
      {
        kind: 'echo',
        type: 8,
        srcMac: MAC,
        dstMac: PEER_MAC,
        srcIp: IP,
        dstIp: PEER_IP,
        id: 7,
        seq: 0,
        frameBytes: 98,
        tag: { flow: 7, seq: 0, sentAtMs: 670 }, // stamped by the host: the machine emitted −1
      },
    ]);
    expect(s.flow().resolved).toBe(true);
    expect(s.timers()).toEqual(['ping.7.tick', 'ping.7.timeout.0']); // the ARP retry was cancelled
    s.advance(99);
    expect(s.takeFrames()).toEqual([]);
    s.advance(1);
    expect(seqsOf(s.takeFrames())).toEqual([1]);
    s.advance(1000); // seq 2 at 870; no ARP retry is left running
    expect(s.takeFrames().map((f) => f.kind)).toEqual(['echo']);
    expect(s.flow()).toMatchObject({ sent: 3, arpRequests: 3 });
    expect(s.ctx().counts.arpRequestsSent).toBe(3);
  });

  test('a 60-byte request has no room for the probe tag and goes without it (no rtt sample); 62 bytes carry it', () => {
    const short = resolved({ count: 1, frameBytes: 60 });
    expect(short.takeFrames().flatMap((f) => (f.kind === 'echo' ? [f.tag] : []))).toEqual([null]);
    const tagged = resolved({ count: 1, frameBytes: 62 });
    expect(tagged.takeFrames().flatMap((f) => (f.kind === 'echo' ? [f.tag?.seq] : []))).toEqual([
      0,
    ]);
  });

  test('flood (interval 0) keeps the window full: a reply or a timeout sends the next seq at once, until count', () => {
    const s = resolved({ count: 5, window: 3, intervalMs: 0, timeoutMs: 250 });
    expect(seqsOf(s.takeFrames())).toEqual([0, 1, 2]);
    s.frame(replyTo(s.wire, 0));
    expect(seqsOf(s.takeFrames())).toEqual([3]);
    s.advance(250); // seqs 1..3 lost: only seq 4 remains to send
    expect(seqsOf(s.takeFrames())).toEqual([4]);
    expect(s.flow()).toMatchObject({ sent: 5, delivered: 1, lost: 3, outstanding: 1 });
  });

  test('never more than window outstanding: a tick with the window full sends nothing, a timeout frees a slot', () => {
    const s = resolved({ count: 5, window: 2, timeoutMs: 250 });
    expect(seqsOf(s.takeFrames())).toEqual([0]);
    s.advance(100);
    expect(seqsOf(s.takeFrames())).toEqual([1]);
    s.advance(100); // t=200: full
    expect(s.takeFrames()).toEqual([]);
    expect(s.flow()).toMatchObject({ outstanding: 2, windowFullTicks: 1 });
    s.advance(50); // t=250: seq 0 lost
    expect(s.flow()).toMatchObject({ lost: 1, outstanding: 1, pending: [1] });
    s.advance(50); // t=300: seq 2
    expect(seqsOf(s.takeFrames())).toEqual([2]);
    s.frame(replyTo(s.wire, 2));
    s.advance(100);
    expect(seqsOf(s.takeFrames())).toEqual([3]);
  });

  test('a duplicate reply counts as a duplicate, never as a second delivery; rtt comes from the stamped tag', () => {
    const s = resolved({ count: 1 });
    s.advance(30);
    s.frame(replyTo(s.wire, 0));
    s.frame(replyTo(s.wire, 0));
    expect(s.flow()).toMatchObject({
      sent: 1,
      delivered: 1,
      duplicates: 1,
      outstanding: 0,
      rttMinMs: 30,
      rttMaxMs: 30,
      rttSumMs: 30,
      rttSamples: 1,
    });
    expect(s.flow().lastDeliveredAtMs).toBeGreaterThanOrEqual(30); // the first reply's time, kept by the duplicate
    expect(s.flow().finished).toBe(true);
    expect(s.ctx().finished).toBe(true);
    expect(s.timers()).toEqual([]); // the delivered request's timeout was cancelled
    expect(s.effects.filter((e) => e.type === 'ping.flowDone')).toEqual([
      { type: 'ping.flowDone', flow: 7, sent: 1, delivered: 1, lost: 0 },
    ]);
  });

  test('replies 0, 2, 1 deliver all three and count the gap fill as out of order', () => {
    const s = resolved({ count: 3 });
    s.advance(200);
    for (const seq of [0, 2, 1]) s.frame(replyTo(s.wire, seq));
    expect(s.flow()).toMatchObject({
      delivered: 3,
      duplicates: 0,
      outOfOrder: 1,
      highestSeq: 2,
      gaps: [],
      finished: true,
    });
  });

  test('an unanswered request is lost at its timeout; its reply after that is late, not delivered; sent = delivered + lost + outstanding', () => {
    const s = resolved({ count: 2, timeoutMs: 150 });
    s.advance(150); // seq 0 times out at 150
    expect(s.flow()).toMatchObject({ sent: 2, lost: 1, outstanding: 1 });
    s.frame(replyTo(s.wire, 0));
    expect(s.flow()).toMatchObject({ delivered: 0, lost: 1, late: 1, rttSamples: 0 });
    s.frame(replyTo(s.wire, 0));
    expect(s.flow()).toMatchObject({ late: 1, duplicates: 1 });
    s.frame(replyTo(s.wire, 1));
    expect(s.flow()).toMatchObject({
      sent: 2,
      delivered: 1,
      lost: 1,
      outstanding: 0,
      finished: true,
    });
    expect(balanced(s.flow())).toBe(true);
    s.frame(echo(0, 9, null)); // never sent
    expect(s.ctx().counts.unknownReplies).toBe(1);
  });

  test('property: under any reply and loss schedule the ledger matches a per-seq model, and sent = delivered + lost + outstanding', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 200 }) }),
      fc.record({
        kind: fc.constant('reply' as const),
        pick: fc.nat(),
        copies: fc.integer({ min: 1, max: 2 }),
      }),
    );
    const reached = { late: 0, duplicates: 0, outOfOrder: 0 };
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const timeoutMs = 150;
        const s = resolved({ count: 12, window: 4, timeoutMs, intervalMs: 40 });
        const model = {
          delivered: 0,
          late: 0,
          duplicates: 0,
          outOfOrder: 0,
          highest: -1,
          answered: new Set<number>(),
        };
        for (const st of steps) {
          if (st.kind === 'tick') s.advance(st.ms);
          const sent = s.wire.filter((w) => w.frame.kind === 'echo');
          if (st.kind === 'reply' && sent.length > 0) {
            const { atMs, frame } = sent[st.pick % sent.length] as (typeof sent)[number];
            const seq = frame.kind === 'echo' ? frame.seq : -1;
            for (let k = 0; k < st.copies; k++) {
              if (model.answered.has(seq)) model.duplicates++;
              else {
                if (s.clock.now() < atMs + timeoutMs) model.delivered++;
                else model.late++;
                if (seq < model.highest) model.outOfOrder++;
                model.highest = Math.max(model.highest, seq);
                model.answered.add(seq);
              }
              s.frame(replyTo(s.wire, seq));
            }
          }
          const f = s.flow();
          expect(balanced(f)).toBe(true);
          expect(f.outstanding).toBeLessThanOrEqual(4);
          expect(f).toMatchObject({
            delivered: model.delivered,
            late: model.late,
            duplicates: model.duplicates,
            outOfOrder: model.outOfOrder,
          });
          expect(f.late).toBeLessThanOrEqual(f.lost);
        }
        s.advance(12 * 40 * 4 + timeoutMs); // drain: everything sent, then answered or lost
        expect(s.flow()).toMatchObject({
          sent: 12,
          outstanding: 0,
          finished: true,
          lost: 12 - model.delivered,
        });
        for (const key of ['late', 'duplicates', 'outOfOrder'] as const)
          reached[key] += model[key] > 0 ? 1 : 0;
      }),
      { seed: 1, numRuns: 150 },
    );
    // The schedules did reach the interesting cases, so the model comparison means something.
    expect(Math.min(reached.late, reached.duplicates, reached.outOfOrder)).toBeGreaterThan(10);
  });

  test('beyond GAP_LIMIT outstanding, a reply for an outstanding seq whose gap was not kept is still a delivery', () => {
    const count = GAP_LIMIT + 6;
    const s = resolved({ count, window: count, intervalMs: 1, timeoutMs: 10_000 });
    s.advance(count);
    s.frame(replyTo(s.wire, count - 1));
    expect(s.flow()).toMatchObject({
      gapsDropped: 5,
      gaps: Array.from({ length: GAP_LIMIT }, (_, i) => 5 + i),
    });
    s.frame(replyTo(s.wire, 0));
    expect(s.flow()).toMatchObject({
      delivered: 2,
      duplicates: 0,
      outOfOrder: 1,
      outstanding: count - 2,
    });
  });

  test('gap tracking is bounded: a jump past GAP_LIMIT keeps the newest gaps and counts the rest', () => {
    const start = { highestSeq: -1, gaps: [] as number[], gapsDropped: 0 };
    const { track } = markAnswered(start, GAP_LIMIT + 10);
    expect(track.gaps).toHaveLength(GAP_LIMIT);
    expect(track.gaps[0]).toBe(10);
    expect(track.gapsDropped).toBe(10);
    expect(markAnswered(track, 30)).toMatchObject({
      filled: true,
      track: { highestSeq: GAP_LIMIT + 10, gapsDropped: 10 },
    });
  });
});
