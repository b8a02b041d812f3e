// One vnic channel as a port of the IOSP's NIC server (spar-protocol.md §4.3 receive posts and
// NET_RCV chains, §4.4.3 phys_info fragments): the guest's posted buffers and the reads and writes
// of its DMA window. nic-server.ts's header gives the choices (posts beyond 64 refused, fragments
// outside the window rejected, a frame that does not fit the posted chain dropped).

import type { Prng } from '../../base/prng.js';
import type { ChannelRecord } from '../../hypervisor/index.js';
import type { Environment } from '../../partition/environment.js';
import type { ServedChannel, ServerTimers } from '../../partition/served-channel.js';
import {
  MAX_NET_RCV_CHAIN,
  PI_PAGE_SIZE,
  RCVPOST_BUF_SIZE,
} from '../../protocol/uiscmdrsp-constants.js';
import type { NetMessage, PhysInfo } from '../../protocol/uiscmdrsp-net.js';
import { VNIC_RCV_PAGES, type VnicPlan } from './network.js';
import { Wire } from './wire.js';

/** Posts a port may hold: the most a driver posts (one per DMA-window receive page). */
const MAX_POSTS = VNIC_RCV_PAGES;

/** A receive buffer the guest posted. */
export interface Post {
  readonly buf: number;
  readonly uniqueNum: number;
  /** Byte offset in the guest's DMA window, and usable length. */
  readonly offset: number;
  readonly len: number;
}

/** One vnic channel, a port of the switch. */
export interface Port extends ServedChannel {
  readonly id: string;
  readonly window: { readonly memory: Uint8Array; readonly address: number };
  /** The MAC the configuration gave this port (port security). */
  readonly mac: number;
  /** The switch segment the port joins. */
  readonly segment: string;
  readonly completion: Prng;
  /** Forwarding times of frames delivered to this port. */
  readonly forwarding: Prng;
  /** Frames on their way to this port, in order. */
  readonly wire: Wire;
  posted: Post[];
  enabled: boolean;
  promisc: boolean;
  /** Frames dropped since the last NET_RCV (`rcvs_dropped_delta`). */
  dropped: number;
}

/**
 * A port on a vnic channel the server has just taken into service (`served`, with its `dma`
 * window); its wire's timers are the server's `timers`.
 */
export function openPort(
  served: ServedChannel,
  dma: NonNullable<ChannelRecord['dma']>,
  env: Environment,
  vnic: Pick<VnicPlan, 'mac' | 'segment'>,
  timers: ServerTimers,
): Port {
  const { id } = served.record;
  return {
    ...served,
    id,
    mac: vnic.mac,
    segment: vnic.segment,
    window: { memory: new Uint8Array(dma.buffer), address: Number(dma.address) },
    completion: env.prng(`nic/${id}`),
    forwarding: env.prng(`switch/${id}`),
    wire: new Wire(env, `switch:${id}`, timers, id),
    posted: [],
    enabled: false,
    promisc: false,
    dropped: 0,
  };
}

/** NET_RCV_POST: the buffer joins the port's posts, unless outside the window or one too many. */
export function takePost(
  port: Port,
  msg: Extract<NetMessage, { kind: 'rcvPost' }>,
): 'ok' | 'outsideWindow' | 'tooMany' {
  const offset = windowOffset(port, msg.frag);
  if (offset === null) return 'outsideWindow';
  if (port.posted.length >= MAX_POSTS) return 'tooMany';
  const len = Math.min(msg.frag.len, RCVPOST_BUF_SIZE);
  port.posted.push({ buf: msg.buf, uniqueNum: msg.uniqueNum, offset, len });
  return 'ok';
}

/** The frame a NET_XMIT's fragments hold, or null if one leaves the window or the lengths differ. */
export function gather(port: Port, frags: readonly PhysInfo[], len: number): Uint8Array | null {
  const frame = new Uint8Array(len);
  let at = 0;
  for (const frag of frags) {
    const offset = windowOffset(port, frag);
    if (offset === null || at + frag.len > len) return null;
    frame.set(port.window.memory.subarray(offset, offset + frag.len), at);
    at += frag.len;
  }
  return at === len ? frame : null;
}

/**
 * `frame` written into the port's oldest posts, as many as it needs (≤ MAX_NET_RCV_CHAIN), which
 * are taken; null (nothing taken) when there are too few, or they are too short for the frame.
 */
export function scatter(port: Port, frame: Uint8Array): Post[] | null {
  const needed = Math.max(1, Math.ceil(frame.length / RCVPOST_BUF_SIZE));
  if (needed > MAX_NET_RCV_CHAIN || port.posted.length < needed) return null;
  const posts = port.posted.slice(0, needed);
  if (posts.reduce((n, p) => n + p.len, 0) < frame.length) return null;
  port.posted.splice(0, needed);
  let at = 0;
  for (const p of posts) {
    const part = frame.subarray(at, at + p.len);
    port.window.memory.set(part, p.offset);
    at += part.length;
  }
  return posts;
}

/** The 14-byte header the guest put in `ethhdr` is the frame's own (the switch routes by it). */
export function sameHeader(frame: Uint8Array, ethhdr: Uint8Array): boolean {
  if (frame.length < 14 || ethhdr.length < 14) return false;
  for (let i = 0; i < 14; i++) if (frame[i] !== ethhdr[i]) return false;
  return true;
}

// The byte offset of a fragment in the port's DMA window, or null if it is not wholly inside.
function windowOffset(port: Port, frag: PhysInfo): number | null {
  const offset = frag.pfn * PI_PAGE_SIZE + frag.off - port.window.address;
  const ok =
    frag.len > 0 &&
    frag.off + frag.len <= PI_PAGE_SIZE &&
    offset >= 0 &&
    offset + frag.len <= port.window.memory.length;
  return ok ? offset : null;
}
