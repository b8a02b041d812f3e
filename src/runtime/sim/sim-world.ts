// One deterministic run (DESIGN "Time, polling and the two runtimes"; STYLE §5): the shared
// state every partition of the run sees through its SimEnvironment. It owns the scheduler, the
// root random stream, the trace and the doorbell listeners, so a run is a pure function of
// (configuration, seed): nothing here reads the wall clock or a global random source.

import { assert } from '../../base/assert.js';
import { Prng } from '../../base/prng.js';
import type { TraceRecord } from '../../partition/environment.js';
import { RingListeners } from './ring-listeners.js';
import { SimScheduler } from './scheduler.js';
import {
  HYPERVISOR_ENVIRONMENT,
  PARTITION_NAME,
  SimEnvironment,
  type SimWorldPorts,
} from './sim-environment.js';
import { traceHash } from './trace-hash.js';

/** Default cap on trace records per run (STYLE §11: every queue bounded). */
export const DEFAULT_TRACE_LIMIT = 1_000_000;

// Substream of the scheduler's tie-breakers. The '#' cannot start a partition name, so no
// partition's `prng(label)` can ever draw from this stream.
const TIE_STREAM = '#scheduler/ties';

/** Options of a {@link SimWorld}. */
export interface SimWorldOptions {
  /** The run's root seed (a safe integer); every random stream of the run derives from it. */
  readonly seed: number;
  /** Shuffle same-instant events by seeded tie-breakers (default true); false gives FIFO. */
  readonly shuffleTies?: boolean;
  /** Most trace records the run may write (default {@link DEFAULT_TRACE_LIMIT}). */
  readonly traceLimit?: number;
}

/** The shared world of one simulated run; hands out one {@link SimEnvironment} per partition. */
export class SimWorld {
  /** The run's scheduler: drive the run with `step`, `runUntil` or `runUntilQuiet`. */
  readonly scheduler: SimScheduler;
  /** The run's root random stream (`Prng.root(seed)`). */
  readonly prng: Prng;
  /** The run's doorbell listeners, shared by every partition. */
  readonly ringListeners = new RingListeners();
  private readonly records: TraceRecord[] = [];
  private readonly listeners = new Set<(record: TraceRecord) => void>();
  private readonly traceLimit: number;
  private readonly environments = new Map<string, SimEnvironment>();
  private readonly ports: SimWorldPorts;

  constructor(options: SimWorldOptions) {
    this.traceLimit = options.traceLimit ?? DEFAULT_TRACE_LIMIT;
    assert(Number.isSafeInteger(this.traceLimit) && this.traceLimit > 0, 'bad trace limit');
    this.prng = Prng.root(options.seed);
    this.scheduler = new SimScheduler({
      prng: this.prng.derive(TIE_STREAM),
      shuffleTies: options.shuffleTies ?? true,
    });
    this.ports = {
      scheduler: this.scheduler,
      rootPrng: this.prng,
      ringListeners: this.ringListeners,
      appendTrace: (record) => this.append(record),
    };
  }

  /** The trace so far, in the order records were written. */
  get trace(): readonly TraceRecord[] {
    return this.records;
  }

  /** The environment of `partition`; asking twice gives the same object. */
  environment(partition: string): SimEnvironment {
    assert(PARTITION_NAME.test(partition), `bad partition name '${partition}'`);
    return this.environmentOf(partition);
  }

  /**
   * The hypervisor's environment, labelled {@link HYPERVISOR_ENVIRONMENT}, which no partition
   * name can equal. Its clock runs the lifecycle actors' reboot delays.
   */
  hypervisorEnvironment(): SimEnvironment {
    return this.environmentOf(HYPERVISOR_ENVIRONMENT);
  }

  private environmentOf(partition: string): SimEnvironment {
    let env = this.environments.get(partition);
    if (env === undefined) {
      env = new SimEnvironment(partition, this.ports);
      this.environments.set(partition, env);
    }
    assert(env.partition === partition, 'an environment serves the partition it was made for');
    return env;
  }

  /** {@link traceHash} of the trace so far. */
  traceHash(): string {
    return traceHash(this.records);
  }

  /**
   * Calls `listener` with every record appended from now on (a scenario's fault conditions
   * watch the trace). A listener must not act on the run directly: it runs in the middle of a
   * host's effect; schedule the action instead.
   */
  onRecord(listener: (record: TraceRecord) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private append(record: TraceRecord): void {
    assert(
      this.records.length < this.traceLimit,
      `trace limit of ${this.traceLimit} records reached; raise traceLimit or shorten the run`,
    );
    this.records.push(record);
    for (const listener of this.listeners) listener(record);
  }
}
