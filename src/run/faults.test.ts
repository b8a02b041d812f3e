// When a run's last fault healed (the instant link-recovers asks for progress after): a reboot
// heals after its down time, any other action the instant it fires; faults that never fired or
// were refused do not count.

import { describe, expect, test } from 'vitest';
import type { ScenarioFault } from '../scenario/schema.js';
import { type FaultRecord, healedAtMs } from './faults.js';

const faults: ScenarioFault[] = [
  { action: 'reboot', partition: 'iosp0', at: 1_000, down: 500 },
  { action: 'hang', partition: 'guest2', at: 1_200 },
  { action: 'crash', partition: 'iosp1', at: 3_000 },
];

const fired = (index: number, atMs: number | null, refused: string | null = null): FaultRecord => ({
  index,
  action: faults[index]?.action ?? 'crash',
  partition: faults[index]?.partition ?? '',
  atMs,
  refused,
});

describe('healedAtMs', () => {
  test('a reboot heals after its down time, a hang the instant it fires: the later of the two', () => {
    expect(healedAtMs(faults, [fired(0, 1_000), fired(1, 1_200), fired(2, null)])).toBe(1_500);
    expect(healedAtMs(faults, [fired(0, 1_000), fired(1, 1_800), fired(2, null)])).toBe(1_800);
  });

  test('a fault that never fired or was refused does not count; none fired is null', () => {
    expect(healedAtMs(faults, [fired(0, 1_000), fired(1, null), fired(2, 3_000, 'off')])).toBe(
      1_500,
    );
    expect(healedAtMs(faults, [fired(0, null), fired(1, null), fired(2, null)])).toBeNull();
  });
});
