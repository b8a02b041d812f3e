// Channel watch: the invariants of an IO channel's memory (vhba, vnic), checked each time the
// caller samples it. On every signal queue num_sent − num_received equals the ring's occupancy
// and is at most max_slots − 1 (spar-protocol.md §1.5, §1.6: one slot always stays empty); the
// client states cli_state_os / cli_state_boot change only along §1.3's legal transitions.
//
// The watch sees memory only when sampled, so a change between two samples is legal when it is
// reachable through legal steps (CLIENT_STATE_REACHABLE), not only when it is one step.

import { formatMs } from '../base/format-time.js';
import {
  Channel,
  CLIENT_STATE_NAMES,
  type ChannelMemory,
  type ChannelType,
  type ClientKind,
  clientState,
  LEGAL_CLIENT_TRANSITIONS,
  type SignalQueue,
} from '../channel/index.js';

/** §1.3 reachability: for each client state, the states one or more legal transitions reach. */
export const CLIENT_STATE_REACHABLE: ReadonlyMap<number, ReadonlySet<number>> = new Map(
  CLIENT_STATE_NAMES.map((_, from) => {
    const seen = new Set<number>();
    const todo = [...(LEGAL_CLIENT_TRANSITIONS[from] ?? [])];
    for (let s = todo.pop(); s !== undefined; s = todo.pop()) {
      if (seen.has(s)) continue;
      seen.add(s);
      todo.push(...(LEGAL_CLIENT_TRANSITIONS[s] ?? []));
    }
    return [from, seen];
  }),
);

/** True when a client state seen as `from` may be seen as `to` at a later sample (§1.3). */
export function clientChangeIsLegal(from: number, to: number): boolean {
  return from === to || (CLIENT_STATE_REACHABLE.get(from)?.has(to) ?? false);
}

/** One broken channel invariant; `key` names the queue or client field (report it once). */
export interface ChannelFinding {
  readonly key: string;
  readonly text: string;
}

/** The channel invariants on one channel's memory, checked at each {@link ChannelWatch.check}. */
export class ChannelWatch {
  private readonly last: Record<ClientKind, number>;

  private constructor(
    /** How findings name the channel. */
    readonly id: string,
    private readonly memory: ChannelMemory,
    private readonly queues: readonly SignalQueue[],
  ) {
    this.last = { os: this.client('os'), boot: this.client('boot') };
  }

  /**
   * Watches the channel in `buffer` as a `type` channel (the kind's: src/kinds/<kind>/channel.ts);
   * a channel that does not validate as one is a finding.
   */
  static attach(
    id: string,
    buffer: SharedArrayBuffer,
    type: ChannelType,
  ): ChannelWatch | ChannelFinding {
    const channel = Channel.attachAs(buffer, type);
    if (!channel.ok) return { key: id, text: `${id}: does not validate: ${channel.error.message}` };
    const { value } = channel;
    const queues = Array.from({ length: value.queueCount }, (_, q) => value.queue(q));
    return new ChannelWatch(id, value.memory, queues);
  }

  /** Every queue's counters against its occupancy, then both client states' changes. */
  check(now: number): ChannelFinding[] {
    return [...this.queueFindings(now), ...this.clientFindings(now)];
  }

  // num_sent − num_received = occupancy ≤ max_slots − 1 on every queue.
  private queueFindings(now: number): ChannelFinding[] {
    const out: ChannelFinding[] = [];
    for (const queue of this.queues) {
      const key = `${this.id}/queue${queue.queue}`;
      const where = `${this.id} queue ${queue.queue} at ${formatMs(now)}`;
      const occupancy = queue.occupancy();
      if (typeof occupancy !== 'number') {
        out.push({ key, text: `${where}: ${occupancy.message}` });
        continue;
      }
      const { numSent, numReceived } = queue.counters();
      const held = numSent - numReceived;
      if (held !== BigInt(occupancy) || held < 0n || held > BigInt(queue.slotCount - 1)) {
        out.push({
          key,
          text: `${where}: num_sent ${numSent} − num_received ${numReceived} = ${held}, occupancy ${occupancy}, max_slots ${queue.slotCount}`,
        });
      }
    }
    return out;
  }

  // A client state outside the enum, or a change since the last check not reachable along §1.3.
  private clientFindings(now: number): ChannelFinding[] {
    const out: ChannelFinding[] = [];
    const name = (s: number) => CLIENT_STATE_NAMES[s] ?? String(s);
    for (const kind of ['os', 'boot'] as const) {
      const from = this.last[kind];
      const to = this.client(kind);
      if (to < 0)
        out.push({
          key: `${this.id}/${kind}`,
          text: `${this.id} at ${formatMs(now)}: cli_state_${kind} is not a client state`,
        });
      else if (from >= 0 && !clientChangeIsLegal(from, to))
        out.push({
          key: `${this.id}/${kind}/${from}-${to}`,
          text: `${this.id} at ${formatMs(now)}: cli_state_${kind} ${name(from)} → ${name(to)}, not along §1.3`,
        });
      this.last[kind] = to;
    }
    return out;
  }

  private client(kind: ClientKind): number {
    const state = clientState(this.memory, kind);
    return state.ok ? state.value : -1;
  }
}

/** Watches several channels and reports each finding's key once (a broken invariant stays broken). */
export class ChannelWatches {
  private readonly watches = new Map<string, ChannelWatch>();
  private readonly reported = new Set<string>();

  /** Watches `buffer` under `id` (see {@link ChannelWatch.attach}); returns a new finding, if any. */
  add(id: string, buffer: SharedArrayBuffer, type: ChannelType): ChannelFinding[] {
    const watch = ChannelWatch.attach(id, buffer, type);
    if (!(watch instanceof ChannelWatch)) return this.fresh([watch]);
    this.watches.set(id, watch);
    return [];
  }

  /** Checks channel `id` (if watched) at `now`; returns the findings not reported before. */
  check(id: string, now: number): ChannelFinding[] {
    const watch = this.watches.get(id);
    return watch === undefined ? [] : this.fresh(watch.check(now));
  }

  /** Checks every watched channel at `now`, in the order added; returns the new findings. */
  checkAll(now: number): ChannelFinding[] {
    return [...this.watches.values()].flatMap((w) => this.fresh(w.check(now)));
  }

  private fresh(findings: readonly ChannelFinding[]): ChannelFinding[] {
    const out: ChannelFinding[] = [];
    for (const f of findings) {
      if (this.reported.has(f.key)) continue;
      this.reported.add(f.key);
      out.push(f);
    }
    return out;
  }
}
