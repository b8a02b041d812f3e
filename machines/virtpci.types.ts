// virtpci's context, events and effects: the protocol between the machine, its host, uislib and
// the driver machines (spar-protocol.md §5.12 virtpci, §5.7 uislib, §3.6, §3.7). The machine is
// virtpci.machine.ts; its rules are in virtpci.logic.ts.

import type { VirtpciDriverRegistration } from './virtpci-driver.logic.js';
import type { DeviceKind, GuestMsg, GuestMsgtype, UislibTable } from './visoruislib.logic.js';

/** Upstream bugs a run may switch on (default off). */
export interface VirtpciQuirks {
  /**
   * Quirk: uislib's `destroy_device` reads `dev_no` from `destroy_device.bus_no` (§3.6), so
   * DEL_VHBA/DEL_VNIC of (bus, dev) acts on slot (bus, bus): usually "no such device" (1, which
   * visorclientbus ignores), leaving the device bound and its slot populated (later bus destroy:
   * 700), or it deletes another device.
   */
  readonly destroyDeviceUsesBusNo: boolean;
}

/** Machine input. */
export interface VirtpciInput {
  /** Partition name, as in the actor's systemId. */
  readonly partition: string;
  /** uislib's `max_bus_count`; default 23 (see visoruislib.logic.ts). */
  readonly busCount?: number;
  /** Quirks to switch on; missing ones are off. */
  readonly quirks?: Partial<VirtpciQuirks>;
}

/**
 * Where a device is in virtpci: waiting for the server (`serverWait`: a `srv_state` read is out;
 * `serverSleep`: the 1 s wait before the next), `probing`, then `bound` (driver attached) or
 * `unbound` (the probe failed; the device is still registered), or waiting for the driver's answer
 * to suspend/resume/remove.
 */
export type VirtpciPhase =
  | 'serverWait'
  | 'serverSleep'
  | 'probing'
  | 'bound'
  | 'unbound'
  | 'suspending'
  | 'resuming'
  | 'removing';

/** One device (`struct virtpci_dev` plus the add in progress). */
export interface VirtpciDevice {
  readonly busNo: number;
  readonly devNo: number;
  readonly kind: DeviceKind;
  /** `<bus hex>:<dev hex>` (§3.7). */
  readonly name: string;
  /** The WWNN (vhba, 16 lowercase hex digits) or MAC (vnic, lowercase `aa:bb:..`). */
  readonly identity: string;
  readonly phase: VirtpciPhase;
  /** `srv_state` reads made by the add (1 .. 120). */
  readonly serverReads: number;
  /** The message whose answer is outstanding, or null when settled. */
  readonly msgtype: GuestMsgtype | null;
}

/** Machine context: plain data. */
export interface VirtpciContext {
  readonly partition: string;
  readonly quirks: VirtpciQuirks;
  /** uislib's bus/device table; a uislib bus is also virtpci's `vbus<N>`. */
  readonly table: UislibTable;
  /** virtpci's devices (and adds in progress) by `deviceKey(busNo, devNo)`. */
  readonly devices: Readonly<Record<string, VirtpciDevice>>;
  /** Answers that matched nothing outstanding (ignored, counted). */
  readonly strayAnswers: number;
}

/** A device address. */
export interface Address {
  readonly busNo: number;
  readonly devNo: number;
}

/** Events: uislib's messages, the host's channel reads, the drivers' answers, the wait timer. */
export type VirtpciEvent =
  | { readonly type: 'GUEST_MSG'; readonly msg: GuestMsg }
  /** The answer to `channel.readServerState`: is the channel's `srv_state` READY? */
  | ({ readonly type: 'CHANNEL_STATUS'; readonly serverReady: boolean } & Address)
  /** `probe` returned `status` (0 bound, < 0 failed). */
  | ({ readonly type: 'DRIVER_PROBED'; readonly status: number } & Address)
  /** `suspend` returned `status` (1 success, 0 failure). */
  | ({ readonly type: 'DRIVER_SUSPENDED'; readonly status: number } & Address)
  /** `resume` returned `status` (1 success, 0 failure). */
  | ({ readonly type: 'DRIVER_RESUMED'; readonly status: number } & Address)
  /** `remove` returned. */
  | ({ readonly type: 'DRIVER_REMOVED' } & Address)
  /** Internal: the 1 s wait between two `srv_state` reads is over (delayed raise). */
  | ({ readonly type: 'SERVER_WAIT_TICK' } & Address);

/** The driver entry points virtpci asks the host to call. */
export type VirtpciDriverCall =
  | 'driver.probe'
  | 'driver.suspend'
  | 'driver.resume'
  | 'driver.remove';

/** Effects virtpci asks its partition host to perform. */
export type VirtpciEmitted =
  /** uislib's answer to a GUEST_MSG: 0, or a negated `CONTROLVM_RESP_*` code. */
  | {
      readonly type: 'uislib.done';
      readonly msgtype: GuestMsgtype;
      readonly busNo: number;
      readonly devNo?: number;
      readonly status: number;
    }
  /** Read the device channel's `srv_state`; answer with CHANNEL_STATUS. */
  | ({ readonly type: 'channel.readServerState' } & Address)
  /** Set the device channel's `cli_state_os` to ATTACHED. */
  | ({ readonly type: 'channel.setClientStateAttached' } & Address)
  /** Call a driver entry point (`driver` is the module: virthba / virtnic). */
  | ({
      readonly type: VirtpciDriverCall;
      readonly driver: VirtpciDriverRegistration['module'];
    } & Address)
  /** The bus channel's chipset or bus record (`write_vbus_chp_info` / `write_vbus_bus_info`). */
  | {
      readonly type: 'vbus.write';
      readonly busNo: number;
      readonly record: 'chipset' | 'bus';
      readonly devtype: string;
      readonly drvname: string;
    }
  /** The device record `dev_info[devNo]` (`write_vbus_dev_info`). */
  | ({
      readonly type: 'vbus.write';
      readonly record: 'device';
      readonly devtype: VirtpciDriverRegistration['devtype'];
      readonly drvname: string;
    } & Address);
