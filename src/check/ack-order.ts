// ack-before-response (spar-protocol.md §2.1, §2.5 step 3b): the guest inserts an ack on queue 3
// for every command it dequeues, before processing it, so the command's response (queue 0) is
// never there before its ack. The command partition sees the two queues only when it polls: a
// correct order shows as the ack in an earlier poll or in the same one. A poll reads queue 0
// before queue 3, so even against a guest running in another thread the ack of any response it
// read is already in queue 3 by the time it reads that queue: a finding is never a race.

/** One controlvm exchange as the command partition saw it. */
export interface ControlvmExchange {
  readonly guest: string;
  readonly messageHandle: string;
  readonly id: number;
  /** An ack of it was seen, at any time. */
  readonly acked: boolean;
  /** Its response was taken while no ack of it had been seen (false when no response came). */
  readonly responseBeforeAck: boolean;
}

/** An exchange whose response came before its ack: the ack came later, or never. */
export interface AckOrderFinding {
  readonly guest: string;
  readonly messageHandle: string;
  readonly id: number;
  readonly ack: 'later' | 'never';
}

/** One finding per exchange whose response the command partition saw before its ack. */
export function ackOrderFindings(exchanges: readonly ControlvmExchange[]): AckOrderFinding[] {
  return exchanges
    .filter((e) => e.responseBeforeAck)
    .map(({ guest, messageHandle, id, acked }) => ({
      ...{ guest, messageHandle, id },
      ack: acked ? ('later' as const) : ('never' as const),
    }));
}

/** A finding as one line of text. */
export function ackOrderText(f: AckOrderFinding): string {
  const ack = f.ack === 'later' ? 'acked after it' : 'never acked';
  return `${f.guest} #${f.messageHandle} id 0x${f.id.toString(16)}: response before its ack (${ack})`;
}

/**
 * Replies folded poll by poll, for a command partition that keeps no ledger of its own: the acks
 * of one poll count as seen before its responses (see the header).
 */
export class ReplyOrder {
  private readonly acks = new Set<string>();
  private readonly early = new Set<string>();

  /** One poll's replies, by message handle. */
  collect(acks: readonly string[], responses: readonly string[]): void {
    for (const h of acks) this.acks.add(h);
    for (const h of responses) if (!this.acks.has(h)) this.early.add(h);
  }

  /** The exchange of a command sent as `messageHandle`. */
  exchange(guest: string, messageHandle: string, id: number): ControlvmExchange {
    const responseBeforeAck = this.early.has(messageHandle);
    return { guest, messageHandle, id, acked: this.acks.has(messageHandle), responseBeforeAck };
  }
}
