// The ip-stack tests' fake host and frame builders: an ip-stack actor on a SimulatedClock whose
// host stamps probe tags with the clock when it "builds" a frame, as net-stack.ts does, and keeps
// every frame put on the wire (spar-protocol.md §4.3 frames; ip-stack.logic.ts).

import { createActor, SimulatedClock } from 'xstate';
import type { FrameSpec, ParsedFrame, ProbeTag } from '../src/kinds/vnic/ethernet.js';
import { ipStackMachine, type IpStackEvent } from './ip-stack.machine.js';
import {
  BROADCAST,
  ipStackSystemId,
  STAMP_AT_TRANSMIT_MS,
  type FlowLedger,
  type IpStackEmitted,
  type IpStackInput,
  type PingFlow,
} from './ip-stack.logic.js';

export const ip = (a: number, b: number, c: number, d: number) =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
export const MAC = 0x02_53_50_00_01_00;
export const IP = ip(10, 0, 1, 2);
export const PEER_MAC = 0x02_53_50_00_02_00;
export const PEER_IP = ip(10, 0, 1, 3);
export const FOREIGN_IP = ip(10, 0, 2, 3);
export const BASE: IpStackInput = {
  partition: 'guest1',
  ifname: 'eth0',
  mac: MAC,
  ip: IP,
  netmask: 0xffff_ff00,
  pings: [],
};
export const FLOW: PingFlow = {
  flow: 7,
  dstIp: PEER_IP,
  count: 3,
  intervalMs: 100,
  frameBytes: 98,
  window: 8,
  timeoutMs: 1000,
  startMs: 0,
};

export type Transmit = Extract<IpStackEmitted, { type: 'net.transmit' }>;

/** An ip-stack on a simulated clock; its host stamps probe tags with the clock when it "builds" a frame. */
export function stack(input: Partial<IpStackInput> = {}, options: { linkUp?: boolean } = {}) {
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
  const send = (...events: IpStackEvent[]) => {
    for (const e of events) actor.send(e);
  };
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
    takeFrames: () => {
      const from = seen;
      seen = wire.length;
      return wire.slice(from, seen).map((w) => w.frame);
    },
    frame: (frame: ParsedFrame) => send({ type: 'FRAME', frame, atMs: clock.now() }),
    flow: (n = 0) => ctx().flows[n] as FlowLedger,
  };
}

export const arpRequest = (
  targetIp: number,
  senderIp = PEER_IP,
  senderMac = PEER_MAC,
): ParsedFrame => ({
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
export const arpReply = (senderIp = PEER_IP, senderMac = PEER_MAC): ParsedFrame => ({
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
export const echo = (
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
export function replyTo(wire: { frame: FrameSpec }[], seq: number): ParsedFrame {
  const request = wire
    .map((w) => w.frame)
    .find((f) => f.kind === 'echo' && f.type === 8 && f.seq === seq);
  if (request?.kind !== 'echo') throw new Error(`no request ${seq} on the wire`);
  return echo(0, seq, request.tag, { id: request.id, len: request.frameBytes });
}
/** A started flow whose destination is already known (learnt from the peer's ARP request). */
export function resolved(flow: Partial<PingFlow> = {}, input: Partial<IpStackInput> = {}) {
  const s = stack({ ...input, pings: [{ ...FLOW, ...flow }] });
  s.frame(arpRequest(IP));
  s.send({ type: 'START' });
  s.clock.increment(0); // FLOW_START after startMs 0 is still a delayed event
  return s;
}
export const seqsOf = (frames: FrameSpec[]) =>
  frames.flatMap((f) => (f.kind === 'echo' && f.type === 8 ? [f.seq] : []));
export const balanced = (f: FlowLedger) => f.sent === f.delivered + f.lost + f.outstanding;
