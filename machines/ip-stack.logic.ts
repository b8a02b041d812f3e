// Types and pure helpers of the guest's IPv4 layer on one interface (a virtual NIC) and the ping
// workloads it runs (DESIGN "devices: … a network workload"; spar-protocol.md §4.3 for the frames
// visornic carries, §4.7 for the link). Not s-Par code: the Linux stack above virtnic, reduced to
// ARP, ICMP echo and `ping`. ip-stack.machine.ts wires these into XState; the host performs
// `net.transmit` with `buildFrame` (src/devices/ethernet.ts) and hands received frames back parsed.
//
// Helpers take the context and an {@link Outbox} (effects, timers to start, timers to cancel, in
// order) and return the next context; the machine commits the outbox. Nothing here reads a clock:
// times arrive as `atMs` in events, delays are XState delayed events on the actor's clock.
//
// Ledger accounting (all O(flows), none grows with frames):
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
import {
  type FrameSpec,
  type Ip,
  type Mac,
  type ParsedFrame,
  type ProbeTag,
} from '../src/kinds/vnic/ethernet.js';

export * from './ip-stack.types.js';
import {
  FRAME_BYTES_MAX,
  FRAME_BYTES_MIN,
  TAGGED_FRAME_MIN,
  STAMP_AT_TRANSMIT_MS,
  DEFAULT_ARP_RETRY_MS,
  DEFAULT_BACKLOG_LIMIT,
  GAP_LIMIT,
  RECEIVER_LIMIT,
  NEIGHBOUR_LIMIT,
  BROADCAST,
  U16_LIMIT,
  bump,
  linkDownMsAt,
  startTimer,
  timerIdOf,
  ZERO_IP_STACK_COUNTS,
  type FlowLedger,
  type IpStackContext,
  type IpStackInput,
  type Outbox,
  type PingFlow,
  type QueuedFrame,
  type ReceiverLedger,
  type SeqTrack,
} from './ip-stack.types.js';

const isU32 = (n: number) => Number.isSafeInteger(n) && n >= 0 && n <= 0xffff_ffff;
const isCount = (n: number, min: number) => Number.isSafeInteger(n) && n >= min;

/** Whether `ip` is in our subnet. */
export function isInSubnet(c: { ip: Ip; netmask: Ip }, ip: Ip): boolean {
  return ((ip ^ c.ip) & c.netmask) === 0;
}

/** The limited broadcast or our subnet's directed broadcast. */
export function isBroadcastIp(c: { ip: Ip; netmask: Ip }, ip: Ip): boolean {
  return ip === 0xffff_ffff || ip === (c.ip | ~c.netmask) >>> 0;
}

function checkFlow(c: { ip: Ip; netmask: Ip }, f: PingFlow): void {
  assert(isCount(f.flow, 0) && f.flow < U16_LIMIT, `flow ${f.flow} is a u16 ICMP id`);
  assert(isU32(f.dstIp) && isInSubnet(c, f.dstIp), `flow ${f.flow}: dstIp is in the subnet`);
  assert(f.dstIp !== c.ip && !isBroadcastIp(c, f.dstIp), `flow ${f.flow}: dstIp is another host`);
  assert(isCount(f.count, 0) && f.count <= U16_LIMIT, `flow ${f.flow}: count in 0..65536`);
  const { intervalMs, window, timeoutMs, startMs } = f;
  for (const [name, value] of Object.entries({ window, timeoutMs })) {
    assert(isCount(value, 1), `flow ${f.flow}: ${name} ${value} must be ≥ 1`);
  }
  assert(isCount(intervalMs, 0), `flow ${f.flow}: intervalMs ${intervalMs} must be ≥ 0 (0: flood)`);
  assert(isCount(startMs, 0), `flow ${f.flow}: startMs ${startMs} must be ≥ 0`);
  const bytesOk = isCount(f.frameBytes, FRAME_BYTES_MIN) && f.frameBytes <= FRAME_BYTES_MAX;
  assert(bytesOk, `flow ${f.flow}: frameBytes ${f.frameBytes} in 60..1514`);
}

const NO_ANSWERS: SeqTrack = { highestSeq: -1, gaps: [], gapsDropped: 0 };

function newFlowLedger(f: PingFlow): FlowLedger {
  return {
    ...{ flow: f.flow, dstIp: f.dstIp, sent: 0, delivered: 0, duplicates: 0, outOfOrder: 0 },
    ...{
      lost: 0,
      late: 0,
      outstanding: 0,
      pending: [],
      rttMinMs: null,
      rttMaxMs: null,
      lastDeliveredAtMs: null,
    },
    ...{ rttSumMs: 0, rttSamples: 0, started: false, resolved: false, finished: false },
    ...{ arpRequests: 0, windowFullTicks: 0, ...NO_ANSWERS },
  };
}

/** Initial context; a bad input is a host bug. */
export function initialIpStackContext(input: IpStackInput): IpStackContext {
  const { partition, ifname, mac, ip, netmask, pings } = input;
  assert(Number.isSafeInteger(mac) && mac >= 0 && mac < BROADCAST, 'mac is a 48-bit unicast MAC');
  assert(isU32(ip) && isU32(netmask), 'ip and netmask are u32');
  assert((~netmask & (~netmask + 1)) === 0, `netmask ${netmask} is contiguous`);
  const arpRetryMs = input.arpRetryMs ?? DEFAULT_ARP_RETRY_MS;
  const backlogLimit = input.backlogLimit ?? DEFAULT_BACKLOG_LIMIT;
  assert(isCount(arpRetryMs, 1), `arpRetryMs ${arpRetryMs} must be ≥ 1`);
  assert(isCount(backlogLimit, 0), `backlogLimit ${backlogLimit} must be ≥ 0`);
  pings.forEach((f) => checkFlow({ ip, netmask }, f));
  assert(new Set(pings.map((f) => f.flow)).size === pings.length, 'flow numbers are unique');
  const link = { up: false, linkUps: 0, linkDowns: 0, linkDownMs: 0 };
  return {
    ...{ partition, ifname, mac, ip, netmask, arpRetryMs, backlogLimit, pings: [...pings] },
    ...{ flows: pings.map(newFlowLedger), receivers: {}, neighbours: {} },
    link: { ...link, linkDownSinceMs: null, firstLinkUpMs: null, lastLinkUpMs: null },
    ...{ txQueueRunning: true, backlog: [], nextFrameId: 0, counts: ZERO_IP_STACK_COUNTS },
    finished: pings.length === 0,
  };
}

/** Carrier off or the driver's queue stopped: frames wait in the backlog. */
export function isBlocked(c: IpStackContext): boolean {
  return !c.link.up || !c.txQueueRunning;
}

/** Hands a frame to the driver when the way is clear, else to the backlog (tail drop when full). */
export function output(c: IpStackContext, frame: FrameSpec, out: Outbox): IpStackContext {
  const id = c.nextFrameId;
  const next = { ...c, nextFrameId: id + 1 };
  if (!isBlocked(c)) {
    // Not blocked ⇒ the backlog is empty (flushed when the block lifted), so order is kept.
    assert(c.backlog.length === 0, 'the backlog is empty while unblocked');
    out.emitted.push({ type: 'net.transmit', id, frame });
    return { ...next, counts: bump(c.counts, 'framesSent') };
  }
  if (c.backlog.length < c.backlogLimit) return { ...next, backlog: [...c.backlog, { id, frame }] };
  return { ...next, counts: bump(c.counts, 'backlogDrops') };
}

/** Transmits the whole backlog in order once neither the link nor the queue blocks. */
export function flushBacklog(c: IpStackContext, out: Outbox): IpStackContext {
  if (isBlocked(c) || c.backlog.length === 0) return c;
  for (const { id, frame } of c.backlog) out.emitted.push({ type: 'net.transmit', id, frame });
  return { ...c, backlog: [], counts: bump(c.counts, 'framesSent', c.backlog.length) };
}

/** Carrier on at `atMs`: closes the open down interval, then flushes. */
export function raiseLink(c: IpStackContext, atMs: number, out: Outbox): IpStackContext {
  const { link } = c;
  const linkDownMs = linkDownMsAt(link, atMs);
  const firstLinkUpMs = link.firstLinkUpMs ?? atMs;
  const next = {
    ...link,
    up: true,
    linkUps: link.linkUps + 1,
    linkDownMs,
    firstLinkUpMs,
    lastLinkUpMs: atMs,
  };
  return flushBacklog({ ...c, link: { ...next, linkDownSinceMs: null } }, out);
}

/** Carrier off at `atMs` (the carrier was on, so the first link up is behind us). */
export function dropLink(c: IpStackContext, atMs: number): IpStackContext {
  const { link } = c;
  assert(link.up && link.firstLinkUpMs !== null, 'carrier goes off only after it was on');
  const linkDowns = link.linkDowns + 1;
  return { ...c, link: { ...link, up: false, linkDowns, linkDownSinceMs: atMs } };
}

/** The MAC of `ip`, if known. */
export function neighbourOf(c: IpStackContext, ip: Ip): Mac | undefined {
  return c.neighbours[String(ip)];
}

function arpRequestFrame(c: IpStackContext, targetIp: Ip): FrameSpec {
  const { mac, ip } = c;
  return {
    ...{ kind: 'arp', op: 1, srcMac: mac, dstMac: BROADCAST, senderMac: mac, senderIp: ip },
    ...{ targetMac: 0, targetIp },
  };
}

/** The ARP reply to a request for our IP, unicast to its sender. */
export function answerArp(c: IpStackContext, request: ParsedFrame, out: Outbox): IpStackContext {
  assert(request.kind === 'arp' && request.op === 1, 'an ARP request');
  assert(request.targetIp === c.ip, 'for our IP');
  const { mac, ip } = c;
  const { senderMac, senderIp } = request;
  const reply: FrameSpec = {
    ...{ kind: 'arp', op: 2, srcMac: mac, dstMac: senderMac, senderMac: mac, senderIp: ip },
    ...{ targetMac: senderMac, targetIp: senderIp },
  };
  return output({ ...c, counts: bump(c.counts, 'arpRepliesSent') }, reply, out);
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

/** Flow `flow`'s spec and ledger (same index in `pings` and `flows`). */
export function flowOf(c: IpStackContext, flow: number): { spec: PingFlow; ledger: FlowLedger } {
  const i = c.flows.findIndex((f) => f.flow === flow);
  const spec = c.pings[i];
  const ledger = c.flows[i];
  assert(spec !== undefined && ledger !== undefined, `flow ${flow} exists`);
  return { spec, ledger };
}

function withFlow(c: IpStackContext, ledger: FlowLedger): IpStackContext {
  return { ...c, flows: c.flows.map((f) => (f.flow === ledger.flow ? ledger : f)) };
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

type ReplyOutcome = 'delivered' | 'late' | 'duplicate' | 'unknown';

/** How a reply for `seq` counts for its flow (see the header). */
export function classifyReply(f: FlowLedger, seq: number): ReplyOutcome {
  if (!Number.isSafeInteger(seq) || seq < 0 || seq >= f.sent) return 'unknown';
  if (f.pending.includes(seq)) return 'delivered';
  return isAnswered(f, seq) ? 'duplicate' : 'late';
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
