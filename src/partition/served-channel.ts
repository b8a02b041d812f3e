// An IO channel as the IO service partition serving it sees it (spar-protocol.md §4.1, §4.4): the
// guest's commands on the to-IOSP queue, the responses on the from-IOSP queue (through an outbox,
// response-outbox.ts) and the guest's doorbell. Shared by the device kinds' servers (the SCSI
// server, the NIC server), which differ only in what a command means; also the timers a server
// keeps for one boot of its partition.
//
// A corrupt channel (a typed channel error from the header check of each poll or from a queue
// operation) is quarantined (channel-quarantine.ts): the server takes no more commands from it and
// sends no more responses; its next boot re-initialises it (§4.1) and serves it afresh.

import { assert } from '../base/assert.js';
import { Channel, type ChannelType, type Doorbell, type SignalQueue } from '../channel/index.js';
import { type ChannelRecord, doorbellOf } from '../hypervisor/index.js';
import { IOCHAN_FROM_IOPART, IOCHAN_TO_IOPART } from '../protocol/uiscmdrsp-constants.js';
import { ChannelQuarantine, isChannelError } from './channel-quarantine.js';
import type { Environment, TimerHandle } from './environment.js';
import { type OutboxCounts, ResponseOutbox } from './response-outbox.js';

/** One channel a server has taken into service. */
export interface ServedChannel {
  readonly record: ChannelRecord;
  /** The attached channel (its header is checked at each poll). */
  readonly channel: Channel;
  /** Set once the channel is found corrupt: then it is neither drained nor answered. */
  readonly quarantine: ChannelQuarantine;
  /** The guest's doorbell: rung when a response reached the ring. */
  readonly bell: Doorbell;
  /** The guest's commands (the to-IOSP queue). */
  readonly commands: SignalQueue;
  /** The responses (the from-IOSP queue), with those waiting for ring space. */
  readonly outbox: ResponseOutbox;
  /** A response reached the ring since the guest was last rung. */
  answered: boolean;
}

/**
 * Takes `record`, a channel of `type` the partition has just re-initialised (§4.1), into service;
 * its outbox bumps `counts` and calls `onBacklog` when a first response starts waiting. A
 * quarantine is traced through `env` as the IOSP's.
 */
export function openServedChannel(
  record: ChannelRecord,
  type: ChannelType,
  counts: OutboxCounts,
  onBacklog: () => void,
  env: Pick<Environment, 'now' | 'trace'>,
): ServedChannel {
  const attached = Channel.attachAs(record.buffer, type);
  assert(attached.ok, `${record.id}: a channel this IOSP just initialised validates`);
  const channel = attached.value;
  const iosp = record.serverPartition;
  const quarantine = new ChannelQuarantine(env, iosp, `${iosp}/iosp`, record.id);
  const outbox = new ResponseOutbox(channel.queue(IOCHAN_FROM_IOPART), counts, onBacklog, (e) =>
    quarantine.enter(e),
  );
  return {
    record,
    channel,
    quarantine,
    bell: doorbellOf(record),
    commands: channel.queue(IOCHAN_TO_IOPART),
    outbox,
    answered: false,
  };
}

/** Sends `response` on `served` (or keeps it waiting in the outbox); marks it answered if sent. */
export function answerServed(served: ServedChannel, response: Uint8Array): void {
  if (served.quarantine.quarantined) return;
  if (served.outbox.answer(response)) served.answered = true;
}

/**
 * One poll of `served` at `nowMs`: its waiting responses first, then up to a ring's worth of
 * commands, each removed into `slot` (scratch, overwritten by the next) and handed to `serve`. The
 * number taken. While a queue-full fault holds the channel (Doorbell.drainHeld) no command is
 * taken, so the guest's ring fills and the guest sees it full (issue #14).
 */
export function drainServed(
  served: ServedChannel,
  slot: Uint8Array,
  nowMs: number,
  serve: (slot: Uint8Array) => void,
): number {
  const { quarantine } = served;
  if (quarantine.quarantined) return 0;
  const header = served.channel.check();
  if (header !== null) {
    quarantine.enter(header);
    return 0;
  }
  if (served.outbox.flush()) served.answered = true;
  if (served.bell.drainHeld('server', nowMs)) return 0;
  let commands = 0;
  for (let i = 0; i < served.commands.slotCount; i++) {
    const outcome = served.commands.remove(slot);
    if (isChannelError(outcome)) quarantine.enter(outcome);
    if (outcome !== 'removed') break; // empty, or quarantined
    commands++;
    serve(slot);
  }
  return commands;
}

/** Rings the guest of `served` if a response reached its ring since it was last rung. */
export function ringIfAnswered(served: ServedChannel, env: Environment): void {
  if (!served.answered) return;
  served.answered = false;
  env.ring(served.bell, 'client');
}

/**
 * A server's timers in one boot of its partition: each is forgotten when it fires, and those still
 * pending are cancelled when the partition stops (a crash answers nothing that was in flight), or,
 * for one channel (`owner`, its id), when its guest went down (that boot's work is void).
 */
export class ServerTimers {
  private readonly live = new Map<TimerHandle, string | undefined>();

  constructor(private readonly env: Environment) {}

  /** Runs `run` after `delayMs` unless cancelled first; `label` names it in traces. */
  schedule(delayMs: number, label: string, run: () => void, owner?: string): void {
    const timer = this.env.schedule(delayMs, label, () => {
      this.live.delete(timer);
      run();
    });
    this.live.set(timer, owner);
  }

  /** The partition stopped: every pending timer is cancelled. */
  cancelAll(): void {
    for (const timer of this.live.keys()) this.env.cancel(timer);
    this.live.clear();
  }

  /** The guest of channel `owner` went down: that channel's pending timers are cancelled. */
  cancelOwned(owner: string): void {
    for (const [timer, of] of this.live) {
      if (of !== owner) continue;
      this.env.cancel(timer);
      this.live.delete(timer);
    }
  }
}
