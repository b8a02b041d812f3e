// The buffer-ownership oracle: fed ring histories in which the guest reads a page the IOSP may
// still write (spar-protocol.md §4.3 receive posts, §4.1 channel reset), and ones where it may not.

import { describe, expect, test } from 'vitest';
import { BufferOwnershipLedger } from './buffer-ownership.js';

describe('buffer ownership ledger', () => {
  test('smoke: a page read after the NET_RCV that returned it is the guest’s', () => {
    const l = new BufferOwnershipLedger();
    l.posted(0xa0, 3);
    l.returned([0xa0]);
    expect(l.delivered([3])).toBe(false);
    expect(l.violations).toBe(0);
  });

  test('a page read while a post of it is outstanding is a violation, counted once per read', () => {
    const l = new BufferOwnershipLedger();
    l.posted(0xa0, 3);
    expect(l.delivered([3])).toBe(true);
    expect(l.delivered([1, 3])).toBe(true);
    expect(l.delivered([4])).toBe(false);
    expect(l.violations).toBe(2);
  });

  test('a second post of a page keeps it the IOSP’s after the first comes back', () => {
    const l = new BufferOwnershipLedger();
    l.posted(0xa0, 3);
    l.posted(0xa1, 3);
    l.returned([0xa0]);
    expect(l.delivered([3])).toBe(true);
  });

  test('the ack of an ENBDIS(0) retires only the posts inserted before it', () => {
    const l = new BufferOwnershipLedger();
    l.posted(0xb0, 4);
    l.enbdisInserted(0);
    l.posted(0xb1, 5);
    expect(l.delivered([4]), 'the ack has not come').toBe(true);
    l.enbdisAcked();
    expect(l.delivered([4])).toBe(false);
    expect(l.delivered([5]), "posted after the ENBDIS(0): still the IOSP's").toBe(true);
    expect(l.violations).toBe(2);
  });

  test('acks are matched oldest first: the ack of an ENBDIS(1) retires nothing', () => {
    const l = new BufferOwnershipLedger();
    l.enbdisInserted(1);
    l.posted(0xc0, 6);
    l.enbdisInserted(0);
    l.enbdisAcked(); // the ENBDIS(1)'s
    expect(l.delivered([6])).toBe(true);
    l.enbdisAcked(); // the ENBDIS(0)'s
    expect(l.delivered([6])).toBe(false);
  });

  test('a channel reset retires every post and every ack owed', () => {
    const l = new BufferOwnershipLedger();
    l.posted(0xd0, 7);
    l.enbdisInserted(0);
    l.channelReset();
    expect(l.delivered([7])).toBe(false);
    l.posted(0xd1, 8);
    l.enbdisAcked(); // nothing owed any more: the old ENBDIS(0) must not retire the new post
    expect(l.delivered([8])).toBe(true);
  });
});
