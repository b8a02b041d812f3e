// The partition host of the command partition (DESIGN "The system being simulated"): it owns the
// command-partition machine and one controlvm port per guest, encodes the commands the machine
// sends onto queue 2, and decodes each guest's acks (queue 3) and responses (queue 0) back into
// events. A full queue 2 keeps the command in a per-guest outbox, flushed on the next poll: the
// command is sent once, late, never dropped or duplicated.
// A host of a later boot (`bootCount` > 1) is the CP's restart: its machine numbers handles by the
// incarnation and reconciles the bring-up, and its recovery reconciles every device with the
// IOSP states the hypervisor tells it (command-partition.reconcile.ts, iosp-recovery.machine.ts).
// The quirk cp-restart-from-scratch takes every boot for the first, as the CP did before.

import { type Actor, createActor } from 'xstate';
import { assert } from '../base/assert.js';
import { Channel, CONTROLVM_CHANNEL } from '../channel/index.js';
import { type CpNotice, doorbellOf } from '../hypervisor/index.js';
import { encodeControlvmRequest } from '../protocol/controlvm-request.js';
import { CONTROLVM_FLAG, CONTROLVM_ID } from '../protocol/controlvm.js';
import { commandPartitionMachine } from '../../machines/command-partition.machine.js';
import type { GuestPlan } from '../../machines/command-partition.logic.js';
import { iospRecoveryMachine } from '../../machines/iosp-recovery.machine.js';
import { readHeartbeat } from '../hypervisor/heartbeats.js';
import { QUIRKS } from '../kinds/index.js';
import { moduleQuirks } from '../quirks.js';
import { ControlvmCpPort } from './controlvm-cp-port.js';
import type { BindingOf, EffectOf } from './binding.js';
import { bindTraced } from './effect-detail.js';
import { IOSP_RECOVERY_TRACED } from './traced-effects.js';
import { type Environment, failRunOnError, type TimerHandle } from './environment.js';
import type { HostContext, HostCounters, HostView, PartitionHost } from './partition-host.js';

/** Timing of the command partition. */
export interface CommandHostOptions {
  /** Milliseconds from sending a command until its ack must have arrived. */
  readonly ackTimeoutMs: number;
  /** Milliseconds from sending a command until its response must have arrived. */
  readonly responseTimeoutMs: number;
  /** Period of the CP's own poll of its controlvm ends while commands are in flight. */
  readonly pollMs: number;
  /** Period of that poll while nothing is in flight (doorbells wake it earlier either way). */
  readonly idlePollMs?: number;
}

/**
 * The command partition's timing in both runtimes. Choice: generous timeouts (a guest answers
 * within a few jiffies) and the CP's own poll every 10 jiffies while it has sent commands or
 * collected replies since the last poll (or holds commands in an outbox), every 100 jiffies when
 * idle; doorbells wake it earlier. Every guest rings when it writes an ack or a response, so an
 * idle poll can only find empty queues (DESIGN "Time, polling": such polls may be skipped).
 */
export function defaultCommandHostOptions(jiffyMs: number): CommandHostOptions {
  return {
    ackTimeoutMs: 5_000,
    responseTimeoutMs: 30_000,
    pollMs: 10 * jiffyMs,
    idlePollMs: 100 * jiffyMs,
  };
}

/** What the command partition reports of its work (`cp.*` effects). */
export type CommandPartitionOutcome = Exclude<
  EffectOf<typeof commandPartitionMachine>,
  { type: 'controlvm.send' }
>;

/** What the command partition asks of the hypervisor (the runtime performs it). */
export interface HypervisorRequest {
  readonly action: 'reboot';
  readonly iosp: string;
  readonly downMs: number;
}

/** What the command partition's host is made from. */
export type CommandHostContext = Pick<
  HostContext,
  | 'partition'
  | 'config'
  | 'bootCount'
  | 'channels'
  | 'env'
  | 'plans'
  | 'commandOptions'
  | 'heartbeats'
  | 'onHypervisorRequest'
>;

/** The command partition's actor, wired to every guest's controlvm channel. */
export class CommandHost implements PartitionHost {
  private readonly actor: Actor<typeof commandPartitionMachine>;
  private readonly recovery: Actor<typeof iospRecoveryMachine>;
  private readonly requests: HypervisorRequest[] = [];
  private readonly ports = new Map<string, ControlvmCpPort>();
  private readonly outbox = new Map<string, Uint8Array[]>();
  private readonly stops: (() => void)[] = [];
  /** Every effect the machine emitted that reports an outcome (`cp.*`), in order. */
  readonly outcomes: CommandPartitionOutcome[] = [];
  private pollTimer: TimerHandle | null = null;
  private pollIdle = false;
  private sentSincePoll = false;
  private readonly counts = { polls: 0, commandsSent: 0, commandsQueued: 0, acks: 0, responses: 0 };

  readonly partition: string;
  private readonly env: Environment;
  private readonly options: CommandHostOptions;
  private readonly heartbeats: ReadonlyMap<string, SharedArrayBuffer>;
  private readonly plans: readonly GuestPlan[];
  /** Performs a hypervisor request at once; without it requests wait for `takeRequests`. */
  private readonly onRequest: ((request: HypervisorRequest) => void) | undefined;

  constructor(ctx: CommandHostContext) {
    const { partition, channels, env, plans } = ctx;
    this.partition = partition;
    this.env = env;
    this.options = ctx.commandOptions;
    this.heartbeats = ctx.heartbeats;
    this.plans = plans;
    this.onRequest = ctx.onHypervisorRequest;
    for (const record of channels.filter(
      (c) => c.kind === 'controlvm' && c.serverPartition === partition,
    )) {
      const attached = Channel.attachAs(record.buffer, CONTROLVM_CHANNEL);
      assert(attached.ok, `${record.id}: the hypervisor's controlvm channel must validate`);
      const bell = doorbellOf(record);
      this.ports.set(record.guestPartition, new ControlvmCpPort(attached.value, bell, env));
      this.outbox.set(record.guestPartition, []);
      this.stops.push(env.onRing(bell, 'server', () => this.poll()));
    }
    const incarnation = restartIncarnation(ctx);
    const input = {
      partition,
      guests: plans,
      ackTimeoutMs: this.options.ackTimeoutMs,
      responseTimeoutMs: this.options.responseTimeoutMs,
      incarnation,
    };
    const systemId = `${partition}/command-partition`;
    this.actor = createActor(commandPartitionMachine, { input, clock: env.clock, systemId });
    failRunOnError(this.actor, env, systemId);
    const outcome = (effect: CommandPartitionOutcome) => void this.outcomes.push(effect);
    bindTraced(env, partition, systemId, this.actor, this.cpBinding(outcome));
    const devices = plans.flatMap((g) =>
      g.devices.flatMap((d) =>
        d.server === undefined
          ? []
          : [{ guest: g.name, busNo: d.busNo, devNo: d.devNo, server: d.server }],
      ),
    );
    const recoveryId = `${partition}/iosp-recovery`;
    const iosps = [...this.heartbeats.keys()];
    this.recovery = createActor(iospRecoveryMachine, {
      input: { partition, devices, iosps, restarted: incarnation > 1 },
      clock: env.clock,
      systemId: recoveryId,
    });
    failRunOnError(this.recovery, env, recoveryId);
    // The watchdog's heartbeat reads are polls, not traced (IOSP_RECOVERY_TRACED marks them).
    const poll = (e: EffectOf<typeof iospRecoveryMachine>) => !IOSP_RECOVERY_TRACED[e.type];
    bindTraced(env, partition, recoveryId, this.recovery, this.recoveryBinding(), poll);
  }

  // The command partition's effects: commands onto the guests' controlvm channels, and its
  // outcomes kept for the run's judge; a DEVICE_CHANGESTATE's outcome is also recovery's answer.
  private cpBinding(
    keep: (effect: CommandPartitionOutcome) => void,
  ): BindingOf<typeof commandPartitionMachine> {
    return {
      'controlvm.send': ({ guest, request }) => {
        this.counts.commandsQueued++;
        this.outbox.get(guest)?.push(encodeControlvmRequest(request));
        this.flush(guest);
        this.sentSincePoll = true;
        if (this.pollIdle && this.pollTimer !== null) this.armPoll(this.options.pollMs);
      },
      'cp.outcome': (outcome) => {
        keep(outcome);
        const { guest, busNo, devNo } = outcome;
        if (outcome.id !== CONTROLVM_ID.CONTROLVM_DEVICE_CHANGESTATE) return;
        if (busNo === null || devNo === null) return;
        // A rebooted guest's bring-up pause (command-partition.guest-reboot.ts) is not recovery's.
        const sent = this.actor.getSnapshot().context.sent[outcome.messageHandle];
        if (sent?.phase === 'bringUp') return;
        this.recovery.send({ type: 'CHANGE_ANSWERED', guest, busNo, devNo });
      },
      'cp.guestReady': keep,
      'cp.guestFailed': keep,
      'cp.guestRebooted': keep,
      'cp.rejected': keep,
      'cp.staleReply': keep,
      'cp.bringUpDone': keep,
    };
  }

  // Recovery's effects: per-device state changes for the command partition to send, the
  // watchdog's heartbeat reads, and reboots asked of the hypervisor.
  private recoveryBinding(): BindingOf<typeof iospRecoveryMachine> {
    return {
      'cp.changeState': ({ guest, busNo, devNo, state }) =>
        this.actor.send({ type: 'CHANGE_DEVICE_STATE', guest, busNo, devNo, state }),
      'watchdog.check': () => this.checkHeartbeats(),
      'hypervisor.reboot': ({ iosp, downMs }) => {
        const request = { action: 'reboot' as const, iosp, downMs };
        if (this.onRequest === undefined) this.requests.push(request);
        else this.onRequest(request);
      },
    };
  }

  /** Requests for the hypervisor (a hung IOSP's reboot), taken by the runtime. */
  takeRequests(): HypervisorRequest[] {
    return this.requests.splice(0);
  }

  // The watchdog's read of every IOSP's heartbeat page (hypervisor memory the CP may read).
  private checkHeartbeats(): void {
    const counts: Record<string, number> = {};
    for (const [iosp, page] of this.heartbeats) counts[iosp] = readHeartbeat(page);
    this.recovery.send({ type: 'HEARTBEATS', counts });
  }

  /**
   * The hypervisor reports an IOSP down (crashed, hung, rebooting) or back up (§4.1) to recovery,
   * or a guest that booted again to the command partition, which brings it up anew; commands
   * still in that guest's outbox were meant for its crashed incarnation and go.
   */
  notify(event: CpNotice): void {
    if (event.type === 'GUEST_DOWN') return; // the IOSPs' notice
    if (event.type !== 'GUEST_REBOOTED') return void this.recovery.send(event);
    const plan = this.plans.find((p) => p.name === event.guest);
    if (plan === undefined) return;
    this.outbox.get(event.guest)?.splice(0);
    this.actor.send({ type: 'GUEST_REBOOTED', plan });
  }

  /** Starts the bring-up of every guest and the CP's poll. */
  start(): void {
    this.recovery.start();
    this.actor.start();
    this.armPoll(this.options.pollMs);
  }

  // The CP's own poll: every `pollMs` while active (see defaultCommandHostOptions), else idle.
  private armPoll(delayMs: number): void {
    if (this.pollTimer !== null) this.env.cancel(this.pollTimer);
    this.pollIdle = delayMs !== this.options.pollMs;
    this.pollTimer = this.env.schedule(delayMs, 'controlvm-poll', () => {
      this.pollTimer = null;
      const active = this.poll() || this.sentSincePoll;
      this.sentSincePoll = false;
      this.armPoll(active ? this.options.pollMs : (this.options.idlePollMs ?? this.options.pollMs));
    });
  }

  /** Stops the actor, the poll and the doorbell listeners. */
  stop(): void {
    for (const stop of this.stops) stop();
    if (this.pollTimer !== null) this.env.cancel(this.pollTimer);
    this.pollTimer = null;
    this.actor.stop();
    this.recovery.stop();
  }

  /** The machine's state value, by systemId. */
  snapshot(): Record<string, unknown> {
    return {
      [`${this.partition}/command-partition`]: this.actor.getSnapshot().value,
      [`${this.partition}/iosp-recovery`]: this.recovery.getSnapshot().value,
    };
  }

  counters(): HostCounters {
    return { ...this.counts };
  }

  /** The command partition has no visorbus. */
  sysfs(): Record<string, string> {
    return {};
  }

  view(): HostView {
    const context = this.actor.getSnapshot().context;
    return {
      snapshot: this.snapshot(),
      sysfs: {},
      reports: {},
      command: { outcomes: this.outcomes, context },
    };
  }

  /** Sends an event to the machine (CHANGE_DEVICE_STATE, DESTROY_DEVICE). */
  send(event: Parameters<typeof this.actor.send>[0]): void {
    this.actor.send(event);
  }

  private flush(guest: string): void {
    const queue = this.outbox.get(guest);
    const port = this.ports.get(guest);
    assert(queue !== undefined && port !== undefined, `no controlvm channel to ${guest}`);
    while (queue.length > 0 && port.send(queue[0] as Uint8Array) === 'inserted') {
      queue.shift();
      this.counts.commandsSent++;
    }
  }

  // Collects every guest's replies, then retries any command still in an outbox. True when it
  // found a reply or a command is still waiting in an outbox.
  private poll(): boolean {
    this.counts.polls++;
    let active = false;
    for (const [guest, port] of this.ports) {
      const replies = port.collect();
      this.counts.acks += replies.acks.length;
      this.counts.responses += replies.responses.length;
      // Acks first: one collected with its response in this poll came before it (ack-order.ts).
      for (const ack of replies.acks) {
        this.actor.send({ type: 'CONTROLVM_ACK', guest, messageHandle: String(ack.messageHandle) });
      }
      for (const r of replies.responses) {
        const failed = (r.flags & CONTROLVM_FLAG.failed) !== 0;
        const messageHandle = String(r.messageHandle);
        this.actor.send({
          type: 'CONTROLVM_RESPONSE',
          guest,
          messageHandle,
          id: r.id,
          status: r.completionStatus,
          failed,
        });
      }
      this.flush(guest);
      active ||=
        replies.acks.length + replies.responses.length > 0 ||
        (this.outbox.get(guest)?.length ?? 0) > 0;
    }
    return active;
  }
}

/**
 * The CP's incarnation for its machine: its boot count, or 1 with the quirk cp-restart-from-scratch
 * (every boot starts over as the first did: handles from 1, no reconciliation).
 */
function restartIncarnation(ctx: Pick<HostContext, 'config' | 'bootCount'>): number {
  const quirks = moduleQuirks(ctx.config.quirks ?? [], QUIRKS);
  const fromScratch = quirks['command-partition']?.['restartFromScratch'] === true;
  return fromScratch ? 1 : (ctx.bootCount ?? 1);
}
