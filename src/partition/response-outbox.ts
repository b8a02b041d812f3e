// The from-IOSP queue of one IO channel as an IOSP answers on it (spar-protocol.md §4.4): a
// response that does not fit the ring waits in an outbox, in order, for the next poll — never
// overtaken by a later one. Shared by the SCSI server and the NIC server (served-channel.ts).
// Choice: the outbox holds at most OUTBOX_LIMIT responses; past that the guest has stopped draining
// (hostile or hung) and further responses are dropped and counted (`outboxDropped`) rather than
// grow the IOSP's memory without bound. A guest that drains loses nothing: the ring alone holds
// more than any driver keeps outstanding (128 SCSI slots, 64 receive buffers).

import type { SignalQueue } from '../channel/index.js';

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
  ) {}

  /** Responses waiting for ring space. */
  get length(): number {
    return this.waiting.length;
  }

  /** Inserts `response`, or keeps a copy for the next poll; true if it reached the ring now. */
  answer(response: Uint8Array): boolean {
    if (this.waiting.length === 0 && this.ring.insert(response) === 'inserted') {
      this.counts.responses++;
      return true;
    }
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
    while (
      this.waiting.length > 0 &&
      this.ring.insert(this.waiting[0] as Uint8Array) === 'inserted'
    ) {
      this.waiting.shift();
      this.counts.responses++;
      sent = true;
    }
    return sent;
  }
}
