// A device kind (DESIGN "Device kinds"): everything spar-sim knows about one kind of virtual
// device outside machines/, registered once in src/kinds/index.ts, as the kernel registers a
// `struct visor_driver`. Hosts, the hypervisor, the driver set, the scenario schema, `spar list`
// and the quirk registry loop over the registered kinds; adding a kind is its folder, its machine
// files and one registration line. Each facet is optional except what every kind has: a name,
// its channel types and what the guest runs for them.

import type { AnyActorRef, AnyStateMachine } from 'xstate';
import type {
  VirtpciDriverEmitted,
  VirtpciDriverRegistration,
} from '../../machines/virtpci-driver.logic.js';
import type { VisorDriverRegistration } from '../../machines/visor-driver.logic.js';
import type { ChannelType } from '../channel/index.js';
import type { z } from 'zod';
import type { ChannelRecord, Config, WorkloadConfig } from '../hypervisor/index.js';
import type { AnyBinding, Binder, Binding, EffectOf } from '../partition/binding.js';
import type { Environment, TraceRecord } from '../partition/environment.js';
import type { TracedEffects } from '../partition/traced-effects.js';
import type { Quirk } from '../quirks.js';
import type { Observation } from '../run/observation.js';
import type { BadReference } from '../scenario/references.js';
import type { Scenario, ScenarioFault, ScenarioWorkload } from '../scenario/schema.js';

/** A channel type of a kind, and who serves it. */
export interface KindChannel {
  readonly type: ChannelType;
  /**
   * The partition kind at the server end: an IO service partition (which re-initialises the
   * channel at every boot, §4.1, so it starts not ready), or the command partition.
   */
  readonly server: 'iosp' | 'command';
  /** Bytes of guest memory the server may DMA into, mapped beside the channel (0: none). */
  readonly dmaWindowBytes: number;
}

/** The guest's driver for a kind's channels: a visorbus driver or an Era A virtpci driver. */
export type KindDriver =
  | { readonly bus: 'visorbus'; readonly registration: VisorDriverRegistration }
  | { readonly bus: 'virtpci'; readonly registration: VirtpciDriverRegistration };

/**
 * A machine a guest runs for a kind: the guest-partition machine spawns it under `module`, one
 * actor per device or layer, `<partition>/<module>:<instance>` (the instance is its bus and device,
 * disk or interface).
 */
export interface KindMachine<M extends AnyStateMachine = AnyStateMachine> {
  /** Module name: the actor's source in the guest-partition machine and its systemId's part. */
  readonly module: string;
  readonly machine: M;
  /** One sentence: what the machine models, with the reference section (`spar list`, export). */
  readonly summary: string;
  /** Its effect types, each traced or not: the trace events its actors record. */
  readonly traced: TracedEffects<EffectOf<M>>;
}

/** `machine` as registered, its `traced` record held by the compiler to the machine's effects. */
export function kindMachine<M extends AnyStateMachine>(machine: KindMachine<M>): KindMachine {
  return machine;
}

/** What a kind's guest side is given, once per guest boot. */
export interface GuestKindContext extends Binder {
  readonly partition: string;
  readonly config: Config;
  readonly env: Environment;
  /** The guest-partition actor: spawns and stops the kind's actors (START_LAYER, LAYER_GONE). */
  readonly guest: AnyActorRef;
  /** The guest's workload journal, which outlives its boots (vhba/workload-journal.ts). */
  readonly journal?: SharedArrayBuffer | undefined;
  /** Which boot of the guest this is, from 1 (the hypervisor's count). */
  readonly bootCount: number;
}

/** What a device's stack uses of its guest. */
export type StackHost = Pick<GuestKindContext, 'partition' | 'env' | 'guest' | 'bind'>;

/** A device a virtpci driver of the kind probed. */
export interface ProbedDevice {
  readonly busNo: number;
  readonly devNo: number;
  readonly channel: ChannelRecord;
  /** The driver's actor (spawned, not yet probed). */
  readonly driver: AnyActorRef;
  /** The control half of the driver's binding (virtpci's contract), which the stack completes. */
  readonly control: Binding<VirtpciDriverEmitted>;
}

/** The stack above one probed device: it performs the driver's IO effects. */
export interface DeviceStack {
  /** The driver's whole binding: `control` plus the IO effects (checked against its machine). */
  readonly binding: AnyBinding;
  /** The driver probed: start the layers above it (the SCSI host, the interface). */
  start(): void;
  /** The guest stopped: no more timers or doorbell listening. */
  detach(): void;
  /** The driver removed the device: the layers above it go too. */
  remove(): void;
}

/** A kind's guest side in one guest boot. */
export interface GuestKindSide {
  /** The stack for a device the kind's virtpci driver probed. */
  attach(device: ProbedDevice): DeviceStack;
  /** The kind's part of the guest's report (plain data: it crosses the worker boundary). */
  report(): unknown;
}

/** What a kind's server side is given in the serving partition, once per boot. */
export interface ServerContext<S = unknown> {
  /** The serving partition (an IOSP). */
  readonly partition: string;
  readonly config: Config;
  readonly env: Environment;
  /** The partition's share of the kind's hardware (`hardware.share`), if it has any. */
  readonly hardware: S | undefined;
  /** A response waits for ring space: the partition must poll fast until it is flushed. */
  backlog(): void;
}

/** A kind's server side: it serves the kind's channels in one boot of the serving partition. */
export interface DeviceServer {
  /** Takes a channel the partition has just re-initialised into service (§4.1). */
  serve(record: ChannelRecord): void;
  /** One poll of every channel it serves; the number of commands it took. */
  poll(): number;
  /** Responses waiting for ring space. */
  backlog(): number;
  /** The partition stopped (crash, hang, reboot): its timers go, nothing is answered. */
  stop(): void;
  /** What it counted (names are stable keys; summed with the partition's other counters). */
  counters(): Readonly<Record<string, number>>;
}

/**
 * A kind's hardware: memory outside every partition, allocated once per run in the main thread
 * and shared with the partitions that own it, so it outlives their crashes (disks, NIC links).
 */
export interface KindHardware<H = unknown, S = unknown> {
  /** The run's hardware of the kind, from the configuration. */
  allocate(config: Config): H;
  /** What `partition` may touch of it, as structured-cloneable data; undefined for nothing. */
  share(hardware: H, config: Config, partition: string): S | undefined;
}

/**
 * A kind's section of a run's observation and of `spar run --json`: built in the main thread from
 * each guest's part of the report (`R`, what its guest side reported) and the run's hardware;
 * `O` is the observation's section, `J` the report's.
 */
export interface KindReport<H = unknown, R = unknown, O = unknown, J = unknown> {
  /** The section's key (`io`, `net`); the kind declares its type in ObservationSections. */
  readonly section: string;
  /** The section, from each guest's part (null: the guest has no host) and the hardware. */
  observe(guests: Readonly<Record<string, R | null>>, hardware: H | undefined): O;
  /** What `spar run --json` shows of it (the kind declares its type in ReportSections). */
  json(observed: O): J;
  /** Lines the human `spar run` output shows of the report's section (before the expectations). */
  lines?(section: J): readonly string[];
  /** Whether the kind's work is over (every workload finished): a worker run may end early. */
  settled?(observed: O, config: Config): boolean;
}

/** A named check a scenario can expect (`expect:`), judged on the end of a run. */
export interface KindExpectation {
  readonly description: string;
  /** Safety: nothing bad happened; liveness: something good happened by the time limit. */
  readonly kind: 'safety' | 'liveness';
  judge(o: Observation): { readonly ok: boolean; readonly detail: string };
  /**
   * The trace record (its index) where a failed judgement's first violation shows, when the
   * check can tell; without it the run output points at the end of the run (src/run/violation.ts).
   */
  locate?(trace: readonly TraceRecord[], o: Observation): number | undefined;
}

/** A workload variant a kind adds to the scenario format (`workloads: - kind: …`). */
export interface KindWorkload {
  /** Its `kind` discriminator. */
  readonly kind: string;
  /** Its scenario fields: a strict object with `kind: z.literal(…)`. */
  readonly schema: z.ZodObject;
  /** The configuration of a parsed workload of this variant (`workload.kind` is this kind). */
  toConfig(workload: ScenarioWorkload): WorkloadConfig;
}

/** A fault action a kind adds to the scenario format: it acts on the kind's hardware. */
export interface KindFault<H = unknown> {
  readonly action: string;
  /** Its scenario fields: a strict object with `action: z.literal(…)` and the trigger's fields. */
  readonly schema: z.ZodObject;
  /** Applies a parsed fault of this action to the run's hardware now; the refusal, if any. */
  apply(hardware: H | undefined, fault: ScenarioFault): string | null;
}

/** What a kind adds to the scenario format and how its parts are checked. */
export interface KindScenario<H = unknown> {
  /** Fields a device of the kind may set beyond busNo, devNo, channelType and server. */
  readonly deviceOptions?: z.ZodRawShape;
  /** Keys of an IO service partition's `hardware:` the kind owns. */
  readonly hardware?: z.ZodRawShape;
  /** Top-level keys of the scenario file the kind owns (vnic's `segments`). */
  readonly topLevel?: z.ZodRawShape;
  readonly workloads?: readonly KindWorkload[];
  readonly faults?: readonly KindFault<H>[];
  /** Reference checks of the kind's parts of a parsed scenario (each error names its path). */
  check?(scenario: Scenario, errors: BadReference[]): void;
  /** Checks of the kind's parts against the validated configuration. */
  checkConfig?(config: Config, scenario: Scenario, errors: BadReference[]): void;
}

/** A registered device kind; `H` is its hardware, `S` a partition's share of it. */
export interface DeviceKind<H = unknown, S = unknown> {
  /** The kind's name: its folder, and how `spar list` names it. */
  readonly name: string;
  /** One sentence for `spar list`: what the device is, with the reference section. */
  readonly summary: string;
  /** The channel types of the kind (a scenario device's `channelType` names one). */
  readonly channels: readonly KindChannel[];
  /** The guest's driver for them, if spar-sim has one (else the device stays unbound). */
  readonly driver?: KindDriver;
  /** Machines the guest runs for the kind: the driver and the layers above it. */
  readonly machines: readonly KindMachine[];
  /** The guest side of a virtpci driver: the stacks above its devices. */
  readonly guest?: (ctx: GuestKindContext) => GuestKindSide;
  /** The hardware the kind's servers own. */
  readonly hardware?: KindHardware<H, S>;
  /** The server side, in the partition at the server end of the kind's channels. */
  server?(ctx: ServerContext<S>): DeviceServer;
  /** What the kind adds to the scenario format. */
  readonly scenario?: KindScenario<H>;
  /** The kind's section of the run's observation and report. */
  readonly report?: KindReport<H>;
  /** The checks a scenario can expect of the kind, by name. */
  readonly expectations?: Readonly<Record<string, KindExpectation>>;
  /** Upstream quirks of the kind's machines (the correct behaviour is the default). */
  readonly quirks?: readonly Quirk[];
}
