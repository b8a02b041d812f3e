// The hypervisor model both runtimes share (DESIGN "hypervisor/", "Faults the simulation can
// inject"): one partition-lifecycle actor per configured partition (systemId
// `<partition>/lifecycle`) on an injected clock, and a runtime-specific PartitionLauncher that
// performs what the lifecycle asks for: `hostStart` → start(name, bootCount), `hostStop` →
// stop(name, reason), `hostHang` → hang(name). The sim runtime's launcher constructs hosts in
// this thread, the worker runtime's spawns and terminates workers; the lifecycle is the same.
//
// Choices:
// - BOOTED: a host counts as booted once the launcher's start() returned (or its promise
//   resolved); the hypervisor then sends BOOTED itself. A start that finishes after the
//   partition already crashed or was rebooted reports nothing: BOOTED belongs to the boot whose
//   bootCount asked for the start.
// - Effects are performed outside XState's processing: the emit handler only queues them and
//   the hypervisor drains the queue after each request and after each clock timer it forwards
//   to an actor (the reboot delay). So a launcher never runs in the middle of a transition, may
//   lead to another event (BOOTED) without re-entering an actor, and a launcher that throws (a
//   bug) throws to the caller instead of into XState's unhandled-error path.
// - Sequencing async launchers: per partition, launcher calls run strictly in the order the
//   lifecycle asked for them; a call starts only after the previous call's promise settled, so
//   a stop can never overtake the start it follows. A launcher that returns void runs at once
//   when nothing is pending for its partition, so the sim runtime never creates a promise
//   (microtasks are not driven by the simulated clock). Different partitions do not wait for
//   each other. `settled()` waits until the queued calls are done and rethrows a launcher's
//   failure; a failed start leaves the partition `booting` (it may be crashed or shut down).
// - Illegal requests (crash of a partition that is off, a reboot with a bad down time, an
//   unknown name) return typed errors and leave the lifecycle untouched; they are not no-ops.
// - Trace: one record per lifecycle transition (partition, actor `<name>/lifecycle`, event,
//   resulting state, the lifecycle counters and a one-line text). Like requests, `state()` and
//   listeners, the trace names the leaf state (`running`, not the machine's `{ up: 'running' }`),
//   so scenario expectations read flat names. The initial `off` is not traced; the reboot delay's
//   event is XState's fixed-id `xstate.after.rebootDelay.rebooting`.

import { createActor, type Actor, type AnyEventObject, type SnapshotFrom } from 'xstate';
import { assert } from '../base/assert.js';
import { err, ok, type Result } from '../base/result.js';
import { type Clock, failRunOnError, type TraceRecord } from '../partition/environment.js';
import {
  lifecycleStateOf,
  partitionLifecycleMachine,
  type HostStopReason,
  type PartitionLifecycleContext,
  type PartitionLifecycleEmitted,
  type PartitionLifecycleEvent,
  type PartitionLifecycleState,
} from '../../machines/partition-lifecycle.machine.js';
import type { Config, PartitionKind } from './config.js';
import {
  badDownTime,
  illegalRequest,
  unknownPartition,
  type HypervisorError,
  type LifecycleRequest,
} from './hypervisor-errors.js';

/** What a launcher call returns: nothing when done at once, or a promise when it takes time. */
export type LaunchResult = void | Promise<void>;

/** The runtime's side of the hypervisor: what starting, stopping and hanging a host means. */
export interface PartitionLauncher {
  /** Starts a fresh host of `name` on its channel memory; `bootCount` counts from 1. */
  start(name: string, bootCount: number): LaunchResult;
  /** Stops the host of `name` (a crash is immediate; a reboot or shutdown may be orderly). */
  stop(name: string, reason: HostStopReason): LaunchResult;
  /** Stops the host of `name` making progress but keeps it: alive, polling nothing. */
  hang(name: string): LaunchResult;
}

/** What the hypervisor takes from the world: its clock and the run's trace. */
export interface HypervisorEnvironment {
  /** XState clock of every lifecycle actor (the reboot delays run on it). */
  readonly clock: Clock;
  /** Milliseconds since the run started, for trace records. */
  now(): number;
  /** Records one trace line. */
  trace(record: TraceRecord): void;
  /** A lifecycle actor failed: a bug inside spar-sim (Environment.fail). */
  fail(error: unknown, where: string): void;
}

/**
 * The order in which "boot everything" boots a configuration, in both runtimes: IO service
 * partitions first (on a real system they initialise their channels before guests use them),
 * then guests (so their pollers run before the first command), then the command partition,
 * which brings the guests up. Configuration order within a kind.
 */
export function bootOrder(config: Config): readonly string[] {
  const kinds: readonly PartitionKind[] = ['iosp', 'guest', 'command'];
  const ofKind = (kind: PartitionKind) => config.partitions.filter((p) => p.kind === kind);
  return kinds.flatMap((kind) => ofKind(kind).map((p) => p.name));
}

type LifecycleActor = Actor<typeof partitionLifecycleMachine>;
type LifecycleSnapshot = SnapshotFrom<typeof partitionLifecycleMachine>;

interface PendingEffect {
  readonly partition: string;
  readonly effect: PartitionLifecycleEmitted;
}

// Each effect causes at most one BOOTED and BOOTED emits nothing, so one drain handles at most
// a few effects per partition; the bound only catches a runaway loop.
const MAX_EFFECTS_PER_DRAIN = 10_000;
const MAX_SETTLE_ROUNDS = 10_000;

/**
 * The hypervisor: every partition's lifecycle, driving a runtime's {@link PartitionLauncher}.
 * A request returns the lifecycle state right after it: with a synchronous launcher the host
 * has already started or stopped (`boot` gives `running`); with an async one its launcher
 * calls are under way (`boot` gives `booting`) until {@link Hypervisor.settled} resolves.
 */
export class Hypervisor {
  private readonly actors = new Map<string, LifecycleActor>();
  private readonly pending: PendingEffect[] = [];
  private readonly notices: {
    readonly partition: string;
    readonly state: PartitionLifecycleState;
  }[] = [];
  private readonly listeners = new Set<
    (partition: string, state: PartitionLifecycleState) => void
  >();
  private draining = false;
  /** Per partition, the launcher calls still running (async launchers only). */
  private readonly tails = new Map<string, Promise<void>>();
  private readonly failures: { readonly partition: string; readonly error: unknown }[] = [];

  constructor(
    config: Config,
    private readonly launcher: PartitionLauncher,
    private readonly env: HypervisorEnvironment,
  ) {
    const clock = this.drainingClock(env.clock);
    for (const p of config.partitions) this.actors.set(p.name, this.createLifecycle(p.name, clock));
  }

  /**
   * Calls `listener` after every lifecycle transition (partition, new state), once the launcher
   * calls it led to have been started; the command partition's recovery listens here (§4.1).
   */
  onTransition(listener: (partition: string, state: PartitionLifecycleState) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * Resolves when the launcher calls queued so far for `name` are done (not the ones they lead
   * to later); never rejects. A stop that must be over before others learn of it waits here.
   */
  queued(name: string): Promise<void> {
    return this.tails.get(name) ?? Promise.resolve();
  }

  /** The configured partitions' names, in configuration order. */
  partitions(): readonly string[] {
    return [...this.actors.keys()];
  }

  /** Boots a partition that is off or shut down. */
  boot(name: string): Result<PartitionLifecycleState, HypervisorError> {
    return this.request(name, 'boot', { type: 'BOOT' });
  }

  /** Crashes a booting, running or hung partition: its host stops at once. */
  crash(name: string): Result<PartitionLifecycleState, HypervisorError> {
    return this.request(name, 'crash', { type: 'CRASH' });
  }

  /** Reboots a partition (not off, shut down or already rebooting) after `downMs` ms down. */
  reboot(name: string, downMs: number): Result<PartitionLifecycleState, HypervisorError> {
    if (!this.actors.has(name)) return err(unknownPartition(name, 'reboot'));
    if (!(Number.isSafeInteger(downMs) && downMs >= 0)) return err(badDownTime(name, downMs));
    return this.request(name, 'reboot', { type: 'REBOOT', downMs });
  }

  /** Hangs a booting or running partition: its host stays but makes no progress. */
  hang(name: string): Result<PartitionLifecycleState, HypervisorError> {
    return this.request(name, 'hang', { type: 'HANG' });
  }

  /** Shuts a partition down (orderly when it has a host); a shut-down partition may boot again. */
  shutdown(name: string): Result<PartitionLifecycleState, HypervisorError> {
    return this.request(name, 'shutdown', { type: 'SHUTDOWN' });
  }

  /** The partition's lifecycle state. */
  state(name: string): Result<PartitionLifecycleState, HypervisorError> {
    const actor = this.actors.get(name);
    if (actor === undefined) return err(unknownPartition(name, 'state'));
    return ok(lifecycleStateOf(actor.getSnapshot().value));
  }

  /** The partition's lifecycle counters (bootCount, crashCount, hangCount, rebootDownMs). */
  lifecycle(name: string): Result<PartitionLifecycleContext, HypervisorError> {
    const actor = this.actors.get(name);
    return actor === undefined
      ? err(unknownPartition(name, 'lifecycle'))
      : ok(actor.getSnapshot().context);
  }

  /**
   * Resolves once every launcher call queued so far for `name` (or for every partition) is
   * done, including the calls those lead to; rejects with the first launcher failure since the
   * last call. Only async launchers ever need it.
   */
  async settled(name?: string): Promise<void> {
    for (let round = 0; ; round++) {
      assert(round < MAX_SETTLE_ROUNDS, 'launcher calls keep queueing; a lifecycle loop?');
      const tails = name === undefined ? [...this.tails.values()] : [this.tails.get(name)];
      const running = tails.filter((t): t is Promise<void> => t !== undefined);
      if (running.length === 0) break;
      await Promise.all(running);
    }
    const index = this.failures.findIndex((f) => name === undefined || f.partition === name);
    if (index >= 0) throw this.failures.splice(index, 1)[0]?.error;
  }

  private request(
    name: string,
    request: LifecycleRequest,
    event: PartitionLifecycleEvent,
  ): Result<PartitionLifecycleState, HypervisorError> {
    const actor = this.actors.get(name);
    if (actor === undefined) return err(unknownPartition(name, request));
    const before = actor.getSnapshot();
    const from = lifecycleStateOf(before.value);
    if (!before.can(event)) return err(illegalRequest(name, request, from));
    actor.send(event);
    this.drain();
    const after = lifecycleStateOf(actor.getSnapshot().value);
    assert(after !== from, `${name}: an allowed ${request} changes the state`);
    return ok(after);
  }

  private createLifecycle(name: string, clock: Clock): LifecycleActor {
    const actor = createActor(partitionLifecycleMachine, {
      clock,
      systemId: `${name}/lifecycle`,
      inspect: (e) => {
        if (e.type === '@xstate.snapshot') this.traceTransition(name, e.event, e.snapshot);
      },
    });
    actor.on('*', (effect) => this.pending.push({ partition: name, effect }));
    failRunOnError(actor, this.env, `${name}/lifecycle`);
    return actor.start();
  }

  // Every timer the lifecycle actors set goes through here, so the effects a delayed
  // transition emits (rebooting → booting asks for hostStart) are performed right after it.
  private drainingClock(clock: Clock): Clock {
    return {
      setTimeout: (fn: (...args: unknown[]) => void, timeoutMs: number): unknown =>
        clock.setTimeout(() => {
          fn();
          this.drain();
        }, timeoutMs),
      clearTimeout: (id: unknown): void => clock.clearTimeout(id),
    };
  }

  private drain(): void {
    if (this.draining) return; // the outer loop performs what a nested request queued
    this.draining = true;
    try {
      for (let n = 0; this.pending.length > 0 || this.notices.length > 0; n++) {
        assert(n < MAX_EFFECTS_PER_DRAIN, 'lifecycle effects keep coming; a launcher loop?');
        const effect = this.pending.shift();
        if (effect !== undefined) {
          this.perform(effect);
          continue;
        }
        const notice = this.notices.shift() as (typeof this.notices)[number];
        for (const listener of this.listeners) listener(notice.partition, notice.state);
      }
    } finally {
      this.draining = false;
    }
  }

  private perform({ partition, effect }: PendingEffect): void {
    switch (effect.type) {
      case 'hostStart':
        this.sequence(
          partition,
          () => this.launcher.start(partition, effect.bootCount),
          () => this.reportBooted(partition, effect.bootCount),
        );
        return;
      case 'hostStop':
        this.sequence(partition, () => this.launcher.stop(partition, effect.reason));
        return;
      case 'hostHang':
        this.sequence(partition, () => this.launcher.hang(partition));
        return;
    }
  }

  // Runs `call` now when nothing is pending for `name` and it is synchronous; otherwise after
  // the partition's previous calls. `then` follows a successful call.
  private sequence(name: string, call: () => LaunchResult, then: () => void = () => {}): void {
    const tail = this.tails.get(name);
    if (tail !== undefined) {
      this.setTail(name, tail.then(call).then(then));
      return;
    }
    const result = call();
    if (result instanceof Promise) this.setTail(name, result.then(then));
    else then();
  }

  private setTail(name: string, work: Promise<void>): void {
    const tail = work.catch((error: unknown) => {
      this.failures.push({ partition: name, error });
    });
    this.tails.set(name, tail);
    void tail.then(() => {
      if (this.tails.get(name) === tail) this.tails.delete(name);
    });
  }

  private reportBooted(name: string, bootCount: number): void {
    const actor = this.actors.get(name);
    assert(actor !== undefined, `${name}: a started partition has a lifecycle`);
    const snapshot = actor.getSnapshot();
    const booting = lifecycleStateOf(snapshot.value) === 'booting';
    if (!booting || snapshot.context.bootCount !== bootCount) return;
    actor.send({ type: 'BOOTED' });
    this.drain();
  }

  private traceTransition(name: string, event: AnyEventObject, snapshot: unknown): void {
    if (event.type === 'xstate.init') return;
    const { value, context } = snapshot as LifecycleSnapshot;
    const state = lifecycleStateOf(value);
    this.notices.push({ partition: name, state });
    this.env.trace({
      atMs: this.env.now(),
      partition: name,
      actor: `${name}/lifecycle`,
      event: event.type,
      state: JSON.stringify(state),
      detail: { text: lifecycleText(state, context), ...context },
    });
  }
}

// The one-line summary a timeline prints (the CLI shows `detail.text` of every record).
function lifecycleText(state: PartitionLifecycleState, context: PartitionLifecycleContext): string {
  const { bootCount, crashCount, hangCount, rebootDownMs } = context;
  const down = state === 'rebooting' ? `, down ${rebootDownMs} ms` : '';
  return `${state}: boots ${bootCount}, crashes ${crashCount}, hangs ${hangCount}${down}`;
}
