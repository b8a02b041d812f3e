// The guest end of the controlvm channel: the channel I/O that visorchipset's poll asks for
// (spar-protocol.md §2.1, §2.5). Machines hold the protocol logic; this file only moves bytes:
// queue 1 drained and discarded (at most 64 per poll), commands removed from queue 2 until it is
// empty, an ack inserted on queue 3 for each *before* it is handed on (a command whose ack cannot
// be inserted is dropped, §2.5 step 3b), responses inserted on queue 0. A command marked
// test_message is consumed, never acked or handled, and ends the poll (§2.5 step 2).
//
// Choice: one poll takes at most one queue's capacity of commands, so a command partition that
// refills queue 2 as fast as the guest drains it (possible in the worker runtime) cannot keep a
// poll going forever; the rest waits for the next poll, as after a test message.

import type { Channel, ChannelError, Doorbell } from '../channel/index.js';
import {
  ackFor,
  CONTROLVM_QUEUE_ACK,
  CONTROLVM_QUEUE_EVENT,
  CONTROLVM_QUEUE_REQUEST,
  CONTROLVM_QUEUE_RESPONSE,
} from '../protocol/controlvm.js';
import {
  decodeControlvmCommand,
  encodeControlvmResponse,
  type ControlvmCommand,
  type ControlvmResponse,
} from '../protocol/controlvm-command.js';
import type { Environment } from './environment.js';

/** `CONTROLVM_MESSAGE_MAX`: the per-poll cap on queue 1 drains (§2.5 step 1). */
export const CONTROLVM_MESSAGES_PER_POLL = 64;

/** What one poll of the controlvm channel found. */
export interface ControlvmPollResult {
  /** Commands acked on queue 3 and to be handled, in queue order. */
  readonly commands: readonly ControlvmCommand[];
  /** Commands removed but dropped because queue 3 was full (§2.5 3b). */
  readonly droppedForAck: number;
  /** True when a test_message was consumed (and ended the poll). */
  readonly testMessage: boolean;
  /** Messages drained from queue 1 and discarded. */
  readonly discarded: number;
  /** A queue error (hostile memory) that stopped the poll, if any. */
  readonly error: ChannelError | null;
}

/** The guest's side of one controlvm channel. */
export class ControlvmGuestPort {
  private readonly slot = new Uint8Array(128);
  /** With the quirk ack-after-response: acks of the last poll's commands, not yet inserted. */
  private readonly heldAcks: Uint8Array[] = [];

  constructor(
    private readonly channel: Channel,
    private readonly bell: Doorbell,
    private readonly env: Environment,
    /** Quirk ack-after-response: a poll's acks wait for the next poll (src/quirks.ts). */
    private readonly ackAfterResponse = false,
  ) {}

  /** One visorchipset poll: drain queue 1, then take, ack and decode the commands of queue 2. */
  poll(): ControlvmPollResult {
    let discarded = 0;
    for (; discarded < CONTROLVM_MESSAGES_PER_POLL; discarded++) {
      const outcome = this.channel.queue(CONTROLVM_QUEUE_RESPONSE).remove(this.slot);
      if (outcome === 'empty') break;
      if (outcome !== 'removed')
        return { commands: [], droppedForAck: 0, discarded, testMessage: false, error: outcome };
    }
    const commands: ControlvmCommand[] = [];
    const events = this.channel.queue(CONTROLVM_QUEUE_EVENT);
    const lateAcks = this.insertHeldAcks();
    let droppedForAck = 0;
    let testMessage = false;
    let error: ChannelError | null = null;
    for (let i = 0; i < events.slotCount; i++) {
      const outcome = events.remove(this.slot);
      if (outcome === 'empty') break;
      if (outcome !== 'removed') {
        error = outcome;
        break;
      }
      const decoded = decodeControlvmCommand(this.slot);
      if (decoded.ok && decoded.value.flags.testMessage) {
        testMessage = true;
        break;
      }
      if (this.ackAfterResponse) this.heldAcks.push(ackFor(this.slot));
      else if (this.channel.queue(CONTROLVM_QUEUE_ACK).insert(ackFor(this.slot)) !== 'inserted') {
        droppedForAck++;
        continue;
      }
      if (decoded.ok) commands.push(decoded.value);
    }
    if (commands.length > 0 || droppedForAck > 0 || lateAcks) this.env.ring(this.bell, 'server');
    return { commands, droppedForAck, discarded, testMessage, error };
  }

  // The quirk's acks, inserted once the commands they ack were handled; one that does not fit is
  // lost (its command was handled already). True if any was inserted.
  private insertHeldAcks(): boolean {
    const held = this.heldAcks.splice(0);
    const ackQueue = this.channel.queue(CONTROLVM_QUEUE_ACK);
    return held.filter((ack) => ackQueue.insert(ack) === 'inserted').length > 0;
  }

  /** Inserts a response on queue 0 and rings the command partition. */
  respond(response: ControlvmResponse): 'inserted' | 'overflow' | ChannelError {
    const outcome = this.channel
      .queue(CONTROLVM_QUEUE_REQUEST)
      .insert(encodeControlvmResponse(response));
    if (outcome === 'inserted') this.env.ring(this.bell, 'server');
    return outcome;
  }
}
