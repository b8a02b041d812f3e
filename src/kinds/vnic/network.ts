// The network a configuration describes (issue "Network path"; spar-protocol.md §4.3, §1.9 vnic
// channel): which switch segment each vnic joins, the MAC and IPv4 address its guest uses, the
// uplinks (an IOSP's physical NIC joined to a segment, with "the outside" behind it), and each
// guest's ping flows. Plain functions of the configuration, shared by both runtimes and the checks.
//
// Choice: each IOSP runs its own virtual switch; a segment is a VLAN-like broadcast domain inside
// it. Two IOSPs' switches are not connected (spar-sim models no wire between physical NICs), so a
// guest reaches another guest only through the same IOSP and segment, and the outside through an
// uplink of its IOSP on its segment. The scenario checks reject a ping that could never be answered.
// Choice: a vnic without `segment` joins its IOSP's first NIC's segment, or `default`.
// Choice: addresses are fixed by configuration order, as an s-Par configuration fixes them: segment
// k (in order of first appearance) is 10.k.0.0/24; its vnics get .1, .2, … in configuration order;
// an uplink's outside host gets .254, .253, … The guest's IP layer uses static addresses (no DHCP).
// Choice: MACs are locally administered 02:53:50:xx:xx:xx ("SP"), vnic n (configuration order,
// from 1) gets 02:53:50:00:00:n; the outside behind uplink n gets 02:53:50:ff:00:n. The IOSP
// writes the vnic's MAC into its channel at init (§1.9), where the guest's driver reads it.
// Choice: each vnic channel has a DMA window (as a vhba's, hardware.ts) of VNIC_DMA_PAGES pages:
// one page per receive buffer (RCVPOST_BUF_SIZE 4032 fits a page), then one per transmit slot.

import type { Config } from '../../hypervisor/config.js';
import type { PingWorkloadConfig } from './scenario.js';
import { PI_PAGE_SIZE } from '../../protocol/uiscmdrsp-constants.js';
import type { Ip, Mac } from './ethernet.js';

/** `num_rcv_bufs` the IOSP announces in a vnic channel (§1.9); ≤ the 64-slot ring. */
export const NUM_RCV_BUFS = 32;
/** `mtu` the IOSP announces. */
export const NIC_MTU = 1500;
/** Transmit slots in the DMA window: the driver's table is never larger (§4.3 flow control). */
export const VNIC_TX_SLOTS = 64;
/** Receive pages (the most receive buffers a driver may post) then transmit pages. */
export const VNIC_RCV_PAGES = 64;
export const VNIC_DMA_PAGES = VNIC_RCV_PAGES + VNIC_TX_SLOTS;
/** Bytes of a vnic channel's DMA window (4 KiB pages, `PI_PAGE_SIZE`). */
export const VNIC_DMA_BYTES = VNIC_DMA_PAGES * PI_PAGE_SIZE;
/** The /24 netmask of every segment. */
export const SEGMENT_NETMASK: Ip = 0xffff_ff00;

const MAC_BASE = 0x02_53_50_00_00_00;
const OUTSIDE_MAC_BASE = 0x02_53_50_ff_00_00;

/** One vnic: where it sits and the addresses its guest uses. */
export interface VnicPlan {
  readonly guest: string;
  readonly busNo: number;
  readonly devNo: number;
  readonly iosp: string;
  readonly segment: string;
  readonly mac: Mac;
  readonly ip: Ip;
  readonly netmask: Ip;
  /** The guest puts the interface in promiscuous mode. */
  readonly promiscuous: boolean;
}

/** An IOSP's physical NIC on a segment, and the outside host behind it. */
export interface UplinkPlan {
  readonly iosp: string;
  readonly nic: string;
  readonly segment: string;
  readonly mac: Mac;
  readonly ip: Ip;
}

/** A ping flow, resolved: the guest's vnic it leaves by and the address it pings. */
export interface PingFlowPlan {
  /** Unique in the run (configuration order, from 1): the ICMP id and the probe tag's flow. */
  readonly flow: number;
  readonly guest: string;
  readonly vnic: VnicPlan;
  readonly to: string;
  readonly dstIp: Ip;
  readonly count: number;
  readonly intervalMs: number;
  readonly frameBytes: number;
  readonly window: number;
  readonly timeoutMs: number;
  readonly startMs: number;
}

/** Every segment, vnic, uplink and flow of a configuration. */
export interface NetworkPlan {
  readonly segments: readonly string[];
  readonly vnics: readonly VnicPlan[];
  readonly uplinks: readonly UplinkPlan[];
  readonly flows: readonly PingFlowPlan[];
  /** Pings that can never be answered: the guest, the workload's index, and why. */
  readonly unreachable: readonly {
    readonly guest: string;
    readonly workload: number;
    readonly reason: string;
  }[];
  /** vnics that get no address of their own (a segment's 10.k.0.0/24 is full, or k > 255). */
  readonly unaddressable: readonly {
    readonly guest: string;
    readonly busNo: number;
    readonly devNo: number;
    readonly reason: string;
  }[];
}

/** The network of `config`. */
export function networkPlan(config: Config): NetworkPlan {
  const placed = config.partitions.flatMap((p) =>
    p.kind !== 'guest'
      ? []
      : p.devices
          .filter((d) => d.channelType === 'vnic')
          .map((d) => ({
            guest: p.name,
            busNo: d.busNo,
            devNo: d.devNo,
            iosp: d.server,
            segment: d.segment ?? defaultSegment(config, d.server),
            promiscuous: d.promiscuous ?? false,
          })),
  );
  const nics = config.partitions.flatMap((p) =>
    p.kind === 'iosp'
      ? (p.hardware?.nics ?? []).map((n) => ({ iosp: p.name, nic: n.name, segment: n.switch }))
      : [],
  );
  const segments: string[] = [];
  for (const s of [...placed.map((v) => v.segment), ...nics.map((n) => n.segment)])
    if (!segments.includes(s)) segments.push(s);
  const subnet = (segment: string): Ip =>
    (((10 << 24) >>> 0) | (segments.indexOf(segment) << 16)) >>> 0;
  const hosts = new Map<string, number>();
  const vnics = placed.map((v, i) => {
    const host = (hosts.get(v.segment) ?? 0) + 1;
    hosts.set(v.segment, host);
    return {
      ...v,
      mac: MAC_BASE + i + 1,
      ip: (subnet(v.segment) | host) >>> 0,
      netmask: SEGMENT_NETMASK,
    };
  });
  const outside = new Map<string, number>();
  const uplinks = nics.map((n, i) => {
    const k = outside.get(n.segment) ?? 0;
    outside.set(n.segment, k + 1);
    return { ...n, mac: OUTSIDE_MAC_BASE + i + 1, ip: (subnet(n.segment) | (254 - k)) >>> 0 };
  });
  const unaddressable = vnics.flatMap((v) => {
    const host = v.ip & 0xff;
    const k = segments.indexOf(v.segment);
    const reason =
      k > 255
        ? `more than 256 segments (${v.segment} is number ${k})`
        : v.ip >>> 8 !== subnet(v.segment) >>> 8 || host > 254 - (outside.get(v.segment) ?? 0)
          ? `segment ${v.segment} has more vnics than its /24 holds beside its uplinks' outside hosts`
          : null;
    return reason === null ? [] : [{ guest: v.guest, busNo: v.busNo, devNo: v.devNo, reason }];
  });
  const flows: PingFlowPlan[] = [];
  const unreachable: { guest: string; workload: number; reason: string }[] = [];
  for (const p of config.partitions) {
    (p.workloads ?? []).forEach((w, workload) => {
      if (w.kind !== 'ping') return;
      const found = resolvePing(p.name, w, vnics, uplinks);
      if (typeof found === 'string') {
        unreachable.push({ guest: p.name, workload, reason: found });
        return;
      }
      flows.push({
        flow: flows.length + 1,
        guest: p.name,
        to: w.to,
        count: w.count,
        intervalMs: w.intervalMs,
        frameBytes: w.frameBytes,
        window: w.window,
        timeoutMs: w.timeoutMs,
        startMs: w.start,
        ...found,
      });
    });
  }
  return { segments, vnics, uplinks, flows, unreachable, unaddressable };
}

/** One guest's share of the plan: its vnics and its flows. */
export interface GuestNetwork {
  readonly vnics: readonly VnicPlan[];
  readonly flows: readonly PingFlowPlan[];
}

/** The vnics and ping flows of `guest`. */
export function guestNetwork(config: Config, guest: string): GuestNetwork {
  const plan = networkPlan(config);
  return {
    vnics: plan.vnics.filter((v) => v.guest === guest),
    flows: plan.flows.filter((f) => f.guest === guest),
  };
}

/** The vnic of `guest` at bus/dev, if it is one. */
export function vnicOf(
  plan: Pick<NetworkPlan, 'vnics'>,
  guest: string,
  busNo: number,
  devNo: number,
): VnicPlan | undefined {
  return plan.vnics.find((v) => v.guest === guest && v.busNo === busNo && v.devNo === devNo);
}

function defaultSegment(config: Config, iosp: string): string {
  return config.partitions.find((p) => p.name === iosp)?.hardware?.nics[0]?.switch ?? 'default';
}

// The guest's first vnic that can reach the target, and the target's address; or why none can.
function resolvePing(
  guest: string,
  w: PingWorkloadConfig,
  vnics: readonly VnicPlan[],
  uplinks: readonly UplinkPlan[],
): { vnic: VnicPlan; dstIp: Ip } | string {
  const mine = vnics.filter((v) => v.guest === guest);
  if (mine.length === 0) return `${guest} has no vnic device`;
  for (const vnic of mine) {
    if (w.to === 'outside') {
      const uplink = uplinks.find((u) => u.iosp === vnic.iosp && u.segment === vnic.segment);
      if (uplink !== undefined) return { vnic, dstIp: uplink.ip };
      continue;
    }
    const target = vnics.find(
      (v) => v.guest === w.to && v.iosp === vnic.iosp && v.segment === vnic.segment,
    );
    if (target !== undefined) return { vnic, dstIp: target.ip };
  }
  return w.to === 'outside'
    ? `no vnic of ${guest} sits on a segment with an uplink of its IOSP (hardware.nics[].switch)`
    : `${w.to} has no vnic on the same IOSP and segment as ${guest}'s vnics (each IOSP's switch is its own; segments do not cross IOSPs)`;
}
