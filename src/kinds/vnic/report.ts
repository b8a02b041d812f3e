// The vnic kind's section of a run (`net` in the observation and in `spar run --json`): each
// guest's interfaces' IP-layer ledgers and driver counters (net-stack.ts), summed per guest.
//
// Definitions (per guest; the total sums them):
// - sent: echo requests its ping flows sent; delivered: unique replies within the timeout;
//   dropped: requests lost (no reply within the timeout — frames in flight across an outage);
//   sent = delivered + dropped + outstanding at the end.
// - duplicated: replies received twice for one request, plus requests this guest received twice
//   as a responder (at-most-once is broken either way).
// - misdelivered: frames this guest accepted from a sender outside its segment (isolation).
// - outOfOrder: replies or requests of one flow that arrived after a later one (per-flow order).
// - linkDownMs: virtual time its interfaces had no carrier after first coming up.
// - ownershipViolations: receive pages handed to the IP layer while the IOSP could still write them.

import { assert } from '../../base/assert.js';
import { formatMs } from '../../base/format-time.js';
import { linkDownMsAt } from '../../../machines/ip-stack.logic.js';
import { frameTotals } from '../../check/index.js';
import { sumRecords } from '../../run/observation.js';
import type { KindReport } from '../kind.js';
import { ipString } from './ethernet.js';
import { networkPlan } from './network.js';
import type { VnicGuestReport } from './guest.js';
import type { NetInterfaceReport } from './net-stack.js';

/** One guest's network traffic at the end (the header says what each field counts). */
export interface NetStats {
  readonly sent: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly duplicated: number;
  readonly misdelivered: number;
  readonly linkDownMs: number;
  readonly outOfOrder: number;
  readonly outstanding: number;
  readonly ownershipViolations: number;
  readonly interfaces: number;
  readonly linksUp: number;
  readonly flows: number;
  readonly finishedFlows: number;
}

/** One interface at the end, for the link-recovers check and the report. */
export interface InterfaceSummary {
  readonly ifname: string;
  readonly busNo: number;
  readonly devNo: number;
  readonly iosp: string;
  readonly segment: string;
  readonly up: boolean;
  readonly lastLinkUpMs: number | null;
  /** When the guest reported (its clock, as lastLinkUpMs). */
  readonly atMs: number;
  readonly flows: readonly FlowSummary[];
}

/** One ping flow at the end. */
export interface FlowSummary {
  readonly flow: number;
  /** The address pinged. */
  readonly to: string;
  readonly sent: number;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  /** Requests it is to send in all, its period and its timeout (ms): the workload's. */
  readonly count: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Its start delay elapsed. */
  readonly started: boolean;
  readonly finished: boolean;
  readonly lastDeliveredAtMs: number | null;
  readonly rttAvgMs: number | null;
  readonly rttMaxMs: number | null;
}

/** A guest's network at the end of a run. */
export interface GuestNet {
  readonly stats: NetStats;
  readonly interfaces: readonly InterfaceSummary[];
}

/** No traffic at all. */
export const NO_NET: NetStats = {
  sent: 0,
  delivered: 0,
  dropped: 0,
  duplicated: 0,
  misdelivered: 0,
  linkDownMs: 0,
  outOfOrder: 0,
  outstanding: 0,
  ownershipViolations: 0,
  interfaces: 0,
  linksUp: 0,
  flows: 0,
  finishedFlows: 0,
};

/** The sum of `stats`. */
export function totalNet(stats: readonly NetStats[]): NetStats {
  return sumRecords(NO_NET, stats);
}

declare module '../../run/observation.js' {
  interface ObservationSections {
    /** Network traffic per guest (guests without vnics: all zero). */
    readonly net: Readonly<Record<string, GuestNet>>;
  }
}

/** The report's `net` section: traffic per guest and in total, each interface with its flows. */
export interface NetReport {
  readonly guests: Readonly<Record<string, NetStats>>;
  readonly total: NetStats;
  readonly interfaces: Readonly<Record<string, readonly InterfaceSummary[]>>;
}

declare module '../../run/run-scenario.js' {
  interface ReportSections {
    /** Network traffic per guest and in total, and each interface with its ping flows. */
    readonly net: NetReport;
  }
}

/** Sums the network ledgers of `report`. */
export function netOf(report: VnicGuestReport | null): GuestNet {
  if (report === null || report.length === 0) return { stats: NO_NET, interfaces: [] };
  const interfaces = report.map(summary);
  return { stats: totalNet(report.map(statsOf)), interfaces };
}

/** The `net` section. */
export const vnicReport: KindReport<
  unknown,
  VnicGuestReport,
  Readonly<Record<string, GuestNet>>,
  NetReport
> = {
  section: 'net',
  // Every configured ping flow exists and finished (a guest whose vnic is not up yet has none).
  settled: (net, config) => {
    const flows = networkPlan(config).flows;
    return Object.entries(net).every(
      ([g, n]) => n.stats.finishedFlows === flows.filter((f) => f.guest === g).length,
    );
  },
  observe: (guests) => Object.fromEntries(Object.entries(guests).map(([g, r]) => [g, netOf(r)])),
  json: (net) => {
    const guests = Object.fromEntries(Object.entries(net).map(([g, n]) => [g, n.stats]));
    const interfaces = Object.fromEntries(
      Object.entries(net)
        .filter(([, n]) => n.interfaces.length > 0)
        .map(([g, n]) => [g, n.interfaces]),
    );
    return { guests, total: totalNet(Object.values(guests)), interfaces };
  },
  lines: netLines,
};

// One line per ping flow: what was sent, answered and lost, and the round trip.
function netLines(net: NetReport): string[] {
  return Object.entries(net.interfaces).flatMap(([guest, interfaces]) =>
    interfaces.flatMap((i) =>
      i.flows.map((f) => {
        const rtt =
          f.rttAvgMs === null
            ? ''
            : `, rtt avg ${formatMs(f.rttAvgMs)} max ${formatMs(f.rttMaxMs ?? 0)}`;
        return `net   ${guest} ${i.ifname} (${i.segment}) flow ${f.flow} → ${f.to}: ${f.sent} sent, ${f.delivered} answered, ${f.lost} lost${f.duplicates > 0 ? `, ${f.duplicates} DUPLICATE` : ''}${rtt}`;
      }),
    ),
  );
}

// The frame counts come from the IP layer's flow and receiver ledgers (src/check's frame ledger).
function statsOf(r: NetInterfaceReport): NetStats {
  const ip = r.ipStack;
  return {
    ...frameTotals(ip.flows, Object.values(ip.receivers)),
    misdelivered: ip.counts.misdelivered,
    linkDownMs: Math.round(linkDownMsAt(ip.link, r.atMs)),
    ownershipViolations: r.counts.ownershipViolations,
    interfaces: 1,
    linksUp: ip.link.up ? 1 : 0,
    flows: ip.flows.length,
    finishedFlows: ip.flows.filter((f) => f.finished).length,
  };
}

function summary(r: NetInterfaceReport): InterfaceSummary {
  const ip = r.ipStack;
  const flows = ip.flows.map((f) => {
    const spec = ip.pings.find((p) => p.flow === f.flow);
    assert(spec !== undefined, `flow ${f.flow} has its workload`);
    return {
      flow: f.flow,
      to: ipString(f.dstIp),
      sent: f.sent,
      delivered: f.delivered,
      lost: f.lost,
      duplicates: f.duplicates,
      outOfOrder: f.outOfOrder,
      count: spec.count,
      intervalMs: spec.intervalMs,
      timeoutMs: spec.timeoutMs,
      started: f.started,
      finished: f.finished,
      lastDeliveredAtMs: f.lastDeliveredAtMs,
      rttAvgMs: f.rttSamples === 0 ? null : Math.round((f.rttSumMs / f.rttSamples) * 1000) / 1000,
      rttMaxMs: f.rttMaxMs === null ? null : Math.round(f.rttMaxMs * 1000) / 1000,
    };
  });
  return {
    ifname: r.ifname,
    busNo: r.busNo,
    devNo: r.devNo,
    iosp: r.iosp,
    segment: r.segment,
    up: ip.link.up,
    lastLinkUpMs: ip.link.lastLinkUpMs,
    atMs: r.atMs,
    flows,
  };
}
