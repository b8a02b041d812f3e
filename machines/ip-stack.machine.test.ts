// ip-stack machine: ARP and echo responder, neighbour resolution, ping flows and their ledgers,
// the link/queue backlog, driven on a SimulatedClock by a small fake host that stamps probe tags.

import { getShortestPaths } from '@xstate/graph';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import type { FrameSpec, ParsedFrame, ProbeTag } from '../src/kinds/vnic/ethernet.js';
import { ipStackMachine, type IpStackEvent } from './ip-stack.machine.js';
import {
  BROADCAST,
  GAP_LIMIT,
  ipStackSystemId,
  linkDownMsAt,
  markAnswered,
  STAMP_AT_TRANSMIT_MS,
  type FlowLedger,
  type IpStackEmitted,
  type IpStackInput,
  type PingFlow,
} from './ip-stack.logic.js';

const ip = (a: number, b: number, c: number, d: number) =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const MAC = 0x02_53_50_00_01_00;
const IP = ip(10, 0, 1, 2);
const PEER_MAC = 0x02_53_50_00_02_00;
const PEER_IP = ip(10, 0, 1, 3);
const FOREIGN_IP = ip(10, 0, 2, 3);
const BASE: IpStackInput = {
  partition: 'guest1',
  ifname: 'eth0',
  mac: MAC,
  ip: IP,
  netmask: 0xffff_ff00,
  pings: [],
};
const FLOW: PingFlow = {
  flow: 7,
  dstIp: PEER_IP,
  count: 3,
  intervalMs: 100,
  frameBytes: 98,
  window: 8,
  timeoutMs: 1000,
  startMs: 0,
};

type Transmit = Extract<IpStackEmitted, { type: 'net.transmit' }>;

/** An ip-stack on a simulated clock; its host stamps probe tags with the clock when it "builds" a frame. */
function stack(input: Partial<IpStackInput> = {}, options: { linkUp?: boolean } = {}) {
  const full = { ...BASE, ...input };
  const clock = new SimulatedClock();
  const actor = createActor(ipStackMachine, {
    input: full,
    clock,
    systemId: ipStackSystemId(full),
  });
  const effects: IpStackEmitted[] = [];
  /** Everything the host put on the wire: the frame with its tag stamped at transmit time. */
  const wire: { id: number; frame: FrameSpec; atMs: number }[] = [];
  actor.on('*', (e) => {
    effects.push(e);
    if (e.type !== 'net.transmit') return;
    const { frame } = e;
    const stamped =
      frame.kind === 'echo' && frame.tag?.sentAtMs === STAMP_AT_TRANSMIT_MS
        ? { ...frame, tag: { ...frame.tag, sentAtMs: clock.now() } }
        : frame;
    wire.push({ id: e.id, frame: stamped, atMs: clock.now() });
  });
  actor.start();
  const send = (...events: IpStackEvent[]) => events.forEach((e) => actor.send(e));
  if (options.linkUp !== false) send({ type: 'LINK', up: true, atMs: 0 });
  const ctx = () => actor.getSnapshot().context;
  let seen = 0;
  return {
    actor,
    clock,
    effects,
    wire,
    send,
    ctx,
    /**
     * Moves the clock `ms` forward one millisecond at a time: SimulatedClock.increment jumps to the
     * end first, so a timer set by a timer would start late and the host would stamp the wrong time.
     */
    advance: (ms: number) => {
      for (let i = 0; i < ms; i++) clock.increment(1);
    },
    take: () => effects.splice(0),
    /** Ids of the delayed events still scheduled. */
    timers: () =>
      Object.values(actor.system.getSnapshot()._scheduledEvents)
        .map((e) => e.id)
        .sort(),
    /** Frames put on the wire since the last call (the log itself is kept for replyTo). */
    takeFrames: () => wire.slice(seen, (seen = wire.length)).map((w) => w.frame),
    frame: (frame: ParsedFrame) => send({ type: 'FRAME', frame, atMs: clock.now() }),
    flow: (n = 0) => ctx().flows[n] as FlowLedger,
  };
}

const arpRequest = (targetIp: number, senderIp = PEER_IP, senderMac = PEER_MAC): ParsedFrame => ({
  kind: 'arp',
  dst: BROADCAST,
  src: senderMac,
  len: 60,
  op: 1,
  senderMac,
  senderIp,
  targetMac: 0,
  targetIp,
});
const arpReply = (senderIp = PEER_IP, senderMac = PEER_MAC): ParsedFrame => ({
  kind: 'arp',
  dst: MAC,
  src: senderMac,
  len: 60,
  op: 2,
  senderMac,
  senderIp,
  targetMac: MAC,
  targetIp: IP,
});
const echo = (
  type: 8 | 0,
  seq: number,
  tag: ProbeTag | null,
  over: Partial<Extract<ParsedFrame, { kind: 'echo' }>> = {},
): ParsedFrame => ({
  kind: 'echo',
  dst: MAC,
  src: PEER_MAC,
  len: 98,
  type,
  srcIp: PEER_IP,
  dstIp: IP,
  id: 7,
  seq,
  tag,
  ...over,
});
/** The peer's reply to the request with `seq` that went on the wire (its stamped tag echoed). */
function replyTo(wire: { frame: FrameSpec }[], seq: number): ParsedFrame {
  const request = wire
    .map((w) => w.frame)
    .find((f) => f.kind === 'echo' && f.type === 8 && f.seq === seq);
  if (request?.kind !== 'echo') throw new Error(`no request ${seq} on the wire`);
  return echo(0, seq, request.tag, { id: request.id, len: request.frameBytes });
}
/** A started flow whose destination is already known (learnt from the peer's ARP request). */
function resolved(flow: Partial<PingFlow> = {}, input: Partial<IpStackInput> = {}) {
  const s = stack({ ...input, pings: [{ ...FLOW, ...flow }] });
  s.frame(arpRequest(IP));
  s.send({ type: 'START' });
  s.clock.increment(0); // FLOW_START after startMs 0 is still a delayed event
  return s;
}
const seqsOf = (frames: FrameSpec[]) =>
  frames.flatMap((f) => (f.kind === 'echo' && f.type === 8 ? [f.seq] : []));
const balanced = (f: FlowLedger) => f.sent === f.delivered + f.lost + f.outstanding;

describe('ip-stack responder', () => {
  test('smoke: under <partition>/ip-stack:<ifname>, an ARP request for our IP gets a unicast reply and teaches us the sender', () => {
    const s = stack();
    expect(s.actor.system.get('guest1/ip-stack:eth0')).toBe(s.actor);
    expect(s.actor.getSnapshot().value).toBe('idle');
    s.frame(arpRequest(IP));
    expect(s.take()).toEqual([
      {
        type: 'net.transmit',
        id: 0,
        frame: {
          kind: 'arp',
          op: 2,
          srcMac: MAC,
          dstMac: PEER_MAC,
          senderMac: MAC,
          senderIp: IP,
          targetMac: PEER_MAC,
          targetIp: PEER_IP,
        },
      },
    ]);
    expect(s.ctx().neighbours).toEqual({ [String(PEER_IP)]: PEER_MAC });
    expect(s.ctx().counts).toMatchObject({ framesReceived: 1, arpRepliesSent: 1, framesSent: 1 });
  });

  test('an ARP request for another IP of the segment is neither answered nor learnt', () => {
    const s = stack();
    s.frame(arpRequest(ip(10, 0, 1, 9)));
    expect(s.take()).toEqual([]);
    expect(s.ctx().neighbours).toEqual({});
    expect(s.ctx().counts).toMatchObject({ framesReceived: 1, misdelivered: 0, notForUs: 0 });
  });

  test('an echo request is answered with the same id, seq, tag and length; the receiver ledger counts it per source flow', () => {
    const s = stack();
    const tag = { flow: 3, seq: 5, sentAtMs: 12.5 };
    s.frame(echo(8, 5, tag, { id: 3, len: 142 }));
    s.frame(echo(8, 0, null, { id: 4, len: 50, dst: BROADCAST })); // broadcast MAC is ours too; unpadded → 60
    expect(s.takeFrames()).toEqual([
      {
        kind: 'echo',
        type: 0,
        srcMac: MAC,
        dstMac: PEER_MAC,
        srcIp: IP,
        dstIp: PEER_IP,
        id: 3,
        seq: 5,
        frameBytes: 142,
        tag,
      },
      {
        kind: 'echo',
        type: 0,
        srcMac: MAC,
        dstMac: PEER_MAC,
        srcIp: IP,
        dstIp: PEER_IP,
        id: 4,
        seq: 0,
        frameBytes: 60,
        tag: null,
      },
    ]);
    expect(s.ctx().receivers[`${PEER_IP}:3`]).toMatchObject({
      srcIp: PEER_IP,
      id: 3,
      received: 1,
      duplicates: 0,
      outOfOrder: 0,
    });
    expect(s.ctx().counts.echoRepliesSent).toBe(2);
  });

  test('the receiver ledger tells duplicates from gap fills: 0, 2, 2, 1 → 3 received, 1 duplicate, 1 out of order', () => {
    const s = stack();
    for (const seq of [0, 2, 2, 1]) s.frame(echo(8, seq, null));
    expect(s.ctx().receivers[`${PEER_IP}:7`]).toMatchObject({
      received: 3,
      duplicates: 1,
      outOfOrder: 1,
      highestSeq: 2,
      gaps: [],
    });
    expect(s.ctx().counts.echoRepliesSent).toBe(4); // a duplicate is still answered, as Linux does
  });

  test('a foreign-subnet sender is misdelivered (not answered, not learnt); another host or a broadcast IP is not a breach', () => {
    const s = stack();
    s.frame(arpRequest(IP, FOREIGN_IP));
    s.frame(echo(8, 0, null, { srcIp: FOREIGN_IP }));
    expect(s.ctx().counts.misdelivered).toBe(2);
    s.frame(echo(8, 0, null, { dstIp: ip(10, 0, 1, 9) }));
    s.frame(echo(8, 0, null, { dst: 0x02_00_00_00_00_09 }));
    expect(s.ctx().counts.notForUs).toBe(2);
    s.frame(echo(8, 0, null, { dstIp: ip(10, 0, 1, 255), dst: BROADCAST }));
    expect(s.ctx().counts.broadcastEchoesIgnored).toBe(1);
    expect(s.take()).toEqual([]);
    expect(s.ctx().neighbours).toEqual({});
    expect(s.ctx().counts).toMatchObject({ framesReceived: 5, misdelivered: 2 });
  });
});

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

describe('ip-stack link, queue and backlog', () => {
  test('while the link is down frames wait in the backlog (ping keeps ticking); link up flushes them in order', () => {
    const s = resolved({ count: 4 }, { backlogLimit: 3 });
    s.take();
    s.send({ type: 'LINK', up: false, atMs: 10 });
    s.advance(100);
    s.frame(echo(8, 0, null, { id: 99 })); // a reply waits behind seq 1
    s.advance(200); // seqs 2, 3: the backlog holds 3, seq 3 is dropped
    expect(s.take().filter((e) => e.type === 'net.transmit')).toEqual([]);
    expect(s.ctx().backlog.map((q) => q.id)).toEqual([2, 3, 4]); // 0: ARP reply, 1: seq 0
    expect(s.ctx().counts.backlogDrops).toBe(1);
    expect(s.flow()).toMatchObject({ sent: 4, outstanding: 4 });
    s.send({ type: 'LINK', up: true, atMs: 300 });
    const flushed = s.take().filter((e): e is Transmit => e.type === 'net.transmit');
    expect(flushed.map((e) => e.id)).toEqual([2, 3, 4]);
    expect(
      flushed.map((e) => (e.frame.kind === 'echo' ? [e.frame.type, e.frame.seq] : [])),
    ).toEqual([
      [8, 1],
      [0, 0],
      [8, 2],
    ]);
    expect(s.ctx().backlog).toEqual([]);
    const { framesSent, backlogDrops, arpRepliesSent, echoRepliesSent, echoRequestsSent } =
      s.ctx().counts;
    expect(framesSent + backlogDrops).toBe(arpRepliesSent + echoRepliesSent + echoRequestsSent);
  });

  test('a stopped transmit queue holds frames too; running again flushes them', () => {
    const s = stack();
    s.send({ type: 'TX_QUEUE', running: false });
    s.frame(echo(8, 0, null));
    expect(s.take()).toEqual([]);
    s.send({ type: 'TX_QUEUE', running: true });
    expect(s.takeFrames().map((f) => f.kind)).toEqual(['echo']);
  });

  test('linkDownMs counts carrier-off time after the first link up only; the open interval is left to the report', () => {
    const s = stack({}, { linkUp: false });
    s.send({ type: 'LINK', up: false, atMs: 0 }); // already down: no change
    s.send({ type: 'LINK', up: true, atMs: 100 }, { type: 'LINK', up: true, atMs: 120 });
    s.send({ type: 'LINK', up: false, atMs: 300 }, { type: 'LINK', up: true, atMs: 450 });
    s.send({ type: 'LINK', up: false, atMs: 500 });
    const { link } = s.ctx();
    expect(link).toEqual({
      up: false,
      linkUps: 2,
      linkDowns: 2,
      linkDownMs: 150,
      linkDownSinceMs: 500,
      firstLinkUpMs: 100,
      lastLinkUpMs: 450,
    });
    expect(linkDownMsAt(link, 700)).toBe(350);
  });

  test('TX_DONE, TX_DROPPED and TX_DISCARDED are counted', () => {
    const s = stack();
    s.send(
      { type: 'TX_DONE', id: 0, ok: true },
      { type: 'TX_DONE', id: 1, ok: false },
      { type: 'TX_DROPPED', id: 2 },
    );
    s.send({ type: 'TX_DISCARDED', ids: [3, 4, 5] });
    expect(s.ctx().counts).toMatchObject({ txDone: 1, txFailed: 1, txDropped: 1, txDiscarded: 3 });
  });

  test('every state is reachable; with no flows the stack is finished at once and stays a responder', () => {
    const paths = getShortestPaths(ipStackMachine, { input: BASE, events: [{ type: 'START' }] });
    const states = ['idle', 'running'];
    expect(new Set(paths.map((p) => p.state.value))).toEqual(new Set(states));
    expect(Object.keys(ipStackMachine.root.states)).toEqual(states);
    const s = stack();
    s.send({ type: 'START' });
    expect(s.ctx().finished).toBe(true);
    s.frame(arpRequest(IP));
    expect(s.takeFrames()).toHaveLength(1);
  });
});
