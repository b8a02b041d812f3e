// The from-IOSP queue of one IO channel as an IOSP answers on it (spar-protocol.md §4.4): a
// response that does not fit the ring waits in an outbox, in order, for the next poll — never
// overtaken by a later one. Shared by the SCSI server and the NIC server (served-channel.ts).
// Choice: the outbox holds at most OUTBOX_LIMIT responses; past that the guest has stopped draining
// (hostile or hung) and further responses are dropped and counted (`outboxDropped`) rather than
// grow the IOSP's memory without bound. A guest that drains loses nothing: the ring alone holds
// more than any driver keeps outstanding (128 SCSI slots, 64 receive buffers).
// A ring that answers an insert with a typed channel error is corrupt: `onCorrupt` hears of it,
// and the outbox lets go of what waits (the served channel is quarantined, served-channel.ts).

import type { ChannelError, SignalQueue } from '../channel/index.js';
import { isChannelError } from './channel-quarantine.js';

/** Responses an outbox keeps waiting at most (see the header). */
export const OUTBOX_LIMIT = 4096;

/** Counters an outbox bumps (the IOSP host's). */
export interface OutboxCounts {
  responses: number;
  outboxed: number;
  outboxDropped: number;
}

/** One channel's response queue with its outbox. */
export class ResponseOutbox {
  private readonly waiting: Uint8Array[] = [];

  constructor(
    private readonly ring: SignalQueue,
    private readonly counts: OutboxCounts,
    /** Called when the first response starts waiting: the IOSP polls fast until it is flushed. */
    private readonly onBacklog: () => void,
    /** Called when the ring turns out corrupt; the outbox is then emptied. */
    private readonly onCorrupt: (error: ChannelError) => void = () => {},
  ) {}

  /** Responses waiting for ring space. */
  get length(): number {
    return this.waiting.length;
  }

  /** Inserts `response`, or keeps a copy for the next poll; true if it reached the ring now. */
  answer(response: Uint8Array): boolean {
    const outcome = this.waiting.length === 0 ? this.ring.insert(response) : null;
    if (outcome === 'inserted') {
      this.counts.responses++;
      return true;
    }
    if (isChannelError(outcome)) return this.corrupt(outcome);
    if (this.waiting.length >= OUTBOX_LIMIT) {
      this.counts.outboxDropped++;
      return false;
    }
    this.waiting.push(response.slice());
    this.counts.outboxed++;
    if (this.waiting.length === 1) this.onBacklog();
    return false;
  }

  /** Moves waiting responses to the ring while it has room; true if any moved. */
  flush(): boolean {
    let sent = false;
    while (this.waiting.length > 0) {
      const outcome = this.ring.insert(this.waiting[0] as Uint8Array);
      if (isChannelError(outcome)) return this.corrupt(outcome) || sent;
      if (outcome !== 'inserted') break;
      this.waiting.shift();
      this.counts.responses++;
      sent = true;
    }
    return sent;
  }

  // The ring is corrupt: nothing waiting can reach it any more.
  private corrupt(error: ChannelError): false {
    this.counts.outboxDropped += this.waiting.length;
    this.waiting.length = 0;
    this.onCorrupt(error);
    return false;
  }
}
