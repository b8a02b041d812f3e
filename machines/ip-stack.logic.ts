// Pure rules of the guest's IPv4 layer on one interface (a virtual NIC) (DESIGN "devices: … a
// network workload"; spar-protocol.md §4.3 for the frames visornic carries, §4.7 for the link).
// Not s-Par code: the Linux stack above virtnic, reduced to ARP, ICMP echo and `ping`. This file:
// the context, output and the backlog, the link, neighbours and ARP answers; the ping flows are in
// ip-stack.flows.ts, the sequence ledgers and echo answers in ip-stack.ledger.ts (its header has
// the accounting rules), the types in ip-stack.types.ts. ip-stack.machine.ts wires them into
// XState; the host performs `net.transmit` with `buildFrame` and hands received frames back
// parsed.
//
// Helpers take the context and an {@link Outbox} (effects, timers to start, timers to cancel, in
// order) and return the next context; the machine commits the outbox. Nothing here reads a clock:
// times arrive as `atMs` in events, delays are XState delayed events on the actor's clock.

import { assert } from '../src/base/assert.js';
import type { FrameSpec, Ip, Mac, ParsedFrame } from '../src/kinds/vnic/ethernet.js';
import {
  BROADCAST,
  bump,
  DEFAULT_ARP_RETRY_MS,
  DEFAULT_BACKLOG_LIMIT,
  FRAME_BYTES_MAX,
  FRAME_BYTES_MIN,
  type FlowLedger,
  type IpStackContext,
  type IpStackInput,
  linkDownMsAt,
  type Outbox,
  type PingFlow,
  type SeqTrack,
  U16_LIMIT,
  ZERO_IP_STACK_COUNTS,
} from './ip-stack.types.js';

export * from './ip-stack.types.js';

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

/** A sequence track with nothing answered yet. */
export const NO_ANSWERS: SeqTrack = { highestSeq: -1, gaps: [], gapsDropped: 0 };

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
  for (const f of pings) checkFlow({ ip, netmask }, f);
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

/** Flow `flow`'s spec and ledger (same index in `pings` and `flows`). */
export function flowOf(c: IpStackContext, flow: number): { spec: PingFlow; ledger: FlowLedger } {
  const i = c.flows.findIndex((f) => f.flow === flow);
  const spec = c.pings[i];
  const ledger = c.flows[i];
  assert(spec !== undefined && ledger !== undefined, `flow ${flow} exists`);
  return { spec, ledger };
}

/** `c` with flow `ledger.flow`'s ledger replaced. */
export function withFlow(c: IpStackContext, ledger: FlowLedger): IpStackContext {
  return { ...c, flows: c.flows.map((f) => (f.flow === ledger.flow ? ledger : f)) };
}
