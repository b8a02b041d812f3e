// The isolation oracle: fed a frame from another segment, a receive buffer read while the IOSP
// owned it, and a guest handed another guest's channel.

import { describe, expect, test } from 'vitest';
import { foreignChannels, isolationFindings } from './isolation.js';

describe('isolation', () => {
  test('smoke: no frame from outside the segment and no early buffer read is isolation kept', () => {
    expect(isolationFindings({ misdelivered: 0, ownershipViolations: 0 })).toEqual([]);
  });

  test('a frame accepted from another segment breaks isolation', () => {
    expect(isolationFindings({ misdelivered: 2, ownershipViolations: 0 })).toEqual([
      { kind: 'misdelivered', count: 2 },
    ]);
  });

  test('a receive page read while the IOSP could still write it breaks buffer ownership', () => {
    expect(isolationFindings({ misdelivered: 1, ownershipViolations: 3 })).toEqual([
      { kind: 'misdelivered', count: 1 },
      { kind: 'buffer-ownership', count: 3 },
    ]);
  });

  test('a guest handed a channel of another guest breaks channel isolation; its own channels do not', () => {
    const given = [
      { id: 'guest1/vbus2:dev0', guestPartition: 'guest1' },
      { id: 'guest2/vbus2:dev0', guestPartition: 'guest2' },
    ];
    expect(foreignChannels('guest1', given)).toEqual([given[1]]);
    expect(foreignChannels('guest1', given.slice(0, 1))).toEqual([]);
  });
});
