// Liveness deadlines: what must have happened by a stated bound once the last fault healed
// (spar-protocol.md §4.2 and §4.3 "Guarantee to the guest": IO resumes and every outstanding
// request completes after the IOSP is back; the vnic's link comes back on the ENBDIS ack, §4.8
// step 7). A run is judged at its end, which is the bound or an earlier instant when everything
// had settled, so each check is a function of what was observed then and of the bound.

/** What the block workloads of a guest had done at the end of a run (the run's `IoStats` is one). */
export interface WorkAtEnd {
  readonly finished: number;
  readonly submitted: number;
  readonly completed: number;
}

/** Workloads unfinished at the bound, and the requests still outstanding. */
export interface UnfinishedWork {
  readonly unfinished: number;
  readonly expected: number;
  readonly outstanding: number;
}

/** Null when all `expected` workloads finished by the end, else how much was left. */
export function unfinishedWork(w: WorkAtEnd, expected: number): UnfinishedWork | null {
  if (w.finished >= expected) return null;
  return { unfinished: expected - w.finished, expected, outstanding: w.submitted - w.completed };
}

/**
 * link-recovers: an interface gets this long after its last link-up to carry a reply before a flow
 * that has not finished counts as stalled — one ARP retry (1 s) plus a ping timeout (1 s).
 */
export const LINK_RECOVERY_GRACE_MS = 2_000;

/** One ping flow at the end of a run (the run's `FlowSummary` is one). */
export interface FlowAtEnd {
  readonly flow: number;
  /** The address pinged. */
  readonly to: string;
  readonly sent: number;
  readonly delivered: number;
  readonly lost: number;
  readonly finished: boolean;
  /** When its last reply arrived (ms), null before the first. */
  readonly lastDeliveredAtMs: number | null;
}

/** One network interface at the end of a run (the run's `InterfaceSummary` is one). */
export interface InterfaceAtEnd {
  readonly ifname: string;
  readonly busNo: number;
  readonly devNo: number;
  /** The IOSP serving it. */
  readonly iosp: string;
  readonly up: boolean;
  /** Its latest carrier-on (ms), null if never up. */
  readonly lastLinkUpMs: number | null;
  /** When the guest reported (ms, the clock of lastLinkUpMs). */
  readonly atMs: number;
  readonly flows: readonly FlowAtEnd[];
}

/** A configured vnic: the guest that has it and the IOSP that serves it. */
export interface ConfiguredVnic {
  readonly guest: string;
  readonly iosp: string;
  readonly busNo: number;
  readonly devNo: number;
}

/** A way the network did not recover. */
export type LinkFinding =
  | { readonly kind: 'never-opened'; readonly guest: string; readonly vnic: ConfiguredVnic }
  | { readonly kind: 'link-down'; readonly guest: string; readonly ifname: string }
  | {
      /** A flow with no reply since the link came up, `graceMs` or more ago. */
      readonly kind: 'stalled';
      readonly guest: string;
      readonly ifname: string;
      readonly flow: number;
      readonly sinceMs: number;
    }
  | {
      readonly kind: 'unfinished-flow';
      readonly guest: string;
      readonly ifname: string;
      readonly flow: FlowAtEnd;
    };

/**
 * link-recovers, for the parts whose guest and IOSP are both running at the end (`states`): every
 * configured vnic opened an interface, every interface's link is up, and no unfinished flow went
 * without a reply since a link-up at least `graceMs` before the report.
 */
export function linkRecoveryFindings(
  vnics: readonly ConfiguredVnic[],
  interfaces: Readonly<Record<string, readonly InterfaceAtEnd[]>>,
  states: Readonly<Record<string, string>>,
  graceMs: number = LINK_RECOVERY_GRACE_MS,
): LinkFinding[] {
  const out: LinkFinding[] = [];
  const running = (...names: string[]) => names.every((n) => states[n] === 'running');
  for (const v of vnics) {
    if (!running(v.iosp, v.guest)) continue;
    const opened = (interfaces[v.guest] ?? []).some(
      (i) => i.busNo === v.busNo && i.devNo === v.devNo,
    );
    if (!opened) out.push({ kind: 'never-opened', guest: v.guest, vnic: v });
  }
  for (const [guest, list] of Object.entries(interfaces)) {
    for (const i of list) {
      if (!running(i.iosp, guest)) continue;
      if (!i.up) {
        out.push({ kind: 'link-down', guest, ifname: i.ifname });
        continue;
      }
      const sinceMs = i.lastLinkUpMs ?? 0;
      if (i.atMs - sinceMs < graceMs) continue;
      for (const f of i.flows)
        if (!f.finished && (f.lastDeliveredAtMs ?? -1) < sinceMs)
          out.push({ kind: 'stalled', guest, ifname: i.ifname, flow: f.flow, sinceMs });
    }
  }
  return out;
}

/** The findings {@link networkAtBound} makes. */
export type BoundFinding = Extract<LinkFinding, { readonly kind: 'link-down' | 'unfinished-flow' }>;

/**
 * Every link up and every flow finished at the bound (the run lasted until it): for each
 * interface of `guest`, link-down if it is not up, then each unfinished flow.
 */
export function networkAtBound(
  guest: string,
  interfaces: readonly InterfaceAtEnd[],
): BoundFinding[] {
  return interfaces.flatMap((i): BoundFinding[] => [
    ...(i.up ? [] : [{ kind: 'link-down' as const, guest, ifname: i.ifname }]),
    ...i.flows
      .filter((f) => !f.finished)
      .map((flow) => ({ kind: 'unfinished-flow' as const, guest, ifname: i.ifname, flow })),
  ]);
}
