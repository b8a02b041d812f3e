// The SCSI server of an IO service partition (spar-protocol.md §4.2, §4.4, §4.8): each poll it takes
// the guests' commands from the to-IOSP queue of every vhba channel it serves, runs them against
// the disks the configuration shares with that guest (scsi-target.ts), moves data through the
// guest's DMA window, and answers on the from-IOSP queue with the handle echoed (§4.4.4). A write is
// answered only after the disk has it. Responses that do not fit the ring wait in an outbox.
//
// Choice: a SCSI command whose fields are wrong (too many gpi entries, a bad direction, a bufflen
// that is not the sum of its entries) is answered DID_ERROR with its handle echoed; a slot whose
// cmdtype cannot be read carries no handle to match, so it is counted (`malformed`), not answered.
// Choice: a scatter-gather entry outside the guest's DMA window is answered DID_ERROR without
// touching any memory: the IOSP never reads or writes outside what the hypervisor mapped.
// Choice: task management is answered TASK_MGMT_SUCCESS (1, Era A's value) at once, after the
// commands of its scope that are still being served are dropped: never executed, never answered
// (abort and LUN reset: its vdest, since TASK_MGMT_ABORT_TASK names no command; bus reset: its SCSI
// channel; only on the channel it came in on). So a write the guest's error handler aborted cannot
// land after the guest was told; virthba completes the commands it covered (virthba.logic.ts
// `taskMgmtSuccessWalk`). Writes already answered (quirk write-ack-before-disk) are not dropped.
// Choice: the quirk iosp-ignores-shared-with numbers every disk the IOSP owns as if it were
// shared (quirks.ts), so a guest's addresses may name another guest's disk.
// Choice: each command is served after its disk's latency (uniform in `latencyMs`, default
// DEFAULT_LATENCY_MS, stream `disk/<name>/<channel>`) and only then reaches the disk. A crash
// (stop) drops the commands still being served, never executed nor answered: what the guest's
// pause with DID_RESET exists for. So does its guest going down (the IOSP host serves the channel
// afresh, serve() again): a rebooted guest's virthba numbers its slots anew, and a late answer to
// its crashed boot would complete the new boot's command in the same slot.
// Choice: a command that touches blocks of a disk an earlier command still being served writes (or
// writes blocks it touches) is served no sooner than that one: a disk does not let a later write
// overtake an earlier one to the same block. Without it a slow write abandoned by a pause the IOSP
// never saw (the CP's restart) could land after the guest's retry and a newer write.

import type { Prng } from '../../base/prng.js';
import { StructView } from '../../base/struct.js';
import type { ChannelRecord } from '../../hypervisor/index.js';
import {
  answerServed,
  drainServed,
  openServedChannel,
  ringIfAnswered,
  ServerTimers,
  type ServedChannel,
} from '../../partition/served-channel.js';
import { visorIoChannel } from '../../protocol/iochannel-layout.js';
import {
  CMD_SCSI_TYPE,
  CMD_SCSITASKMGMT_TYPE,
  SIZEOF_CMDRSP,
  TASK_MGMT_BUS_RESET,
  TASK_MGMT_SUCCESS,
  UIS_DMA_TO_DEVICE,
} from '../../protocol/uiscmdrsp-constants.js';
import { DID_ERROR, linuxResult } from '../../protocol/uiscmdrsp-linuxstat.js';
import {
  decodeCmdtype,
  decodeScsiCommand,
  decodeTaskMgmt,
  encodeScsiResponse,
  encodeTaskMgmtResponse,
  type ScsiCommand,
} from '../../protocol/uiscmdrsp-scsi.js';
import type { DeviceServer, ServerContext } from '../kind.js';
import { VHBA_CHANNEL } from './channel.js';
import { dmaRanges, gather, scatter } from './dma-window.js';
import type { Disk } from './disk.js';
import { attachDisks, type DiskShare } from './disks.js';
import { DMA_SLOT_BYTES, disksSeenBy } from './hardware.js';
import { executeScsi, rwExtent } from './scsi-target.js';
import { moduleQuirks } from '../../quirks.js';
import { VHBA_QUIRKS } from './quirks.js';

/** Default service time of one command, in ms: between an SSD's and a disk's. */
export const DEFAULT_LATENCY_MS = { min: 0.1, max: 1 } as const;

/** A command's service time: the range and the seeded stream it is drawn from. */
interface Latency {
  readonly minUs: number;
  readonly maxUs: number;
  readonly prng: Prng;
}

/** One vhba channel this IOSP serves. */
interface Served extends ServedChannel {
  /** Disks by SCSI target id, as this channel's guest sees them, with their service times. */
  readonly targets: ReadonlyMap<number, { readonly disk: Disk; readonly latency: Latency }>;
  /** Service times of commands to a target with no disk. */
  readonly noDisk: Latency;
}

/** The SCSI server of one IOSP boot; `ctx.hardware` holds the disks the IOSP owns. */
export class ScsiServer implements DeviceServer {
  private readonly served: Served[] = [];
  private readonly slot = new Uint8Array(SIZEOF_CMDRSP);
  /** Commands being served (each answered when its timer fires). */
  private readonly inService: ServerTimers;
  /** The same commands by channel and address, for task management to drop. */
  private readonly serving = new Set<Serving>();
  private readonly counts = {
    scsiCommands: 0,
    taskMgmt: 0,
    droppedByTaskMgmt: 0,
    malformed: 0,
    responses: 0,
    outboxed: 0,
    outboxDropped: 0,
    dmaErrors: 0,
  };

  /** The disks this IOSP owns, attached in its thread. */
  private readonly disks: ReadonlyMap<string, Disk>;
  private readonly quirks: Readonly<Record<string, boolean>> | undefined;
  /** Writes answered before the disk has them, in arrival order (quirk write-ack-before-disk). */
  private readonly earlyWrites: {
    readonly s: Served;
    readonly command: ScsiCommand;
    readonly taken: ReturnType<ScsiServer['dmaOf']>;
  }[] = [];

  constructor(private readonly ctx: ServerContext<readonly DiskShare[]>) {
    this.disks = attachDisks(ctx.hardware);
    this.inService = new ServerTimers(ctx.env);
    this.quirks = moduleQuirks(ctx.config.quirks ?? [], VHBA_QUIRKS)['scsi-server'];
  }

  serve(record: ChannelRecord): void {
    const { ctx } = this;
    const backlog = () => ctx.backlog();
    const channel = openServedChannel(record, VHBA_CHANNEL, this.counts, backlog, ctx.env);
    const ignoreSharing = this.quirks?.['ignoreSharedWith'];
    const shared = disksSeenBy(ctx.config, ctx.partition, record.guestPartition, ignoreSharing);
    // One stream per disk and channel, derived once: each command draws the next value.
    const latency = (name: string, range: { min: number; max: number }): Latency => ({
      minUs: Math.round(range.min * 1000),
      maxUs: Math.round(range.max * 1000),
      prng: ctx.env.prng(`disk/${name}/${record.id}`),
    });
    const targets = new Map(
      shared.flatMap((s) => {
        const disk = this.disks.get(s.disk.name);
        const range = s.disk.latencyMs ?? DEFAULT_LATENCY_MS;
        return disk === undefined
          ? []
          : [[s.vdest.id, { disk, latency: latency(s.disk.name, range) }] as const];
      }),
    );
    publishAdapter(record, targets.size);
    const noDisk = latency('none', DEFAULT_LATENCY_MS);
    const fresh = { ...channel, targets, noDisk };
    const at = this.served.findIndex((s) => s.record.id === record.id);
    if (at < 0) return void this.served.push(fresh);
    this.forget(record.id);
    this.served[at] = fresh;
  }

  poll(): number {
    let commands = 0;
    for (const s of this.served) {
      commands += drainServed(s, this.slot, this.ctx.env.now(), (slot) => {
        const response = this.serveCommand(s, slot);
        if (response !== null) answerServed(s, response);
      });
      ringIfAnswered(s, this.ctx.env);
    }
    return commands;
  }

  backlog(): number {
    return this.served.reduce((n, s) => n + s.outbox.length, 0);
  }

  stop(): void {
    // The quirk's early writes reach the disk even so: only a read in between may see the loss.
    for (const w of this.earlyWrites.splice(0)) this.execute(w.s, w.command, w.taken);
    this.inService.cancelAll();
    this.serving.clear();
  }

  counters(): Readonly<Record<string, number>> {
    return { ...this.counts };
  }

  // The guest of channel `id` went down: its commands in service are never answered; the quirk's
  // early writes, already acknowledged, still reach the disk.
  private forget(id: string): void {
    this.inService.cancelOwned(id);
    for (const job of this.serving) if (job.s.record.id === id) this.serving.delete(job);
    const early = this.earlyWrites.filter((w) => w.s.record.id === id);
    for (const w of early) {
      this.earlyWrites.splice(this.earlyWrites.indexOf(w), 1);
      this.execute(w.s, w.command, w.taken);
    }
  }

  private serveCommand(s: Served, slot: Uint8Array): Uint8Array | null {
    const cmdtype = decodeCmdtype(slot);
    if (cmdtype.ok && cmdtype.value === CMD_SCSITASKMGMT_TYPE) {
      const request = decodeTaskMgmt(slot);
      if (!request.ok) return this.malformed();
      this.counts.taskMgmt++;
      this.dropServing(s, request.value.tasktype, request.value.vdest);
      return encodeTaskMgmtResponse(request.value, TASK_MGMT_SUCCESS);
    }
    if (!cmdtype.ok || cmdtype.value !== CMD_SCSI_TYPE) return this.malformed();
    const command = decodeScsiCommand(slot);
    if (command.ok) {
      this.counts.scsiCommands++;
      this.serveLater(s, command.value);
      return null;
    }
    this.counts.malformed++;
    const echo = command.error.echo;
    return echo === undefined ? null : encodeScsiResponse(echo, didError());
  }

  // Serves `command` after its disk's latency, then answers and rings the guest.
  private serveLater(s: Served, command: ScsiCommand): void {
    const target = s.targets.get(command.vdest.id);
    const { minUs, maxUs, prng } = target?.latency ?? s.noDisk;
    // A disk-slow fault replaces the disk's own service time for the commands it slows.
    const slow = target?.disk.takeSlowness() ?? null;
    const delayMs =
      slow === null ? prng.int(minUs, maxUs) / 1000 : prng.int(slow.minMs, slow.maxMs);
    const label = `scsi:${s.record.id}`;
    if (this.quirks?.['ackWritesEarly'] === true && command.dataDir === UIS_DMA_TO_DEVICE) {
      this.writeEarly(s, command, delayMs, label);
      return;
    }
    const disk = target?.disk ?? null;
    const extent = rwExtent(command.cdb);
    const now = this.ctx.env.now();
    const doneAtMs = Math.max(now + delayMs, this.overlapDoneAtMs(disk, extent));
    const job: Serving = { s, vdest: command.vdest, dropped: false, disk, extent, doneAtMs };
    this.serving.add(job);
    this.inService.schedule(
      doneAtMs - now,
      label,
      () => {
        this.serving.delete(job);
        if (job.dropped) return;
        answerServed(s, this.execute(s, command));
        ringIfAnswered(s, this.ctx.env);
      },
      s.record.id,
    );
  }

  // When the last command being served on `disk` that conflicts with `extent` is done (a write on
  // either side of an overlap), or 0.
  private overlapDoneAtMs(disk: Disk | null, extent: ReturnType<typeof rwExtent>): number {
    let at = 0;
    if (disk === null || extent === null) return at;
    for (const job of this.serving) {
      const other = job.extent;
      if (job.disk !== disk || other === null || !(other.write || extent.write)) continue;
      const overlaps =
        other.lba < extent.lba + extent.count && extent.lba < other.lba + other.count;
      if (overlaps) at = Math.max(at, job.doneAtMs);
    }
    return at;
  }

  // Task management on channel `s`: the commands of its scope still being served are dropped.
  private dropServing(s: Served, tasktype: number, vdest: ScsiCommand['vdest']): void {
    for (const job of this.serving) {
      const v = job.vdest;
      const sameLun = v.id === vdest.id && v.lun === vdest.lun;
      if (job.s !== s || v.channel !== vdest.channel) continue;
      if (tasktype !== TASK_MGMT_BUS_RESET && !sameLun) continue;
      job.dropped = true;
      this.serving.delete(job);
      this.counts.droppedByTaskMgmt++;
    }
  }

  // The quirk write-ack-before-disk: GOOD now; the data, taken now, reaches the disk after the
  // latency, the early writes in arrival order (so only a read in between goes stale).
  private writeEarly(s: Served, command: ScsiCommand, delayMs: number, label: string): void {
    const job = { s, command, taken: this.dmaOf(s, command) };
    this.earlyWrites.push(job);
    answerServed(s, encodeScsiResponse(command, GOOD));
    ringIfAnswered(s, this.ctx.env);
    this.inService.schedule(delayMs, label, () => {
      while (this.earlyWrites.includes(job)) {
        const next = this.earlyWrites.shift();
        if (next !== undefined) this.execute(next.s, next.command, next.taken);
      }
    });
  }

  // The DMA window's memory and the ranges `command` names in it, with its data out gathered.
  private dmaOf(s: Served, command: ScsiCommand) {
    const window = s.record.dma;
    const ranges =
      window === undefined
        ? null
        : dmaRanges(command.gpiList, window.address, window.buffer.byteLength);
    if (window === undefined || ranges === null) return null;
    const memory = new Uint8Array(window.buffer);
    const dataOut = command.dataDir === UIS_DMA_TO_DEVICE ? gather(memory, ranges) : null;
    return { memory, ranges, dataOut };
  }

  private execute(s: Served, command: ScsiCommand, taken = this.dmaOf(s, command)): Uint8Array {
    if (taken === null) {
      this.counts.dmaErrors++;
      return encodeScsiResponse(command, didError());
    }
    const { memory, ranges, dataOut } = taken;
    const { vdest } = command;
    const disk =
      vdest.channel === 0 && vdest.lun === 0 ? (s.targets.get(vdest.id)?.disk ?? null) : null;
    const outcome = executeScsi(disk, command.cdb, dataOut, command.bufflen);
    if (outcome.dataIn !== null) scatter(memory, ranges, outcome.dataIn);
    const { linuxstat, scsistat, addlstat, noDiskResult } = outcome;
    const sense = outcome.sense ?? new Uint8Array(64);
    return encodeScsiResponse(command, { linuxstat, scsistat, addlstat, sense, noDiskResult });
  }

  private malformed(): null {
    this.counts.malformed++;
    return null;
  }
}

/** A command being served, until its timer fires or task management drops it. */
interface Serving {
  readonly s: Served;
  readonly vdest: ScsiCommand['vdest'];
  dropped: boolean;
  readonly disk: Disk | null;
  readonly extent: ReturnType<typeof rwExtent>;
  /** When it is served (ms). */
  readonly doneAtMs: number;
}

/** GOOD status with no sense. */
const GOOD = {
  linuxstat: 0,
  scsistat: 0,
  addlstat: 0,
  sense: new Uint8Array(64),
  noDiskResult: false,
};

/** A DID_ERROR status with no sense: what the guest gets for a command the IOSP cannot run. */
function didError() {
  const linuxstat = linuxResult({ host: DID_ERROR });
  return { linuxstat, scsistat: 0, addlstat: 0, sense: new Uint8Array(64), noDiskResult: false };
}

// The adapter's identity and limits the guest's driver reads at probe (§4.2 Probe).
function publishAdapter(record: ChannelRecord, targets: number): void {
  const view = StructView.at(visorIoChannel, record.buffer, 0);
  const wwnn = wwnnOf(record.id);
  view.set('vhba.wwnn.wwnn1', wwnn);
  view.set('vhba.wwnn.wwnn2', 0x5000_0000 | (wwnn >>> 4));
  view.set('vhba.max.max_channel', 1);
  view.set('vhba.max.max_id', Math.max(1, targets));
  view.set('vhba.max.max_lun', 1);
  view.set('vhba.max.cmd_per_lun', 64);
  view.set('vhba.max.max_io_size', DMA_SLOT_BYTES);
}

/** A stable 32-bit number from the channel id (FNV-1a), for a per-adapter WWNN. */
function wwnnOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
