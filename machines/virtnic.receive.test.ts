// virtnic's receive path against the fake host (virtnic.harness.ts): delivery, the destination
// filter and NET_RCV_PROMISC, chains and their sanity checks, the repost rule, failed posts and
// their top-up, and buf freshness (spar-protocol.md §4.3 NET_RCV row, repost rule, ndo_set_rx_mode).

import { describe, expect, test } from 'vitest';
import {
  ACK,
  CLOSE,
  deliver,
  IRQ,
  nic,
  OPEN,
  ofType,
  posted,
  promisc,
  RESUME,
  rcvOf,
  rxDropped,
  SUSPEND,
  types,
  xmit,
} from './virtnic.harness.js';
import type { RcvDest, VirtnicEvent } from './virtnic.types.js';

describe('virtnic IO path: receive (§4.3 NET_RCV, repost rule)', () => {
  test('an accepted frame is delivered from its buffer, then the buffer is reposted with a fresh buf', () => {
    const h = nic({ numRcvBufs: 4 });
    const old = h.bufOf(0);
    expect(h.step(h.rcv(0, 'host', 60))).toEqual([deliver([0], 60), posted(0, h.bufOf(0))]);
    expect(h.bufOf(0)).not.toBe(old);
    expect(h.ctx().counts).toMatchObject({
      gotRcv: 1,
      rxPackets: 1,
      rxBytes: 60,
      foundRepostRcvbufCnt: 1,
    });
  });

  test('filter: host and broadcast always; multicast and other only when promiscuous; PROMISC sent only on change', () => {
    const h = nic({ numRcvBufs: 4 });
    const fate = (dest: RcvDest) => h.step(h.rcv(0, dest))[0]?.type;
    expect((['host', 'broadcast', 'multicast', 'other'] as const).map(fate)).toEqual([
      'net.deliver',
      'net.deliver',
      'net.rxDropped',
      'net.rxDropped',
    ]);
    expect(h.ctx().counts.nRcvPacketsNotAccepted).toBe(2);
    expect(h.step({ type: 'SET_PROMISC', on: true }, { type: 'SET_PROMISC', on: true })).toEqual([
      promisc(0x100),
    ]);
    expect([fate('multicast'), fate('other')]).toEqual(['net.deliver', 'net.deliver']);
    expect(h.step({ type: 'SET_PROMISC', on: false })).toEqual([promisc(0)]);
  });

  test('a chained frame is delivered in chain order; bad lengths and chains are dropped but their buffers reposted', () => {
    const h = nic({ numRcvBufs: 4 });
    const chain = (len: number, idx: number[], head = idx[0] ?? 0) =>
      rcvOf(h.bufOf(head), idx.map(h.bufOf), len);
    expect(
      h.step(chain(5000, [2, 0])).map((e) => (e.type === 'net.postRcv' ? e.index : e)),
    ).toEqual([deliver([2, 0], 5000), 2, 0]);
    // Built when sent: every repost changes the bufs.
    const cases: [() => VirtnicEvent, string, number][] = [
      [() => chain(5000, [1]), 'badChain', 5000], // > 4032 needs at least two buffers
      [() => chain(100, [1, 3]), 'badChain', 100], // ≤ 4032 needs exactly one
      [() => chain(100, [1], 3), 'badChain', 100], // rcvbuf[0] must be net.buf
      [() => chain(13, [1]), 'badLength', 13],
      [() => chain(5 * 4032 + 1, [0, 1, 2, 3]), 'badLength', 5 * 4032 + 1],
    ];
    for (const [build, reason, len] of cases) {
      const before = h.bufOf(1);
      const fx = h.step(build());
      expect(fx[0], reason).toEqual(rxDropped(reason, len));
      expect(ofType(fx, 'net.deliver')).toEqual([]);
      expect(h.bufOf(1)).not.toBe(before);
    }
  });

  test('before the enable is acked a frame is dropped and its buffer recycled with a fresh post', () => {
    const h = nic({ numRcvBufs: 4, up: false });
    h.send(OPEN);
    h.take();
    const old = h.bufOf(1);
    expect(h.step(h.rcv(1))).toEqual([rxDropped('notEnabled'), posted(1, h.bufOf(1))]);
    expect(h.bufOf(1)).not.toBe(old);
  });

  test('a buffer the table does not hold is never delivered: counted bad_rcv_buf / n_repost_deficit, only owned ones reposted', () => {
    const h = nic({ numRcvBufs: 4 });
    expect(h.step(rcvOf(999))).toEqual([rxDropped('badRcvBuf')]);
    expect(h.ctx().counts).toMatchObject({ badRcvBuf: 1, nRepostDeficit: 1 });
    const fx = h.step(rcvOf(h.bufOf(0), [h.bufOf(0), 999], 5000));
    expect(fx.map((e) => (e.type === 'net.postRcv' ? e.index : e.type))).toEqual([
      'net.rxDropped',
      0,
    ]);
    expect(h.ctx().counts).toMatchObject({ badRcvBuf: 1, nRepostDeficit: 2 });
  });

  test('a failed post leaves the buffer with the guest; the first drain after the ack posts it again', () => {
    let refuse = true;
    const h = nic({ numRcvBufs: 4, up: false, postOk: (index) => !(index === 2 && refuse) });
    h.send(OPEN);
    refuse = false;
    expect(h.ctx()).toMatchObject({
      rcvbufs: [expect.any(Number), expect.any(Number), null, expect.any(Number)],
      counts: { sentPost: 3, sentPostFailed: 1 },
    });
    expect(ofType(h.step(IRQ), 'net.postRcv').filter((p) => p.index === 2)).toHaveLength(1); // open's only: not acked yet
    h.send(ACK);
    h.take();
    expect(types(h.step(IRQ))).toEqual(['net.postRcv', 'channel.removeResponse']);
    expect(h.ctx()).toMatchObject({
      rcvbufs: { 2: expect.any(Number) },
      counts: { extraRcvbufsSent: 1 },
    });
    h.send(
      { type: 'POST_FAILED', index: 2, buf: 1 },
      { type: 'POST_FAILED', index: 64, buf: h.bufOf(0) },
    );
    expect(h.ctx().counts.stalePostFailures).toBe(2);
  });

  test('every post and transmit gets a buf never used before in the actor life, across reposts, pause, resume and reset', () => {
    const h = nic({ numRcvBufs: 4 });
    h.send(h.rcv(0));
    h.send(h.rcv(0), xmit(1), SUSPEND, RESUME, ACK, xmit(2));
    h.clock.increment(5000);
    h.send(CLOSE, OPEN);
    expect(h.ctx().counts.txTimeouts).toBe(1);
    const bufs = h.effects.flatMap((e) =>
      e.type === 'net.postRcv' || e.type === 'net.insertXmit' ? [e.buf] : [],
    );
    expect(bufs.length).toBe(2 + 1 + 4 + 1 + 4 + 4);
    expect(new Set(bufs).size).toBe(bufs.length);
    expect(bufs.every((b) => Number.isSafeInteger(b))).toBe(true);
  });
});
