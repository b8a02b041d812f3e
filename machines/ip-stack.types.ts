// The types, constants and small helpers of the guest's IPv4 layer (ip-stack.logic.ts says what
// the ledgers count and why; ip-stack.machine.ts wires the logic into XState). Split from the logic
// to keep each file readable; ip-stack.logic.ts re-exports everything here.

import { PROBE_TAG_BYTES, type FrameSpec, type Ip, type Mac } from '../src/kinds/vnic/ethernet.js';

/** ff:ff:ff:ff:ff:ff, ethernet.ts `BROADCAST_MAC` (machines import only types from the codec). */
export const BROADCAST: Mac = 0xffff_ffff_ffff;
/** Smallest and largest Ethernet frame without FCS, in bytes (ethernet.ts builds 60..1514). */
export const FRAME_BYTES_MIN = 60;
/** See {@link FRAME_BYTES_MIN}. */
export const FRAME_BYTES_MAX = 1514;
/**
 * `tag.sentAtMs` of every echo request the stack emits: the machine has no clock, so the host
 * stamps the tag with its current virtual time when it builds the bytes of a `net.transmit`.
 * Replies carry the stamped tag back and FRAME carries `atMs`, so rtt = atMs − tag.sentAtMs.
 */
export const STAMP_AT_TRANSMIT_MS = -1;
/** The shortest echo frame with room for the probe tag: Ethernet 14 + IPv4 20 + ICMP 8 + tag. */
export const TAGGED_FRAME_MIN = 14 + 20 + 8 + PROBE_TAG_BYTES;
/** ARP retry period when the input gives none (ms). */
export const DEFAULT_ARP_RETRY_MS = 1000;
/** Backlog (qdisc) length when the input gives none (frames); Linux's default txqueuelen. */
export const DEFAULT_BACKLOG_LIMIT = 1000;
/** Gaps tracked per flow and per source flow. */
export const GAP_LIMIT = 64;
/** Source flows tracked in the receiver ledger. */
export const RECEIVER_LIMIT = 1024;
/** Neighbour table entries. */
export const NEIGHBOUR_LIMIT = 1024;
/** ICMP id and seq are u16. */
export const U16_LIMIT = 0x1_0000;

/** One ping workload. */
export interface PingFlow {
  /** Unique in the run: the ICMP id (u16) and `tag.flow`. */
  readonly flow: number;
  /** Destination, in our subnet (no router is modelled). */
  readonly dstIp: Ip;
  /** Requests to send (≤ 65536: seqs are u16 and never wrap). */
  readonly count: number;
  /** Period between sends (ms); 0 floods: the window is refilled as slots free (see refill). */
  readonly intervalMs: number;
  /** Frame length of each request (bytes, 60..1514). */
  readonly frameBytes: number;
  /** Most requests outstanding at once (≥ 1). */
  readonly window: number;
  /** A request unanswered this long is lost (ms, ≥ 1). */
  readonly timeoutMs: number;
  /** Delay from START to the flow's start (ms, ≥ 0). */
  readonly startMs: number;
}

/** Machine input. */
export interface IpStackInput {
  readonly partition: string;
  /** Interface name, as in the systemId (`<partition>/ip-stack:<ifname>`). */
  readonly ifname: string;
  readonly mac: Mac;
  readonly ip: Ip;
  /** Subnet mask as a u32, e.g. 0xffffff00. */
  readonly netmask: Ip;
  readonly pings: readonly PingFlow[];
  /** ARP request period while a flow's destination is unresolved (ms, default 1000). */
  readonly arpRetryMs?: number;
  /** Backlog (qdisc) capacity in frames (default 1000). */
  readonly backlogLimit?: number;
}

/** What order tracking keeps (see the header). */
export interface SeqTrack {
  /** Highest seq answered; −1 before the first. */
  readonly highestSeq: number;
  /** Seqs below `highestSeq` not answered yet, ascending, at most GAP_LIMIT. */
  readonly gaps: readonly number[];
  /** Gaps not tracked because the list was full. */
  readonly gapsDropped: number;
}

/** Sender ledger of one flow. */
export interface FlowLedger extends SeqTrack {
  readonly flow: number;
  readonly dstIp: Ip;
  readonly sent: number;
  /** Unique replies within the timeout. */
  readonly delivered: number;
  /** When the last of them arrived (link-recovers: replies again after the last fault healed). */
  readonly lastDeliveredAtMs: number | null;
  readonly duplicates: number;
  readonly outOfOrder: number;
  readonly lost: number;
  /** Lost requests answered after their timeout (still counted lost). */
  readonly late: number;
  readonly outstanding: number;
  /** Seqs outstanding, oldest first (`outstanding` of them, ≤ window). */
  readonly pending: readonly number[];
  /** Round-trip times of delivered replies with a stamped tag (ms); null before the first. */
  readonly rttMinMs: number | null;
  readonly rttMaxMs: number | null;
  readonly rttSumMs: number;
  readonly rttSamples: number;
  /** The flow's startMs elapsed. */
  readonly started: boolean;
  /** Its destination's MAC is known; requests are being sent. */
  readonly resolved: boolean;
  /** All `count` sent and none outstanding. */
  readonly finished: boolean;
  /** ARP requests sent to resolve the destination. */
  readonly arpRequests: number;
  /** Ticks that sent nothing because `window` requests were outstanding. */
  readonly windowFullTicks: number;
}

/** Receiver ledger of one source flow (echo requests from `srcIp` with ICMP id `id`). */
export interface ReceiverLedger extends SeqTrack {
  readonly srcIp: Ip;
  readonly id: number;
  /** Unique seqs received. */
  readonly received: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
}

/** Carrier history. */
export interface LinkLedger {
  readonly up: boolean;
  readonly linkUps: number;
  readonly linkDowns: number;
  /** Closed intervals with carrier off after the first link up (ms); see {@link linkDownMsAt}. */
  readonly linkDownMs: number;
  /** Start of the open carrier-off interval, if any (never before the first link up). */
  readonly linkDownSinceMs: number | null;
  readonly firstLinkUpMs: number | null;
  /** The latest carrier-on (link-recovers measures from it). */
  readonly lastLinkUpMs: number | null;
}

/** Interface counters; the header gives the identities between the frame counters. */
export const IP_STACK_COUNTERS = [
  ...['framesSent', 'framesReceived'], // handed to the driver / accepted from it
  ...['arpRequestsSent', 'arpRepliesSent', 'echoRequestsSent', 'echoRepliesSent'], // produced
  'backlogDrops', // tail drops at a full backlog
  ...['txDone', 'txFailed', 'txDropped', 'txDiscarded'], // TX_DONE ok/not, TX_DROPPED, its ids
  'misdelivered', // sender IP outside our subnet: an isolation breach
  'notForUs', // to another MAC, or an echo to another non-broadcast IP: not a breach
  'broadcastEchoesIgnored', // echo to a broadcast IP (Linux icmp_echo_ignore_broadcasts)
  'oversizeEchoes', // echo requests longer than a 1500-MTU frame: not answered
  'otherFrames', // neither ARP nor ICMP echo
  'unknownReplies', // echo replies to us for no flow, or for a seq never sent
  ...['neighbourOverflow', 'receiverOverflow'], // not learnt / not tracked: table full
] as const;
/** Counter values by name. */
export type IpStackCounts = Readonly<Record<(typeof IP_STACK_COUNTERS)[number], number>>;

/** A frame waiting for the link and the driver's queue. */
export interface QueuedFrame {
  readonly id: number;
  readonly frame: FrameSpec;
}

/** Machine context: plain data; the input with its defaults applied, then the state. */
export interface IpStackContext extends Required<IpStackInput> {
  /** One ledger per flow, in `pings` order. */
  readonly flows: readonly FlowLedger[];
  /** Keyed by {@link receiverKey}. */
  readonly receivers: Readonly<Record<string, ReceiverLedger>>;
  /** IP (decimal string) → MAC. */
  readonly neighbours: Readonly<Record<string, Mac>>;
  readonly link: LinkLedger;
  /** The driver's netif queue is running. */
  readonly txQueueRunning: boolean;
  /** FIFO; non-empty only while blocked (link down or queue stopped). */
  readonly backlog: readonly QueuedFrame[];
  /** Next `net.transmit` id. */
  readonly nextFrameId: number;
  readonly counts: IpStackCounts;
  /** Every flow finished (true at once with no flows). */
  readonly finished: boolean;
}

/** The machine's own delayed events. */
export type IpStackTimerEvent =
  | { readonly type: 'FLOW_START'; readonly flow: number }
  | { readonly type: 'PING_TICK'; readonly flow: number }
  | { readonly type: 'PING_TIMEOUT'; readonly flow: number; readonly seq: number }
  | { readonly type: 'ARP_RETRY'; readonly flow: number };

/** Effects. */
export type IpStackEmitted =
  /** Build and send `frame`; a tag's sentAtMs −1 means "stamp with now" (STAMP_AT_TRANSMIT_MS). */
  | { readonly type: 'net.transmit'; readonly id: number; readonly frame: FrameSpec }
  /** The flow finished (all sent, each answered or timed out), with its totals. */
  | ({ readonly type: 'ping.flowDone' } & Pick<FlowLedger, 'flow' | 'sent' | 'delivered' | 'lost'>);

/** What a step does besides its new context, in order: timers to start carry their own id. */
export interface Outbox {
  readonly emitted: IpStackEmitted[];
  readonly timers: Readonly<{ id: string; delayMs: number; event: IpStackTimerEvent }>[];
  readonly cancels: string[];
}

/** An empty outbox. */
export function newOutbox(): Outbox {
  return { emitted: [], timers: [], cancels: [] };
}

/** The actor's systemId. */
export function ipStackSystemId(input: { partition: string; ifname: string }): string {
  return `${input.partition}/ip-stack:${input.ifname}`;
}

/** The explicit id of a delayed event (so traces stay deterministic, and cancel can name it). */
export function timerIdOf(e: IpStackTimerEvent): string {
  if (e.type === 'ARP_RETRY') return `arp.${e.flow}`;
  if (e.type === 'PING_TIMEOUT') return `ping.${e.flow}.timeout.${e.seq}`;
  return `ping.${e.flow}.${e.type === 'PING_TICK' ? 'tick' : 'start'}`;
}

/** Schedules `event` after `delayMs` under its {@link timerIdOf} id. */
export function startTimer(out: Outbox, delayMs: number, event: IpStackTimerEvent): void {
  out.timers.push({ id: timerIdOf(event), delayMs, event });
}

/** Counters at zero. */
export const ZERO_IP_STACK_COUNTS = Object.fromEntries(
  IP_STACK_COUNTERS.map((name) => [name, 0]),
) as IpStackCounts;

/** The open carrier-off interval closed at `nowMs`: what the run report shows. */
export function linkDownMsAt(link: LinkLedger, nowMs: number): number {
  return link.linkDownMs + (link.linkDownSinceMs === null ? 0 : nowMs - link.linkDownSinceMs);
}

/** `counts` with `name` raised by `by` (default 1). */
export function bump(counts: IpStackCounts, name: keyof IpStackCounts, by = 1): IpStackCounts {
  return { ...counts, [name]: counts[name] + by };
}
