import { describe, expect, test } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { TraceRecord } from '../partition/environment.js';
import type { HostStopReason } from '../../machines/partition-lifecycle.machine.js';
import { Hypervisor, type LaunchResult, type PartitionLauncher } from './hypervisor.js';
import { ioGuestConfig, minimalGuestConfig } from './presets.js';

/** A launcher that records its calls, in order, and finishes each at once. */
class RecordingLauncher implements PartitionLauncher {
  readonly calls: string[] = [];
  start(name: string, bootCount: number): void {
    this.calls.push(`start ${name} #${bootCount}`);
  }
  stop(name: string, reason: HostStopReason): void {
    this.calls.push(`stop ${name} ${reason}`);
  }
  hang(name: string): void {
    this.calls.push(`hang ${name}`);
  }
}

/** A launcher whose calls finish only when the test says so. */
class DeferredLauncher implements PartitionLauncher {
  readonly log: string[] = [];
  private readonly waiting: {
    readonly call: string;
    readonly done: () => void;
    readonly fail: (e: Error) => void;
  }[] = [];
  start(name: string, bootCount: number): LaunchResult {
    return this.enter(`start ${name} #${bootCount}`);
  }
  stop(name: string, reason: HostStopReason): LaunchResult {
    return this.enter(`stop ${name} ${reason}`);
  }
  hang(name: string): LaunchResult {
    return this.enter(`hang ${name}`);
  }
  /** Calls that started and have not finished. */
  inFlight(): string[] {
    return this.waiting.map((w) => w.call);
  }
  finish(): void {
    const next = this.waiting.shift();
    if (next === undefined) throw new Error('no launcher call in flight');
    this.log.push(`end ${next.call}`);
    next.done();
  }
  fail(): void {
    this.waiting.shift()?.fail(new Error('worker failed to start'));
  }
  private enter(call: string): Promise<void> {
    this.log.push(`begin ${call}`);
    return new Promise<void>((done, fail) => this.waiting.push({ call, done, fail }));
  }
}

function hypervisor<L extends PartitionLauncher>(launcher: L, config = minimalGuestConfig()) {
  const clock = new SimulatedClock();
  const trace: TraceRecord[] = [];
  const hv = new Hypervisor(config, launcher, {
    clock,
    now: () => clock.now(),
    trace: (r) => trace.push(r),
    fail: (error) => {
      // No lifecycle actor may fail in these tests: make it the test's failure.
      throw error;
    },
  });
  return { hv, clock, trace, launcher };
}

/** Lets every settled promise continuation run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('hypervisor', () => {
  test('smoke: booting a partition starts its host once and it runs when start() returns', () => {
    const { hv, launcher } = hypervisor(new RecordingLauncher());
    expect(hv.state('guest1')).toEqual({ ok: true, value: 'off' });
    expect(hv.boot('guest1')).toEqual({ ok: true, value: 'running' });
    expect(launcher.calls).toEqual(['start guest1 #1']);
    expect(hv.state('cp')).toEqual({ ok: true, value: 'off' });
  });

  test('crash, reboot after the down time, hang and shutdown make exactly these launcher calls', () => {
    const { hv, clock, launcher } = hypervisor(new RecordingLauncher());
    hv.boot('guest1');
    expect(hv.crash('guest1')).toEqual({ ok: true, value: 'crashed' });
    expect(hv.reboot('guest1', 50)).toEqual({ ok: true, value: 'rebooting' });
    clock.increment(49);
    expect(launcher.calls).toEqual(['start guest1 #1', 'stop guest1 crash']);
    clock.increment(1);
    expect(hv.state('guest1')).toEqual({ ok: true, value: 'running' });
    expect(hv.hang('guest1')).toEqual({ ok: true, value: 'hung' });
    expect(hv.reboot('guest1', 0)).toEqual({ ok: true, value: 'rebooting' });
    clock.increment(0);
    expect(hv.shutdown('guest1')).toEqual({ ok: true, value: 'shutDown' });
    expect(hv.boot('guest1')).toEqual({ ok: true, value: 'running' });
    expect(launcher.calls).toEqual([
      'start guest1 #1',
      'stop guest1 crash', // a crashed host is not stopped again by the reboot
      'start guest1 #2',
      'hang guest1', // the hung host is kept...
      'stop guest1 reboot', // ...until the reboot stops it
      'start guest1 #3',
      'stop guest1 shutdown',
      'start guest1 #4',
    ]);
    expect(hv.lifecycle('guest1')).toEqual({
      ok: true,
      value: { bootCount: 4, crashCount: 1, hangCount: 1, rebootDownMs: 0 },
    });
  });

  test('every lifecycle transition is traced with partition, actor, event, resulting state and time', () => {
    const { hv, clock, trace } = hypervisor(new RecordingLauncher());
    hv.boot('guest1');
    clock.increment(3);
    hv.crash('guest1');
    hv.reboot('guest1', 50);
    clock.increment(50);
    expect(trace.map((r) => `${r.atMs} ${r.partition} ${r.actor} ${r.event} ${r.state}`)).toEqual([
      '0 guest1 guest1/lifecycle BOOT "booting"',
      '0 guest1 guest1/lifecycle BOOTED "running"',
      '3 guest1 guest1/lifecycle CRASH "crashed"',
      '3 guest1 guest1/lifecycle REBOOT "rebooting"',
      '53 guest1 guest1/lifecycle xstate.after.rebootDelay.rebooting "booting"',
      '53 guest1 guest1/lifecycle BOOTED "running"',
    ]);
    expect(trace[3]?.detail).toEqual({
      text: 'rebooting: boots 1, crashes 1, hangs 0, down 50 ms',
      bootCount: 1,
      crashCount: 1,
      hangCount: 0,
      rebootDownMs: 50,
    });
    expect(trace.at(-1)?.detail).toMatchObject({ bootCount: 2, crashCount: 1 });
  });

  test('unknown partitions, illegal requests and bad down times are typed errors and change nothing', () => {
    const { hv, launcher, trace } = hypervisor(new RecordingLauncher());
    for (const result of [
      hv.boot('nope'),
      hv.crash('nope'),
      hv.reboot('nope', 5),
      hv.hang('nope'),
      hv.shutdown('nope'),
      hv.state('nope'),
    ]) {
      expect(result).toMatchObject({
        ok: false,
        error: { code: 'unknown-partition', partition: 'nope' },
      });
    }
    expect(hv.lifecycle('nope')).toMatchObject({ ok: false, error: { request: 'lifecycle' } });
    expect(hv.crash('guest1')).toMatchObject({
      ok: false,
      error: { code: 'illegal-request', request: 'crash', state: 'off' },
    });
    expect(hv.reboot('guest1', 5)).toMatchObject({ ok: false, error: { code: 'illegal-request' } });
    hv.boot('guest1');
    expect(hv.boot('guest1')).toMatchObject({
      ok: false,
      error: { code: 'illegal-request', state: 'running' },
    });
    for (const downMs of [-1, 1.5, Number.NaN]) {
      expect(hv.reboot('guest1', downMs)).toMatchObject({
        ok: false,
        error: { code: 'bad-down-time' },
      });
    }
    const failed = hv.crash('cp');
    expect(failed.ok ? '' : failed.error.message).toBe(
      'illegal-request: cannot crash "cp" while it is off',
    );
    expect(launcher.calls).toEqual(['start guest1 #1']);
    expect(trace.map((r) => r.event)).toEqual(['BOOT', 'BOOTED']);
  });

  test('every configured partition has a lifecycle, IO service partitions included', () => {
    const { hv, launcher } = hypervisor(new RecordingLauncher(), ioGuestConfig());
    expect(hv.partitions()).toEqual(['cp', 'iosp0', 'guest1']);
    expect(hv.boot('iosp0')).toEqual({ ok: true, value: 'running' });
    expect(launcher.calls).toEqual(['start iosp0 #1']);
  });

  test('async launcher: a crash during a slow start is performed after it, and the stale start reports no BOOTED', async () => {
    const { hv, launcher } = hypervisor(new DeferredLauncher());
    expect(hv.boot('guest1')).toEqual({ ok: true, value: 'booting' });
    expect(hv.crash('guest1')).toEqual({ ok: true, value: 'crashed' });
    await flush();
    expect(launcher.inFlight()).toEqual(['start guest1 #1']); // the stop waits for the start
    launcher.finish();
    await flush();
    expect(launcher.inFlight()).toEqual(['stop guest1 crash']);
    launcher.finish();
    await hv.settled('guest1');
    expect(launcher.log).toEqual([
      'begin start guest1 #1',
      'end start guest1 #1',
      'begin stop guest1 crash',
      'end stop guest1 crash',
    ]);
    expect(hv.state('guest1')).toEqual({ ok: true, value: 'crashed' });
  });

  test('async launcher: BOOTED arrives when start resolves; partitions do not wait for each other', async () => {
    const { hv, launcher } = hypervisor(new DeferredLauncher());
    hv.boot('guest1');
    hv.boot('cp');
    expect(launcher.inFlight()).toEqual(['start guest1 #1', 'start cp #1']);
    launcher.finish();
    await hv.settled('guest1');
    expect(hv.state('guest1')).toEqual({ ok: true, value: 'running' });
    expect(hv.state('cp')).toEqual({ ok: true, value: 'booting' });
    launcher.finish();
    await hv.settled();
    expect(hv.state('cp')).toEqual({ ok: true, value: 'running' });
  });

  test('async launcher: a failed start rejects settled() and leaves the partition booting, from where it can be shut down', async () => {
    const { hv, launcher } = hypervisor(new DeferredLauncher());
    hv.boot('guest1');
    launcher.fail();
    await expect(hv.settled('guest1')).rejects.toThrow('worker failed to start');
    await hv.settled('guest1'); // the failure was reported once
    expect(hv.state('guest1')).toEqual({ ok: true, value: 'booting' });
    expect(hv.shutdown('guest1')).toEqual({ ok: true, value: 'shutDown' });
    launcher.finish();
    await hv.settled();
    expect(launcher.log.at(-1)).toBe('end stop guest1 shutdown');
  });
});
