// Frame ledger: ping flows keep Ethernet's promise across an outage (spar-protocol.md §4.3
// "Guarantee to the guest (vnic)": frames in flight may be lost, never duplicated). Fed the IP
// layers' per-flow and per-receiver ledgers (machines/ip-stack.logic.ts's header defines them):
// at most once (no request answered twice, no reply received twice), every loss counted
// (sent = delivered + lost + outstanding), and per-flow order.

/** A sender's ledger of one ping flow (the IP layer's FlowLedger is one). */
export interface FlowCounts {
  readonly sent: number;
  /** Unique replies within the timeout. */
  readonly delivered: number;
  /** Requests with no reply within the timeout. */
  readonly lost: number;
  readonly outstanding: number;
  /** Replies received for a seq already answered. */
  readonly duplicates: number;
  /** First answers that arrived after a later seq's. */
  readonly outOfOrder: number;
}

/** A responder's ledger of one source flow (the IP layer's ReceiverLedger is one). */
export interface ReceiverCounts {
  /** Requests received twice. */
  readonly duplicates: number;
  readonly outOfOrder: number;
}

/** One interface's (or guest's) frame totals; the run's `NetStats` carries the same fields. */
export interface FrameTotals {
  readonly sent: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly outstanding: number;
  /** Replies received twice plus requests received twice. */
  readonly duplicated: number;
  readonly outOfOrder: number;
}

/** A broken frame promise. */
export type FrameFinding =
  | { readonly kind: 'duplicated'; readonly count: number }
  | {
      /** sent ≠ delivered + dropped + outstanding: a frame is neither answered nor counted lost. */
      readonly kind: 'unaccounted';
      readonly sent: number;
      readonly delivered: number;
      readonly dropped: number;
      readonly outstanding: number;
    }
  | { readonly kind: 'out-of-order'; readonly count: number };

/** The totals of one interface's flows (as sender) and receivers (as responder). */
export function frameTotals(
  flows: readonly FlowCounts[],
  receivers: readonly ReceiverCounts[],
): FrameTotals {
  const sum = <T>(items: readonly T[], f: (t: T) => number) => items.reduce((n, t) => n + f(t), 0);
  return {
    sent: sum(flows, (f) => f.sent),
    delivered: sum(flows, (f) => f.delivered),
    dropped: sum(flows, (f) => f.lost),
    outstanding: sum(flows, (f) => f.outstanding),
    duplicated: sum(flows, (f) => f.duplicates) + sum(receivers, (r) => r.duplicates),
    outOfOrder: sum(flows, (f) => f.outOfOrder) + sum(receivers, (r) => r.outOfOrder),
  };
}

/** The broken promises of `t`, in the order: duplicated, unaccounted, out-of-order. */
export function frameFindings(t: FrameTotals): FrameFinding[] {
  const out: FrameFinding[] = [];
  if (t.duplicated > 0) out.push({ kind: 'duplicated', count: t.duplicated });
  if (t.sent !== t.delivered + t.dropped + t.outstanding) {
    const { sent, delivered, dropped, outstanding } = t;
    out.push({ kind: 'unaccounted', sent, delivered, dropped, outstanding });
  }
  if (t.outOfOrder > 0) out.push({ kind: 'out-of-order', count: t.outOfOrder });
  return out;
}
