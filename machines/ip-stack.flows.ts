// The ping workloads of the guest's IPv4 layer (`ping -i` and `ping -f`; spar-protocol.md §4.3
// frames, §4.7 the link their timeouts outlast): a flow starts after its startMs, resolves its
// destination with ARP (retried every arpRetryMs), then sends one echo request per tick within its
// window and settles each seq as delivered or lost (ip-stack.ledger.ts's rules). Helpers take the
// context and an Outbox and return the next context, as in ip-stack.logic.ts.

import { assert } from '../src/base/assert.js';
import type { FrameSpec, Ip, Mac, ParsedFrame, ProbeTag } from '../src/kinds/vnic/ethernet.js';
import { classifyReply, markAnswered } from './ip-stack.ledger.js';
import { flowOf, neighbourOf, output, withFlow } from './ip-stack.logic.js';
import {
  bump,
  type FlowLedger,
  type IpStackContext,
  type Outbox,
  type QueuedFrame,
  STAMP_AT_TRANSMIT_MS,
  startTimer,
  TAGGED_FRAME_MIN,
  timerIdOf,
  BROADCAST,
  NEIGHBOUR_LIMIT,
} from './ip-stack.types.js';

/** A broadcast ARP request for `targetIp`. */
function arpRequestFrame(c: IpStackContext, targetIp: Ip): FrameSpec {
  const { mac, ip } = c;
  return {
    ...{ kind: 'arp', op: 1, srcMac: mac, dstMac: BROADCAST, senderMac: mac, senderIp: ip },
    ...{ targetMac: 0, targetIp },
  };
}

/** Records `ip` → `mac` and starts every started flow that waited for `ip`. */
export function learnNeighbour(c: IpStackContext, ip: Ip, mac: Mac, out: Outbox): IpStackContext {
  const known = neighbourOf(c, ip) !== undefined;
  if (!known && Object.keys(c.neighbours).length >= NEIGHBOUR_LIMIT) {
    return { ...c, counts: bump(c.counts, 'neighbourOverflow') };
  }
  let next: IpStackContext = { ...c, neighbours: { ...c.neighbours, [String(ip)]: mac } };
  for (const { started, resolved, dstIp, flow } of c.flows) {
    if (!started || resolved || dstIp !== ip) continue;
    out.cancels.push(timerIdOf({ type: 'ARP_RETRY', flow }));
    next = beginSending(next, flow, out);
  }
  return next;
}

/** START: each flow starts `startMs` later. */
export function scheduleFlows(c: IpStackContext, out: Outbox): IpStackContext {
  for (const { flow, startMs } of c.pings) startTimer(out, startMs, { type: 'FLOW_START', flow });
  return c;
}

/** FLOW_START: send at once if the destination is known, else resolve it first. */
export function startFlow(c: IpStackContext, flow: number, out: Outbox): IpStackContext {
  const { spec, ledger } = flowOf(c, flow);
  const next = withFlow(c, { ...ledger, started: true });
  if (spec.count === 0) return settleFinished(next, flow, out);
  if (neighbourOf(c, spec.dstIp) !== undefined) return beginSending(next, flow, out);
  return requestArp(next, flow, out);
}

/**
 * A broadcast ARP request for the flow's destination, and the retry after arpRetryMs (FLOW_START
 * and ARP_RETRY). Choice: while blocked, a request for a target already waiting in the backlog
 * is not queued again (the retry timer still runs), so an outage does not fill the qdisc with ARP.
 */
export function requestArp(c: IpStackContext, flow: number, out: Outbox): IpStackContext {
  const { ledger } = flowOf(c, flow);
  const { dstIp } = ledger;
  startTimer(out, c.arpRetryMs, { type: 'ARP_RETRY', flow });
  const isSame = ({ frame: f }: QueuedFrame) =>
    f.kind === 'arp' && f.op === 1 && f.targetIp === dstIp;
  if (c.backlog.some(isSame)) return c;
  const next = withFlow(c, { ...ledger, arpRequests: ledger.arpRequests + 1 });
  const counts = bump(c.counts, 'arpRequestsSent');
  return output({ ...next, counts }, arpRequestFrame(c, dstIp), out);
}

// Resolved: seq 0 goes now, the rest on the flow's tick.
function beginSending(c: IpStackContext, flow: number, out: Outbox): IpStackContext {
  return pingTick(withFlow(c, { ...flowOf(c, flow).ledger, resolved: true }), flow, out);
}

/**
 * PING_TICK: the next seq if the window allows, and the next tick while seqs remain. Choice: a
 * tick with the window full sends nothing and the seq waits for the next tick (a freed slot does
 * not trigger a send), so sends stay on the intervalMs grid like `ping -i`.
 */
export function pingTick(c: IpStackContext, flow: number, out: Outbox): IpStackContext {
  const { spec, ledger } = flowOf(c, flow);
  if (spec.intervalMs === 0) return refill(c, flow, out);
  const windowFull = ledger.outstanding >= spec.window;
  const next = windowFull
    ? withFlow(c, { ...ledger, windowFullTicks: ledger.windowFullTicks + 1 })
    : sendRequest(c, flow, out);
  if (flowOf(next, flow).ledger.sent < spec.count) {
    startTimer(out, spec.intervalMs, { type: 'PING_TICK', flow });
  }
  return next;
}

// The next echo request, outstanding from now: its timeout starts with it, not at transmit.
function sendRequest(c: IpStackContext, flow: number, out: Outbox): IpStackContext {
  const { spec, ledger } = flowOf(c, flow);
  const dstMac = neighbourOf(c, spec.dstIp);
  assert(dstMac !== undefined, `flow ${flow} is resolved`);
  const seq = ledger.sent;
  // A frame too short for the probe tag (60 or 61 bytes) goes without: no rtt sample, id/seq still count.
  const tag: ProbeTag | null =
    spec.frameBytes >= TAGGED_FRAME_MIN ? { flow, seq, sentAtMs: STAMP_AT_TRANSMIT_MS } : null;
  const frame: FrameSpec = {
    ...{ kind: 'echo', type: 8, srcMac: c.mac, dstMac, srcIp: c.ip, dstIp: spec.dstIp },
    ...{ id: flow, seq, frameBytes: spec.frameBytes, tag },
  };
  const pending = [...ledger.pending, seq];
  startTimer(out, spec.timeoutMs, { type: 'PING_TIMEOUT', flow, seq });
  const next = withFlow(c, { ...ledger, sent: seq + 1, pending, outstanding: pending.length });
  return output({ ...next, counts: bump(c.counts, 'echoRequestsSent') }, frame, out);
}

/**
 * Flood (intervalMs 0, `ping -f`): no ticks; the window is kept full — at the start and whenever a
 * reply or a timeout frees a slot — until `count` are sent (the bench's load).
 */
function refill(c: IpStackContext, flow: number, out: Outbox): IpStackContext {
  let next = c;
  for (;;) {
    const { spec, ledger } = flowOf(next, flow);
    if (
      spec.intervalMs !== 0 ||
      !ledger.resolved ||
      ledger.outstanding >= spec.window ||
      ledger.sent >= spec.count
    )
      return next;
    next = sendRequest(next, flow, out);
  }
}

/** PING_TIMEOUT of an outstanding seq (the guard checks `pending`): it is lost. */
export function expireRequest(c: IpStackContext, flow: number, seq: number, out: Outbox) {
  const { ledger } = flowOf(c, flow);
  assert(ledger.pending.includes(seq), `seq ${seq} of flow ${flow} is outstanding`);
  const pending = ledger.pending.filter((s) => s !== seq);
  const lost = { ...ledger, pending, outstanding: pending.length, lost: ledger.lost + 1 };
  return settleFinished(refill(withFlow(c, lost), flow, out), flow, out);
}

// Marks the flow finished once all are sent and none outstanding; emits ping.flowDone once.
function settleFinished(c: IpStackContext, flow: number, out: Outbox): IpStackContext {
  const { spec, ledger } = flowOf(c, flow);
  if (ledger.finished || ledger.sent < spec.count || ledger.outstanding > 0) return c;
  const { sent, delivered, lost } = ledger;
  out.emitted.push({ type: 'ping.flowDone', flow, sent, delivered, lost });
  const next = withFlow(c, { ...ledger, finished: true });
  return { ...next, finished: next.flows.every((f) => f.finished) };
}

/** An echo reply to our IP: the flow it answers (by id and source IP) settles one seq. */
export function acceptEchoReply(c: IpStackContext, reply: ParsedFrame, atMs: number, out: Outbox) {
  assert(reply.kind === 'echo' && reply.type === 0, 'an echo reply');
  assert(reply.dstIp === c.ip, 'to our IP');
  const ledger = c.flows.find((f) => f.flow === reply.id && f.dstIp === reply.srcIp);
  const { seq, tag } = reply;
  const outcome = ledger === undefined ? 'unknown' : classifyReply(ledger, seq);
  if (ledger === undefined || outcome === 'unknown') {
    return { ...c, counts: bump(c.counts, 'unknownReplies') };
  }
  if (outcome === 'duplicate') return withFlow(c, { ...ledger, duplicates: ledger.duplicates + 1 });
  const { track, filled } = markAnswered(ledger, seq);
  const ordered = { ...track, outOfOrder: ledger.outOfOrder + (filled ? 1 : 0) };
  if (outcome === 'late') return withFlow(c, { ...ordered, late: ledger.late + 1 });
  const { flow } = ledger;
  out.cancels.push(timerIdOf({ type: 'PING_TIMEOUT', flow, seq }));
  const pending = ledger.pending.filter((s) => s !== seq);
  const settled = { ...ordered, pending, outstanding: pending.length };
  const delivered = { ...settled, delivered: ledger.delivered + 1, lastDeliveredAtMs: atMs };
  const rtt = rttOf(tag, flow, seq, atMs);
  return settleFinished(
    refill(withFlow(c, rtt === null ? delivered : withRtt(delivered, rtt)), flow, out),
    flow,
    out,
  );
}

// Only a tag of this request that the host stamped gives a sample.
function rttOf(tag: ProbeTag | null, flow: number, seq: number, atMs: number): number | null {
  if (tag === null || tag.flow !== flow || tag.seq !== seq || tag.sentAtMs < 0) return null;
  return atMs - tag.sentAtMs;
}

function withRtt(f: FlowLedger, rttMs: number): FlowLedger {
  const rttMinMs = Math.min(f.rttMinMs ?? rttMs, rttMs);
  const rttMaxMs = Math.max(f.rttMaxMs ?? rttMs, rttMs);
  return { ...f, rttMinMs, rttMaxMs, rttSumMs: f.rttSumMs + rttMs, rttSamples: f.rttSamples + 1 };
}
