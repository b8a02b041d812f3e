// The command partition's ledger of the ack order (spar-protocol.md §2.5 step 3b): a response
// settled while its command is unacked is marked, one settled after the ack is not, and a late
// ack leaves the mark (src/check/ack-order.ts judges it).

import { describe, expect, test } from 'vitest';
import { allocateChannels, ioGuestConfig } from '../src/hypervisor/index.js';
import { guestPlansFrom } from '../src/partition/guest-plans.js';
import { acknowledge, dispatchAll, initialContext, settle } from './command-partition.logic.js';

function firstCommand() {
  const config = ioGuestConfig();
  const guests = guestPlansFrom(config, allocateChannels(config));
  const input = { partition: 'cp', guests, ackTimeoutMs: 1_000, responseTimeoutMs: 5_000 };
  const { context, sent } = dispatchAll(initialContext(input));
  return { context, handle: sent[0]?.request.messageHandle ?? '' };
}

describe('command-partition ledger: the ack order', () => {
  test('a response settled before the ack is marked, and a late ack keeps the mark', () => {
    const { context, handle } = firstCommand();
    expect(context.sent[handle]?.responseBeforeAck).toBe(false);
    const answered = settle(context, handle, 'response');
    expect(answered.sent[handle]?.responseBeforeAck).toBe(true);
    const late = acknowledge(answered, handle);
    expect(late.sent[handle]).toMatchObject({ acked: true, responseBeforeAck: true });
  });

  test('a response settled after the ack is in order; a timeout is never an order mark', () => {
    const { context, handle } = firstCommand();
    const inOrder = settle(acknowledge(context, handle), handle, 'response');
    expect(inOrder.sent[handle]).toMatchObject({ acked: true, responseBeforeAck: false });
    const timedOut = settle(context, handle, 'ack-timeout');
    expect(timedOut.sent[handle]?.responseBeforeAck).toBe(false);
  });
});
