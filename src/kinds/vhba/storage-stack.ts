// One guest's storage stack on one virtual HBA (spar-protocol.md §4.2, §4.6): it performs the
// effects of virthba's IO path, of the SCSI midlayer above it and of the block workloads above
// that, on the vhba channel and the guest's DMA window. Each request carries its data down and
// back (STYLE §12): no table here joins a completion to its request.
//
//   workload.submit ─► midlayer REQUEST {origin, buffer} ─► hba.queue ─► virthba SCSI_QUEUE
//   ─► channel.insertScsi {slot, buffer}: a write's blocks into the slot's DMA buffer, the
//   uiscmdrsp on queue 0, ring the IOSP ─► … ─► IOSP response ─► channel.removeResponse
//   ─► SCSI_RESPONSE ─► scsi.complete {slot, buffer}: a good read's bytes out of the DMA buffer
//   ─► midlayer SCSI_COMPLETE {data} ─► request.done {origin, data} ─► workload REQUEST_DONE.
//
// virthba's host protocol (virthba.logic.ts): an insert is answered only when it fails; a removal
// with the message and `more`, or RESPONSES_EMPTY when it found nothing.
// Choice: the receive thread (receive-thread.ts) takes timed wake-ups only while commands are at
// the IOSP: it answers only what it was sent and rings with every answer, so an idle drain could
// only find an empty ring (DESIGN "Time, polling": such polls may be skipped).

import type { ActorRefFrom, AnyActorRef } from 'xstate';
import type { blockWorkloadMachine } from '../../../machines/block-workload.machine.js';
import type { BlockWorkloadInput } from '../../../machines/block-workload.logic.js';
import type { scsiMidlayerMachine } from '../../../machines/scsi-midlayer.machine.js';
import { scsiMidlayerSystemId } from '../../../machines/scsi-midlayer.logic.js';
import type { VirthbaIoEmitted } from '../../../machines/virthba.logic.js';
import type { VirthbaContext } from '../../../machines/virthba.types.js';
import { ResetLedger } from './reset-ledger.js';
import {
  Channel,
  type ChannelError,
  type Doorbell,
  type SignalQueue,
} from '../../channel/index.js';
import type { ChannelRecord } from '../../hypervisor/index.js';
import { BlockHistoryRecorder, type SharedWorkload } from './block-history.js';
import type { WorkloadJournal } from './workload-journal.js';
import { doorbellOf } from '../../hypervisor/index.js';
import { DMA_SLOT_BYTES } from './hardware.js';
import {
  IOCHAN_FROM_IOPART,
  IOCHAN_TO_IOPART,
  SIZEOF_CMDRSP,
} from '../../protocol/uiscmdrsp-constants.js';
import { encodeScsiCommand, encodeTaskMgmt } from '../../protocol/uiscmdrsp-scsi.js';
import { assert } from '../../base/assert.js';
import type { Binding } from '../../partition/binding.js';
import { ReceiveThread } from '../../partition/receive-thread.js';
import { ChannelQuarantine, isChannelError } from '../../partition/channel-quarantine.js';
import { responseEvent, writeBuffer } from './hba-messages.js';
import { virtpciDriverSystemId } from '../../../machines/virtpci-driver.logic.js';
import type { StackHost } from '../kind.js';
import { StructView } from '../../base/struct.js';
import { visorIoChannel } from '../../protocol/iochannel-layout.js';
import type { ScsiMidlayerEmitted } from '../../../machines/scsi-midlayer.types.js';
import { VHBA_CHANNEL } from './channel.js';
import {
  noDiskInquiry,
  SCAN_INQUIRY_BYTES,
  SCAN_READ_BLOCK_BYTES,
  type ScanRequest,
  TargetScan,
} from './target-scan.js';

export type { HbaHeld, StorageReport } from './storage-report.js';
import type { StorageReport } from './storage-report.js';

/** `origin.workload` of the scan's requests, by op (a disk name has no space: schema-parts.ts). */
const SCAN_ORIGIN = { inquiry: 'scan inquiry', read: 'scan read' } as const;

/** The storage stack of one vhba device. */
export class StorageStack {
  private midlayerRef: ActorRefFrom<typeof scsiMidlayerMachine> | null = null;
  private readonly midlayerId: string;
  private readonly commands: SignalQueue;
  private readonly responses: SignalQueue;
  private readonly dma: { readonly buffer: SharedArrayBuffer; readonly address: bigint };
  private readonly slot = new Uint8Array(SIZEOF_CMDRSP);
  /** Tags of the commands at the IOSP: the receive thread's timed wake-ups run while any are. */
  private readonly atIosp = new Set<number>();
  /** Each workload by name: where a request's answer goes (`origin.workload`). */
  private readonly workloads = new Map<string, ActorRefFrom<typeof blockWorkloadMachine>>();
  /** Each workload's timed history by name (block-history.ts). */
  private readonly histories = new Map<string, BlockHistoryRecorder>();
  private removed = false;
  private readonly resets = new ResetLedger();
  private nextRequestId = 1;
  private scan: TargetScan | null = null;
  private readonly thread: ReceiveThread;
  private readonly bell: Doorbell;
  private readonly channel: ChannelRecord;
  private readonly view: Channel;
  private readonly quarantine: ChannelQuarantine;

  constructor(
    private readonly host: StackHost,
    private readonly virthba: AnyActorRef,
    channel: ChannelRecord,
    private readonly busNo: number,
    private readonly devNo: number,
    private readonly workloadPlans: readonly SharedWorkload[],
    private readonly journal: WorkloadJournal | null = null,
  ) {
    this.channel = channel;
    const attached = Channel.attachAs(channel.buffer, VHBA_CHANNEL);
    // A guest probes a vhba only after the IOSP made it ready, so it validates; if a hostile
    // IOSP broke it since, the stack's queue operations return typed errors and do nothing.
    if (!attached.ok) throw new Error(`${channel.id}: ${attached.error.message}`);
    this.view = attached.value;
    const actor = virtpciDriverSystemId('virthba', { partition: host.partition, busNo, devNo });
    this.quarantine = new ChannelQuarantine(host.env, host.partition, actor, channel.id);
    this.commands = attached.value.queue(IOCHAN_TO_IOPART);
    this.responses = attached.value.queue(IOCHAN_FROM_IOPART);
    if (channel.dma === undefined)
      throw new Error(`${channel.id}: a vhba channel has a DMA window`);
    this.dma = channel.dma;
    this.midlayerId = scsiMidlayerSystemId({ partition: host.partition, busNo, devNo });
    this.bell = doorbellOf(channel);
    const label = `vhba-poll:${busNo}:${devNo}`;
    this.thread = new ReceiveThread(
      host.env,
      this.bell,
      virthba,
      label,
      () => this.atIosp.size > 0,
    );
  }

  /** virthba's IO effects, as this stack performs them (its control effects are the bus's). */
  binding(): Binding<VirthbaIoEmitted> {
    return {
      'channel.insertScsi': (e) => this.insertScsi(e),
      'channel.insertTaskMgmt': (e) => this.insertTaskMgmt(e),
      'channel.removeResponse': () => this.removeResponse(),
      'scsi.complete': (e) => this.complete(e),
      'taskmgmt.complete': ({ tag, outcome }) => {
        this.atIosp.delete(tag);
        this.midlayer().send({ type: 'TASKMGMT_COMPLETE', tag, outcome });
      },
      'scsi.blockRequests': () => this.midlayer().send({ type: 'HOST_BLOCKED' }),
      'scsi.unblockRequests': () => this.midlayer().send({ type: 'HOST_UNBLOCKED' }),
    };
  }

  /** virthba probed: the SCSI host (the midlayer) registers and the workloads start. */
  start(): void {
    const { busNo, devNo, midlayerId: systemId } = this;
    const input = { partition: this.host.partition, busNo, devNo };
    this.host.guest.send({ type: 'START_LAYER', module: 'scsi-midlayer', systemId, input });
    this.midlayerRef = this.host.bind<typeof scsiMidlayerMachine>(systemId, {
      'hba.queue': ({ id, tag, cdb, dataDir, bufflen, vdest, buffer }) => {
        this.resets.queued(id, tag);
        this.virthba.send({ type: 'SCSI_QUEUE', tag, cdb, dataDir, bufflen, vdest, buffer });
      },
      'hba.taskMgmt': ({ id, tag, tasktype, vdest }) => {
        this.resets.escalated(id);
        this.virthba.send({ type: 'TASK_MGMT', tag, tasktype, vdest });
      },
      'request.done': (done) => {
        this.resets.done(done.id, !done.ok && done.reason === 'retriesExhausted');
        if (this.scanAnswered(done)) return;
        const data = done.ok ? done.data : undefined;
        const answer = { type: 'REQUEST_DONE', id: done.origin.id, ok: done.ok } as const;
        const workload = this.workloads.get(done.origin.workload);
        const now = this.host.env.now();
        this.histories.get(done.origin.workload)?.answered(answer.id, now, done.ok, data);
        workload?.send(data === undefined ? answer : { ...answer, data });
      },
    });
    // The adapter's `max_id` as the IOSP published it, read at probe (§4.2 Probe).
    const maxId = Number(
      StructView.at(visorIoChannel, this.channel.buffer, 0).get('vhba.max.max_id'),
    );
    this.scan = new TargetScan(this.channel.serverPartition, maxId, (q) => this.askScan(q));
    this.scan.start();
    for (const w of this.workloadPlans) this.startWorkload(w);
  }

  // A scan question as a midlayer request; its origin carries the target id back.
  private askScan({ id, op }: ScanRequest): void {
    const target = { channel: 0, id, lun: 0 };
    const origin = { workload: SCAN_ORIGIN[op], id };
    const size =
      op === 'inquiry'
        ? { lba: 0, blocks: 1, blockSize: SCAN_INQUIRY_BYTES }
        : { lba: 0, blocks: 1, blockSize: SCAN_READ_BLOCK_BYTES };
    const request = { id: this.nextRequestId++, op, ...size, version: null, target, origin };
    this.midlayer().send({ type: 'REQUEST', ...request });
  }

  // Whether `done` answers a scan request (then the scan takes it).
  private scanAnswered(done: Extract<ScsiMidlayerEmitted, { type: 'request.done' }>): boolean {
    const { workload, id } = done.origin;
    const op =
      workload === SCAN_ORIGIN.inquiry ? 'inquiry' : workload === SCAN_ORIGIN.read ? 'read' : null;
    if (op === null || this.scan === null) return false;
    const answer = done.ok
      ? done.data === undefined
        ? { ok: true as const }
        : { ok: true as const, data: done.data }
      : done.linuxstat === undefined
        ? { ok: false as const }
        : { ok: false as const, linuxstat: done.linuxstat };
    this.scan.answered({ id, op }, answer);
    return true;
  }

  /** The guest stopped: no more polls or doorbell listening (its actors are gone already). */
  detach(): void {
    this.thread.stop();
  }

  /** The workloads' ledgers and the live midlayer's counts: plain data for the run's report. */
  report(): StorageReport {
    const workloads = [...this.workloads.values()].map((w) => {
      const { value, context } = w.getSnapshot();
      const { name, counts, lbas, nextVersion } = context;
      const h = this.histories.get(name);
      const outstandingSinceMs = h?.outstandingSinceMs() ?? [];
      const history = h?.history() ?? [];
      const finished = value === 'finished';
      return { name, finished, counts, lbas, nextVersion, outstandingSinceMs, history };
    });
    const live = this.removed || this.midlayerRef === null ? [] : [this.midlayerRef];
    const midlayers = live.map((m) => m.getSnapshot().context.counts);
    const scans = this.scan === null ? [] : [this.scan.report()];
    const hbas = live.map((m) => ({
      held: (this.virthba.getSnapshot().context as VirthbaContext).slots.filter((s) => s !== null)
        .length,
      live: m.getSnapshot().context.requests.length,
    }));
    const resets = this.resets.report();
    return { workloads, midlayers, scans, resets, hbas, atMs: this.host.env.now() };
  }

  /** The device is gone (virthba removed): the SCSI host goes with it. */
  remove(): void {
    this.removed = true;
    this.detach();
    this.midlayer().send({ type: 'HOST_REMOVED' });
    this.host.guest.send({ type: 'LAYER_GONE', systemId: this.midlayerId });
  }

  private midlayer(): ActorRefFrom<typeof scsiMidlayerMachine> {
    assert(this.midlayerRef !== null, `${this.midlayerId} is not started`);
    return this.midlayerRef;
  }

  private startWorkload(w: SharedWorkload): void {
    const systemId = `${this.host.partition}/block-workload:${w.disk}`;
    const prng = this.host.env.prng(`workload/${w.disk}`);
    const seedWords = Array.from({ length: 3 * w.ops }, () => prng.int(0, 0x7fff_ffff));
    const prior = this.journal?.history(w.disk);
    const history = new BlockHistoryRecorder(w.blockSize, w.sharing.withHistory, prior);
    this.histories.set(w.disk, history);
    // Writers of one disk take disjoint versions (block-history.ts `writerSlot`).
    const slot = w.sharing.writer;
    const input: BlockWorkloadInput = {
      partition: this.host.partition,
      name: w.disk,
      queueDepth: w.queueDepth,
      blocks: w.blocks,
      blockSize: w.blockSize,
      ops: w.ops,
      writeFraction: { numerator: Math.round(w.writeFraction * 1000), denominator: 1000 },
      seedWords,
      maxBlocksPerRequest: Math.min(w.maxBlocks, Math.floor(DMA_SLOT_BYTES / w.blockSize)),
      ...(slot.count > 1 ? { firstVersion: slot.index + 1, versionStep: slot.count } : {}),
      ...this.journal?.input(w.disk),
    };
    this.host.guest.send({ type: 'START_LAYER', module: 'block-workload', systemId, input });
    const workload = this.host.bind<typeof blockWorkloadMachine>(systemId, {
      // Numbered here: ids are unique among the midlayer's live requests whichever workload asks.
      'workload.submit': ({ name, id, op, lba, blocks, blockSize, version }) => {
        history.submitted(id, this.host.env.now(), { op, lba, blocks, version });
        const origin = { workload: name, id };
        const request = { id: this.nextRequestId++, op, lba, blocks, blockSize, version };
        this.midlayer().send({ type: 'REQUEST', ...request, target: w.vdest, origin });
      },
      'workload.verified': () => {},
      'workload.done': () => {},
      'workload.finished': () => {},
    });
    this.workloads.set(w.disk, workload);
    this.journal?.follow(w.disk, workload, history);
    const delay = Math.max(0, w.start - this.host.env.now());
    const begin = () => workload.send({ type: 'START' });
    this.host.env.schedule(delay, `workload-start:${w.disk}`, begin);
  }

  private insertScsi(e: Extract<VirthbaIoEmitted, { type: 'channel.insertScsi' }>): void {
    const { slot, tag, bufflen, buffer } = e;
    if (this.corrupt(this.view.check())) return;
    const offset = slot * DMA_SLOT_BYTES;
    let ok = bufflen <= DMA_SLOT_BYTES && offset + DMA_SLOT_BYTES <= this.dma.buffer.byteLength;
    if (ok && buffer.version !== null) writeBuffer(this.dma.buffer, offset, buffer, buffer.version);
    if (ok) {
      const address = this.dma.address + BigInt(offset);
      const gpiList = bufflen === 0 ? [] : [{ address, length: BigInt(bufflen) }];
      const command = { handle: BigInt(slot), cdb: Uint8Array.from(e.cdb), bufflen };
      const bytes = encodeScsiCommand({ ...command, dataDir: e.dataDir, vdest: e.vdest, gpiList });
      const outcome = this.commands.insert(bytes);
      if (this.corrupt(outcome)) return; // virthba's quarantine walk fails this command too
      ok = outcome === 'inserted';
    }
    if (!ok) {
      this.virthba.send({ type: 'INSERT_FAILED', slot, tag });
      return;
    }
    this.atIosp.add(tag);
    this.host.env.ring(this.bell, 'server');
    this.thread.arm(); // timed wake-ups while commands are at the IOSP (see the header)
  }

  private insertTaskMgmt(e: Extract<VirthbaIoEmitted, { type: 'channel.insertTaskMgmt' }>): void {
    const { slot, tag, tasktype, vdest } = e;
    const handle = BigInt(slot);
    const notify = { notifyHandle: BigInt(slot + 1), notifyResultHandle: BigInt(slot + 1) };
    const bytes = encodeTaskMgmt({ tasktype, vdest, handle, ...notify });
    const outcome = this.corrupt(this.view.check()) ? null : this.commands.insert(bytes);
    if (outcome === null || this.corrupt(outcome)) return;
    if (outcome !== 'inserted') {
      this.virthba.send({ type: 'INSERT_FAILED', slot, tag });
      return;
    }
    this.atIosp.add(tag); // its answer is awaited like a command's (the receive thread polls)
    this.host.env.ring(this.bell, 'server');
    this.thread.arm();
  }

  private removeResponse(): void {
    if (this.corrupt(this.view.check())) return;
    const outcome = this.responses.remove(this.slot);
    if (this.corrupt(outcome)) return;
    if (outcome !== 'removed') {
      this.virthba.send({ type: 'RESPONSES_EMPTY' });
      return;
    }
    // Read right after the removal. A response the IOSP adds after this check rings the doorbell,
    // and the CHANNEL_INTERRUPT it brings is taken after this event has ended the drain, so it
    // starts a new one. A queue error (hostile memory) counts as empty here; the next removal
    // finds it and quarantines the channel.
    const more = this.responses.isEmpty() === false;
    const message = responseEvent(this.slot, more);
    if (isChannelError(message)) this.corrupt(message);
    else this.virthba.send(message);
  }

  // Quarantines the channel on a typed channel error (channel-quarantine.ts): the receive thread
  // stops, and virthba fails every pending and later command. True when `outcome` is one.
  private corrupt(outcome: ChannelError | string | boolean | number | null): boolean {
    if (!isChannelError(outcome)) return false;
    if (this.quarantine.enter(outcome)) {
      this.thread.stop();
      this.atIosp.clear();
      const { code, message } = outcome;
      this.virthba.send({ type: 'CHANNEL_CORRUPT', code, message });
    }
    return true;
  }

  // A completion leaves virthba: a good read's bytes are copied out of the slot's DMA buffer now,
  // before the slot can be reused.
  private complete(e: Extract<VirthbaIoEmitted, { type: 'scsi.complete' }>): void {
    this.atIosp.delete(e.tag);
    this.resets.completed(e.tag, e.outcome === 'busy' ? null : e.linuxstat);
    const midlayer = this.midlayer();
    if (e.outcome === 'busy') {
      midlayer.send({ type: 'SCSI_COMPLETE', tag: e.tag, outcome: 'busy' });
      return;
    }
    const { tag, linuxstat, sense, noDiskResult, slot, buffer } = e;
    const done = {
      type: 'SCSI_COMPLETE',
      tag,
      outcome: 'done',
      linuxstat,
      sense,
      noDiskResult,
    } as const;
    if (linuxstat === 0 && noDiskResult) {
      // The guest's own answer for an address with no disk (§4.2), cut to the buffer.
      const bytes = buffer.blocks * buffer.blockSize;
      midlayer.send({ ...done, data: noDiskInquiry(0).slice(0, bytes) });
      return;
    }
    if (linuxstat !== 0 || buffer.version !== null) {
      midlayer.send(done);
      return;
    }
    const start = slot * DMA_SLOT_BYTES;
    const end = start + buffer.blocks * buffer.blockSize;
    midlayer.send({
      ...done,
      outcome: 'done',
      data: new Uint8Array(this.dma.buffer.slice(start, end)),
    });
  }
}
