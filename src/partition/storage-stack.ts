// One guest's storage stack on one virtual HBA (spar-protocol.md §4.2, §4.6; issue "the guest's
// SCSI midlayer and a block workload"): the effects of virthba's IO path, of the SCSI midlayer
// above it and of the block workloads above that, performed on the vhba channel and the guest's
// DMA window. Machines decide; this file moves commands, responses and data:
//
//   workload.submit ─► midlayer REQUEST ─► hba.queue ─► virthba SCSI_QUEUE ─► channel.insertScsi
//   (write data into the slot's DMA buffer, encode the uiscmdrsp, insert on queue 0, ring the IOSP)
//   IOSP response ─► channel.removeResponse ─► SCSI_RESPONSE ─► scsi.complete (read data out of
//   the DMA buffer) ─► midlayer SCSI_COMPLETE ─► request.done ─► workload REQUEST_DONE.
//
// The host side of virthba's protocol (virthba.logic.ts): an insert is answered only when it
// fails (INSERT_FAILED {slot, tag}); each removal is answered with the message and `more`, queue
// 1's emptiness right after it, so virthba asks again only when there is something to take, and
// RESPONSES_EMPTY only when a removal found nothing. Each spares about one XState event per
// command (the answer to a successful insert, the empty removal that closed every drain).
//
// Choice: virthba's receive thread (Era A, §4.6) is woken by the IOSP's doorbell and otherwise
// polls every RESPONSE_POLL_MS = 4 ms (`rsltq_wait_usecs` = 4000) — while SCSI commands are
// outstanding at the IOSP. With none outstanding the timed drains are skipped (DESIGN "Time,
// polling": a poll that would find nothing may be skipped): the IOSP answers only what it was sent
// and rings with every answer, so such a drain could only find an empty ring or a stale response
// that its own ring already announced.
// Choice: a request's data is the workload's pattern (lba, version), written into the DMA buffer
// of the pending slot the command took; one slot's buffer (64 KiB) bounds a request.

import type { AnyActorRef } from 'xstate';
import type { ChannelRecord, GuestWorkload } from '../hypervisor/index.js';
import { Channel, channelTypes, type Doorbell, type SignalQueue } from '../channel/index.js';
import { DMA_SLOT_BYTES, doorbellOf } from '../hypervisor/index.js';
import {
  CMD_SCSI_TYPE,
  CMD_SCSITASKMGMT_TYPE,
  SIZEOF_CMDRSP,
  UIS_DMA_TO_DEVICE,
} from '../protocol/uiscmdrsp-constants.js';
import {
  decodeCmdtype,
  decodeScsiResponse,
  decodeTaskMgmtResponse,
  encodeScsiCommand,
  encodeTaskMgmt,
} from '../protocol/uiscmdrsp-scsi.js';
import { blockVersions, writeBlockPattern } from '../../machines/block-workload.logic.js';
import type { Environment } from './environment.js';
import { ReceiveThread } from './receive-thread.js';

export { RESPONSE_POLL_MS } from './receive-thread.js';

/** A workload this stack runs, with what it needs of its disk. */
export type StackWorkload = GuestWorkload;

/** What the stack uses of its guest host. */
export interface StackHost {
  readonly partition: string;
  readonly env: Environment;
  readonly guest: AnyActorRef;
  connect(systemId: string, perform: (effect: Effect) => void): AnyActorRef;
}

type Effect = { readonly type: string } & Record<string, unknown>;

interface Request {
  readonly workload: AnyActorRef;
  readonly workloadId: number;
  readonly op: 'read' | 'write';
  readonly lba: number;
  readonly blocks: number;
  readonly version: number | null;
  readonly blockSize: number;
  /** For a successful read: the versions found in each block. */
  versions?: (number | null)[];
}

/** The storage stack of one vhba device. */
export class StorageStack {
  private readonly midlayer: AnyActorRef;
  private readonly midlayerId: string;
  private readonly commands: SignalQueue;
  private readonly responses: SignalQueue;
  private readonly dma: { readonly buffer: SharedArrayBuffer; readonly address: bigint };
  private readonly requests = new Map<number, Request>();
  /** Midlayer tag → request id, and tag → the pending slot its command took. */
  private readonly tagRequest = new Map<number, number>();
  private readonly tagSlot = new Map<number, number>();
  private readonly slot = new Uint8Array(SIZEOF_CMDRSP);
  private nextRequestId = 1;
  private readonly thread: ReceiveThread;
  /** The vhba channel's doorbell (rung after every insert). */
  private readonly bell: Doorbell;

  constructor(
    private readonly host: StackHost,
    private readonly virthba: AnyActorRef,
    channel: ChannelRecord,
    busNo: number,
    devNo: number,
    workloads: readonly StackWorkload[],
  ) {
    const attached = Channel.attachAs(channel.buffer, channelTypes.vhba);
    // A guest probes a vhba only after the IOSP made it ready, so it validates; if a hostile
    // IOSP broke it since, the stack's queue operations return typed errors and do nothing.
    if (!attached.ok) throw new Error(`${channel.id}: ${attached.error.message}`);
    this.commands = attached.value.queue(0);
    this.responses = attached.value.queue(1);
    if (channel.dma === undefined)
      throw new Error(`${channel.id}: a vhba channel has a DMA window`);
    this.dma = channel.dma;
    const id = `${host.partition}/scsi-midlayer:${busNo.toString(16)}:${devNo.toString(16)}`;
    this.midlayerId = id;
    host.guest.send({ type: 'PROBE_DRIVER', module: 'scsi-midlayer', systemId: id, busNo, devNo });
    this.midlayer = host.connect(id, (e) => this.performMidlayer(e));
    this.bell = doorbellOf(channel);
    this.thread = new ReceiveThread(
      host.env,
      this.bell,
      virthba,
      `vhba-poll:${busNo}:${devNo}`,
      () => this.tagSlot.size > 0,
    );
    for (const w of workloads) this.startWorkload(w);
  }

  /** Performs a virthba IO effect; false for the effects that are not the stack's. */
  perform(effect: Effect): boolean {
    switch (effect.type) {
      case 'channel.insertScsi':
        return (this.insertScsi(effect), true);
      case 'channel.insertTaskMgmt':
        return (this.insertTaskMgmt(effect), true);
      case 'channel.removeResponse':
        return (this.removeResponse(), true);
      case 'scsi.complete':
        return (this.complete(effect), true);
      case 'taskmgmt.complete':
        return true; // nothing issues task management yet
      case 'scsi.blockRequests':
        return (this.midlayer.send({ type: 'HOST_BLOCKED' }), true);
      case 'scsi.unblockRequests':
        return (this.midlayer.send({ type: 'HOST_UNBLOCKED' }), true);
      default:
        return false;
    }
  }

  /** The guest stopped: no more polls or doorbell listening (its actors are gone already). */
  detach(): void {
    this.thread.stop();
  }

  /** The device is gone (virthba removed): the SCSI host goes with it. */
  remove(): void {
    this.detach();
    this.midlayer.send({ type: 'HOST_REMOVED' });
    this.host.guest.send({ type: 'DRIVER_GONE', systemId: this.midlayerId });
  }

  private startWorkload(w: StackWorkload): void {
    const systemId = `${this.host.partition}/block-workload:${w.disk}`;
    const prng = this.host.env.prng(`workload/${w.disk}`);
    const seedWords = Array.from({ length: 3 * w.ops }, () => prng.int(0, 0x7fff_ffff));
    const input = {
      partition: this.host.partition,
      name: w.disk,
      queueDepth: w.queueDepth,
      blocks: w.blocks,
      blockSize: w.blockSize,
      ops: w.ops,
      writeFraction: { numerator: Math.round(w.writeFraction * 1000), denominator: 1000 },
      seedWords,
      maxBlocksPerRequest: Math.min(w.maxBlocks, Math.floor(DMA_SLOT_BYTES / w.blockSize)),
    };
    this.host.guest.send({ type: 'START_WORKLOAD', systemId, input });
    const workload = this.host.connect(systemId, (e) => this.performWorkload(workload, w, e));
    const begin = (): void => void workload.send({ type: 'START' });
    const delay = Math.max(0, w.start - this.host.env.now());
    this.host.env.schedule(delay, `workload-start:${w.disk}`, begin);
  }

  private performWorkload(workload: AnyActorRef, w: StackWorkload, effect: Effect): void {
    if (effect.type !== 'workload.submit') return;
    const id = this.nextRequestId++;
    const op = effect['op'] as 'read' | 'write';
    const lba = effect['lba'] as number;
    const blocks = effect['blocks'] as number;
    const version = (effect['version'] as number | null) ?? null;
    this.requests.set(id, {
      workload,
      workloadId: effect['id'] as number,
      op,
      lba,
      blocks,
      version,
      blockSize: w.blockSize,
    });
    this.midlayer.send({ type: 'REQUEST', id, op, lba, blocks, target: w.vdest });
  }

  private performMidlayer(effect: Effect): void {
    if (effect.type === 'hba.queue') {
      this.tagRequest.set(effect['tag'] as number, effect['requestId'] as number);
      const { tag, cdb, dataDir, bufflen, vdest } = effect;
      this.virthba.send({ type: 'SCSI_QUEUE', tag, cdb, dataDir, bufflen, vdest });
      return;
    }
    if (effect.type !== 'request.done') return;
    const request = this.requests.get(effect['id'] as number);
    if (request === undefined) return;
    this.requests.delete(effect['id'] as number);
    const ok = effect['ok'] === true;
    const versions = ok && request.op === 'read' ? { versions: request.versions ?? [] } : {};
    request.workload.send({ type: 'REQUEST_DONE', id: request.workloadId, ok, ...versions });
  }

  private insertScsi(effect: Effect): void {
    const slot = effect['slot'] as number;
    const tag = effect['tag'] as number;
    const bufflen = effect['bufflen'] as number;
    const request = this.requests.get(this.tagRequest.get(tag) ?? -1);
    const offset = slot * DMA_SLOT_BYTES;
    let ok = bufflen <= DMA_SLOT_BYTES && offset + DMA_SLOT_BYTES <= this.dma.buffer.byteLength;
    if (
      ok &&
      effect['dataDir'] === UIS_DMA_TO_DEVICE &&
      request?.version !== null &&
      request !== undefined
    ) {
      const memory = new Uint8Array(this.dma.buffer, offset, bufflen);
      const size = request.blockSize;
      for (let b = 0; b < request.blocks; b++)
        writeBlockPattern(
          memory.subarray(b * size, (b + 1) * size),
          request.lba + b,
          request.version,
        );
    }
    if (ok) {
      const gpiList =
        bufflen === 0
          ? []
          : [{ address: this.dma.address + BigInt(offset), length: BigInt(bufflen) }];
      const cdb = Uint8Array.from(effect['cdb'] as number[]);
      const bytes = encodeScsiCommand({
        handle: BigInt(slot),
        cdb,
        bufflen,
        dataDir: effect['dataDir'] as 0 | 1 | 2 | 3,
        vdest: effect['vdest'] as StackWorkload['vdest'],
        gpiList,
      });
      ok = this.commands.insert(bytes) === 'inserted';
    }
    if (!ok) return void this.virthba.send({ type: 'INSERT_FAILED', slot, tag });
    this.tagSlot.set(tag, slot);
    this.host.env.ring(this.bell, 'server');
    this.thread.arm(); // the timed wake-up runs while commands are outstanding (see the header)
  }

  private insertTaskMgmt(effect: Effect): void {
    const slot = effect['slot'] as number;
    const tag = effect['tag'] as number;
    const bytes = encodeTaskMgmt({
      tasktype: effect['tasktype'] as number,
      vdest: effect['vdest'] as StackWorkload['vdest'],
      handle: BigInt(slot),
      notifyHandle: BigInt(slot + 1),
      notifyResultHandle: BigInt(slot + 1),
    });
    if (this.commands.insert(bytes) !== 'inserted')
      return void this.virthba.send({ type: 'INSERT_FAILED', slot, tag });
    this.host.env.ring(this.bell, 'server');
  }

  private removeResponse(): void {
    if (this.responses.remove(this.slot) !== 'removed')
      return void this.virthba.send({ type: 'RESPONSES_EMPTY' });
    // Read right after the removal. A response the IOSP adds after this check rings the doorbell,
    // and the CHANNEL_INTERRUPT it brings is taken after this event has ended the drain, so it
    // starts a new one. A queue error (hostile memory) counts as empty; the next removal reports
    // it as RESPONSES_EMPTY.
    const more = this.responses.isEmpty() === false;
    const cmdtype = decodeCmdtype(this.slot);
    if (cmdtype.ok && cmdtype.value === CMD_SCSI_TYPE) {
      const r = decodeScsiResponse(this.slot);
      if (r.ok) {
        const { handle, linuxstat, sense, noDiskResult } = r.value;
        return void this.virthba.send({
          type: 'SCSI_RESPONSE',
          handle: Number(handle),
          linuxstat,
          sense: linuxstat === 0 ? null : [...sense],
          noDiskResult,
          more,
        });
      }
    }
    if (cmdtype.ok && cmdtype.value === CMD_SCSITASKMGMT_TYPE) {
      const r = decodeTaskMgmtResponse(this.slot);
      if (r.ok)
        return void this.virthba.send({
          type: 'TASKMGMT_RESPONSE',
          handle: Number(r.value.handle),
          result: r.value.result,
          more,
        });
    }
    this.virthba.send({ type: 'OTHER_RESPONSE', cmdtype: cmdtype.ok ? cmdtype.value : -1, more });
  }

  // A completion leaves virthba: a good read's data is taken from the slot's DMA buffer now,
  // before the slot can be reused.
  private complete(effect: Effect): void {
    const tag = effect['tag'] as number;
    const slot = this.tagSlot.get(tag);
    this.tagSlot.delete(tag);
    const request = this.requests.get(this.tagRequest.get(tag) ?? -1);
    this.tagRequest.delete(tag);
    if (
      effect['outcome'] === 'done' &&
      effect['linuxstat'] === 0 &&
      request?.op === 'read' &&
      slot !== undefined
    ) {
      const data = new Uint8Array(
        this.dma.buffer,
        slot * DMA_SLOT_BYTES,
        request.blocks * request.blockSize,
      );
      request.versions = blockVersions(data, request.lba, request.blocks, request.blockSize);
    }
    this.midlayer.send({ ...effect, type: 'SCSI_COMPLETE' });
  }
}
