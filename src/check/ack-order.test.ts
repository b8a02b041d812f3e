// The ack-before-response oracle: fed exchanges whose response came before the ack (acked later,
// never acked) it reports each once; fed polls where the ack came first or with the response in
// one poll, nothing (spar-protocol.md §2.5 step 3b).

import { describe, expect, test } from 'vitest';
import { ackOrderFindings, ackOrderText, type ControlvmExchange, ReplyOrder } from './ack-order.js';

const exchange = (over: Partial<ControlvmExchange> = {}): ControlvmExchange => ({
  guest: 'guest1',
  messageHandle: '1',
  id: 0x101,
  acked: true,
  responseBeforeAck: false,
  ...over,
});

describe('ack-before-response', () => {
  test('a response before its ack is one finding per exchange, acked later or never', () => {
    const findings = ackOrderFindings([
      exchange(),
      exchange({ messageHandle: '2', responseBeforeAck: true }),
      exchange({ messageHandle: '3', acked: false, responseBeforeAck: true }),
      exchange({ messageHandle: '4', acked: false }),
    ]);
    expect(findings.map(ackOrderText)).toEqual([
      'guest1 #2 id 0x101: response before its ack (acked after it)',
      'guest1 #3 id 0x101: response before its ack (never acked)',
    ]);
  });

  test('polls: an ack in an earlier poll or the same one is in order; one in a later poll is not', () => {
    const order = new ReplyOrder();
    order.collect(['1'], []);
    order.collect(['2'], ['1', '2', '3']);
    order.collect(['3'], ['4']);
    const seen = ['1', '2', '3', '4'].map((h) => order.exchange('guest1', h, 0x101));
    expect(ackOrderFindings(seen)).toEqual([
      { guest: 'guest1', messageHandle: '3', id: 0x101, ack: 'later' },
      { guest: 'guest1', messageHandle: '4', id: 0x101, ack: 'never' },
    ]);
  });
});
