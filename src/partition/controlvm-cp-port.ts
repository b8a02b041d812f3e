// The command partition's end of a guest's controlvm channel (spar-protocol.md §2.1): commands
// go into queue 2 (the guest's "event" queue), acks come back on queue 3 and results on queue 0.
// Channel I/O only; the correlation by message_handle is the command-partition machine's.

import type { Channel, ChannelError, Doorbell } from '../channel/index.js';
import {
  CONTROLVM_QUEUE_ACK,
  CONTROLVM_QUEUE_EVENT,
  CONTROLVM_QUEUE_REQUEST,
  decodeControlvmHeader,
  type ControlvmHeader,
} from '../protocol/controlvm.js';
import type { Environment } from './environment.js';

/** What the guest sent back since the last collect. */
export interface ControlvmReplies {
  readonly acks: readonly ControlvmHeader[];
  readonly responses: readonly ControlvmHeader[];
  /** A queue error (hostile memory) that stopped collecting, if any. */
  readonly error: ChannelError | null;
}

/** The command partition's side of one guest's controlvm channel. */
export class ControlvmCpPort {
  private readonly slot = new Uint8Array(128);

  constructor(
    private readonly channel: Channel,
    private readonly bell: Doorbell,
    private readonly env: Environment,
  ) {}

  /** Inserts one encoded command on queue 2 and rings the guest; a full queue is the caller's to retry. */
  send(message: Uint8Array): 'inserted' | 'overflow' | ChannelError {
    const outcome = this.channel.queue(CONTROLVM_QUEUE_EVENT).insert(message);
    if (outcome === 'inserted') this.env.ring(this.bell, 'client');
    return outcome;
  }

  /**
   * Drains the responses on queue 0, then the acks on queue 3: the guest acks before it answers
   * (§2.5 step 3b), so the ack of every response read is there when queue 3 is read, even with
   * the guest in another thread, and a response with no ack yet is out of order (src/check).
   */
  collect(): ControlvmReplies {
    const acks: ControlvmHeader[] = [];
    const responses: ControlvmHeader[] = [];
    const responseError = this.drain(CONTROLVM_QUEUE_REQUEST, responses);
    const ackError = responseError ?? this.drain(CONTROLVM_QUEUE_ACK, acks);
    return { acks, responses, error: ackError };
  }

  // Bounded by the queue's capacity: the guest cannot refill faster than this loop drains in
  // the sim runtime, and in workers a busy guest only delays the end by one queue's worth.
  private drain(queue: number, into: ControlvmHeader[]): ChannelError | null {
    const limit = this.channel.queue(queue).slotCount;
    for (let i = 0; i < limit; i++) {
      const outcome = this.channel.queue(queue).remove(this.slot);
      if (outcome === 'empty') return null;
      if (outcome !== 'removed') return outcome;
      const header = decodeControlvmHeader(this.slot);
      if (header.ok) into.push(header.value);
    }
    return null;
  }
}
