// ip-stack: the guest's IPv4 layer on one network interface (a virtual NIC bound by virtnic) and
// the ping workloads that run on it (DESIGN "devices: … a network workload"; spar-protocol.md §4.3
// frames, §4.7 link). Not s-Par code: the Linux stack above virtnic reduced to ARP (RFC 826), ICMP
// echo (RFC 792) and `ping`. It answers ARP and echo for its own IP, resolves neighbours, runs the
// ping flows and keeps the ledgers the run's network checks read (accounting rules in
// `ip-stack.logic.ts`).
//
// States: `idle` until START (the stack already answers ARP and echo: the interface exists before
// the workload clock starts) → `running` (flows start, tick and time out). Neither is final: a
// responder never stops; `context.finished` says every flow finished.
// Events from the host: START; LINK {up, atMs} (carrier from virtnic); TX_QUEUE {running} (netif
// queue); FRAME {frame, atMs} (a frame the driver accepted, parsed); TX_DONE {id, ok};
// TX_DROPPED {id}; TX_DISCARDED {ids} (counted only). Own delayed events (explicit ids, see
// `timerIdOf`): FLOW_START, PING_TICK, PING_TIMEOUT, ARP_RETRY.
// Effects: `net.transmit {id, frame}` (id: this actor's frame counter); an echo request's tag
// has sentAtMs −1, which the host replaces with its virtual now when it builds the bytes
// (STAMP_AT_TRANSMIT_MS), so rtt = FRAME.atMs − tag.sentAtMs needs no clock here.
// `ping.flowDone {flow, sent, delivered, lost}` once per flow.
// Ledgers (context): `flows` (sender, per flow), `receivers` (per source flow), `link`
// (ups, downs, linkDownMs with the open interval in linkDownSinceMs), `counts`.
//
// Choices:
// - Transmit only with carrier on and the queue running; otherwise a FIFO backlog of
//   `backlogLimit` frames (tail drop, counted), flushed in order when both are up again. The
//   backlog is non-empty only while blocked, so no frame ever overtakes another: per-flow order
//   holds. A queue stopped during a flush takes effect from the next event (XState delivers it
//   after this step); frames the driver could not take come back as TX_DROPPED.
// - Initial carrier off (virtnic's `carrier` starts off) and queue running (netif_start_queue at
//   open); linkDownMs counts only after the first link up, so boot time is not an outage.
// - Ping ticks keep running while the link is down, like `ping -i`: requests sit in the backlog
//   and their timeouts run from the tick (ping's sendto), so an outage longer than timeoutMs shows
//   as lost, and replies to requests flushed later as late.
// - No neighbour ageing: a vNIC's MAC is configuration and survives IOSP reboots, so an entry
//   never goes stale within a run; ageing would only add ARP traffic the checks must discount.
//   Learnt: the sender of an ARP request for our IP and of an ARP reply to us, in our subnet.
// - Frames from a sender IP outside our subnet are an isolation breach (each segment is one
//   subnet): counted `misdelivered`, neither answered nor learnt. Checked before the destination.
// - Delays are numbers in the raise, not named delays: a named delay sees the current event, not
//   the flow its timer belongs to (startMs, intervalMs, timeoutMs are per flow). Every delayed
//   event has an explicit id (`timerIdOf`), so cancel can name it and traces stay deterministic.

import { enqueueActions, setup } from 'xstate';
import type { Ip, ParsedFrame } from '../src/kinds/vnic/ethernet.js';
import { narrowEvent } from './narrow-event.js';
import {
  BROADCAST,
  answerArp,
  bump,
  dropLink,
  flowOf,
  flushBacklog,
  FRAME_BYTES_MAX,
  initialIpStackContext,
  isBroadcastIp,
  isInSubnet,
  newOutbox,
  raiseLink,
  type IpStackContext,
  type IpStackCounts,
  type IpStackEmitted,
  type IpStackInput,
  type IpStackTimerEvent,
  type Outbox,
} from './ip-stack.logic.js';
import {
  acceptEchoReply,
  expireRequest,
  learnNeighbour,
  pingTick,
  requestArp,
  scheduleFlows,
  startFlow,
} from './ip-stack.flows.js';
import { answerEcho } from './ip-stack.ledger.js';

/** Events: the host's, then the machine's own timers. */
export type IpStackEvent =
  | { readonly type: 'START' }
  | { readonly type: 'LINK'; readonly up: boolean; readonly atMs: number }
  | { readonly type: 'TX_QUEUE'; readonly running: boolean }
  | { readonly type: 'FRAME'; readonly frame: ParsedFrame; readonly atMs: number }
  | { readonly type: 'TX_DONE'; readonly id: number; readonly ok: boolean }
  | { readonly type: 'TX_DROPPED'; readonly id: number }
  | { readonly type: 'TX_DISCARDED'; readonly ids: readonly number[] }
  | IpStackTimerEvent;

/** The IP a frame claims to come from (ARP sender IP or IPv4 source); null for other frames. */
function senderIpOf(frame: ParsedFrame): Ip | null {
  if (frame.kind === 'arp') return frame.senderIp;
  return frame.kind === 'echo' ? frame.srcIp : null;
}

/** Whether a frame is for us: our MAC or broadcast, and (echo) our IP or a broadcast IP. */
function isAddressedToUs(c: IpStackContext, frame: ParsedFrame): boolean {
  if (frame.dst !== c.mac && frame.dst !== BROADCAST) return false;
  return frame.kind !== 'echo' || frame.dstIp === c.ip || isBroadcastIp(c, frame.dstIp);
}

/** What enqueueActions offers that committing an outbox uses. */
interface OutboxEnqueue {
  assign(values: Partial<IpStackContext>): void;
  cancel(id: string): void;
  emit(effect: IpStackEmitted): void;
  raise(event: IpStackTimerEvent, options: { id: string; delay: number }): void;
}

// Store the step's context, then its timer cancels, effects and new timers, in that order.
function commit(enqueue: OutboxEnqueue, context: IpStackContext, out: Outbox): void {
  enqueue.assign(context);
  for (const id of out.cancels) enqueue.cancel(id);
  for (const effect of out.emitted) enqueue.emit(effect);
  for (const { id, delayMs, event } of out.timers) enqueue.raise(event, { id, delay: delayMs });
}

/** Counters a dropped or ignored frame is counted in. */
type DropCounter = keyof Pick<
  IpStackCounts,
  'otherFrames' | 'misdelivered' | 'notForUs' | 'broadcastEchoesIgnored' | 'oversizeEchoes'
>;

/** The ip-stack machine; create it with `input: IpStackInput`, then send START. */
export const ipStackMachine = setup({
  types: {
    context: {} as IpStackContext,
    events: {} as IpStackEvent,
    emitted: {} as IpStackEmitted,
    input: {} as IpStackInput,
  },
  actions: {
    scheduleFlows: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'START');
      const out = newOutbox();
      commit(enqueue, scheduleFlows(context, out), out);
    }),
    raiseLink: enqueueActions(({ context, event, enqueue }) => {
      const { atMs } = narrowEvent(event, 'LINK');
      const out = newOutbox();
      commit(enqueue, raiseLink(context, atMs, out), out);
    }),
    dropLink: enqueueActions(({ context, event, enqueue }) => {
      enqueue.assign(dropLink(context, narrowEvent(event, 'LINK').atMs));
    }),
    setTxQueue: enqueueActions(({ context, event, enqueue }) => {
      const { running } = narrowEvent(event, 'TX_QUEUE');
      const out = newOutbox();
      commit(enqueue, flushBacklog({ ...context, txQueueRunning: running }, out), out);
    }),
    countTxDone: enqueueActions(({ context, event, enqueue }) => {
      const { ok } = narrowEvent(event, 'TX_DONE');
      enqueue.assign({ counts: bump(context.counts, ok ? 'txDone' : 'txFailed') });
    }),
    countTxDropped: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'TX_DROPPED');
      enqueue.assign({ counts: bump(context.counts, 'txDropped') });
    }),
    countTxDiscarded: enqueueActions(({ context, event, enqueue }) => {
      const { ids } = narrowEvent(event, 'TX_DISCARDED');
      enqueue.assign({ counts: bump(context.counts, 'txDiscarded', ids.length) });
    }),
    countReceived: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'FRAME');
      enqueue.assign({ counts: bump(context.counts, 'framesReceived') });
    }),
    countDrop: enqueueActions(({ context, event, enqueue }, params: { counter: DropCounter }) => {
      narrowEvent(event, 'FRAME');
      enqueue.assign({ counts: bump(context.counts, params.counter) });
    }),
    answerArp: enqueueActions(({ context, event, enqueue }) => {
      const { frame } = narrowEvent(event, 'FRAME');
      const out = newOutbox();
      commit(enqueue, answerArp(context, frame, out), out);
    }),
    learnNeighbour: enqueueActions(({ context, event, enqueue }) => {
      const { frame } = narrowEvent(event, 'FRAME');
      if (frame.kind !== 'arp') return; // the guards admit ARP only
      const out = newOutbox();
      commit(enqueue, learnNeighbour(context, frame.senderIp, frame.senderMac, out), out);
    }),
    answerEcho: enqueueActions(({ context, event, enqueue }) => {
      const { frame } = narrowEvent(event, 'FRAME');
      const out = newOutbox();
      commit(enqueue, answerEcho(context, frame, out), out);
    }),
    acceptEchoReply: enqueueActions(({ context, event, enqueue }) => {
      const { frame, atMs } = narrowEvent(event, 'FRAME');
      const out = newOutbox();
      commit(enqueue, acceptEchoReply(context, frame, atMs, out), out);
    }),
    startFlow: enqueueActions(({ context, event, enqueue }) => {
      const { flow } = narrowEvent(event, 'FLOW_START');
      const out = newOutbox();
      commit(enqueue, startFlow(context, flow, out), out);
    }),
    retryArp: enqueueActions(({ context, event, enqueue }) => {
      const { flow } = narrowEvent(event, 'ARP_RETRY');
      const out = newOutbox();
      commit(enqueue, requestArp(context, flow, out), out);
    }),
    sendPing: enqueueActions(({ context, event, enqueue }) => {
      const { flow } = narrowEvent(event, 'PING_TICK');
      const out = newOutbox();
      commit(enqueue, pingTick(context, flow, out), out);
    }),
    expireRequest: enqueueActions(({ context, event, enqueue }) => {
      const { flow, seq } = narrowEvent(event, 'PING_TIMEOUT');
      const out = newOutbox();
      commit(enqueue, expireRequest(context, flow, seq, out), out);
    }),
  },
  guards: {
    isLinkUpChange: ({ context, event }) => narrowEvent(event, 'LINK').up && !context.link.up,
    isLinkDownChange: ({ context, event }) => !narrowEvent(event, 'LINK').up && context.link.up,
    isOtherFrame: ({ event }) => narrowEvent(event, 'FRAME').frame.kind === 'other',
    isForeignSubnetSender: ({ context, event }) => {
      const ip = senderIpOf(narrowEvent(event, 'FRAME').frame);
      return ip !== null && !isInSubnet(context, ip);
    },
    isNotAddressedToUs: ({ context, event }) =>
      !isAddressedToUs(context, narrowEvent(event, 'FRAME').frame),
    isArpRequestForUs: ({ context, event }) => {
      const { frame } = narrowEvent(event, 'FRAME');
      return frame.kind === 'arp' && frame.op === 1 && frame.targetIp === context.ip;
    },
    isArpReplyForUs: ({ context, event }) => {
      const { frame } = narrowEvent(event, 'FRAME');
      return frame.kind === 'arp' && frame.op === 2 && frame.targetIp === context.ip;
    },
    isBroadcastEcho: ({ context, event }) => {
      const { frame } = narrowEvent(event, 'FRAME');
      return frame.kind === 'echo' && isBroadcastIp(context, frame.dstIp);
    },
    isOversizeEchoRequest: ({ event }) => {
      const { frame } = narrowEvent(event, 'FRAME');
      return frame.kind === 'echo' && frame.type === 8 && frame.len > FRAME_BYTES_MAX;
    },
    isEchoRequest: ({ event }) => {
      const { frame } = narrowEvent(event, 'FRAME');
      return frame.kind === 'echo' && frame.type === 8;
    },
    isEchoReply: ({ event }) => {
      const { frame } = narrowEvent(event, 'FRAME');
      return frame.kind === 'echo' && frame.type === 0;
    },
    isFlowUnresolved: ({ context, event }) => {
      const { flow } = narrowEvent(event, 'ARP_RETRY');
      return !flowOf(context, flow).ledger.resolved;
    },
    isPendingSeq: ({ context, event }) => {
      const { flow, seq } = narrowEvent(event, 'PING_TIMEOUT');
      return flowOf(context, flow).ledger.pending.includes(seq);
    },
  },
}).createMachine({
  id: 'ipStack',
  context: ({ input }) => initialIpStackContext(input),
  initial: 'idle',
  on: {
    LINK: [
      { guard: 'isLinkUpChange', actions: ['raiseLink'] },
      { guard: 'isLinkDownChange', actions: ['dropLink'] },
    ],
    TX_QUEUE: { actions: ['setTxQueue'] },
    TX_DONE: { actions: ['countTxDone'] },
    TX_DROPPED: { actions: ['countTxDropped'] },
    TX_DISCARDED: { actions: ['countTxDiscarded'] },
    // Receive path, first match wins: the sender's subnet before the destination (a breach is a
    // breach wherever it was going), broadcast IPs before "is it ours" for echo.
    FRAME: [
      {
        guard: 'isOtherFrame',
        actions: ['countReceived', { type: 'countDrop', params: { counter: 'otherFrames' } }],
      },
      {
        guard: 'isForeignSubnetSender',
        actions: ['countReceived', { type: 'countDrop', params: { counter: 'misdelivered' } }],
      },
      {
        guard: 'isNotAddressedToUs',
        actions: ['countReceived', { type: 'countDrop', params: { counter: 'notForUs' } }],
      },
      { guard: 'isArpRequestForUs', actions: ['countReceived', 'answerArp', 'learnNeighbour'] },
      { guard: 'isArpReplyForUs', actions: ['countReceived', 'learnNeighbour'] },
      {
        guard: 'isBroadcastEcho',
        actions: [
          'countReceived',
          { type: 'countDrop', params: { counter: 'broadcastEchoesIgnored' } },
        ],
      },
      {
        guard: 'isOversizeEchoRequest',
        actions: ['countReceived', { type: 'countDrop', params: { counter: 'oversizeEchoes' } }],
      },
      { guard: 'isEchoRequest', actions: ['countReceived', 'answerEcho'] },
      { guard: 'isEchoReply', actions: ['countReceived', 'acceptEchoReply'] },
      // ARP between other hosts of the segment: normal broadcast traffic, taken in silently.
      { actions: ['countReceived'] },
    ],
  },
  states: {
    idle: {
      description: 'The interface answers ARP and echo; the ping flows wait for START.',
      on: {
        START: { target: 'running', actions: ['scheduleFlows'] },
      },
    },
    running: {
      description: 'Flows start after startMs, resolve, tick and time out; START again is ignored.',
      on: {
        FLOW_START: { actions: ['startFlow'] },
        ARP_RETRY: { guard: 'isFlowUnresolved', actions: ['retryArp'] },
        PING_TICK: { actions: ['sendPing'] },
        PING_TIMEOUT: { guard: 'isPendingSeq', actions: ['expireRequest'] },
      },
    },
  },
});
