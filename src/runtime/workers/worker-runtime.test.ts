import { describe, expect, test } from 'vitest';
import { minimalGuestConfig } from '../../hypervisor/index.js';
import { readVbusRecord } from '../../partition/vbus-records.js';
import { WorkerRuntime } from './worker-runtime.js';

describe('worker runtime', () => {
  test('smoke: a crashed guest worker is gone, its channel memory survives, and a reboot attaches a fresh worker to it', async () => {
    const runtime = new WorkerRuntime(minimalGuestConfig(), 1);
    try {
      await runtime.boot('guest1');
      const cp = await runtime.boot('cp');
      for (let i = 0; i < 500 && !(await cp.outcomes()).some((o) => (o as { type: string }).type === 'cp.bringUpDone'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await runtime.crash('guest1');
      expect(runtime.isRunning('guest1')).toBe(false);
      const vbus = runtime.channels.forPartition('guest1').find((c) => c.kind === 'vbus');
      expect(vbus && readVbusRecord(vbus, 'bus')).toEqual({ devtype: 'clientbus', drvname: 'visorbus' });
      const rebooted = await runtime.boot('guest1');
      const states = (await rebooted.snapshot()) as Record<string, unknown>;
      expect(states['guest1/visorchipset']).toBeDefined();
      // The rebooted guest has not been brought up again: no driver is bound yet.
      expect(Object.keys(states).filter((id) => id.includes(':vbus'))).toEqual([]);
    } finally {
      await runtime.shutdown();
    }
  });
});
