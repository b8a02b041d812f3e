import { describe, expect, test } from 'vitest';
import { minimalGuestConfig } from '../../hypervisor/index.js';
import { readVbusRecord } from '../../partition/vbus-records.js';
import { WorkerRuntime } from './worker-runtime.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `done()` holds, polling every 20 ms, at most 500 times; returns whether it held. */
async function until(done: () => boolean | Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 500; i++) {
    if (await done()) return true;
    await pause(20);
  }
  return false;
}

async function bringUpDone(runtime: WorkerRuntime): Promise<unknown> {
  const outcomes = (await runtime.control('cp')?.view())?.command?.outcomes ?? [];
  return outcomes.find((o) => o.type === 'cp.bringUpDone');
}

async function boundDrivers(runtime: WorkerRuntime, name: string): Promise<string[]> {
  const states = (await runtime.control(name)?.view())?.snapshot ?? {};
  return Object.keys(states)
    .filter((id) => id.includes(':vbus'))
    .sort();
}

/** The lifecycle says running (the fresh worker's start() returned). */
function isRunningState(runtime: WorkerRuntime, name: string): boolean {
  const state = runtime.hypervisor.state(name);
  return state.ok && state.value === 'running';
}

const DRIVERS = [
  'guest1/visorconinclient:vbus1:dev1',
  'guest1/visorconinclient:vbus1:dev2',
  'guest1/visorvideoclient:vbus1:dev0',
];

describe('worker runtime', () => {
  test('smoke: unknown partitions and illegal requests are typed errors and start no worker', async () => {
    const runtime = new WorkerRuntime(minimalGuestConfig(), 1);
    try {
      expect(await runtime.crash('nope')).toMatchObject({
        ok: false,
        error: { code: 'unknown-partition' },
      });
      expect(await runtime.crash('guest1')).toMatchObject({
        ok: false,
        error: { code: 'illegal-request', state: 'off' },
      });
      expect(runtime.isRunning('guest1')).toBe(false);
    } finally {
      await runtime.shutdown();
    }
  });

  test(
    'a crash through the hypervisor terminates the guest worker at once; reboot(downMs) brings a fresh worker up on ' +
      'the same SharedArrayBuffers, which a rebooted command partition then brings up in full',
    async () => {
      const runtime = new WorkerRuntime(minimalGuestConfig(), 1);
      try {
        expect(await runtime.boot('guest1')).toEqual({ ok: true, value: 'running' });
        expect(await runtime.boot('cp')).toEqual({ ok: true, value: 'running' });
        expect(await until(async () => (await bringUpDone(runtime)) !== undefined)).toBe(true);
        expect(await boundDrivers(runtime, 'guest1')).toEqual(DRIVERS);
        const first = runtime.control('guest1');

        expect(await runtime.crash('guest1')).toEqual({ ok: true, value: 'crashed' });
        expect(runtime.isRunning('guest1')).toBe(false);
        expect(runtime.control('guest1')).toBeUndefined();
        const vbus = runtime.channels.forPartition('guest1').find((c) => c.kind === 'vbus');
        expect(vbus && readVbusRecord(vbus, 'bus')).toEqual({
          devtype: 'clientbus',
          drvname: 'visorbus',
        });

        expect(await runtime.reboot('guest1', 30)).toMatchObject({ ok: true });
        expect(await until(() => isRunningState(runtime, 'guest1'))).toBe(true);
        expect(runtime.isRunning('guest1')).toBe(true);
        expect(runtime.hypervisor.lifecycle('guest1')).toMatchObject({
          ok: true,
          value: { bootCount: 2, crashCount: 1, rebootDownMs: 30 },
        });
        expect(runtime.control('guest1')).not.toBe(first);
        expect(
          await until(
            async () => ((await runtime.counters('guest1'))?.['controlvmPolls'] ?? 0) > 0,
          ),
        ).toBe(true);
        expect(await boundDrivers(runtime, 'guest1')).toEqual([]); // a fresh guest: nothing bound yet

        // A fresh CP worker on the same controlvm memory brings the fresh guest up again.
        expect(await runtime.reboot('cp', 0)).toMatchObject({ ok: true });
        expect(await until(() => isRunningState(runtime, 'cp'))).toBe(true);
        expect(await until(async () => (await bringUpDone(runtime)) !== undefined)).toBe(true);
        expect(await bringUpDone(runtime)).toMatchObject({ ready: ['guest1'], failed: [] });
        expect(await boundDrivers(runtime, 'guest1')).toEqual(DRIVERS);
        const files = (await runtime.control('guest1')?.view())?.sysfs ?? {};
        expect(files['/sys/devices/visorbus1/channel_addr']).toBe(
          `0x${vbus?.channelAddr.toString(16)}`,
        );

        const trace = await runtime.shutdown();
        const lifecycle = trace
          .filter((r) => r.actor === 'guest1/lifecycle')
          .map((r) => `${r.event} ${r.state}`);
        expect(lifecycle).toEqual([
          'BOOT "booting"',
          'BOOTED "running"',
          'CRASH "crashed"',
          'REBOOT "rebooting"',
          'xstate.after.rebootDelay.rebooting "booting"',
          'BOOTED "running"',
          'SHUTDOWN "shutDown"',
        ]);
        // Choice: a crash loses the worker's un-drained trace; the rebooted worker's was drained.
        const rebootedAt =
          trace.find((r) => r.actor === 'guest1/lifecycle' && r.event.startsWith('xstate.after'))
            ?.atMs ?? Infinity;
        const hostRecords = trace.filter(
          (r) => r.partition === 'guest1' && r.actor !== 'guest1/lifecycle',
        );
        expect(hostRecords.length).toBeGreaterThan(0);
        expect(hostRecords.every((r) => r.atMs >= rebootedAt)).toBe(true);
        expect(runtime.isRunning('guest1') || runtime.isRunning('cp')).toBe(false);
      } finally {
        await runtime.shutdown();
      }
    },
  );

  test('a hung guest keeps its worker, which still answers but polls no more; shutdown drains and ends it', async () => {
    const runtime = new WorkerRuntime(minimalGuestConfig(), 2);
    try {
      await runtime.boot('guest1');
      const polls = async () => (await runtime.counters('guest1'))?.['controlvmPolls'] ?? 0;
      const before = await polls();
      expect(await until(async () => (await polls()) > before)).toBe(true); // it was polling
      expect(await runtime.hang('guest1')).toEqual({ ok: true, value: 'hung' });
      const frozen = await polls();
      await pause(100);
      expect(runtime.isRunning('guest1')).toBe(true);
      expect(await polls()).toBe(frozen);
      const trace = await runtime.shutdown();
      expect(runtime.isRunning('guest1')).toBe(false);
      expect(trace.some((r) => r.partition === 'guest1' && r.event === 'controlvm.poll')).toBe(
        true,
      );
      expect(trace.filter((r) => r.actor === 'guest1/lifecycle').map((r) => r.event)).toEqual([
        'BOOT',
        'BOOTED',
        'HANG',
        'SHUTDOWN',
      ]);
    } finally {
      await runtime.shutdown();
    }
  });
});
