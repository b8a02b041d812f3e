// ip-stack machine: the ARP and echo responder, the link/queue backlog and the graph, driven on a
// SimulatedClock by the fake host of ip-stack.harness.ts (which stamps probe tags). The ping
// flows and their ledgers: ip-stack.flows.test.ts.

import { getShortestPaths } from '@xstate/graph';
import { describe, expect, test } from 'vitest';
import { ipStackMachine } from './ip-stack.machine.js';
import { BROADCAST, linkDownMsAt } from './ip-stack.logic.js';
import {
  ip,
  MAC,
  IP,
  PEER_MAC,
  PEER_IP,
  FOREIGN_IP,
  BASE,
  stack,
  arpRequest,
  echo,
  resolved,
  type Transmit,
} from './ip-stack.harness.js';

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
