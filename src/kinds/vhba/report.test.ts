// When a worker run may end early for storage: every workload finished and every configured vhba
// scanned, each target answered.

import { describe, expect, test } from 'vitest';
import { loadShipped } from '../../run/testing/shipped.js';
import { NO_IO, type IoStats, vhbaReport } from './report.js';
import type { VhbaScan } from './target-scan.js';

const { config } = loadShipped('storage-isolation');
const answered: VhbaScan = {
  iosp: 'iosp0',
  targets: [{ id: 0, inquiry: 'no-disk', read: 'no-disk' }],
};
const guest1: IoStats = { ...NO_IO, workloads: 1, finished: 1, scans: [answered] };

describe('vhba report', () => {
  test('settled once the workloads finished and every vhba was scanned with every target answered', () => {
    const settled = (guest2: IoStats) => vhbaReport.settled?.({ guest1, guest2 }, config);
    expect(settled({ ...NO_IO, scans: [answered] })).toBe(true);
    expect(settled(NO_IO), 'guest2 has not scanned its vhba yet').toBe(false);
    const lost: VhbaScan = {
      iosp: 'iosp0',
      targets: [{ id: 0, inquiry: 'no-disk', read: 'lost' }],
    };
    expect(settled({ ...NO_IO, scans: [lost] }), 'its READ is unanswered').toBe(false);
    const unfinished = { ...guest1, finished: 0 };
    expect(vhbaReport.settled?.({ guest1: unfinished, guest2: guest1 }, config)).toBe(false);
  });
});
