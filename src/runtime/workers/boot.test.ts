import { describe, expect, test } from 'vitest';
import { minimalGuestConfig } from '../../hypervisor/index.js';
import { bootInWorkers } from './boot.js';

describe('worker boot', () => {
  test('smoke: in worker threads the command partition brings a guest with the minimum driver set up', async () => {
    const outcome = await bootInWorkers(minimalGuestConfig(), 1, 30_000);
    expect(outcome.bringUpDone).toMatchObject({ ready: ['guest1'], failed: [] });
    const guest = outcome.snapshots['guest1'] as Record<string, unknown>;
    expect(
      Object.keys(guest)
        .filter((id) => id.includes(':vbus'))
        .sort(),
    ).toEqual([
      'guest1/visorconinclient:vbus1:dev1',
      'guest1/visorconinclient:vbus1:dev2',
      'guest1/visorvideoclient:vbus1:dev0',
    ]);
    expect(
      outcome.trace.some((r) => r.partition === 'guest1' && r.event === 'controlvm.respond'),
    ).toBe(true);
    expect(outcome.sysfs['guest1']?.['/sys/devices/visorbus1/vbus1:dev0/modalias']).toBe(
      'visorbus:3cd6e705-d6a2-4aa5-ad5c-7b08889dffe2',
    );
  });
});
