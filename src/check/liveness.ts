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
 * link-recovers: how long a flow may go without a reply, on top of its own interval and timeout,
 * before it counts as stalled — one ARP retry (1 s, the neighbour is re-resolved after an outage)
 * plus a ping timeout at its default (1 s).
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
  /** Requests it is to send in all, its period and its timeout (ms). */
  readonly count: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Its start delay elapsed (a flow not started yet owes no reply). */
  readonly started: boolean;
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
  /** When the guest reported (ms, the clock of lastLinkUpMs): the end of the run. */
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
      /** An unfinished flow with no reply since the network healed at `healedAtMs`. */
      readonly kind: 'stalled';
      readonly guest: string;
      readonly ifname: string;
      readonly flow: FlowAtEnd;
      readonly healedAtMs: number;
    }
  | {
      /** An unfinished flow that got replies after the heal, then none for its patience. */
      readonly kind: 'stopped';
      readonly guest: string;
      readonly ifname: string;
      readonly flow: FlowAtEnd;
      readonly endMs: number;
    }
  | {
      readonly kind: 'unfinished-flow';
      readonly guest: string;
      readonly ifname: string;
      readonly flow: FlowAtEnd;
    };

/**
 * "The last fault healed": the later of when the last fault healed (its time plus its stated down
 * time, `faultsHealedAtMs`, null without faults) and the last instant any interface's link was seen
 * coming up. Choice: the links count too, because what a fault sets off outlives it (a hung IOSP's
 * watchdog reboot, the command partition's resume), and the network is whole again only once the
 * last link is back; a fault that never takes a link down (a hang of the guest pinged, an uplink
 * lost) still moves the instant by its own time, so replies from before it do not count.
 */
export function networkHealedAtMs(
  interfaces: Readonly<Record<string, readonly InterfaceAtEnd[]>>,
  faultsHealedAtMs: number | null,
): number {
  const ups = Object.values(interfaces).flatMap((list) => list.map((i) => i.lastLinkUpMs ?? 0));
  return Math.max(faultsHealedAtMs ?? 0, ...ups);
}

/** How long `f` may go without a reply before it counts as stalled. */
export function patienceMs(f: FlowAtEnd, graceMs: number = LINK_RECOVERY_GRACE_MS): number {
  return graceMs + f.intervalMs + f.timeoutMs;
}

/**
 * link-recovers, for the parts whose guest and IOSP are both running at the end (`states`): every
 * configured vnic opened an interface, every interface's link is up, and every flow unfinished at
 * the end made progress after the network healed ({@link networkHealedAtMs}) — a reply at or after
 * that instant — and is still progressing at the end: its last reply no more than its patience
 * ({@link patienceMs}) before the report. A finished flow made all its progress; a flow not started
 * yet owes none; the flows are not judged until the report is a patience past the heal.
 */
export function linkRecoveryFindings(
  vnics: readonly ConfiguredVnic[],
  interfaces: Readonly<Record<string, readonly InterfaceAtEnd[]>>,
  states: Readonly<Record<string, string>>,
  faultsHealedAtMs: number | null,
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
  const healedAtMs = networkHealedAtMs(interfaces, faultsHealedAtMs);
  for (const [guest, list] of Object.entries(interfaces)) {
    for (const i of list) {
      if (!running(i.iosp, guest)) continue;
      if (!i.up) {
        out.push({ kind: 'link-down', guest, ifname: i.ifname });
        continue;
      }
      for (const flow of i.flows) {
        const patience = patienceMs(flow, graceMs);
        if (flow.finished || !flow.started || i.atMs - healedAtMs < patience) continue;
        const last = flow.lastDeliveredAtMs;
        const { ifname } = i;
        if (last === null || last < healedAtMs)
          out.push({ kind: 'stalled', guest, ifname, flow, healedAtMs });
        else if (i.atMs - last >= patience)
          out.push({ kind: 'stopped', guest, ifname, flow, endMs: i.atMs });
      }
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
