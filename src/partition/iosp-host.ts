// The partition host of an IO service partition (spar-protocol.md §4.1, §4.4, §4.8): it runs
// the iosp machine and performs what it asks. At boot it re-initialises every device channel it
// serves (header and empty queues, the vhba configuration, `srv_state` READY last), as the guest
// expects after a reboot; each poll it takes the guests' commands from the to-IOSP queue of each
// vhba channel, runs them against the disks the configuration shares with that guest (the SCSI
// server: src/devices/scsi-target.ts), moves data through the guest's DMA window, and answers on
// the from-IOSP queue with the handle echoed (§4.4.4). A write is answered only after the disk
// has it. Responses that do not fit the ring wait in an outbox for the next poll: never dropped.
// The vnic channels are served in the same poll by the NIC server and its switch (nic-server.ts).
//
// Choice: a SCSI command whose fields are wrong (too many gpi entries, a bad direction, a
// bufflen that is not the sum of its entries) is answered DID_ERROR with its handle echoed, so the
// guest's slot completes; a slot whose cmdtype cannot be read carries no handle the guest could
// match, so it is counted (`malformed`) and not answered.
// Choice: a scatter-gather entry outside the guest's DMA window is answered DID_ERROR without
// touching any memory: the IOSP never reads or writes outside what the hypervisor mapped.
// Choice: task management is answered TASK_MGMT_SUCCESS (1, Era A's value) at once; the disks
// keep no queue of their own to abort.
// Choice: each SCSI command is served after its disk's latency (uniform in the disk's
// `latencyMs`, default DEFAULT_LATENCY_MS, from the seeded stream `disk/<name>`), and only then
// reaches the disk: a write is on the disk exactly when it is answered. A crash (stop) drops the
// commands still being served — taken off the ring, never executed, never answered — which is
// what the guest's pause with DID_RESET exists for.

import { createActor, type Actor } from 'xstate';
import { assert } from '../base/assert.js';
import { Channel, channelTypes, type Doorbell, type SignalQueue } from '../channel/index.js';
import type { Prng } from '../base/prng.js';
import type { Disk } from '../devices/disk.js';
import { executeScsi } from '../devices/scsi-target.js';
import {
  disksSeenBy,
  DMA_SLOT_BYTES,
  doorbellOf,
  serverInitializeChannel,
  type ChannelRecord,
  type Config,
} from '../hypervisor/index.js';
import { StructView } from '../base/struct.js';
import { visorIoChannel } from '../protocol/iochannel-layout.js';
import {
  CMD_SCSI_TYPE,
  CMD_SCSITASKMGMT_TYPE,
  IOCHAN_FROM_IOPART,
  IOCHAN_TO_IOPART,
  SIZEOF_CMDRSP,
  TASK_MGMT_SUCCESS,
  UIS_DMA_TO_DEVICE,
} from '../protocol/uiscmdrsp-constants.js';
import { DID_ERROR, linuxResult } from '../protocol/uiscmdrsp-linuxstat.js';
import {
  decodeCmdtype,
  decodeScsiCommand,
  decodeTaskMgmt,
  encodeScsiResponse,
  encodeTaskMgmtResponse,
  type GuestPhysEntry,
  type ScsiCommand,
} from '../protocol/uiscmdrsp-scsi.js';
import { beat } from '../hypervisor/heartbeats.js';
import { iospMachine } from '../../machines/iosp.machine.js';
import { effectDetail } from './effect-detail.js';
import { NicServer } from './nic-server.js';
import { ResponseOutbox } from './response-outbox.js';
import type { Environment } from './environment.js';
import type { HostCounters, PartitionHost } from './partition-host.js';

/** Default service time of one command, in ms: between an SSD's and a disk's. */
export const DEFAULT_LATENCY_MS = { min: 0.1, max: 1 } as const;

/** One vhba channel this IOSP serves. */
interface Served {
  readonly record: ChannelRecord;
  readonly bell: Doorbell;
  readonly commands: SignalQueue;
  /** Disks by SCSI target id, as this channel's guest sees them, with their service times. */
  readonly targets: ReadonlyMap<number, Target>;
  /** Service times of commands to a target with no disk. */
  readonly noDisk: Latency;
  readonly outbox: ResponseOutbox;
}

/** A command's service time: the range and the seeded stream it is drawn from. */
interface Latency {
  readonly minUs: number;
  readonly maxUs: number;
  readonly prng: Prng;
}

interface Target {
  readonly disk: Disk;
  readonly latency: Latency;
}

type Effect = { readonly type: string } & Record<string, unknown>;

/** One IO service partition's actor, wired to the channels it serves and its disks. */
export class IospHost implements PartitionHost {
  private readonly actor: Actor<typeof iospMachine>;
  private readonly served: Served[] = [];
  private readonly stops: (() => void)[] = [];
  private readonly slot = new Uint8Array(SIZEOF_CMDRSP);
  private readonly inService = new Set<{ readonly id: number }>();
  private readonly counts = {
    polls: 0,
    scsiCommands: 0,
    taskMgmt: 0,
    malformed: 0,
    responses: 0,
    outboxed: 0,
    outboxDropped: 0,
    dmaErrors: 0,
    postsRefused: 0,
    netCommands: 0,
    rcvPosts: 0,
    xmits: 0,
    framesDelivered: 0,
    rxDropped: 0,
    outsideAnswers: 0,
    badNet: 0,
    badXmit: 0,
    spoofed: 0,
    connectStatus: 0,
    linkDropped: 0,
  };
  private readonly nic: NicServer;

  constructor(
    readonly partition: string,
    private readonly channels: readonly ChannelRecord[],
    private readonly env: Environment,
    private readonly config: Config,
    private readonly disks: ReadonlyMap<string, Disk>,
    jiffyMs: number,
    /** The heartbeat page the CP's watchdog reads (hypervisor/heartbeats.ts). */
    private readonly heartbeat?: SharedArrayBuffer,
    /** This IOSP's NIC link words (hypervisor/nic-links.ts); without them every link is up. */
    nicLinks?: SharedArrayBuffer,
  ) {
    const systemId = `${partition}/iosp`;
    this.nic = new NicServer(
      partition,
      env,
      config,
      this.counts,
      () => this.actor.send({ type: 'BACKLOG' }),
      nicLinks,
    );
    this.actor = createActor(iospMachine, {
      input: { partition, jiffyMs },
      clock: env.clock,
      systemId,
    });
    this.actor.on('*', (effect) => {
      const state = JSON.stringify(this.actor.getSnapshot().value);
      if (effect.type !== 'iosp.poll') {
        this.env.trace({
          atMs: env.now(),
          partition,
          actor: systemId,
          event: effect.type,
          state,
          detail: { text: effectDetail(effect as unknown as Effect) },
        });
      }
      if (effect.type === 'iosp.initChannels') this.initChannels();
      else this.poll();
    });
  }

  start(): void {
    this.actor.start();
  }

  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
    for (const timer of this.inService) this.env.cancel(timer);
    this.nic.stop();
    this.inService.clear();
    this.actor.stop();
  }

  snapshot(): Record<string, unknown> {
    return { [`${this.partition}/iosp`]: this.actor.getSnapshot().value };
  }

  counters(): HostCounters {
    return { ...this.counts };
  }

  sysfs(): Record<string, string> {
    return {};
  }

  // Boot: every served device channel re-initialised (§4.1), vhba channels taken into service.
  private initChannels(): void {
    for (const record of this.channels.filter(
      (c) => c.serverPartition === this.partition && c.kind === 'device',
    )) {
      serverInitializeChannel(record);
      if (record.typeName === 'vhba') this.serve(record);
      if (record.typeName === 'vnic') this.nic.serve(record);
      const bell = doorbellOf(record);
      this.stops.push(this.env.onRing(bell, 'server', () => this.actor.send({ type: 'DOORBELL' })));
      this.env.ring(bell, 'client');
    }
    this.actor.send({ type: 'CHANNELS_READY' });
  }

  private serve(record: ChannelRecord): void {
    const attached = Channel.attachAs(record.buffer, channelTypes.vhba);
    assert(attached.ok, `${record.id}: a channel this IOSP just initialised validates`);
    const shared = disksSeenBy(this.config, this.partition, record.guestPartition);
    // One stream per disk and channel, derived once: each command draws the next value.
    const latency = (name: string, range: { min: number; max: number }): Latency => ({
      minUs: Math.round(range.min * 1000),
      maxUs: Math.round(range.max * 1000),
      prng: this.env.prng(`disk/${name}/${record.id}`),
    });
    const targets = new Map(
      shared.flatMap((s) => {
        const disk = this.disks.get(s.disk.name);
        return disk === undefined
          ? []
          : [
              [
                s.vdest.id,
                { disk, latency: latency(s.disk.name, s.disk.latencyMs ?? DEFAULT_LATENCY_MS) },
              ] as const,
            ];
      }),
    );
    // The adapter's identity and limits the guest's driver reads at probe (§4.2 Probe).
    const view = StructView.at(visorIoChannel, record.buffer, 0);
    const wwnn = wwnnOf(record.id);
    view.set('vhba.wwnn.wwnn1', wwnn);
    view.set('vhba.wwnn.wwnn2', 0x5000_0000 | (wwnn >>> 4));
    view.set('vhba.max.max_channel', 1);
    view.set('vhba.max.max_id', Math.max(1, targets.size));
    view.set('vhba.max.max_lun', 1);
    view.set('vhba.max.cmd_per_lun', 64);
    view.set('vhba.max.max_io_size', DMA_SLOT_BYTES);
    const channel = attached.value;
    const noDisk = latency('none', DEFAULT_LATENCY_MS);
    const outbox = new ResponseOutbox(channel.queue(IOCHAN_FROM_IOPART), this.counts, () =>
      this.actor.send({ type: 'BACKLOG' }),
    );
    this.served.push({
      record,
      bell: doorbellOf(record),
      commands: channel.queue(IOCHAN_TO_IOPART),
      targets,
      noDisk,
      outbox,
    });
  }

  private poll(): void {
    let commands = 0;
    for (const s of this.served) {
      let answered = s.outbox.flush();
      for (let i = 0; i < s.commands.slotCount; i++) {
        const outcome = s.commands.remove(this.slot);
        if (outcome !== 'removed') break; // empty, or a hostile header: the next poll retries
        commands++;
        const response = this.serveCommand(s, this.slot);
        if (response !== null) answered = s.outbox.answer(response) || answered;
      }
      if (answered) this.env.ring(s.bell, 'client');
    }
    commands += this.nic.poll();
    this.counts.polls++;
    if (this.heartbeat !== undefined) beat(this.heartbeat);
    const backlog = this.served.reduce((n, s) => n + s.outbox.length, this.nic.backlog());
    this.actor.send({ type: 'POLL_DONE', commands, backlog });
  }

  private serveCommand(s: Served, slot: Uint8Array): Uint8Array | null {
    const cmdtype = decodeCmdtype(slot);
    if (cmdtype.ok && cmdtype.value === CMD_SCSITASKMGMT_TYPE) {
      const request = decodeTaskMgmt(slot);
      if (!request.ok) return this.malformed();
      this.counts.taskMgmt++;
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
    return echo === undefined
      ? null
      : encodeScsiResponse(echo, {
          linuxstat: linuxResult({ host: DID_ERROR }),
          scsistat: 0,
          addlstat: 0,
          sense: new Uint8Array(64),
          noDiskResult: false,
        });
  }

  // Serves `command` after its disk's latency, then answers and rings the guest.
  private serveLater(s: Served, command: ScsiCommand): void {
    const { minUs, maxUs, prng } = s.targets.get(command.vdest.id)?.latency ?? s.noDisk;
    const delayMs = prng.int(minUs, maxUs) / 1000;
    const timer = this.env.schedule(delayMs, `scsi:${s.record.id}`, () => {
      this.inService.delete(timer);
      const answered = s.outbox.answer(this.execute(s, command));
      if (answered) this.env.ring(s.bell, 'client');
    });
    this.inService.add(timer);
  }

  private execute(s: Served, command: ScsiCommand): Uint8Array {
    const window = s.record.dma;
    const ranges =
      window === undefined
        ? null
        : dmaRanges(command.gpiList, window.address, window.buffer.byteLength);
    if (window === undefined || ranges === null) {
      this.counts.dmaErrors++;
      const sense = new Uint8Array(64);
      return encodeScsiResponse(command, {
        linuxstat: linuxResult({ host: DID_ERROR }),
        scsistat: 0,
        addlstat: 0,
        sense,
        noDiskResult: false,
      });
    }
    const memory = new Uint8Array(window.buffer);
    const dataOut = command.dataDir === UIS_DMA_TO_DEVICE ? gather(memory, ranges) : null;
    const { vdest } = command;
    const disk =
      vdest.channel === 0 && vdest.lun === 0 ? (s.targets.get(vdest.id)?.disk ?? null) : null;
    const outcome = executeScsi(disk, command.cdb, dataOut, command.bufflen);
    if (outcome.dataIn !== null) scatter(memory, ranges, outcome.dataIn);
    const status = {
      linuxstat: outcome.linuxstat,
      scsistat: outcome.scsistat,
      addlstat: outcome.addlstat,
      sense: outcome.sense ?? new Uint8Array(64),
      noDiskResult: outcome.noDiskResult,
    };
    return encodeScsiResponse(command, status);
  }

  private malformed(): null {
    this.counts.malformed++;
    return null;
  }
}

/** Byte ranges of the DMA window the entries name, or null if any lies outside it. */
function dmaRanges(
  entries: readonly GuestPhysEntry[],
  base: bigint,
  size: number,
): { offset: number; length: number }[] | null {
  const ranges: { offset: number; length: number }[] = [];
  for (const e of entries) {
    const offset = e.address - base;
    if (offset < 0n || e.length < 0n || offset + e.length > BigInt(size)) return null;
    ranges.push({ offset: Number(offset), length: Number(e.length) });
  }
  return ranges;
}

function gather(
  memory: Uint8Array,
  ranges: readonly { offset: number; length: number }[],
): Uint8Array {
  const out = new Uint8Array(ranges.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of ranges) {
    out.set(memory.subarray(r.offset, r.offset + r.length), at);
    at += r.length;
  }
  return out;
}

function scatter(
  memory: Uint8Array,
  ranges: readonly { offset: number; length: number }[],
  data: Uint8Array,
): void {
  let at = 0;
  for (const r of ranges) {
    if (at >= data.length) return;
    const part = data.subarray(at, at + r.length);
    memory.set(part, r.offset);
    at += part.length;
  }
}

/** A stable 32-bit number from the channel id (FNV-1a), for a per-adapter WWNN. */
function wwnnOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
