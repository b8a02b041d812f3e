// The protocol between virtnic and its host (spar-protocol.md §4.3 visornic under the Era A names
// of §4.7; §4.4.4 correlation; §7 timers): constants, quirks, input, context, the events the host
// sends and the effects it performs. The rules are in virtnic.logic.ts and virtnic.steps.ts; the
// statechart in virtnic.machine.ts.

import type { FrameSpec } from '../src/kinds/vnic/ethernet.js';
import type {
  VirtpciDriverContext,
  VirtpciDriverEmitted,
  VirtpciDriverEvent,
  VirtpciDriverInput,
  VirtpciDriverQuirks,
} from './virtpci-driver.logic.js';
import { NO_VIRTPCI_DRIVER_QUIRKS } from './virtpci-driver.logic.js';

/**
 * Choice: `num_rcv_bufs` is clamped to 1..64 (MIN_NUMSIGNALS, the slots of the ring the posts go
 * into, §4.4.1), so a hostile channel cannot make the driver allocate a huge table.
 */
export const NUM_RCV_BUFS_MIN = 1;
export const NUM_RCV_BUFS_MAX = 64;
/** The netdev watchdog, `5 * HZ` (§4.3 TX timeout, §7), and its delayed event's id. */
export const TX_TIMEOUT_MS = 5000;
export const TX_WATCHDOG_ID = 'txWatchdog';
/** Era A's retry period for a message inserted with OK_TO_WAIT (§7), and its delayed event's id. */
export const CONTROL_RETRY_MS = 10;
export const CONTROL_RETRY_ID = 'controlRetry';
/** The qdisc's length: Linux's default txqueuelen (frames). */
export const QDISC_LIMIT = 1000;
/** The id of the delayed QDISC_RUN (net_tx_action after netif_wake_queue). */
export const QDISC_RUN_ID = 'qdiscRun';
/** `IFF_PROMISC`, the `enbdis.enable` of a NET_RCV_PROMISC that turns it on (§4.3). */
export const IFF_PROMISC = 0x100;
/** Pseudo skb addresses: BUF_BASE + n × BUF_STRIDE (safe integers for 2^47 buffers). */
export const BUF_BASE = 0x1_0000_0000;
export const BUF_STRIDE = 64;

/** virtnic's quirks: the shared ones plus its seeded recovery bug. */
export interface VirtnicQuirks extends VirtpciDriverQuirks {
  /**
   * Quirk (seeded, netfront-style canary): the pause keeps the transmit list and the queue, and
   * resume re-inserts every listed transmit, so a switched frame whose XMIT_DONE was lost goes twice.
   */
  readonly xmitAfterTeardown: boolean;
}

/** All virtnic quirks off. */
export const NO_VIRTNIC_QUIRKS: VirtnicQuirks = {
  ...NO_VIRTPCI_DRIVER_QUIRKS,
  xmitAfterTeardown: false,
};

/** virtnic's input: the driver input plus the watchdog and the incarnation id. */
export interface VirtnicInput extends VirtpciDriverInput {
  readonly quirks?: Partial<VirtnicQuirks>;
  /** Milliseconds without transmit progress before the TX reset (default 5000). */
  readonly txTimeoutMs?: number;
  /** `rcvpost.unique_num` (default: `busNo × 0x10000 + devNo`, see `incarnationOf`). */
  readonly incarnationId?: number;
}

/** A frame handed to the interface (our skb): the IP layer's id, its length and its contents. */
export interface VirtnicFrame {
  readonly id: number;
  /** The frame's own length in bytes (the host pads frames shorter than 60 when it writes them). */
  readonly len: number;
  readonly frame: FrameSpec;
}

/** One unacknowledged transmit: the frame and the buf it went out with. */
export interface VirtnicXmit extends VirtnicFrame {
  readonly buf: number;
}

/** A control message inserted with OK_TO_WAIT (§7): NET_RCV_ENBDIS or NET_RCV_PROMISC. */
export type ControlMessage =
  | { readonly kind: 'enbdis'; readonly enable: 0 | 1 }
  | { readonly kind: 'promisc'; readonly enable: 0 | typeof IFF_PROMISC };

/**
 * A message waiting for queue 0 in ring order: the head is always a control message (being
 * inserted, or waiting for room); receive posts made meanwhile wait behind it.
 */
export type RingEntry =
  | { readonly kind: 'control'; readonly message: ControlMessage }
  | { readonly kind: 'post'; readonly index: number; readonly buf: number };

/**
 * The counters, named after visornic's stats (§4.3) where it has one. Transmit: `sentXmit` /
 * `gotXmitDone` (sent_xmit, got_xmit_done counting matched completions; both reset by a pause),
 * `xmitFail` (result ≠ 0), `unknownXmitDone`, `txDropped` (ndo_start_xmit's drops, all reasons),
 * `busyCnt` (server down), `rejectCount` (max_outstanding), `xmitInsertFailed`,
 * `staleXmitInsertFailures`, `txDiscarded` (by close, pause, reset, remove), `flowControlUpperHits`
 * / `…LowerHits` (queue stopped / woken by the thresholds). Qdisc: `qdiscDrops` (tail drops at
 * QDISC_LIMIT), `qdiscPurged` (frames the close path threw away). Receive: `sentPost` (a failed
 * post is taken back), `sentPostFailed`, `stalePostFailures`, `extraRcvbufsSent` (top-up posts),
 * `buffersFreed`, `gotRcv`, `rxPackets` / `rxBytes` (delivered), `rxDropped` (all reasons),
 * `nRcvPacketsNotAccepted` (filter), `foundRepostRcvbufCnt` (head buffer found), `nRepostDeficit`
 * (a returned buffer the table did not hold), `badRcvBuf` (the head buffer it did not hold).
 * Control: `sentEnbdis`, `gotEnbdisAck`, `unexpectedEnbdisAcks` (none was owed), `sentPromisc`,
 * `controlInsertRetries` (a control message found the ring full), `staleControlAnswers`,
 * `gotConnectStatus`, `txTimeouts`, `abandonedResponses` (taken while not running),
 * `otherResponses`.
 */
export const VIRTNIC_COUNT_NAMES = [
  'sentXmit',
  'gotXmitDone',
  'xmitFail',
  'unknownXmitDone',
  'txDropped',
  'busyCnt',
  'rejectCount',
  'xmitInsertFailed',
  'staleXmitInsertFailures',
  'txDiscarded',
  'flowControlUpperHits',
  'flowControlLowerHits',
  'qdiscDrops',
  'qdiscPurged',
  'sentPost',
  'sentPostFailed',
  'stalePostFailures',
  'extraRcvbufsSent',
  'buffersFreed',
  'gotRcv',
  'rxPackets',
  'rxBytes',
  'rxDropped',
  'nRcvPacketsNotAccepted',
  'foundRepostRcvbufCnt',
  'nRepostDeficit',
  'badRcvBuf',
  'sentEnbdis',
  'gotEnbdisAck',
  'unexpectedEnbdisAcks',
  'sentPromisc',
  'controlInsertRetries',
  'staleControlAnswers',
  'gotConnectStatus',
  'txTimeouts',
  'abandonedResponses',
  'otherResponses',
] as const;

/** Counters of the IO path (plain numbers, for traces and checkers). */
export type VirtnicCounts = { readonly [K in (typeof VIRTNIC_COUNT_NAMES)[number]]: number };

/** All counters zero. */
export const ZERO_VIRTNIC_COUNTS = Object.fromEntries(
  VIRTNIC_COUNT_NAMES.map((n) => [n, 0]),
) as VirtnicCounts;

/**
 * virtnic's context: the shared driver context plus the interface, the tables and counters.
 * `uniqueNum` is `incarnation_id` (`rcvpost.unique_num`). `mac`, `mtu`, `numRcvBufs` (clamped) and
 * the thresholds (`max_outstanding_net_xmits`, upper, lower) come from CHANNEL_CONFIG
 * (`configured`). `open` is IFF_UP (ndo_open, not yet ndo_stop; kept across outages);
 * `channelOpen`: buffers posted and ENBDIS(1) sent, no teardown since. `enabled`/`enbdisAcked` are
 * visornic's `enabled`/`enab_dis_acked`; `awaitingEnbdisAck`: an open, resume or reset waits for
 * the ack to bring the link up; `enbdisAcksOwed`: ENBDIS sent on the live ring, not yet acked.
 * `carrier`/`queueRunning`: `netif_carrier_ok` / `!netif_queue_stopped`; `promisc`: IFF_PROMISC.
 * `rcvbufs[index]` (`rcvbuf[]`) holds the buf posted for receive buffer `index`, or null while the
 * buffer is the guest's; `xmits[slot]` (`xmitbufhead`) the transmit in the host's tx DMA buffer
 * `slot`, or null. `qdisc`: frames held while the queue is stopped, oldest first;
 * `qdiscRunPending`: a QDISC_RUN is raised or scheduled. `ringWait`: messages waiting for queue 0
 * in ring order; `controlAttempt`: the seq of the head's insert the host has not answered yet
 * (null: none; a retry is then scheduled while `ringWait` is not empty); `nextControlSeq`.
 * `nextBufSeq`: the n of the next buf. `draining`: a `channel.removeResponse` is unanswered.
 * `txWatchdogArmed`: a TX_TIMEOUT is scheduled under TX_WATCHDOG_ID.
 */
export interface VirtnicContext extends VirtpciDriverContext {
  readonly quirks: VirtnicQuirks;
  readonly txTimeoutMs: number;
  readonly uniqueNum: number;
  readonly configured: boolean;
  readonly mac: number;
  readonly mtu: number;
  readonly numRcvBufs: number;
  readonly maxOutstanding: number;
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
  readonly open: boolean;
  readonly channelOpen: boolean;
  readonly enabled: boolean;
  readonly enbdisAcked: boolean;
  readonly awaitingEnbdisAck: boolean;
  readonly enbdisAcksOwed: number;
  readonly carrier: boolean;
  readonly queueRunning: boolean;
  readonly promisc: boolean;
  readonly rcvbufs: readonly (number | null)[];
  readonly xmits: readonly (VirtnicXmit | null)[];
  readonly qdisc: readonly VirtnicFrame[];
  readonly qdiscRunPending: boolean;
  readonly ringWait: readonly RingEntry[];
  readonly controlAttempt: number | null;
  readonly nextControlSeq: number;
  readonly nextBufSeq: number;
  readonly draining: boolean;
  readonly txWatchdogArmed: boolean;
  readonly counts: VirtnicCounts;
}

/** Where a received frame was addressed, as `eth_type_trans` classifies it (host's decode). */
export type RcvDest = 'host' | 'broadcast' | 'multicast' | 'other';

/** What every response event says about the ring besides its message. */
export interface RemovedResponse {
  /** Queue 1 still held a message right after this removal: the drain asks for the next one. */
  readonly more: boolean;
}

/** NET_RCV: a frame landed in posted buffers `rcvbufs` (chain order); `buf` = `net.buf`. */
export interface RcvEvent extends RemovedResponse {
  readonly type: 'RCV';
  readonly buf: number;
  readonly rcvbufs: readonly number[];
  readonly len: number;
  readonly dest: RcvDest;
}

/** One message removed from queue 1 by `channel.removeResponse`. */
export type VirtnicResponseEvent =
  | RcvEvent
  | (RemovedResponse & {
      readonly type: 'XMIT_DONE';
      readonly buf: number;
      readonly result: number;
    })
  | (RemovedResponse & { readonly type: 'ENBDIS_ACK' })
  | (RemovedResponse & { readonly type: 'CONNECT_STATUS'; readonly enable: number })
  | (RemovedResponse & { readonly type: 'OTHER_RESPONSE' });

/** virtnic's events: the driver entry points, the netdev calls, the host's answers. */
export type VirtnicEvent =
  | VirtpciDriverEvent
  /** What probe reads from the channel (sent by the host right after PROBE). */
  | {
      readonly type: 'CHANNEL_CONFIG';
      readonly mac: number;
      readonly numRcvBufs: number;
      readonly mtu: number;
    }
  /** ndo_open / ndo_stop. */
  | { readonly type: 'OPEN' }
  | { readonly type: 'CLOSE' }
  /** dev_queue_xmit of the IP layer's frame: into the qdisc, and on to ndo_start_xmit. */
  | ({ readonly type: 'XMIT' } & VirtnicFrame)
  /** Internal (raised, or delayed under QDISC_RUN_ID): the qdisc hands its head to the driver. */
  | { readonly type: 'QDISC_RUN' }
  /** ndo_set_rx_mode with IFF_PROMISC `on`. */
  | { readonly type: 'SET_PROMISC'; readonly on: boolean }
  /** The host could not insert the post of `buf` for buffer `index`. */
  | { readonly type: 'POST_FAILED'; readonly index: number; readonly buf: number }
  /** The host could not insert the transmit of `buf` (ring full). */
  | { readonly type: 'XMIT_INSERT_FAILED'; readonly buf: number }
  /** The host's answer to the control insert `seq`: in the ring, or the ring was full. */
  | { readonly type: 'CONTROL_INSERTED'; readonly seq: number }
  | { readonly type: 'CONTROL_RING_FULL'; readonly seq: number }
  /** Internal, delayed (id CONTROL_RETRY_ID): try the waiting control message again. */
  | { readonly type: 'CONTROL_RETRY' }
  | VirtnicResponseEvent
  /** The removal found queue 1 empty: the drain ends. */
  | { readonly type: 'RESPONSES_EMPTY' }
  /** Internal, delayed (id TX_WATCHDOG_ID): no transmit progress for `txTimeoutMs`. */
  | { readonly type: 'TX_TIMEOUT' };

/** The device an IO effect concerns. */
export interface NetAt {
  readonly partition: string;
  readonly busNo: number;
  readonly devNo: number;
}

/** Why ndo_start_xmit (or the qdisc in front of it) dropped a frame (§4.3 order). */
export type TxDropReason = 'qdiscFull' | 'serverDown' | 'runt' | 'maxOutstanding' | 'insertFailed';
/** Why a received frame was not delivered (§4.3 NET_RCV row). */
export type RxDropReason = 'notEnabled' | 'badLength' | 'badChain' | 'badRcvBuf' | 'notAccepted';

/**
 * Effects of virtnic's IO path, performed by the host synchronously after the transition. A
 * control insert (`net.enbdis`, `net.promisc` the first time, `net.controlRetry` after a full
 * ring) is always answered: CONTROL_INSERTED or CONTROL_RING_FULL with its `seq`.
 */
export type VirtnicIoEmitted =
  | ({
      readonly type: 'net.postRcv';
      readonly index: number;
      readonly buf: number;
      readonly uniqueNum: number;
    } & NetAt)
  | ({ readonly type: 'net.insertXmit'; readonly slot: number } & VirtnicXmit & NetAt)
  | ({ readonly type: 'net.enbdis'; readonly enable: 0 | 1; readonly seq: number } & NetAt)
  | ({
      readonly type: 'net.promisc';
      readonly enable: 0 | typeof IFF_PROMISC;
      readonly seq: number;
    } & NetAt)
  | ({
      readonly type: 'net.controlRetry';
      readonly message: ControlMessage;
      readonly seq: number;
    } & NetAt)
  | ({ readonly type: 'channel.removeResponse' } & NetAt)
  | ({
      readonly type: 'net.deliver';
      readonly indexes: readonly number[];
      readonly len: number;
    } & NetAt)
  | ({
      readonly type: 'net.rxDropped';
      readonly reason: RxDropReason;
      readonly len: number;
    } & NetAt)
  | ({ readonly type: 'net.txDone'; readonly id: number; readonly ok: boolean } & NetAt)
  | ({ readonly type: 'net.txDropped'; readonly id: number; readonly reason: TxDropReason } & NetAt)
  | ({ readonly type: 'net.txDiscarded'; readonly ids: readonly number[] } & NetAt)
  | ({ readonly type: 'net.carrier'; readonly on: boolean } & NetAt)
  | ({ readonly type: 'net.txQueue'; readonly running: boolean } & NetAt)
  | ({ readonly type: 'net.buffersFreed'; readonly indexes: readonly number[] } & NetAt);

/** Everything virtnic emits. */
export type VirtnicEmitted = VirtpciDriverEmitted | VirtnicIoEmitted;

/** What the machine does with a timer after a step. */
export type TimerAction = 'keep' | 'arm' | 'disarm';

/**
 * A step's outcome: the next context, the effects in order, and the delayed events to start or
 * stop: the watchdog, the control retry, the qdisc run (`now`: raised within this macrostep;
 * `next`: sent to itself, behind the host's answers; `later`: delayed under QDISC_RUN_ID, replacing
 * any pending one; `cancel`: the delayed one goes).
 */
export interface NicStep {
  readonly context: VirtnicContext;
  readonly effects: readonly VirtnicIoEmitted[];
  readonly watchdog: TimerAction;
  readonly controlRetry: TimerAction;
  readonly qdiscRun: 'keep' | 'now' | 'next' | 'later' | 'cancel';
}
