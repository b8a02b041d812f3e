// visorbus's context, events and effects: the protocol between the machine, its host,
// visorchipset and the driver machines (spar-protocol.md §1.7, §1.9, §3.2–§3.5). The machine is
// visorbus.machine.ts; its rules are in visorbus.logic.ts.

import type { VisorChannelTypeMatch, VisorDriverRegistration } from './visor-driver.logic.js';
import type { VisorbusRequest, VisorbusRequestKind } from './visorchipset.types.js';

/**
 * A function driver's registration (`struct visor_driver` with its `channel_types` table). The
 * same shape the driver machines use, so one registration serves both sides.
 */
export type DriverRegistration = VisorDriverRegistration;

/** Machine input: the partition, and the drivers registered before the first request arrives. */
export interface VisorbusInput {
  /** Partition name, as in the actor's systemId. */
  readonly partition: string;
  /** Drivers in registration order (matching takes the first, §3.4 step 1). */
  readonly drivers: readonly DriverRegistration[];
}

/** A registered bus (`struct visor_device` with `BUS_ROOT_DEVICE`, §3.3). */
export interface BusRecord {
  readonly busNo: number;
  /** Device name `visorbus<bus_no>` (§3.8). */
  readonly name: string;
}

/**
 * Where a device is in binding. `checking`: the host runs `visor_check_channel` for `driver`;
 * `probing`: the driver's `probe` runs; `bound`: probe returned ≥ 0; `unbound`: no driver.
 */
export type DevicePhase = 'unbound' | 'checking' | 'probing' | 'bound';

/** A registered device (§3.2, §3.4): the `struct visor_device` fields visorbus itself reads. */
export interface DeviceRecord {
  readonly busNo: number;
  readonly devNo: number;
  /** Device name `vbus<bus>:dev<dev>` (§3.8). */
  readonly name: string;
  /** DEVICE_CREATE's `data_type_guid`, lowercase: what drivers are matched against (§1.7). */
  readonly dataTypeGuid: string;
  readonly phase: DevicePhase;
  /** The matched (checking/probing) or bound driver's name; null when unbound. */
  readonly driver: string | null;
  /** `pausing`: a pause was started and its completion has not come back (§3.5). */
  readonly pausing: boolean;
  /** `resuming`: likewise for a resume. */
  readonly resuming: boolean;
  /** `being_removed`: destroyed while its check or probe was still out (kept until it answers). */
  readonly beingRemoved: boolean;
}

/** Machine context: plain, serialisable data only. */
export interface VisorbusContext {
  readonly partition: string;
  /** Registered drivers in registration order. */
  readonly drivers: readonly DriverRegistration[];
  /** Buses by `String(busNo)`. */
  readonly buses: Readonly<Record<string, BusRecord>>;
  /** Devices by `deviceKey(busNo, devNo)`. */
  readonly devices: Readonly<Record<string, DeviceRecord>>;
  /** State-change completions that found no `pausing`/`resuming` flag set (ignored, counted). */
  readonly spuriousCompletions: number;
}

/** A device's address: its bus and its number on that bus (§3.7). */
export interface Address {
  readonly busNo: number;
  readonly devNo: number;
}

/** Events the partition host sends: forwarded requests, driver registrations, driver answers. */
export type VisorbusEvent =
  | { readonly type: 'VISORBUS_REQUEST'; readonly request: VisorbusRequest }
  | { readonly type: 'REGISTER_DRIVER'; readonly driver: DriverRegistration }
  /** The host's `visor_check_channel` verdict for the device channel (§1.7). */
  | ({ readonly type: 'CHANNEL_CHECKED'; readonly ok: boolean } & Address)
  /** `probe` returned `status` (≥ 0 bound). */
  | ({ readonly type: 'DRIVER_PROBED'; readonly status: number } & Address)
  /** `pause` returned `status` (< 0 not started). */
  | ({ readonly type: 'DRIVER_PAUSE_STARTED'; readonly status: number } & Address)
  /** `resume` returned `status` (< 0 not started). */
  | ({ readonly type: 'DRIVER_RESUME_STARTED'; readonly status: number } & Address)
  /** The driver called `complete(dev, status)` (pause or resume: the flag says which). */
  | ({ readonly type: 'DRIVER_STATE_COMPLETE'; readonly status: number } & Address)
  /** Partition shutdown. */
  | { readonly type: 'STOP' };

/** The driver entry points visorbus asks the host to call (§3.5 `struct visor_driver`). */
export type DriverCall = 'driver.probe' | 'driver.remove' | 'driver.pause' | 'driver.resume';

/** Effects visorbus asks its partition host to perform. */
export type VisorbusEmitted =
  /** Write a `visor_vbus_deviceinfo` record into the bus channel (§1.9). */
  | {
      readonly type: 'vbus.write';
      readonly busNo: number;
      readonly record: 'chipset' | 'bus';
      readonly devtype: string;
      readonly drvname: string;
    }
  /** The device's record at `dev_info[devNo]`; the host fills `devtype` with the type name. */
  | ({ readonly type: 'vbus.write'; readonly record: 'device'; readonly drvname: string } & Address)
  /** Run `visor_check_channel` on the device channel with the driver's expectations (§1.7). */
  | ({ readonly type: 'channel.check' } & Address & VisorChannelTypeMatch)
  /** Call the driver's entry point for the device. */
  | ({ readonly type: DriverCall; readonly driver: string } & Address)
  /** The answer to a request, forwarded to visorchipset as VISORBUS_DONE. */
  | {
      readonly type: 'visorchipset.done';
      readonly kind: VisorbusRequestKind;
      readonly busNo: number;
      readonly devNo?: number;
      /** 0 or a negative errno. */
      readonly status: number;
    };
