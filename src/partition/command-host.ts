// The partition host of the command partition (DESIGN "The system being simulated"): it owns the
// command-partition machine and one controlvm port per guest, encodes the commands the machine
// sends onto queue 2, and decodes each guest's acks (queue 3) and responses (queue 0) back into
// events. A full queue 2 keeps the command in a per-guest outbox, flushed on the next poll: the
// command is sent once, late, never dropped or duplicated.

import { createActor, type Actor } from 'xstate';
import { assert } from '../base/assert.js';
import { Channel, channelTypes } from '../channel/index.js';
import { doorbellOf, type ChannelRecord } from '../hypervisor/index.js';
import { encodeControlvmRequest, type ControlvmRequest } from '../protocol/controlvm-request.js';
import { CONTROLVM_FLAG } from '../protocol/controlvm.js';
import type { GuestPlan } from '../../machines/command-partition.logic.js';
import { commandPartitionMachine } from '../../machines/command-partition.machine.js';
import { ControlvmCpPort } from './controlvm-cp-port.js';
import { effectDetail } from './effect-detail.js';
import type { Environment, TimerHandle } from './environment.js';
import type { HostCounters, PartitionHost } from './partition-host.js';

/** Timing of the command partition. */
export interface CommandHostOptions {
  /** Milliseconds from sending a command until its ack must have arrived. */
  readonly ackTimeoutMs: number;
  /** Milliseconds from sending a command until its response must have arrived. */
  readonly responseTimeoutMs: number;
  /** Period of the CP's own poll of its controlvm ends (doorbells wake it earlier). */
  readonly pollMs: number;
}

/**
 * The command partition's timing in both runtimes. Choice: generous timeouts (a guest answers
 * within a few jiffies) and the CP's own poll every 10 jiffies; doorbells wake it earlier.
 */
export function defaultCommandHostOptions(jiffyMs: number): CommandHostOptions {
  return { ackTimeoutMs: 5_000, responseTimeoutMs: 30_000, pollMs: 10 * jiffyMs };
}

type Effect = { readonly type: string } & Record<string, unknown>;

/** The command partition's actor, wired to every guest's controlvm channel. */
export class CommandHost implements PartitionHost {
  private readonly actor: Actor<typeof commandPartitionMachine>;
  private readonly ports = new Map<string, ControlvmCpPort>();
  private readonly outbox = new Map<string, Uint8Array[]>();
  private readonly stops: (() => void)[] = [];
  /** Every effect the machine emitted that reports an outcome (`cp.*`), in order. */
  readonly outcomes: Effect[] = [];
  private pollTimer: TimerHandle | null = null;
  private readonly counts = { polls: 0, commandsSent: 0, commandsQueued: 0, acks: 0, responses: 0 };

  constructor(
    readonly partition: string,
    channels: readonly ChannelRecord[],
    private readonly env: Environment,
    plans: readonly GuestPlan[],
    private readonly options: CommandHostOptions,
  ) {
    for (const record of channels.filter((c) => c.kind === 'controlvm' && c.serverPartition === partition)) {
      const attached = Channel.attachAs(record.buffer, channelTypes.controlvm);
      assert(attached.ok, `${record.id}: the hypervisor's controlvm channel must validate`);
      const bell = doorbellOf(record);
      this.ports.set(record.guestPartition, new ControlvmCpPort(attached.value, bell, env));
      this.outbox.set(record.guestPartition, []);
      this.stops.push(env.onRing(bell, 'server', () => this.poll()));
    }
    const input = { partition, guests: plans, ackTimeoutMs: options.ackTimeoutMs, responseTimeoutMs: options.responseTimeoutMs };
    const systemId = `${partition}/command-partition`;
    this.actor = createActor(commandPartitionMachine, { input, clock: env.clock, systemId });
    this.actor.on('*', (emitted) => {
      const effect = emitted as unknown as Effect;
      const state = JSON.stringify(this.actor.getSnapshot().value);
      const detail = { text: effectDetail(effect) };
      env.trace({ atMs: env.now(), partition, actor: systemId, event: effect.type, state, detail });
      this.perform(effect);
    });
  }

  /** Starts the bring-up of every guest and the CP's poll. */
  start(): void {
    this.actor.start();
    const tick = (): void => {
      this.poll();
      this.pollTimer = this.env.schedule(this.options.pollMs, 'controlvm-poll', tick);
    };
    this.pollTimer = this.env.schedule(this.options.pollMs, 'controlvm-poll', tick);
  }

  /** Stops the actor, the poll and the doorbell listeners. */
  stop(): void {
    for (const stop of this.stops) stop();
    if (this.pollTimer !== null) this.env.cancel(this.pollTimer);
    this.pollTimer = null;
    this.actor.stop();
  }

  /** The machine's state value, by systemId. */
  snapshot(): Record<string, unknown> {
    return { [`${this.partition}/command-partition`]: this.actor.getSnapshot().value };
  }

  /** The machine's context (what the CP believes about every guest). */
  context(): unknown {
    return this.actor.getSnapshot().context;
  }

  counters(): HostCounters {
    return { ...this.counts };
  }

  /** The command partition has no visorbus. */
  sysfs(): Record<string, string> {
    return {};
  }

  /** Sends an event to the machine (CHANGE_DEVICE_STATE, DESTROY_DEVICE). */
  send(event: Parameters<typeof this.actor.send>[0]): void {
    this.actor.send(event);
  }

  private perform(effect: Effect): void {
    if (effect.type === 'controlvm.send') {
      const guest = effect['guest'] as string;
      this.counts.commandsQueued++;
      this.outbox.get(guest)?.push(encodeControlvmRequest(effect['request'] as ControlvmRequest));
      this.flush(guest);
      return;
    }
    this.outcomes.push(effect);
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

  // Collects every guest's replies, then retries any command still in an outbox.
  private poll(): void {
    this.counts.polls++;
    for (const [guest, port] of this.ports) {
      const replies = port.collect();
      this.counts.acks += replies.acks.length;
      this.counts.responses += replies.responses.length;
      for (const ack of replies.acks) {
        this.actor.send({ type: 'CONTROLVM_ACK', guest, messageHandle: String(ack.messageHandle) });
      }
      for (const r of replies.responses) {
        const failed = (r.flags & CONTROLVM_FLAG.failed) !== 0;
        const messageHandle = String(r.messageHandle);
        this.actor.send({ type: 'CONTROLVM_RESPONSE', guest, messageHandle, id: r.id, status: r.completionStatus, failed });
      }
      this.flush(guest);
    }
  }
}
