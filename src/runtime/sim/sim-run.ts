// One run of a configuration in the deterministic runtime (DESIGN "runtime/sim", "Faults the
// simulation can inject"): the hypervisor's channels, one SimWorld, and the Hypervisor — the
// same lifecycle model the worker runtime uses — driving a SimLauncher that builds partition
// hosts in this thread. Boot, crash, reboot, hang and shutdown go through `hypervisor`; faults
// at a virtual instant are scheduled with `at`. A run is a pure function of (configuration,
// seed, the requests made and when): nothing here reads the wall clock or a global random source.

import { assert } from '../../base/assert.js';
import type { InternalFailure } from '../../base/failure.js';
import type { Prng } from '../../base/prng.js';
import type { ChannelSide, Doorbell } from '../../channel/index.js';
import { err, ok, type Result } from '../../base/result.js';
import {
  bootOrder,
  type ChannelMap,
  type Config,
  Hypervisor,
  type HypervisorError,
} from '../../hypervisor/index.js';
import type { RunHardware } from '../../kinds/index.js';
import {
  type CommandHostOptions,
  defaultCommandHostOptions,
  type HypervisorRequest,
} from '../../partition/command-host.js';
import type { TimerHandle, TraceRecord } from '../../partition/environment.js';
import type { HostCounters } from '../../partition/partition-host.js';
import { allocateRun, reportIospTransitions, type RunParts } from '../run-parts.js';
import type { RunSummary } from './scheduler.js';
import { deliverRing, HYPERVISOR_ENVIRONMENT } from './sim-environment.js';
import { SimLauncher, type SimHost } from './sim-launcher.js';
import { SimWorld, type SimWorldOptions } from './sim-world.js';

/** Default bound on the callbacks one `runUntil` may run (a runaway loop stops, not hangs). */
export const DEFAULT_EVENT_BUDGET = 2_000_000;

/** Options of a {@link SimRun}. */
export interface SimRunOptions extends Omit<SimWorldOptions, 'seed'> {
  /** The command partition's timing (default: `defaultCommandHostOptions(config.jiffyMs)`). */
  readonly commandHost?: CommandHostOptions;
}

/** A configuration running on virtual time, with its hypervisor. */
export class SimRun {
  /** The run's scheduler, random streams, trace and doorbells. */
  readonly world: SimWorld;
  /** The run's channels, hardware and heartbeats: hosts come and go, this memory stays. */
  readonly parts: RunParts;
  /** Boot, crash, reboot, hang and shut down partitions; their lifecycle states. */
  readonly hypervisor: Hypervisor;
  private readonly launcher: SimLauncher;

  constructor(
    readonly config: Config,
    readonly seed: number,
    options: SimRunOptions = {},
  ) {
    const { commandHost, ...worldOptions } = options;
    this.world = new SimWorld({ ...worldOptions, seed });
    this.parts = allocateRun(config);
    const timing = commandHost ?? defaultCommandHostOptions(config.jiffyMs);
    // The CP's requests (a hung IOSP's reboot) run as their own event, never inside the CP's.
    const onRequest = (r: HypervisorRequest): void => {
      this.at(this.now(), `cp-request/${r.iosp}`, () => this.hypervisor.reboot(r.iosp, r.downMs));
    };
    this.launcher = new SimLauncher(this.parts, this.world, timing, onRequest);
    const clockEnv = this.world.hypervisorEnvironment();
    this.hypervisor = new Hypervisor(config, this.launcher, {
      clock: clockEnv.clock,
      now: () => clockEnv.now(),
      // Each lifecycle record is written in its partition's name, through its environment.
      trace: (record) => this.world.environment(record.partition).trace(record),
      fail: (error, where) => clockEnv.fail(error, where),
    });
    // IOSP up/down reports reach the command partition's host at once, as in workers its worker
    // (a hung one's stopped actors ignore them).
    reportIospTransitions(this.parts, this.hypervisor, (cp, notice) => {
      this.host(cp)?.notify(notice);
    });
  }

  /** Every channel of the run. */
  get channels(): ChannelMap {
    return this.parts.channels;
  }

  /**
   * What the fault plan's channel faults act through (run/channel-faults.ts): the channels, a
   * spurious ring delivered to the bell's listeners as a partition's ring is, the run's
   * scheduler and its seeded streams (under '#faults/', which no partition's label can be).
   */
  channelFaultPorts() {
    const { world } = this;
    return {
      channels: this.parts.channels,
      ring: (bell: Doorbell, side: ChannelSide): void =>
        deliverRing(world, bell, side, `${HYPERVISOR_ENVIRONMENT}/ring-${side}`),
      after: (delayMs: number, label: string, run: () => void): void =>
        void this.at(this.now() + delayMs, label, run),
      prng: (label: string): Prng => world.prng.derive(`#faults/${label}`),
    };
  }

  /** The run's hardware by device kind (disks, NIC links), outliving every partition. */
  get hardware(): RunHardware {
    return this.parts.hardware;
  }

  /** The current host of `name` (a hung one included); undefined when it has none. */
  host(name: string): SimHost | undefined {
    return this.launcher.host(name);
  }

  /** Boots every partition, in {@link bootOrder} (IOSPs, guests, the CP); returns every refusal. */
  bootAll(): Result<void, HypervisorError[]> {
    const errors = bootOrder(this.config)
      .map((name) => this.hypervisor.boot(name))
      .flatMap((r) => (r.ok ? [] : [r.error]));
    return errors.length === 0 ? ok(undefined) : err(errors);
  }

  /** Runs until virtual time `timeMs` (not before now), at most `eventBudget` callbacks. */
  runUntil(timeMs: number, eventBudget = DEFAULT_EVENT_BUDGET): RunSummary {
    return this.world.scheduler.runUntil(timeMs, eventBudget);
  }

  /**
   * Runs `action` (a fault: `() => run.hypervisor.crash('guest1')`) at virtual time `timeMs`.
   * It takes part in the seeded shuffle of same-instant events like any other event.
   */
  at(timeMs: number, label: string, action: () => void): TimerHandle {
    return this.world.scheduler.at(timeMs, `${HYPERVISOR_ENVIRONMENT}/${label}`, action);
  }

  /** The bug inside spar-sim that stopped the run, if one did (SimScheduler.fail). */
  get failure(): InternalFailure | undefined {
    return this.world.scheduler.failure;
  }

  /** Virtual milliseconds since the run started. */
  now(): number {
    return this.world.scheduler.now();
  }

  /**
   * States by systemId: the partition's lifecycle (`guest1/lifecycle`) and, while it has a
   * host, every actor of the host. Undefined for a name the configuration does not have.
   */
  snapshot(name: string): Record<string, unknown> | undefined {
    const state = this.hypervisor.state(name);
    if (!state.ok) return undefined;
    return { [`${name}/lifecycle`]: state.value, ...this.host(name)?.snapshot() };
  }

  /** The current host's counters (they restart with each boot); undefined without a host. */
  counters(name: string): HostCounters | undefined {
    return this.host(name)?.counters();
  }

  /** The run's trace so far. */
  get trace(): readonly TraceRecord[] {
    return this.world.trace;
  }

  /** SHA-256 of the trace so far: equal for equal (configuration, seed, requests). */
  traceHash(): string {
    const hash = this.world.traceHash();
    assert(hash.length === 64, 'a trace hash is 64 hex digits');
    return hash;
  }
}
