// The worker runtime (DESIGN "runtime/workers"): the hypervisor in this thread allocates every
// channel and keeps each partition's lifecycle — the same Hypervisor model the sim runtime
// uses — and a WorkerLauncher gives each partition host its own worker thread holding only its
// own channels; comlink carries the control plane only. Crash = terminate the worker; reboot =
// a fresh worker on the same channel memory (the memory, like the hardware, outlives the
// partition).
//
// The lifecycle actors run on the real clock (reboot delays are real milliseconds) from a
// WorkerEnvironment of this thread, labelled `#hypervisor`: a label no partition is named
// (sim runtime's PARTITION_NAME), and only its clock, time and trace sink are used.

import type { InternalFailure } from '../../base/failure.js';
import type { ChannelSide, Doorbell } from '../../channel/index.js';
import { Prng } from '../../base/prng.js';
import { ok, type Result } from '../../base/result.js';
import {
  type ChannelMap,
  type Config,
  Hypervisor,
  type HypervisorError,
  type PartitionLifecycleState,
} from '../../hypervisor/index.js';
import type { RunHardware } from '../../kinds/index.js';
import type { TraceRecord } from '../../partition/environment.js';
import type { HostCounters } from '../../partition/partition-host.js';
import { allocateRun, reportIospTransitions, type RunParts } from '../run-parts.js';
import type { WorkerDrain } from './partition.worker.js';
import { WorkerEnvironment } from './worker-environment.js';
import { type PartitionControl, WorkerLauncher } from './worker-launcher.js';

export type { PartitionControl } from './worker-launcher.js';

/** How often the command partition's requests to the hypervisor are fetched. */
const REQUEST_POLL_MS = 50;

/** Label of the main thread's own environment (the hypervisor's clock and trace). */
const HYPERVISOR_LABEL = '#hypervisor';

type LifecycleResult = Result<PartitionLifecycleState, HypervisorError>;

/** One run of a configuration in worker threads. */
export class WorkerRuntime {
  /** The run's channels, hardware and heartbeats (shared memory the workers attach to). */
  readonly parts: RunParts;
  /** Every partition's lifecycle; requests through it are performed asynchronously. */
  readonly hypervisor: Hypervisor;
  private readonly launcher: WorkerLauncher;
  private readonly env: WorkerEnvironment;
  private readonly epochMs = performance.timeOrigin + performance.now();
  /** Lifecycle records, and trace records drained from workers stopped in an orderly way. */
  private readonly collected: TraceRecord[] = [];
  /** How many of `collected` {@link collectTraces} has returned. */
  private seen = 0;
  /** The chain of IOSP reports to the command partition (keeps their order). */
  private notices: Promise<void> = Promise.resolve();
  private readonly requestPoll: ReturnType<typeof setInterval>;
  /** The first failure a worker reported with its trace. */
  private workerFailure: InternalFailure | null = null;

  constructor(
    readonly config: Config,
    readonly seed: number,
  ) {
    this.parts = allocateRun(config);
    const collect = ({ records, failure }: WorkerDrain): void => {
      this.collected.push(...records);
      this.workerFailure ??= failure;
    };
    const { epochMs } = this;
    const env = new WorkerEnvironment(HYPERVISOR_LABEL, Prng.root(seed), epochMs, (r) =>
      collect({ records: [r], failure: null }),
    );
    this.env = env;
    const fail = (error: unknown, where: string) => env.fail(error, where);
    this.launcher = new WorkerLauncher({ parts: this.parts, seed, epochMs, collect, fail });
    this.hypervisor = new Hypervisor(config, this.launcher, {
      clock: env.clock,
      now: () => env.now(),
      trace: (record) => env.trace(record),
      fail,
    });
    // IOSP up/down reports to the command partition's recovery, in order, each only once the
    // launcher work of its transition is done: the CP must not pause a guest's device while the
    // old IOSP worker could still be serving (and reading the guest's DMA buffers).
    reportIospTransitions(this.parts, this.hypervisor, (cp, notice, iosp) => {
      const stopped = this.hypervisor.queued(iosp);
      this.notices = this.notices
        .then(() => stopped)
        .then(async () => this.control(cp)?.notify(notice))
        .catch(() => undefined);
    });
    const cp = config.partitions.find((p) => p.kind === 'command')?.name;
    // The command partition's requests to the hypervisor (its watchdog's reboots), fetched
    // through the control plane every REQUEST_POLL_MS while it runs.
    this.requestPoll = setInterval(() => {
      const state = cp === undefined ? undefined : this.hypervisor.state(cp);
      if (cp === undefined || !state?.ok || state.value !== 'running') return;
      void this.control(cp)
        ?.takeRequests()
        .then((requests) => {
          for (const r of requests) this.hypervisor.reboot(r.iosp, r.downMs);
        })
        .catch(() => undefined);
    }, REQUEST_POLL_MS);
    this.requestPoll.unref();
  }

  /** Every channel of the run. */
  get channels(): ChannelMap {
    return this.parts.channels;
  }

  /**
   * What the fault plan's channel faults act through (run/channel-faults.ts): the channels, a
   * ring from this thread (Atomics.notify wakes the partition's waiting listener), this thread's
   * timers and the run's seeded streams.
   */
  channelFaultPorts() {
    const { env } = this;
    return {
      channels: this.parts.channels,
      ring: (bell: Doorbell, side: ChannelSide): void => void bell.ring(side),
      after: (delayMs: number, label: string, run: () => void): void =>
        void env.schedule(delayMs, label, run),
      prng: (label: string): Prng => env.prng(label),
    };
  }

  /** The run's hardware by device kind (disks, NIC links), outliving every worker. */
  get hardware(): RunHardware {
    return this.parts.hardware;
  }

  /** Boots `name` in a fresh worker; resolves once its host started (state `running`). */
  async boot(name: string): Promise<LifecycleResult> {
    return this.settle(name, this.hypervisor.boot(name));
  }

  /** Crashes `name`: resolves once its worker is terminated (un-drained trace is lost). */
  async crash(name: string): Promise<LifecycleResult> {
    return this.settle(name, this.hypervisor.crash(name));
  }

  /**
   * Reboots `name`: resolves once its old worker is gone (state `rebooting`); a fresh worker
   * starts `downMs` real milliseconds later, on the same channel memory.
   */
  async reboot(name: string, downMs: number): Promise<LifecycleResult> {
    return this.settle(name, this.hypervisor.reboot(name, downMs));
  }

  /** Hangs `name`: resolves once its host stopped; the worker stays alive and answers. */
  async hang(name: string): Promise<LifecycleResult> {
    return this.settle(name, this.hypervisor.hang(name));
  }

  /** The control plane of `name`'s live worker, or undefined when it has none. */
  control(name: string): PartitionControl | undefined {
    return this.launcher.control(name);
  }

  /** True while `name` has a live worker (a hung one included). */
  isRunning(name: string): boolean {
    return this.launcher.isRunning(name);
  }

  /** The counters of `name`'s host (they restart with each boot); undefined without a worker. */
  async counters(name: string): Promise<HostCounters | undefined> {
    return this.control(name)?.counters();
  }

  /**
   * Collects the trace written so far by every live worker, and returns every record collected
   * since the previous call (lifecycle records included), by time. A run's fault conditions
   * watch these; what is collected here also survives a later crash.
   */
  async collectTraces(): Promise<readonly TraceRecord[]> {
    for (const name of this.hypervisor.partitions()) {
      // A booting worker is still loading; a call to it would wait until it has.
      const state = this.hypervisor.state(name);
      const live = state.ok && (state.value === 'running' || state.value === 'hung');
      const control = live ? this.control(name) : undefined;
      if (control === undefined) continue;
      const { records, failure } = await control.drain();
      this.collected.push(...records);
      this.workerFailure ??= failure;
    }
    const fresh = this.collected.slice(this.seen);
    this.seen = this.collected.length;
    return fresh.sort((a, b) => a.atMs - b.atMs);
  }

  /**
   * Orderly stop of every partition (pending reboots are cancelled), their traces collected
   * first; returns the run's trace by time. Calling it again returns the same trace.
   */
  async shutdown(): Promise<readonly TraceRecord[]> {
    clearInterval(this.requestPoll);
    // Refused (and nothing to stop) for partitions that are off or already shut down.
    for (const name of this.hypervisor.partitions()) this.hypervisor.shutdown(name);
    await this.hypervisor.settled();
    return [...this.collected].sort((a, b) => a.atMs - b.atMs);
  }

  /**
   * The first bug inside spar-sim the run hit, if any: in this thread (a lifecycle actor, a
   * worker that died of an uncaught error) or in a worker, as of the last {@link collectTraces}.
   */
  failure(): InternalFailure | null {
    return this.env.failure() ?? this.workerFailure;
  }

  /** Milliseconds since the run started. */
  elapsedMs(): number {
    return this.env.now();
  }

  private async settle(name: string, result: LifecycleResult): Promise<LifecycleResult> {
    if (!result.ok) return result;
    await this.hypervisor.settled(name);
    const state = this.hypervisor.state(name);
    return state.ok ? ok(state.value) : state;
  }
}
